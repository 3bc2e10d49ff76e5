"""status counters in shards, so PostgreSQL writers do not queue on one row per status

Revision ID: 0007_sharded_status_counts
Revises: 0006_outbox_rendered_by_worker
Create Date: 2026-11-26

The counts are derived data: the table is rebuilt with a `shard` column in its key
and recounted from the tickets. The trigger DDL is a copy of
ticketdesk/models/counters.py as of this revision.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_sharded_status_counts'
down_revision = '0006_outbox_rendered_by_worker'
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = ("ticket_status_counts_insert", "ticket_status_counts_update", "ticket_status_counts_delete")

SQLITE = [
    'CREATE TRIGGER IF NOT EXISTS ticket_status_counts_insert AFTER INSERT ON tickets BEGIN INSERT INTO ticket_status_counts (status, shard, total) VALUES (NEW.status, 0, 1) ON CONFLICT (status, shard) DO UPDATE SET total = ticket_status_counts.total + 1; END',
    'CREATE TRIGGER IF NOT EXISTS ticket_status_counts_update AFTER UPDATE OF status ON tickets WHEN OLD.status <> NEW.status BEGIN INSERT INTO ticket_status_counts (status, shard, total) VALUES (OLD.status, 0, -1) ON CONFLICT (status, shard) DO UPDATE SET total = ticket_status_counts.total + -1; INSERT INTO ticket_status_counts (status, shard, total) VALUES (NEW.status, 0, 1) ON CONFLICT (status, shard) DO UPDATE SET total = ticket_status_counts.total + 1; END',
    'CREATE TRIGGER IF NOT EXISTS ticket_status_counts_delete AFTER DELETE ON tickets BEGIN INSERT INTO ticket_status_counts (status, shard, total) VALUES (OLD.status, 0, -1) ON CONFLICT (status, shard) DO UPDATE SET total = ticket_status_counts.total + -1; END',
]

POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION ticket_status_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$ DECLARE pick integer := floor(random() * 16)::integer; BEGIN IF TG_OP = 'UPDATE' AND OLD.status::text > NEW.status::text THEN INSERT INTO ticket_status_counts (status, shard, total) VALUES (NEW.status, pick, 1) ON CONFLICT (status, shard) DO UPDATE SET total = ticket_status_counts.total + 1; INSERT INTO ticket_status_counts (status, shard, total) VALUES (OLD.status, pick, -1) ON CONFLICT (status, shard) DO UPDATE SET total = ticket_status_counts.total + -1; ELSE IF TG_OP IN ('UPDATE', 'DELETE') THEN INSERT INTO ticket_status_counts (status, shard, total) VALUES (OLD.status, pick, -1) ON CONFLICT (status, shard) DO UPDATE SET total = ticket_status_counts.total + -1; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO ticket_status_counts (status, shard, total) VALUES (NEW.status, pick, 1) ON CONFLICT (status, shard) DO UPDATE SET total = ticket_status_counts.total + 1; END IF; END IF; RETURN NULL; END $$",
    'DROP TRIGGER IF EXISTS ticket_status_counts_rows ON tickets',
    'CREATE TRIGGER ticket_status_counts_rows AFTER INSERT OR DELETE ON tickets FOR EACH ROW EXECUTE FUNCTION ticket_status_counts_track()',
    'DROP TRIGGER IF EXISTS ticket_status_counts_status ON tickets',
    'CREATE TRIGGER ticket_status_counts_status AFTER UPDATE OF status ON tickets FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION ticket_status_counts_track()',
]

RECOUNT = (
    "INSERT INTO ticket_status_counts (status, shard, total) "
    "SELECT status, 0, count(*) FROM tickets GROUP BY status"
)


def upgrade():
    _rebuild(
        [sa.Column('shard', sa.Integer(), nullable=False)],
        RECOUNT,
        {"sqlite": SQLITE, "postgresql": POSTGRESQL},
    )


# One row per status, as migration 0002_search made them.
SQLITE_SINGLE = [
    'CREATE TRIGGER IF NOT EXISTS ticket_status_counts_insert AFTER INSERT ON tickets BEGIN INSERT INTO ticket_status_counts (status, total) VALUES (NEW.status, 1) ON CONFLICT (status) DO UPDATE SET total = ticket_status_counts.total + 1; END',
    'CREATE TRIGGER IF NOT EXISTS ticket_status_counts_update AFTER UPDATE OF status ON tickets WHEN OLD.status <> NEW.status BEGIN UPDATE ticket_status_counts SET total = total - 1 WHERE status = OLD.status; INSERT INTO ticket_status_counts (status, total) VALUES (NEW.status, 1) ON CONFLICT (status) DO UPDATE SET total = ticket_status_counts.total + 1; END',
    'CREATE TRIGGER IF NOT EXISTS ticket_status_counts_delete AFTER DELETE ON tickets BEGIN UPDATE ticket_status_counts SET total = total - 1 WHERE status = OLD.status; END',
]

POSTGRESQL_SINGLE = [
    "CREATE OR REPLACE FUNCTION ticket_status_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'UPDATE' THEN PERFORM 1 FROM ticket_status_counts WHERE status IN (OLD.status, NEW.status) ORDER BY status FOR UPDATE; END IF; IF TG_OP IN ('UPDATE', 'DELETE') THEN UPDATE ticket_status_counts SET total = total - 1 WHERE status = OLD.status; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO ticket_status_counts (status, total) VALUES (NEW.status, 1) ON CONFLICT (status) DO UPDATE SET total = ticket_status_counts.total + 1; END IF; RETURN NULL; END $$",
    'DROP TRIGGER IF EXISTS ticket_status_counts_rows ON tickets',
    'CREATE TRIGGER ticket_status_counts_rows AFTER INSERT OR DELETE ON tickets FOR EACH ROW EXECUTE FUNCTION ticket_status_counts_track()',
    'DROP TRIGGER IF EXISTS ticket_status_counts_status ON tickets',
    'CREATE TRIGGER ticket_status_counts_status AFTER UPDATE OF status ON tickets FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION ticket_status_counts_track()',
]


def downgrade():
    _rebuild(
        [],
        "INSERT INTO ticket_status_counts (status, total) "
        "SELECT status, count(*) FROM tickets GROUP BY status",
        {"sqlite": SQLITE_SINGLE, "postgresql": POSTGRESQL_SINGLE},
    )


def _rebuild(key_columns, recount, triggers):
    """The counts table made again with `status` plus `key_columns` as its key, recounted."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.drop_table('ticket_status_counts')
    op.create_table('ticket_status_counts',
    sa.Column('status', sa.String(length=20), nullable=False),
    *key_columns,
    sa.Column('total', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint(
        'status', *(column.name for column in key_columns), name=op.f('pk_ticket_status_counts')
    )
    )
    op.execute(recount)
    for statement in triggers[dialect]:
        op.execute(statement)
