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
"""

from __future__ import annotations

import base64
import binascii
import functools
import html
import json
import math
import re

from sqlalchemy import (
    Double,
    Integer,
    Select,
    bindparam,
    case,
    cast,
    column,
    exists,
    func,
    literal_column,
    or_,
    select,
    table,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ticketdesk.models import Ticket
from ticketdesk.models import search as _search_schema  # noqa: F401  (registers the DDL)
from ticketdesk.services import search_index, sqlite_plans
from ticketdesk.services.errors import ValidationFailed
from ticketdesk.services.listing import (
    TicketSummary,
    page_with_people,
    summaries,
    with_people,
)
from ticketdesk.services.pagination import (
    Page,
    TicketSort,
    cursor_values,
    keyset_order,
    ticket_cursor,
)
from ticketdesk.services.transactions import interrupted, sqlite_step_limit

MAX_TERMS = 12
MAX_RANKED = 1000
# Reading a match (its row, its rank) costs about what a window's index reads for 30
# ids do (measured at a million tickets): blocks pay only for words common enough.
# With block words, still: blocks for all of two common words took 1.4-1.75 times as long.
_MATCH_COST_IN_IDS = 30
MARK_START, MARK_END = "\ue000", "\ue001"
_WORD = re.compile(r"[^\W_]+")
_LANGUAGE = literal_column("'english'::regconfig")
# Characters of a ticket's text given to ts_headline, from a little before the first match.
_HEADLINE_CHARS, _HEADLINE_LEAD = 3000, 300
_HEADLINE_OPTIONS = (
    f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=24, MinWords=8, "
    'MaxFragments=2, FragmentDelimiter=" … "'
)
_search = table(
    "ticket_search",
    *(column(name) for name in ("rowid", "ticket_id", "body", "internal", "document")),
)
_FTS = literal_column("ticket_search")  # FTS5's MATCH, bm25() and snippet() take the table
# The table, not the entity: a Core select skips the ORM's compile and loading steps.
_tickets = Ticket.__table__
_SQLITE_JOIN = _search.c.rowid == _tickets.c.id
_POSTGRES_JOIN = _search.c.ticket_id == _tickets.c.id


def search_phrases(text_query: str) -> list[list[str]]:
    """The query's words, lower-cased and cut as FTS5 cuts text (letters and digits), as
    phrases: the words between double quotes together, each other word alone; at most
    MAX_TERMS words in all."""
    phrases, room = [], MAX_TERMS
    for quoted, stretch in enumerate(text_query.split('"')):
        words = [word.lower() for word in _WORD.findall(stretch)][:room]
        room -= len(words)
        if quoted % 2:
            phrases += [words] if words else []
        else:
            phrases += [[word] for word in words]
    return phrases


def _postgresql_pieces(text_query: str) -> list[str]:
    """The query cut at white space only, as PostgreSQL's parser reads a text: an
    address, a host or a file name (`ann@example.com`, `report.pdf`) is one word there,
    which a headline marks only if the query holds it whole."""
    return text_query.split()[:MAX_TERMS]


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
    phrases = search_phrases(text_query)
    terms = [word for phrase in phrases for word in phrase]
    if not terms:
        return Page([], None)
    query, filter_values = tickets
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:
        # A customer's own tickets, or one requester's that staff asked for.
        requester = customer_id if customer_id is not None else filter_values.get("requester_id")
        engine = _Sqlite(phrases, customer=customer_id is not None, requester=requester)
    else:
        engine = _Postgres(phrases, _postgresql_pieces(text_query), customer_id is None)
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
    return Page(items, next_cursor)


@functools.lru_cache(maxsize=256)
def _ranked_page(query: Select, ranked, best_first: str) -> Select:
    """The page of `query`'s tickets that `ranked` (id, relevance) holds, best first."""
    relevance = ranked.c.relevance
    best = relevance.asc() if best_first == "asc" else relevance.desc()
    return (
        with_people(query)
        .join(ranked, ranked.c.id == _tickets.c.id)
        .add_columns(relevance)
        .order_by(best, _tickets.c.id.desc())
        .limit(bindparam("limit"))
    )


