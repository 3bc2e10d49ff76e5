"""Active tickets per queue and per assignee, kept by triggers for the staff sidebar

Revision ID: 0012_active_counts
Revises: 0011_unassigned_lists
Create Date: 2026-12-06

Two counter tables like ticket_status_counts (0007): the active tickets (open, in
progress, waiting) of each queue and of each assignee (0: nobody), in shards on
PostgreSQL, counted from the tickets here and kept by triggers from then on. The DDL is
a copy of ticketdesk/models/counters.py as of this revision.
"""
from alembic import op
import sqlalchemy as sa


revision = '0012_active_counts'
down_revision = '0011_unassigned_lists'
branch_labels = None
depends_on = None

TABLES = {"ticket_queue_counts": "queue_id", "ticket_assignee_counts": "assignee_id"}

SQLITE_TRIGGERS = ("ticket_active_counts_insert", "ticket_active_counts_update", "ticket_active_counts_delete")

SQLITE = ["CREATE TRIGGER IF NOT EXISTS ticket_active_counts_insert AFTER INSERT ON tickets BEGIN INSERT INTO ticket_queue_counts (queue_id, shard, active) SELECT NEW.queue_id, 0, 1 WHERE NEW.status IN ('open', 'in_progress', 'waiting') ON CONFLICT (queue_id, shard) DO UPDATE SET active = ticket_queue_counts.active + excluded.active; INSERT INTO ticket_assignee_counts (assignee_id, shard, active) SELECT coalesce(NEW.assignee_id, 0), 0, 1 WHERE NEW.status IN ('open', 'in_progress', 'waiting') ON CONFLICT (assignee_id, shard) DO UPDATE SET active = ticket_assignee_counts.active + excluded.active; END", "CREATE TRIGGER IF NOT EXISTS ticket_active_counts_update AFTER UPDATE OF status, queue_id, assignee_id ON tickets WHEN OLD.queue_id IS NOT NEW.queue_id OR OLD.assignee_id IS NOT NEW.assignee_id OR (OLD.status IN ('open', 'in_progress', 'waiting')) <> (NEW.status IN ('open', 'in_progress', 'waiting')) BEGIN INSERT INTO ticket_queue_counts (queue_id, shard, active) SELECT counted, 0, sum(delta) FROM (SELECT OLD.queue_id AS counted, -1 AS delta WHERE OLD.status IN ('open', 'in_progress', 'waiting') UNION ALL SELECT NEW.queue_id AS counted, 1 AS delta WHERE NEW.status IN ('open', 'in_progress', 'waiting')) AS moves WHERE true GROUP BY counted HAVING sum(delta) <> 0 ORDER BY counted ON CONFLICT (queue_id, shard) DO UPDATE SET active = ticket_queue_counts.active + excluded.active; INSERT INTO ticket_assignee_counts (assignee_id, shard, active) SELECT counted, 0, sum(delta) FROM (SELECT coalesce(OLD.assignee_id, 0) AS counted, -1 AS delta WHERE OLD.status IN ('open', 'in_progress', 'waiting') UNION ALL SELECT coalesce(NEW.assignee_id, 0) AS counted, 1 AS delta WHERE NEW.status IN ('open', 'in_progress', 'waiting')) AS moves WHERE true GROUP BY counted HAVING sum(delta) <> 0 ORDER BY counted ON CONFLICT (assignee_id, shard) DO UPDATE SET active = ticket_assignee_counts.active + excluded.active; END", "CREATE TRIGGER IF NOT EXISTS ticket_active_counts_delete AFTER DELETE ON tickets BEGIN INSERT INTO ticket_queue_counts (queue_id, shard, active) SELECT OLD.queue_id, 0, -1 WHERE OLD.status IN ('open', 'in_progress', 'waiting') ON CONFLICT (queue_id, shard) DO UPDATE SET active = ticket_queue_counts.active + excluded.active; INSERT INTO ticket_assignee_counts (assignee_id, shard, active) SELECT coalesce(OLD.assignee_id, 0), 0, -1 WHERE OLD.status IN ('open', 'in_progress', 'waiting') ON CONFLICT (assignee_id, shard) DO UPDATE SET active = ticket_assignee_counts.active + excluded.active; END"]

