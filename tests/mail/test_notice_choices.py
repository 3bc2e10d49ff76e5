"""The notices each staff member chose: the Notifier writes only those to the outbox."""

from __future__ import annotations

import pytest

from tests.mail.test_notifications import kinds
from ticketdesk.models import NewTicketNotices, TicketStatus
from ticketdesk.services import notice_choices, queue_manager, ticket_manager

ALL, QUEUES, NONE = NewTicketNotices


@pytest.fixture
def sales(mail_app, factory, admin) -> int:
    """The id of a second queue, beside the default one."""
    with mail_app.app_context():
        return queue_manager().create_queue(factory.load(admin), name="Sales").id


def choose(mail_app, factory, person, **choice) -> None:
    with mail_app.app_context():
        notice_choices().choose(factory.load(person), **choice)


def told_of_new_ticket(outbox, ticket) -> list[str]:
    return [row["recipient"] for row in outbox(ticket_id=ticket.id, kind="new_ticket_staff")]


def test_staff_who_chose_no_new_tickets_are_not_told_of_them(
    mail_app, outbox, factory, staff, admin, customer
):
    choose(mail_app, factory, staff, new_tickets=NONE)
    ticket = factory.ticket(customer)
    assert told_of_new_ticket(outbox, ticket) == [admin.email]


def test_staff_who_chose_queues_are_told_only_of_new_tickets_in_them(
    mail_app, outbox, factory, staff, admin, customer, sales
):
    choose(mail_app, factory, staff, new_tickets=QUEUES, queue_ids=[sales])
    in_general = factory.ticket(customer)
    in_sales = factory.ticket(customer, queue_id=sales)
    assert told_of_new_ticket(outbox, in_general) == [admin.email]
    assert sorted(told_of_new_ticket(outbox, in_sales)) == sorted([admin.email, staff.email])


def test_queues_chosen_count_only_while_new_tickets_are_limited_to_them(
    mail_app, outbox, factory, staff, admin, customer, sales
):
    choose(mail_app, factory, staff, new_tickets=QUEUES, queue_ids=[sales])
    choose(mail_app, factory, staff, new_tickets=ALL)
    assert staff.email in told_of_new_ticket(outbox, factory.ticket(customer))
    choose(mail_app, factory, staff, new_tickets=NONE)
    assert told_of_new_ticket(outbox, factory.ticket(customer, queue_id=sales)) == [admin.email]


def test_the_setting_off_tells_no_staff_whatever_they_chose(
    mail_app, outbox, factory, staff, customer, sales
):
    mail_app.config["MAIL_NOTIFY_STAFF_ON_NEW_TICKET"] = False
    choose(mail_app, factory, staff, new_tickets=QUEUES, queue_ids=[sales])
    ticket = factory.ticket(customer, queue_id=sales)
    assert kinds(outbox(ticket_id=ticket.id)) == [("ticket_created", customer.email)]


def test_a_deactivated_staff_member_is_told_nothing_whatever_they_chose(
    mail_app, outbox, factory, staff, admin, customer, sales
):
    choose(mail_app, factory, staff, new_tickets=QUEUES, queue_ids=[sales])
    factory.deactivate(staff)
    assert told_of_new_ticket(outbox, factory.ticket(customer, queue_id=sales)) == [admin.email]


def test_a_customers_reply_on_an_unassigned_ticket_follows_the_new_ticket_choice(
    mail_app, outbox, factory, staff, admin, customer
):
    ticket = factory.ticket(customer)
    choose(mail_app, factory, staff, new_tickets=NONE)
    with mail_app.app_context():
        ticket_manager().add_comment(factory.load(customer), ticket.id, body="Any news?")
    assert kinds(outbox(kind="comment_added")) == [("comment_added", admin.email)]


def assigned_to(mail_app, factory, ticket, admin, staff) -> None:
    with mail_app.app_context():
        ticket_manager().assign_ticket_to_staff(factory.load(admin), ticket.id, staff.id)


def test_staff_who_turned_off_assigned_notices_are_not_told_of_an_assignment(
    mail_app, outbox, factory, staff, admin, customer
):
    choose(mail_app, factory, staff, assigned_to_me=False)
    ticket = factory.ticket(customer)
    assigned_to(mail_app, factory, ticket, admin, staff)
    assert outbox(kind="ticket_assigned") == []
    choose(mail_app, factory, staff, assigned_to_me=True)
    assigned_to(mail_app, factory, factory.ticket(customer), admin, staff)
    assert kinds(outbox(kind="ticket_assigned")) == [("ticket_assigned", staff.email)]


def test_nor_of_the_customers_replies_and_reopening_while_the_customer_still_hears_back(
    mail_app, outbox, factory, staff, admin, customer
):
    ticket = factory.ticket(customer)
    assigned_to(mail_app, factory, ticket, admin, staff)
    choose(mail_app, factory, staff, assigned_to_me=False)
    before = len(outbox(ticket_id=ticket.id))
    with mail_app.app_context():
        manager = ticket_manager()
        manager.add_comment(factory.load(customer), ticket.id, body="Still broken.")
        manager.update_ticket_status(factory.load(staff), ticket.id, TicketStatus.RESOLVED)
        manager.update_ticket_status(factory.load(customer), ticket.id, TicketStatus.OPEN)
        manager.add_comment(factory.load(staff), ticket.id, body="Looking again.")
    sent = kinds(outbox(ticket_id=ticket.id)[before:])
    assert [kind for kind, to in sent if to == staff.email] == []
    assert ("ticket_resolved", customer.email) in sent
    assert ("comment_added", customer.email) in sent
