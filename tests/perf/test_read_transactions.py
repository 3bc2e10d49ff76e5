"""A request that only read ends with COMMIT, so PostgreSQL keeps its prepared statements;
one that wrote without committing still ends with ROLLBACK, whatever wrote."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select, text

from tests.conftest import PG_URL
from ticketdesk.extensions import db, discard_session, end_read_only_transaction
from ticketdesk.models import Queue

# psycopg prepares a statement the sixth time one connection runs it.
REQUESTS_TO_PREPARE = 8


@pytest.mark.skipif(PG_URL is None, reason="needs TICKETDESK_TEST_DATABASE_URL")
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_whole_list_stays_prepared_and_planned_once_across_requests(app, as_staff, ticket):
    for _ in range(REQUESTS_TO_PREPARE):
        assert as_staff.get("/api/v1/tickets").status_code == 200
    with app.app_context():
        generic_plans = db.session.scalar(
            text(
                "SELECT sum(generic_plans) FROM pg_prepared_statements"
                " WHERE statement LIKE 'SELECT page.id%'"
            )
        )
    assert generic_plans > 0


@pytest.mark.skipif(PG_URL is None, reason="needs TICKETDESK_TEST_DATABASE_URL")
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("app_config", [{"DATABASE_PREPARED_STATEMENTS": False}])
def test_prepared_statements_can_be_turned_off_for_a_pooler(app, as_staff, ticket):
    for _ in range(REQUESTS_TO_PREPARE):
        assert as_staff.get("/api/v1/tickets").status_code == 200
    with app.app_context():
        prepared = db.session.scalar(
            text("SELECT count(*) FROM pg_prepared_statements WHERE NOT from_sql")
        )
    assert prepared == 0


def _add_queue_unflushed():
    db.session.add(Queue(name="Uncommitted", slug="uncommitted"))


def _add_queue_flushed():
    _add_queue_unflushed()
    db.session.flush()


def _insert_queue():
    db.session.execute(insert(Queue).values(name="Uncommitted", slug="uncommitted"))


def _insert_queue_as_text():
    db.session.execute(
        text("INSERT INTO queues (name, slug, created_at) VALUES ('Uncommitted', 'x', :now)"),
        {"now": datetime.now(UTC)},
    )


@pytest.mark.parametrize(
    "write", [_add_queue_unflushed, _add_queue_flushed, _insert_queue, _insert_queue_as_text]
)
def test_a_transaction_that_wrote_is_never_committed_at_the_end(app, write):
    with app.app_context():
        db.session.scalar(select(func.count()).select_from(Queue))  # a read first
        write()
        end_read_only_transaction()
        discard_session()
        names = db.session.scalars(select(Queue.name)).all()
    assert "Uncommitted" not in names
