"""PostgreSQL's ways of reading words for search: its own, with accents folded.

SQLite's FTS5 tables fold accents as they cut text (`remove_diacritics`), so `jose`
finds José and `cafe` finds café. PostgreSQL's `english` and `simple` configurations
keep them. These two copies of them pass every word that is not plain ASCII through
the `unaccent` dictionary first (an extension shipped with PostgreSQL, which a
database owner may install), so both engines find the same words. The tickets' index
(`models.search`) reads words with `ENGLISH`, the people's (`models.people_search`)
with `SIMPLE`.

The DDL runs before `create_all` (tests) and in migration 0020_search_accents.
"""

from __future__ import annotations

from sqlalchemy import DDL, event

from ticketdesk.models.base import Base

ENGLISH = "ticketdesk_english"
SIMPLE = "ticketdesk_simple"

# Token types of PostgreSQL's parser whose text may hold letters beyond ASCII, by the
# dictionary each configuration ends them with (`english` stems words, and keeps
# words with digits as they are).
_WORDS = "word, hword, hword_part"
_WORDS_WITH_DIGITS = "numword, numhword, hword_numpart"


def _configuration(name: str, copy: str, words_dictionary: str) -> str:
    """A DO block that makes configuration `name`, a copy of `copy` that unaccents
    words first, unless it is there (CREATE TEXT SEARCH CONFIGURATION has no IF NOT
    EXISTS)."""
    return f"""DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_ts_config WHERE cfgname = '{name}'
                 AND cfgnamespace = current_schema()::regnamespace) THEN
    CREATE TEXT SEARCH CONFIGURATION {name} (COPY = {copy});
    ALTER TEXT SEARCH CONFIGURATION {name}
      ALTER MAPPING FOR {_WORDS} WITH unaccent, {words_dictionary};
    ALTER TEXT SEARCH CONFIGURATION {name}
      ALTER MAPPING FOR {_WORDS_WITH_DIGITS} WITH unaccent, simple;
  END IF;
END $$"""


POSTGRESQL_DDL = (
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    _configuration(ENGLISH, "english", "english_stem"),
    _configuration(SIMPLE, "simple", "simple"),
)
DROP = tuple(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {name}" for name in (ENGLISH, SIMPLE))

for _statement in POSTGRESQL_DDL:
    event.listen(Base.metadata, "before_create", DDL(_statement).execute_if(dialect="postgresql"))
# After the tables whose columns and indexes read them are gone.
for _statement in DROP:
    event.listen(Base.metadata, "after_drop", DDL(_statement).execute_if(dialect="postgresql"))
