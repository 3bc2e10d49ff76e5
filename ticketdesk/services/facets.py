"""A list's filters as an FTS5 query of the tickets' facet tokens (SQLite).

Each ticket's entry in the full-text index holds a token for its requester, assignee,
status, priority and queue (see `ticketdesk.models.search`). Asked for the tokens of
several filters, FTS5 merges those tokens' lists of tickets, so it finds the few
tickets that pass them all without reading a table row for each ticket any one of
them matches.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Select, bindparam, column, literal_column, select, table

from ticketdesk.models import Priority, TicketStatus
from ticketdesk.models.search import facet_token

# The facet tokens a ticket passing each filter holds one of, by the filter's name as
# `listing.filter_values` binds it.
_TOKENS = {
    "status": lambda status: [facet_token("s", TicketStatus(status).value)],
    "statuses": lambda statuses: [facet_token("s", TicketStatus(each).value) for each in statuses],
    "priority": lambda priority: [facet_token("p", Priority(priority).rank)],
    "queue_id": lambda queue_id: [facet_token("q", queue_id)],
    "unassigned": lambda _: [facet_token("a", 0)],
    "assignee_id": lambda user_id: [facet_token("a", user_id)],
    "requester_id": lambda user_id: [facet_token("u", user_id)],
    "involving_user_id": lambda user_id: [facet_token("u", user_id), facet_token("a", user_id)],
}


def facets_query(filters: Mapping[str, object], customer_id: int | None = None) -> str:
    """An FTS5 query (as text) of the tickets that pass `filters` (by name, as
    `listing.filter_values` binds them) and, for a customer, are theirs; "" for none."""
    tokens = [_TOKENS[name](value) for name, value in filters.items()]
    if customer_id is not None:
        tokens.append([facet_token("u", customer_id)])
    return " AND ".join(
        "facets : (" + " OR ".join(f'"{token}"' for token in each) + ")" for each in tokens
    )


_INDEX = table("ticket_search", column("rowid"))


def tickets_matching(bound: str) -> Select:
    """The ids of the tickets whose entries match the FTS5 query bound as `bound`."""
    found = literal_column("ticket_search").op("MATCH")(bindparam(bound))
    return select(_INDEX.c.rowid).where(found)
