"""Ticket lists as plain rows: what a list shows, without building ORM objects.

A list page is read, shown and thrown away. Loading it as `Ticket` objects (with
their requester and assignee) spent more time building and tracking objects than
the database spent finding the rows; one joined SELECT into frozen dataclasses
costs a third of that. The attribute names are the model's, so templates, API
schemas and cursors read a summary exactly as they read a `Ticket`.
"""

from __future__ import annotations

import functools
import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Integer, Select, bindparam, or_, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from ticketdesk.models import Priority, Role, Ticket, TicketStatus, User
from ticketdesk.services import sqlite_plans
from ticketdesk.services.facets import facets_query, tickets_matching
from ticketdesk.services.pagination import (
    TicketSort,
    cursor_values,
    keyset_order,
    sort_key,
    sort_order,
)
from ticketdesk.services.sqlite_plans import SERVED_BY, STATUS_FILTERS
from ticketdesk.services.transactions import interrupted, sqlite_step_limit


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


# Summaries are plain slotted dataclasses, not frozen ones: a frozen dataclass sets each
# field through object.__setattr__, and building a page's 75 of them cost five times as
# much (3 against 0.55 µs for a ticket's).
@dataclass(slots=True)
class UserRef:
    """Who a listed ticket is from or with."""

    id: int
    name: str
    role: Role


@dataclass(slots=True)
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
    # Found by a search: where in the conversation, as HTML, words found in <mark>, the rest
    # escaped (the description's start when only the title held the words).
    snippet: str | None = None


# Core columns, not ORM attributes: a Core SELECT skips the ORM's loading machinery.
_tickets = Ticket.__table__
_TICKET_COLUMNS = [
    _tickets.c[name]
    for name in TicketSummary.__dataclass_fields__
    if name not in ("requester", "assignee", "snippet")
]
_requester = User.__table__.alias("requester")
_assignee = User.__table__.alias("assignee")
_PEOPLE = [person.c[name] for person in (_requester, _assignee) for name in UserRef.__slots__]


def with_people(query: Select) -> Select:
    """A select of tickets (filtered, joined, ordered as it may be) as summary columns."""
    return (
        query.with_only_columns(*_TICKET_COLUMNS, *_PEOPLE)
        .join(_requester, _requester.c.id == _tickets.c.requester_id)
        .outerjoin(_assignee, _assignee.c.id == _tickets.c.assignee_id)
    )


def page_with_people(
    query: Select, sort: TicketSort, *, after: bool, limit=None, column=None
) -> Select:
    """`limit` (by default the bound `limit`) of `query`'s tickets in `sort` order, after
    the bound cursor values or not, as summary columns (`column`: as `keyset_order`).

    The page is taken from the tickets alone and only then joined to its people. Joined
    first, a misestimate could cost the whole range: PostgreSQL estimates a keyset's
    row comparison from its first column alone, which on the second page of low-priority
    tickets by priority is nearly nothing, and it sorted all 200,000 of them by assignee
    to merge-join the users (0.6-3 s at a million tickets, against 3 ms).
    """
    tickets = query.with_only_columns(*_TICKET_COLUMNS)
    limit = bindparam("limit") if limit is None else limit
    page = keyset_order(tickets, sort, after=after, column=column).limit(limit).subquery("page")
    requester = _requester.c.id == page.c.requester_id
    return (
        select(*(page.c[ticket_column.key] for ticket_column in _TICKET_COLUMNS), *_PEOPLE)
        .join_from(page, _requester, requester)
        .outerjoin(_assignee, _assignee.c.id == page.c.assignee_id)
        .order_by(*sort_order(page.c, sort))
    )


def summaries(rows: Iterable, snippets: Mapping[int, str] | None = None) -> list[TicketSummary]:
    """Rows of a `with_people` select as summaries (columns after the summary's are ignored),
    each with its snippet from `snippets` (by ticket id) when a search made one."""
    width = len(_TICKET_COLUMNS)
    snippets = snippets or {}
    found = []
    for row in rows:
        requester = UserRef(*row[width : width + 3])
        assignee = UserRef(*row[width + 3 : width + 6]) if row[width + 3] is not None else None
        found.append(
            TicketSummary(
                *row[:width],
                requester=requester,
                assignee=assignee,
                snippet=snippets.get(row.id),
            )
        )
    return found


def sees_only_own(actor: User) -> bool:
    """The access rule of every list: customers see only the tickets they asked for."""
    return not actor.is_staff


def filtered_tickets(actor: User, filters: TicketFilter) -> tuple[Select, dict[str, object]]:
    """The tickets the actor may see (see `sees_only_own`), narrowed by every filter set.

    As a statement made once for each shape (filters set, whose tickets) and the
    values to run it with, so that what is built on it can be made once too.
    """
    values = filter_values(filters)
    return _filtered(tuple(values), sees_only_own(actor)), values | {"viewer_id": actor.id}