POSTGRESQL = ["CREATE OR REPLACE FUNCTION ticket_active_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$ DECLARE pick integer := mod(pg_backend_pid(), 16); BEGIN IF TG_OP = 'INSERT' THEN INSERT INTO ticket_queue_counts (queue_id, shard, active) SELECT NEW.queue_id, pick, 1 WHERE NEW.status IN ('open', 'in_progress', 'waiting') ON CONFLICT (queue_id, shard) DO UPDATE SET active = ticket_queue_counts.active + excluded.active; INSERT INTO ticket_assignee_counts (assignee_id, shard, active) SELECT coalesce(NEW.assignee_id, 0), pick, 1 WHERE NEW.status IN ('open', 'in_progress', 'waiting') ON CONFLICT (assignee_id, shard) DO UPDATE SET active = ticket_assignee_counts.active + excluded.active; ELSIF TG_OP = 'DELETE' THEN INSERT INTO ticket_queue_counts (queue_id, shard, active) SELECT OLD.queue_id, pick, -1 WHERE OLD.status IN ('open', 'in_progress', 'waiting') ON CONFLICT (queue_id, shard) DO UPDATE SET active = ticket_queue_counts.active + excluded.active; INSERT INTO ticket_assignee_counts (assignee_id, shard, active) SELECT coalesce(OLD.assignee_id, 0), pick, -1 WHERE OLD.status IN ('open', 'in_progress', 'waiting') ON CONFLICT (assignee_id, shard) DO UPDATE SET active = ticket_assignee_counts.active + excluded.active; ELSE INSERT INTO ticket_queue_counts (queue_id, shard, active) SELECT counted, pick, sum(delta) FROM (SELECT OLD.queue_id AS counted, -1 AS delta WHERE OLD.status IN ('open', 'in_progress', 'waiting') UNION ALL SELECT NEW.queue_id AS counted, 1 AS delta WHERE NEW.status IN ('open', 'in_progress', 'waiting')) AS moves WHERE true GROUP BY counted HAVING sum(delta) <> 0 ORDER BY counted ON CONFLICT (queue_id, shard) DO UPDATE SET active = ticket_queue_counts.active + excluded.active; INSERT INTO ticket_assignee_counts (assignee_id, shard, active) SELECT counted, pick, sum(delta) FROM (SELECT coalesce(OLD.assignee_id, 0) AS counted, -1 AS delta WHERE OLD.status IN ('open', 'in_progress', 'waiting') UNION ALL SELECT coalesce(NEW.assignee_id, 0) AS counted, 1 AS delta WHERE NEW.status IN ('open', 'in_progress', 'waiting')) AS moves WHERE true GROUP BY counted HAVING sum(delta) <> 0 ORDER BY counted ON CONFLICT (assignee_id, shard) DO UPDATE SET active = ticket_assignee_counts.active + excluded.active; END IF; RETURN NULL; END $$", 'DROP TRIGGER IF EXISTS ticket_active_counts_rows ON tickets', 'CREATE TRIGGER ticket_active_counts_rows AFTER INSERT OR DELETE ON tickets FOR EACH ROW EXECUTE FUNCTION ticket_active_counts_track()', 'DROP TRIGGER IF EXISTS ticket_active_counts_moves ON tickets', "CREATE TRIGGER ticket_active_counts_moves AFTER UPDATE OF status, queue_id, assignee_id ON tickets FOR EACH ROW WHEN (OLD.queue_id IS DISTINCT FROM NEW.queue_id OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id OR (OLD.status IN ('open', 'in_progress', 'waiting')) <> (NEW.status IN ('open', 'in_progress', 'waiting'))) EXECUTE FUNCTION ticket_active_counts_track()"]

RECOUNT = ["INSERT INTO ticket_queue_counts (queue_id, shard, active) SELECT queue_id, 0, count(*) FROM tickets WHERE status IN ('open', 'in_progress', 'waiting') GROUP BY queue_id", "INSERT INTO ticket_assignee_counts (assignee_id, shard, active) SELECT coalesce(assignee_id, 0), 0, count(*) FROM tickets WHERE status IN ('open', 'in_progress', 'waiting') GROUP BY coalesce(assignee_id, 0)"]


def upgrade():
    for table, key in TABLES.items():
        op.create_table(
            table,
            sa.Column(key, sa.Integer(), autoincrement=False, nullable=False),
            sa.Column('shard', sa.Integer(), nullable=False),
            sa.Column('active', sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint(key, 'shard', name=op.f(f'pk_{table}')),
        )
    for statement in RECOUNT:
        op.execute(statement)
    for statement in SQLITE if op.get_bind().dialect.name == "sqlite" else POSTGRESQL:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for trigger in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    else:
        op.execute("DROP TRIGGER IF EXISTS ticket_active_counts_rows ON tickets")
        op.execute("DROP TRIGGER IF EXISTS ticket_active_counts_moves ON tickets")
        op.execute("DROP FUNCTION IF EXISTS ticket_active_counts_track()")
    for table in TABLES:
        op.drop_table(table)
