"""Statistics for SQLite's query planner, which never gathers them by itself.

Without them SQLite plans from fixed guesses, and the staff's default list (the
unresolved tickets, newest first) read every unresolved ticket through the status
index and sorted them: 78 ms at 100,000 tickets, where the statistics lead it down the
date index (the plans `make bench` and the tests measure, on seeded databases, which
`ticketdesk seed` analyzes). A database grown by use had none. They are made again
whenever the tickets have doubled or halved since, by `ticketdesk init` and about
hourly by `ticketdesk worker`: ANALYZE reads every index, 0.2 s at 100,000 tickets,
holding the write turn. PostgreSQL's autovacuum analyzes tables as they change.
"""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ticketdesk.models import TicketStatusCount
from ticketdesk.services.transactions import begin_write

GROWTH = 2
# The tickets counted when the statistics were made: the first number of an index's stat.
_ANALYZED = text(
    "SELECT stat FROM sqlite_stat1 WHERE tbl = 'tickets' AND idx = 'ix_tickets_created'"
)
_HAS_STATISTICS = text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
# The triggers' count of every ticket (see models.counters): no table scan.
_TICKETS = select(func.coalesce(func.sum(TicketStatusCount.total), 0))


def refresh_statistics(session: Session) -> bool:
    """ANALYZE a SQLite database that has no statistics of its tickets, or whose tickets
    have since grown or shrunk by more than GROWTH times; True if it did."""
    if session.get_bind().dialect.name != "sqlite":
        return False
    tickets = session.scalar(_TICKETS)
    stat = session.scalar(_ANALYZED) if session.scalar(_HAS_STATISTICS) else None
    analyzed = int(stat.split()[0]) if stat else 0
    if not tickets or (analyzed and analyzed / GROWTH <= tickets <= analyzed * GROWTH):
        session.rollback()  # ends the read
        return False
    begin_write(session)
    session.execute(text("ANALYZE"))
    session.commit()
    return True