@functools.lru_cache(maxsize=256)
def _sorted_page(query: Select, narrow, sort: TicketSort, after: bool, planned: bool) -> Select:
    """The page of `query`'s matches in `sort` order, after the bound cursor values or not;
    `planned` (PostgreSQL) takes the page before joining its people, as lists do (see
    `listing.page_with_people`)."""
    if planned:
        return page_with_people(narrow(query), sort, after=after)
    return keyset_order(with_people(narrow(query)), sort, after=after).limit(bindparam("limit"))


def render_snippet(raw: str) -> str:
    """Escape the stored text for HTML and turn the engine's markers into <mark> tags."""
    escaped = html.escape(" ".join(raw.split()), quote=True)
    return escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")


class _Sqlite:
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
        return query.join(_search, _SQLITE_JOIN).where(_FTS_MATCH)

    def ranked(self, session: Session, query: Select, values: dict):
        """(id, relevance) of the best `limit` of the newest MAX_RANKED matches of `query`,
        after the cursor if `values` holds one.

        Adds to `values` what the subquery binds.
        """
        # FTS5 walks a doclist newest first natively, so the floor of the window costs
        # MAX_RANKED steps; then the rowid range goes to FTS5 itself and bm25, which
        # reads each row's column sizes, runs for the window only.
        values["floor_offset"] = MAX_RANKED - 1
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
        every_match = _sorted_page(query, self.narrow, sort, after, False)
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
# Words in more tickets than this are walked for in an order (see `_Sqlite.sorted_rows`):
# the rowid of the match that many from the newest, if there is one.
MANY_MATCHES = 2000
_MANY_MATCHES = (
    select(_search.c.rowid)
    .where(_FTS_MATCH)
    .order_by(_search.c.rowid.desc())
    .offset(bindparam("many_offset"))
    .limit(1)
)


@functools.lru_cache(maxsize=256)
def _walked_page(query: Select, sort: TicketSort, after: bool) -> Select:
    """The page of `query`'s matches in `sort` order, found by walking the tickets in that
    order and asking FTS5 about each one."""
    matches = exists().where(_FTS_MATCH, _search.c.rowid == _tickets.c.id)
    page = keyset_order(with_people(query.where(matches)), sort, after=after)
    return page.limit(bindparam("limit"))


@functools.lru_cache(maxsize=256)
def _sqlite_floor(query: Select) -> Select:
    """The rowid of the MAX_RANKED-th newest match (bound as `floor_offset` + 1)."""
    matches = _matches(query, _SQLITE_JOIN, _search.c.rowid, _FTS_MATCH)
    return matches.order_by(_search.c.rowid.desc()).offset(bindparam("floor_offset")).limit(1)


@functools.lru_cache(maxsize=256)
def _sqlite_ranked(query: Select, floor: bool, after: bool):
    """The best bound `limit` of `query`'s matches from the bound `floor` up, after a cursor."""
    matches = _matches(query, _SQLITE_JOIN, _search.c.rowid, _FTS_MATCH)
    if floor:
        matches = matches.where(_search.c.rowid >= bindparam("floor"))
    # A word in the title counts four times one in the body or notes; the requester
    # token not at all.
    rank = func.bm25(_FTS, 4.0, 1.0, 1.0, 0.0)
    ranked = matches.with_only_columns(_search.c.rowid.label("id"), rank.label("relevance"))
    return _order_by_rank(ranked, (rank, _search.c.rowid), "asc", after=after)


