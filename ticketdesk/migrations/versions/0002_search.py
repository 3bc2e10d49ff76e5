"""full-text search index of tickets (SQLite FTS5, PostgreSQL tsvector + GIN); attachments;
ticket counts per status kept by triggers

Revision ID: 0002_search
Revises: 7277a9f9b094
Create Date: 2026-11-26

The same DDL as ticketdesk/models/search.py (which serves create_all), copied
here so that the migration never changes when the app code does. Existing
tickets are indexed in the upgrade.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0002_search"
down_revision = "7277a9f9b094"
branch_labels = None
depends_on = None


SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS ticket_search USING fts5("
    "title, body, internal, tokenize = 'porter unicode61 remove_diacritics 2')",
    """
INSERT INTO ticket_search (rowid, title, body, internal)
SELECT t.id, t.title,
  t.description || coalesce((SELECT char(10) || group_concat(c.body, char(10)) FROM comments c
                             WHERE c.ticket_id = t.id AND c.internal = 0), ''),
  coalesce((SELECT group_concat(c.body, char(10)) FROM comments c
            WHERE c.ticket_id = t.id AND c.internal = 1), '')
FROM tickets t""",
]

POSTGRESQL = [
    "CREATE TABLE IF NOT EXISTS ticket_search ("
    " ticket_id INTEGER PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,"
    " body TEXT NOT NULL DEFAULT '',"
    " internal TEXT NOT NULL DEFAULT '',"
    " document TSVECTOR NOT NULL)",
    """
INSERT INTO ticket_search (ticket_id, body, internal, document)
SELECT s.id, s.body, s.internal,
  setweight(to_tsvector('english', s.title), 'A')
  || setweight(to_tsvector('english', s.body), 'B')
  || setweight(to_tsvector('english', s.internal), 'D')
FROM (
  SELECT t.id, t.title,
    t.description || coalesce((SELECT E'\\n' || string_agg(c.body, E'\\n' ORDER BY c.id)
                               FROM comments c WHERE c.ticket_id = t.id AND NOT c.internal), '')
      AS body,
    coalesce((SELECT string_agg(c.body, E'\\n' ORDER BY c.id)
              FROM comments c WHERE c.ticket_id = t.id AND c.internal), '') AS internal
  FROM tickets t
) s""",
    "CREATE INDEX IF NOT EXISTS ix_ticket_search_document ON ticket_search USING gin (document)",
]


_UPSERT = (
    "INSERT INTO ticket_status_counts (status, total) VALUES (NEW.status, 1) "
    "ON CONFLICT (status) DO UPDATE SET total = ticket_status_counts.total + 1"
)
_DECREMENT = "UPDATE ticket_status_counts SET total = total - 1 WHERE status = OLD.status"

SQLITE_COUNTERS = [
    "CREATE TRIGGER IF NOT EXISTS ticket_status_counts_insert AFTER INSERT ON tickets "
    f"BEGIN {_UPSERT}; END",
    "CREATE TRIGGER IF NOT EXISTS ticket_status_counts_update AFTER UPDATE OF status ON tickets "
    f"WHEN OLD.status <> NEW.status BEGIN {_DECREMENT}; {_UPSERT}; END",
    "CREATE TRIGGER IF NOT EXISTS ticket_status_counts_delete AFTER DELETE ON tickets "
    f"BEGIN {_DECREMENT}; END",
]

POSTGRESQL_COUNTERS = [
    "CREATE OR REPLACE FUNCTION ticket_status_counts_track() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN "
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
]


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE if sqlite else POSTGRESQL:
        op.execute(statement)
    op.create_table('ticket_status_counts',
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('status', name=op.f('pk_ticket_status_counts'))
    )
    op.execute(
        "INSERT INTO ticket_status_counts (status, total) "
        "SELECT status, count(*) FROM tickets GROUP BY status"
    )
    for statement in SQLITE_COUNTERS if sqlite else POSTGRESQL_COUNTERS:
        op.execute(statement)
    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=True),
    sa.Column('uploader_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_attachments_comment_id_comments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_attachments_ticket_id_tickets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploader_id'], ['users.id'], name=op.f('fk_attachments_uploader_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_attachments_storage_key'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_comment_id'), ['comment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachments_ticket_id'), ['ticket_id'], unique=False)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS ticket_status_counts_{name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS ticket_status_counts_rows ON tickets")
        op.execute("DROP TRIGGER IF EXISTS ticket_status_counts_status ON tickets")
        op.execute("DROP FUNCTION IF EXISTS ticket_status_counts_track()")
    op.drop_table('ticket_status_counts')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_attachments_comment_id'))
    op.drop_table('attachments')
    op.execute("DROP TABLE IF EXISTS ticket_search")
