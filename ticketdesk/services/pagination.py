"""Keyset pagination: a page ends with an opaque cursor holding the last row's sort key.

No OFFSET: each page is an index range scan, and rows inserted meanwhile
never shift or repeat the rows of later pages.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy import Select, bindparam, tuple_

from ticketdesk.models import ID_MAX, Priority, Ticket
from ticketdesk.services.errors import ValidationFailed

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None
    # A search's words left out as too common to search for (see `search.searched_phrases`).
    ignored_words: tuple[str, ...] = ()


class TicketSort(enum.StrEnum):
    NEWEST = "-created_at"
    OLDEST = "created_at"
    RECENTLY_UPDATED = "-updated_at"
    MOST_URGENT = "-priority"


_tickets = Ticket.__table__

# The columns of each order, most significant first; the id breaks ties.
_SORT_KEYS = {
    TicketSort.NEWEST: (_tickets.c.created_at, _tickets.c.id),
    TicketSort.OLDEST: (_tickets.c.created_at, _tickets.c.id),
    TicketSort.RECENTLY_UPDATED: (_tickets.c.updated_at, _tickets.c.id),
    TicketSort.MOST_URGENT: (_tickets.c.priority, _tickets.c.created_at, _tickets.c.id),
}
_DESCENDING = {TicketSort.NEWEST, TicketSort.RECENTLY_UPDATED, TicketSort.MOST_URGENT}


def keyset_order(query: Select, sort: TicketSort, *, after: bool, column=None) -> Select:
    """Order `query` by `sort`; with `after`, start after the bound `cursor_values`.

    `column` gives the expression for each key column by name (by default the column).
    """
    columns = _SORT_KEYS[sort]
    keys = [column(key.key) for key in columns] if column else list(columns)
    descending = sort in _DESCENDING
    if after:
        # Bound with each column's type, so that priority goes in as its rank.
        bound = tuple_(*(bindparam(f"after_{i}", type_=key.type) for i, key in enumerate(columns)))
        key = tuple_(*keys)
        query = query.where(key < bound if descending else key > bound)
    return query.order_by(*_ordered(keys, sort))


def sort_order(columns, sort: TicketSort) -> list:
    """`sort`'s ORDER BY terms, on the like-named columns of `columns` (a select's or a
    subquery's)."""
    return _ordered([columns[column.key] for column in _SORT_KEYS[sort]], sort)


def sort_key(sort: TicketSort) -> tuple[Callable[[object], tuple], bool]:
    """`sort` in Python: a key of a listed ticket's values, and whether it runs descending."""
    names = [column.key for column in _SORT_KEYS[sort]]

    def key(ticket) -> tuple:
        return tuple(_comparable(getattr(ticket, name)) for name in names)

    return key, sort in _DESCENDING


def _comparable(value):
    return value.rank if isinstance(value, Priority) else value


def _ordered(keys: list, sort: TicketSort) -> list:
    return [key.desc() if sort in _DESCENDING else key.asc() for key in keys]


def cursor_values(cursor: str, sort: TicketSort) -> dict[str, object]:
    """The values a `keyset_order(after=True)` statement resumes after."""
    return {f"after_{i}": value for i, value in enumerate(_decode(cursor, sort))}


def ticket_cursor(ticket: Ticket, sort: TicketSort) -> str:
    """The cursor that resumes a listing right after `ticket`."""
    values = []
    for column in _SORT_KEYS[sort]:
        value = _comparable(getattr(ticket, column.key))
        values.append(value.isoformat() if isinstance(value, datetime) else value)
    raw = json.dumps([sort.value, *values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, sort: TicketSort) -> list:
    """Parse a cursor made by `ticket_cursor` for the same order, or fail as a bad field."""
    invalid = ValidationFailed.field("cursor", "Invalid cursor; start again from the first page.")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        sort_value, *values = json.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        raise invalid from None
    columns = _SORT_KEYS[sort]
    if sort_value != sort.value or len(values) != len(columns):
        raise invalid
    parsed = []
    for column, value in zip(columns, values, strict=True):
        parsed.append(_parse_key(column.key, value, invalid))
    return parsed


def _parse_key(key: str, value, invalid: ValidationFailed):
    if key in ("created_at", "updated_at"):
        if not isinstance(value, str):
            raise invalid
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise invalid from None
        if parsed.tzinfo is None:
            raise invalid
        return parsed
    if key == "priority":
        by_rank = {priority.rank: priority for priority in Priority}
        if not isinstance(value, int) or isinstance(value, bool) or value not in by_rank:
            raise invalid
        return by_rank[value]
    if not isinstance(value, int) or isinstance(value, bool) or abs(value) > ID_MAX:
        raise invalid
    return value
