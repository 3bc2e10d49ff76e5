"""The worker delivers the outbox to a real SMTP server, retries, and gives up."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import update

from ticketdesk.extensions import db
from ticketdesk.mail.worker import run_worker, transport_from_config
from ticketdesk.models import OutboxMessage, OutboxStatus, Role, utcnow
from ticketdesk.services import outbox_manager, ticket_manager


def make_due(app) -> None:
    """Skip the backoff wait: every pending message is due now."""
    with app.app_context():
        db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
        db.session.commit()
        db.session.remove()


def test_worker_sends_text_and_html_with_threading_headers(
    mail_app, deliver, smtp_server, outbox, customer, factory
):
    ticket = factory.ticket(customer, title="Printer <b>on</b> fire")
    result = deliver()
    assert result.sent == 1
    message = smtp_server.to(customer.email)[0]
    row = outbox(kind="ticket_created")[0]
    assert row["status"] == OutboxStatus.SENT and row["attempts"] == 1 and row["sent_at"]
    assert message["Subject"] == f"[#{ticket.id}] Printer <b>on</b> fire"
    assert message["Message-ID"] == f"<{row['message_id']}>"
    assert message["In-Reply-To"].startswith(f"<td-{ticket.id}-root-")
    assert message["References"] == message["In-Reply-To"]
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Reply-To"].startswith("support+t")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Printer <b>on</b> fire" in text
    assert "Printer &lt;b&gt;on&lt;/b&gt; fire" in html and "<b>on</b>" not in html


def test_every_message_has_its_own_message_id(
    mail_app, deliver, smtp_server, staff, customer, factory
):
    ticket = factory.ticket(customer)
    with mail_app.app_context():
        for n in range(3):
            ticket_manager().add_comment(factory.load(staff), ticket.id, body=f"reply {n}")
    deliver()
    ids = [message["Message-ID"] for message in smtp_server.messages]
    assert len(ids) == 5 and len(set(ids)) == 5
    roots = {message["References"].split()[0] for message in smtp_server.messages}
    assert len(roots) == 1  # one thread per ticket in the recipient's mail client


def test_reply_body_escapes_user_text_in_html(
    mail_app, deliver, smtp_server, staff, customer, factory
):
    ticket = factory.ticket(customer)
    with mail_app.app_context():
        body = '<img src=x onerror="alert(1)">\nline two'
        ticket_manager().add_comment(factory.load(staff), ticket.id, body=body)
    deliver()
    message = smtp_server.to(customer.email)[-1]
    html = message.get_body(("html",)).get_content()
    assert "<img" not in html and "&lt;img src=x" in html
    assert "line two" in message.get_body(("plain",)).get_content()


def test_temporary_failure_is_retried_with_backoff(
    mail_app, deliver, smtp_server, outbox, customer, factory
):
    mail_app.config["MAIL_NOTIFY_STAFF_ON_NEW_TICKET"] = False
    factory.ticket(customer)
    smtp_server.answer("451 4.3.0 Try again later")
    first = deliver()
    assert (first.sent, first.retrying) == (0, 1)
    row = outbox()[0]
    assert row["status"] == OutboxStatus.PENDING and row["attempts"] == 1
    assert row["next_attempt_at"] > utcnow() + timedelta(seconds=50)
    assert "451" in row["last_error"] and row["claimed_by"] is None
    assert deliver().claimed == 0  # not due yet
    make_due(mail_app)
    assert deliver().sent == 1
    assert outbox()[0]["status"] == OutboxStatus.SENT
    assert len(smtp_server.messages) == 1


def test_backoff_doubles_each_time(mail_app, deliver, smtp_server, outbox, customer, factory):
    mail_app.config["MAIL_NOTIFY_STAFF_ON_NEW_TICKET"] = False
    factory.ticket(customer)
    smtp_server.answer("421 4.7.0 busy", "450 4.2.1 mailbox busy")
    deliver()
    first_wait = outbox()[0]["next_attempt_at"] - utcnow()
    make_due(mail_app)
    deliver()
    second_wait = outbox()[0]["next_attempt_at"] - utcnow()
    assert timedelta(seconds=55) < first_wait <= timedelta(seconds=60)
    assert timedelta(seconds=115) < second_wait <= timedelta(seconds=120)


def test_permanent_failure_is_dead_at_once(
    mail_app, deliver, smtp_server, outbox, customer, factory
):
    mail_app.config["MAIL_NOTIFY_STAFF_ON_NEW_TICKET"] = False
    factory.ticket(customer)
    smtp_server.answer("550 5.1.1 No such user")
    assert deliver().dead == 1
    row = outbox()[0]
    assert row["status"] == OutboxStatus.DEAD and "550" in row["last_error"]
    make_due(mail_app)
    assert deliver().claimed == 0


def test_too_many_temporary_failures_is_dead(
    mail_app, deliver, smtp_server, outbox, customer, factory
):
    mail_app.config.update(MAIL_NOTIFY_STAFF_ON_NEW_TICKET=False, MAIL_MAX_ATTEMPTS=2)
    factory.ticket(customer)
    smtp_server.answer("451 busy", "451 busy")
    deliver()
    make_due(mail_app)
    assert deliver().dead == 1
    assert outbox()[0]["attempts"] == 2


def test_unreachable_server_is_a_temporary_failure(mail_app, deliver, outbox, customer, factory):
    from tests.mail.conftest import free_port

    mail_app.config.update(SMTP_PORT=free_port(), MAIL_NOTIFY_STAFF_ON_NEW_TICKET=False)
    factory.ticket(customer)
    assert deliver().retrying == 1
    assert outbox()[0]["status"] == OutboxStatus.PENDING


def test_without_smtp_messages_become_eml_files(
    mail_app, deliver, outbox, customer, factory, tmp_path
):
    mail_app.config.update(SMTP_HOST=None, MAIL_OUTBOX_DIR=str(tmp_path / "eml"))
    factory.ticket(customer)
    deliver()
    files = sorted((tmp_path / "eml").glob("*.eml"))
    assert len(files) == len(outbox()) >= 1
    assert b"Subject: [#" in files[0].read_bytes()


def test_default_eml_folder_is_in_the_instance(app):
    app.config["SMTP_HOST"] = None
    transport = transport_from_config(app.config, app.instance_path)
    assert str(transport.folder).startswith(app.instance_path)


def test_expired_claim_is_taken_over(mail_app, deliver, smtp_server, outbox, customer, factory):
    mail_app.config["MAIL_NOTIFY_STAFF_ON_NEW_TICKET"] = False
    factory.ticket(customer)
    with mail_app.app_context():
        assert len(outbox_manager().claim("crashed-worker")) == 1
        db.session.remove()
    assert deliver().claimed == 0  # the lease still holds
    with mail_app.app_context():
        db.session.execute(
            update(OutboxMessage).values(claimed_until=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        db.session.remove()
    assert deliver().sent == 1
    assert len(smtp_server.messages) == 1


def test_racing_workers_send_each_message_once(mail_app, smtp_server, outbox, factory):
    mail_app.config["MAIL_NOTIFY_STAFF_ON_NEW_TICKET"] = False
    customers = [factory.user(Role.CUSTOMER) for _ in range(6)]
    for person in customers:
        for _ in range(5):
            factory.ticket(person)
    total = len(outbox())
    assert total == 30
    results = []

    def work(name):
        with mail_app.app_context():
            transport = transport_from_config(mail_app.config, mail_app.instance_path)
            try:
                results.append(
                    run_worker(outbox_manager, transport, once=True, batch=3, worker_id=name)
                )
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    ids = [message["Message-ID"] for message in smtp_server.messages]
    assert len(ids) == total and len(set(ids)) == total
    assert sum(result.sent for result in results) == total
    assert all(row["status"] == OutboxStatus.SENT for row in outbox())


def test_worker_never_sends_a_message_whose_claim_another_worker_took_over(
    mail_app, smtp_server, outbox, customer, factory
):
    """A batch that outlasts its leases (a slow SMTP server): while the first message is
    being sent, the others' leases run out and a second worker claims them. The first
    worker must leave them to it, not send them too."""
    mail_app.config["MAIL_NOTIFY_STAFF_ON_NEW_TICKET"] = False
    for _ in range(3):
        factory.ticket(customer)
    first_id = outbox()[0]["id"]

    def take_over_the_rest():
        with mail_app.app_context():
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id != first_id)
                .values(claimed_until=utcnow() - timedelta(seconds=1))
            )
            db.session.commit()
            assert len(outbox_manager().claim("second-worker")) == 2
            db.session.remove()

    smtp_server.handler.on_first_message = take_over_the_rest
    with mail_app.app_context():
        transport = transport_from_config(mail_app.config, mail_app.instance_path)
        result = run_worker(outbox_manager, transport, once=True, worker_id="first-worker")
        db.session.remove()

    assert len(smtp_server.messages) == 1
    assert (result.sent, result.lost) == (1, 2)
    rows = outbox()
    assert rows[0]["status"] == OutboxStatus.SENT
    assert [(row["status"], row["claimed_by"], row["attempts"]) for row in rows[1:]] == [
        (OutboxStatus.PENDING, "second-worker", 0)
    ] * 2


@pytest.mark.parametrize("status", [OutboxStatus.PENDING, OutboxStatus.DEAD])
def test_outbox_listing_filters_by_status(
    mail_app, deliver, smtp_server, as_admin, customer, factory, status
):
    mail_app.config["MAIL_NOTIFY_STAFF_ON_NEW_TICKET"] = False
    factory.ticket(customer)
    factory.ticket(customer)
    smtp_server.answer("550 5.1.1 gone", "451 4.3.0 later")
    deliver()
    response = as_admin.get(f"/api/v1/admin/outbox?status={status.value}")
    assert response.status_code == 200
    assert [item["status"] for item in response.json["items"]] == [status.value]


def test_admin_retries_a_dead_message(
    mail_app, deliver, smtp_server, outbox, as_admin, customer, factory
):
    mail_app.config["MAIL_NOTIFY_STAFF_ON_NEW_TICKET"] = False
    factory.ticket(customer)
    smtp_server.answer("550 5.1.1 gone")
    deliver()
    dead = outbox()[0]
    response = as_admin.post(f"/api/v1/admin/outbox/{dead['id']}/retry")
    assert response.status_code == 200
    assert response.json["status"] == "pending" and response.json["attempts"] == 0
    assert deliver().sent == 1
    assert as_admin.post(f"/api/v1/admin/outbox/{dead['id']}/retry").status_code == 409


def test_admin_sends_every_dead_message_again_at_once(
    mail_app, deliver, smtp_server, outbox, as_admin, customer, factory
):
    mail_app.config["MAIL_NOTIFY_STAFF_ON_NEW_TICKET"] = False
    factory.ticket(customer)
    factory.ticket(customer)
    smtp_server.answer("550 relay down", "550 relay down")
    assert deliver().dead == 2

    response = as_admin.post("/api/v1/admin/outbox/retry-dead")

    assert response.status_code == 200 and response.json == {"retried": 2}
    assert [item["status"] for item in outbox()] == ["pending", "pending"]
    assert deliver().sent == 2
    assert as_admin.post("/api/v1/admin/outbox/retry-dead").json == {"retried": 0}


def test_only_admins_see_the_outbox(mail_app, as_staff, as_customer):
    assert as_staff.get("/api/v1/admin/outbox").status_code == 403
    assert as_customer.get("/api/v1/admin/outbox").status_code == 403
    assert as_staff.post("/api/v1/admin/outbox/1/retry").status_code == 403
    assert as_staff.post("/api/v1/admin/outbox/retry-dead").status_code == 403


def test_internationalised_address_is_sent_with_smtputf8(
    mail_app, deliver, smtp_server, outbox, factory
):
    mail_app.config["MAIL_NOTIFY_STAFF_ON_NEW_TICKET"] = False
    jurgen = factory.user(Role.CUSTOMER, name="Jürgen", email="jürgen@exämple.com")
    factory.ticket(jurgen, title="Drucker")
    assert deliver().sent == 1
    mail_from, recipients, message = smtp_server.handler.messages[0]
    assert recipients == ["jürgen@exämple.com"]
    assert "Drucker" in message["Subject"]


def test_old_sent_messages_are_purged_and_replies_still_thread(
    mail_app, deliver, outbox, receive, customer, factory
):
    ticket = factory.ticket(customer)
    deliver()
    sent = outbox(kind="ticket_created")[0]
    factory.ticket(customer)  # pending, and recent: both kept
    with mail_app.app_context():
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == sent["id"])
            .values(sent_at=utcnow() - timedelta(days=91))
        )
        db.session.commit()
        assert outbox_manager().purge_sent() == 1
        db.session.remove()
    assert sent["id"] not in [row["id"] for row in outbox()]
    reply = (
        f"From: {customer.email}\nTo: support@helpdesk.example.com\nSubject: Re: hello\n"
        f"Message-ID: <late@x.com>\nIn-Reply-To: <{sent['message_id']}>\n\nStill here.\n"
    )
    result = receive(reply)
    assert (result.outcome, result.ticket_id, result.rule) == ("comment", ticket.id, "token")
