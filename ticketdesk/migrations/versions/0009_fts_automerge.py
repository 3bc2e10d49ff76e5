"""SQLite's full-text index merges its segments eight to a level, not four

Revision ID: 0009_fts_automerge
Revises: 0008_search_id_blocks
Create Date: 2026-11-26

FTS5 merges segments inside the write that tips a level over; with four to a level that
merge work was about a third of opening a ticket at a million tickets (see
ticketdesk/models/search.py). PostgreSQL has no such setting: nothing to do there.
"""
from alembic import op


revision = '0009_fts_automerge'
down_revision = '0008_search_id_blocks'
branch_labels = None
depends_on = None

# Written out rather than imported: a migration must not change when the models do.
SET_AUTOMERGE = "INSERT INTO ticket_search (ticket_search, rank) VALUES ('automerge', {})"


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(SET_AUTOMERGE.format(8))


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(SET_AUTOMERGE.format(4))
