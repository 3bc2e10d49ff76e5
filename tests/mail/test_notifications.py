"""Notifications: who is told about what, written in the same transaction as the change."""

from __future__ import annotations

import pytest

from tests.mail.conftest import SUPPORT
from tests.mail.test_intake import message
from ticketdesk.mail.tokens import ticket_from_address, ticket_from_message_id
from ticketdesk.models import TicketStatus
from ticketdesk.services import ticket_manager
from ticketdesk.services.contacts import Contact
from ticketdesk.services.errors import ValidationFailed
from ticketdesk.services.tickets import StatusChange


def kinds(rows):
    return [(row["kind"], row["recipient"]) for row in rows]


def test_new_ticket_acknowledges_requester_and_tells_staff(
    mail_app, outbox, staff, customer, factory
):
    ticket = factory.ticket(customer, title="Printer on fire")
    assert kinds(outbox(ticket_id=ticket.id)) == [
        ("ticket_created", customer.email),
        ("new_ticket_staff", staff.email),
    ]


def phoned_in(
    mail_app,
    factory,
    staff,
    *,
    email: str = "cal@example.com",
    description: str = "Smoke from the tray.",
) -> int:
    """The id of a ticket staff open for a caller, by address."""
    with mail_app.app_context():
        ticket = ticket_manager().create_ticket(
            factory.load(staff),
            title="Printer on fire",
            description=description,
            contact=Contact(email, "Cal Caller"),
        )
        return ticket.id


def test_a_caller_new_to_the_helpdesk_is_mailed_the_ticket_number(
    mail_app, outbox, staff, admin, factory
):
    ticket_id = phoned_in(mail_app, factory, staff)
    assert kinds(outbox(ticket_id=ticket_id)) == [
        ("ticket_created", "cal@example.com"),
        ("new_ticket_staff", admin.email),  # not the staff member who opened it
    ]
    ack = outbox(kind="ticket_created")[0]
    assert ack["subject"] == f"[#{ticket_id}] Printer on fire"
    text = ack["content"].replace("=\r\n", "")
    assert f"Sam Staff has opened ticket #{ticket_id} for you" in text
    assert "Smoke from the tray." in text


def test_staff_are_told_who_opened_a_ticket_for_a_caller(mail_app, outbox, staff, admin, factory):
    phoned_in(mail_app, factory, staff)
    notice = outbox(kind="new_ticket_staff")[0]["content"].replace("=\r\n", "")
    assert "from Cal Caller <cal@example.com>, opened by Sam Staff:" in notice


def test_a_callers_reply_to_the_mail_lands_on_their_ticket(
    mail_app, outbox, receive, staff, factory
):
    ticket_id = phoned_in(mail_app, factory, staff)
    ack = outbox(kind="ticket_created")[0]["content"]
    reply_to = next(line for line in ack.splitlines() if line.startswith("Reply-To:"))
    result = receive(
        message("Cal Caller <cal@example.com>", f"Re: [#{ticket_id}] Printer on fire",
                to=reply_to.split(":", 1)[1].strip())
    )  # fmt: skip
    assert (result.outcome, result.ticket_id) == ("comment", ticket_id)


def test_staff_notice_goes_to_configured_queue_addresses(
    mail_app, outbox, staff, customer, factory
):
    mail_app.config["MAIL_STAFF_ADDRESSES"] = {"general": ["Team <team@helpdesk.example.com>"]}
    ticket = factory.ticket(customer)
    assert ("new_ticket_staff", "team@helpdesk.example.com") in kinds(outbox(ticket_id=ticket.id))
    assert ("new_ticket_staff", staff.email) not in kinds(outbox(ticket_id=ticket.id))


def test_staff_notice_can_be_switched_off(mail_app, outbox, staff, customer, factory):
    mail_app.config["MAIL_NOTIFY_STAFF_ON_NEW_TICKET"] = False
    ticket = factory.ticket(customer)
    assert kinds(outbox(ticket_id=ticket.id)) == [("ticket_created", customer.email)]


def test_rolled_back_change_writes_no_mail(mail_app, outbox, customer, factory):
    with mail_app.app_context():
        with pytest.raises(ValidationFailed):
            ticket_manager().create_ticket(
                factory.load(customer), title="x", description="y", queue_id=999
            )
    assert outbox() == []


def test_assignment_tells_the_assignee(mail_app, outbox, admin, staff, customer, factory):
    ticket = factory.ticket(customer)
    with mail_app.app_context():
        ticket_manager().assign_ticket_to_staff(factory.load(admin), ticket.id, staff.id)
    assert ("ticket_assigned", staff.email) in kinds(outbox(ticket_id=ticket.id))


def test_self_assignment_sends_nothing(mail_app, outbox, staff, customer, factory):
    ticket = factory.ticket(customer)
    before = len(outbox())
    with mail_app.app_context():
        ticket_manager().assign_ticket_to_staff(factory.load(staff), ticket.id, staff.id)
    assert len(outbox()) == before


@pytest.mark.parametrize("status", [TicketStatus.RESOLVED, TicketStatus.CLOSED])
def test_resolving_or_closing_tells_the_requester(
    mail_app, outbox, staff, customer, factory, status
):
    ticket = factory.ticket(customer)
    with mail_app.app_context():
        ticket_manager().update_ticket_status(factory.load(staff), ticket.id, status)
    assert kinds(outbox(kind="ticket_resolved")) == [("ticket_resolved", customer.email)]


