"""Lost updates: conflicting PATCHes of the same version never both succeed."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

PAIRS = int(os.environ.get("TICKETDESK_LOST_UPDATE_PAIRS", "1000"))


def test_conflicting_patches_one_wins_one_is_told(live_server):
    status, ticket, _ = live_server.call(
        "POST", "/api/v1/tickets", {"title": "Contested", "description": "d"}, role="customer"
    )
    assert status == 201
    ticket_id, version = ticket["id"], ticket["version"]
    winners: list[str] = []
    barrier = threading.Barrier(2)

    def patch(priority: str, expected: int):
        barrier.wait()
        return live_server.call(
            "PATCH",
            f"/api/v1/tickets/{ticket_id}",
            {"priority": priority},
            headers={"If-Match": f'"{expected}"'},
        )

    with ThreadPoolExecutor(2) as pool:
        for pair in range(PAIRS):
            # Alternate so that each pair really changes the value, whoever wins.
            choices = ("high", "low") if pair % 2 == 0 else ("urgent", "normal")
            results = list(pool.map(patch, choices, (version, version)))
            codes = sorted(code for code, _, _ in results)
            assert codes == [200, 412], f"pair {pair}: {codes}"
            winner = next(body for code, body, _ in results if code == 200)
            winners.append(winner["priority"])
            version = winner["version"]

    status, final, _ = live_server.call("GET", f"/api/v1/tickets/{ticket_id}")
    assert final["version"] == 1 + PAIRS
    assert final["priority"] == winners[-1]
    changes = [e["new_value"] for e in _history(live_server, ticket_id) if e["kind"] == "priority"]
    assert changes == winners, "every accepted change is in the history, and nothing else"


def _history(live_server, ticket_id: int) -> list[dict]:
    """Every entry of a ticket's history, page after page."""
    entries, cursor = [], ""
    while cursor is not None:
        path = f"/api/v1/tickets/{ticket_id}/events?limit=100"
        status, page, _ = live_server.call("GET", path + (f"&cursor={cursor}" if cursor else ""))
        assert status == 200
        entries += page["items"]
        cursor = page["next_cursor"]
    return entries
