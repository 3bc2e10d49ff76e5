"""The full-text index of tickets, kept in each database's own search engine.

SQLite: an FTS5 table `ticket_search` (rowid = ticket id) with four columns,
`title`, `body` (description and public replies, then the names of their files),
`internal` (staff notes, then the names of theirs) and
`requester` (one token: a private-use character, `u` and the requester's id). A
customer's search asks FTS5 for their token too, so that it reads only their own
tickets' matches; no word a user types can match it.
PostgreSQL: a table `ticket_search` with the same texts and one weighted
`tsvector` (title A, body B, internal notes D) under a GIN index, so that a
customer's query can ask for weights A and B only. Each document also holds each of
its words with the ticket's id block, `<word>#<ticket id // 10000>` (added by the
indexing SQL in `ticketdesk.services.search_index`, and by migration 0014 to older rows).

Neither is a plain table `create_all` could make, so the DDL below runs after
the metadata is created (tests) and again, verbatim, in migration 0002_search
(the FTS5 merge setting, in migration 0009; the GIN index's, in 0010; the document's
storage, in 0014; the SQLite `facets` column and its trigger, in 0022).
"""

from __future__ import annotations

from sqlalchemy import DDL, event

from ticketdesk.models.base import Base

# Starts each facet token: FTS5 keeps a private-use character in a token, while a
# query's words are letters and digits only (services/search.py), so no search typed
# can match one.
FACET_MARK = "\ue002"
# Each facet token's letter after the mark, and the SQL of its value in a tickets row
# named `{row}`: as stored (a priority's rank), 0 for no assignee, a status without the
# `_` FTS5 would cut it at.
_FACET_VALUES = {
    "u": "{row}.requester_id",
    "a": "coalesce({row}.assignee_id, 0)",
    "s": "replace({row}.status, '_', '')",
    "p": "{row}.priority",
    "q": "{row}.queue_id",
}
FACET_COLUMNS = ("requester_id", "assignee_id", "status", "priority", "queue_id")


def facet_token(kind: str, value: object) -> str:
    """The token of one facet: `kind` its letter (see _FACET_VALUES), `value` as stored."""
    return f"{FACET_MARK}{kind}{str(value).replace('_', '')}"


def facets_sql(row: str) -> str:
    """SQL of the `facets` column for the tickets row `row`: each facet's token."""
    return " || ' ' || ".join(
        f"char({ord(FACET_MARK)}) || '{kind}' || {value.format(row=row)}"
        for kind, value in _FACET_VALUES.items()
    )


SQLITE_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS ticket_search USING fts5("
    "title, body, internal, facets, tokenize = 'porter unicode61 remove_diacritics 2')",
    # FTS5 writes a row's change as its removal and its new entry, reading the texts
    # again: only when a facet changes (0.08 ms for an average ticket's, at 1M).
    "CREATE TRIGGER IF NOT EXISTS ticket_search_facets AFTER UPDATE OF "
    + ", ".join(FACET_COLUMNS)
    + " ON tickets WHEN "
    + " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in FACET_COLUMNS)
    + f" BEGIN UPDATE ticket_search SET facets = {facets_sql('NEW')} WHERE rowid = NEW.id; END",
)
# FTS5 writes each transaction's entries as a new segment and merges segments as they
# pile up: by default four to a level, and inside some unlucky write. Eight to a level
# halves that merge work per ticket opened (see docs/search.md), at the price of
# a few more segments for a query to look up. Stored in the index's own config table.
SQLITE_AUTOMERGE = 8
SQLITE_TUNING = (
    f"INSERT INTO ticket_search (ticket_search, rank) VALUES ('automerge', {SQLITE_AUTOMERGE})",
)

# By default GIN queues new entries in a pending list of up to 4 MB that every search
# reads through whole, until a vacuum (rarely, at a million rows) or an unlucky insert
# merges it. Without it each write updates the index itself: opening a ticket measured
# no slower, and a search no longer pays for the tickets opened since (see docs/search.md).
POSTGRESQL_GIN = (
    "CREATE INDEX IF NOT EXISTS ix_ticket_search_document ON ticket_search"
    " USING gin (document) WITH (fastupdate = off)"
)
POSTGRESQL_DDL = (
    "CREATE TABLE IF NOT EXISTS ticket_search ("
    " ticket_id INTEGER PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,"
    " body TEXT NOT NULL DEFAULT '',"
    " internal TEXT NOT NULL DEFAULT '',"
    " document TSVECTOR NOT NULL)",
    # Kept in the row, compressed if need be: ranking a match reads its document, and
    # from the TOAST table that took three page reads, not one.
    "ALTER TABLE ticket_search ALTER COLUMN document SET STORAGE MAIN",
    POSTGRESQL_GIN,
)

DROP = "DROP TABLE IF EXISTS ticket_search"

for _statement in SQLITE_DDL + SQLITE_TUNING:
    event.listen(Base.metadata, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRESQL_DDL:
    event.listen(Base.metadata, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
event.listen(Base.metadata, "before_drop", DDL(DROP))
