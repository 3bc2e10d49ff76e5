"""Each filtered list is one walk of an index in its order, whatever the engine estimates.

Read from the plans of real list requests on a seeded database: each statement a
request sends is explained on the same cursor, with the same values.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import PG_URL
from tests.factories import ApiClient
from tests.perf.seeding import PASSWORD, seed
from tests.perf.statements import explained
from ticketdesk.seed import BENCH_CUSTOMER_EMAIL, BENCH_STAFF_EMAIL

SEEDED = 3000
PAGES = ("FROM tickets", "FROM (SELECT tickets")


def _signed_in(client, email: str) -> ApiClient:
    body = {"email": email, "password": PASSWORD}
    return ApiClient(client, client.post("/api/v1/auth/tokens", json=body).json["token"])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("query", "index"),
    [
        ("assignee_id=none&sort=-updated_at", "ix_tickets_updated"),
        ("status=open&status=waiting&assignee_id=none&sort=-updated_at", "ix_tickets_updated"),
        ("status=closed&queue_id=1&sort=-updated_at", "ix_tickets_updated"),
        ("status=open&assignee_id=none&sort=-priority", "ix_tickets_priority"),
        ("priority=low&sort=-priority", "ix_tickets_priority"),
    ],
)
def test_sqlite_walks_the_index_of_an_order_no_filter_keeps(app, client, query, index):
    seed(app, SEEDED)
    staff = _signed_in(client, BENCH_STAFF_EMAIL)

    with explained(app, "EXPLAIN QUERY PLAN", PAGES) as plans:
        assert staff.get(f"/api/v1/tickets?{query}").status_code == 200

    steps = [row[3] for row in plans[-1]]
    assert f"tickets USING INDEX {index}" in steps[0], steps
    assert not any("TEMP B-TREE" in step for step in steps), steps


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_sorts_a_customers_few_tickets_rather_than_walk_everyones(app, client):
    seed(app, SEEDED)
    customer = _signed_in(client, BENCH_CUSTOMER_EMAIL)

    with explained(app, "EXPLAIN QUERY PLAN", PAGES) as plans:
        assert customer.get("/api/v1/tickets?sort=-updated_at").status_code == 200

    steps = [row[3] for row in plans[-1]]
    assert any("USING INDEX ix_tickets_requester_created" in step for step in steps), steps


@pytest.mark.skipif(PG_URL is None, reason="needs TICKETDESK_TEST_DATABASE_URL")
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_joins_people_to_one_page_whatever_join_it_picks(app, client):
    """On the second page of low-priority tickets by priority, PostgreSQL estimated the
    keyset's row comparison at one row and sorted every low-priority ticket to merge-join
    the users. Merge joins forced, no step may handle more than the page."""
    seed(app, SEEDED)
    staff = _signed_in(client, BENCH_STAFF_EMAIL)
    first = staff.get("/api/v1/tickets?priority=low&sort=-priority&limit=25").json
    forced = ("SET LOCAL enable_nestloop = off", "SET LOCAL enable_hashjoin = off")

    with explained(app, "EXPLAIN (ANALYZE, FORMAT JSON)", PAGES, before=forced) as plans:
        page = f"/api/v1/tickets?priority=low&sort=-priority&limit=25&cursor={first['next_cursor']}"
        assert staff.get(page).status_code == 200

    plan = plans[-1][0][0][0]["Plan"]
    assert "Merge" in json.dumps(plan)
    read = [scan["Actual Rows"] for scan in _steps(plan) if scan.get("Relation Name") == "tickets"]
    assert read and max(read) <= 26, read


def _steps(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _steps(child)
