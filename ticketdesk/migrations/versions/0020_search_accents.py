"""PostgreSQL search folds accents, as SQLite's does: `jose` finds José

Revision ID: 0020_search_accents
Revises: 0019_staff_by_name
Create Date: 2026-12-06

PostgreSQL only (SQLite's FTS5 tables fold accents already). Installs the `unaccent`
extension (shipped with PostgreSQL; a database owner may install it) and two text
search configurations, copies of `english` and `simple` that pass each word beyond
ASCII through it (ticketdesk/models/text_search.py). The tickets whose text holds a
character beyond ASCII are indexed again with them (no other ticket's words change),
and the people's words column is made again (2 s for 200,000 accounts).

Downgrading reads them the old way again, then drops the configurations; it leaves the
extension, which something else in the database may use.
"""
from alembic import op
import sqlalchemy as sa


revision = '0020_search_accents'
down_revision = '0019_staff_by_name'
branch_labels = None
depends_on = None

# Written out rather than imported: a migration must not change when the models do.
CONFIGURATIONS = [
    ("ticketdesk_english", "english", "english_stem"),
    ("ticketdesk_simple", "simple", "simple"),
]
# The tickets whose words a configuration that folds accents reads differently.
BEYOND_ASCII = """WHERE t.title ~ '[^[:ascii:]]' OR t.id IN (
  SELECT ticket_id FROM ticket_search WHERE body ~ '[^[:ascii:]]' OR internal ~ '[^[:ascii:]]')"""
INDEX = r"""
INSERT INTO ticket_search (ticket_id, body, internal, document)
SELECT s.id, s.body, s.internal, words || array_to_tsvector(ARRAY(
  SELECT lexeme || '#' || (s.id / 10000) FROM unnest(tsvector_to_array(words)) AS lexeme
  WHERE octet_length(lexeme) <= 2000))
FROM (
  SELECT t.id, t.title,
    left(t.description || coalesce((SELECT E'\n' || string_agg(c.body, E'\n' ORDER BY c.id)
                                    FROM comments c WHERE c.ticket_id = t.id AND NOT c.internal),
                                   '')
         || coalesce((SELECT E'\n' || string_agg(a.filename, E'\n' ORDER BY a.id) FROM attachments a
   LEFT JOIN comments c ON c.id = a.comment_id WHERE a.ticket_id = t.id AND c.internal IS NOT TRUE), ''), 100000) AS body,
    left(coalesce((SELECT string_agg(c.body, E'\n' ORDER BY c.id)
                   FROM comments c WHERE c.ticket_id = t.id AND c.internal), '')
         || coalesce((SELECT E'\n' || string_agg(a.filename, E'\n' ORDER BY a.id) FROM attachments a
   LEFT JOIN comments c ON c.id = a.comment_id WHERE a.ticket_id = t.id AND c.internal), ''), 100000) AS internal
  FROM tickets t {beyond_ascii} OFFSET 0
) s,
LATERAL (SELECT to_tsvector('{english}', s.title) AS title, to_tsvector('{english}', s.body) AS body,
                to_tsvector('{english}', s.internal) AS internal OFFSET 0) v,
LATERAL (SELECT setweight((v.title || to_tsvector('{english}', regexp_replace(array_to_string(ARRAY(
  SELECT lexeme FROM unnest(tsvector_to_array(v.title)) AS lexeme
  WHERE lexeme ~ '[^[:alnum:]]'), ' '), '[^[:alnum:]]+', ' ', 'g'))), 'A')
                || setweight((v.body || to_tsvector('{english}', regexp_replace(array_to_string(ARRAY(
  SELECT lexeme FROM unnest(tsvector_to_array(v.body)) AS lexeme
  WHERE lexeme ~ '[^[:alnum:]]'), ' '), '[^[:alnum:]]+', ' ', 'g'))), 'B')
                || setweight((v.internal || to_tsvector('{english}', regexp_replace(array_to_string(ARRAY(
  SELECT lexeme FROM unnest(tsvector_to_array(v.internal)) AS lexeme
  WHERE lexeme ~ '[^[:alnum:]]'), ' '), '[^[:alnum:]]+', ' ', 'g'))), 'D') AS words OFFSET 0) w
ON CONFLICT (ticket_id) DO UPDATE
  SET body = excluded.body, internal = excluded.internal, document = excluded.document"""


GIN = (
    "CREATE INDEX ix_ticket_search_document ON ticket_search USING gin (document)"
    " WITH (fastupdate = off)"
)


def index_again(english: str) -> None:
    """Index again, reading words with configuration `english`, the tickets whose text
    goes beyond ASCII.

    When they are many (a helpdesk that writes French, say), the GIN index is dropped
    first and built again after: at 100,000 tickets, all of them accented, 19 s against
    44 s updating it row by row. When they are few, row by row: 4 s for 5% of them.
    """
    connection = op.get_bind()
    quarter = "(SELECT count(*) / 4 FROM tickets)"
    many = connection.scalar(sa.text(f"SELECT count(*) > {quarter} FROM tickets t {BEYOND_ASCII}"))
    if many:
        op.execute("DROP INDEX ix_ticket_search_document")
    op.execute(INDEX.format(beyond_ascii=BEYOND_ASCII, english=english))
    if many:
        op.execute("SET LOCAL maintenance_work_mem = '256MB'")
        op.execute(GIN)


def people_words(simple: str) -> list[str]:
    """The people's words column, made again to read with configuration `simple`."""
    return [
        "ALTER TABLE users DROP COLUMN search_words",
        "ALTER TABLE users ADD COLUMN search_words tsvector GENERATED ALWAYS AS ("
        f"to_tsvector('{simple}'::regconfig, translate(name || ' ' || email, "
        "'@.-_+/:''', '        '))) STORED",
        "CREATE INDEX ix_users_search_words ON users USING gin (search_words)",
        "ALTER TABLE users ALTER COLUMN search_words SET STATISTICS 1000",
        "ANALYZE users",
    ]


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    for name, copy, dictionary in CONFIGURATIONS:
        op.execute(f"CREATE TEXT SEARCH CONFIGURATION {name} (COPY = {copy})")
        op.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {name}"
            f" ALTER MAPPING FOR word, hword, hword_part WITH unaccent, {dictionary}"
        )
        op.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {name}"
            " ALTER MAPPING FOR numword, numhword, hword_numpart WITH unaccent, simple"
        )
    index_again("ticketdesk_english")
    for statement in people_words("ticketdesk_simple"):
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        return
    index_again("english")
    for statement in people_words("simple"):
        op.execute(statement)
    for name, _, _ in CONFIGURATIONS:
        op.execute(f"DROP TEXT SEARCH CONFIGURATION {name}")
