"""Contention: many concurrent writers on SQLite, and no client ever sees 'database is locked'."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

WRITERS = 16
WRITES_EACH = 8


@pytest.mark.parametrize("empty_database_url", ["sqlite"], indirect=True)
def test_sixteen_concurrent_writers_all_succeed(live_server):
    live_server.stop()
    live_server.workers = 4
    live_server.start()

    def writer(number: int) -> list[int]:
        codes = []
        for write in range(WRITES_EACH):
            code, ticket, _ = live_server.call(
                "POST",
                "/api/v1/tickets",
                {"title": f"w{number}-{write}", "description": "contention"},
                role="customer",
            )
            codes.append(code)
            if code == 201:
                reply, _, _ = live_server.call(
                    "POST", f"/api/v1/tickets/{ticket['id']}/comments", {"body": "more"}
                )
                codes.append(reply)
        return codes

    with ThreadPoolExecutor(WRITERS) as pool:
        codes = [code for result in pool.map(writer, range(WRITERS)) for code in result]
    assert codes.count(201) == WRITERS * WRITES_EACH * 2, sorted(set(codes))
    status, page, _ = live_server.call("GET", "/api/v1/tickets?limit=1")
    assert status == 200
    log = (live_server.instance / "gunicorn.log").read_text()
    assert "database is locked" not in log