class _Postgres:
    """tsvector + GIN: `@@` on the weighted document, ts_rank for rank (higher is better).

    Each document also holds each of its words with its id block, `<word>#<id //
    ID_BLOCK>` (no query word can spell `#`). A GIN index yields its matches in no
    useful order, so to rank the newest matches of a common word without reading every
    one of them, the search reads the newest blocks first and widens until it has
    enough: asking for the words of those blocks, the index reads those matches alone.
    (Each document once held its block as a lexeme of its own, ANDed with the words:
    the index then read every id of the blocks, and a 1% word's windows took 6.7 ms
    of PostgreSQL's time at a million tickets, against 4.0 ms now.)
    """

    best_first = "desc"

    def __init__(self, phrases: list[list[str]], pieces: list[str], staff: bool) -> None:
        # `:AB` keeps a customer's query to the title and public text.
        weights = "" if staff else ":AB"
        tsquery = " & ".join(f"({_phrase(phrase, weights)})" for phrase in phrases)
        terms = [word for phrase in phrases for word in phrase]
        # Headlines also mark an address or a file name asked for whole.
        headline = tsquery
        if pieces != terms:
            whole = " & ".join(_phrase([piece], weights) for piece in pieces)
            headline = f"({tsquery}) | ({whole})"
        self.values = {"tsquery": tsquery, "headline_tsquery": headline, "words": " ".join(terms)}
        self.staff = staff

    @staticmethod
    def narrow(query: Select) -> Select:
        return query.join(_search, _POSTGRES_JOIN).where(_found(False))

    def ranked(self, session: Session, query: Select, values: dict):
        """(id, relevance) of the best `limit` of the newest MAX_RANKED matches of `query`,
        after the cursor if `values` holds one.

        Adds to `values` what the subquery binds: the ids and ranks, as two arrays, so
        that the statement is the same whatever the page holds.
        """
        best = self._best_of_newest(session, query, values)
        values["ids"] = [ticket_id for ticket_id, _ in best]
        values["ranks"] = [rank for _, rank in best]
        return _PAGE_OF_RANKS

    def _best_of_newest(
        self, session: Session, query: Select, values: dict
    ) -> list[tuple[int, float]]:
        """The best bound `limit` of the newest MAX_RANKED matches, a few blocks at a time.

        The newest one or two blocks are read first; from how many matches they hold,
        the next read takes as many blocks as should hold the rest, or, for a word
        too rare for blocks to pay, everything older at once. Each read ranks its
        matches and returns only its best `limit` (after the cursor, if bound): the
        best of the reads are the best of all.
        """
        newest_id, stems = session.execute(_NEWEST_INDEXED, values).one()
        if newest_id is None or not stems:  # nothing indexed, or only stop words asked for
            return []
        block = search_index.ID_BLOCK
        top = newest_id // block
        # A word too long for block words (longer than the API takes) reads everything.
        blockable = max(len(stem.encode()) for stem in stems) <= search_index.BLOCK_WORD_BYTES
        lower = max(top - 1, 0) if blockable else 0
        window = functools.partial(_window, session, query, values, stems)
        found, best = window(range(lower, top + 1), MAX_RANKED)
        while lower > 0 and found < MAX_RANKED:
            density = found / (newest_id + 1 - lower * block)
            needed = MAX_RANKED - found
            older = lower * block
            if density == 0 or needed / density > _MATCH_COST_IN_IDS * density * older:
                start = 0
            else:
                start = max(lower - math.ceil(1.25 * needed / density / block), 0)
            more, better = window(range(start, lower), needed)
            found, best = found + more, best + better
            lower = start
        return sorted(best, key=lambda match: (-match[1], -match[0]))[: values["limit"]]

    def sorted_rows(
        self, session: Session, query: Select, sort: TicketSort, after: bool, values: dict
    ) -> list:
        """The page of `query`'s matches in `sort` order."""
        return session.execute(_sorted_page(query, self.narrow, sort, after, True), values).all()

    def snippets(self, session: Session, ticket_ids: list[int]):
        """(id, headline text) of each of these tickets, from the conversation: see
        `_POSTGRESQL_SNIPPETS`."""
        statement = _POSTGRESQL_STAFF_SNIPPETS if self.staff else _POSTGRESQL_SNIPPETS
        return session.execute(statement, self.values | {"ids": ticket_ids})


_TSQUERY = func.to_tsquery(_LANGUAGE, bindparam("tsquery"))


def _phrase(words: list[str], weights: str) -> str:
    """A tsquery (as text) of documents holding `words` one after the other, in the
    `weights` given.

    Each word is quoted, so that no character of it is a tsquery operator; PostgreSQL's
    parser makes its lexemes as it made the documents' (a word of no lexeme drops out,
    and a stop word in a phrase leaves its place: "printer in room" is `printer <2> room`).
    """
    quoted = ("'" + word.replace("\\", "\\\\").replace("'", "''") + "'" for word in words)
    return " <-> ".join(operand + weights for operand in quoted)


