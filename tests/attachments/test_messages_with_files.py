"""A new ticket or reply sent through the API with its files: one request, one transaction."""

from __future__ import annotations

import io

from tests.attachments.test_attachments import (
    HOSTILE_SVG,
    PNG,
    fetch,
    post_unreadable_gigabyte,
    stored_keys,
)
from ticketdesk.extensions import db
from ticketdesk.models import Attachment, Comment, Ticket

TICKETS = "/api/v1/tickets"


def send(api, path, *files, headers=None, **fields):
    """POST `fields` and `files` ((name, bytes, type) each) as multipart/form-data."""
    data = {**fields, "file": [(io.BytesIO(body), name, ctype) for name, body, ctype in files]}
    return api.post(path, data=data, content_type="multipart/form-data", headers=headers or {})


def files_of(api, ticket_id) -> list[dict]:
    return api.get(f"{TICKETS}/{ticket_id}/attachments").json["items"]


def count(app, model) -> int:
    with app.app_context():
        return db.session.query(model).count()


def test_a_new_ticket_comes_with_its_files(as_customer):
    created = send(
        as_customer,
        TICKETS,
        ("screen.png", PNG, "image/png"),
        ("../../etc/passwd.svg", HOSTILE_SVG, "image/svg+xml"),
        title="Printer shows an error",
        description="Screenshot attached.",
        priority="high",
    )

    assert created.status_code == 201, created.json
    assert created.json["title"] == "Printer shows an error"
    assert created.json["priority"] == "high"
    files = files_of(as_customer, created.json["id"])
    assert [(f["filename"], f["content_type"], f["comment_id"]) for f in files] == [
        ("screen.png", "image/png", None),
        ("passwd.svg", "application/octet-stream", None),
    ]
    assert fetch(as_customer, files[0]["id"]).data == PNG
    svg = fetch(as_customer, files[1]["id"])
    assert svg.headers["Content-Disposition"].startswith("attachment;")
    assert svg.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_a_reply_comes_with_its_files(as_customer, ticket):
    path = f"{TICKETS}/{ticket.id}/comments"
    created = send(as_customer, path, ("log.txt", b"E42", "text/plain"), body="Log")

    assert created.status_code == 201, created.json
    [attached] = files_of(as_customer, ticket.id)
    assert attached["comment_id"] == created.json["id"]
    assert fetch(as_customer, attached["id"]).data == b"E42"


def test_files_sent_with_an_internal_note_are_for_staff_only(as_customer, as_staff, ticket):
    created = send(
        as_staff,
        f"{TICKETS}/{ticket.id}/comments",
        ("secret.txt", b"staff only", "text/plain"),
        body="Vendor case number inside",
        internal="true",
    )

    assert created.status_code == 201, created.json
    assert created.json["internal"] is True
    [attached] = files_of(as_staff, ticket.id)
    assert fetch(as_staff, attached["id"]).status_code == 200
    assert fetch(as_customer, attached["id"]).status_code == 404
    assert files_of(as_customer, ticket.id) == []


def test_invalid_fields_keep_no_file_and_make_no_ticket(app, as_customer):
    refused = send(as_customer, TICKETS, ("a.txt", b"x", "text/plain"), title="", description="d")

    assert refused.status_code == 422
    assert [(e["field"], e["location"]) for e in refused.json["errors"]] == [("title", "form")]
    assert count(app, Ticket) == 0
    assert stored_keys(app) == []


def test_a_file_under_another_name_is_refused_not_dropped(app, as_customer, ticket):
    data = {"body": "Log attached", "files": (io.BytesIO(b"E42"), "log.txt", "text/plain")}
    path = f"{TICKETS}/{ticket.id}/comments"
    refused = as_customer.post(path, data=data, content_type="multipart/form-data")

    assert refused.status_code == 422
    assert [e["field"] for e in refused.json["errors"]] == ["files"]
    assert "`file` part" in refused.json["errors"][0]["detail"]
    assert count(app, Comment) == 0
    assert stored_keys(app) == []


