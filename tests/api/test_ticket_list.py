"""The ticket list: visibility, filters, sorts and keyset pagination."""

from __future__ import annotations

import pytest

from ticketdesk.api.schemas import TicketPage

TICKETS = "/api/v1/tickets"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json
    return [ticket["id"] for ticket in response.json["items"]]


@pytest.fixture
def board(factory, customer, other_customer, staff, as_staff):
    """A few tickets in different states, owners and assignees."""
    made = {
        "open": factory.ticket(customer, title="open one"),
        "urgent": factory.ticket(customer, title="urgent one", priority="urgent"),
        "other": factory.ticket(other_customer, title="other's"),
        "waiting": factory.ticket(other_customer, title="waiting one", priority="low"),
    }
    as_staff.patch(f"{TICKETS}/{made['urgent'].id}", json={"assignee_id": staff.id})
    as_staff.patch(f"{TICKETS}/{made['waiting'].id}", json={"status": "waiting"})
    return {name: ref.id for name, ref in made.items()}


def test_customer_lists_only_own_tickets_newest_first(as_customer, board):
    assert ids(as_customer.get(TICKETS)) == [board["urgent"], board["open"]]


def test_customer_cannot_widen_the_list_by_filter(as_customer, other_customer, board):
    assert ids(as_customer.get(f"{TICKETS}?requester_id={other_customer.id}")) == []


def test_staff_lists_everything(as_staff, board):
    assert ids(as_staff.get(TICKETS)) == [
        board["waiting"],
        board["other"],
        board["urgent"],
        board["open"],
    ]


def test_filters_by_repeated_status(as_staff, board):
    response = as_staff.get(f"{TICKETS}?status=waiting&status=in_progress")
    assert ids(response) == [board["waiting"]]
    assert set(ids(as_staff.get(f"{TICKETS}?status=open"))) == {
        board["open"],
        board["urgent"],
        board["other"],
    }


def test_filters_by_assignee_and_unassigned(as_staff, staff, board):
    assert ids(as_staff.get(f"{TICKETS}?assignee_id={staff.id}")) == [board["urgent"]]
    assert board["urgent"] not in ids(as_staff.get(f"{TICKETS}?assignee_id=none"))
    assert len(ids(as_staff.get(f"{TICKETS}?assignee_id=none"))) == 3


def test_filters_by_priority_requester_and_queue(as_staff, customer, board):
    assert ids(as_staff.get(f"{TICKETS}?priority=urgent")) == [board["urgent"]]
    assert set(ids(as_staff.get(f"{TICKETS}?requester_id={customer.id}"))) == {
        board["open"],
        board["urgent"],
    }
    queue_id = as_staff.get("/api/v1/queues").json[0]["id"]
    assert len(ids(as_staff.get(f"{TICKETS}?queue_id={queue_id}"))) == 4
    assert ids(as_staff.get(f"{TICKETS}?queue_id=999")) == []


def test_filters_combine(as_staff, staff, board):
    query = f"status=open&assignee_id={staff.id}&priority=urgent"
    assert ids(as_staff.get(f"{TICKETS}?{query}")) == [board["urgent"]]


def test_sorts(as_staff, board):
    assert ids(as_staff.get(f"{TICKETS}?sort=created_at")) == [
        board["open"],
        board["urgent"],
        board["other"],
        board["waiting"],
    ]
    by_priority = ids(as_staff.get(f"{TICKETS}?sort=-priority"))
    assert by_priority[0] == board["urgent"] and by_priority[-1] == board["waiting"]
    assert ids(as_staff.get(f"{TICKETS}?sort=-updated_at"))[0] == board["waiting"]


@pytest.mark.parametrize(
    "query",
    [
        "status=done",
        "priority=0",
        "assignee_id=me",
        "assignee_id=-1",
        "queue_id=abc",
        "sort=title",
        "sort=-created_at;DROP TABLE tickets",
        "limit=0",
        "limit=101",
        "limit=ten",
        "cursor=not-a-cursor",
        "cursor=W10",
        "priority=low&priority=high",
        "unknown=1",
    ],
)
def test_bad_list_queries_are_rejected(as_staff, query):
    response = as_staff.get(f"{TICKETS}?{query}")
    assert response.status_code == 422
    assert response.json["errors"]


