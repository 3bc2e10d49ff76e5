"""Ticket lists as plain rows: what a list shows, without building ORM objects.

A list page is read, shown and thrown away. Loading it as `Ticket` objects (with
their requester and assignee) spent more time building and tracking objects than
the database spent finding the rows; one joined SELECT into frozen dataclasses
costs a third of that. The attribute names are the model's, so templates, API
schemas and cursors read a summary exactly as they read a `Ticket`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import aliased

from ticketdesk.models import Priority, Role, Ticket, TicketStatus, User


@dataclass(frozen=True)
class TicketFilter:
    """What a ticket list may be narrowed by; every field is optional."""

    statuses: tuple[TicketStatus, ...] = ()
    priority: Priority | None = None
    queue_id: int | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    requester_id: int | None = None
    involving_user_id: int | None = None
    # Words to find in the title, description and replies (notes too, for staff).
    text: str | None = None


NO_FILTERS = TicketFilter()


@dataclass(frozen=True, slots=True)
class UserRef:
    """Who a listed ticket is from or with."""

    id: int
    name: str
    role: Role


@dataclass(frozen=True, slots=True)
class TicketSummary:
    """One row of a ticket list."""

    id: int
    title: str
    description: str
    status: TicketStatus
    priority: Priority
    queue_id: int
    requester_id: int
    assignee_id: int | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    version: int
    requester: UserRef
    assignee: UserRef | None


_TICKET_COLUMNS = [
    getattr(Ticket, name)
    for name in TicketSummary.__dataclass_fields__
    if name not in ("requester", "assignee")
]
_requester = aliased(User, name="requester")
_assignee = aliased(User, name="assignee")
_PEOPLE = [
    getattr(person, name) for person in (_requester, _assignee) for name in UserRef.__slots__
]


def summary_select() -> Select:
    """Tickets with their requester and assignee, as columns; filter and order as usual."""
    return with_people(select(Ticket))


def with_people(query: Select) -> Select:
    """A select of tickets (filtered, joined, ordered as it may be) as summary columns."""
    return (
        query.with_only_columns(*_TICKET_COLUMNS, *_PEOPLE)
        .join(_requester, _requester.id == Ticket.requester_id)
        .outerjoin(_assignee, _assignee.id == Ticket.assignee_id)
    )


def summaries(rows: Iterable) -> list[TicketSummary]:
    """The rows of a `summary_select` as summaries (columns after the summary's are ignored)."""
    width = len(_TICKET_COLUMNS)
    found = []
    for row in rows:
        requester = UserRef(*row[width : width + 3])
        assignee = UserRef(*row[width + 3 : width + 6]) if row[width + 3] is not None else None
        found.append(TicketSummary(*row[:width], requester=requester, assignee=assignee))
    return found


def visible_to(actor: User, query: Select) -> Select:
    """Customers see only the tickets they asked for."""
    return query if actor.is_staff else query.where(Ticket.requester_id == actor.id)


def apply_filters(query: Select, filters: TicketFilter) -> Select:
    """The query narrowed by every filter that is set."""
    if filters.statuses:
        query = query.where(Ticket.status.in_(filters.statuses))
    if filters.priority is not None:
        query = query.where(Ticket.priority == filters.priority)
    if filters.queue_id is not None:
        query = query.where(Ticket.queue_id == filters.queue_id)
    if filters.unassigned:
        query = query.where(Ticket.assignee_id.is_(None))
    elif filters.assignee_id is not None:
        query = query.where(Ticket.assignee_id == filters.assignee_id)
    if filters.requester_id is not None:
        query = query.where(Ticket.requester_id == filters.requester_id)
    if filters.involving_user_id is not None:
        user_id = filters.involving_user_id
        query = query.where(or_(Ticket.requester_id == user_id, Ticket.assignee_id == user_id))
    return query
