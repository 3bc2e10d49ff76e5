"""Statements every ticket page and change runs, built once.

Built at import, so SQLAlchemy computes their cache keys once rather than per request.
"""

from __future__ import annotations

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import joinedload

from ticketdesk.models import Comment, EventKind, Queue, Ticket, TicketEvent

# History entries only staff see: internal notes, and how each mail was threaded.
STAFF_ONLY_EVENTS = (EventKind.INTERNAL_NOTE, EventKind.MAIL)

TICKET_WITH_PEOPLE = (
    select(Ticket)
    .options(joinedload(Ticket.requester), joinedload(Ticket.assignee))
    .where(Ticket.id == bindparam("ticket_id"))
)
CONVERSATION = (
    select(Comment)
    .options(joinedload(Comment.author))
    .where(Comment.ticket_id == bindparam("ticket_id"))
    .order_by(Comment.id)
)
PUBLIC_CONVERSATION = CONVERSATION.where(Comment.internal.is_(False))
HISTORY = (
    select(TicketEvent)
    .where(TicketEvent.ticket_id == bindparam("ticket_id"))
    .order_by(TicketEvent.id)
)
PUBLIC_HISTORY = HISTORY.where(TicketEvent.kind.not_in(STAFF_ONLY_EVENTS))
QUEUE_BY_SLUG = select(Queue).where(Queue.slug == bindparam("slug"))
# History rows are only ever appended: inserted as rows, not tracked as objects.
INSERT_EVENT = insert(TicketEvent.__table__)
# A new ticket is one row, its id returned (see TicketManager.create_ticket).
INSERT_TICKET = insert(Ticket.__table__).returning(Ticket.__table__.c.id)
