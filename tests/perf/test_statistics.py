"""SQLite's planner statistics are made for a database that has none, and remade as it grows.

A database grown by use was never analyzed (only `ticketdesk seed` did), and without
statistics SQLite sorted every unresolved ticket for the staff's default list.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.factories import ApiClient
from tests.perf.seeding import PASSWORD, seed
from tests.perf.statements import explained
from ticketdesk.extensions import db
from ticketdesk.seed import BENCH_STAFF_EMAIL
from ticketdesk.services.statistics import refresh_statistics

UNRESOLVED = "/api/v1/tickets?status=open&status=in_progress&status=waiting"


def _default_list_plan(app, client) -> list[str]:
    body = {"email": BENCH_STAFF_EMAIL, "password": PASSWORD}
    staff = ApiClient(client, client.post("/api/v1/auth/tokens", json=body).json["token"])
    with explained(app, "EXPLAIN QUERY PLAN", ("FROM tickets",)) as plans:
        assert staff.get(UNRESOLVED).status_code == 200
    return [row[3] for row in plans[-1]]


def _forget_statistics(app) -> None:
    with app.app_context():
        db.session.execute(text("DELETE FROM sqlite_stat1"))
        db.session.commit()
    _reconnect(app)


def _reconnect(app) -> None:
    """Open new connections, as the pool does hourly: each reads the statistics as it opens."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_database_never_analyzed_gets_the_plans_of_one_that_was(app, client):
    seed(app, 2000)
    _forget_statistics(app)
    assert "USE TEMP B-TREE FOR ORDER BY" in _default_list_plan(app, client)

    with app.app_context():
        assert refresh_statistics(db.session()) is True
    _reconnect(app)

    steps = _default_list_plan(app, client)
    assert "USING INDEX ix_tickets_created" in steps[0], steps
    assert not any("TEMP B-TREE" in step for step in steps), steps


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_statistics_are_remade_once_the_tickets_have_doubled(app, factory, customer):
    for index in range(3):
        factory.ticket(customer, title=f"Ticket {index}")
    with app.app_context():
        assert refresh_statistics(db.session()) is True  # none yet
        assert refresh_statistics(db.session()) is False
    for index in range(3, 7):
        factory.ticket(customer, title=f"Ticket {index}")
    with app.app_context():
        assert refresh_statistics(db.session()) is True  # 3 then, 7 now
        assert refresh_statistics(db.session()) is False


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_is_left_to_autovacuum(app, factory, customer):
    factory.ticket(customer)
    with app.app_context():
        assert refresh_statistics(db.session()) is False
