"""PostgreSQL finds a search window's matches through the GIN index alone, whichever plan.

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
from ticketdesk.extensions import db
from ticketdesk.models import Role, User
from ticketdesk.seed import RARE_WORD
from ticketdesk.services.listing import filtered_tickets
from ticketdesk.services.search import _window_statement
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
