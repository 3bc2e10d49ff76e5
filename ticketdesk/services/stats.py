"""Numbers about tickets for dashboards: how many are in each status, queue and hand."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    Integer,
    String,
    cast,
    exists,
    func,
    literal,
    literal_column,
    null,
    select,
    union_all,
)

from ticketdesk.extensions import db
from ticketdesk.models import (
    Queue,
    Ticket,
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


@dataclass(frozen=True)
class QueueLoad:
    """What a queue holds: its active tickets (open, in progress, waiting), and whether it
    holds any ticket at all, finished ones included (a queue that holds none can go)."""

    active: int
    holds_any: bool


def queue_loads(actor: User) -> dict[int, QueueLoad]:
    """Each queue's load by its id, in one statement: the active count from the rows the
    triggers keep, and one probe of the tickets' queue index per queue (never a count of
    the tickets table, which a queue of closed tickets would make long).

    Staff only, as team_counts.
    """
    if not actor.is_staff:
        raise PermissionDenied("Only staff can see the helpdesk's counts.")
    return {
        queue_id: QueueLoad(active, bool(holds_any))
        for queue_id, active, holds_any in db.session.execute(_QUEUE_LOADS)
    }


_QUEUE_LOADS = select(
    Queue.id,
    select(func.coalesce(func.sum(TicketQueueCount.active), 0))
    .where(TicketQueueCount.queue_id == Queue.id)
    .scalar_subquery(),
    exists().where(Ticket.queue_id == Queue.id),
)
