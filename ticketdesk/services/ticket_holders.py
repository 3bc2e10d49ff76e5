"""The unresolved tickets someone holds, counted and let go when they can hold none."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ticketdesk.models import ACTIVE_STATUSES, EventKind, Ticket, User
from ticketdesk.services import ticket_queries as queries


def tickets_held_by(session: Session, holder_id: int) -> int:
    """How many unresolved tickets someone holds: what `release_tickets_of` would unassign."""
    tickets = Ticket.__table__
    held = (
        select(func.count())
        .select_from(tickets)
        .where(tickets.c.assignee_id == holder_id, tickets.c.status.in_(ACTIVE_STATUSES))
    )
    return session.scalar(held)


def release_tickets_of(session: Session, actor: User, holder_id: int, *, at) -> None:
    """Unassign the unresolved tickets of someone who can no longer hold them (deactivated,
    or no longer staff), in the caller's transaction, each with its history entry.

    Left assigned, they were on no one's list: the team's counts and filters offer only
    active staff. Resolved and closed tickets keep who handled them.
    """
    tickets = Ticket.__table__
    released = (
        update(tickets)
        .where(tickets.c.assignee_id == holder_id, tickets.c.status.in_(ACTIVE_STATUSES))
        .values(assignee_id=None, updated_at=at, version=tickets.c.version + 1)
        .returning(tickets.c.id)
    )
    ticket_ids = list(session.scalars(released))
    if not ticket_ids:
        return
    event = {"actor_id": actor.id, "kind": EventKind.ASSIGNEE, "at": at}
    event |= {"old_value": str(holder_id), "new_value": None}
    session.execute(
        queries.INSERT_EVENT, [event | {"ticket_id": ticket_id} for ticket_id in ticket_ids]
    )
