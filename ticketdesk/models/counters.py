"""Ticket counts kept by database triggers, so the staff sidebar never scans tickets.

Per status, every ticket; per queue and per assignee, the active ones (open, in
progress, waiting). The triggers fire on every insert, delete and change of a
ticket's status, queue or assignee, in the same transaction, whichever code made the
change. Their DDL runs after `create_all` (tests) and in migrations
0007_sharded_status_counts and 0012_active_counts.

On PostgreSQL each change adds to one of SHARDS rows per count, so that writers do
not wait on one row's lock: for a status, a shard picked at random; for a queue or
an assignee, the connection's own (its server process id, modulo SHARDS), so that two
writers seldom share a row at all, whatever order their tickets come in. A count is
the sum of its shards (some of which may be negative). SQLite writes one at a time
anyway: shard 0.
"""

from __future__ import annotations

from sqlalchemy import DDL, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from ticketdesk.models.base import Base
from ticketdesk.models.tickets import ACTIVE_STATUSES

SHARDS = 16


class TicketStatusCount(Base):
    """One shard of how many tickets are in one status."""

    __tablename__ = "ticket_status_counts"

    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)


class TicketQueueCount(Base):
    """One shard of how many active tickets are in one queue."""

    __tablename__ = "ticket_queue_counts"

    queue_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    active: Mapped[int] = mapped_column(Integer, default=0)


class TicketAssigneeCount(Base):
    """One shard of how many active tickets one person is assigned (`assignee_id` 0: nobody)."""

    __tablename__ = "ticket_assignee_counts"

    assignee_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    active: Mapped[int] = mapped_column(Integer, default=0)


def _add(status: str, shard: str, delta: int) -> str:
    return (
        "INSERT INTO ticket_status_counts (status, shard, total) "
        f"VALUES ({status}, {shard}, {delta}) ON CONFLICT (status, shard) "
        f"DO UPDATE SET total = ticket_status_counts.total + {delta}"
    )


SQLITE_DDL = (
    "CREATE TRIGGER IF NOT EXISTS ticket_status_counts_insert AFTER INSERT ON tickets "
    f"BEGIN {_add('NEW.status', '0', 1)}; END",
    "CREATE TRIGGER IF NOT EXISTS ticket_status_counts_update AFTER UPDATE OF status ON tickets "
    f"WHEN OLD.status <> NEW.status BEGIN {_add('OLD.status', '0', -1)}; "
    f"{_add('NEW.status', '0', 1)}; END",
    "CREATE TRIGGER IF NOT EXISTS ticket_status_counts_delete AFTER DELETE ON tickets "
    f"BEGIN {_add('OLD.status', '0', -1)}; END",
)

POSTGRESQL_DDL = (
    "CREATE OR REPLACE FUNCTION ticket_status_counts_track() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ DECLARE pick integer := floor(random() * "
    f"{SHARDS})::integer; BEGIN "
    # Lower status first: two changes between the same statuses never deadlock.
    "IF TG_OP = 'UPDATE' AND OLD.status::text > NEW.status::text THEN "
    f"{_add('NEW.status', 'pick', 1)}; {_add('OLD.status', 'pick', -1)}; "
    "ELSE "
    f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {_add('OLD.status', 'pick', -1)}; END IF; "
    f"IF TG_OP IN ('INSERT', 'UPDATE') THEN {_add('NEW.status', 'pick', 1)}; END IF; "
    "END IF; RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS ticket_status_counts_rows ON tickets",
    "CREATE TRIGGER ticket_status_counts_rows AFTER INSERT OR DELETE ON tickets "
    "FOR EACH ROW EXECUTE FUNCTION ticket_status_counts_track()",
    "DROP TRIGGER IF EXISTS ticket_status_counts_status ON tickets",
    "CREATE TRIGGER ticket_status_counts_status AFTER UPDATE OF status ON tickets "
    "FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) "
    "EXECUTE FUNCTION ticket_status_counts_track()",
)

_ACTIVE = "(" + ", ".join(f"'{status.value}'" for status in ACTIVE_STATUSES) + ")"
# The rows of a ticket each trigger sees, and what each adds: the old row leaves its
# counts, the new one joins its own.
_SIDES = {"INSERT": (("NEW", 1),), "DELETE": (("OLD", -1),), "UPDATE": (("OLD", -1), ("NEW", 1))}