def test_a_field_sent_twice_is_refused(app, as_customer):
    data = {"title": ["One", "Two"], "description": "d"}
    refused = as_customer.post(TICKETS, data=data, content_type="multipart/form-data")

    assert refused.status_code == 422
    assert refused.json["errors"][0]["field"] == "title"
    assert count(app, Ticket) == 0


def test_a_refused_note_keeps_no_file(app, as_customer, ticket):
    refused = send(
        as_customer,
        f"{TICKETS}/{ticket.id}/comments",
        ("a.txt", b"x", "text/plain"),
        body="Let me write a note",
        internal="true",
    )

    assert refused.status_code == 403
    assert count(app, Comment) == 0
    assert stored_keys(app) == []


def test_a_file_over_the_limit_refuses_the_whole_ticket(app, as_customer):
    app.config["ATTACHMENT_MAX_FILE_SIZE"] = 1000

    refused = send(
        as_customer,
        TICKETS,
        ("small.txt", b"fine", "text/plain"),
        ("big.bin", b"x" * 1500, "application/x"),
        title="Two files",
        description="One too big",
    )

    assert refused.status_code == 413
    assert refused.mimetype == "application/problem+json"
    assert count(app, Ticket) == 0
    assert stored_keys(app) == []


def test_a_reply_over_the_ticket_total_is_refused_whole(app, as_customer, ticket):
    app.config["ATTACHMENT_MAX_TICKET_TOTAL"] = 100
    path = f"{TICKETS}/{ticket.id}/comments"
    assert send(as_customer, path, ("a", b"x" * 60, "text/plain"), body="one").status_code == 201

    refused = send(as_customer, path, ("b", b"x" * 60, "text/plain"), body="two")

    assert refused.status_code == 413
    assert count(app, Comment) == 1
    assert len(stored_keys(app)) == 1


def test_declared_length_over_the_limit_is_413_before_reading(app, as_customer, ticket):
    app.config["ATTACHMENT_MAX_FILE_SIZE"] = 1000
    app.config["ATTACHMENT_MAX_FILES"] = 1

    assert post_unreadable_gigabyte(as_customer, TICKETS).status_code == 413
    comments = f"{TICKETS}/{ticket.id}/comments"
    assert post_unreadable_gigabyte(as_customer, comments).status_code == 413


def test_a_json_body_keeps_the_json_limit(app, as_customer):
    too_long = {"title": "Long", "description": "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)}

    assert as_customer.post(TICKETS, json=too_long).status_code == 413


def test_a_retried_ticket_with_files_is_made_once_and_stores_them_once(app, as_customer):
    headers = {"Idempotency-Key": "with-files-1"}
    files = (("a.txt", b"first", "text/plain"),)
    fields = {"title": "Once", "description": "with a file"}

    first = send(as_customer, TICKETS, *files, headers=headers, **fields)
    again = send(as_customer, TICKETS, *files, headers=headers, **fields)

    assert first.status_code == again.status_code == 201
    assert first.json["id"] == again.json["id"]
    assert count(app, Ticket) == 1
    assert count(app, Attachment) == 1
    assert len(stored_keys(app)) == 1  # the retry's copy was not left behind


def test_the_same_key_with_other_files_is_refused(app, as_customer):
    headers = {"Idempotency-Key": "with-files-2"}
    fields = {"title": "Once", "description": "with a file"}
    send(as_customer, TICKETS, ("a.txt", b"first", "text/plain"), headers=headers, **fields)

    other = send(as_customer, TICKETS, ("a.txt", b"other", "text/plain"), headers=headers, **fields)

    assert other.status_code == 422
    assert other.json["errors"][0]["field"] == "Idempotency-Key"
    assert len(stored_keys(app)) == 1


def test_other_body_types_are_415(as_customer, ticket):
    form = as_customer.post(TICKETS, data={"title": "t", "description": "d"})

    assert form.status_code == 415
    assert "multipart/form-data" in form.json["detail"]
    patch = as_customer.patch(
        f"{TICKETS}/{ticket.id}", data={"title": "t"}, content_type="multipart/form-data"
    )
    assert patch.status_code == 415
