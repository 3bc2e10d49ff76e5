"""Statements every ticket page and change runs, built once.

Built at import, so SQLAlchemy computes their cache keys once rather than per request.
"""

from __future__ import annotations

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import joinedload

from ticketdesk.models import Comment, EventKind, Queue, Ticket, TicketEvent, User

# History entries only staff see: internal notes, how each mail was threaded, and files
# removed (which may have been on an internal note).
STAFF_ONLY_EVENTS = (EventKind.INTERNAL_NOTE, EventKind.MAIL, EventKind.FILE_REMOVED)

TICKET_WITH_PEOPLE = (
    select(Ticket)
    .options(joinedload(Ticket.requester), joinedload(Ticket.assignee))
    .where(Ticket.id == bindparam("ticket_id"))
)
_CONVERSATION = (
    select(Comment)
    .options(joinedload(Comment.author))
    .where(Comment.ticket_id == bindparam("ticket_id"))
)
_HISTORY = select(TicketEvent).where(TicketEvent.ticket_id == bindparam("ticket_id"))
# Who opened a ticket: the actor of its first history entry.
OPENER = (
    select(User.id, User.name)
    .join(TicketEvent, TicketEvent.actor_id == User.id)
    .where(TicketEvent.ticket_id == bindparam("ticket_id"), TicketEvent.kind == EventKind.CREATED)
    .order_by(TicketEvent.id)
    .limit(1)
)


def _pages(query, row, public) -> dict:
    """A ticket's rows a page at a time, by (staff, newest): the bound `limit` after
    `after_id` oldest first, or up to `up_to_id` newest first; customers see `public`."""
    older = query.where(row.id > bindparam("after_id")).order_by(row.id)
    newer = query.where(row.id <= bindparam("up_to_id")).order_by(row.id.desc())
    return {
        (True, False): older.limit(bindparam("limit")),
        (True, True): newer.limit(bindparam("limit")),
        (False, False): older.where(public).limit(bindparam("limit")),
        (False, True): newer.where(public).limit(bindparam("limit")),
    }


CONVERSATION = _pages(_CONVERSATION, Comment, Comment.internal.is_(False))
HISTORY = _pages(_HISTORY, TicketEvent, TicketEvent.kind.not_in(STAFF_ONLY_EVENTS))
QUEUE_BY_SLUG = select(Queue).where(Queue.slug == bindparam("slug"))
QUEUE_EXISTS = select(Queue.id).where(Queue.id == bindparam("queue_id"))
# History rows are only ever appended: inserted as rows, not tracked as objects.
INSERT_EVENT = insert(TicketEvent.__table__)
# A new ticket is one row, its id returned (see TicketManager.create_ticket).
INSERT_TICKET = insert(Ticket.__table__).returning(Ticket.__table__.c.id)
