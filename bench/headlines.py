"""A page of PostgreSQL snippets two ways: by ts_headline, and as the search makes them.

    python -m bench.headlines --database-url postgresql://…/seeded [--q zeppelin]

On a database `ticketdesk seed` filled, takes the 25 newest tickets holding the word
and times, one after another and best of many: PostgreSQL's `ts_headline` over their
texts (two fragments of up to 24 words, as the search asked for them until
2026-12-07), reading the same texts as the search does now, and making their
headlines from those texts in Python (`search_postgres.headlines_of`). Both statements'
times are the database's and the round trip's; the last is the app's own.
"""

from __future__ import annotations

import argparse
import time

from sqlalchemy import create_engine, text

from bench.run import _sqlalchemy_url
from ticketdesk.models.text_search import ENGLISH
from ticketdesk.seed import RARE_WORD
from ticketdesk.services import search_postgres
from ticketdesk.services.search_sql import MARK_END, MARK_START

PAGE = 25
_OPTIONS = (
    f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=24, MinWords=8, "
    'MaxFragments=2, FragmentDelimiter=" … ", ShortWord=0'
)
_NEWEST = text(
    f"SELECT ticket_id FROM ticket_search WHERE document @@ to_tsquery('{ENGLISH}', :word)"
    " ORDER BY ticket_id DESC LIMIT :page"
)
_TS_HEADLINE = text(
    f"SELECT ticket_id, ts_headline('{ENGLISH}', body || E'\\n' || internal,"
    f" to_tsquery('{ENGLISH}', :word), '{_OPTIONS}') FROM ticket_search"
    " WHERE ticket_id = ANY(:ids)"
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.headlines")
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database seeded")
    parser.add_argument("--q", default=RARE_WORD, help="one word to find")
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args(argv)
    engine = create_engine(_sqlalchemy_url(args.database_url))
    with engine.connect() as connection:
        word = {"word": args.q}
        ids = connection.execute(_NEWEST, word | {"page": PAGE}).scalars().all()
        texts = {"ids": ids, "words": args.q, "terms": [args.q]}
        rows = connection.execute(search_postgres._STAFF_TEXTS, texts).all()

        def in_python() -> list[tuple[int, str]]:
            return list(search_postgres.headlines_of(rows, [[args.q]], staff=True))

        timings = {
            "ts_headline (database)": lambda: connection.execute(
                _TS_HEADLINE, word | {"ids": ids}
            ).all(),
            "the texts (database)": lambda: connection.execute(
                search_postgres._STAFF_TEXTS, texts
            ).all(),
            "headlines in Python (app)": in_python,
        }
        print(f"{len(ids)} tickets holding {args.q!r}, best of {args.rounds}:")
        for name, run in timings.items():
            print(f"  {name:<28} {_best(run, args.rounds) * 1000:7.2f} ms a page")


def _best(run, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


if __name__ == "__main__":
    main()
