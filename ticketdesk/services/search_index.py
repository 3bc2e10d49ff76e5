"""Keeping the full-text index in step: each write's entry, and the whole index at once.

The ticket services call `index_ticket` and `index_new_ticket` inside their own write
transaction, so the index never disagrees with what was committed. What the index
holds is described in `ticketdesk.models.search`; searching it, in
`ticketdesk.services.search`.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from ticketdesk.models.search import POSTGRESQL_GIN, facets_sql
from ticketdesk.models.text_search import ENGLISH

# Ticket ids per block of the PostgreSQL document's `<word>#<block>` lexemes (see
# services/search_postgres.py, `PostgresSearch`).
ID_BLOCK = 10_000
# The longest lexeme given a block form: a query word is at most 500 characters of four
# bytes, and a tsvector's lexeme at most 2,047 bytes.
BLOCK_WORD_BYTES = 2000
# Characters of a ticket's public text, and of its internal notes, that the index holds.
# A PostgreSQL tsvector holds at most 1 MB: about 300,000 characters of words that never
# repeat (pasted logs), past which every reply failed. Every write also re-reads the
# whole entry. Beyond this, a long conversation is kept but its later words not indexed.
INDEXED_CHARS = 100_000


def index_ticket(session: Session, ticket_id: int) -> None:
    """Rebuild the index entry of one ticket from its rows (call inside the write)."""
    session.flush()
    connection = session.connection()
    params = {"ticket_id": ticket_id} | _sizes()
    if connection.dialect.name == "sqlite":
        connection.execute(_SQLITE_UNINDEX_ONE, params)
        connection.execute(_SQLITE_INDEX_ONE, params)
    else:
        connection.execute(_POSTGRESQL_INDEX_ONE, params)


def index_new_ticket(session: Session, ticket_id: int, title: str, description: str) -> None:
    """The index entry of a ticket just opened without files: from its text, with no
    comments or file names to read."""
    params = {"ticket_id": ticket_id, "title": title, "body": description}
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.execute(_SQLITE_NEW, params)
    else:
        connection.execute(_POSTGRESQL_NEW, params | _sizes())


def _sizes() -> dict[str, int]:
    """The id block size, the indexed length and the longest lexeme given a block form,
    as bound values, read when used."""
    return {
        "id_block": ID_BLOCK,
        "indexed_chars": INDEXED_CHARS,
        "block_word_bytes": BLOCK_WORD_BYTES,
    }


def index_all(connection) -> None:
    """Index every ticket from scratch (bulk seeding, or a rebuilt index)."""
    if connection.dialect.name == "sqlite":
        connection.execute(text("DELETE FROM ticket_search"))
        connection.execute(text(SQLITE_INDEX_SQL), _sizes())
        # One segment, not the several a bulk insert writes (11 at 1M): else the writes
        # that follow merge those, 50-60 ms at a time inside an unlucky commit.
        connection.execute(text(SQLITE_OPTIMIZE))
    else:
        # Building the GIN index once is many times faster than growing it row by row.
        connection.execute(text("DROP INDEX IF EXISTS ix_ticket_search_document"))
        connection.execute(text("DELETE FROM ticket_search"))
        connection.execute(text(POSTGRESQL_INDEX_SQL.format(where="")), _sizes())
        connection.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        connection.execute(text(POSTGRESQL_GIN))


# FTS5's command to merge every segment of the index into one.
SQLITE_OPTIMIZE = "INSERT INTO ticket_search (ticket_search) VALUES ('optimize')"
# The names of ticket t's files, a line each after a line break: those on the
# description and public replies, or those on internal notes.
_FILE_NAMES = """(SELECT {newline} || {joined} FROM attachments a
   LEFT JOIN comments c ON c.id = a.comment_id WHERE a.ticket_id = t.id AND {which})"""
_SQLITE_NAMES = {"newline": "char(10)", "joined": "group_concat(a.filename, char(10))"}
_SQLITE_PUBLIC_FILES = _FILE_NAMES.format(**_SQLITE_NAMES, which="coalesce(c.internal, 0) = 0")
_SQLITE_NOTE_FILES = _FILE_NAMES.format(**_SQLITE_NAMES, which="c.internal = 1")
_POSTGRESQL_NAMES = {"newline": "E'\\n'", "joined": "string_agg(a.filename, E'\\n' ORDER BY a.id)"}
_POSTGRESQL_PUBLIC_FILES = _FILE_NAMES.format(**_POSTGRESQL_NAMES, which="c.internal IS NOT TRUE")
_POSTGRESQL_NOTE_FILES = _FILE_NAMES.format(**_POSTGRESQL_NAMES, which="c.internal")
# One index entry from the rows: title; description, public replies and the names of
# their files; internal notes and theirs; the ticket's facets.
SQLITE_INDEX_SQL = f"""
INSERT INTO ticket_search (rowid, title, body, internal, facets)
SELECT t.id, t.title,
  substr(t.description || coalesce((SELECT char(10) || group_concat(c.body, char(10))
                                    FROM comments c WHERE c.ticket_id = t.id AND c.internal = 0),
                                   '')
         || coalesce({_SQLITE_PUBLIC_FILES}, ''), 1, :indexed_chars),
  substr(coalesce((SELECT group_concat(c.body, char(10)) FROM comments c
                   WHERE c.ticket_id = t.id AND c.internal = 1), '')
         || coalesce({_SQLITE_NOTE_FILES}, ''), 1, :indexed_chars),
  {facets_sql("t")}
