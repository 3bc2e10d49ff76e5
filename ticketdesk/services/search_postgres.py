"""Ticket search on PostgreSQL: a weighted tsvector under GIN, ranked by ts_rank, with
headlines (see `search`)."""

from __future__ import annotations

import functools
import math

from sqlalchemy import (
    Double,
    Integer,
    Select,
    Text,
    bindparam,
    case,
    cast,
    column,
    func,
    literal_column,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY
from sqlalchemy.orm import Session

from ticketdesk.models.text_search import ENGLISH
from ticketdesk.services import search_index, search_sql
from ticketdesk.services.headlines import Headliner, text_start
from ticketdesk.services.pagination import TicketSort
from ticketdesk.services.search_sql import (
    SEARCH,
    TICKETS,
    matching_ids,
    order_by_rank,
    sorted_page,
)

# Reading a match (its row, its rank) costs about what a window's index reads for 30
# ids do (measured at a million tickets): blocks pay only for words common enough.
# With block words, still: blocks for all of two common words took 1.4-1.75 times as long.
_MATCH_COST_IN_IDS = 30
_LANGUAGE = literal_column(f"'{ENGLISH}'::regconfig")
_POSTGRES_JOIN = SEARCH.c.ticket_id == TICKETS.c.id


class PostgresSearch:
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

    def __init__(self, phrases: list[list[str]], staff: bool) -> None:
        # `:AB` keeps a customer's query to the title and public text.
        weights = "" if staff else ":AB"
        tsquery = " & ".join(f"({_phrase(phrase, weights)})" for phrase in phrases)
        terms = [word for phrase in phrases for word in phrase]
        self.values = {"tsquery": tsquery, "words": " ".join(terms)}
        self.terms, self.phrases = terms, phrases
        self.staff = staff

    @staticmethod
    def narrow(query: Select) -> Select:
        return query.join(SEARCH, _POSTGRES_JOIN).where(_found(False))

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
        found, best = window(range(lower, top + 1), search_sql.MAX_RANKED)
        while lower > 0 and found < search_sql.MAX_RANKED:
            density = found / (newest_id + 1 - lower * block)
            needed = search_sql.MAX_RANKED - found
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
        return session.execute(sorted_page(query, self.narrow, sort, after, True), values).all()

    def snippets(self, session: Session, ticket_ids: list[int]):
        """(id, snippet text) of each of these tickets: from the public text where a word
        was found there, else (staff) from the notes where one was found there, else the
        public text's start, as SQLite's are. Never from the title, which the list shows
        anyway."""
        values = {"ids": ticket_ids, "words": self.values["words"], "terms": self.terms}
        rows = session.execute(_STAFF_TEXTS if self.staff else _TEXTS, values).all()
        return headlines_of(rows, self.phrases, self.staff)


def headlines_of(rows, phrases: list[list[str]], staff: bool):
    """(id, snippet text) of each of the rows `_TEXTS` (or, for `staff`, `_STAFF_TEXTS`)
    read for the query's `phrases`: the Python half of `PostgresSearch.snippets`."""
    if not rows:
        return
    lexemes = iter(rows[0].lexemes.split("|"))
    headliner = Headliner([[next(lexemes) or None for _ in phrase] for phrase in phrases])
    for row in rows:
        found = headliner.headline(row.body)
        if found is None and staff:
            found = headliner.headline(row.internal)
        yield row.ticket_id, found or text_start(row.body)


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
    return SEARCH.c.document.op("@@")(tsquery)


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
    matches = matching_ids(query, _POSTGRES_JOIN, SEARCH.c.ticket_id, _found(lexemes))
    if lexemes and query.whereclause is not None:
        # The tickets too lie in the blocks: a plan driven by the filters' indexes, which
        # know nothing of blocks, otherwise probed every filtered ticket in the table
        # (at 1M, 20,101 probes for 890 matches of a common word, 0.5 s).
        in_blocks = (TICKETS.c.id >= bindparam("start")) & (TICKETS.c.id < bindparam("stop"))
        matches = matches.where(in_blocks)
    # As double precision: a real would not survive the cursor's round trip exactly.
    rank = cast(func.ts_rank(SEARCH.c.document, _TSQUERY), Double).label("relevance")
    ranked = (
        # `+ 0`, so that no plan reads the primary key for this bound: it holds every id
        # below the window, most of the table. PostgreSQL's generic plan (psycopg prepares
        # the statement) ANDed that range into the GIN bitmap: 18 against 8 ms at 100k.
        matches.where(SEARCH.c.ticket_id + 0 < bindparam("stop"))
        .add_columns(rank)
        # Each match ranked where it is read (OFFSET fences the subquery): a generic plan
        # otherwise put ranking off until after the sort for the newest, and carried every
        # match's whole document through that sort (4.8 against 2.9 ms for 900 matches
        # at 100k). The fenced subquery is planned for all its rows, so the newest are
        # found by sorting the matches the GIN index found, not by walking the primary
        # key backwards and testing `@@` on each ticket (a hundred per match of a 1% word).
        .offset(0)
        .subquery()
    )
    window = (
        select(ranked)
        .order_by(ranked.c.id.desc())
        .limit(bindparam("newest"))
        .cte("newest_matches")  # not "window", a word SQL reserves
    )
    found = select(func.count().label("found")).select_from(window).subquery()
    key = (window.c.relevance, window.c.id)
    best = order_by_rank(select(*key), key, "desc", after=after)
    # Only the count and the page travel: a thousand ranks cost more to send than to find.
    return select(found.c.found, best.c.id, best.c.relevance).outerjoin_from(found, best, true())


# The lexemes of the bound words, as the documents hold them.
_WORD_STEMS = func.tsvector_to_array(func.to_tsvector(_LANGUAGE, bindparam("words")))
# What the windows need: the newest id indexed, and the stems of the bound words.
_NEWEST_INDEXED = select(func.max(SEARCH.c.ticket_id), _WORD_STEMS)


def _block_words(stems: list[str], blocks: range) -> str:
    """A tsquery (as text) of documents in `blocks` holding every one of `stems`.

    A document holds the query's words if it matches; so this only narrows `@@` to the
    blocks, whatever the query's weights.
    """
    quoted = [stem.replace("\\", "\\\\").replace("'", "''") for stem in stems]
    return " & ".join(
        "(" + " | ".join(f"'{stem}#{block}'" for block in blocks) + ")" for stem in quoted
    )


# The query's words as PostgreSQL's lexemes, in order and between bars ("" for a stop
# word; a word is letters and digits): as text, since every row carries it, and 25
# arrays cost the app a tenth of a millisecond to read.
_TERM = (
    func.unnest(bindparam("terms", type_=ARRAY(Text)))
    .table_valued("term", with_ordinality="n")
    .render_derived()
)
_LEXEMES = select(
    func.array_to_string(func.tsvector_to_array(func.to_tsvector(_LANGUAGE, _TERM.c.term)), " ")
).order_by(_TERM.c.n)
# Texts longer than this reach the headlines as a stretch of this many characters, from a
# little before the first place a query word's stem appears in them: a conversation may
# hold 100,000 indexed characters, and a page of 25 such would be megabytes to send.
# Written into the statement rather than bound: each bound value costs the app its
# conversion on every search.
_TEXT_CHARS, _TEXT_LEAD = literal_column("20000"), literal_column("1000")
_ZERO, _ONE = literal_column("0"), literal_column("1")
# The bound words' stems, worked out once a statement (an uncorrelated subquery): inside
# each text's stretch, a generic plan costed them once a row, so PostgreSQL planned the
# statement afresh for every search (0.95-1.0 against 0.68-0.69 ms a search at 10k).
_STEMS = select(_WORD_STEMS).scalar_subquery()


def _stretch_of(text):
    """The text, or its stretch around its first mention of a query word's stem (in the
    text with its accents folded, as the stems are, if not as it is), or its start."""
    stem = func.unnest(_STEMS).column_valued("stem")
    lower = func.lower(text)
    # Folding a long text's accents costs half again what finding a word in it does, so
    # only where the word is not found as it is.
    at = func.coalesce(
        func.nullif(func.strpos(lower, stem), _ZERO),
        func.nullif(func.strpos(func.unaccent(lower), stem), _ZERO),
    )
    first = select(func.min(at)).scalar_subquery()
    start = func.greatest(func.coalesce(first, _ONE) - _TEXT_LEAD, _ONE)
    # Bytes, not characters: known without reading the text, and never fewer.
    return case(
        (func.octet_length(text) <= _TEXT_CHARS, text),
        else_=func.substr(text, start, _TEXT_CHARS),
    )


def _texts(*columns) -> Select:
    """What a page's snippets are made from (see `headlines`): these texts of each ticket,
    and the query's lexemes."""
    return select(
        SEARCH.c.ticket_id,
        *(_stretch_of(column).label(column.name) for column in columns),
        func.array_to_string(func.array(_LEXEMES.scalar_subquery()), "|").label("lexemes"),
    ).where(SEARCH.c.ticket_id.in_(bindparam("ids", expanding=True)))


# A customer's snippets never see the notes; the staff's come from them where the public
# text does not hold the words.
_TEXTS = _texts(SEARCH.c.body)
_STAFF_TEXTS = _texts(SEARCH.c.body, SEARCH.c.internal)
