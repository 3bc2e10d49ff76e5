"""Links between the pages of a keyset-paged list: first, previous and next.

A cursor reads forward only. Rather than reading backwards in each list's order (and
through each search window), every "next" link carries the cursors of the pages before
it (`back`), and "previous" is the last of them. The trail keeps the last `KEPT` pages;
from further on, "previous" stops where it was cut and the first page is a link away.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from flask import request

BACK_ARG = "back"
KEPT = 20
# The first page in a trail: no cursor is "~", nor has a "." (base64url has neither).
FIRST = "~"
_SEPARATOR = "."
_CURSOR = re.compile(r"[A-Za-z0-9_-]{1,500}")


@dataclass(frozen=True)
class PageLinks:
    first: str | None
    previous: str | None
    next: str | None


def page_links(
    url_with: Callable[..., str], cursor: str | int | None, next_cursor: str | int | None
) -> PageLinks:
    """The links around the page read from `cursor` (None: the first page): a list's
    keyset cursor, or the row id an admin list reads before or after.

    `url_with(cursor=…, back=…)` is this list's URL with those arguments changed, None
    leaving one out.
    """
    trail = _trail() if cursor else []
    first = url_with(cursor=None, back=None) if cursor else None
    previous = None
    if trail:
        before = _SEPARATOR.join(trail[:-1]) or None
        previous = first if trail[-1] == FIRST else url_with(cursor=trail[-1], back=before)
    following = None
    if next_cursor:
        ahead = [*trail, str(cursor) if cursor else FIRST][-KEPT:]
        following = url_with(cursor=next_cursor, back=_SEPARATOR.join(ahead))
    return PageLinks(None if previous == first else first, previous, following)


def _trail() -> list[str]:
    """The pages before this one, oldest first; none when the argument is missing or
    not one this module wrote (then "previous" is not offered, rather than wrong)."""
    trail = request.args.get(BACK_ARG, "").split(_SEPARATOR)
    if len(trail) > KEPT or trail.count(FIRST) > 1 or FIRST in trail[1:]:
        return []
    if not all(page == FIRST or _CURSOR.fullmatch(page) for page in trail):
        return []
    return trail
