"""SQLite's full-text index holds each ticket's facets, for filtered searches

Revision ID: 0022_search_facets
Revises: 0021_attachment_previews
Create Date: 2026-12-07

The `requester` column of the FTS5 index becomes `facets`: a token for each of the
ticket's requester, assignee, status, priority and queue (see ticketdesk/models/search.py),
kept in step by a trigger on the tickets. A search asks FTS5 for its filters' tokens
besides the words, so that FTS5 reads only the filtered tickets' matches. An FTS5 table
cannot change a column: the index is copied into a new table, which then takes the old
one's name (about 45 s at a million tickets). PostgreSQL filters by the tickets' own
indexes: nothing to do.
"""
from alembic import op


revision = '0022_search_facets'
down_revision = '0021_attachment_previews'
branch_labels = None
depends_on = None

# Written out rather than imported: a migration must not change when the models do.
TOKENIZE = "tokenize = 'porter unicode61 remove_diacritics 2'"
FACETS = (
    "char(57346) || 'u' || {row}.requester_id || ' ' || char(57346) || 'a' || "
    "coalesce({row}.assignee_id, 0) || ' ' || char(57346) || 's' || "
    "replace({row}.status, '_', '') || ' ' || char(57346) || 'p' || {row}.priority || ' ' "
    "|| char(57346) || 'q' || {row}.queue_id"
)
TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS ticket_search_facets AFTER UPDATE OF requester_id, "
    "assignee_id, status, priority, queue_id ON tickets WHEN OLD.requester_id IS NOT "
    "NEW.requester_id OR OLD.assignee_id IS NOT NEW.assignee_id OR OLD.status IS NOT "
    "NEW.status OR OLD.priority IS NOT NEW.priority OR OLD.queue_id IS NOT NEW.queue_id "
    f"BEGIN UPDATE ticket_search SET facets = {FACETS.format(row='NEW')} "
    "WHERE rowid = NEW.id; END"
)
UPGRADE = [
    f"CREATE VIRTUAL TABLE ticket_search_new USING fts5(title, body, internal, facets, {TOKENIZE})",
    "INSERT INTO ticket_search_new (rowid, title, body, internal, facets)"
    f" SELECT s.rowid, s.title, s.body, s.internal, {FACETS.format(row='t')}"
    " FROM ticket_search s JOIN tickets t ON t.id = s.rowid",
]
DOWNGRADE = [
    "DROP TRIGGER IF EXISTS ticket_search_facets",
    f"CREATE VIRTUAL TABLE ticket_search_new USING fts5(title, body, internal, requester, {TOKENIZE})",
    "INSERT INTO ticket_search_new (rowid, title, body, internal, requester)"
    " SELECT s.rowid, s.title, s.body, s.internal, char(57346) || 'u' || t.requester_id"
    " FROM ticket_search s JOIN tickets t ON t.id = s.rowid",
]
SWAP = [
    "DROP TABLE ticket_search",
    "ALTER TABLE ticket_search_new RENAME TO ticket_search",
    "INSERT INTO ticket_search (ticket_search, rank) VALUES ('automerge', 8)",
    "INSERT INTO ticket_search (ticket_search) VALUES ('optimize')",
]


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        for statement in UPGRADE + SWAP + [TRIGGER]:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for statement in DOWNGRADE + SWAP:
            op.execute(statement)
