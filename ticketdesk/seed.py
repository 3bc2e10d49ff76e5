"""Fast bulk seeding: N realistic tickets with replies, for benchmarks and load tests.

The services make one ticket per transaction, which is right for real work and
far too slow for a million. Here rows are generated in Python and written in
large batches straight to the tables (executemany on SQLite, COPY on
PostgreSQL), then the search index is built with one INSERT … SELECT. Only an
empty database is seeded: ids are chosen here, not by the database.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import Connection, func, select, text

from ticketdesk.extensions import db
from ticketdesk.models import Priority, Queue, Ticket, TicketStatus, User
from ticketdesk.models.counters import RECOUNT
from ticketdesk.services import queue_manager
from ticketdesk.services.search_index import index_all
from ticketdesk.services.secrets import hash_password

BATCH = 20_000
# A word in about one ticket in a hundred, and nowhere else: what `make bench` searches for.
RARE_WORD = "zeppelin"
RARE_SHARE = 0.01
STAFF_COUNT = 20
BENCH_STAFF_EMAIL = "bench-staff@example.com"
BENCH_CUSTOMER_EMAIL = "bench-customer@example.com"
QUEUES = ["Billing", "Hardware", "Software", "Accounts"]

THINGS = (
    "printer laptop invoice password account email vpn monitor keyboard phone "
    "license report export dashboard calendar backup server wifi badge payment"
).split()
PROBLEMS = (
    "broken missing slow locked failing crashed duplicated wrong blocked "
    "expired unreadable stuck overheating disconnected delayed"
).split()
WORDS = (
    "the a it we our my your when after before since every today yesterday again still "
    "cannot could would please help urgent error message screen page button click open "
    "close save send receive update install restart login logout office home remote "
    "team manager customer order number week month morning evening meeting client "
    "version settings network connection file folder document attachment upload download "
    "access permission admin user guest mobile desktop browser chrome firefox windows "
    "linux mac app system sync cloud storage quota limit warning reset retry support"
).split()
STATUS_WEIGHTS = {
    TicketStatus.OPEN: 20,
    TicketStatus.IN_PROGRESS: 15,
    TicketStatus.WAITING: 10,
    TicketStatus.RESOLVED: 25,
    TicketStatus.CLOSED: 30,
}
PRIORITY_WEIGHTS = {Priority.LOW: 20, Priority.NORMAL: 55, Priority.HIGH: 20, Priority.URGENT: 5}


@dataclass(frozen=True)
class People:
    staff: list[int]
    customers: list[int]


def seed(
    tickets: int, *, password: str, progress: Callable[[str, int], None], rng_seed: int = 1
) -> dict[str, int]:
    """Fill an empty database with `tickets` tickets; returns the rows written per table."""
    queue_manager().ensure_default_queue()
    db.session.commit()
    with db.engine.begin() as connection:
        # Someone's helpdesk, tickets or not: seeding adds a staff member with a known
        # password and twenty more who would be mailed every new ticket.
        if connection.scalar(select(func.count()).select_from(Ticket)):
            raise click.ClickException("The database has tickets already: seed an empty one.")
        if connection.scalar(select(func.count()).select_from(User)):
            raise click.ClickException(
                "The database has people already: seed an empty one, just after `ticketdesk init`."
            )
        rng = random.Random(rng_seed)
        rounds = int(current_app.config["BCRYPT_ROUNDS"])
        queues = _queues(connection)
        people = _people(connection, tickets, password, rounds)
        postgres = connection.dialect.name == "postgresql"
        if postgres:  # the status counters are recounted once below, not row by row
            connection.execute(text("ALTER TABLE tickets DISABLE TRIGGER USER"))
        counts = _tickets(connection, rng, tickets, queues, people, progress)
        if postgres:
            connection.execute(text("ALTER TABLE tickets ENABLE TRIGGER USER"))
        for statement in RECOUNT:
            connection.execute(text(statement))
        progress("search index", 0)
        index_all(connection)
        _reset_sequences(connection)
    progress("statistics", 0)
    # Fresh statistics, so the planner knows the tables are big from the first request;
    # on PostgreSQL also a vacuum, whose visibility map lets index-only scans skip the
    # table (it cannot run inside a transaction, hence autocommit).
    if db.engine.dialect.name == "postgresql":
        autocommit = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        with autocommit as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        with db.engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    return counts


def _queues(connection: Connection) -> list[int]:
    existing = set(connection.scalars(select(Queue.name)))
    now = _stamp(datetime.now(UTC), connection)
    rows = [(name, name.lower(), now) for name in QUEUES if name not in existing]
    _write(connection, "queues", ("name", "slug", "created_at"), rows)
    return list(connection.scalars(select(Queue.id).order_by(Queue.id)))


def _people(connection: Connection, tickets: int, password: str, rounds: int) -> People:
    """Staff, customers, and one staff member and one customer who can sign in."""
    hashed = hash_password(password, rounds=rounds)
    now = _stamp(datetime.now(UTC), connection)
    start = (connection.scalar(text("SELECT max(id) FROM users")) or 0) + 1
    customers = max(100, min(20_000, tickets // 50))
    rows = [(start, "Bench Staff", BENCH_STAFF_EMAIL, hashed, "staff", True, now)]
    rows.append((start + 1, "Bench Customer", BENCH_CUSTOMER_EMAIL, hashed, "customer", True, now))
    for n in range(STAFF_COUNT - 1):
        rows.append(
            (start + 2 + n, f"Agent {n}", f"agent{n}@seed.example", None, "staff", True, now)
        )
    first_customer = start + 1 + STAFF_COUNT
    for n in range(customers - 1):
        email = f"customer{n}@seed.example"
        rows.append((first_customer + n, f"Customer {n}", email, None, "customer", True, now))
    columns = ("id", "name", "email", "password_hash", "role", "active", "created_at")
    _write(connection, "users", columns, rows)
    staff = [start] + list(range(start + 2, start + 1 + STAFF_COUNT))
    return People(
        staff=staff, customers=[start + 1, *range(first_customer, first_customer + customers - 1)]
    )


def _tickets(connection, rng, total, queues, people, progress) -> dict[str, int]:
    counts = {"tickets": 0, "comments": 0, "ticket_events": 0}
    end = datetime.now(UTC) - timedelta(minutes=5)
    span = timedelta(days=730)
    comment_id = event_id = 1
    for first in range(1, total + 1, BATCH):
        ticket_rows, comment_rows, event_rows = [], [], []
        for ticket_id in range(first, min(first + BATCH, total + 1)):
            created = end - span * (1 - ticket_id / total)
            ticket, replies = _ticket(rng, ticket_id, created, queues, people)
            ticket_rows.append(_stamped(ticket, connection))
            event_rows.append(
                _stamped(
                    (event_id, ticket_id, ticket[6], "created", None, "open", created), connection
                )
            )
            event_id += 1
            for author, body, internal, at in replies:
                row = (comment_id, ticket_id, author, body, internal, at)
                comment_rows.append(_stamped(row, connection))
                comment_id += 1
        _write(connection, "tickets", TICKET_COLUMNS, ticket_rows)
        _write(connection, "comments", COMMENT_COLUMNS, comment_rows)
        _write(connection, "ticket_events", EVENT_COLUMNS, event_rows)
        counts["tickets"] += len(ticket_rows)
        counts["comments"] += len(comment_rows)
        counts["ticket_events"] += len(event_rows)
        progress("tickets", len(ticket_rows))
    return counts


TICKET_COLUMNS = (
    "id", "title", "description", "status", "priority", "queue_id", "requester_id",
    "assignee_id", "created_at", "updated_at", "resolved_at", "closed_at", "version",
)  # fmt: skip
COMMENT_COLUMNS = ("id", "ticket_id", "author_id", "body", "internal", "created_at")
EVENT_COLUMNS = ("id", "ticket_id", "actor_id", "kind", "old_value", "new_value", "at")


def _ticket(rng: random.Random, ticket_id: int, created: datetime, queues, people: People):
    """One ticket row and its replies (author, body, internal, at)."""
    status = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
    priority = rng.choices(list(PRIORITY_WEIGHTS), weights=list(PRIORITY_WEIGHTS.values()))[0]
    requester = rng.choice(people.customers)
    assignee = None
    if status != TicketStatus.OPEN or rng.random() < 0.5:
        assignee = rng.choice(people.staff)
    title = f"{rng.choice(THINGS).capitalize()} {rng.choice(PROBLEMS)} {_words(rng, 2, 5)}"
    description = _words(rng, 15, 60)
    if rng.random() < RARE_SHARE:
        description = f"{description} {RARE_WORD} {_words(rng, 3, 10)}"
    replies, at = [], created
    for n in range(rng.choice((0, 1, 1, 2, 2, 2, 3, 4))):
        at = at + timedelta(minutes=rng.randint(5, 600))
        staff_turn = n % 2 == 0 and assignee is not None
        internal = staff_turn and rng.random() < 0.2
        author = assignee if staff_turn else requester
        replies.append((author, _words(rng, 8, 40), internal, at))
    updated = at if replies else created
    resolved = updated if status in (TicketStatus.RESOLVED, TicketStatus.CLOSED) else None
    closed = updated if status == TicketStatus.CLOSED else None
    row = (
        ticket_id, title[:200], description, status.value, priority.rank, rng.choice(queues),
        requester, assignee, created, updated, resolved, closed, 1,
    )  # fmt: skip
    return row, replies


def _words(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(low, high)))


def _stamp(value: datetime, connection: Connection):
    """A timestamp as the driver wants it: SQLAlchemy's SQLite text format, or as is."""
    if connection.dialect.name != "sqlite":
        return value
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _stamped(row: tuple, connection: Connection) -> tuple:
    return tuple(
        _stamp(value, connection) if isinstance(value, datetime) else value for value in row
    )