def list_rows(
    session: Session,
    actor: User,
    filters: TicketFilter,
    sort: TicketSort,
    *,
    cursor: str | None,
    limit: int,
) -> list[TicketSummary]:
    """Up to `limit` summaries of the tickets the actor may see that pass `filters`, in
    `sort` order after `cursor`.

    Each statement is built once per shape (filters set, whose tickets, order, cursor
    or not) and run with bound values: building and hashing a SELECT cost a sixth of a
    list request. On SQLite, `sqlite_plans` chooses how some lists are found: from the
    status index when their statuses hold few tickets; else by walking an order's index
    within a budget (filters that match few tickets or none walked the whole index, 0.5 s
    at a million), past which the tickets that pass them are found and sorted: for
    several filters, by the full-text index's facets (`services.facets`), else by the
    filter's own index.
    """
    if _either_side_alone(filters):
        return _merged_sides(session, actor, filters, sort, cursor=cursor, limit=limit)
    chosen = filter_values(filters)
    shape = (tuple(chosen), sees_only_own(actor), sort, bool(cursor))
    values = chosen | {"viewer_id": actor.id, "limit": limit}
    values |= cursor_values(cursor, sort) if cursor else {}
    if session.get_bind().dialect.name == "postgresql":
        return summaries(session.execute(_shaped_statement(*shape, True, None), values))
    walk = sqlite_plans.walked_order(*shape[:3])
    sorts_few = walk or sqlite_plans.dates_across_statuses(*shape[:3])
    if sorts_few and sqlite_plans.few_in_statuses(session, values):
        return summaries(session.execute(_sorted_matches(*shape, STATUS_FILTERS), values))
    if walk is None:
        return summaries(session.execute(_shaped_statement(*shape, False, None), values))
    try:
        with sqlite_step_limit(session, sqlite_plans.WALK_STEPS):
            return summaries(session.execute(_shaped_statement(*shape, False, walk), values))
    except OperationalError as error:
        if not interrupted(error):
            raise
    if len(chosen) > 1:
        values["facets"] = facets_query(chosen)
        statement = _sorted_matches(*shape, frozenset(), by_facets=True)
        return summaries(session.execute(statement, values))
    return summaries(session.execute(_sorted_matches(*shape, None), values))


@functools.lru_cache(maxsize=512)
def walkable_tickets(filters: tuple[str, ...], own_only: bool, sort: TicketSort) -> Select:
    """The tickets that pass `filters` (by name, as `filter_values` binds them), written so
    that SQLite walks `sort`'s index for them where `sqlite_plans.walked_order` says it
    should, rather than find them all through a filter's index and sort them."""
    walk = sqlite_plans.walked_order(filters, own_only, sort)
    return _filtered(filters, own_only, SERVED_BY[walk] if walk else None)


def _either_side_alone(filters: TicketFilter) -> bool:
    """Whether `filters` asks for a user's tickets on either side (requester or assignee)
    and names no requester or assignee besides."""
    named = (filters.requester_id, filters.assignee_id, filters.unassigned)
    return filters.involving_user_id is not None and named == (None, None, False)


def _merged_sides(
    session: Session,
    actor: User,
    filters: TicketFilter,
    sort: TicketSort,
    *,
    cursor: str | None,
    limit: int,
) -> list[TicketSummary]:
    """A user's tickets on either side, as the page of the tickets they asked for merged
    with the page of those they are assigned.

    Each side is a list of its own, served by its own index. As one list, either side
    was gathered through both indexes and sorted whole: 0.2 s at a million tickets for
    an agent's 45,000. A ticket on both sides is listed once.
    """
    user_id, neither = filters.involving_user_id, replace(filters, involving_user_id=None)
    sides = [
        list_rows(session, actor, side, sort, cursor=cursor, limit=limit)
        for side in (replace(neither, requester_id=user_id), replace(neither, assignee_id=user_id))
    ]
    key, descending = sort_key(sort)
    merged: list[TicketSummary] = []
    for summary in heapq.merge(*sides, key=key, reverse=descending):
        if not merged or merged[-1].id != summary.id:
            merged.append(summary)
    return merged[:limit]


def filter_values(filters: TicketFilter) -> dict[str, object]:
    """The value bound for each filter that is set, by the name of its condition."""
    values: dict[str, object] = {}
    if len(filters.statuses) == 1:
        # One status is an equality: an IN list is rewritten into the SQL on every run.
        values["status"] = filters.statuses[0]
    elif filters.statuses:
        values["statuses"] = list(filters.statuses)
    if filters.priority is not None:
        values["priority"] = filters.priority
    if filters.queue_id is not None:
        values["queue_id"] = filters.queue_id
    if filters.unassigned:
        values["unassigned"] = None
    elif filters.assignee_id is not None:
        values["assignee_id"] = filters.assignee_id
    if filters.requester_id is not None:
        values["requester_id"] = filters.requester_id
    if filters.involving_user_id is not None:
        values["involving_user_id"] = filters.involving_user_id
    return values


