"""Attachments through the API: limits, storage names, access, and safe downloads."""

from __future__ import annotations

import io
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.attachments.conftest import unreachable_bucket
from ticketdesk.app import create_app
from ticketdesk.cli import cleanup_command
from ticketdesk.extensions import db
from ticketdesk.mail.worker import Chore, do_due_chores, worker_chores
from ticketdesk.security.downloads import content_disposition
from ticketdesk.services import outbox_manager, ticket_manager
from ticketdesk.services.attachments import attachment_manager, clean_filename
from ticketdesk.sizes import readable_size
from ticketdesk.storage import S3Storage, StorageUnavailable, storage_for

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
HOSTILE_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"/>'


def upload(api, ticket_id, *files, **fields):
    data = {**fields, "file": [(io.BytesIO(body), name, ctype) for name, body, ctype in files]}
    return api.post(
        f"/api/v1/tickets/{ticket_id}/attachments", data=data, content_type="multipart/form-data"
    )


def fetch(api, attachment_id):
    """Download a file and close the response (and so the stored file) at once."""
    response = api.get(f"/api/v1/attachments/{attachment_id}/content")
    response.get_data()
    response.close()
    return response


def add_comment(app, factory, author, ticket, body, *, internal=False) -> int:
    with app.app_context():
        manager = ticket_manager()
        comment = manager.add_comment(factory.load(author), ticket.id, body=body, internal=internal)
        comment_id = comment.id
        db.session.remove()
    return comment_id


def stored_keys(app) -> list[str]:
    """What the app's storage holds (a folder or a bucket), by key."""
    return sorted(key for key, _ in storage_for(app).list())


def test_upload_then_download_png_inline(as_customer, ticket):
    created = upload(as_customer, ticket.id, ("photo.png", PNG, "image/png"))

    assert created.status_code == 201, created.json
    [attachment] = created.json
    assert attachment["content_type"] == "image/png"
    assert attachment["size"] == len(PNG)
    download = fetch(as_customer, attachment["id"])
    assert download.status_code == 200
    assert download.data == PNG
    assert download.mimetype == "image/png"
    assert download.headers["Content-Disposition"].startswith("inline;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_hostile_svg_is_never_rendered(as_customer, ticket):
    created = upload(as_customer, ticket.id, ("cat.svg", HOSTILE_SVG, "image/svg+xml"))
    attachment = created.json[0]

    download = fetch(as_customer, attachment["id"])

    assert attachment["content_type"] == "application/octet-stream"
    assert download.mimetype == "application/octet-stream"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]


def test_html_claiming_to_be_png_is_a_download(as_customer, ticket):
    created = upload(as_customer, ticket.id, ("x.png", b"<script>alert(1)</script>", "image/png"))

    download = fetch(as_customer, created.json[0]["id"])

    assert download.mimetype == "application/octet-stream"
    assert download.headers["Content-Disposition"].startswith("attachment;")


def test_traversal_filename_is_metadata_only(app, as_customer, ticket):
    created = upload(as_customer, ticket.id, ("../../../etc/passwd", b"root:x:0:0", "text/plain"))

    assert created.status_code == 201
    assert created.json[0]["filename"] == "passwd"
    [key] = stored_keys(app)
    assert re.fullmatch("[0-9a-f]{32}", key)
    assert not (Path(app.instance_path).parent / "etc").exists()


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("report\u202egpj.exe", "reportgpj.exe"),
        ("ﬁle\u200bname.txt", "filename.txt"),
        ("..", "attachment"),
        ("", "attachment"),
    ],
)
def test_filenames_are_normalised(as_customer, ticket, given, kept):
    created = upload(as_customer, ticket.id, (given, b"data", "text/plain"))

    assert created.json[0]["filename"] == kept


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("..\\..\\windows\\evil.exe", "evil.exe"),
        ("C:\\x\\.htaccess", "htaccess"),
        ("ﬁle\x00name\r\n.txt", "filename.txt"),
        (None, "attachment"),
    ],
)
def test_clean_filename_drops_windows_paths(given, kept):
    assert clean_filename(given) == kept


