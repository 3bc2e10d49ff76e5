"""A search with filters finds exactly the filtered tickets, whatever changed them since.

On SQLite the filters are asked of the full-text index itself (each ticket's facets,
kept in step by a trigger: see models/search.py); these hold on every backend.
"""

from __future__ import annotations

import pytest

from tests.search.test_search import every_page, ids
from ticketdesk.services import search_sqlite, ticket_manager
from ticketdesk.services.listing import TicketFilter


@pytest.fixture
def other_queue(as_admin):
    return as_admin.post("/api/v1/queues", json={"name": "Hardware"}).json["id"]


CHANGES = {
    "status": ({"status": "in_progress"}, "status=open", "status=in_progress"),
    "priority": ({"priority": "urgent"}, "priority=normal", "priority=urgent"),
    "assignee": ({"assignee_id": "{staff}"}, "assignee_id=none", "assignee_id={staff}"),
    "queue": ({"queue_id": "{queue}"}, "queue_id={general}", "queue_id={queue}"),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_filtered_search_follows_each_change_of_the_ticket(
    as_staff, factory, customer, staff, other_queue, change
):
    ticket = factory.ticket(customer, title="Scanner jams")
    factory.ticket(customer, title="Scanner jams too")  # left as it was
    general = {queue["slug"]: queue["id"] for queue in as_staff.get("/api/v1/queues").json}
    names = {"staff": staff.id, "queue": other_queue, "general": general["general"]}
    patch, before, after = CHANGES[change]
    patch = {
        key: int(value.format(**names)) if "{" in value else value for key, value in patch.items()
    }
    before, after = before.format(**names), after.format(**names)
    assert ticket.id in ids(as_staff.get(f"/api/v1/tickets?q=scanner&{before}"))

    changed = as_staff.patch(f"/api/v1/tickets/{ticket.id}", json=patch)

    assert changed.status_code == 200, changed.json
    assert ticket.id not in ids(as_staff.get(f"/api/v1/tickets?q=scanner&{before}"))
    assert ids(as_staff.get(f"/api/v1/tickets?q=scanner&{after}")) == [ticket.id]
    assert ids(as_staff.get(f"/api/v1/tickets?q=scanner&{after}&sort=-updated_at")) == [ticket.id]


def test_a_search_of_tickets_involving_someone_finds_theirs_either_way(
    app, as_staff, factory, customer, other_customer, staff
):
    theirs = factory.ticket(customer, title="Laptop hinge")
    assigned = factory.ticket(other_customer, title="Laptop hinge cracked")
    factory.ticket(other_customer, title="Laptop hinge loose")
    as_staff.patch(f"/api/v1/tickets/{assigned.id}", json={"assignee_id": staff.id})

    def involving(person):
        with app.app_context():
            found = TicketFilter(text="laptop", involving_user_id=person.id)
            page = ticket_manager().get_tickets(factory.load(staff), found)
            return [item.id for item in page.items]

    assert involving(staff) == [assigned.id]
    assert involving(customer) == [theirs.id]


@pytest.mark.parametrize("words_to_rank", [1, 10**6])
def test_filtered_ranked_pages_are_the_same_however_the_window_is_ranked(
    monkeypatch, app, as_staff, factory, customer, staff, words_to_rank
):
    """A filtered window is ranked with the filters (a word in many tickets past the
    window), or the words alone over its range keeping its tickets (few): the same
    tickets in the same order, page after page."""
    monkeypatch.setattr("ticketdesk.services.search_sql.MAX_RANKED", 4)
    monkeypatch.setattr(search_sqlite, "WORDS_TO_RANK", words_to_rank)
    made = []
    for n in range(10):
        title = "Modem " + "modem " * (n % 3)
        made.append(factory.ticket(customer, title=title, description=f"Modem case {n}").id)
        if n % 2:
            as_staff.patch(f"/api/v1/tickets/{made[-1]}", json={"status": "waiting"})
    open_ones = [ticket_id for n, ticket_id in enumerate(made) if not n % 2]

    seen = every_page(as_staff, q="modem", status="open", limit=2)

    # The four newest open ones, the most mentions first, the newest first among equals.
    window = open_ones[-4:]
    mentions = {ticket_id: made.index(ticket_id) % 3 for ticket_id in window}
    assert seen == sorted(window, key=lambda ticket_id: (-mentions[ticket_id], -ticket_id))
