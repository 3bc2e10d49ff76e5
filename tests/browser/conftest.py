"""Browser tests: the app served by a real WSGI server, driven by Debian's Chromium.

Chromium comes from the system (`apt-get install chromium`), never from
`playwright install`. Screenshots go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from ticketdesk.app import create_app
from ticketdesk.extensions import db
from ticketdesk.models import Base, Priority, Role, TicketStatus
from ticketdesk.services import queue_manager, ticket_manager, user_manager

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
STAFF_PASSWORD = "staff password 1"
# What a strict production policy will allow: nothing inline, nothing from elsewhere.
STRICT_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium") or CHROMIUM
    if not Path(path).exists():
        pytest.fail("Chromium is missing: apt-get install -y chromium")
    return path


# Tickets already in the desk, so lists look like a working day: (title, priority, status, Sam's?)
BACKLOG = [
    ("Cannot print to the third-floor printer", Priority.NORMAL, TicketStatus.OPEN, False),
    ("VPN drops every hour", Priority.URGENT, TicketStatus.IN_PROGRESS, True),
    ("Request: a second monitor", Priority.LOW, TicketStatus.WAITING, False),
    ("Password reset link has expired", Priority.HIGH, TicketStatus.OPEN, True),
    ("Invoice PDF is blank", Priority.NORMAL, TicketStatus.RESOLVED, True),
]


def _seed() -> None:
    """One staff member, one admin, a customer and a small backlog, through the services."""
    users = user_manager()
    staff = users.create_user_unchecked(
        name="Sam Staff", email="sam@example.com", password=STAFF_PASSWORD, role=Role.STAFF
    )
    users.create_user_unchecked(
        name="Ada Admin", email="ada@example.com", password=STAFF_PASSWORD, role=Role.ADMIN
    )
    customer = users.create_user_unchecked(
        name="Dev Customer", email="dev@example.com", password=STAFF_PASSWORD, role=Role.CUSTOMER
    )
    tickets = ticket_manager()
    for title, priority, status, mine in BACKLOG:
        ticket = tickets.create_ticket(
            customer, title=title, description="Details to follow.", priority=priority
        )
        changes = {"status": status, "assignee_id": staff.id if mine else None}
        tickets.update_ticket(staff, ticket.id, changes)


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    """A SQLite-backed app with one staff member, under a strict Content-Security-Policy."""
    folder = tmp_path_factory.mktemp("browser")
    app = create_app(
        {
            "SECRET_KEY": "browser-test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'browser.sqlite3'}",
            "BCRYPT_ROUNDS": 4,
            # The module's stories sign the same few people in more often than the
            # sign-in limit allows a minute (tests/security checks the limit itself).
            "RATELIMIT_SIGN_IN": "100 per minute",
        }
    )
    app.instance_path = str(folder / "instance")

    @app.after_request
    def strict_policy(response):
        response.headers["Content-Security-Policy"] = STRICT_CSP
        return response

    with app.app_context():
        Base.metadata.create_all(db.engine)
        queue_manager().ensure_default_queue()
        _seed()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        pass


def read_whole(app):
    """The app with each response read and closed before it is sent.

    A browser may drop a connection mid-response (a favicon as a page closes). Werkzeug's
    development server then skips closing the response, and the open static file made
    a ResourceWarning that failed an unrelated test (gunicorn, in production, closes it).
    """

    def serve(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            getattr(body, "close", lambda: None)()

    return serve


@pytest.fixture(scope="module")
def base_url(live_app) -> Iterator[str]:
    """Serve the app on a free loopback port in a background thread."""
    server = make_server(
        "127.0.0.1", 0, read_whole(live_app), threaded=True, request_handler=QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@pytest.fixture(scope="module")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


class Problems:
    """Console errors and CSP violations a page reported; a test ends with none."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def watch(self, page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.messages.append(f"page error: {error}"))

    def _on_console(self, message) -> None:
        if message.type in ("error", "warning"):
            self.messages.append(f"{message.type}: {message.text}")


@pytest.fixture
def problems() -> Problems:
    return Problems()


@pytest.fixture
def new_page(browser, base_url, problems):
    """Open a fresh browser profile (its own cookies) per person in the test."""
    contexts = []

    def open_page(*, width: int = 1280, height: int = 860):
        context = browser.new_context(
            base_url=base_url, viewport={"width": width, "height": height}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        problems.watch(page)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert problems.messages == []


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
