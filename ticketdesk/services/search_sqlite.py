"""Ticket search on SQLite: FTS5's MATCH, ranked by bm25, with snippets (see `search`)."""

from __future__ import annotations

import functools

from sqlalchemy import Select, bindparam, exists, func, literal_column, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ticketdesk.services import search_index, search_sql, sqlite_plans
from ticketdesk.services.listing import with_people
from ticketdesk.services.pagination import TicketSort, keyset_order
from ticketdesk.services.search_sql import (
    MARK_END,
    MARK_START,
    SEARCH,
    TICKETS,
    matching_ids,
    order_by_rank,
    sorted_page,
)
from ticketdesk.services.transactions import interrupted, sqlite_step_limit

_FTS = literal_column("ticket_search")  # FTS5's MATCH, bm25() and snippet() take the table
_SQLITE_JOIN = SEARCH.c.rowid == TICKETS.c.id


class SqliteSearch:
    """FTS5: a MATCH on the virtual table, bm25 for rank (lower is better).

    A search of one requester's tickets (a customer's own, or staff filtering by
    requester) also asks for that requester's token (see `models.search`), so that FTS5
    reads only their tickets' matches. Left to the join with the tickets, a word in most
    tickets was read whole in each statement: 61-80 ms at 100k tickets for a customer
    with 52 of them, 545 ms at 1M. Driving from their tickets instead costs bm25 a count
    of the word's matches for each one (58 ms at 100k).
    """

    best_first = "asc"

    def __init__(self, phrases: list[list[str]], *, customer: bool, requester: int | None) -> None:
        # An FTS5 string is a phrase of its words; strings side by side must all match.
        strings = " ".join('"' + " ".join(phrase).replace('"', '""') + '"' for phrase in phrases)
        # Customers never match internal notes.
        self.words = "{title body} : (" + strings + ")" if customer else strings
        self.values = {"match": self.words}
        if requester is not None:
            token = search_index.requester_token(requester)
            self.values["match"] = f'({self.words}) AND requester : "{token}"'
        self.one_requester = requester is not None
        self.customer = customer

    @staticmethod
    def narrow(query: Select) -> Select:
        return query.join(SEARCH, _SQLITE_JOIN).where(_FTS_MATCH)

    def ranked(self, session: Session, query: Select, values: dict):
        """(id, relevance) of the best `limit` of the newest MAX_RANKED matches of `query`,
        after the cursor if `values` holds one.

        Adds to `values` what the subquery binds.
        """
        # FTS5 walks a doclist newest first natively, so the floor of the window costs
        # MAX_RANKED steps; then the rowid range goes to FTS5 itself and bm25, which
        # reads each row's column sizes, runs for the window only.
        values["floor_offset"] = search_sql.MAX_RANKED - 1
        values["floor"] = session.scalar(_sqlite_floor(query), values)
        return _sqlite_ranked(query, values["floor"] is not None, "after_rank" in values)

    def sorted_rows(
        self, session: Session, query: Select, sort: TicketSort, after: bool, values: dict
    ) -> list:
        """The page of `query`'s matches in `sort` order.

        For words in many tickets, by walking the order's index and asking FTS5 whether
        each ticket matches: newest first, for a word in 61% of a million tickets,
        sorting every match took 1.5 s, walking for the newest 25 under 1 ms. The walk
        has the lists' budget (filters may leave few of the matches), and words in few
        tickets are found and sorted at once, as before.
        """
        every_match = sorted_page(query, self.narrow, sort, after, False)
        many = values | {"many_offset": MANY_MATCHES - 1}
        if self.one_requester or session.scalar(_MANY_MATCHES, many) is None:
            return session.execute(every_match, values).all()
        try:
            with sqlite_step_limit(session, sqlite_plans.WALK_STEPS):
                return session.execute(_walked_page(query, sort, after), values).all()
        except OperationalError as error:
            if not interrupted(error):
                raise
        return session.execute(every_match, values).all()

    def snippets(self, session: Session, ticket_ids: list[int]):
        """(id, snippet text) of each of these tickets: from the public text where a word
        was found there, else (staff) from the notes where one was found there, else the
        public text's start. Never from the title, which the list shows anyway."""
        if self.one_requester:
            # One requester's tickets lie anywhere in the index: one lookup each, rather
            # than every match of the words between the oldest and the newest. From the
            # words alone, so that no snippet shows the token.
            statement = _sqlite_snippets(by_id=True, notes=not self.customer)
            values = {"match": self.words, "ids": ticket_ids}
        else:
            statement = _sqlite_snippets(by_id=False, notes=not self.customer)
            low, high = min(ticket_ids), max(ticket_ids)
            values = self.values | {"low": low, "high": high, "ids": ticket_ids}
        for ticket_id, public, *notes in session.execute(statement, values):
            found_in_notes = notes and MARK_START not in public and MARK_START in notes[0]
            yield ticket_id, notes[0] if found_in_notes else public


