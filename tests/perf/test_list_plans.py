"""Each filtered list is one walk of an index in its order, whatever the engine estimates.

Read from the plans of real list requests on a seeded database: each statement a
request sends is explained on the same cursor, with the same values.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.conftest import PG_URL
from tests.factories import ApiClient
from tests.perf.paging import ids_of_pages
from tests.perf.seeding import PASSWORD, seed
from tests.perf.statements import explained, plan_steps
from ticketdesk.extensions import db
from ticketdesk.seed import BENCH_CUSTOMER_EMAIL, BENCH_STAFF_EMAIL, RARE_WORD

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
def test_sqlite_walks_the_date_index_for_the_whole_list_whatever_the_page_size(app, client):
    """Told a LIMIT under 5 in the SQL, SQLite read every customer's tickets through the
    requester index and sorted them all: 11 ms at 10,000 tickets for `limit=1`, and all
    of a million sorted. It takes 10,000 tickets (200 customers) for the plan to turn."""
    seed(app, 10_000)
    staff = _signed_in(client, BENCH_STAFF_EMAIL)

    for limit in (1, 2, 4, 25, 100):
        with explained(app, "EXPLAIN QUERY PLAN", PAGES) as plans:
            assert staff.get(f"/api/v1/tickets?limit={limit}").status_code == 200

        steps = [row[3] for row in plans[-1]]
        assert "tickets USING INDEX ix_tickets_created" in steps[0], (limit, steps)
        assert not any("TEMP B-TREE" in step for step in steps), (limit, steps)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_finds_a_list_through_its_filters_once_the_walk_runs_out(app, client, monkeypatch):
    """In the seed only open tickets are unassigned: walking for unassigned ones in progress
    or waiting (a quarter of the tickets) reads the whole index. Past its budget the walk
    stops, and the full-text index's facets find the tickets that pass every filter."""
    monkeypatch.setattr("ticketdesk.services.sqlite_plans.WALK_STEPS", 2000)
    seed(app, SEEDED)
    staff = _signed_in(client, BENCH_STAFF_EMAIL)
    query = "status=in_progress&status=waiting&assignee_id=none&sort=-priority"

    with explained(app, "EXPLAIN QUERY PLAN", PAGES) as plans:
        found = staff.get(f"/api/v1/tickets?{query}")

    assert found.status_code == 200 and found.json["items"] == []
    walked, searched = ([row[3] for row in plan] for plan in plans)
    assert "tickets USING INDEX ix_tickets_priority" in walked[0], walked
    assert "ix_tickets_priority" not in searched[0], searched
    assert any("ticket_search VIRTUAL TABLE" in step for step in searched), searched
    assert any("TEMP B-TREE FOR ORDER BY" in step for step in searched), searched


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "query",
    [
        "status=closed&sort=-updated_at",
        "assignee_id=none&priority=low&sort=-priority",
        "status=open&status=waiting&priority=high&sort=-updated_at",
    ],
)
def test_sqlite_pages_are_the_same_walked_or_found_through_filters(app, client, monkeypatch, query):
    seed(app, SEEDED)
    staff = _signed_in(client, BENCH_STAFF_EMAIL)
    walked = ids_of_pages(staff, query)
    monkeypatch.setattr("ticketdesk.services.sqlite_plans.WALK_STEPS", 0)

    assert ids_of_pages(staff, query) == walked and len(walked) == 3


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
@pytest.mark.parametrize(
    ("query", "limit"),
    [("priority=low&sort=-priority", 25), (f"q={RARE_WORD}&priority=low&sort=-priority", 2)],
)
def test_postgresql_joins_people_to_one_page_whatever_join_it_picks(app, client, query, limit):
    """On the second page of low-priority tickets by priority (searched or not), PostgreSQL
    estimated the keyset's row comparison at one row, and sorted every low-priority
    ticket to merge-join the users. Merge joins forced, the users meet only the page."""
    seed(app, SEEDED)
    staff = _signed_in(client, BENCH_STAFF_EMAIL)
    first = staff.get(f"/api/v1/tickets?{query}&limit={limit}").json
    forced = ("SET LOCAL enable_nestloop = off", "SET LOCAL enable_hashjoin = off")

    with explained(app, "EXPLAIN (ANALYZE, FORMAT JSON)", PAGES, before=forced) as plans:
        page = f"/api/v1/tickets?{query}&limit={limit}&cursor={first['next_cursor']}"
        assert staff.get(page).status_code == 200

    plan = plans[-1][0][0][0]["Plan"]
    met = list(_tickets_meeting_users(plan))
    assert met and max(met) <= limit + 1, met


def _tickets_meeting_users(plan: dict):
    """For each join of `plan` with the users table, the rows its other side was given
    (a sort's rows are those it took in, not the few a LIMIT took out)."""
    children = plan.get("Plans", [])
    if "Join" in plan["Node Type"]:
        sides = [_reads_only_users(child) for child in children]
        if any(sides):
            yield from (
                _rows_in(child) for child, users in zip(children, sides, strict=True) if not users
            )
    for child in children:
        yield from _tickets_meeting_users(child)


def _rows_in(plan: dict) -> int:
    while plan["Node Type"] in ("Sort", "Incremental Sort", "Materialize"):
        plan = plan["Plans"][0]
    return plan["Actual Rows"] * plan["Actual Loops"]


def _reads_only_users(plan: dict) -> bool:
    relations = {step["Relation Name"] for step in plan_steps(plan) if "Relation Name" in step}
    return relations == {"users"}