def _write(connection: Connection, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Append rows to a table as fast as the driver allows."""
    if not rows:
        return
    raw = connection.connection.driver_connection
    names = ", ".join(columns)
    if connection.dialect.name == "sqlite":
        marks = ", ".join("?" for _ in columns)
        raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
        return
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _reset_sequences(connection: Connection) -> None:
    """PostgreSQL: move each id sequence past the ids chosen here."""
    if connection.dialect.name == "sqlite":
        return
    for table in ("queues", "users", "tickets", "comments", "ticket_events"):
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        )


@click.command("seed")
@click.argument("tickets", type=click.IntRange(1, 10_000_000))
@click.option(
    "--password",
    default="bench-password",
    show_default=True,
    help=f"Password of {BENCH_STAFF_EMAIL} and {BENCH_CUSTOMER_EMAIL}.",
)
@with_appcontext
def seed_command(tickets: int, password: str):
    """Fill an empty database with TICKETS realistic tickets and replies, fast."""
    started = time.monotonic()
    with click.progressbar(length=tickets, label="Seeding tickets") as bar:

        def progress(stage: str, done: int) -> None:
            if stage == "tickets":
                bar.update(done)
            else:
                click.echo(f" … {stage} ({time.monotonic() - started:.0f} s)", err=True)

        counts = seed(tickets, password=password, progress=progress)
    elapsed = time.monotonic() - started
    summary = ", ".join(f"{count:,} {table}" for table, count in counts.items())
    click.echo(f"Seeded {summary} and the search index in {elapsed:.1f} s.")
    click.echo(f"Sign in as {BENCH_STAFF_EMAIL} or {BENCH_CUSTOMER_EMAIL} with the given password.")
