"""Files reach people who only read mail: a notification links its message's files, and
each link opens the file, without signing in, for the person it was sent to."""

from __future__ import annotations

import io
import re
import time
from datetime import timedelta

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


def test_a_link_stops_working_when_its_lifetime_is_over():
    links = FileLinks("secret", timedelta(days=30))
    token = links.token(7, 3)
    assert links.holder(token, 7) == 3
    assert links.holder(token, 8) is None
    assert FileLinks("another secret").holder(token, 7) is None

    time.sleep(1.1)  # itsdangerous stamps whole seconds
    assert FileLinks("secret", timedelta(seconds=0)).holder(token, 7) is None
