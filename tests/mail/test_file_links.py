"""Files reach people who only read mail: a notification links its message's files, and
each link opens the file, without signing in, for the person it was sent to."""

from __future__ import annotations

import io
import re
import time
from datetime import timedelta

from itsdangerous import URLSafeTimedSerializer

from ticketdesk.extensions import db
from ticketdesk.services.file_links import FileLinks

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
LINK = re.compile(r"http://127\.0\.0\.1:8000(/files/\d+/[\w.\-]+)")


def send(api, path, *files, **fields):
    data = {**fields, "file": [(io.BytesIO(body), name) for name, body in files]}
    return api.post(path, data=data, content_type="multipart/form-data")


def opened(client, link: str):
    """Open a link without signing in, reading and closing the response (and the file)."""
    response = client.get(link)
    response.get_data()
    response.close()
    return response


def bodies(message) -> tuple[str, str]:
    """The plain-text and HTML bodies of a received message."""
    return tuple(
        message.get_body(preferencelist=(kind,)).get_content() for kind in ("plain", "html")
    )


def links_in(message) -> list[str]:
    text, html = bodies(message)
    found = LINK.findall(text)
    assert found == LINK.findall(html), "the text and HTML bodies link the same files"
    return found


def test_a_staff_reply_links_its_files_for_the_customer(
    mail_app, client, deliver, smtp_server, as_staff, factory, customer
):
    ticket = factory.ticket(customer, title="Invoice question")
    reply = send(
        as_staff,
        f"/api/v1/tickets/{ticket.id}/comments",
        ("invoice.pdf", b"%PDF-1.4 corrected"),
        ("screen.png", PNG),
        body="Here is the corrected invoice.",
    )
    assert reply.status_code == 201, reply.json
    deliver()

    [mail] = [m for m in smtp_server.to(customer.email) if m["Subject"].startswith("Re:")]
    text, _ = bodies(mail)
    assert "invoice.pdf (18 bytes)" in text
    pdf_link, png_link = links_in(mail)
    pdf = opened(client, pdf_link)
    assert pdf.status_code == 200 and pdf.data == b"%PDF-1.4 corrected"
    assert pdf.headers["Content-Disposition"].startswith("attachment;")
    assert pdf.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert opened(client, png_link).mimetype == "image/png"


def test_a_link_works_only_for_its_file_while_its_reader_is_active(
    mail_app, client, deliver, smtp_server, as_staff, factory, customer
):
    ticket = factory.ticket(customer)
    send(as_staff, f"/api/v1/tickets/{ticket.id}/comments", ("a.txt", b"A"), body="one")
    send(as_staff, f"/api/v1/tickets/{ticket.id}/comments", ("b.txt", b"B"), body="two")
    deliver()
    replies = [m for m in smtp_server.to(customer.email) if m["Subject"].startswith("Re:")]
    [first], [second] = (links_in(mail) for mail in replies)

    first_id, first_token = first.split("/")[2:]
    second_id = second.split("/")[2]
    assert opened(client, f"/files/{second_id}/{first_token}").status_code == 404
    forged = first_token[:-2] + ("AA" if not first_token.endswith("AA") else "BB")
    refused = opened(client, f"/files/{first_id}/{forged}")
    assert refused.status_code == 404
    assert "sign in" in refused.get_data(as_text=True)

    assert opened(client, first).status_code == 200
    factory.deactivate(customer)
    assert opened(client, first).status_code == 404


def test_a_customer_reply_links_its_files_for_the_assignee(
    mail_app, client, deliver, smtp_server, as_admin, as_customer, factory, customer, staff
):
    ticket = factory.ticket(customer)
    as_admin.patch(f"/api/v1/tickets/{ticket.id}", json={"assignee_id": staff.id})
    send(as_customer, f"/api/v1/tickets/{ticket.id}/comments", ("log.txt", b"E42"), body="Log")
    deliver()

    [mail] = [m for m in smtp_server.to(staff.email) if m["Subject"].startswith("Re:")]
    [link] = links_in(mail)
    assert opened(client, link).data == b"E42"


