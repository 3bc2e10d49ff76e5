"""The admins' outbox page: dead and waiting mail, and sending it again."""

from __future__ import annotations

import pytest

from tests.web.conftest import RequestScopedFactory, WebUser
from ticketdesk.models import OutboxStatus


@pytest.fixture
def factory(app):
    """Data made in its own app context, so each page request gets a fresh one."""
    return RequestScopedFactory(app)


def signed_in(app, person) -> WebUser:
    user = WebUser(app.test_client())
    user.sign_in(person)
    return user


def test_admin_sees_dead_mail_and_sends_it_again(
    mail_app, deliver, smtp_server, outbox, admin, customer, factory
):
    mail_app.config["MAIL_NOTIFY_STAFF_ON_NEW_TICKET"] = False
    factory.ticket(customer, title="Printer <on> fire")
    smtp_server.answer("550 5.1.1 <nobody>: no such user")
    deliver()
    dead = outbox()[0]
    browser = signed_in(mail_app, admin)
    page = browser.html("/admin/outbox")
    assert customer.email in page and "550 5.1.1 &lt;nobody&gt;" in page
    assert "Printer &lt;on&gt; fire" in page
    action = f"/admin/outbox/{dead['id']}/retry?status=dead"
    response = browser.submit("/admin/outbox", action)
    assert response.status_code == 302
    assert outbox()[0]["status"] == OutboxStatus.PENDING
    assert deliver().sent == 1
    assert customer.email in browser.html("/admin/outbox?status=sent")


def test_after_a_long_outage_an_admin_sends_all_dead_mail_again(
    mail_app, deliver, smtp_server, outbox, admin, customer, factory
):
    mail_app.config["MAIL_NOTIFY_STAFF_ON_NEW_TICKET"] = False
    for title in ("First", "Second", "Third"):
        factory.ticket(customer, title=title)
    smtp_server.answer(*["550 5.7.1 relay down"] * 3)
    deliver()
    assert [row["status"] for row in outbox()] == [OutboxStatus.DEAD] * 3
    browser = signed_in(mail_app, admin)

    response = browser.submit("/admin/outbox", "/admin/outbox/retry-dead")

    assert response.status_code == 302
    assert "3 messages will be sent again." in browser.html("/admin/outbox?status=dead")
    assert deliver().sent == 3


def test_outbox_page_is_for_admins_only(mail_app, staff):
    browser = signed_in(mail_app, staff)
    assert browser.get("/admin/outbox").status_code == 403


def test_retry_without_csrf_token_changes_nothing(
    mail_app, deliver, smtp_server, outbox, admin, customer, factory
):
    mail_app.config["MAIL_NOTIFY_STAFF_ON_NEW_TICKET"] = False
    factory.ticket(customer)
    smtp_server.answer("550 gone")
    deliver()
    browser = signed_in(mail_app, admin)
    response = browser.client.post(f"/admin/outbox/{outbox()[0]['id']}/retry")
    assert response.status_code in (302, 400)
    assert outbox()[0]["status"] == OutboxStatus.DEAD
