"""Ticket search on SQLite: FTS5's MATCH, ranked by bm25, with snippets (see `search`)."""

from __future__ import annotations

import functools
from collections.abc import Mapping

from sqlalchemy import Select, bindparam, exists, func, literal_column, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ticketdesk.services import search_sql, sqlite_plans
from ticketdesk.services.facets import facets_query
from ticketdesk.services.listing import walkable_tickets, with_people
from ticketdesk.services.pagination import TicketSort, keyset_order
from ticketdesk.services.search_sql import (
    MARK_END,
    MARK_START,
    SEARCH,
    TICKETS,
    order_by_rank,
    sorted_page,
)
from ticketdesk.services.transactions import interrupted, sqlite_step_limit

_FTS = literal_column("ticket_search")  # FTS5's MATCH, bm25() and snippet() take the table
_SQLITE_JOIN = SEARCH.c.rowid == TICKETS.c.id


class SqliteSearch:
    """FTS5: a MATCH on the virtual table, bm25 for rank (lower is better).

    The MATCH asks for the tokens of the list's filters too (a customer's search, for
    their own; see `models.search`), so that FTS5 reads only the filtered tickets'
    matches, merging the words' and the filters' lists of tickets. Left to the join
    with the tickets, a common word with filters few tickets pass was read whole and
    each match looked up: at 1M tickets, 0.5-1.2 s for an agent's urgent tickets in
    progress (a customer's own, with a word in most tickets: 545 ms).
    """

    best_first = "asc"

    def __init__(
        self, phrases: list[list[str]], *, customer_id: int | None, filters: Mapping[str, object]
    ) -> None:
        # An FTS5 string is a phrase of its words; strings side by side must all match.
        strings = " ".join('"' + " ".join(phrase).replace('"', '""') + '"' for phrase in phrases)
        # Customers never match internal notes.
        self.words = "{title body} : (" + strings + ")" if customer_id is not None else strings
        facets = facets_query(filters, customer_id)
        self.values = {
            "match": f"({self.words}) AND {facets}" if facets else self.words,
            "words": self.words,
        }
        self.filtered = bool(facets)
        self.filter_names = tuple(filters)
        self.customer = customer_id is not None

    @staticmethod
    def narrow(query: Select) -> Select:
        return query.join(SEARCH, _SQLITE_JOIN).where(_FTS_MATCH)

    def ranked(self, session: Session, query: Select, values: dict):
        """(id, relevance) of the best `limit` of the newest MAX_RANKED matches, after the
        cursor if `values` holds one (the filters are in the MATCH: `query` is not needed).

        Adds to `values` what the subquery binds. FTS5 walks a match list newest first
        natively, so the floor of the window costs MAX_RANKED steps; then the rowid
        range goes to FTS5 itself and bm25 runs for the window only. But bm25 counts the
        tickets of everything asked for, filters too (the active statuses' cost 14 ms
        at 1M): where the window's range holds few of the words' own matches, the words
        alone are ranked over it, keeping the window's tickets.
        """
        values["floor_offset"] = search_sql.MAX_RANKED - 1
        floor = values["floor"] = session.scalar(_FLOOR, values)
        after = "after_rank" in values
        if floor is None or not self.filtered:
            return _sqlite_ranked(floor is not None, after, False)
        crowded = session.scalar(_CROWDED, values | {"words_offset": WORDS_TO_RANK - 1})
        return _sqlite_ranked(True, after, crowded is None or floor >= crowded)

    def sorted_rows(
        self, session: Session, query: Select, sort: TicketSort, after: bool, values: dict
    ) -> list:
        """The page of `query`'s matches in `sort` order.

        For words in many tickets, by walking the order's index and asking FTS5 whether
        each ticket matches: newest first, for a word in 61% of a million tickets,
        sorting every match took 1.5 s, walking for the newest 25 under 1 ms. The walk
        has the lists' budget and writes the filters as their walks do (else SQLite
        gathered an agent's 45,000 tickets through the assignee index and sorted them);
        words in few of the filtered tickets (the filters are in the MATCH) are found
        and sorted at once, the page before its people are joined.
        """
        every_match = sorted_page(query, self.narrow, sort, after, True)
        many = values | {"many_offset": MANY_MATCHES - 1}
        if session.scalar(_MANY_MATCHES, many) is None:
            return session.execute(every_match, values).all()
        walked = _walked_page(walkable_tickets(self.filter_names, self.customer, sort), sort, after)
        try:
            with sqlite_step_limit(session, sqlite_plans.WALK_STEPS):
                return session.execute(walked, values).all()
        except OperationalError as error:
            if not interrupted(error):
                raise
        return session.execute(every_match, values).all()

    def snippets(self, session: Session, ticket_ids: list[int]):
        """(id, snippet text) of each of these tickets: from the public text where a word
        was found there, else (staff) from the notes where one was found there, else the
        public text's start. Never from the title, which the list shows anyway.

        From one rowid range, so that FTS5 reads its lists once, not once per id (about
        0.2 ms each); with the filters' tokens, it reads only the filtered tickets' matches
        in that range, however many years a page of sparse filters spans.
        """
        low, high = min(ticket_ids), max(ticket_ids)
        values = self.values | {"low": low, "high": high, "ids": ticket_ids}
        statement = _sqlite_snippets(notes=not self.customer)
        for ticket_id, public, *notes in session.execute(statement, values):
            found_in_notes = notes and MARK_START not in public and MARK_START in notes[0]
            yield ticket_id, notes[0] if found_in_notes else public