_FTS_MATCH = _FTS.op("MATCH")(bindparam("match"))
# Words in more tickets than this are walked for in an order (see `SqliteSearch.sorted_rows`):
# the rowid of the match that many from the newest, if there is one.
MANY_MATCHES = 2000
_MANY_MATCHES = (
    select(SEARCH.c.rowid)
    .where(_FTS_MATCH)
    .order_by(SEARCH.c.rowid.desc())
    .offset(bindparam("many_offset"))
    .limit(1)
)


@functools.lru_cache(maxsize=256)
def _walked_page(query: Select, sort: TicketSort, after: bool) -> Select:
    """The page of `query`'s matches in `sort` order, found by walking the tickets in that
    order and asking FTS5 about each one."""
    matches = exists().where(_FTS_MATCH, SEARCH.c.rowid == TICKETS.c.id)
    page = keyset_order(with_people(query.where(matches)), sort, after=after)
    return page.limit(bindparam("limit"))


@functools.lru_cache(maxsize=256)
def _sqlite_floor(query: Select) -> Select:
    """The rowid of the MAX_RANKED-th newest match (bound as `floor_offset` + 1)."""
    matches = matching_ids(query, _SQLITE_JOIN, SEARCH.c.rowid, _FTS_MATCH)
    return matches.order_by(SEARCH.c.rowid.desc()).offset(bindparam("floor_offset")).limit(1)


@functools.lru_cache(maxsize=256)
def _sqlite_ranked(query: Select, floor: bool, after: bool):
    """The best bound `limit` of `query`'s matches from the bound `floor` up, after a cursor."""
    matches = matching_ids(query, _SQLITE_JOIN, SEARCH.c.rowid, _FTS_MATCH)
    if floor:
        matches = matches.where(SEARCH.c.rowid >= bindparam("floor"))
    # A word in the title counts four times one in the body or notes; the requester
    # token not at all.
    rank = func.bm25(_FTS, 4.0, 1.0, 1.0, 0.0)
    ranked = matches.with_only_columns(SEARCH.c.rowid.label("id"), rank.label("relevance"))
    return order_by_rank(ranked, (rank, SEARCH.c.rowid), "asc", after=after)


@functools.cache
def _sqlite_snippets(*, by_id: bool, notes: bool) -> Select:
    """Snippets of the public text (and, with `notes`, of the notes) for one page.

    Without `by_id`, from one rowid range, so that FTS5 seeks its doclist once, not
    once per id (about 0.2 ms each); `rowid + 0` keeps the IN list from being offered
    to FTS5 instead.
    """
    columns = (1, 2) if notes else (1,)  # body, internal: see models.search
    snippets = [func.snippet(_FTS, column, MARK_START, MARK_END, "…", 16) for column in columns]
    statement = select(SEARCH.c.rowid, *snippets).where(_FTS_MATCH)
    if by_id:
        return statement.where(SEARCH.c.rowid.in_(bindparam("ids", expanding=True)))
    return statement.where(SEARCH.c.rowid.between(bindparam("low"), bindparam("high"))).where(
        (SEARCH.c.rowid + 0).in_(bindparam("ids", expanding=True))
    )
