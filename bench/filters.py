"""Every filter and order of the staff's ticket list, timed on a seeded database.

    python -m bench.filters --database-url sqlite:////path/seeded.sqlite3

`make bench` measures the views most requests ask for; this walks all the others
(status, assignee, priority and queue, each set or not, under each order; with `--q`,
each searching too), first page and next, in-process and one request at a time, and
prints the slowest. A list that
one combination makes slow is a list an agent can make slow with two clicks. Try
`--limit 1` too: a small page can change the plan (SQLite sorted every ticket for
`limit=1` when it was told the LIMIT).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import tempfile
import time
from urllib.parse import urlencode

from bench import operations
from bench.instructions import _in_process
from bench.run import PASSWORD, _sqlalchemy_url

STATUSES = (
    [],
    ["open"],
    ["in_progress"],
    ["waiting"],
    ["resolved"],
    ["closed"],
    ["open", "in_progress", "waiting"],
)
ORDERS = (None, "created_at", "-updated_at", "-priority")
# A search without an order ranks its matches; newest first is an order of its own there.
SEARCH_ORDERS = (None, "-created_at", "created_at", "-updated_at", "-priority")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.filters")
    parser.add_argument("--database-url", required=True, help="a database `ticketdesk seed` filled")
    parser.add_argument("--show", type=int, default=15, help="how many of the slowest to print")
    parser.add_argument("--q", help="also every combination searching for these words")
    parser.add_argument("--limit", type=int, default=25, help="tickets a page (1 to 100)")
    args = parser.parse_args(argv)
    os.environ |= {
        "TICKETDESK_DATABASE_URL": _sqlalchemy_url(args.database_url),
        "TICKETDESK_INSTANCE_PATH": tempfile.mkdtemp(prefix="ticketdesk-filters-"),
        "TICKETDESK_RATELIMIT_ENABLED": "false",
    }
    from ticketdesk.app import create_app

    send = _in_process(create_app().test_client(use_cookies=False))
    context = operations.prepare(send, PASSWORD, 0)
    headers = {"Authorization": f"Bearer {context['staff_token']}"}
    queues = json.loads(send("GET", "/api/v1/queues", headers=headers)[2])
    staff_id, queue_id = context["staff_id"], queues[-1]["id"]
    queries = _queries(staff_id, queue_id, ORDERS, args.limit)
    if args.q:
        searching = urlencode({"q": args.q})
        searches = _queries(staff_id, queue_id, SEARCH_ORDERS, args.limit)
        queries = itertools.chain(queries, (f"{searching}&{query}" for query in searches))
    timings = [_timed(send, headers, query) for query in queries]
    timings.sort(reverse=True)
    print(f"{len(timings)} lists; the slowest (ms, the slower of the first and next page):")
    for slowest, first, following, found, query in timings[: args.show]:
        print(
            f"{slowest:8.1f}  first {first:7.1f}  next {following:7.1f}  {found:3d} found  {query}"
        )


def _queries(staff_id: int, queue_id: int, orders, limit: int):
    for statuses, assignee, priority, queue, order in itertools.product(
        STATUSES, (None, staff_id, "none"), (None, "urgent", "low"), (None, queue_id), orders
    ):
        query = [("status", status) for status in statuses]
        query += [("assignee_id", assignee)] if assignee is not None else []
        query += [("priority", priority)] if priority else []
        query += [("queue_id", queue)] if queue else []
        query += [("sort", order)] if order else []
        yield urlencode([*query, ("limit", limit)])


def _timed(send, headers: dict, query: str) -> tuple[float, float, float, int, str]:
    """The best of two tries of the first page and of the next (a first read of pages
    from disk is not the plan's doing), each checked for success."""
    first = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        status, _, body = send("GET", f"/api/v1/tickets?{query}", headers=headers)
        first = min(first, time.perf_counter() - started)
        if status != 200:
            raise SystemExit(f"{query}: {status} {body[:300]!r}")
    page = json.loads(body)
    following = 0.0
    if page["next_cursor"]:
        following = float("inf")
        for _ in range(2):
            started = time.perf_counter()
            status, _, body = send(
                "GET", f"/api/v1/tickets?{query}&cursor={page['next_cursor']}", headers=headers
            )
            following = min(following, time.perf_counter() - started)
            if status != 200:
                raise SystemExit(f"{query} (next page): {status} {body[:300]!r}")
    slowest = max(first, following)
    return slowest * 1000, first * 1000, following * 1000, len(page["items"]), query


if __name__ == "__main__":
    main()
