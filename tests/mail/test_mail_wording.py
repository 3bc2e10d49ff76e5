"""What mails to people say: how to get in when they have no password, and the wording."""

from __future__ import annotations

import email
from email.message import Message

from tests.mail.test_notifications import phoned_in
from ticketdesk.models import TicketStatus
from ticketdesk.services import ticket_manager

FORGOT = "http://127.0.0.1:8000/forgot-password"


def parts(content: str) -> tuple[str, str]:
    """The plain-text and HTML bodies of a composed message, decoded."""
    message: Message = email.message_from_string(content)
    bodies = {
        part.get_content_type(): part.get_payload(decode=True).decode().replace("\r\n", "\n")
        for part in message.walk()
        if not part.is_multipart()
    }
    return bodies["text/plain"], bodies["text/html"]


def test_a_caller_without_a_password_is_told_how_to_choose_one(mail_app, outbox, staff, factory):
    phoned_in(mail_app, factory, staff)
    text, html = parts(outbox(kind="ticket_created")[0]["content"])
    assert f"you have none yet: choose one at {FORGOT}" in " ".join(text.split())
    assert "or see it at" not in text
    assert f'<a href="{FORGOT}">choose one</a>' in html


def test_every_ticket_mail_to_someone_without_a_password_says_so(mail_app, outbox, staff, factory):
    ticket_id = phoned_in(mail_app, factory, staff)
    with mail_app.app_context():
        ticket_manager().add_comment(factory.load(staff), ticket_id, body="Try turning it off.")
    text, _ = parts(outbox(kind="comment_added")[0]["content"])
    assert FORGOT in text


def test_someone_with_a_password_is_sent_to_the_ticket_page(mail_app, outbox, customer, factory):
    ticket = factory.ticket(customer, title="Printer on fire")
    text, html = parts(outbox(kind="ticket_created")[0]["content"])
    assert f"or see it at http://127.0.0.1:8000/tickets/{ticket.id}" in text
    assert "forgot-password" not in text + html


def test_an_acknowledgement_starts_its_sentence_with_a_capital(mail_app, outbox, customer, factory):
    factory.ticket(customer, title="Printer on fire")
    text, html = parts(outbox(kind="ticket_created")[0]["content"])
    assert "Hello Carla Customer,\n\nWe have received your request" in text
    assert "<p>We have received your request" in html


def test_a_resolved_notice_starts_its_sentence_with_a_capital(
    mail_app, outbox, staff, customer, factory
):
    ticket = factory.ticket(customer, title="Printer on fire")
    with mail_app.app_context():
        ticket_manager().update_ticket_status(factory.load(staff), ticket.id, TicketStatus.RESOLVED)
    text, html = parts(outbox(kind="ticket_resolved")[0]["content"])
    assert f"Your ticket #{ticket.id} has been resolved" in text
    assert f"<p>Your ticket #{ticket.id} has been resolved" in html
