"""Web UI fixtures: a signed-in test client per role, with real CSRF tokens."""

from __future__ import annotations

import html as html_module
import re

import pytest

from tests.factories import Factory, Person

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
HIDDEN_INPUT = re.compile(
    r'<input[^>]*name="(?P<name>[^"]+)"[^>]*type="hidden"[^>]*value="(?P<value>[^"]*)"'
)


class WebUser:
    """A test client used like a browser: reads forms, sends their CSRF token back."""

    def __init__(self, client) -> None:
        self.client = client

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def html(self, path: str) -> str:
        response = self.client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response.get_data(as_text=True)

    def csrf_token(self, page: str = "/login") -> str:
        match = CSRF_INPUT.search(self.client.get(page).get_data(as_text=True))
        assert match, f"no CSRF token on {page}"
        return match.group(1)

    def post(self, path: str, data: dict | None = None, *, page: str | None = None, **kwargs):
        """Submit a form at `path` with a token read from `page` (default: the same path)."""
        token = self.csrf_token(page or path)
        return self.client.post(path, data={"csrf_token": token, **(data or {})}, **kwargs)

    def hidden_fields(self, page: str, action: str) -> dict[str, str]:
        """The hidden inputs of the form on `page` that posts to `action`."""
        return self.hidden_fields_of(self.html(page), action)

    @staticmethod
    def hidden_fields_of(html: str, action: str) -> dict[str, str]:
        """The hidden inputs of the form in `html` that posts to `action` (whatever part of
        its page the answer is to scroll to: `#reply-heading`)."""
        start = re.search(rf'action="{re.escape(action)}(#[^"]*)?"', html).start()
        end = html.index("</form>", start)
        found = HIDDEN_INPUT.finditer(html[start:end])
        return {m["name"]: html_module.unescape(m["value"]) for m in found}

    def submit(self, page: str, action: str, data: dict | None = None, **kwargs):
        """Post the form on `page` to `action` with its hidden fields (CSRF, version) kept."""
        fields = self.hidden_fields(page, action)
        return self.client.post(action, data={**fields, **(data or {})}, **kwargs)

    def sign_in(self, person: Person):
        response = self.post("/login", {"email": person.email, "password": person.password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return response


class RequestScopedFactory:
    """The shared factory, but each call in its own app context.

    The root `factory` fixture keeps one app context open for the whole test, which
    the test client's requests would then share (with its `g` and session). Pages
    must be tested the way a server runs them: a fresh context per request.
    """

    def __init__(self, app) -> None:
        self.app = app
        self.factory = Factory(app)

    def __getattr__(self, name: str):
        method = getattr(self.factory, name)

        def call(*args, **kwargs):
            with self.app.app_context():
                return method(*args, **kwargs)

        return call


@pytest.fixture
def factory(app):
    return RequestScopedFactory(app)


@pytest.fixture
def visitor(client) -> WebUser:
    return WebUser(client)


def _signed_in(app, person: Person) -> WebUser:
    user = WebUser(app.test_client())
    user.sign_in(person)
    return user


@pytest.fixture
def customer_web(app, customer) -> WebUser:
    return _signed_in(app, customer)


@pytest.fixture
def other_customer_web(app, other_customer) -> WebUser:
    return _signed_in(app, other_customer)


@pytest.fixture
def staff_web(app, staff) -> WebUser:
    return _signed_in(app, staff)


@pytest.fixture
def admin_web(app, admin) -> WebUser:
    return _signed_in(app, admin)


def ticket_state(app, ticket_id: int) -> dict:
    """The stored fields of a ticket, read outside any request."""
    from ticketdesk.extensions import db
    from ticketdesk.models import Ticket

    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        state = {
            "status": ticket.status.value,
            "priority": ticket.priority.value,
            "assignee_id": ticket.assignee_id,
            "queue_id": ticket.queue_id,
            "version": ticket.version,
        }
        db.session.remove()
    return state


def listed_titles(html: str) -> list[str]:
    """The ticket titles a list page shows, in order."""
    return re.findall(r'<span class="ticket-id">#\d+</span> ([^<]+)</a>', html)
