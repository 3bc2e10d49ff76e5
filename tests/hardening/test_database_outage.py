"""A PostgreSQL outage under load: clients get 503 with Retry-After, then service resumes."""

from __future__ import annotations

import threading
import time
from http.client import HTTPException

import pytest
from sqlalchemy import make_url

from tests.conftest import PG_URL
from tests.hardening.conftest import PASSWORD, LiveServer, prepare_database
from tests.hardening.proxy import OutageProxy
from tests.web.conftest import WebUser
from ticketdesk.app import create_app
from ticketdesk.extensions import db

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


@pytest.mark.parametrize("empty_database_url", ["postgresql"], indirect=True)
def test_a_signed_in_page_during_an_outage_is_the_503_page(empty_database_url, tmp_path):
    """Loading the signed-in user is the first query of a page, and the outage page
    itself must not need it."""
    url = make_url(empty_database_url)
    proxy = OutageProxy(url.port or 5432, url.host or "127.0.0.1")
    proxy.start()
    tokens = prepare_database(empty_database_url, tmp_path)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url.set(port=proxy.port).render_as_string(False),
            "SECRET_KEY": "outage",
        }
    )
    staff = WebUser(app.test_client())
    try:
        signed_in = staff.post(
            "/login", {"email": "staff@faults.example.com", "password": PASSWORD}
        )
        assert signed_in.status_code == 302
        proxy.cut()
        for path in ("/tickets", "/tickets/1", "/tickets/new"):
            response = staff.get(path)
            assert response.status_code == 503, path
            assert response.headers["Retry-After"] == "5"
            assert "Ticketdesk is briefly unavailable" in response.get_data(as_text=True)
        # Its own Retry-After, not the rate limiter's window (which it put over every answer).
        api = staff.client.get(
            "/api/v1/tickets", headers={"Authorization": f"Bearer {tokens['staff']}"}
        )
        assert (api.status_code, api.headers["Retry-After"]) == (503, "5")
    finally:
        proxy.cut()
        with app.app_context():
            db.engine.dispose()
