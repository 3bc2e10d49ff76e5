"""PostgreSQL search documents name their id block, so the newest matches are found first

Revision ID: 0008_search_id_blocks
Revises: 0007_sharded_status_counts
Create Date: 2026-11-26

Each document gains the lexeme `#<ticket id // 10000>` (see ticketdesk/services/search.py,
`_Postgres`). SQLite's FTS5 index walks matches newest first already: nothing to do there.
"""
from alembic import op


revision = '0008_search_id_blocks'
down_revision = '0007_sharded_status_counts'
branch_labels = None
depends_on = None

ADD_BLOCKS = (
    "UPDATE ticket_search "
    "SET document = document || array_to_tsvector(ARRAY['#' || (ticket_id / 10000)])"
)
REMOVE_BLOCKS = (
    "UPDATE ticket_search SET document = ts_delete(document, ARRAY['#' || (ticket_id / 10000)])"
)


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(ADD_BLOCKS)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(REMOVE_BLOCKS)