_PAGE_OF_RANKS = (
    func.unnest(bindparam("ids", type_=ARRAY(Integer)), bindparam("ranks", type_=ARRAY(Double)))
    .table_valued(column("id", Integer), column("relevance", Double))
    .render_derived()
)


def _found(lexemes: bool):
    """`@@` of the bound query, and, with `lexemes`, of the bound block words' query.

    ANDed with the block words, the query's own words cost the index little: it reads
    the rarer block words' matches and looks up only those in the words' entries.
    """
    tsquery = _TSQUERY.op("&&")(cast(bindparam("lexemes"), TSQUERY)) if lexemes else _TSQUERY
    return _search.c.document.op("@@")(tsquery)


def _window(
    session: Session, query: Select, values: dict, stems: list[str], blocks: range, newest: int
) -> tuple[int, list[tuple[int, float]]]:
    """How many of the newest `newest` matches the id blocks hold, and the best `limit`.

    `stems` are the lexemes of the query's words, as the documents hold them.
    """
    # From the first block on, every id below the window's top: no block words needed.
    lexemes = blocks.start > 0
    statement = _window_statement(query, lexemes, "after_rank" in values)
    window_values = values | {"stop": blocks.stop * search_index.ID_BLOCK, "newest": newest}
    if lexemes:
        window_values["lexemes"] = _block_words(stems, blocks)
        window_values["start"] = blocks.start * search_index.ID_BLOCK
    rows = session.execute(statement, window_values).all()
    return rows[0].found, [(row.id, row.relevance) for row in rows if row.id is not None]


@functools.lru_cache(maxsize=256)
def _window_statement(query: Select, lexemes: bool, after: bool) -> Select:
    """The count of the bound `newest` matches below the bound `stop`, and their best."""
    matches = _matches(query, _POSTGRES_JOIN, _search.c.ticket_id, _found(lexemes))
    if lexemes and query.whereclause is not None:
        # The tickets too lie in the blocks: a plan driven by the filters' indexes, which
        # know nothing of blocks, otherwise probed every filtered ticket in the table
        # (at 1M, 20,101 probes for 890 matches of a common word, 0.5 s).
        in_blocks = (_tickets.c.id >= bindparam("start")) & (_tickets.c.id < bindparam("stop"))
        matches = matches.where(in_blocks)
    # As double precision: a real would not survive the cursor's round trip exactly.
    rank = cast(func.ts_rank(_search.c.document, _TSQUERY), Double).label("relevance")
    window = (
        # `+ 0`, so that no plan reads the primary key for this bound: it holds every id
        # below the window, most of the table. PostgreSQL's generic plan (psycopg prepares
        # the statement) ANDed that range into the GIN bitmap: 18 against 8 ms at 100k.
        matches.where(_search.c.ticket_id + 0 < bindparam("stop"))
        .add_columns(rank)
        .order_by(_NEWEST_MATCH)
        .limit(bindparam("newest"))
        .cte("newest_matches")  # not "window", a word SQL reserves
    )
    found = select(func.count().label("found")).select_from(window).subquery()
    key = (window.c.relevance, window.c.id)
    best = _order_by_rank(select(*key), key, "desc", after=after)
    # Only the count and the page travel: a thousand ranks cost more to send than to find.
    return select(found.c.found, best.c.id, best.c.relevance).outerjoin_from(found, best, true())


# Ordered by `ticket_id + 0`, not by the key itself: given the key's order, PostgreSQL
# walks the primary key backwards and tests `@@` on each ticket (a hundred tickets per
# match of a 1% word); this way the GIN index finds the matches and a top-N sort keeps
# the newest.
_NEWEST_MATCH = (_search.c.ticket_id + 0).desc()
# What the windows need: the newest id indexed, and the stems of the bound words.
_NEWEST_INDEXED = select(
    func.max(_search.c.ticket_id),
    func.tsvector_to_array(func.to_tsvector(_LANGUAGE, bindparam("words"))),
)


def _block_words(stems: list[str], blocks: range) -> str:
    """A tsquery (as text) of documents in `blocks` holding every one of `stems`.

    A document holds the query's words if it matches; so this only narrows `@@` to the
    blocks, whatever the query's weights.
    """
    quoted = [stem.replace("\\", "\\\\").replace("'", "''") for stem in stems]
    return " & ".join(
        "(" + " | ".join(f"'{stem}#{block}'" for block in blocks) + ")" for stem in quoted
    )


