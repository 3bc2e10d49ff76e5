"""Following a list's cursors, as a client pages through it."""

from __future__ import annotations


def ids_of_pages(client, query: str, *, pages: int = 3, limit: int = 10) -> list[list[int]]:
    """The ticket ids of the first `pages` pages of `/api/v1/tickets?{query}`."""
    found, cursor = [], None
    for _ in range(pages):
        page = client.get(
            f"/api/v1/tickets?{query}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        ).json
        found.append([ticket["id"] for ticket in page["items"]])
        cursor = page["next_cursor"]
    return found
