"""Full-text search over tickets: SQLite FTS5 or PostgreSQL tsvector, chosen by the database.

The index (see `ticketdesk.models.search`) holds one entry per ticket: its
title, its public text (description and replies) and its internal notes. The
ticket services call `index_ticket` inside their own write transaction, so the
index never disagrees with what was committed.

User text never reaches either engine's query syntax: it is cut into words
(letters and digits) and each word is passed as a quoted term, so `"`, `*`,
`:`, `-`, `(` or `NEAR` are plain text. Customers' queries look only at the
title and public text; internal notes match for staff alone.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import (
    Double,
    Integer,
    Select,
    cast,
    column,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY
from sqlalchemy.orm import Session

from ticketdesk.models import Ticket
from ticketdesk.models import search as _search_schema  # noqa: F401  (registers the DDL)
from ticketdesk.services.errors import ValidationFailed
from ticketdesk.services.listing import TicketSummary, summaries, with_people
from ticketdesk.services.pagination import Page, TicketSort, order_tickets, ticket_cursor

MAX_TERMS = 12
MAX_RANKED = 1000
# Ticket ids per block lexeme in the PostgreSQL document (see `_Postgres`).
ID_BLOCK = 10_000
# Reading a match (its row, its rank) costs about what reading 30 ids of block lexemes
# does (measured at a million tickets): blocks pay only for words common enough.
_MATCH_COST_IN_IDS = 30
MARK_START, MARK_END = "\ue000", "\ue001"
_WORD = re.compile(r"[^\W_]+")
_LANGUAGE = literal_column("'english'::regconfig")
_HEADLINE_OPTIONS = (
    f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=24, MinWords=8, "
    'MaxFragments=2, FragmentDelimiter=" … "'
)
_search = table(
    "ticket_search",
    *(column(name) for name in ("rowid", "ticket_id", "body", "internal", "document")),
)


@dataclass(frozen=True)
class SearchPage(Page[TicketSummary]):
    """A page of search results, with a highlighted snippet (HTML) per ticket id."""

    snippets: Mapping[int, str] = field(default_factory=dict)


def search_terms(text_query: str) -> list[str]:
    """The words of a query, lower-cased, as both engines will tokenise them."""
    return [word.lower() for word in _WORD.findall(text_query)][:MAX_TERMS]


def index_ticket(session: Session, ticket_id: int) -> None:
    """Rebuild the index entry of one ticket from its rows (call inside the write)."""
    session.flush()
    connection = session.connection()
    params = {"ticket_id": ticket_id}
    if connection.dialect.name == "sqlite":
        connection.execute(_SQLITE_UNINDEX_ONE, params)
        connection.execute(_SQLITE_INDEX_ONE, params)
    else:
        connection.execute(_POSTGRESQL_INDEX_ONE, params | _block_size())


def index_new_ticket(session: Session, ticket_id: int, title: str, description: str) -> None:
    """The index entry of a ticket just opened: from its text, with no comments to read."""
    params = {"ticket_id": ticket_id, "title": title, "body": description}
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.execute(_SQLITE_NEW, params)
    else:
        connection.execute(_POSTGRESQL_NEW, params | _block_size())


def _block_size() -> dict[str, int]:
    """The id block size as a bound value, read when used (tests shrink it)."""
    return {"id_block": ID_BLOCK}


def index_all(connection) -> None:
    """Index every ticket from scratch (bulk seeding, or a rebuilt index)."""
    if connection.dialect.name == "sqlite":
        connection.execute(text("DELETE FROM ticket_search"))
        connection.execute(text(SQLITE_INDEX_SQL))
    else:
        # Building the GIN index once is many times faster than growing it row by row.
        connection.execute(text("DROP INDEX IF EXISTS ix_ticket_search_document"))
        connection.execute(text("DELETE FROM ticket_search"))
        connection.execute(text(POSTGRESQL_INDEX_SQL.format(where="")), _block_size())
        connection.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        connection.execute(text(POSTGRESQL_GIN_SQL))


def search_page(
    session: Session,
    query: Select,
    text_query: str,
    *,
    staff: bool,
    sort: TicketSort | None,
    limit: int,
    cursor: str | None,
) -> SearchPage:
    """One page of `query` (tickets already filtered) narrowed to those matching `text_query`.

    Without `sort` the best of the newest MAX_RANKED matches come first; with it, every
    match in that order.
    """
    terms = search_terms(text_query)
    if not terms:
        return SearchPage([], None)
    engine = _Sqlite(terms, staff) if session.get_bind().dialect.name == "sqlite" else None
    engine = engine or _Postgres(terms, staff)
    if sort is None:
        ranked = engine.ranked(session, query, cursor, limit + 1)
        relevance = ranked.c.relevance
        best = relevance.asc() if engine.best_first == "asc" else relevance.desc()
        query = with_people(query).join(ranked, ranked.c.id == Ticket.id).add_columns(relevance)
        query = query.order_by(best, Ticket.id.desc())
    else:
        query = order_tickets(with_people(engine.narrow(query)), sort, cursor)
    rows = session.execute(query.limit(limit + 1)).all()
    more = len(rows) > limit
    items = summaries(rows[:limit])
    next_cursor = None
    if more:
        last, last_relevance = items[-1], rows[limit - 1][-1]
        next_cursor = ticket_cursor(last, sort) if sort else _rank_cursor(last_relevance, last.id)
    # Snippets for this page only: made for every match, they would cost more than the search.
    found = session.execute(engine.snippets([ticket.id for ticket in items])) if items else []
    snippets = {ticket_id: render_snippet(raw) for ticket_id, raw in found if raw}
    return SearchPage(items, next_cursor, snippets)


def render_snippet(raw: str) -> str:
    """Escape the stored text for HTML and turn the engine's markers into <mark> tags."""
    escaped = html.escape(" ".join(raw.split()), quote=True)
    return escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")


