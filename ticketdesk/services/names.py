"""One order for the short lists of names (queues, the staff), the same on both databases."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import TypeVar

T = TypeVar("T")


# The staff list's page sorts its queues and team on every view: each name's key is
# worked out once (in each process) rather than letter by letter every time.
@functools.lru_cache(maxsize=4096)
def name_order(name: str) -> tuple[str, str]:
    """Where a name sorts: by its letters whatever their case and accents ("billing-team",
    "Échanges", "Zeta"), then as written, so that names alike keep one order."""
    decomposed = unicodedata.normalize("NFKD", name)
    letters = "".join(char for char in decomposed if not unicodedata.combining(char))
    return letters.casefold(), name


def by_name(items: Iterable[T], name: Callable[[T], str] = attrgetter("name")) -> list[T]:
    """The items in name_order.

    Sorted here rather than in SQL: SQLite compares text by its bytes ("Zeta" before
    "billing", "Échanges" after both; its lower() folds ASCII alone), PostgreSQL by the
    database's collation, "C" by default here, and no expression orders them alike on
    both. Only for lists read whole and small (queues, staff), never a page of a table.
    """
    return sorted(items, key=lambda item: name_order(name(item)))