def _matching(bound: str):
    """FTS5's MATCH of the query bound as `bound`: "match" (words and filters) or "words"."""
    return _FTS.op("MATCH")(bindparam(bound))


_FTS_MATCH = _matching("match")
_WORDS_MATCH = _matching("words")


def _newest_match(bound: str, offset: str) -> Select:
    """The rowid of the match of the query bound as `bound` that many from the newest
    (the bound `offset`), if there is one."""
    newest_first = select(SEARCH.c.rowid).where(_matching(bound)).order_by(SEARCH.c.rowid.desc())
    return newest_first.offset(bindparam(offset)).limit(1)


# Words in more tickets than this are walked for in an order (see `SqliteSearch.sorted_rows`).
MANY_MATCHES = 2000
_MANY_MATCHES = _newest_match("match", "many_offset")
# A filtered search ranks its words alone over its window's range (see `SqliteSearch.ranked`)
# when that range holds no more than this many of their matches: at about 0.17 us each,
# less than bm25's count of a broad filter's tickets.
WORDS_TO_RANK = 20_000
_FLOOR = _newest_match("match", "floor_offset")
_CROWDED = _newest_match("words", "words_offset")
# The window of a filtered search, as a second FTS5 cursor on the table.
_WINDOW = SEARCH.alias("in_window")
_WINDOW_MATCH = literal_column("in_window.ticket_search").op("MATCH")(bindparam("match"))


@functools.lru_cache(maxsize=256)
def _walked_page(query: Select, sort: TicketSort, after: bool) -> Select:
    """The page of `query`'s matches in `sort` order, found by walking the tickets in that
    order and asking FTS5 about each one: of the words alone, as `query` filters."""
    matches = exists().where(_WORDS_MATCH, SEARCH.c.rowid == TICKETS.c.id)
    page = keyset_order(with_people(query.where(matches)), sort, after=after)
    return page.limit(bindparam("limit"))


@functools.cache
def _sqlite_ranked(floor: bool, after: bool, words_alone: bool):
    """The best bound `limit` of the matches from the bound `floor` up, after a cursor;
    with `words_alone`, of the bound `words`' matches in the bound `match`'s window."""
    matches = select(SEARCH.c.rowid).where(_WORDS_MATCH if words_alone else _FTS_MATCH)
    if words_alone:
        window = select(_WINDOW.c.rowid).where(_WINDOW_MATCH)
        if floor:
            window = window.where(_WINDOW.c.rowid >= bindparam("floor"))
        # `+ 0`: the window as a set to test each match against, not ids offered to FTS5,
        # which would look each one up anew, bm25's counts and all (18 ms each at 1M).
        matches = matches.where((SEARCH.c.rowid + 0).in_(window))
    if floor:
        matches = matches.where(SEARCH.c.rowid >= bindparam("floor"))
    # A word in the title counts four times one in the body or notes; facets not at all.
    rank = func.bm25(_FTS, 4.0, 1.0, 1.0, 0.0)
    ranked = matches.with_only_columns(SEARCH.c.rowid.label("id"), rank.label("relevance"))
    return order_by_rank(ranked, (rank, SEARCH.c.rowid), "asc", after=after)


@functools.cache
def _sqlite_snippets(*, notes: bool) -> Select:
    """Snippets of the public text (and, with `notes`, of the notes) for one page: from
    the bound rowid range, `rowid + 0` keeping the ids from being offered to FTS5."""
    columns = (1, 2) if notes else (1,)  # body, internal: see models.search
    snippets = [func.snippet(_FTS, column, MARK_START, MARK_END, "…", 16) for column in columns]
    statement = select(SEARCH.c.rowid, *snippets).where(_FTS_MATCH)
    return statement.where(SEARCH.c.rowid.between(bindparam("low"), bindparam("high"))).where(
        (SEARCH.c.rowid + 0).in_(bindparam("ids", expanding=True))
    )
