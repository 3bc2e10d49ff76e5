"""PostgreSQL finds a search window's matches through the GIN index alone, whichever plan,
and each window reads only its own id blocks.

psycopg prepares a statement after five runs, and PostgreSQL may then settle on a generic
plan, made without the bound values. For the window's lower bound on ticket ids (every id
below the window: most of the table) that plan ANDed a bitmap of the primary key range
into the GIN bitmap, twice the work of the plan made for the values.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql

from tests.conftest import PG_URL
from tests.perf.seeding import seed
from tests.perf.statements import explained, plan_steps
from ticketdesk.extensions import db
from ticketdesk.models import Priority, Role, User
from ticketdesk.seed import RARE_WORD
from ticketdesk.services.listing import filtered_tickets
from ticketdesk.services.search_postgres import _window_statement
from ticketdesk.services.tickets import TicketFilter


@pytest.mark.skipif(PG_URL is None, reason="needs TICKETDESK_TEST_DATABASE_URL")
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_generic_plan_of_a_search_window_never_reads_the_primary_key(app):
    seed(app, 3000)
    with app.app_context():
        staff = db.session.scalars(select(User).where(User.role == Role.STAFF)).first()
        query, _ = filtered_tickets(staff, TicketFilter())
        compiled = _window_statement(query, False, False).compile(
            dialect=postgresql.psycopg.dialect()
        )
        # As psycopg prepares it: each named placeholder becomes $1, $2… in order of first use.
        names = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", str(compiled))))
        sql = re.sub(r"%\((\w+)\)s", lambda m: f"${names.index(m.group(1)) + 1}", str(compiled))
        values = compiled.params | {"tsquery": RARE_WORD, "stop": 2900, "newest": 500, "limit": 26}
        connection = db.session.connection()
        connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
        connection.exec_driver_sql(f"PREPARE window_plan AS {sql}")
        arguments = ", ".join(_literal(values[name]) for name in names)
        plan = connection.exec_driver_sql(
            f"EXPLAIN (FORMAT JSON) EXECUTE window_plan({arguments})"
        ).scalar()
        connection.exec_driver_sql("DEALLOCATE window_plan")
    plan_text = json.dumps(plan)
    assert "ix_ticket_search_document" in plan_text
    assert "ticket_search_pkey" not in plan_text


def _literal(value) -> str:
    return str(value) if isinstance(value, int) else "'" + str(value).replace("'", "''") + "'"


@pytest.mark.skipif(PG_URL is None, reason="needs TICKETDESK_TEST_DATABASE_URL")
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_filtered_search_reads_each_match_once_however_many_windows(
    app, monkeypatch, as_staff, factory, customer
):
    """Each window reads its own id blocks: filtered, the windows once looked for the
    word alone, and each read every match below it again (0.2-0.3 s at a million)."""
    monkeypatch.setattr("ticketdesk.services.search_index.ID_BLOCK", 4)
    monkeypatch.setattr("ticketdesk.services.search_sql.MAX_RANKED", 3)
    urgent = []
    for n in range(24):
        priority = Priority.URGENT if n % 6 == 0 else Priority.NORMAL
        ticket = factory.ticket(customer, title=f"Kettle {n}", priority=priority)
        urgent += [ticket.id] if priority == Priority.URGENT else []

    with explained(app, "EXPLAIN (ANALYZE, FORMAT JSON)", ("newest_matches",)) as plans:
        found = as_staff.get("/api/v1/tickets?q=kettle&priority=urgent").json["items"]

    assert sorted(item["id"] for item in found) == sorted(urgent[-3:])
    reads = [_search_rows_read(plan[0][0][0]["Plan"]) for plan in plans]
    assert reads[0] <= 2 * 4  # the newest two blocks of four tickets
    assert sum(reads) <= 24, reads


@pytest.mark.skipif(PG_URL is None, reason="needs TICKETDESK_TEST_DATABASE_URL")
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_filtered_window_driven_by_the_filters_reads_only_its_own_blocks(
    app, monkeypatch, as_staff, factory, customer
):
    """Read from the filters' side, a window once took every filtered ticket in the
    table, though only its blocks' could match (at 1M, 20,101 for 890 matches, 0.5 s)."""
    monkeypatch.setattr("ticketdesk.services.search_index.ID_BLOCK", 4)
    monkeypatch.setattr("ticketdesk.services.search_sql.MAX_RANKED", 3)
    kettles = []
    for n in range(24):
        ticket = factory.ticket(
            customer, title=f"Kettle {n}" if n % 3 == 0 else f"Toaster {n}", priority="urgent"
        )
        kettles += [ticket.id] if n % 3 == 0 else []
    # No index at all: each window's tickets come from a scan of the tickets table.
    no_indexes = ("SET LOCAL enable_bitmapscan = off", "SET LOCAL enable_indexscan = off")

    with explained(
        app, "EXPLAIN (ANALYZE, FORMAT JSON)", ("newest_matches",), before=no_indexes
    ) as plans:
        found = as_staff.get("/api/v1/tickets?q=kettle&priority=urgent").json["items"]

    assert sorted(item["id"] for item in found) == sorted(kettles[-3:])
    reads = [_rows_read(plan[0][0][0]["Plan"], "tickets") for plan in plans]
    assert len(reads) > 1  # the search widened
    assert sum(reads) <= 24, reads


def _search_rows_read(plan: dict) -> int:
    return _rows_read(plan, "ticket_search")


def _rows_read(plan: dict, table: str) -> int:
    return sum(
        step["Actual Rows"] * step["Actual Loops"]
        for step in plan_steps(plan)
        if step.get("Relation Name") == table
    )
