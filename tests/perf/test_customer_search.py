"""A search of one requester's tickets reads their matches, not every ticket's (SQLite).

The FTS5 query of a customer also asks for their requester token (models/search.py), so
FTS5 intersects the two. Joined to the tickets instead, a word in most tickets was read
whole in each statement: 61-80 ms at 100k tickets for a customer with 52 of them.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from tests.perf.seeding import seed
from ticketdesk.extensions import db
from ticketdesk.models import Role, User
from ticketdesk.seed import BENCH_CUSTOMER_EMAIL
from ticketdesk.services import ticket_manager
from ticketdesk.services.tickets import TicketFilter

COMMON_WORD = "network"  # one of the seed's words: in most of its tickets


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_customers_search_costs_less_than_reading_the_words_matches_once(app):
    seed(app, 3000)
    with app.app_context():
        customer = db.session.scalar(select(User).where(User.email == BENCH_CUSTOMER_EMAIL))
        everyone_matching = (
            f"SELECT count(*) FROM ticket_search WHERE ticket_search MATCH '\"{COMMON_WORD}\"'"
        )
        matches, reading_them = _steps(lambda: db.session.scalar(text(everyone_matching)))
        page, searching = _steps(
            lambda: ticket_manager().get_tickets(customer, TicketFilter(text=COMMON_WORD))
        )
        staff = db.session.scalar(select(User).where(User.role == Role.STAFF))
        theirs = TicketFilter(text=COMMON_WORD, requester_id=customer.id)
        staff_page, staff_searching = _steps(lambda: ticket_manager().get_tickets(staff, theirs))
    assert matches > 1000  # the word really is common
    assert page.items and {item.requester_id for item in page.items} == {customer.id}
    assert searching < reading_them
    # Staff asking for one requester's tickets are served the same way.
    assert {item.requester_id for item in staff_page.items} == {customer.id}
    assert staff_searching < reading_them


def _steps(run):
    """What `run` returns, and how many steps of SQLite's virtual machine it took."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    driver = db.session.connection().connection.driver_connection
    driver.set_progress_handler(count, 1)
    try:
        return run(), steps
    finally:
        driver.set_progress_handler(None, 0)
