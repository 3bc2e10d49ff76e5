"""A mail with a password link keeps its link in the outbox only until it is sent or
given up on: after that the database holds the link's hash alone."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories import PASSWORD
from tests.mail.test_delivery import make_due
from tests.web.conftest import WebUser
from ticketdesk.extensions import db
from ticketdesk.mail.worker import run_worker, transport_from_config
from ticketdesk.models import OutboxMessage, OutboxStatus
from ticketdesk.services import outbox_manager

LINK = "/reset-password/"
# How each kind of mail with a link is asked for, given an account's address.
ASKED = {
    "password_reset": lambda client, email: client.post(
        "/api/v1/auth/password-reset", json={"email": email}
    ),
    "welcome": lambda client, email: client.post(
        "/api/v1/auth/register", json={"name": "New", "email": "new-" + email}
    ),
    "account_exists": lambda client, email: client.post(
        "/api/v1/auth/register", json={"name": "Again", "email": email}
    ),
}


def stored(app, kind: str) -> OutboxMessage:
    with app.app_context():
        row = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)).one()
        db.session.expunge(row)
        db.session.remove()
    return row


@pytest.mark.parametrize("kind", sorted(ASKED))
def test_a_sent_link_is_not_kept_in_the_outbox(
    mail_app, client, deliver, smtp_server, customer, kind
):
    assert ASKED[kind](client, customer.email).status_code == 202
    assert LINK in stored(mail_app, kind).content  # until it is sent
    assert deliver().sent == 1
    assert LINK in smtp_server.messages[-1].get_body(("plain",)).get_content()
    row = stored(mail_app, kind)
    assert row.status == OutboxStatus.SENT and row.content is None


def test_a_sent_address_confirmation_is_not_kept_and_its_notice_holds_no_link(
    mail_app, deliver, smtp_server, customer, as_customer
):
    new = "carla@new.example.com"
    asked = as_customer.post("/api/v1/me/email", json={"email": new, "current_password": PASSWORD})
    assert asked.status_code == 202
    assert "/account/email/" in stored(mail_app, "email_confirmation").content
    assert deliver().sent == 2
    [confirmation] = smtp_server.to(new)
    [notice] = smtp_server.to(customer.email)
    assert "/account/email/" in confirmation.get_body(("plain",)).get_content()
    assert "/account/email/" not in notice.get_body(("plain",)).get_content()
    assert stored(mail_app, "email_confirmation").content is None
    assert new in stored(mail_app, "email_change_notice").content  # a notice keeps its text


def test_a_link_given_up_on_is_not_kept_and_cannot_be_retried(
    mail_app, client, deliver, smtp_server, customer, as_admin
):
    ASKED["password_reset"](client, customer.email)
    smtp_server.answer("550 5.1.1 No such user")
    assert deliver().dead == 1
    row = stored(mail_app, "password_reset")
    assert row.status == OutboxStatus.DEAD and row.content is None
    retry = as_admin.post(f"/api/v1/admin/outbox/{row.id}/retry")
    assert retry.status_code == 409
    assert "ask for a new one" in retry.json["detail"]


def test_a_link_waiting_for_another_try_is_kept_and_sent_whole(
    mail_app, client, deliver, smtp_server, customer
):
    ASKED["password_reset"](client, customer.email)
    first = stored(mail_app, "password_reset")
    smtp_server.answer("451 4.3.0 Try again later")
    assert deliver().retrying == 1
    assert stored(mail_app, "password_reset").content == first.content
    make_due(mail_app)
    assert deliver().sent == 1
    delivered = smtp_server.messages[-1]
    assert delivered["Message-ID"] == f"<{first.message_id}>"
    assert LINK in delivered.get_body(("plain",)).get_content()


def test_notifications_keep_their_content_once_sent(mail_app, deliver, outbox, customer, factory):
    mail_app.config["MAIL_NOTIFY_STAFF_ON_NEW_TICKET"] = False
    factory.ticket(customer)
    deliver()
    row = outbox(kind="ticket_created")[0]
    assert row["status"] == OutboxStatus.SENT
    with mail_app.app_context():
        kept = db.session.scalar(select(OutboxMessage.content).where(OutboxMessage.id == row["id"]))
    assert kept is not None and "Subject:" in kept


def test_a_link_delivered_to_a_folder_is_in_the_file_not_the_database(
    app, client, customer, tmp_path
):
    app.config.update(SMTP_HOST=None, MAIL_OUTBOX_DIR=str(tmp_path / "mail"))
    ASKED["password_reset"](client, customer.email)
    with app.app_context():
        transport = transport_from_config(app.config, app.instance_path)
        assert run_worker(outbox_manager, transport, once=True).sent == 1
        db.session.remove()
    (written,) = (tmp_path / "mail").glob("*.eml")
    assert LINK in written.read_text()
    assert stored(app, "password_reset").content is None


def test_the_outbox_pages_show_a_sent_link_mail(
    mail_app, app, client, deliver, customer, admin, as_admin
):
    ASKED["password_reset"](client, customer.email)
    deliver()
    listed = as_admin.get("/api/v1/admin/outbox?status=sent")
    assert listed.status_code == 200
    (item,) = listed.json["items"]
    assert item["kind"] == "password_reset" and item["recipient"] == customer.email
    assert as_admin.get(f"/api/v1/admin/outbox/{item['id']}").status_code == 200
    browser = WebUser(app.test_client())
    browser.sign_in(admin)
    page = browser.get("/admin/outbox?status=sent")
    assert page.status_code == 200 and customer.email in page.get_data(as_text=True)
