"""The rows a ticket's writes add (the ticket, a comment, a history entry), written
inside the caller's write turn at the least cost in Python."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from ticketdesk.models import (
    Comment,
    EventKind,
    Priority,
    Queue,
    Ticket,
    TicketStatus,
    User,
    utcnow,
)
from ticketdesk.services import ticket_fields as fields
from ticketdesk.services import ticket_queries as queries
from ticketdesk.services.ticket_values import refuse_deleted_queue
from ticketdesk.services.workflow import REOPENED_BY_CUSTOMER_REPLY


def insert_ticket(
    session: Session,
    requester: User,
    queue: Queue,
    *,
    title: str,
    description: str,
    priority: Priority | None,
) -> Ticket:
    """The new ticket's row, and the ticket as the ORM would have loaded it.

    All of this runs inside SQLite's write turn. A unit-of-work flush, or an ORM
    INSERT … RETURNING, spends more than twice as long in Python as inserting the
    row and building the object from the values it was given.
    """
    now = utcnow()
    values = {
        "title": title,
        "description": description,
        "priority": Priority(priority) if priority else Priority.NORMAL,
        "queue_id": queue.id,
        "requester_id": requester.id,
        "assignee_id": None,
        "status": TicketStatus.OPEN,
        "created_at": now,
        "updated_at": now,
        "resolved_at": None,
        "closed_at": None,
        "version": 1,
    }
    try:
        inserted = session.connection().execute(queries.INSERT_TICKET, values)
    except IntegrityError:
        refuse_deleted_queue(session, queue.id)
        raise
    ticket_id = inserted.scalar_one()
    ticket = Ticket(id=ticket_id, **values)
    make_transient_to_detached(ticket)  # every column as stored: nothing to reload
    session.add(ticket)
    set_committed_value(ticket, "requester", requester)
    set_committed_value(ticket, "assignee", None)
    set_committed_value(ticket, "queue", queue)
    return ticket


def insert_comment(
    session: Session, actor: User, ticket: Ticket, body: str, *, internal: bool, at
) -> tuple[Comment, bool]:
    """The comment's row and history entry; whether a customer's reply reopened the
    ticket (its status changed too)."""
    comment = Comment(
        ticket_id=ticket.id, author_id=actor.id, body=body, internal=internal, created_at=at
    )
    session.add(comment)
    session.flush()
    kind = EventKind.INTERNAL_NOTE if internal else EventKind.COMMENT
    record_event(session, ticket, actor, kind, None, str(comment.id), at=at)
    reopened = not actor.is_staff and ticket.status in REOPENED_BY_CUSTOMER_REPLY
    if reopened:
        old_status = ticket.status
        record_event(session, ticket, actor, EventKind.STATUS, old_status, TicketStatus.OPEN, at=at)
        ticket.status = TicketStatus.OPEN
        fields.stamp_status(ticket, TicketStatus.OPEN, at)
        ticket.updated_at = at
    else:
        # Activity moves the ticket up the "recently updated" list without bumping
        # its version: a reply does not make someone's open edit form stale.
        session.execute(
            update(Ticket)
            .where(Ticket.id == ticket.id)
            .values(updated_at=at)
            .execution_options(synchronize_session=False)
        )
    return comment, reopened


def record_event(
    session: Session, ticket: Ticket, actor: User, kind: EventKind, old, new, *, at
) -> None:
    """Add an entry to the ticket's history, inside the caller's write."""
    # On the connection, so that the change itself is not flushed ahead of its other fields.
    values = {"ticket_id": ticket.id, "actor_id": actor.id, "kind": kind, "at": at}
    values |= {"old_value": fields.as_text(old), "new_value": fields.as_text(new)}
    session.connection().execute(queries.INSERT_EVENT, values)