@pytest.mark.skipif(PG_URL is None, reason="needs TICKETDESK_TEST_DATABASE_URL")
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize(
    "query",
    [
        "status=in_progress&assignee_id=none&sort=-priority",
        "status=closed&assignee_id=none&sort=-updated_at",
        "status=resolved&assignee_id=none&priority=low",
    ],
)
def test_postgresql_finds_unassigned_tickets_of_a_status_without_walking(app, client, query):
    """In the seed, as in most helpdesks, only open tickets are unassigned. Estimating
    status and assignee as unrelated, PostgreSQL walked an order's whole index for
    unassigned tickets in another status (0.9 s at a million); told which pairs occur,
    it looks them up in the unassigned tickets' index and reads none."""
    seed(app, SEEDED)
    staff = _signed_in(client, BENCH_STAFF_EMAIL)

    with explained(app, "EXPLAIN (ANALYZE, FORMAT JSON)", PAGES) as plans:
        found = staff.get(f"/api/v1/tickets?{query}")

    assert found.status_code == 200 and found.json["items"] == []
    steps = list(plan_steps(plans[-1][0][0][0]["Plan"]))
    read = sum(
        (step["Actual Rows"] + step.get("Rows Removed by Filter", 0)) * step["Actual Loops"]
        for step in steps
        if step.get("Relation Name") == "tickets"
    )
    assert read == 0, steps
    assert any(step.get("Index Name") == "ix_tickets_unassigned" for step in steps), steps


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_lists_the_staff_from_their_own_index(app, client, staff, factory):
    """Among 200,000 customers SQLite scanned every account for the twenty staff the
    staff page lists (31 ms a page), once it had statistics (`ticketdesk seed` and any
    ANALYZE make them): they tell the rows per role on average, not that one is rare."""
    from tests.web.conftest import WebUser

    for index in range(30):
        factory.user(name=f"Customer {index}")
    with app.app_context():
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    WebUser(client).sign_in(staff)

    with explained(app, "EXPLAIN QUERY PLAN", ("users.active IS 1",)) as plans:
        assert client.get("/tickets").status_code == 200

    [plan] = plans
    steps = [row[3] for row in plan]
    assert steps == ["SCAN users USING INDEX ix_users_staff_by_name"], steps


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_finds_a_page_through_its_filters_before_joining_its_people(
    app, client, monkeypatch
):
    """Past the walk's budget, with the seed's statistics (a third of the tickets in each
    status), SQLite joined in the people first: it scanned every customer and read each
    one's tickets, 2.5 s a page at a million tickets for a helpdesk's few unresolved."""
    seed(app, SEEDED)
    staff = _signed_in(client, BENCH_STAFF_EMAIL)
    monkeypatch.setattr("ticketdesk.services.sqlite_plans.WALK_STEPS", 0)
    query = "status=open&status=in_progress&status=waiting&sort=-updated_at"

    with explained(app, "EXPLAIN QUERY PLAN", PAGES) as plans:
        assert staff.get(f"/api/v1/tickets?{query}").status_code == 200

    searched = [row[3] for row in plans[-1]]
    tables = [step for step in searched if " tickets " in step or " requester " in step]
    assert "USING INDEX ix_tickets_status_created" in tables[0], searched


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("sort", ["-updated_at", "-priority"])
def test_sqlite_sorts_the_tickets_of_statuses_that_hold_few_rather_than_walk(app, client, sort):
    """A helpdesk that closes its tickets keeps few unresolved, spread over years of the
    last-update and priority orders: walking either for them read a row for each ticket
    passed, 97 ms at a million before its budget ran out, against 8.7 ms to sort them.
    The triggers' counts tell how many a status holds; SQLite's statistics, an average."""
    seed(app, SEEDED)  # a tenth of them waiting: few by the rule of `sqlite_plans.few_in_statuses`
    staff = _signed_in(client, BENCH_STAFF_EMAIL)

    with explained(app, "EXPLAIN QUERY PLAN", PAGES) as plans:
        assert staff.get(f"/api/v1/tickets?status=waiting&sort={sort}").status_code == 200

    [plan] = plans
    steps = [row[3] for row in plan]
    assert any("tickets USING INDEX ix_tickets_status_created" in step for step in steps), steps
    assert not any("ix_tickets_updated" in s or "ix_tickets_priority" in s for s in steps), steps


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_sorts_a_closing_helpdesks_few_unresolved_rather_than_walk_a_filter(app, client):
    """A helpdesk that closes its tickets: the seed's, all closed but the newest 200 and
    a straggler in 50. SQLite walked the queue's index by date for its urgent unresolved
    tickets, reading every one of the queue's rows (0.1-0.2 s at a million tickets)."""
    seed(app, SEEDED)
    with app.app_context():
        db.session.execute(
            text(
                "UPDATE tickets SET status = 'closed' WHERE status IN ('open', 'in_progress',"
                " 'waiting') AND id <= (SELECT max(id) - 200 FROM tickets) AND id % 50 != 0"
            )
        )
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    staff = _signed_in(client, BENCH_STAFF_EMAIL)
    query = "status=open&status=in_progress&status=waiting&priority=urgent&queue_id=1"

    with explained(app, "EXPLAIN QUERY PLAN", PAGES) as plans:
        assert staff.get(f"/api/v1/tickets?{query}").status_code == 200

    steps = [row[3] for row in plans[-1]]
    table = next(step for step in steps if " tickets " in step)
    assert "USING INDEX ix_tickets_status_created" in table, steps
