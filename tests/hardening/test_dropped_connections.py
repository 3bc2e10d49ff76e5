"""PostgreSQL drops a pooled connection (a restart, a failover, an idle timeout).

A connection that waited in the pool is tested before use and replaced unnoticed;
one used a moment ago is not tested, so its request answers 503 and the pool is
renewed for the next.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from ticketdesk import extensions

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def test_a_connection_dropped_while_idle_is_replaced_before_use(
    app, database_url, as_staff, monkeypatch
):
    assert as_staff.get("/api/v1/tickets").status_code == 200
    assert _drop_connections(database_url) >= 1
    monkeypatch.setattr(extensions, "IDLE_SECONDS_BEFORE_PING", 0)

    response = as_staff.get("/api/v1/tickets")

    assert response.status_code == 200, response.get_data(as_text=True)


def test_a_connection_dropped_right_after_use_fails_one_request_then_the_pool_is_renewed(
    app, database_url, as_staff, monkeypatch
):
    monkeypatch.setattr(extensions, "IDLE_SECONDS_BEFORE_PING", 60)
    assert as_staff.get("/api/v1/tickets").status_code == 200
    assert _drop_connections(database_url) >= 1

    failed = as_staff.get("/api/v1/tickets")
    again = as_staff.get("/api/v1/tickets")

    assert failed.status_code == 503
    assert failed.headers["Content-Type"] == "application/problem+json"
    assert failed.headers["Retry-After"]
    assert again.status_code == 200


def _drop_connections(url: str) -> int:
    """End every other session on this database, as a server restart would."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            return len(
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).all()
            )
    finally:
        admin.dispose()
