"""SQLite's full-text index names each ticket's requester, for customers' searches

Revision ID: 0013_fts_requester
Revises: 0012_active_counts
Create Date: 2026-12-06

A customer's search asks FTS5 for their requester token (U+E002, `u`, their id) besides
the words, so that it reads only their own tickets' matches (see
ticketdesk/services/search.py). An FTS5 table cannot gain a column: the index is copied
into a new table with the `requester` column, which then takes the old one's name.
PostgreSQL filters by the tickets' own index there: nothing to do.
"""
from alembic import op


revision = '0013_fts_requester'
down_revision = '0012_active_counts'
branch_labels = None
depends_on = None

# Written out rather than imported: a migration must not change when the models do.
TOKENIZE = "tokenize = 'porter unicode61 remove_diacritics 2'"
UPGRADE = [
    f"CREATE VIRTUAL TABLE ticket_search_new USING fts5(title, body, internal, requester, {TOKENIZE})",
    "INSERT INTO ticket_search_new (rowid, title, body, internal, requester)"
    " SELECT s.rowid, s.title, s.body, s.internal, char(57346) || 'u' || t.requester_id"
    " FROM ticket_search s JOIN tickets t ON t.id = s.rowid",
]
DOWNGRADE = [
    f"CREATE VIRTUAL TABLE ticket_search_new USING fts5(title, body, internal, {TOKENIZE})",
    "INSERT INTO ticket_search_new (rowid, title, body, internal)"
    " SELECT rowid, title, body, internal FROM ticket_search",
]
SWAP = [
    "DROP TABLE ticket_search",
    "ALTER TABLE ticket_search_new RENAME TO ticket_search",
    "INSERT INTO ticket_search (ticket_search, rank) VALUES ('automerge', 8)",
    "INSERT INTO ticket_search (ticket_search) VALUES ('optimize')",
]


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        for statement in UPGRADE + SWAP:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for statement in DOWNGRADE + SWAP:
            op.execute(statement)
