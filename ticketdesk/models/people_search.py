"""The index of people by the words of their name and email address.

Staff look a person up by any word of their name or address, or the start of one
(`carl`, `example`), to see their tickets; admins, to manage their account. A scan of
every account per lookup would grow with the customers, so each database keeps an
index of its own, in step with `users` whatever writes it:

SQLite: an FTS5 table `people_search` over `users` (external content: it holds the
words, not the text), kept by triggers; FTS5 cuts text into letters and digits, as
the ticket search does. PostgreSQL: a generated column `users.search_words`, the
words of the name and address with their separators made spaces (so that each part
of an address or a hyphenated name is a word of its own: PostgreSQL's parser keeps
`ann@example.com` whole), read with accents folded (`models.text_search`), under a
GIN index. Stored rather than an index on the expression: a plan that walks the ids in
order and tests each row (which PostgreSQL picks for a common word) parsed every row's
text again, 24 ms for `carla` among 200,000 people, against 1.2 ms reading the stored
words.

The DDL runs after `create_all` (tests) and in migration 0018_people_search.
"""

from __future__ import annotations

from sqlalchemy import DDL, event

from ticketdesk.models.base import Base
from ticketdesk.models.text_search import SIMPLE

# Characters that join words in addresses and names, read as spaces on PostgreSQL.
_SEPARATORS = "@.-_+/:''"  # as an SQL string: the last two are one quote
_WORDS = (
    f"to_tsvector('{SIMPLE}'::regconfig, translate(name || ' ' || email, "
    f"'{_SEPARATORS}', '{' ' * (len(_SEPARATORS) - 1)}'))"
)
WORDS_COLUMN = "search_words"
WORDS_INDEX = "ix_users_search_words"

_ADD_WORDS = "INSERT INTO people_search (rowid, name, email) VALUES (new.id, new.name, new.email)"
_REMOVE_WORDS = (
    "INSERT INTO people_search (people_search, rowid, name, email)"
    " VALUES ('delete', old.id, old.name, old.email)"
)
SQLITE_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS people_search USING fts5(name, email,"
    " content = 'users', content_rowid = 'id',"
    " tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')",
    "CREATE TRIGGER IF NOT EXISTS people_search_insert AFTER INSERT ON users"
    f" BEGIN {_ADD_WORDS}; END",
    "CREATE TRIGGER IF NOT EXISTS people_search_update AFTER UPDATE OF name, email ON users"
    f" BEGIN {_REMOVE_WORDS}; {_ADD_WORDS}; END",
    "CREATE TRIGGER IF NOT EXISTS people_search_delete AFTER DELETE ON users"
    f" BEGIN {_REMOVE_WORDS}; END",
)
POSTGRESQL_DDL = (
    f"ALTER TABLE users ADD COLUMN IF NOT EXISTS {WORDS_COLUMN} tsvector"
    f" GENERATED ALWAYS AS ({_WORDS}) STORED",
    f"CREATE INDEX IF NOT EXISTS {WORDS_INDEX} ON users USING gin ({WORDS_COLUMN})",
    # Statistics of 10 times as many words as by default: with the default, a word
    # nobody's name holds was guessed in 93 of 200,000 people, and the newest five were
    # looked for by walking the ids from the newest, every one of them (58 ms, where
    # the index answers in 1.2 ms). Most words typed into the staff's search box are
    # such words.
    f"ALTER TABLE users ALTER COLUMN {WORDS_COLUMN} SET STATISTICS 1000",
)
DROP_SQLITE = (
    "DROP TRIGGER IF EXISTS people_search_insert",
    "DROP TRIGGER IF EXISTS people_search_update",
    "DROP TRIGGER IF EXISTS people_search_delete",
    "DROP TABLE IF EXISTS people_search",
)

for _statement in SQLITE_DDL:
    event.listen(Base.metadata, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRESQL_DDL:
    event.listen(Base.metadata, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
for _statement in DROP_SQLITE:
    event.listen(Base.metadata, "before_drop", DDL(_statement).execute_if(dialect="sqlite"))
