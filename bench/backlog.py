"""Turn a seeded database into a helpdesk that closes its tickets, to time lists on it.

    python -m bench.backlog --database-url sqlite:////path/seeded.sqlite3
    python -m bench.filters --database-url sqlite:////path/seeded.sqlite3

`ticketdesk seed` leaves 45% of the tickets unresolved, spread evenly over the years.
A helpdesk that works its queue keeps a few recent ones unresolved and a straggler here
and there: this closes every unresolved ticket but those among the newest `--recent`
and one id in `--every`, then analyzes, as `ticketdesk init` would. Lists whose plans
rest on how many tickets a status holds behave differently on it (see
docs/performance.md). It changes the database in place: run it on a copy.

On SQLite, closing them rewrites their full-text entries (their status is one of the
index's facets) in one transaction, which leaves the index in many segments: searches
at 1M ran 2-5 times slower until it was merged (12 s). A helpdesk's index is merged as
its tickets close, a few at a time, so the index is merged here too, as `ticketdesk
seed` leaves it.
"""

from __future__ import annotations

import argparse

from sqlalchemy import create_engine, text

from bench.run import _sqlalchemy_url
from ticketdesk.services.search_index import SQLITE_OPTIMIZE

CLOSE = text(
    "UPDATE tickets SET status = 'closed', closed_at = updated_at"
    " WHERE status IN ('open', 'in_progress', 'waiting')"
    " AND id <= (SELECT max(id) FROM tickets) - :recent AND id % :every != 0"
)
LEFT = text("SELECT status, sum(total) FROM ticket_status_counts GROUP BY status ORDER BY status")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.backlog")
    parser.add_argument("--database-url", required=True, help="a database `ticketdesk seed` filled")
    parser.add_argument("--recent", type=int, default=4000, help="newest tickets left as they are")
    parser.add_argument("--every", type=int, default=1000, help="and one id in this many")
    args = parser.parse_args(argv)
    engine = create_engine(_sqlalchemy_url(args.database_url))
    with engine.begin() as connection:
        closed = connection.execute(CLOSE, {"recent": args.recent, "every": args.every}).rowcount
        if connection.dialect.name == "sqlite":
            connection.execute(text(SQLITE_OPTIMIZE))
        connection.execute(text("ANALYZE"))
        counts = connection.execute(LEFT).all()
    engine.dispose()
    print(f"Closed {closed:,} tickets; now " + ", ".join(f"{s} {n:,}" for s, n in counts))


if __name__ == "__main__":
    main()
