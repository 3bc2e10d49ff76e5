"""PostgreSQL search documents hold the parts of addresses, hosts, file names and numbers

Revision ID: 0015_search_word_parts
Revises: 0014_search_block_words
Create Date: 2026-12-06

PostgreSQL's parser keeps `ann@example.com`, `report-2024.pdf` or `-123` whole, where
FTS5 sees `ann`, `example`, `com`; searches are now cut into letters and digits on both
engines (see ticketdesk/services/search.py), so each document gains the parts of its
compound words, with the weights of the words they come from and their id block forms.
They are made from the documents' own lexemes, without reading the tickets again; the
table is rewritten once, as in 0014, then analyzed. SQLite: nothing to do.

Downgrading leaves the parts in place: the earlier code never asks for a lexeme that
only a part could match unless a query holds that word alone, and then it is found.
"""
from alembic import op


revision = '0015_search_word_parts'
down_revision = '0014_search_block_words'
branch_labels = None
depends_on = None

# Written out rather than imported: a migration must not change when the models do.
BLOCK = "('#' || (ticket_id / 10000))"
PARTS = """to_tsvector('english', regexp_replace(array_to_string(ARRAY(
  SELECT u.lexeme FROM unnest(document) AS u
  WHERE u.lexeme ~ '[^[:alnum:]]' AND u.lexeme NOT LIKE '%' || {block}
    AND '{weight}' = ANY(u.weights)), ' '), '[^[:alnum:]]+', ' ', 'g'))"""
ADD_PARTS = f"""
SELECT document || parts || array_to_tsvector(ARRAY(
  SELECT lexeme || {BLOCK} FROM unnest(tsvector_to_array(parts)) AS lexeme
  WHERE octet_length(lexeme) <= 2000))
FROM (SELECT setweight({PARTS.format(block=BLOCK, weight='A')}, 'A')
             || setweight({PARTS.format(block=BLOCK, weight='B')}, 'B')
             || setweight({PARTS.format(block=BLOCK, weight='D')}, 'D') AS parts OFFSET 0) p"""


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    # A function, because a column's USING expression may not hold a subquery.
    op.execute(
        "CREATE FUNCTION pg_temp.with_parts(document tsvector, ticket_id integer)"
        f" RETURNS tsvector LANGUAGE sql IMMUTABLE AS $${ADD_PARTS}$$"
    )
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    # One statement: on its own, a change of type would set the type's storage again.
    op.execute(
        "ALTER TABLE ticket_search ALTER COLUMN document TYPE tsvector"
        " USING pg_temp.with_parts(document, ticket_id),"
        " ALTER COLUMN document SET STORAGE MAIN"
    )
    op.execute("DROP FUNCTION pg_temp.with_parts")
    # Changing a column's type drops its statistics (0014's too), and nothing counts the
    # rewrite as changes for autovacuum to analyze: until then the planner guessed at
    # `@@`, and at a million tickets a search with three filters took 2.1 s, not 0.29.
    op.execute("ANALYZE ticket_search")


def downgrade():
    pass