class _Sqlite:
    """FTS5: a MATCH on the virtual table, bm25 for rank (lower is better)."""

    best_first = "asc"
    _fts = literal_column("ticket_search")

    def __init__(self, terms: list[str], staff: bool) -> None:
        phrase = " ".join('"' + term.replace('"', '""') + '"' for term in terms)
        self.match = phrase if staff else "{title body} : (" + phrase + ")"

    def narrow(self, query: Select) -> Select:
        return query.join(_search, _search.c.rowid == Ticket.id).where(
            self._fts.op("MATCH")(self.match)
        )

    def ranked(self, session: Session, query: Select, cursor: str | None, limit: int):
        """(id, relevance) of the best `limit` of the newest MAX_RANKED matches of `query`."""
        matches = _matches(query, self.narrow, _search.c.rowid, self._fts.op("MATCH")(self.match))
        # FTS5 walks a doclist newest first natively, so the floor of the window costs
        # MAX_RANKED steps; then the rowid range goes to FTS5 itself and bm25, which
        # reads each row's column sizes, runs for the window only.
        newest = matches.order_by(_search.c.rowid.desc()).offset(MAX_RANKED - 1).limit(1)
        floor = session.scalar(newest)
        if floor is not None:
            matches = matches.where(_search.c.rowid >= floor)
        # A word in the title counts four times one in the body or notes.
        rank = func.bm25(self._fts, 4.0, 1.0, 1.0)
        ranked = matches.with_only_columns(_search.c.rowid.label("id"), rank.label("relevance"))
        return _order_by_rank(ranked, (rank, _search.c.rowid), self.best_first, cursor, limit)

    def snippets(self, ticket_ids: list[int]) -> Select:
        snippet = func.snippet(self._fts, -1, MARK_START, MARK_END, "…", 16)
        # One rowid range: FTS5 seeks its doclist once, not once per id (about 0.2 ms
        # each); `rowid + 0` keeps the IN list from being offered to FTS5 instead.
        return (
            select(_search.c.rowid, snippet)
            .where(self._fts.op("MATCH")(self.match))
            .where(_search.c.rowid.between(min(ticket_ids), max(ticket_ids)))
            .where((_search.c.rowid + 0).in_(ticket_ids))
        )


