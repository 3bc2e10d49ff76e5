"""Single use under load: a password link sent by many clients at once sets one password."""

from __future__ import annotations

import re
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection

import pytest
from sqlalchemy import func, select

from tests.mailbox import mailed_token
from ticketdesk.app import create_app
from ticketdesk.extensions import db
from ticketdesk.models import SecurityEvent, SecurityEventKind

CLIENTS = 8  # the server's 2 workers x 4 threads: every request is served at once
ROUNDS = 3
CUSTOMER = "customer@faults.example.com"
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def confirm_by_api(server, token: str, password: str):
    """Everything before the request, then a callable that sends it: its status."""

    def send() -> int:
        body = {"token": token, "new_password": password}
        return server.call("POST", "/api/v1/auth/password-reset/confirm", body)[0]

    return send


def confirm_by_form(server, token: str, password: str):
    """Open the link's page as a browser would (its cookie and CSRF token), then submit."""
    path = f"/reset-password/{token}"
    connection = HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", path)
    page = connection.getresponse()
    html = page.read().decode()
    cookie = page.getheader("Set-Cookie").split(";")[0]
    fields = {
        "csrf_token": CSRF_INPUT.search(html).group(1),
        "new_password": password,
        "confirm": password,
    }
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}

    def send() -> int:
        connection.request("POST", path, urllib.parse.urlencode(fields), headers)
        response = connection.getresponse()
        response.read()
        connection.close()
        return response.status

    return send


def all_at_once(sends) -> list[int]:
    """Send every request at the same moment, each from its own thread: their statuses."""
    barrier = threading.Barrier(len(sends))

    def send(one) -> int:
        barrier.wait()
        return one()

    with ThreadPoolExecutor(len(sends)) as pool:
        return sorted(pool.map(send, sends))


@pytest.mark.parametrize(
    ("confirm", "success"), [(confirm_by_api, 204), (confirm_by_form, 302)], ids=["api", "web"]
)
def test_a_link_sent_by_many_at_once_sets_one_password(live_server, confirm, success):
    app = create_app({"SQLALCHEMY_DATABASE_URI": live_server.database_url, "SECRET_KEY": "x"})
    for round_ in range(ROUNDS):
        reset = live_server.call("POST", "/api/v1/auth/password-reset", {"email": CUSTOMER})
        assert reset[0] == 202
        token = mailed_token(app, CUSTOMER)
        codes = all_at_once(
            [confirm(live_server, token, f"racing password {n}") for n in range(CLIENTS)]
        )
        assert codes.count(success) == 1, f"round {round_}: {codes}"
        assert set(codes) - {success} <= {404, 422}, codes

    with app.app_context():
        changed = select(func.count()).where(
            SecurityEvent.kind == SecurityEventKind.PASSWORD_CHANGED
        )
        assert db.session.scalar(changed) == ROUNDS
        db.session.remove()
        db.engine.dispose()
