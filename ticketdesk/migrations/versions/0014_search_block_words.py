"""PostgreSQL search documents hold each word with its id block, not the block alone

Revision ID: 0014_search_block_words
Revises: 0013_fts_requester
Create Date: 2026-12-06

Each document's lexeme `#<ticket id // 10000>` (0008) gives way to `<word>#<block>` for
each of its words (see ticketdesk/services/search.py, `_Postgres`): a search window then
reads only its own matches from the GIN index, not every id of its blocks. Documents are
kept in the row, compressed if need be, not moved to the TOAST table: ranking a match
reads its document. The table is rewritten once (ALTER COLUMN ... USING), which leaves no
dead rows behind and builds the GIN index again from scratch. SQLite: nothing to do.
"""
from alembic import op


revision = '0014_search_block_words'
down_revision = '0013_fts_requester'
branch_labels = None
depends_on = None

# Written out rather than imported: a migration must not change when the models do.
BLOCK = "('#' || (ticket_id / 10000))"
ADD_BLOCK_WORDS = f"""
SELECT ts_delete(document, {BLOCK}) || array_to_tsvector(ARRAY(
  SELECT lexeme || {BLOCK} FROM unnest(tsvector_to_array(document)) AS lexeme
  WHERE lexeme <> {BLOCK} AND octet_length(lexeme) <= 2000))"""
REMOVE_BLOCK_WORDS = f"""
SELECT ts_delete(document, ARRAY(
  SELECT lexeme FROM unnest(tsvector_to_array(document)) AS lexeme
  WHERE lexeme LIKE '%' || {BLOCK})) || array_to_tsvector(ARRAY[{BLOCK}])"""


def upgrade():
    _rewrite(ADD_BLOCK_WORDS, storage="MAIN")


def downgrade():
    _rewrite(REMOVE_BLOCK_WORDS, storage="EXTENDED")


def _rewrite(new_document: str, storage: str) -> None:
    """Every document as `new_document` (SQL of `document` and `ticket_id`) makes it."""
    if op.get_bind().dialect.name != "postgresql":
        return
    # A function, because a column's USING expression may not hold a subquery.
    op.execute(
        "CREATE FUNCTION pg_temp.new_document(document tsvector, ticket_id integer)"
        f" RETURNS tsvector LANGUAGE sql IMMUTABLE AS $${new_document}$$"
    )
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    # One statement: on its own, a change of type would set the type's storage again.
    op.execute(
        "ALTER TABLE ticket_search ALTER COLUMN document TYPE tsvector"
        " USING pg_temp.new_document(document, ticket_id),"
        f" ALTER COLUMN document SET STORAGE {storage}"
    )
    op.execute("DROP FUNCTION pg_temp.new_document")