class _Postgres:
    """tsvector + GIN: `@@` on the weighted document, ts_rank for rank (higher is better).

    Each document also holds the lexeme of its id block (`#<id // ID_BLOCK>`, which
    no query word can spell). A GIN index yields its matches in no useful order, so
    to rank the newest matches of a common word without reading every one of them,
    the search reads the newest blocks first and widens until it has enough.
    """

    best_first = "desc"

    def __init__(self, terms: list[str], staff: bool) -> None:
        # Terms are letters and digits only, so they cannot form tsquery operators;
        # `:AB` keeps a customer's query to the title and public text.
        weights = "" if staff else ":AB"
        self.tsquery = func.to_tsquery(_LANGUAGE, " & ".join(term + weights for term in terms))
        self.staff = staff

    def narrow(self, query: Select) -> Select:
        return query.join(_search, _search.c.ticket_id == Ticket.id).where(self._found())

    def ranked(self, session: Session, query: Select, cursor: str | None, limit: int):
        """(id, relevance) of the best `limit` of the newest MAX_RANKED matches of `query`."""
        matches = self._newest_matches(session, query)
        if cursor:
            after_rank, after_id = _decode_rank_cursor(cursor)
            matches = [
                (ticket_id, rank)
                for ticket_id, rank in matches
                if rank < after_rank or (rank == after_rank and ticket_id < after_id)
            ]
        best = sorted(matches, key=lambda match: (-match[1], -match[0]))[:limit]
        # As two bound arrays, the statement is the same whatever the page holds.
        return (
            func.unnest(
                literal([ticket_id for ticket_id, _ in best], ARRAY(Integer)),
                literal([rank for _, rank in best], ARRAY(Double)),
            )
            .table_valued(column("id", Integer), column("relevance", Double))
            .render_derived()
        )

    def _newest_matches(self, session: Session, query: Select) -> list[tuple[int, float]]:
        """(id, relevance) of the newest MAX_RANKED matches, read a few id blocks at a time.

        The newest one or two blocks are read first; from how many matches they hold,
        the next read takes as many blocks as should hold the rest, or, for a word
        too rare for blocks to pay, everything older at once.
        """
        newest_id = session.scalar(_NEWEST_INDEXED)
        if newest_id is None:
            return []
        top = newest_id // ID_BLOCK
        lower = max(top - 1, 0)
        found = self._window(session, query, range(lower, top + 1), MAX_RANKED)
        while lower > 0 and len(found) < MAX_RANKED:
            density = len(found) / (newest_id + 1 - lower * ID_BLOCK)
            needed = MAX_RANKED - len(found)
            older = lower * ID_BLOCK
            if density == 0 or needed / density > _MATCH_COST_IN_IDS * density * older:
                start = 0
            else:
                start = max(lower - math.ceil(1.25 * needed / density / ID_BLOCK), 0)
            found += self._window(session, query, range(start, lower), needed)
            lower = start
        return found

    def _window(self, session: Session, query: Select, blocks: range, limit: int) -> list:
        """(id, relevance) of the newest `limit` matches in the id blocks."""
        # From the first block on, every id below the window's top: no lexemes needed.
        lexemes = blocks if blocks.start > 0 else None
        matches = _matches(query, self.narrow, _search.c.ticket_id, self._found(lexemes))
        # As double precision: a real would not survive the cursor's round trip exactly.
        rank = cast(func.ts_rank(_search.c.document, self.tsquery), Double).label("relevance")
        newest = (
            matches.where(_search.c.ticket_id < blocks.stop * ID_BLOCK)
            .add_columns(rank)
            .order_by(_NEWEST_MATCH)
            .limit(limit)
            .subquery()
        )
        # As two arrays in one row: a thousand rows cost more to fetch than to find.
        ids, ranks = session.execute(
            select(func.array_agg(newest.c.id), func.array_agg(newest.c.relevance))
        ).one()
        return list(zip(ids or (), ranks or (), strict=True))

    def snippets(self, ticket_ids: list[int]) -> Select:
        document = Ticket.title + "\n" + _search.c.body
        if self.staff:
            document = document + "\n" + _search.c.internal
        headline = func.ts_headline(_LANGUAGE, document, self.tsquery, _HEADLINE_OPTIONS)
        return (
            select(_search.c.ticket_id, headline)
            .join(Ticket, Ticket.id == _search.c.ticket_id)
            .where(_search.c.ticket_id.in_(ticket_ids))
        )

    def _found(self, blocks: range | None = None):
        tsquery = self.tsquery
        if blocks is not None:
            lexemes = " | ".join(f"'#{block}'" for block in blocks)
            tsquery = tsquery.op("&&")(cast(literal(lexemes), TSQUERY))
        return _search.c.document.op("@@")(tsquery)


