"""The ticket workflow as data: which status may follow which, and for whom."""

from __future__ import annotations

from ticketdesk.models import TicketStatus

S = TicketStatus

ALLOWED_TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.OPEN: frozenset({S.IN_PROGRESS, S.WAITING, S.RESOLVED, S.CLOSED}),
    S.IN_PROGRESS: frozenset({S.OPEN, S.WAITING, S.RESOLVED, S.CLOSED}),
    S.WAITING: frozenset({S.OPEN, S.IN_PROGRESS, S.RESOLVED, S.CLOSED}),
    S.RESOLVED: frozenset({S.OPEN, S.CLOSED}),
    S.CLOSED: frozenset({S.OPEN}),
}

# Customers may close their own ticket at any point and reopen it once resolved.
CUSTOMER_TRANSITIONS: frozenset[tuple[TicketStatus, TicketStatus]] = frozenset(
    {(old, S.CLOSED) for old in S if old != S.CLOSED} | {(S.RESOLVED, S.OPEN)}
)


def customer_may_set_status(old: TicketStatus, new: TicketStatus) -> bool:
    return (old, new) in CUSTOMER_TRANSITIONS