@pytest.mark.parametrize(
    ("size", "written"),
    [
        (0, "0 bytes"),
        (1023, "1023 bytes"),
        (1536, "1.5 KB"),
        (1000 * 1024, "1000 KB"),
        (25 * 1024**2, "25 MB"),
        (int(9.96 * 1024**2), "10 MB"),
        (118 * 1024**2 + 5, "118 MB"),
        (3 * 1024**3, "3 GB"),
    ],
)
def test_sizes_are_written_plainly_in_the_limits_units(size, written):
    assert readable_size(size) == written


def test_download_names_the_file_per_rfc_6266(as_customer, ticket):
    created = upload(as_customer, ticket.id, ("Rapport été 100%.pdf", b"%PDF-1.7", "x/y"))

    disposition = fetch(as_customer, created.json[0]["id"]).headers["Content-Disposition"]

    assert disposition == (
        'attachment; filename="Rapport _t_ 100_.pdf"; '
        "filename*=UTF-8''Rapport%20%C3%A9t%C3%A9%20100%25.pdf"
    )


def test_quotes_cannot_break_out_of_the_disposition():
    assert content_disposition('a"; filename="evil.html', inline=False) == (
        'attachment; filename="a_; filename=_evil.html"; '
        "filename*=UTF-8''a%22%3B%20filename%3D%22evil.html"
    )


def test_other_customer_can_neither_download_nor_upload(as_customer, as_other_customer, ticket):
    created = upload(as_customer, ticket.id, ("a.txt", b"mine", "text/plain"))
    attachment_id = created.json[0]["id"]

    assert fetch(as_other_customer, attachment_id).status_code == 404
    assert as_other_customer.get(f"/api/v1/tickets/{ticket.id}/attachments").status_code == 404
    refused = upload(as_other_customer, ticket.id, ("b.txt", b"x", "text/plain"))
    assert refused.status_code == 404


def test_files_on_internal_notes_are_for_staff_only(
    app, as_customer, as_staff, factory, staff, ticket
):
    note_id = add_comment(app, factory, staff, ticket, "Logs attached", internal=True)
    created = upload(as_staff, ticket.id, ("logs.txt", b"secret", "text/plain"), comment_id=note_id)
    attachment_id = created.json[0]["id"]

    assert fetch(as_staff, attachment_id).status_code == 200
    assert fetch(as_customer, attachment_id).status_code == 404
    assert as_customer.get(f"/api/v1/tickets/{ticket.id}/attachments").json["items"] == []


def events_of(api, ticket_id) -> list[tuple[str, str | None]]:
    items = api.get(f"/api/v1/tickets/{ticket_id}/events").json["items"]
    return [(event["kind"], event["old_value"]) for event in items]


def test_staff_remove_a_file_for_everyone_and_history_says_so(app, as_customer, as_staff, ticket):
    upload(as_customer, ticket.id, ("notes.txt", b"fine", "text/plain"))
    kept_keys = stored_keys(app)
    secret = upload(as_customer, ticket.id, ("card.png", PNG, "image/png")).json[0]

    removed = as_staff.delete(f"/api/v1/attachments/{secret['id']}")

    assert removed.status_code == 204
    assert fetch(as_customer, secret["id"]).status_code == 404
    assert fetch(as_staff, secret["id"]).status_code == 404
    listed = as_customer.get(f"/api/v1/tickets/{ticket.id}/attachments").json["items"]
    assert [item["filename"] for item in listed] == ["notes.txt"]
    assert stored_keys(app) == kept_keys
    assert ("file_removed", "card.png") in events_of(as_staff, ticket.id)
    assert "file_removed" not in [kind for kind, _ in events_of(as_customer, ticket.id)]
    assert as_staff.delete(f"/api/v1/attachments/{secret['id']}").status_code == 404