# Ordered by `ticket_id + 0`, not by the key itself: given the key's order, PostgreSQL
# walks the primary key backwards and tests `@@` on each ticket (a hundred tickets per
# match of a 1% word); this way the GIN index finds the matches and a top-N sort keeps
# the newest.
_NEWEST_MATCH = (_search.c.ticket_id + 0).desc()
_NEWEST_INDEXED = select(func.max(_search.c.ticket_id))


def _matches(query: Select, narrow, search_id, found) -> Select:
    """The ids of the matches of `query` (labelled `id`), from the index alone if it can."""
    if query.whereclause is None:
        # No ticket filter (staff): the index answers without a join to every match.
        return select(search_id.label("id")).select_from(_search).where(found)
    return narrow(query).with_only_columns(search_id.label("id"))


def _order_by_rank(query: Select, key, best_first: str, cursor: str | None, limit: int):
    """Best matches first, newest first among equals, after `cursor`: a subquery of `limit`."""
    rank, ticket_id = key
    if cursor:
        after_rank, after_id = _decode_rank_cursor(cursor)
        worse = rank > after_rank if best_first == "asc" else rank < after_rank
        query = query.where(or_(worse, (rank == after_rank) & (ticket_id < after_id)))
    ordered = rank.asc() if best_first == "asc" else rank.desc()
    return query.order_by(ordered, ticket_id.desc()).limit(limit).subquery()


def _rank_cursor(rank: float, ticket_id: int) -> str:
    raw = json.dumps(["relevance", rank, ticket_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_rank_cursor(cursor: str) -> tuple[float, int]:
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
    return float(rank), ticket_id


POSTGRESQL_GIN_SQL = (
    "CREATE INDEX IF NOT EXISTS ix_ticket_search_document ON ticket_search USING gin (document)"
)

# One index entry from the rows: title, description plus public replies, internal notes.
SQLITE_INDEX_SQL = """
INSERT INTO ticket_search (rowid, title, body, internal)
SELECT t.id, t.title,
  t.description || coalesce((SELECT char(10) || group_concat(c.body, char(10)) FROM comments c
                             WHERE c.ticket_id = t.id AND c.internal = 0), ''),
  coalesce((SELECT group_concat(c.body, char(10)) FROM comments c
            WHERE c.ticket_id = t.id AND c.internal = 1), '')
FROM tickets t"""

SQLITE_NEW_SQL = """
INSERT INTO ticket_search (rowid, title, body, internal) VALUES (:ticket_id, :title, :body, '')"""

POSTGRESQL_NEW_SQL = """
INSERT INTO ticket_search (ticket_id, body, internal, document)
VALUES (:ticket_id, :body, '',
  setweight(to_tsvector('english', :title), 'A')
  || setweight(to_tsvector('english', :body), 'B')
  || array_to_tsvector(ARRAY['#' || (:ticket_id / :id_block)]))"""

POSTGRESQL_INDEX_SQL = """
INSERT INTO ticket_search (ticket_id, body, internal, document)
SELECT s.id, s.body, s.internal,
  setweight(to_tsvector('english', s.title), 'A')
  || setweight(to_tsvector('english', s.body), 'B')
  || setweight(to_tsvector('english', s.internal), 'D')
  || array_to_tsvector(ARRAY['#' || (s.id / :id_block)])
FROM (
  SELECT t.id, t.title,
    t.description || coalesce((SELECT E'\\n' || string_agg(c.body, E'\\n' ORDER BY c.id)
                               FROM comments c WHERE c.ticket_id = t.id AND NOT c.internal), '')
      AS body,
    coalesce((SELECT string_agg(c.body, E'\\n' ORDER BY c.id)
              FROM comments c WHERE c.ticket_id = t.id AND c.internal), '') AS internal
  FROM tickets t {where}
) s
ON CONFLICT (ticket_id) DO UPDATE
  SET body = excluded.body, internal = excluded.internal, document = excluded.document"""

# The statements of every write, made once: a text() clause parses its SQL for bind names
# each time it is built.
_SQLITE_UNINDEX_ONE = text("DELETE FROM ticket_search WHERE rowid = :ticket_id")
_SQLITE_INDEX_ONE = text(SQLITE_INDEX_SQL + " WHERE t.id = :ticket_id")
_SQLITE_NEW = text(SQLITE_NEW_SQL)
_POSTGRESQL_INDEX_ONE = text(POSTGRESQL_INDEX_SQL.format(where="WHERE t.id = :ticket_id"))
_POSTGRESQL_NEW = text(POSTGRESQL_NEW_SQL)
