"""Numbers about tickets for dashboards: how many are in each status, queue and hand."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    Integer,
    String,
    cast,
    func,
    literal,
    literal_column,
    null,
    select,
    union_all,
)

from ticketdesk.extensions import db
from ticketdesk.models import (
    TicketAssigneeCount,
    TicketQueueCount,
    TicketStatus,
    TicketStatusCount,
    User,
)
from ticketdesk.services.errors import PermissionDenied


@dataclass(frozen=True)
class TeamCounts:
    """The staff sidebar's numbers: every ticket by status, and the active ones (open, in
    progress, waiting) by queue and by assignee (None: nobody), each in order of id."""

    by_status: dict[TicketStatus, int]
    active_by_queue: dict[int, int]
    active_by_assignee: dict[int | None, int]


def team_counts(actor: User) -> TeamCounts:
    """The counts for the staff sidebar, from the rows the triggers keep, in one query.

    Staff only: a customer's view of the helpdesk is their own tickets.
    """
    if not actor.is_staff:
        raise PermissionDenied("Only staff can see the helpdesk's counts.")
    by_status = dict.fromkeys(TicketStatus, 0)
    by_queue: dict[int, int] = {}
    by_assignee: dict[int | None, int] = {}
    for kind, status, key, total in db.session.execute(_TEAM_COUNTS):
        if kind == "status":
            by_status[TicketStatus(status)] = total
        elif kind == "queue":
            by_queue[key] = total
        else:
            by_assignee[key or None] = total
    return TeamCounts(by_status, by_queue, by_assignee)


def _summed(kind: str, column, total):
    """`total` summed over the shards of each value of `column`, as a row of `kind`."""
    is_status = column.key == "status"
    status, key = (column, _NO_KEY) if is_status else (_NO_STATUS, column)
    return select(literal(kind), status, key, func.sum(total)).group_by(column)


_NO_STATUS, _NO_KEY = cast(null(), String), cast(null(), Integer)
# Three small sums (at most 16 shards per status, queue or person), sent as one statement,
# queues and people by id (nobody, 0, first).
_TEAM_COUNTS = union_all(
    _summed("status", TicketStatusCount.status, TicketStatusCount.total),
    _summed("queue", TicketQueueCount.queue_id, TicketQueueCount.active),
    _summed("assignee", TicketAssigneeCount.assignee_id, TicketAssigneeCount.active),
).order_by(literal_column("1"), literal_column("3"))
