"""How long sign-up and forgot-password take for each kind of address, through the API.

    python -m bench.account_timing [--requests 200] [--database-url URL]

Both answer every address alike; their timing should not tell apart an unknown address,
an active account and a deactivated one. Runs through the test client (no server, no
rate limits), the kinds taking turns so that drift touches each alike; prints the median
and the 90th percentile of each kind in milliseconds. Without --database-url it uses a
new SQLite file; a PostgreSQL URL must name an empty database.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from ticketdesk.app import create_app
from ticketdesk.cli import initialise_database
from ticketdesk.extensions import db
from ticketdesk.models import Role
from ticketdesk.services import user_manager

ACTIVE, GONE = "active@example.com", "gone@example.com"


def app_on(database_url: str):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "bench",
            "BCRYPT_ROUNDS": 4,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        initialise_database()
        users = user_manager()
        made = {
            email: users.create_user_unchecked(
                name="Bench", email=email, password="bench password 1", role=Role.CUSTOMER
            )
            for email in (ACTIVE, GONE)
        }
        admin = users.create_user_unchecked(
            name="Admin", email="admin@example.com", password=None, role=Role.ADMIN
        )
        users.update_user(admin, made[GONE].id, {"active": False})
        db.session.remove()
    return app


def timed(client, path: str, body: dict) -> float:
    start = time.perf_counter()
    response = client.post(path, json=body)
    elapsed = time.perf_counter() - start
    assert response.status_code == 202, response.get_data(as_text=True)
    return elapsed * 1000


def measure(app, requests: int) -> dict[str, list[float]]:
    client = app.test_client()
    kinds = {
        "register, new address": lambda n: ("/api/v1/auth/register", f"new{n}@example.com"),
        "register, active account": lambda n: ("/api/v1/auth/register", ACTIVE),
        "register, deactivated": lambda n: ("/api/v1/auth/register", GONE),
        "forgot, unknown address": lambda n: ("/api/v1/auth/password-reset", f"no{n}@example.com"),
        "forgot, active account": lambda n: ("/api/v1/auth/password-reset", ACTIVE),
        "forgot, deactivated": lambda n: ("/api/v1/auth/password-reset", GONE),
    }
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    for n in range(-10, requests):  # ten rounds to warm up, not counted
        for kind, request in kinds.items():
            path, email = request(n)
            body = {"email": email, "name": "Bench"} if "register" in path else {"email": email}
            elapsed = timed(client, path, body)
            if n >= 0:
                times[kind].append(elapsed)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'timing.sqlite3'}"
        times = measure(app_on(url), args.requests)
    print(f"{'kind':28} {'median ms':>10} {'p90 ms':>8}   ({args.requests} requests each)")
    for kind, values in times.items():
        p90 = statistics.quantiles(values, n=10)[-1]
        print(f"{kind:28} {statistics.median(values):10.2f} {p90:8.2f}")


if __name__ == "__main__":
    main()
