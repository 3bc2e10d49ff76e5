"""Files attached to mail are stored on the ticket or reply they arrive with."""

from __future__ import annotations

import io
import json
from email.message import EmailMessage
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from tests.mail.conftest import SUPPORT, corpus
from ticketdesk.models import Attachment, Comment, InboundMessage, Ticket

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
CORPUS = Path(__file__).parent / "corpus"


def mail_with(sender: str, files: list[tuple[str, str, bytes]], **headers) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = SUPPORT
    mail["Subject"] = headers.pop("subject", "Screenshot attached")
    mail["Message-ID"] = headers.pop("message_id", f"<{len(files)}-{sender}@x.com>")
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content("Here is what I see.")
    for filename, content_type, payload in files:
        maintype, subtype = content_type.split("/")
        mail.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(mail)


def stored_files(inspect_db) -> list[tuple[str, str, int, int | None]]:
    return inspect_db(
        lambda s: [
            (a.filename, a.content_type, a.size, a.comment_id)
            for a in s.scalars(select(Attachment).order_by(Attachment.id))
        ]
    )


def test_corpus_attachment_is_stored_on_the_new_ticket(receive, inspect_db):
    result = receive((CORPUS / "attachment.eml").read_bytes())
    assert result.outcome == "ticket"
    assert stored_files(inspect_db) == [("invoice-2026.pdf", "application/octet-stream", 48, None)]
    log = inspect_db(lambda s: s.scalar(select(InboundMessage.attachments)))
    assert "invoice-2026.pdf" in log and "JVBERi0" not in log


def test_files_on_a_reply_belong_to_its_comment(receive, inspect_db, customer):
    first = receive(mail_with(customer.email, [], message_id="<start@x.com>"))
    reply = mail_with(
        customer.email,
        [("screen.png", "image/png", PNG)],
        subject=f"Re: [#{first.ticket_id}] Screenshot attached",
        message_id="<reply@x.com>",
        in_reply_to="<start@x.com>",
    )
    result = receive(reply)
    assert result.outcome == "comment"
    assert stored_files(inspect_db) == [("screen.png", "image/png", len(PNG), result.comment_id)]


def test_files_over_the_limits_are_listed_and_the_rest_stored(mail_app, receive, inspect_db):
    mail_app.config["ATTACHMENT_MAX_FILE_SIZE"] = 1000
    mail_app.config["ATTACHMENT_MAX_FILES"] = 1
    files = [
        ("huge.bin", "application/octet-stream", b"x" * 5000),
        ("a.png", "image/png", PNG),
        ("b.png", "image/png", PNG),
    ]
    result = receive(mail_with("dana@example.com", files))
    assert result.outcome == "ticket"
    assert [name for name, *_ in stored_files(inspect_db)] == ["a.png"]
    text = inspect_db(lambda s: s.get(Ticket, result.ticket_id).description)
    assert "huge.bin (application/octet-stream, 5000 bytes)" in text
    assert "b.png (image/png" in text and "a.png" not in text


def test_a_reply_past_the_ticket_total_keeps_its_text(mail_app, receive, inspect_db, customer):
    mail_app.config["ATTACHMENT_MAX_TICKET_TOTAL"] = len(PNG) + 10
    first = receive(mail_with(customer.email, [("one.png", "image/png", PNG)]))
    reply = mail_with(
        customer.email,
        [("two.png", "image/png", PNG)],
        subject=f"Re: [#{first.ticket_id}] more",
        message_id="<more@x.com>",
    )
    result = receive(reply)
    assert result.outcome == "comment"
    assert [name for name, *_ in stored_files(inspect_db)] == ["one.png"]
    body = inspect_db(lambda s: s.get(Comment, result.comment_id).body)
    assert "two.png (image/png" in body


def test_a_photo_sent_by_mail_gets_its_preview(receive, inspect_db):
    photo = io.BytesIO()
    Image.new("RGB", (1600, 1200), "teal").save(photo, "JPEG")
    result = receive(mail_with("dana@example.com", [("IMG_7.jpg", "image/jpeg", photo.getvalue())]))

    assert result.outcome == "ticket"
    stored = select(Attachment.storage_key, Attachment.preview_key)
    image, preview = inspect_db(lambda s: s.execute(stored).one())
    assert image and preview and image != preview


def test_a_mail_forwarded_as_an_attachment_is_stored_whole(receive, inspect_db):
    forwarded = EmailMessage()
    forwarded["From"] = "bank@example.org"
    forwarded["Subject"] = "Your invoice 4711"
    forwarded.set_content("Invoice body")
    mail = EmailMessage()
    mail["From"] = "dana@example.com"
    mail["To"] = SUPPORT
    mail["Subject"] = "Fwd: invoice problem"
    mail.set_content("Please look at the forwarded mail.")
    mail.add_attachment(forwarded)  # no filename: named after its subject
    mail.add_attachment(forwarded, filename="invoice.eml")
    result = receive(bytes(mail))
    assert result.outcome == "ticket"
    files = stored_files(inspect_db)
    assert [name for name, *_ in files] == ["Your invoice 4711.eml", "invoice.eml"]
    content = inspect_db(lambda s: s.scalars(select(Attachment)).first())
    assert content.size == files[0][2] > len("Invoice body")
    text = inspect_db(lambda s: s.get(Ticket, result.ticket_id).description)
    assert "not stored" not in text


def filenames_kept(inspect_db, ticket_id) -> tuple[list[str], list[str], str]:
    """The files stored, the files named in the mail log, and the ticket's text."""
    stored = [name for name, *_ in stored_files(inspect_db)]
    log = inspect_db(lambda s: s.scalar(select(InboundMessage.attachments)))
    logged = [entry["filename"] for entry in json.loads(log or "[]")]
    return stored, logged, inspect_db(lambda s: s.get(Ticket, ticket_id).description)


@pytest.mark.parametrize(
    "name, files",
    [
        ("apple_mail_attachment.eml", ["invoice-4711.pdf"]),  # alternative > mixed
        ("ios_inline_image.eml", ["Screenshot 2026-11-24.png"]),  # alternative > related
    ],
)
def test_files_nested_below_the_text_are_stored(receive, inspect_db, name, files):
    result = receive(corpus(name))
    assert result.outcome == "ticket"
    stored, logged, text = filenames_kept(inspect_db, result.ticket_id)
    assert stored == logged == files
    assert "not stored" not in text and "<html" not in text


@pytest.mark.parametrize(
    "name, files",
    [("smime_signed.eml", ["contract-2026.pdf"]), ("pgp_signed.eml", ["sync.log"])],
)
def test_signed_mail_keeps_its_files_but_not_the_signature(receive, inspect_db, name, files):
    result = receive(corpus(name))
    assert result.outcome == "ticket"
    stored, logged, text = filenames_kept(inspect_db, result.ticket_id)
    assert stored == logged == files
    assert "not stored" not in text


def test_a_filename_labelled_latin1_is_read_as_windows_1252(receive, inspect_db):
    result = receive(corpus("windows1252_as_ascii.eml"))
    assert result.outcome == "ticket"
    assert [name for name, *_ in stored_files(inspect_db)] == ["Preise in €.txt"]


def test_a_long_filename_is_shortened_keeping_its_extension(receive, inspect_db):
    name = "Quarterly report " + "x" * 250 + ".xlsx"
    result = receive(mail_with("dana@example.com", [(name, "application/octet-stream", b"PK")]))
    assert result.outcome == "ticket"
    [(stored, *_)] = stored_files(inspect_db)
    assert stored == name[:195] + ".xlsx"
