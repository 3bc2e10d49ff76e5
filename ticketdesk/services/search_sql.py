"""What both search engines build on: the index's table, the ranked order, the page.

`search` chooses the engine by the database; `search_sqlite` and `search_postgres`
hold each one's statements.
"""

from __future__ import annotations

import functools
import re

from sqlalchemy import Double, Select, bindparam, column, or_, select, table

from ticketdesk.models import Ticket
from ticketdesk.services.listing import page_with_people, with_people
from ticketdesk.services.pagination import TicketSort, keyset_order

MAX_RANKED = 1000
MARK_START, MARK_END = "\ue000", "\ue001"
# A word, as the search cuts queries and the headlines texts: letters and digits (as FTS5
# cuts text), so the parts of an address or a file name are words.
WORD = re.compile(r"[^\W_]+")
SEARCH = table(
    "ticket_search",
    *(column(name) for name in ("rowid", "ticket_id", "body", "internal", "document")),
)
# The table, not the entity: a Core select skips the ORM's compile and loading steps.
TICKETS = Ticket.__table__


@functools.lru_cache(maxsize=256)
def sorted_page(query: Select, narrow, sort: TicketSort, after: bool, planned: bool) -> Select:
    """The page of `query`'s matches in `sort` order, after the bound cursor values or not;
    `planned` (PostgreSQL) takes the page before joining its people, as lists do (see
    `listing.page_with_people`)."""
    if planned:
        return page_with_people(narrow(query), sort, after=after)
    return keyset_order(with_people(narrow(query)), sort, after=after).limit(bindparam("limit"))


def matching_ids(query: Select, joined_on, search_id, found) -> Select:
    """The ids of `query`'s tickets for which `found` holds (labelled `id`), from the index
    alone if it can.

    `found` is the window's own condition. A filtered search whose windows looked for the
    query's words alone, not their id blocks, read every older match again in each
    window and listed it twice (PostgreSQL at a million tickets, active urgent tickets
    with a 1% word: 0.2-0.3 s).
    """
    if query.whereclause is None:
        # No ticket filter (staff): the index answers without a join to every match.
        return select(search_id.label("id")).select_from(SEARCH).where(found)
    return query.join(SEARCH, joined_on).where(found).with_only_columns(search_id.label("id"))


def order_by_rank(query: Select, key, best_first: str, *, after: bool):
    """Best matches first, newest first among equals, after the bound cursor or not:
    a subquery of the bound `limit`."""
    rank, ticket_id = key
    if after:
        after_rank = bindparam("after_rank", type_=Double)
        worse = rank > after_rank if best_first == "asc" else rank < after_rank
        query = query.where(or_(worse, (rank == after_rank) & (ticket_id < bindparam("after_id"))))
    ordered = rank.asc() if best_first == "asc" else rank.desc()
    return query.order_by(ordered, ticket_id.desc()).limit(bindparam("limit")).subquery()