def test_a_new_ticket_links_its_files_for_staff_but_not_back_to_its_requester(
    mail_app, deliver, smtp_server, as_customer, customer, staff
):
    mail_app.config["MAIL_STAFF_ADDRESSES"] = {"*": ["team@helpdesk.example.com"]}
    created = send(
        as_customer, "/api/v1/tickets", ("shot.png", PNG), title="Broken", description="See"
    )
    assert created.status_code == 201
    deliver()

    [acknowledgement] = smtp_server.to(customer.email)
    assert "shot.png" not in bodies(acknowledgement)[0]
    # A team mailbox is nobody's account: its link is the ticket page, behind sign-in.
    [notice] = smtp_server.to("team@helpdesk.example.com")
    text, _ = bodies(notice)
    ticket_id = created.json["id"]
    assert f"shot.png (72 bytes): http://127.0.0.1:8000/tickets/{ticket_id}" in text
    assert links_in(notice) == []


def test_a_link_stops_working_when_its_lifetime_is_over(app, customer):
    links = FileLinks("secret", timedelta(days=30))
    token = links.token(7, customer.id, customer.email)

    def reader(links: FileLinks, attachment_id: int = 7) -> int | None:
        with app.app_context():
            user = links.reader(db.session, token, attachment_id)
            db.session.remove()
        return user and user.id

    assert reader(links) == customer.id
    assert reader(links, 8) is None
    assert reader(FileLinks("another secret")) is None

    time.sleep(1.1)  # itsdangerous stamps whole seconds
    assert reader(FileLinks("secret", timedelta(seconds=0))) is None


def test_a_link_ends_when_an_admin_changes_its_readers_address(
    mail_app, client, deliver, smtp_server, as_staff, as_admin, factory, customer
):
    """The mail may have gone to someone else's mailbox: why else correct an address?"""
    link = file_link_mailed_to(customer, factory, as_staff, deliver, smtp_server)
    assert opened(client, link).status_code == 200
    as_admin.patch(f"/api/v1/users/{customer.id}", json={"name": "Carla C. Customer"})
    assert opened(client, link).status_code == 200

    as_admin.patch(f"/api/v1/users/{customer.id}", json={"email": "carla@elsewhere.example"})
    refused = opened(client, link)
    assert refused.status_code == 404 and "sign in" in refused.get_data(as_text=True)
    as_admin.patch(f"/api/v1/users/{customer.id}", json={"email": customer.email})
    assert opened(client, link).status_code == 200, "back at the address it was mailed to"


def test_a_link_mailed_before_links_named_an_address_works_until_the_address_changes(
    mail_app, client, deliver, smtp_server, as_staff, as_admin, factory, customer
):
    """Links already in mailboxes keep working (their readers may have no password), but
    not once the address has changed after they were made."""
    file_id = int(
        file_link_mailed_to(customer, factory, as_staff, deliver, smtp_server).split("/")[2]
    )
    as_admin.patch(f"/api/v1/users/{customer.id}", json={"email": "carla@elsewhere.example"})
    time.sleep(1.1)  # itsdangerous stamps whole seconds
    old_format = URLSafeTimedSerializer("test-secret", salt="ticketdesk.file-link")
    link = f"/files/{file_id}/{old_format.dumps([file_id, customer.id])}"
    assert opened(client, link).status_code == 200, "mailed after the change, to the new address"

    as_admin.patch(f"/api/v1/users/{customer.id}", json={"email": "carla@third.example"})
    assert opened(client, link).status_code == 404


def file_link_mailed_to(person, factory, as_staff, deliver, smtp_server) -> str:
    """The link to a file in a staff reply on a new ticket of `person`'s, as mailed to them."""
    ticket = factory.ticket(person)
    send(as_staff, f"/api/v1/tickets/{ticket.id}/comments", ("a.txt", b"A"), body="File")
    deliver()
    [mail] = [m for m in smtp_server.to(person.email) if m["Subject"].startswith("Re:")]
    [link] = links_in(mail)
    return link


def test_a_file_opened_from_its_link_is_never_cached(
    mail_app, client, deliver, smtp_server, as_staff, factory, customer
):
    link = file_link_mailed_to(customer, factory, as_staff, deliver, smtp_server)
    response = opened(client, link)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