def test_cursor_from_another_sort_is_rejected(as_staff, factory, customer):
    for _ in range(3):
        factory.ticket(customer)
    cursor = as_staff.get(f"{TICKETS}?limit=1").json["next_cursor"]
    assert as_staff.get(f"{TICKETS}?limit=1&sort=-priority&cursor={cursor}").status_code == 422


def test_bad_cursor_is_named_as_a_query_field(as_staff):
    response = as_staff.get(f"{TICKETS}?cursor=garbage")

    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "cursor"
    assert response.json["errors"][0]["location"] == "query"


@pytest.mark.parametrize("sort", ["-created_at", "created_at", "-updated_at", "-priority"])
def test_pages_cover_every_ticket_once_despite_inserts(as_staff, factory, customer, sort):
    priorities = ["low", "normal", "high", "urgent"]
    for index in range(7):
        factory.ticket(customer, title=f"t{index}", priority=priorities[index % 4])
    seen: list[int] = []
    cursor = None
    for _ in range(10):
        query = f"{TICKETS}?limit=3&sort={sort}" + (f"&cursor={cursor}" if cursor else "")
        page = as_staff.get(query).json
        seen += [ticket["id"] for ticket in page["items"]]
        # Someone opens a ticket between page requests.
        factory.ticket(customer, title="arrived meanwhile", priority="urgent")
        cursor = page["next_cursor"]
        if cursor is None:
            break
    else:
        pytest.fail("pagination never ended")
    original = set(range(1, 8))
    assert len(seen) == len(set(seen)), "a ticket was listed twice"
    assert original <= set(seen), "a ticket was skipped"
    if sort in ("-created_at", "-priority", "-updated_at"):
        # Newer (and more urgent) arrivals sort before the cursor: they never leak into later pages.
        assert set(seen) == original


def test_exact_page_has_no_next_cursor(as_staff, factory, customer):
    for _ in range(2):
        factory.ticket(customer)
    page = as_staff.get(f"{TICKETS}?limit=2").json
    assert len(page["items"]) == 2
    assert page["next_cursor"] is None


@pytest.mark.parametrize("query", ["limit=2", "q=urgent", "status=waiting"])
def test_a_page_has_exactly_the_fields_its_schema_documents(as_staff, staff, board, query):
    """Pages are encoded from the summaries, not through `TicketPage`: the two must not
    drift. A field the schema lacks would be dropped here, one it has added."""
    body = as_staff.get(f"{TICKETS}?{query}").json

    assert body["items"]
    assert TicketPage.model_validate(body).model_dump(mode="json") == body
    assigned = as_staff.get(f"/api/v1/users/{staff.id}/tickets").json
    assert TicketPage.model_validate(assigned).model_dump(mode="json") == assigned


def test_staff_read_the_counts_of_every_status_queue_and_assignee(as_staff, as_customer, board):
    counts = as_staff.get("/api/v1/tickets/counts")
    listed = as_staff.get("/api/v1/tickets?status=open&status=in_progress&status=waiting").json

    assert counts.status_code == 200
    everything = as_staff.get("/api/v1/tickets?limit=100").json["items"]
    assert counts.json["by_status"] == {
        status: sum(ticket["status"] == status for ticket in everything)
        for status in ("open", "in_progress", "waiting", "resolved", "closed")
    }
    by_assignee = {}
    for ticket in listed["items"]:
        by_assignee[ticket["assignee_id"]] = by_assignee.get(ticket["assignee_id"], 0) + 1
    assert {
        row["assignee_id"]: row["active"]
        for row in counts.json["active_by_assignee"]
        if row["active"]
    } == by_assignee
    assert sum(row["active"] for row in counts.json["active_by_queue"]) == len(listed["items"])
    refused = as_customer.get("/api/v1/tickets/counts")
    assert refused.status_code == 403
    assert refused.headers["Content-Type"] == "application/problem+json"
