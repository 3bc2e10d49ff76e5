"""Numbers about tickets for dashboards: how many are in each status."""

from __future__ import annotations

from sqlalchemy import func, select

from ticketdesk.extensions import db
from ticketdesk.models import Ticket, TicketStatus, User


def count_by_status(actor: User) -> dict[TicketStatus, int]:
    """How many tickets the actor may see are in each status (every status present, maybe 0)."""
    query = select(Ticket.status, func.count()).group_by(Ticket.status)
    if not actor.is_staff:
        query = query.where(Ticket.requester_id == actor.id)
    counts = dict.fromkeys(TicketStatus, 0)
    for status, count in db.session.execute(query):
        counts[TicketStatus(status)] = count
    return counts
