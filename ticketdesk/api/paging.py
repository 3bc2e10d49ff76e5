"""Pages of rows listed by id: the shape shared by users, the security log and the outbox."""

from __future__ import annotations

from collections.abc import Sequence


def id_page(rows: Sequence, limit: int) -> dict:
    """`rows` were fetched with `limit + 1`: keep `limit`, and point past the last if more."""
    items = list(rows[:limit])
    more = len(rows) > limit
    return {"items": items, "next_cursor": str(items[-1].id) if more else None}