@functools.cache
def _sqlite_snippets(*, by_id: bool, notes: bool) -> Select:
    """Snippets of the public text (and, with `notes`, of the notes) for one page.

    Without `by_id`, from one rowid range, so that FTS5 seeks its doclist once, not
    once per id (about 0.2 ms each); `rowid + 0` keeps the IN list from being offered
    to FTS5 instead.
    """
    columns = (1, 2) if notes else (1,)  # body, internal: see models.search
    snippets = [func.snippet(_FTS, column, MARK_START, MARK_END, "…", 16) for column in columns]
    statement = select(_search.c.rowid, *snippets).where(_FTS_MATCH)
    if by_id:
        return statement.where(_search.c.rowid.in_(bindparam("ids", expanding=True)))
    return statement.where(_search.c.rowid.between(bindparam("low"), bindparam("high"))).where(
        (_search.c.rowid + 0).in_(bindparam("ids", expanding=True))
    )


def _headlines(text):
    """ts_headline over the stretch of `text` around its first mention of a query word.

    ts_headline parses all it is given, and a conversation may hold 100,000 indexed
    characters: a page of 25 such tickets took 290-310 ms, and 73-75 ms as stretches.
    The stretch starts shortly before the first place a query word's stem appears, or
    at the start when none does (another form of the word, say).
    """
    tsquery = func.to_tsquery(_LANGUAGE, bindparam("headline_tsquery"))
    stem = func.unnest(
        func.tsvector_to_array(func.to_tsvector(_LANGUAGE, bindparam("words")))
    ).column_valued("stem")
    first = select(func.min(func.nullif(func.strpos(func.lower(text), stem), 0)))
    start = func.greatest(func.coalesce(first.scalar_subquery(), 1) - _HEADLINE_LEAD, 1)
    # Short texts (most) go whole, with no search for the stretch.
    stretch = case(
        (func.octet_length(text) <= _HEADLINE_CHARS, text),
        else_=func.substr(text, start, _HEADLINE_CHARS),
    )
    return select(
        _search.c.ticket_id,
        func.ts_headline(_LANGUAGE, stretch, tsquery, _HEADLINE_OPTIONS),
    ).where(_search.c.ticket_id.in_(bindparam("ids", expanding=True)))


# The conversation, not the title, which the list shows anyway: the first stretch where
# a word was found, or the public text's start when only the title held them.
_POSTGRESQL_SNIPPETS = _headlines(_search.c.body)
_POSTGRESQL_STAFF_SNIPPETS = _headlines(_search.c.body + "\n" + _search.c.internal)


def _matches(query: Select, joined_on, search_id, found) -> Select:
    """The ids of `query`'s tickets for which `found` holds (labelled `id`), from the index
    alone if it can.

    `found` is the window's own condition. A filtered search whose windows looked for the
    query's words alone, not their id blocks, read every older match again in each
    window and listed it twice (PostgreSQL at a million tickets, active urgent tickets
    with a 1% word: 0.2-0.3 s).
    """
    if query.whereclause is None:
        # No ticket filter (staff): the index answers without a join to every match.
        return select(search_id.label("id")).select_from(_search).where(found)
    return query.join(_search, joined_on).where(found).with_only_columns(search_id.label("id"))


def _order_by_rank(query: Select, key, best_first: str, *, after: bool):
    """Best matches first, newest first among equals, after the bound cursor or not:
    a subquery of the bound `limit`."""
    rank, ticket_id = key
    if after:
        after_rank = bindparam("after_rank", type_=Double)
        worse = rank > after_rank if best_first == "asc" else rank < after_rank
        query = query.where(or_(worse, (rank == after_rank) & (ticket_id < bindparam("after_id"))))
    ordered = rank.asc() if best_first == "asc" else rank.desc()
    return query.order_by(ordered, ticket_id.desc()).limit(bindparam("limit")).subquery()


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
    if not isinstance(ticket_id, int) or isinstance(ticket_id, bool) or abs(ticket_id) > 2**62:
        raise invalid
    return {"after_rank": float(rank), "after_id": ticket_id}
