"""Notifications are written by the request as facts and rendered by the worker."""

from __future__ import annotations

from sqlalchemy import delete, select

from ticketdesk.extensions import db
from ticketdesk.models import OutboxMessage, OutboxStatus, Ticket, TicketStatus
from ticketdesk.services import ticket_manager


def stored(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        db.session.expunge_all()
        return rows


def test_request_writes_no_content_and_worker_keeps_what_it_sent(
    mail_app, deliver, smtp_server, customer, factory
):
    mail_app.config["MAIL_NOTIFY_STAFF_ON_NEW_TICKET"] = False
    factory.ticket(customer, title="Scanner jams")
    assert [row.content for row in stored(mail_app)] == [None]
    deliver()
    row = stored(mail_app)[0]
    assert row.status == OutboxStatus.SENT
    assert row.content is not None and "Scanner jams" in row.content
    sent = smtp_server.messages[0]
    assert sent["Message-ID"] == f"<{row.message_id}>"


def test_retry_sends_the_same_bytes(mail_app, deliver, smtp_server, customer, factory):
    mail_app.config["MAIL_NOTIFY_STAFF_ON_NEW_TICKET"] = False
    ticket = factory.ticket(customer, title="Before")
    smtp_server.answer("451 4.3.0 Try again later")
    deliver()
    first = stored(mail_app)[0]
    assert first.status == OutboxStatus.PENDING and first.content is not None
    with mail_app.app_context():
        db.session.get(Ticket, ticket.id).title = "After"
        db.session.commit()
        db.session.execute(
            OutboxMessage.__table__.update().values(next_attempt_at=first.created_at)
        )
        db.session.commit()
    deliver()
    assert stored(mail_app)[0].content == first.content
    assert "Before" in smtp_server.messages[-1].get_body(("plain",)).get_content()


def test_resolved_notice_says_resolved_even_if_reopened_before_sending(
    mail_app, deliver, smtp_server, staff, customer, factory
):
    mail_app.config["MAIL_NOTIFY_STAFF_ON_NEW_TICKET"] = False
    ticket = factory.ticket(customer)
    with mail_app.app_context():
        manager = ticket_manager()
        manager.update_ticket(factory.load(staff), ticket.id, {"status": TicketStatus.RESOLVED})
        manager.update_ticket(factory.load(staff), ticket.id, {"status": TicketStatus.OPEN})
    deliver()
    notice = next(m for m in smtp_server.messages if "Resolved" in m["Subject"])
    assert "has been resolved" in notice.get_body(("plain",)).get_content()


def test_notice_about_a_deleted_ticket_is_dead_with_the_reason(
    mail_app, deliver, smtp_server, customer, factory
):
    mail_app.config["MAIL_NOTIFY_STAFF_ON_NEW_TICKET"] = False
    ticket = factory.ticket(customer)
    with mail_app.app_context():
        db.session.execute(delete(Ticket).where(Ticket.id == ticket.id))
        db.session.commit()
    result = deliver()
    assert result.dead == 1 and smtp_server.messages == []
    row = stored(mail_app)[0]
    assert row.status == OutboxStatus.DEAD and "no longer exists" in row.last_error
