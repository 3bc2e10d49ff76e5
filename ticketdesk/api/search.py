"""How search results go out: each listed ticket, with its highlighted snippet when searched."""

from __future__ import annotations

from ticketdesk.api.schemas import TicketListOut
from ticketdesk.services.pagination import Page
from ticketdesk.services.search import SearchPage


def search_items(page: Page) -> list:
    """The page's tickets, each with the snippet its search found (if any)."""
    if not isinstance(page, SearchPage):
        return page.items
    return [
        TicketListOut.model_validate(ticket).model_copy(
            update={"snippet": page.snippets.get(ticket.id)}
        )
        for ticket in page.items
    ]