def test_customers_cannot_remove_files_even_their_own(as_customer, as_other_customer, ticket):
    attachment_id = upload(as_customer, ticket.id, ("a.txt", b"mine", "text/plain")).json[0]["id"]

    assert as_customer.delete(f"/api/v1/attachments/{attachment_id}").status_code == 403
    assert as_other_customer.delete(f"/api/v1/attachments/{attachment_id}").status_code == 404
    assert fetch(as_customer, attachment_id).data == b"mine"


def test_a_file_the_store_cannot_delete_now_is_removed_and_cleaned_up_later(
    app, monkeypatch, as_customer, as_staff, ticket
):
    attachment_id = upload(as_customer, ticket.id, ("a.txt", b"x", "text/plain")).json[0]["id"]
    storage = storage_for(app)

    def unreachable(key):
        raise StorageUnavailable("the store cannot be reached")

    with monkeypatch.context() as patched:
        patched.setattr(storage, "delete", unreachable)
        removed = as_staff.delete(f"/api/v1/attachments/{attachment_id}")
    assert removed.status_code == 204
    assert fetch(as_customer, attachment_id).status_code == 404
    assert len(stored_keys(app)) == 1

    with app.app_context():
        assert attachment_manager().remove_orphans(older_than=timedelta(0)) == 1
    assert stored_keys(app) == []


def test_cannot_attach_to_someone_elses_comment(app, as_customer, factory, staff, ticket):
    reply_id = add_comment(app, factory, staff, ticket, "Hello")

    refused = upload(as_customer, ticket.id, ("a.txt", b"x", "text/plain"), comment_id=reply_id)

    assert refused.status_code == 422


def test_file_over_the_limit_is_413_and_nothing_is_kept(app, as_customer, ticket):
    app.config["ATTACHMENT_MAX_FILE_SIZE"] = 1000

    refused = upload(as_customer, ticket.id, ("big.bin", b"x" * 1500, "application/x"))

    assert refused.status_code == 413
    assert stored_keys(app) == []
    assert as_customer.get(f"/api/v1/tickets/{ticket.id}/attachments").json["items"] == []


def test_a_large_file_over_the_limit_leaves_no_parts_behind(app, as_customer, ticket):
    # Past 8 MB boto3 sends a file in parts; parts of a refused upload would sit in the
    # bucket, unlisted and billed, where `ticketdesk cleanup` cannot see them.
    app.config["ATTACHMENT_MAX_FILE_SIZE"] = 12 * 1024 * 1024

    # Encoded in memory: the test client spools a large form to a file it never closes.
    big = FileStorage(io.BytesIO(b"x" * 20 * 1024 * 1024), "big.bin", content_type="app/x")
    boundary, body = encode_multipart({"file": big})
    refused = as_customer.post(
        f"/api/v1/tickets/{ticket.id}/attachments",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )

    assert refused.status_code == 413, refused.json
    assert stored_keys(app) == []
    storage = storage_for(app)
    if isinstance(storage, S3Storage):
        unfinished = storage.client.list_multipart_uploads(Bucket=storage.bucket)
        assert unfinished.get("Uploads", []) == []


def post_unreadable_gigabyte(api, path):
    """POST a multipart body declared as 1 GB whose first read fails the test."""

    class Unreadable(io.BytesIO):
        def read(self, *args):
            raise AssertionError("the body was read")

        readline = readinto = read

    return api.post(
        path,
        input_stream=Unreadable(),
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"CONTENT_LENGTH": str(10**9)},
    )


def test_declared_length_over_the_limit_is_413_before_reading(app, as_customer, ticket):
    app.config["ATTACHMENT_MAX_FILE_SIZE"] = 1000
    app.config["ATTACHMENT_MAX_FILES"] = 1

    response = post_unreadable_gigabyte(as_customer, f"/api/v1/tickets/{ticket.id}/attachments")

    assert response.status_code == 413


