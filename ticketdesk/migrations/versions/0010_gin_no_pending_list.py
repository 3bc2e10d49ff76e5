"""PostgreSQL's search index takes each write at once, with no pending list to read

Revision ID: 0010_gin_no_pending_list
Revises: 0009_fts_automerge
Create Date: 2026-12-05

GIN's `fastupdate` queues new entries in a pending list of up to 4 MB that every search
reads through whole (see ticketdesk/models/search.py). Turning it off changes no row;
the entries already queued are merged into the index here. SQLite: nothing to do.
"""
from alembic import op


revision = '0010_gin_no_pending_list'
down_revision = '0009_fts_automerge'
branch_labels = None
depends_on = None

# Written out rather than imported: a migration must not change when the models do.
INDEX = "ix_ticket_search_document"


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER INDEX {INDEX} SET (fastupdate = off)")
        op.execute(f"SELECT gin_clean_pending_list('{INDEX}')")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER INDEX {INDEX} RESET (fastupdate)")
