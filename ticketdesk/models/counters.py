"""Ticket counts per status, kept by database triggers, so the staff sidebar never scans tickets.

The triggers fire on every insert, status change and delete of a ticket, in the
same transaction, whichever code made the change. Their DDL runs after
`create_all` (tests) and in migration 0002_search.
"""

from __future__ import annotations

from sqlalchemy import DDL, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from ticketdesk.models.base import Base


class TicketStatusCount(Base):
    """How many tickets are in one status."""

    __tablename__ = "ticket_status_counts"

    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    total: Mapped[int] = mapped_column(Integer, default=0)


_UPSERT = (
    "INSERT INTO ticket_status_counts (status, total) VALUES (NEW.status, 1) "
    "ON CONFLICT (status) DO UPDATE SET total = ticket_status_counts.total + 1"
)
_DECREMENT = "UPDATE ticket_status_counts SET total = total - 1 WHERE status = OLD.status"

SQLITE_DDL = (
    "CREATE TRIGGER IF NOT EXISTS ticket_status_counts_insert AFTER INSERT ON tickets "
    f"BEGIN {_UPSERT}; END",
    "CREATE TRIGGER IF NOT EXISTS ticket_status_counts_update AFTER UPDATE OF status ON tickets "
    f"WHEN OLD.status <> NEW.status BEGIN {_DECREMENT}; {_UPSERT}; END",
    "CREATE TRIGGER IF NOT EXISTS ticket_status_counts_delete AFTER DELETE ON tickets "
    f"BEGIN {_DECREMENT}; END",
)

POSTGRESQL_DDL = (
    "CREATE OR REPLACE FUNCTION ticket_status_counts_track() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN "
    # Both rows are locked in one order first, so opposite changes never deadlock.
    "IF TG_OP = 'UPDATE' THEN PERFORM 1 FROM ticket_status_counts "
    "WHERE status IN (OLD.status, NEW.status) ORDER BY status FOR UPDATE; END IF; "
    f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {_DECREMENT}; END IF; "
    f"IF TG_OP IN ('INSERT', 'UPDATE') THEN {_UPSERT}; END IF; "
    "RETURN NULL; END $$",
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
    "INSERT INTO ticket_status_counts (status, total) "
    "SELECT status, count(*) FROM tickets GROUP BY status",
)

for _statement in SQLITE_DDL:
    event.listen(Base.metadata, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRESQL_DDL:
    event.listen(Base.metadata, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