def _move(table: str, column: str, key: str, shard: str, operation: str) -> str:
    """One statement adding a ticket's change to the active counts of `table`, per `key`
    (an expression on the row named `{row}`). An update's two sides are summed per key,
    nothing where they cancel, in key order, so that two writers take shared rows in
    one order."""
    sides = [
        (key.format(row=row), delta, f"{row}.status IN {_ACTIVE}")
        for row, delta in _SIDES[operation]
    ]
    if len(sides) == 1:
        [(counted, delta, active)] = sides
        moves = f"SELECT {counted}, {shard}, {delta} WHERE {active}"
    else:
        each = " UNION ALL ".join(
            f"SELECT {counted} AS counted, {delta} AS delta WHERE {active}"
            for counted, delta, active in sides
        )
        moves = (
            f"SELECT counted, {shard}, sum(delta) FROM ({each}) AS moves WHERE true "
            "GROUP BY counted HAVING sum(delta) <> 0 ORDER BY counted"
        )
    return (
        f"INSERT INTO {table} ({column}, shard, active) {moves} "
        f"ON CONFLICT ({column}, shard) DO UPDATE SET active = {table}.active + excluded.active"
    )


# Each table of active counts: its key column, and the key of a ticket row named `{row}`.
# Queue first, then assignee: every writer takes the tables in this one order.
_ACTIVE_COUNTS = (
    ("ticket_queue_counts", "queue_id", "{row}.queue_id"),
    ("ticket_assignee_counts", "assignee_id", "coalesce({row}.assignee_id, 0)"),
)


def _moves(operation: str, shard: str) -> str:
    """The statements moving a ticket's active counts, table by table."""
    return "; ".join(_move(*counts, shard, operation) for counts in _ACTIVE_COUNTS)


def _moved(distinct: str) -> str:
    """Whether an update moves any active count (not one between two active statuses)."""
    return (
        f"OLD.queue_id {distinct} NEW.queue_id OR OLD.assignee_id {distinct} NEW.assignee_id "
        f"OR (OLD.status IN {_ACTIVE}) <> (NEW.status IN {_ACTIVE})"
    )


SQLITE_ACTIVE_DDL = (
    "CREATE TRIGGER IF NOT EXISTS ticket_active_counts_insert AFTER INSERT ON tickets "
    f"BEGIN {_moves('INSERT', '0')}; END",
    "CREATE TRIGGER IF NOT EXISTS ticket_active_counts_update "
    f"AFTER UPDATE OF status, queue_id, assignee_id ON tickets WHEN {_moved('IS NOT')} "
    f"BEGIN {_moves('UPDATE', '0')}; END",
    "CREATE TRIGGER IF NOT EXISTS ticket_active_counts_delete AFTER DELETE ON tickets "
    f"BEGIN {_moves('DELETE', '0')}; END",
)

POSTGRESQL_ACTIVE_DDL = (
    "CREATE OR REPLACE FUNCTION ticket_active_counts_track() RETURNS trigger "
    f"LANGUAGE plpgsql AS $$ DECLARE pick integer := mod(pg_backend_pid(), {SHARDS}); BEGIN "
    f"IF TG_OP = 'INSERT' THEN {_moves('INSERT', 'pick')}; "
    f"ELSIF TG_OP = 'DELETE' THEN {_moves('DELETE', 'pick')}; "
    f"ELSE {_moves('UPDATE', 'pick')}; END IF; RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS ticket_active_counts_rows ON tickets",
    "CREATE TRIGGER ticket_active_counts_rows AFTER INSERT OR DELETE ON tickets "
    "FOR EACH ROW EXECUTE FUNCTION ticket_active_counts_track()",
    "DROP TRIGGER IF EXISTS ticket_active_counts_moves ON tickets",
    "CREATE TRIGGER ticket_active_counts_moves "
    "AFTER UPDATE OF status, queue_id, assignee_id ON tickets "
    f"FOR EACH ROW WHEN ({_moved('IS DISTINCT FROM')}) "
    "EXECUTE FUNCTION ticket_active_counts_track()",
)

# Recount from the tickets themselves (after a bulk load, or to repair).
RECOUNT = (
    "DELETE FROM ticket_status_counts",
    "INSERT INTO ticket_status_counts (status, shard, total) "
    "SELECT status, 0, count(*) FROM tickets GROUP BY status",
    *(
        statement
        for table, column, key in _ACTIVE_COUNTS
        for statement in (
            f"DELETE FROM {table}",
            f"INSERT INTO {table} ({column}, shard, active) "
            f"SELECT {key.format(row='tickets')}, 0, count(*) FROM tickets "
            f"WHERE status IN {_ACTIVE} GROUP BY {key.format(row='tickets')}",
        )
    ),
)

for _statement in SQLITE_DDL + SQLITE_ACTIVE_DDL:
    event.listen(Base.metadata, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRESQL_DDL + POSTGRESQL_ACTIVE_DDL:
    event.listen(Base.metadata, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
