"""Ticket counts per status, kept by database triggers, so the staff sidebar never scans tickets.

The triggers fire on every insert, status change and delete of a ticket, in the
same transaction, whichever code made the change. Their DDL runs after
`create_all` (tests) and in migration 0007_sharded_status_counts.

On PostgreSQL each change adds to one of SHARDS rows per status, picked at random:
with a single row per status, every ticket opened anywhere would wait for the
row lock of the one before it to commit. A count is the sum of its shards
(some of which may be negative). SQLite writes one at a time anyway: shard 0.
"""

from __future__ import annotations

from sqlalchemy import DDL, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from ticketdesk.models.base import Base

SHARDS = 16


class TicketStatusCount(Base):
    """One shard of how many tickets are in one status."""

    __tablename__ = "ticket_status_counts"

    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)


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

# Recount from the tickets themselves (after a bulk load, or to repair).
RECOUNT = (
    "DELETE FROM ticket_status_counts",
    "INSERT INTO ticket_status_counts (status, shard, total) "
    "SELECT status, 0, count(*) FROM tickets GROUP BY status",
)

for _statement in SQLITE_DDL:
    event.listen(Base.metadata, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRESQL_DDL:
    event.listen(Base.metadata, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
