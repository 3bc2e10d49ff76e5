"""A reply or note that sets the ticket's status: both saved together, or neither."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ticketdesk.extensions import db
from ticketdesk.models import Comment, EventKind, Ticket, TicketEvent, TicketStatus
from ticketdesk.services import ticket_manager
from ticketdesk.services.errors import InvalidTransition, PermissionDenied, StaleVersion
from ticketdesk.services.tickets import StatusChange


@pytest.fixture(autouse=True)
def _in_app(app, ticket):
    with app.app_context():
        yield
        db.session.remove()


def _comments(ticket_id: int) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).where(Comment.ticket_id == ticket_id))


def _ticket(ticket_id: int) -> Ticket:
    db.session.rollback()
    return db.session.get(Ticket, ticket_id)


@pytest.mark.parametrize("internal", [False, True])
def test_staff_reply_sets_the_status_in_the_same_change(factory, staff, ticket, internal):
    tickets, sam = ticket_manager(), factory.load(staff)
    tickets.add_comment(
        sam,
        ticket.id,
        body="Over to you",
        internal=internal,
        then=StatusChange(TicketStatus.WAITING, expected_version=1),
    )
    stored = _ticket(ticket.id)
    assert (stored.status, stored.version) == (TicketStatus.WAITING, 2)
    kinds = db.session.scalars(
        select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    ).all()
    said = EventKind.INTERNAL_NOTE if internal else EventKind.COMMENT
    assert kinds == [EventKind.CREATED, said, EventKind.STATUS]


def test_status_the_workflow_refuses_saves_no_reply_either(factory, staff, ticket):
    tickets, sam = ticket_manager(), factory.load(staff)
    tickets.update_ticket_status(sam, ticket.id, TicketStatus.CLOSED)
    with pytest.raises(InvalidTransition):
        tickets.add_comment(
            sam, ticket.id, body="Waiting on you", then=StatusChange(TicketStatus.WAITING)
        )
    assert _comments(ticket.id) == 0
    assert _ticket(ticket.id).status == TicketStatus.CLOSED


def test_status_chosen_on_a_since_changed_ticket_saves_no_reply(factory, staff, ticket):
    tickets, sam = ticket_manager(), factory.load(staff)
    tickets.update_ticket(sam, ticket.id, {"priority": "high"})  # version 2 now
    with pytest.raises(StaleVersion):
        tickets.add_comment(
            sam, ticket.id, body="Solved", then=StatusChange(TicketStatus.RESOLVED, 1)
        )
    assert _comments(ticket.id) == 0
    assert _ticket(ticket.id).status == TicketStatus.OPEN


def test_reply_without_a_status_change_leaves_the_version(factory, staff, ticket):
    ticket_manager().add_comment(factory.load(staff), ticket.id, body="Looking")
    assert _ticket(ticket.id).version == 1


def test_customer_cannot_set_a_status_with_a_reply(factory, customer, ticket):
    with pytest.raises(PermissionDenied):
        ticket_manager().add_comment(
            factory.load(customer), ticket.id, body="Done", then=StatusChange(TicketStatus.CLOSED)
        )
    assert _comments(ticket.id) == 0
