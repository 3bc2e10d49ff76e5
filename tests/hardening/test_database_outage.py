"""A PostgreSQL outage under load: clients get 503 with Retry-After, then service resumes."""

from __future__ import annotations

import threading
import time
from http.client import HTTPException

import pytest
from sqlalchemy import make_url

from tests.conftest import PG_URL
from tests.hardening.conftest import LiveServer, prepare_database
from tests.hardening.proxy import OutageProxy

pytestmark = pytest.mark.skipif(PG_URL is None, reason="needs TICKETDESK_TEST_DATABASE_URL")


@pytest.mark.parametrize("empty_database_url", ["postgresql"], indirect=True)
def test_outage_answers_503_and_the_pool_recovers(empty_database_url, tmp_path):
    url = make_url(empty_database_url)
    proxy = OutageProxy(url.port or 5432, url.host or "127.0.0.1")
    proxy.start()
    instance = tmp_path / "instance"
    instance.mkdir()
    through_proxy = url.set(port=proxy.port).render_as_string(hide_password=False)
    server = LiveServer(through_proxy, instance)
    server.tokens = prepare_database(empty_database_url, instance)
    server.start()
    seen: list[int] = []
    stop = threading.Event()

    def load() -> None:
        while not stop.is_set():
            try:
                code, body, headers = server.call("GET", "/api/v1/tickets", timeout=10)
            except (OSError, HTTPException):
                seen.append(-1)
                continue
            seen.append(code)
            if code == 503:
                assert headers.get("Retry-After"), headers
                assert body["status"] == 503 and "Traceback" not in str(body)

    workers = [threading.Thread(target=load) for _ in range(4)]
    try:
        for worker in workers:
            worker.start()
        time.sleep(1)
        proxy.cut()
        time.sleep(3)
        during = len(seen)
        proxy.restore()
        recovered = _wait_for_200(server)
    finally:
        stop.set()
        for worker in workers:
            worker.join()
        server.stop()
        proxy.cut()
    assert 503 in seen[:during], "the outage was never noticed"
    assert 500 not in seen and -1 not in seen, sorted(set(seen))
    assert recovered, "the server did not recover after the database came back"


def _wait_for_200(server, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.call("GET", "/api/v1/tickets")[0] == 200:
            return True
        time.sleep(0.2)
    return False
