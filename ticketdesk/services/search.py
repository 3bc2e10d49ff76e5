"""Full-text search over tickets: SQLite FTS5 or PostgreSQL tsvector, chosen by the database.

The index (see `ticketdesk.models.search`) holds one entry per ticket: its
title, its public text (description and replies) and its internal notes; the
writes keep it in step through `ticketdesk.services.search_index`.

User text never reaches either engine's query syntax: it is cut into words of letters
and digits, as FTS5 cuts the documents (PostgreSQL's documents hold the parts of an
address or a file name, which its parser keeps whole, as words too), and each is passed
as a quoted term, so `*`, `:`, `-`, `(` or `NEAR` are plain text. Words in double quotes
are a phrase, found only together and in that order; an unclosed quote runs to the end.
Customers' queries look only at the title and public text; internal notes match for
staff alone.

Words too common to search for (`stop_words.STOP_WORDS`, PostgreSQL's English stop
words) are left out of a query on both engines: PostgreSQL's index holds none of them,
and SQLite's query leaves them out (`searched_phrases`), unless every word is one.

Each engine's statements are in `search_sqlite` and `search_postgres`, what both build
on in `search_sql`; this module cuts the query and pages the results.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json

from sqlalchemy import Select, bindparam
from sqlalchemy.orm import Session

from ticketdesk.models import ID_MAX
from ticketdesk.services.errors import ValidationFailed
from ticketdesk.services.listing import TicketSummary, summaries, with_people
from ticketdesk.services.pagination import Page, TicketSort, cursor_values, ticket_cursor
from ticketdesk.services.search_postgres import PostgresSearch
from ticketdesk.services.search_sql import TICKETS, WORD
from ticketdesk.services.search_sqlite import SqliteSearch
from ticketdesk.services.snippets import render_snippet
from ticketdesk.services.stop_words import is_stop_word

MAX_TERMS = 12


def search_phrases(text_query: str) -> list[list[str]]:
    """The query's words, lower-cased and cut as FTS5 cuts text (letters and digits), as
    phrases: the words between double quotes together, each other word alone; at most
    MAX_TERMS words in all."""
    phrases, room = [], MAX_TERMS
    for quoted, stretch in enumerate(text_query.split('"')):
        words = [word.lower() for word in WORD.findall(stretch)][:room]
        room -= len(words)
        if quoted % 2:
            phrases += [words] if words else []
        else:
            phrases += [[word] for word in words]
    return phrases


def searched_phrases(
    phrases: list[list[str]], *, sqlite: bool
) -> tuple[list[list[str]], tuple[str, ...]]:
    """The phrases an engine is asked for, and the words left out as too common to search
    for (each once, in the query's order).

    A word alone that is a stop word is left out on both engines, as PostgreSQL's
    `english` configuration leaves it out of documents and queries: "why is the vpn
    down" asks for `vpn`. Left in, FTS5 wanted every one of them in each ticket, and found
    none. A phrase of several words stays as typed: PostgreSQL lets a stop word in it
    stand for any word, FTS5 wants that word. When every word is a stop word, SQLite
    (whose index holds them) searches them as typed, and PostgreSQL has nothing to ask
    for: no phrases, every word left out.
    """
    left_out = [phrase[0] for phrase in phrases if len(phrase) == 1 and is_stop_word(phrase[0])]
    terms = [word for phrase in phrases for word in phrase]
    if all(is_stop_word(word) for word in terms):
        return (phrases, ()) if sqlite else ([], tuple(dict.fromkeys(terms)))
    if not left_out:
        return phrases, ()
    if sqlite:
        phrases = [phrase for phrase in phrases if len(phrase) > 1 or not is_stop_word(phrase[0])]
    return phrases, tuple(dict.fromkeys(left_out))


def search_page(
    session: Session,
    tickets: tuple[Select, dict[str, object]],
    text_query: str,
    *,
    customer_id: int | None,
    sort: TicketSort | None,
    limit: int,
    cursor: str | None,
) -> Page[TicketSummary]:
    """One page of `tickets` (a statement of filtered tickets and the values it binds)
    narrowed to those matching `text_query`. `customer_id` names the customer whose own
    tickets these are (never matched on internal notes); None for staff.

    Without `sort` the best of the newest MAX_RANKED matches come first; with it, every
    match in that order. Each statement is built once per shape of `tickets` (which
    `listing.filtered_tickets` keeps), with every value bound: built anew for every
    request, they took a third of a PostgreSQL search's instructions.
    """
    sqlite = session.get_bind().dialect.name == "sqlite"
    phrases, ignored = searched_phrases(search_phrases(text_query), sqlite=sqlite)
    if not phrases:
        return Page([], None, ignored)
    query, filter_values = tickets
    if sqlite:
        # The filters set, without the access rule's `viewer_id`: `customer_id` tells that.
        filters = {name: value for name, value in filter_values.items() if name != "viewer_id"}
        engine = SqliteSearch(phrases, customer_id=customer_id, filters=filters)
    else:
        engine = PostgresSearch(phrases, customer_id is None)
    values = filter_values | engine.values | {"limit": limit + 1}
    if sort is None:
        if cursor:
            values |= _rank_cursor_values(cursor)
        ranked = engine.ranked(session, query, values)
        rows = session.execute(_ranked_page(query, ranked, engine.best_first), values).all()
    else:
        values |= cursor_values(cursor, sort) if cursor else {}
        rows = engine.sorted_rows(session, query, sort, bool(cursor), values)
    more = len(rows) > limit
    rows = rows[:limit]
    # Snippets for this page only: made for every match, they would cost more than the search.
    found = engine.snippets(session, [row.id for row in rows]) if rows else []
    items = summaries(rows, {ticket_id: render_snippet(raw) for ticket_id, raw in found if raw})
    next_cursor = None
    if more:
        last, last_relevance = items[-1], rows[-1][-1]
        next_cursor = ticket_cursor(last, sort) if sort else _rank_cursor(last_relevance, last.id)
    return Page(items, next_cursor, ignored)


@functools.lru_cache(maxsize=256)
def _ranked_page(query: Select, ranked, best_first: str) -> Select:
    """The page of `query`'s tickets that `ranked` (id, relevance) holds, best first."""
    relevance = ranked.c.relevance
    best = relevance.asc() if best_first == "asc" else relevance.desc()
    return (
        with_people(query)
        .join(ranked, ranked.c.id == TICKETS.c.id)
        .add_columns(relevance)
        .order_by(best, TICKETS.c.id.desc())
        .limit(bindparam("limit"))
    )


def _rank_cursor(rank: float, ticket_id: int) -> str:
    raw = json.dumps(["relevance", rank, ticket_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _rank_cursor_values(cursor: str) -> dict[str, object]:
    """The values `_order_by_rank(after=True)` binds, from a cursor made by `_rank_cursor`."""
    invalid = ValidationFailed.field("cursor", "Invalid cursor; start again from the first page.")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        kind, rank, ticket_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        raise invalid from None
    if kind != "relevance" or not isinstance(rank, int | float) or isinstance(rank, bool):
        raise invalid
    if not isinstance(ticket_id, int) or isinstance(ticket_id, bool) or abs(ticket_id) > ID_MAX:
        raise invalid
    return {"after_rank": float(rank), "after_id": ticket_id}
