"""How SQLite is to find a page of a staff list, where its planner would not.

SQLite plans from statistics that give each index's rows per value on average, and
weighs orders with no regard for the LIMIT. PostgreSQL, which keeps the most common
values and estimates a LIMIT, plans these lists itself. Chosen here, for SQLite:

- `walked_order`: walk the last-update or priority index in order, within a budget of
  WALK_STEPS, rather than sort every ticket a filter matches;
- `few_in_statuses`, with `walked_order` or `dates_across_statuses`: start from the
  status index and sort, when the triggers' counts say the statuses asked for hold few
  tickets, rather than walk past the many others.

`ticketdesk.services.listing` builds the statements.
"""

from __future__ import annotations

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import Session

from ticketdesk.models import TicketStatusCount
from ticketdesk.services.pagination import TicketSort


def walked_order(filters: tuple[str, ...], own_only: bool, sort: TicketSort) -> TicketSort | None:
    """`sort` when SQLite should walk its index for this list, else None.

    No filter's index keeps the last-update or priority order (each is by date), and
    SQLite weighs walking that order's index against finding a filter's tickets and
    sorting them all, with no regard for the LIMIT: for the unassigned tickets by last
    update it sorted 100,000 of them, or walked every customer's (0.8-1.9 s at a million).
    Filters that match many tickets find a page in a few hundred steps of the walk.
    A customer's own tickets are few: sorting them is right, and SQLite is left to it.
    """
    return sort if _broad(filters, own_only) and sort in SERVED_BY else None


def dates_across_statuses(filters: tuple[str, ...], own_only: bool, sort: TicketSort) -> bool:
    """Whether SQLite finds this date-ordered list by walking an index past tickets of
    other statuses: several statuses (one status's index keeps the date order itself)
    and another filter, whose index SQLite walks in date order, reading each row for
    its status (0.1-0.2 s at a million tickets for the urgent unresolved ones of a
    queue, where 2,260 were unresolved). Several statuses alone are found walking the
    date index, whose rows lie in the table in that order: fast enough, and the staff's
    default list is left as it is."""
    several = "statuses" in filters and len(filters) > 1
    return _broad(filters, own_only) and several and sort not in SERVED_BY


def _broad(filters: tuple[str, ...], own_only: bool) -> bool:
    """Whether a list is a staff list narrowed only by filters that may match many tickets."""
    return not own_only and set(filters) <= BROAD_FILTERS


# SQLite steps a walk may take: about 4 per ticket walked (4.3 M for a million), so some
# 23,000 tickets, 15 ms. Past it, the filters' own indexes find the page, sorted.
WALK_STEPS = 100_000
# The filters whose index also keeps each such order (priority leads the priority index).
SERVED_BY = {
    TicketSort.RECENTLY_UPDATED: frozenset(),
    TicketSort.MOST_URGENT: frozenset({"priority"}),
}
STATUS_FILTERS = frozenset({"status", "statuses"})
BROAD_FILTERS = {"status", "statuses", "priority", "queue_id", "unassigned", "assignee_id"}


def few_in_statuses(session: Session, values: dict[str, object]) -> bool:
    """Whether the statuses asked for hold few of the tickets, by the triggers' counts:
    so few that sorting all of them costs less than walking an order's index past the
    others to fill a page, which reads a row of the table for each ticket passed, in no
    order. A helpdesk that closes its tickets keeps few unresolved, spread over years of
    the last-update and priority orders: at a million tickets, 2,260 of them took 97 ms
    of walking to use up its budget, against 8.7 ms to sort. SQLite's statistics tell
    only how many tickets a status holds on average.

    Few: n tickets of N in all with n * n <= FEW_SQUARED * N (10,000 of a million,
    1,000 of 10,000); walking for them passes N / n tickets for each one found.
    """
    statuses = values.get("statuses") or ([values["status"]] if "status" in values else [])
    if not statuses:
        return False
    few, every = session.execute(_IN_STATUSES, {"statuses": statuses}).one()
    return few * few <= FEW_SQUARED * every


_in_statuses = TicketStatusCount.status.in_(bindparam("statuses", expanding=True))
_IN_STATUSES = select(
    func.coalesce(func.sum(case((_in_statuses, TicketStatusCount.total), else_=0)), 0),
    func.coalesce(func.sum(TicketStatusCount.total), 0),
)
FEW_SQUARED = 100