def test_too_many_files_is_413(app, as_customer, ticket):
    app.config["ATTACHMENT_MAX_FILES"] = 2

    files = [(f"{n}.txt", b"x", "text/plain") for n in range(3)]

    assert upload(as_customer, ticket.id, *files).status_code == 413


def test_ticket_total_limit_is_413(app, as_customer, ticket):
    app.config["ATTACHMENT_MAX_TICKET_TOTAL"] = 100
    assert upload(as_customer, ticket.id, ("a", b"x" * 60, "text/plain")).status_code == 201

    refused = upload(as_customer, ticket.id, ("b", b"x" * 60, "text/plain"))

    assert refused.status_code == 413
    assert refused.json["errors"] == [
        {
            "field": "file",
            "location": "form",
            "detail": "A ticket's files may come to at most 100 bytes in all.",
        }
    ]
    assert len(stored_keys(app)) == 1


def test_a_field_not_known_is_refused_and_nothing_kept(app, as_customer, ticket):
    refused = upload(as_customer, ticket.id, ("a.txt", b"x", "text/plain"), commentid="1")

    assert refused.status_code == 422
    assert [e["field"] for e in refused.json["errors"]] == ["commentid"]
    assert stored_keys(app) == []


def test_json_body_is_415(as_customer, ticket):
    response = as_customer.post(f"/api/v1/tickets/{ticket.id}/attachments", json={"file": "x"})

    assert response.status_code == 415


def test_cleanup_removes_old_orphans_only(app, as_customer, ticket):
    app.config["ATTACHMENT_ORPHAN_SECONDS"] = 2
    storage = storage_for(app)
    upload(as_customer, ticket.id, ("kept.txt", b"kept", "text/plain"))
    [kept] = stored_keys(app)
    old_orphan, new_orphan = "ab" + "0" * 30, "ab" + "1" * 30
    storage.save(old_orphan, io.BytesIO(b"left by a crash"))
    # Past the orphan age (S3 stamps objects to the second), then an upload in progress.
    time.sleep(2.5)
    storage.save(new_orphan, io.BytesIO(b"an upload in progress"))

    result = CliRunner().invoke(cleanup_command, obj=_script_info(app))

    assert result.exit_code == 0, result.output
    assert "Removed 1" in result.output
    assert stored_keys(app) == sorted([kept, new_orphan])


def test_the_worker_sweeps_orphans_at_its_interval_and_keeps_referenced_files(
    app, as_customer, ticket
):
    app.config |= {"ATTACHMENT_ORPHAN_SECONDS": 0, "ATTACHMENT_SWEEP_SECONDS": 3600}
    storage = storage_for(app)
    upload(as_customer, ticket.id, ("kept.txt", b"kept", "text/plain"))
    [kept] = stored_keys(app)
    first, second = "cd" + "0" * 30, "cd" + "1" * 30
    storage.save(first, io.BytesIO(b"left by a crash"))
    time.sleep(1.1)  # S3 stamps objects to the second

    with app.app_context():
        chores = worker_chores(app.config, outbox_manager, attachment_manager)
        do_due_chores(chores, now=1000.0)
        assert stored_keys(app) == [kept]
        storage.save(second, io.BytesIO(b"left by another"))
        time.sleep(1.1)
        do_due_chores(chores, now=1000.0 + 3599)
        assert stored_keys(app) == sorted([kept, second])
        do_due_chores(chores, now=1000.0 + 3600)
        db.session.remove()
    assert stored_keys(app) == [kept]


def test_a_worker_told_not_to_sweep_leaves_orphans(app):
    app.config |= {"ATTACHMENT_ORPHAN_SECONDS": 0, "ATTACHMENT_SWEEP_SECONDS": 0}
    storage_for(app).save("cd" + "2" * 30, io.BytesIO(b"an orphan"))
    time.sleep(1.1)

    with app.app_context():
        chores = worker_chores(app.config, outbox_manager, attachment_manager)
        do_due_chores(chores, now=1000.0)
        db.session.remove()

    assert [chore.name for chore in chores] == ["housekeeping"]
    assert stored_keys(app) == ["cd" + "2" * 30]


