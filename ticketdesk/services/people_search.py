"""Narrowing a query of people to those whose name or address holds the words typed.

Each word typed must start a word of the person's name or email address (`carl`
finds Carla, `example` finds ann@example.com); the text is cut into letters and
digits as the ticket search cuts it, so no character is query syntax. The index is
described in `ticketdesk.models.people_search`.
"""

from __future__ import annotations

from sqlalchemy import Column, Select, column, func, literal_column, table

from ticketdesk.models import User
from ticketdesk.models import people_search as _people_schema  # registers the DDL
from ticketdesk.models.text_search import SIMPLE
from ticketdesk.services.search import search_phrases

_FTS = literal_column("people_search")
_INDEX = table("people_search", column("rowid"))
_WORDS = literal_column(f"users.{_people_schema.WORDS_COLUMN}")
_SIMPLE = literal_column(f"'{SIMPLE}'::regconfig")


def words_of(text: str) -> list[str]:
    """The words of `text` that a person's name or address must start words with."""
    return [word for phrase in search_phrases(text.replace('"', " ")) for word in phrase]


def people_matching(query: Select, words: list[str], dialect: str) -> tuple[Select, Column]:
    """`query` (of users) narrowed to the people with every one of `words` starting a
    word of their name or address, and the column of their ids to order and page it by.

    `words` come from `words_of`: letters and digits only, which neither engine's query
    syntax can read as anything but a word. On SQLite the ids are the index's own, which
    it reads in order: ordered by the users' ids instead, every match was read and
    sorted (57 ms for `c` among 200,000 people).
    """
    if dialect == "sqlite":
        match = " ".join(f'"{word}"*' for word in words)
        joined = query.join(_INDEX, _INDEX.c.rowid == User.id)
        return joined.where(_FTS.op("MATCH")(match)), _INDEX.c.rowid
    tsquery = " & ".join(f"'{word}':*" for word in words)
    return query.where(_WORDS.op("@@")(func.to_tsquery(_SIMPLE, tsquery))), User.id