_OWN = _tickets.c.requester_id == bindparam("viewer_id")


def _conditions(column) -> dict:
    """The condition of each filter, on the columns `column` gives by name."""
    return {
        "status": column("status") == bindparam("status"),
        "statuses": column("status").in_(bindparam("statuses", expanding=True)),
        "priority": column("priority") == bindparam("priority"),
        "queue_id": column("queue_id") == bindparam("queue_id"),
        "unassigned": column("assignee_id").is_(None),
        "assignee_id": column("assignee_id") == bindparam("assignee_id"),
        "requester_id": column("requester_id") == bindparam("requester_id"),
        "involving_user_id": or_(
            column("requester_id") == bindparam("involving_user_id"),
            column("assignee_id") == bindparam("involving_user_id"),
        ),
    }


def _unindexed(name: str):
    """A ticket column under SQLite's unary plus: the same value, but no index offered."""
    column = _tickets.c[name]
    return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)


_CONDITIONS = _conditions(lambda name: _tickets.c[name])
_UNINDEXED_CONDITIONS = _conditions(_unindexed)


@functools.lru_cache(maxsize=512)
def _filtered(
    filters: tuple[str, ...], own_only: bool, indexed: frozenset[str] | None = None
) -> Select:
    """The tickets that pass `filters`; with `indexed`, SQLite may find them through the
    indexes of those filters only (the others' conditions are written under unary plus):
    to walk an order's index, or to start from the statuses' index (see `sqlite_plans`)."""
    conditions = [
        _UNINDEXED_CONDITIONS[name]
        if indexed is not None and name not in indexed
        else _CONDITIONS[name]
        for name in filters
    ]
    query = select(_tickets).where(*conditions)
    return query.where(_OWN) if own_only else query


@functools.lru_cache(maxsize=512)
def _shaped_statement(
    filters: tuple[str, ...],
    own_only: bool,
    sort: TicketSort,
    after: bool,
    planned: bool,
    walk: TicketSort | None,
) -> Select:
    """The page statement of one shape; `planned` when the database plans its joins from
    estimates (PostgreSQL: see `page_with_people`). SQLite joins in nested loops, the
    tickets outermost, so a page joined to its people keeps its index order at no cost,
    where taking the page first costs a temporary table and a sort."""
    # A LIMIT written into the SQL lets PostgreSQL keep one generic plan for the prepared
    # statement (a bound one makes it plan every time: 0.17 against 0.05 ms at 1M). Only
    # for the whole list, which one index serves whatever the values: with a filter, the
    # best index depends on how many tickets the value matches. Never for SQLite: told a
    # LIMIT under 5, it sorted every ticket rather than walk the date index for a few.
    whole_list = planned and not filters and not own_only
    limit = bindparam("limit", type_=Integer, literal_execute=whole_list)
    if planned:
        return page_with_people(_filtered(filters, own_only), sort, after=after, limit=limit)
    query = with_people(_filtered(filters, own_only, SERVED_BY[walk] if walk else None))
    return keyset_order(query, sort, after=after).limit(limit)


@functools.lru_cache(maxsize=512)
def _sorted_matches(
    filters: tuple[str, ...],
    own_only: bool,
    sort: TicketSort,
    after: bool,
    indexed: frozenset[str] | None,
    *,
    by_facets: bool = False,
):
    """SQLite's page of one shape found through the filters' indexes (`indexed`: as
    `_filtered`) and sorted: the order's keys are written so that no index offers them.

    The page is taken from the tickets alone, then joined to its people. Joined first,
    statistics that put a third of the tickets in each status led SQLite to scan every
    customer and read each one's tickets: 2.5 s a page at a million tickets, for the
    2,260 unresolved ones of a helpdesk that closes its tickets.

    With `by_facets` (and no filter indexed), from the tickets FTS5 finds for the bound
    `facets` instead. Several filters that each match many tickets may together match
    few, past a walk's budget; through one filter's index, SQLite read a table row for
    each of its tickets to test the others (180-220 ms a page at a million tickets for
    the unassigned urgent tickets of a queue), where FTS5 merges their lists of tickets.
    """
    limit = bindparam("limit", type_=Integer)
    filtered = _filtered(filters, own_only, indexed)
    if by_facets:
        filtered = filtered.where(_tickets.c.id.in_(tickets_matching("facets")))
    return page_with_people(filtered, sort, after=after, limit=limit, column=_unindexed)
