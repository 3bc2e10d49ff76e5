"""Finding people by name or address, timed among many accounts.

    python -m bench.people --database-url sqlite:////path/seeded.sqlite3 --people 200000

Adds accounts with varied names and addresses to a database `ticketdesk seed` filled
(the seed's own are all "Customer N"), up to `--people`, then times each lookup
in-process, one request at a time: the API's page of 100 (`GET /api/v1/users?q=`) and
the staff list's search box, which also shows the newest five people its words name.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from urllib.parse import urlencode

from sqlalchemy import create_engine, func, insert, select, text

from bench import operations
from bench.instructions import _in_process
from bench.run import PASSWORD, _sqlalchemy_url
from ticketdesk.models import Role, User

FIRST = (
    "Ann Bob Carla Carlos Dana Eve Frank Grace Heidi Ivan Judy Karl Liam Mia Noah Olga "
    "Pablo Quinn Rosa Sven Tara Uma Victor Wen Xena Yuri Zoe José Jean-Luc"
).split()
LAST = (
    "Smith Jones Brown Garcia Miller Davis Wilson Moore Taylor Anderson Thomas Jackson "
    "White Harris Martin Thompson Lopez Clark Lewis Walker Young Allen King Wright O'Brien"
).split()
DOMAINS = ["gmail.com", "acme.example", "mail.example"] + [f"co{i}.example" for i in range(500)]
QUERIES = ("carla", "carla smith", "car", "ca", "c", "acme", "co17", "jean luc", "zzz")
ROUNDS = 20


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.people")
    parser.add_argument("--database-url", required=True, help="a database `ticketdesk seed` filled")
    parser.add_argument("--people", type=int, default=200_000, help="accounts to have in all")
    args = parser.parse_args(argv)
    url = _sqlalchemy_url(args.database_url)
    print(f"{_add_people(url, args.people):,} accounts")
    os.environ |= {
        "TICKETDESK_DATABASE_URL": url,
        "TICKETDESK_INSTANCE_PATH": tempfile.mkdtemp(prefix="ticketdesk-people-"),
        "TICKETDESK_RATELIMIT_ENABLED": "false",
    }
    from ticketdesk.app import create_app

    send = _in_process(create_app().test_client(use_cookies=False))
    context = operations.prepare(send, PASSWORD, 0)
    api = {"Authorization": f"Bearer {context['staff_token']}"}
    page = {"Cookie": context["cookie"]}
    print(f"{'words':<14} {'API p50':>9} {'API max':>9} {'page p50':>9} {'page max':>9}  (ms)")
    for words in QUERIES:
        query = urlencode({"q": words})
        api_times = _times(send, f"/api/v1/users?{query}&limit=100", api)
        page_times = _times(send, f"/tickets?{query}", page)
        print(f"{words:<14} {_ms(api_times)} {_ms(page_times)}")


def _add_people(url: str, wanted: int) -> int:
    """Customers with varied names, added until there are `wanted` accounts in all."""
    engine = create_engine(url)
    users = User.__table__
    rng = random.Random(1)
    with engine.begin() as connection:
        have = connection.scalar(select(func.count()).select_from(users))
        for start in range(have, wanted, 10_000):
            rows = [_person(rng, n) for n in range(start, min(start + 10_000, wanted))]
            connection.execute(insert(users), rows)
        if engine.dialect.name == "postgresql":
            connection.execute(text("ANALYZE users"))
        total = connection.scalar(select(func.count()).select_from(users))
    engine.dispose()
    return total


def _person(rng: random.Random, n: int) -> dict:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    local = f"{first}.{last}{n}".lower().replace("'", "")
    return {
        "name": f"{first} {last}",
        "email": f"{local}@{rng.choice(DOMAINS)}",
        "role": Role.CUSTOMER,
        "active": True,
        "session_generation": 1,
        "created_at": datetime.now(UTC),
    }


def _times(send, path: str, headers: dict) -> list[float]:
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        status, _, _ = send("GET", path, headers=headers)
        times.append(time.perf_counter() - started)
        if status != 200:
            raise SystemExit(f"GET {path}: {status}")
    return times


def _ms(times: list[float]) -> str:
    return f"{statistics.median(times) * 1000:9.2f} {max(times) * 1000:9.2f}"


if __name__ == "__main__":
    main()