@pytest.mark.parametrize("app_config", [unreachable_bucket()])
def test_a_sweep_of_an_unreachable_store_is_logged_and_the_worker_goes_on(app, caplog):
    ran = []
    with app.app_context():
        chores = worker_chores(app.config, outbox_manager, attachment_manager)
        chores.append(Chore("after", 60, lambda: ran.append(True)))
        do_due_chores(chores, now=1000.0)
        db.session.remove()

    assert ran == [True]
    assert "orphaned files skipped" in caplog.text


def test_a_file_gone_from_storage_is_410_not_a_server_error(app, as_customer, ticket):
    created = upload(as_customer, ticket.id, ("a.txt", b"soon gone", "text/plain"))
    [key] = stored_keys(app)
    storage_for(app).delete(key)

    download = fetch(as_customer, created.json[0]["id"])

    assert download.status_code == 410
    assert download.mimetype == "application/problem+json"


@pytest.mark.parametrize("app_config", [unreachable_bucket()])
def test_an_unreachable_store_is_503_and_nothing_is_kept(as_customer, ticket):
    refused = upload(as_customer, ticket.id, ("a.txt", b"data", "text/plain"))

    assert refused.status_code == 503
    assert refused.headers["Retry-After"]
    assert "cannot be reached" in refused.json["detail"]
    assert as_customer.get(f"/api/v1/tickets/{ticket.id}/attachments").json["items"] == []


@pytest.mark.parametrize("app_config", [{}])
def test_a_folder_that_cannot_be_written_is_503_and_nothing_is_kept(
    app, tmp_path, as_customer, ticket
):
    blocker = tmp_path / "not-a-folder"  # refuses even root, as chattr +i or a read-only disk
    blocker.write_text("")
    app.config["ATTACHMENT_DIR"] = str(blocker)
    app.extensions.pop("ticketdesk.storage", None)

    refused = upload(as_customer, ticket.id, ("a.txt", b"data", "text/plain"))

    assert refused.status_code == 503, refused.json
    assert refused.headers["Retry-After"]
    assert refused.json["detail"].startswith("The attachment folder cannot be written.")
    assert as_customer.get(f"/api/v1/tickets/{ticket.id}/attachments").json["items"] == []


def test_storage_is_made_once_per_app(app):
    # A boto3 client per request would cost each ticket page ~4 ms and a new connection.
    assert storage_for(app) is storage_for(app)


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"ATTACHMENT_STORAGE": "S3"}, "ATTACHMENT_STORAGE='S3' is not valid: expected local"),
        ({"ATTACHMENT_STORAGE": "s3"}, "needs TICKETDESK_S3_BUCKET"),
    ],
)
def test_a_storage_that_cannot_work_stops_the_app_at_start(tmp_path, settings, named):
    database = f"sqlite:///{tmp_path / 'unused.sqlite3'}"

    with pytest.raises(ValueError, match=named):
        create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database, **settings})


def _script_info(app):
    from flask.cli import ScriptInfo

    return ScriptInfo(create_app=lambda: app)


def test_a_tickets_files_come_a_page_at_a_time(as_customer, ticket):
    names = [f"page-{n}.txt" for n in range(5)]
    upload(as_customer, ticket.id, *((name, b"x", "text/plain") for name in names))
    path = f"/api/v1/tickets/{ticket.id}/attachments"

    first = as_customer.get(f"{path}?limit=3").json
    rest = as_customer.get(f"{path}?limit=3&cursor={first['next_cursor']}").json

    assert [f["filename"] for f in first["items"] + rest["items"]] == names
    assert rest["next_cursor"] is None
    assert as_customer.get(f"{path}?cursor=-1").status_code == 422
