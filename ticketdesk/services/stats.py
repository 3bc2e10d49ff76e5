"""Numbers about tickets for dashboards: how many are in each status."""

from __future__ import annotations

from sqlalchemy import func, select

from ticketdesk.extensions import db
from ticketdesk.models import Ticket, TicketStatus, TicketStatusCount, User


def count_by_status(actor: User) -> dict[TicketStatus, int]:
    """How many tickets the actor may see are in each status (every status present, maybe 0).

    Staff see every ticket: their counts are the sums of the few rows the database
    triggers keep (models/counters.py), never a scan of the tickets. A customer's
    own tickets are few and counted through the requester index.
    """
    counts = dict.fromkeys(TicketStatus, 0)
    if actor.is_staff:
        query = select(TicketStatusCount.status, func.sum(TicketStatusCount.total)).group_by(
            TicketStatusCount.status
        )
    else:
        query = (
            select(Ticket.status, func.count())
            .where(Ticket.requester_id == actor.id)
            .group_by(Ticket.status)
        )
    for status, count in db.session.execute(query):
        counts[TicketStatus(status)] = count
    return counts
