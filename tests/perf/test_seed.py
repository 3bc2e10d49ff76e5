"""`ticketdesk seed N` fills an empty database that then works like any other."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import func, select

from tests.factories import ApiClient
from tests.perf.seeding import PASSWORD, seed
from ticketdesk.extensions import db
from ticketdesk.models import ACTIVE_STATUSES, Comment, Ticket, TicketStatus, User
from ticketdesk.seed import BENCH_STAFF_EMAIL, RARE_WORD, seed_command
from ticketdesk.services.stats import team_counts


def test_seeded_database_lists_searches_counts_and_grows(app, client):
    seed(app, 300)

    token = client.post(
        "/api/v1/auth/tokens", json={"email": BENCH_STAFF_EMAIL, "password": PASSWORD}
    ).json["token"]
    staff = ApiClient(client, token)
    assert len(staff.get("/api/v1/tickets?limit=100").json["items"]) == 100
    found = staff.get(f"/api/v1/tickets?q={RARE_WORD}&limit=100").json["items"]
    with app.app_context():
        with_word = db.session.scalar(
            select(func.count()).where(Ticket.description.contains(RARE_WORD))
        )
        assert db.session.scalar(select(func.count()).select_from(Comment)) > 0
        truth = dict(
            db.session.execute(select(Ticket.status, func.count()).group_by(Ticket.status)).all()
        )
        active_by_queue = dict(
            db.session.execute(
                select(Ticket.queue_id, func.count())
                .where(Ticket.status.in_(ACTIVE_STATUSES))
                .group_by(Ticket.queue_id)
            ).all()
        )
        me = staff.get("/api/v1/me").json["id"]
        counts = team_counts(db.session.get(User, me))
        db.session.remove()
    assert len(found) == with_word
    assert {TicketStatus(status): total for status, total in truth.items()} == {
        status: total for status, total in counts.by_status.items() if total
    }
    assert counts.active_by_queue == active_by_queue
    assert sum(counts.active_by_assignee.values()) == sum(active_by_queue.values())
    created = staff.post("/api/v1/tickets", json={"title": "After seeding", "description": "x"})
    assert created.status_code == 201 and created.json["id"] == 301


def test_seed_refuses_a_database_with_tickets(app, factory, customer):
    factory.ticket(customer)

    result = CliRunner().invoke(seed_command, ["10"], obj=ScriptInfo(create_app=lambda: app))

    assert result.exit_code != 0
    assert "seed an empty one" in result.output


def test_seed_refuses_a_helpdesk_with_people_and_no_tickets_yet(app, staff):
    result = CliRunner().invoke(seed_command, ["10"], obj=ScriptInfo(create_app=lambda: app))

    assert result.exit_code != 0
    assert "The database has people already" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_seeded_sqlite_index_leaves_no_merging_to_the_writes_after_it(app):
    seed(app, 5000)  # over 1 MB of text: FTS5 writes the bulk insert as several segments
    with app.app_context(), db.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO ticket_search (ticket_search, rank) VALUES ('usermerge', 2)"
        )
        changes = connection.connection.driver_connection.total_changes
        connection.exec_driver_sql(
            "INSERT INTO ticket_search (ticket_search, rank) VALUES ('merge', 1000)"
        )
        merged = connection.connection.driver_connection.total_changes - changes
    assert merged < 2  # FTS5: a merge that found two segments to merge changes 2 rows or more
