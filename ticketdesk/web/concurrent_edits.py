"""Two people changing one ticket at once, field by field.

A ticket form carries the version it was drawn from, and the values of the fields it
changes as it showed them (`seen`). When the ticket moved on meanwhile, the version
check refuses the whole change; yet two agents triaging one ticket (one setting the
priority, the other taking it) rarely change the same field. So the fields this person
changed are made over the ticket as it is now wherever nobody else changed them; where
both did, nothing is saved and the person decides again, seeing the other's value.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from typing import Any

SEEN_MAX = 4000

_NAMES = {
    "title": "title",
    "status": "status",
    "priority": "priority",
    "queue_id": "queue",
    "assignee_id": "assignee",
}


def seen_values(ticket, fields: Iterable[str]) -> str:
    """What a form drawn now shows of `fields`, to send back with it."""
    return json.dumps({field: _plain(getattr(ticket, field)) for field in fields})


def read_seen(raw: str | None) -> dict[str, Any] | None:
    """The values a form was drawn with; None for a form without them (drawn before
    they were sent) or with values this module did not write."""
    try:
        seen = json.loads(raw or "null")
    except ValueError:
        return None
    if not isinstance(seen, dict) or not all(field in _NAMES for field in seen):
        return None
    return seen


def changes_over(
    changes: Mapping[str, Any], seen: Mapping[str, Any], current
) -> tuple[dict[str, Any], list[str]]:
    """The changes to make over the `current` ticket, and the fields someone else changed
    too (to another value): when there is any, nothing is to be made."""
    mine = mine_only(changes, seen)
    clashes = [
        field
        for field, value in mine.items()
        if _plain(getattr(current, field)) not in (seen.get(field), _plain(value))
    ]
    return ({} if clashes else mine), clashes


def mine_only(changes: Mapping[str, Any], seen: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of `changes` this person changed from what the form showed them."""
    return {field: value for field, value in changes.items() if _plain(value) != seen.get(field)}


def named(fields: Iterable[str]) -> str:
    """'status', 'status and assignee', 'title, status and queue'."""
    names = [_NAMES[field] for field in fields]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _plain(value: Any) -> Any:
    """A field's value as JSON holds it: an enum by its value."""
    return value.value if isinstance(value, enum.Enum) else value