FROM tickets t"""

SQLITE_NEW_SQL = f"""
INSERT INTO ticket_search (rowid, title, body, internal, facets)
SELECT :ticket_id, :title, :body, '', {facets_sql("t")} FROM tickets t WHERE t.id = :ticket_id"""

# The PostgreSQL document of weighted `words`: those words, and each again as `<word>#<id
# block>` (see services/search_postgres.py, `PostgresSearch`), for ticket `{ticket_id}`. A lexeme
# longer than BLOCK_WORD_BYTES gets no block form: no query word can be that long.
_POSTGRESQL_DOCUMENT = """words || array_to_tsvector(ARRAY(
  SELECT lexeme || '#' || ({ticket_id} / :id_block) FROM unnest(tsvector_to_array(words)) AS lexeme
  WHERE octet_length(lexeme) <= :block_word_bytes))"""


def _with_parts(vector: str) -> str:
    """SQL of the tsvector `vector` and the parts of its compound words.

    PostgreSQL's parser keeps an address, a host, a file name or a number whole
    (`ann@example.com`, `report-2024.pdf`, `-123`), where FTS5 sees letters and digits
    (`ann`, `example`, `com`); a query is cut the same way for both engines
    (services/search.py), so each compound lexeme's parts are words of the document too.
    """
    return f"""({vector} || to_tsvector('{ENGLISH}', regexp_replace(array_to_string(ARRAY(
  SELECT lexeme FROM unnest(tsvector_to_array({vector})) AS lexeme
  WHERE lexeme ~ '[^[:alnum:]]'), ' '), '[^[:alnum:]]+', ' ', 'g')))"""


# Each step is its own subquery behind `OFFSET 0`: PostgreSQL would otherwise pull the
# subqueries up and write each expression out wherever it is used, reading and parsing
# the whole conversation once for the stored text, once for the words and once more for
# their block forms.
POSTGRESQL_NEW_SQL = f"""
INSERT INTO ticket_search (ticket_id, body, internal, document)
SELECT :ticket_id, :body, '', {_POSTGRESQL_DOCUMENT.format(ticket_id=":ticket_id")}
FROM (SELECT to_tsvector('{ENGLISH}', :title) AS title,
             to_tsvector('{ENGLISH}', :body) AS body OFFSET 0) v,
LATERAL (SELECT setweight({_with_parts("v.title")}, 'A')
                || setweight({_with_parts("v.body")}, 'B') AS words OFFSET 0) w"""

POSTGRESQL_INDEX_SQL = f"""
INSERT INTO ticket_search (ticket_id, body, internal, document)
SELECT s.id, s.body, s.internal, {_POSTGRESQL_DOCUMENT.format(ticket_id="s.id")}
FROM (
  SELECT t.id, t.title,
    left(t.description || coalesce((SELECT E'\\n' || string_agg(c.body, E'\\n' ORDER BY c.id)
                                    FROM comments c WHERE c.ticket_id = t.id AND NOT c.internal),
                                   '')
         || coalesce({_POSTGRESQL_PUBLIC_FILES}, ''), :indexed_chars) AS body,
    left(coalesce((SELECT string_agg(c.body, E'\\n' ORDER BY c.id)
                   FROM comments c WHERE c.ticket_id = t.id AND c.internal), '')
         || coalesce({_POSTGRESQL_NOTE_FILES}, ''), :indexed_chars) AS internal
  FROM tickets t {{where}} OFFSET 0
) s,
LATERAL (SELECT to_tsvector('{ENGLISH}', s.title) AS title,
                to_tsvector('{ENGLISH}', s.body) AS body,
                to_tsvector('{ENGLISH}', s.internal) AS internal OFFSET 0) v,
LATERAL (SELECT setweight({_with_parts("v.title")}, 'A')
                || setweight({_with_parts("v.body")}, 'B')
                || setweight({_with_parts("v.internal")}, 'D') AS words OFFSET 0) w
ON CONFLICT (ticket_id) DO UPDATE
  SET body = excluded.body, internal = excluded.internal, document = excluded.document"""

# The statements of every write, made once: a text() clause parses its SQL for bind names
# each time it is built.
_SQLITE_UNINDEX_ONE = text("DELETE FROM ticket_search WHERE rowid = :ticket_id")
_SQLITE_INDEX_ONE = text(SQLITE_INDEX_SQL + " WHERE t.id = :ticket_id")
_SQLITE_NEW = text(SQLITE_NEW_SQL)
_POSTGRESQL_INDEX_ONE = text(POSTGRESQL_INDEX_SQL.format(where="WHERE t.id = :ticket_id"))
_POSTGRESQL_NEW = text(POSTGRESQL_NEW_SQL)