def test_a_customer_reopening_a_ticket_tells_its_assignee(
    mail_app, outbox, admin, staff, customer, factory
):
    ticket = factory.ticket(customer)
    with mail_app.app_context():
        manager = ticket_manager()
        manager.assign_ticket_to_staff(factory.load(admin), ticket.id, staff.id)
        manager.update_ticket_status(factory.load(staff), ticket.id, TicketStatus.RESOLVED)
        manager.update_ticket_status(factory.load(customer), ticket.id, TicketStatus.OPEN)
    [row] = outbox(kind="ticket_reopened")
    assert (row["recipient"], row["subject"]) == (
        staff.email,
        f"[#{ticket.id}] Reopened: Something broke",
    )
    assert "Carla Customer reopened ticket" in row["content"]


def test_a_customer_reply_that_reopens_a_ticket_says_so_in_the_reply_it_mails(
    mail_app, outbox, admin, staff, customer, factory
):
    ticket = factory.ticket(customer)
    with mail_app.app_context():
        manager = ticket_manager()
        manager.assign_ticket_to_staff(factory.load(admin), ticket.id, staff.id)
        manager.update_ticket_status(factory.load(staff), ticket.id, TicketStatus.RESOLVED)
        manager.add_comment(factory.load(customer), ticket.id, body="It broke again.")
    [row] = outbox(kind="reply_reopened")
    assert (row["recipient"], row["subject"]) == (
        staff.email,
        f"Re: [#{ticket.id}] Reopened: Something broke",
    )
    text = row["content"].replace("=\r\n", "")
    assert "Carla Customer reopened ticket" in text and "It broke again." in text
    assert outbox(kind="comment_added") == outbox(kind="ticket_reopened") == []


def test_a_reply_that_resolves_the_ticket_is_one_mail_saying_both(
    mail_app, outbox, staff, customer, factory
):
    ticket = factory.ticket(customer)
    with mail_app.app_context():
        ticket_manager().add_comment(
            factory.load(staff),
            ticket.id,
            body="Fixed the tray.",
            then=StatusChange(TicketStatus.RESOLVED),
        )
    [row] = outbox(kind="reply_finished")
    assert (row["recipient"], row["subject"]) == (
        customer.email,
        f"Re: [#{ticket.id}] Resolved: Something broke",
    )
    text = row["content"].replace("=\r\n", "")
    assert "Sam Staff replied and marked ticket" in text and "Fixed the tray." in text
    assert outbox(kind="comment_added") == outbox(kind="ticket_resolved") == []


def test_staff_reopening_a_ticket_tells_no_one(mail_app, outbox, staff, customer, factory):
    ticket = factory.ticket(customer)
    with mail_app.app_context():
        manager = ticket_manager()
        manager.update_ticket_status(factory.load(staff), ticket.id, TicketStatus.RESOLVED)
        manager.update_ticket_status(factory.load(staff), ticket.id, TicketStatus.OPEN)
    assert outbox(kind="ticket_reopened") == []


def test_staff_reply_goes_to_requester(mail_app, outbox, staff, customer, factory):
    ticket = factory.ticket(customer)
    with mail_app.app_context():
        ticket_manager().add_comment(factory.load(staff), ticket.id, body="Try turning it off.")
    assert kinds(outbox(kind="comment_added")) == [("comment_added", customer.email)]


def test_internal_note_never_reaches_anyone(mail_app, outbox, staff, customer, factory):
    ticket = factory.ticket(customer)
    with mail_app.app_context():
        ticket_manager().add_comment(factory.load(staff), ticket.id, body="secret", internal=True)
    assert outbox(kind="comment_added") == []
    assert all("secret" not in row["content"] for row in outbox())


def test_customer_reply_goes_to_assignee(mail_app, outbox, admin, staff, customer, factory):
    ticket = factory.ticket(customer)
    with mail_app.app_context():
        ticket_manager().assign_ticket_to_staff(factory.load(admin), ticket.id, staff.id)
        ticket_manager().add_comment(factory.load(customer), ticket.id, body="Still broken.")
    assert kinds(outbox(kind="comment_added")) == [("comment_added", staff.email)]


def test_notification_threads_and_carries_signed_tokens(mail_app, outbox, customer, factory):
    ticket = factory.ticket(customer, title="Printer on fire")
    row = outbox(kind="ticket_created")[0]
    secret = mail_app.config["SECRET_KEY"]
    assert row["subject"] == f"[#{ticket.id}] Printer on fire"
    assert ticket_from_message_id(secret, row["message_id"]) == ticket.id
    assert f"Message-ID: <{row['message_id']}>" in row["content"]
    reply_to = next(line for line in row["content"].splitlines() if line.startswith("Reply-To:"))
    address = reply_to.split(":", 1)[1].strip()
    assert address.startswith("support+t") and address.endswith("@helpdesk.example.com")
    assert ticket_from_address(secret, address) == ticket.id
    assert ticket_from_address("another-key", address) is None
    assert SUPPORT in row["content"]
