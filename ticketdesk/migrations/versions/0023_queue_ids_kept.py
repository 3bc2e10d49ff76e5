"""a deleted queue's id is never given to another (SQLite: AUTOINCREMENT)

Revision ID: 0023_queue_ids_kept
Revises: 0022_search_facets
Create Date: 2026-12-08

Queues can now be deleted. SQLite gives a new row the largest id plus one, so the id of
a deleted queue that was the newest went to the next queue made, and the history of the
tickets once moved out of it (which names queues by id) named the new queue instead.
AUTOINCREMENT never gives an id out twice. SQLite cannot add it to a table: the table is
made again and its rows copied back. The tickets' foreign key names the table, so it
holds throughout; it is checked at the commit, since the tickets' queues are gone for a
moment in between. PostgreSQL's sequences never give an id out twice: nothing to do.
"""
from alembic import op


revision = '0023_queue_ids_kept'
down_revision = '0022_search_facets'
branch_labels = None
depends_on = None

# The table as the models make it now, and as 0001 made it.
NEVER_REUSING_IDS = (
    'CREATE TABLE queues (id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, '
    'name VARCHAR(120) NOT NULL, slug VARCHAR(120) NOT NULL, created_at DATETIME NOT NULL, '
    'CONSTRAINT uq_queues_name UNIQUE (name), CONSTRAINT uq_queues_slug UNIQUE (slug))'
)
REUSING_IDS = (
    'CREATE TABLE queues (id INTEGER NOT NULL, '
    'name VARCHAR(120) NOT NULL, slug VARCHAR(120) NOT NULL, created_at DATETIME NOT NULL, '
    'CONSTRAINT pk_queues PRIMARY KEY (id), '
    'CONSTRAINT uq_queues_name UNIQUE (name), CONSTRAINT uq_queues_slug UNIQUE (slug))'
)


def _remake_queues(create_table):
    if op.get_bind().dialect.name != 'sqlite':
        return
    op.execute('PRAGMA defer_foreign_keys = ON')
    op.execute('CREATE TEMP TABLE queues_copy AS SELECT id, name, slug, created_at FROM queues')
    op.execute('DROP TABLE queues')
    op.execute(create_table)
    # Copied with their ids: AUTOINCREMENT goes on from the largest.
    op.execute(
        'INSERT INTO queues (id, name, slug, created_at) '
        'SELECT id, name, slug, created_at FROM queues_copy'
    )
    op.execute('DROP TABLE queues_copy')
    op.execute('PRAGMA defer_foreign_keys = OFF')


def upgrade():
    _remake_queues(NEVER_REUSING_IDS)


def downgrade():
    _remake_queues(REUSING_IDS)
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("DELETE FROM sqlite_sequence WHERE name = 'queues'")
