"""Stored-XSS payloads in every text a user controls: inert in every page and every email.

The web fixtures (a signed-in browser per role) come from tests/web/conftest.py.
"""

from __future__ import annotations

import email
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from tests.web.conftest import WebUser, _signed_in  # noqa: F401  (fixture helpers)
from ticketdesk.extensions import db
from ticketdesk.models import OutboxMessage, Role
from ticketdesk.services.notifications import notification_settings, render_notification

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=//evil.example></iframe>",
]


class ActiveContent(HTMLParser):
    """Collects every piece of markup that could run: scripts, frames, handlers, js: links."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and attributes.get("src") != "/assets/app.js":
            self.found.append(f"<script {attributes}>")
        if tag in ("iframe", "object", "embed", "svg"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"{tag} {name}={value}")


def assert_inert(html: str) -> None:
    parser = ActiveContent()
    parser.feed(html)
    assert parser.found == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_are_inert_in_pages_and_mail(app, factory, payload):
    customer = factory.user(Role.CUSTOMER, name=f"Eve {payload}")
    staff = factory.user(Role.STAFF, name=f"Sam {payload}")
    admin = factory.user(Role.ADMIN, name="Ada")
    ticket = factory.ticket(customer, title=f"T {payload}", description=f"D {payload}")
    staff_web = _signed_in(app, staff)
    customer_web = _signed_in(app, customer)
    admin_web = _signed_in(app, admin)
    staff_web.submit(
        f"/tickets/{ticket.id}",
        f"/tickets/{ticket.id}/comments",
        {"body": f"R {payload}", "reply": "Send reply"},
    )
    admin_web.post("/admin/queues", {"name": f"Q {payload}"})
    pages = [
        (staff_web, "/tickets"),
        (staff_web, f"/tickets/{ticket.id}"),
        (customer_web, "/tickets"),
        (customer_web, f"/tickets/{ticket.id}"),
        (admin_web, "/admin/users"),
        (admin_web, "/admin/queues"),
    ]
    for browser, path in pages:
        assert_inert(browser.html(path))
    with app.app_context():
        settings = notification_settings(app.config)
        rows = db.session.scalars(select(OutboxMessage)).all()
        mails = [row.content or render_notification(db.session, settings, row) for row in rows]
    assert mails
    for raw in mails:
        for part in email.message_from_string(raw).walk():
            if part.get_content_type() == "text/html":
                assert_inert(part.get_payload(decode=True).decode())
