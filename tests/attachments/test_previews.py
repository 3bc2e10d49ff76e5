"""Previews: a large attached image is also stored smaller, upright and without metadata."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import timedelta

from click.testing import CliRunner
from PIL import Image

from tests.attachments.test_attachments import (
    _script_info,
    add_comment,
    fetch,
    stored_keys,
    upload,
)
from ticketdesk.cli import previews_command
from ticketdesk.extensions import db
from ticketdesk.models import Attachment
from ticketdesk.services.attachments import attachment_manager
from ticketdesk.services.previews import make_preview
from ticketdesk.storage import storage_for

ORIENTATION, GPS = 0x0112, 0x8825
# EXIF orientation 6: the camera was turned; the picture must be turned 90° clockwise.
TURNED = 6


def photo(width=1600, height=1200, *, orientation=None, gps=False) -> bytes:
    """A JPEG as a phone writes one: left half red, right half blue, with EXIF."""
    image = Image.new("RGB", (width, height), "red")
    image.paste("blue", (width // 2, 0, width, height))
    exif = Image.Exif()
    if orientation:
        exif[ORIENTATION] = orientation
    if gps:
        exif[GPS] = {1: "N", 2: (52.0, 31.0, 12.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def preview_of(api, attachment_id) -> tuple[Image.Image, object]:
    answer = api.get(f"/api/v1/attachments/{attachment_id}/preview")
    body = answer.get_data()
    answer.close()
    return Image.open(io.BytesIO(body)), answer


def status_of_preview(api, attachment_id) -> int:
    answer = api.get(f"/api/v1/attachments/{attachment_id}/preview")
    answer.get_data()
    answer.close()
    return answer.status_code


def test_a_large_photo_gets_a_small_upright_preview_without_its_metadata(app, as_customer, ticket):
    original = photo(orientation=TURNED, gps=True)
    [attachment] = upload(as_customer, ticket.id, ("IMG_0042.jpg", original, "image/jpeg")).json

    picture, answer = preview_of(as_customer, attachment["id"])

    assert answer.status_code == 200
    assert answer.mimetype == "image/webp" and picture.format == "WEBP"
    # 1600 x 1200 turned upright is 1200 x 1600: 360 x 480 fits the box.
    assert picture.size == (360, 480)
    # Turned clockwise, the left half (red) is now on top.
    assert picture.convert("RGB").getpixel((180, 10))[0] > 200
    assert picture.convert("RGB").getpixel((180, 470))[2] > 200
    assert dict(picture.getexif()) == {}
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert answer.headers["Content-Disposition"].startswith('inline; filename="IMG_0042 (preview)')
    # The image itself is untouched, and two files are stored.
    assert fetch(as_customer, attachment["id"]).data == original
    assert len(stored_keys(app)) == 2


def test_a_preview_is_revalidated_not_sent_again(as_customer, ticket):
    [attachment] = upload(as_customer, ticket.id, ("a.jpg", photo(), "image/jpeg")).json
    path = f"/api/v1/attachments/{attachment['id']}/preview"
    first = as_customer.get(path)
    first.close()

    again = as_customer.get(path, headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304 and again.get_data() == b""
    again.close()


def test_images_that_fit_or_move_are_shown_as_they_are(app, as_customer, ticket):
    small = photo(600, 400)
    frames = [Image.new("RGB", (900, 700), color) for color in ("red", "blue")]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    animated = out.getvalue()
    files = [("small.jpg", small, "image/jpeg"), ("moving.gif", animated, "image/gif")]
    created = upload(as_customer, ticket.id, *files).json

    for attachment, body in zip(created, (small, animated), strict=True):
        picture = as_customer.get(f"/api/v1/attachments/{attachment['id']}/preview")
        assert picture.get_data() == body
        picture.close()
    assert len(stored_keys(app)) == 2


def bomb_png(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` x `height` pixels, in a few hundred bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 1000)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def test_damaged_or_enormous_images_are_kept_without_a_preview(app, as_customer, ticket):
    damaged = photo()[:2000]  # cut off after the header
    files = [
        ("bomb.png", bomb_png(30_000, 30_000), "image/png"),  # 900 megapixels
        ("big.png", bomb_png(6_000, 5_000), "image/png"),  # 30: over MAX_PIXELS
        ("cut.jpg", damaged, "image/jpeg"),
    ]

    created = upload(as_customer, ticket.id, *files)

    assert created.status_code == 201, created.json
    assert len(stored_keys(app)) == 3
    picture = as_customer.get(f"/api/v1/attachments/{created.json[2]['id']}/preview")
    assert picture.get_data() == damaged
    picture.close()


def test_a_photo_of_more_pixels_than_are_decoded_still_gets_a_preview():
    # 27 megapixels: a JPEG decodes at a quarter of that; a PNG could not.
    preview = make_preview(io.BytesIO(photo(6000, 4500)))

    assert preview is not None and Image.open(io.BytesIO(preview)).size == (640, 480)
    assert make_preview(io.BytesIO(bomb_png(6000, 4500))) is None


def test_only_images_have_previews_and_only_for_those_who_see_them(
    app, factory, staff, as_customer, as_other_customer, ticket
):
    [text] = upload(as_customer, ticket.id, ("notes.txt", b"hello", "text/plain")).json
    [image] = upload(as_customer, ticket.id, ("a.jpg", photo(), "image/jpeg")).json

    assert status_of_preview(as_customer, text["id"]) == 404
    hidden = as_other_customer.get(f"/api/v1/attachments/{image['id']}/preview")
    assert hidden.status_code == 404
    assert hidden.mimetype == "application/problem+json"


def test_a_preview_on_a_staff_note_stays_hidden_from_the_customer(
    app, factory, staff, as_staff, as_customer, ticket
):
    note_id = add_comment(app, factory, staff, ticket, "Photo of the rack", internal=True)
    [image] = upload(
        as_staff, ticket.id, ("rack.jpg", photo(), "image/jpeg"), comment_id=note_id
    ).json

    assert status_of_preview(as_staff, image["id"]) == 200
    assert status_of_preview(as_customer, image["id"]) == 404


def test_removing_an_image_removes_its_preview_and_sweeps_keep_both_before(
    app, as_customer, as_staff, ticket
):
    [image] = upload(as_customer, ticket.id, ("a.jpg", photo(), "image/jpeg")).json
    with app.app_context():
        assert attachment_manager().remove_orphans(older_than=timedelta(0)) == 0
    assert len(stored_keys(app)) == 2

    assert as_staff.delete(f"/api/v1/attachments/{image['id']}").status_code == 204

    assert stored_keys(app) == []


def test_previews_command_makes_those_of_images_stored_before_previews(app, as_customer, ticket):
    files = [("old.jpg", photo(), "image/jpeg"), ("tiny.jpg", photo(60, 40), "image/jpeg")]
    large, small = upload(as_customer, ticket.id, *files).json
    with app.app_context():  # as stored before migration 0021: no preview
        row = db.session.get(Attachment, large["id"])
        storage_for(app).delete(row.preview_key)
        row.preview_key = None
        db.session.commit()
        db.session.remove()
    assert len(stored_keys(app)) == 2

    first = CliRunner().invoke(previews_command, obj=_script_info(app))
    again = CliRunner().invoke(previews_command, obj=_script_info(app))

    assert first.exit_code == 0, first.output
    assert "Read 2 image(s) without a preview; made 1 preview(s)." in first.output
    assert "Read 1 image(s) without a preview; made 0 preview(s)." in again.output
    assert len(stored_keys(app)) == 3
    picture, _ = preview_of(as_customer, large["id"])
    assert picture.format == "WEBP" and picture.size == (640, 480)
