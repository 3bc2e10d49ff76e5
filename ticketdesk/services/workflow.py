"""The ticket workflow as data: which status may follow which, and for whom."""

from __future__ import annotations

from ticketdesk.models import Ticket, TicketStatus, User
from ticketdesk.services.errors import InvalidTransition, PermissionDenied

S = TicketStatus

ALLOWED_TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.OPEN: frozenset({S.IN_PROGRESS, S.WAITING, S.RESOLVED, S.CLOSED}),
    S.IN_PROGRESS: frozenset({S.OPEN, S.WAITING, S.RESOLVED, S.CLOSED}),
    S.WAITING: frozenset({S.OPEN, S.IN_PROGRESS, S.RESOLVED, S.CLOSED}),
    S.RESOLVED: frozenset({S.OPEN, S.CLOSED}),
    S.CLOSED: frozenset({S.OPEN}),
}

# Customers may close their own ticket at any point and reopen it once resolved or
# closed, as their reply would (REOPENED_BY_CUSTOMER_REPLY).
CUSTOMER_TRANSITIONS: frozenset[tuple[TicketStatus, TicketStatus]] = frozenset(
    {(old, S.CLOSED) for old in S if old != S.CLOSED} | {(S.RESOLVED, S.OPEN), (S.CLOSED, S.OPEN)}
)

# A customer's reply is an answer: a ticket waiting on them, resolved or closed comes back
# to the team as open, rather than holding a question in a status no one is watching.
REOPENED_BY_CUSTOMER_REPLY = frozenset({S.WAITING, S.RESOLVED, S.CLOSED})


def customer_may_set_status(old: TicketStatus, new: TicketStatus) -> bool:
    return (old, new) in CUSTOMER_TRANSITIONS


def reply_reopens(actor: User, ticket: Ticket) -> bool:
    """Whether the actor's reply would take a finished ticket back up (the page says so)."""
    finished = ticket.status in (S.RESOLVED, S.CLOSED)
    return finished and not actor.is_staff and ticket.status in REOPENED_BY_CUSTOMER_REPLY


def authorise_changes(actor: User, ticket: Ticket, changed: dict) -> None:
    """Refuse the whole change if any part of it is not the actor's to make."""
    if "status" in changed:
        new = changed["status"]
        if new not in ALLOWED_TRANSITIONS[ticket.status]:
            raise InvalidTransition(ticket.status, new)
    if actor.is_staff:
        return
    # Customers reach here with title, description and status only (TicketManager.update_ticket).
    if ("title" in changed or "description" in changed) and ticket.status != TicketStatus.OPEN:
        raise PermissionDenied("A ticket can be edited only while it is open.")
    if "status" in changed and not customer_may_set_status(ticket.status, changed["status"]):
        raise PermissionDenied("Customers can close their tickets and reopen them.")
