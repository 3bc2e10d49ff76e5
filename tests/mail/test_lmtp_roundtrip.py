"""LMTP over a real socket, and the whole round trip of a conversation by email."""

from __future__ import annotations

import logging
import smtplib
import threading
from email.message import EmailMessage

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from tests.mail.conftest import SUPPORT, corpus, fail_processing_with
from ticketdesk.models import Comment, FailedMail, InboundMessage, Role, ThreadRule, Ticket


def test_lmtp_delivery_opens_a_ticket(lmtp, inspect_db):
    lmtp(corpus("plain.eml"), sender="alice@customer.example.com")
    titles = inspect_db(lambda s: list(s.scalars(select(Ticket.title))))
    assert titles == ["Printer on fire"]


def test_lmtp_refuses_unclear_sender_with_the_reason(lmtp, inspect_db):
    with pytest.raises(smtplib.SMTPDataError) as refused:
        lmtp(corpus("two_from.eml"))
    assert refused.value.smtp_code == 550
    assert b"expected one From header" in refused.value.smtp_error
    assert inspect_db(lambda s: s.scalars(select(InboundMessage.outcome)).one()) == "rejected"


@pytest.mark.parametrize(
    "name, sender, options",
    [
        ("utf8_from.eml", "juergen@kunde.example.de", ()),
        ("utf8_address.eml", "jürgen@müller.example.de", ("SMTPUTF8",)),
    ],
)
def test_lmtp_accepts_raw_utf8_headers(lmtp, inspect_db, name, sender, options):
    assert lmtp(corpus(name), sender=sender, options=options) == {}
    requesters = inspect_db(lambda s: [t.requester.email for t in s.scalars(select(Ticket))])
    assert requesters == [sender]


def test_lmtp_accepts_and_drops_a_bounce(lmtp, inspect_db):
    lmtp(corpus("bounce.eml"), sender="")
    assert inspect_db(lambda s: s.scalars(select(Ticket)).all()) == []


def test_lmtp_keeps_malformed_mail(lmtp, inspect_db):
    lmtp(corpus("malformed.eml"))
    assert inspect_db(lambda s: s.scalars(select(InboundMessage)).all()) == []
    assert len(inspect_db(lambda s: s.scalars(select(FailedMail)).all())) == 1


def test_round_trip_customer_staff_customer(
    mail_app, lmtp, deliver, smtp_server, inspect_db, factory, as_staff, staff
):
    mail_app.config["MAIL_NOTIFY_STAFF_ON_NEW_TICKET"] = False
    # 1. The customer writes to support: a ticket appears, with an acknowledgement.
    lmtp(corpus("plain.eml"), sender="alice@customer.example.com")
    ticket_id = inspect_db(lambda s: s.scalars(select(Ticket.id)).one())
    deliver()
    ack = smtp_server.to("alice@customer.example.com")[-1]
    assert ack["In-Reply-To"] == "<plain-1@customer.example.com>"

    # 2. Staff reply through the API; the worker mails it to the customer.
    response = as_staff.post(
        f"/api/v1/tickets/{ticket_id}/comments", json={"body": "Evacuate, then unplug it."}
    )
    assert response.status_code == 201
    deliver()
    reply = smtp_server.to("alice@customer.example.com")[-1]
    assert reply["Subject"] == f"Re: [#{ticket_id}] Printer on fire"
    assert "Evacuate, then unplug it." in reply.get_body(("plain",)).get_content()

    # 3. The customer answers from their mail client, quoting us, to our Reply-To.
    answer = EmailMessage()
    answer["From"] = "Alice Example <alice@customer.example.com>"
    answer["To"] = reply["Reply-To"]
    answer["Subject"] = "Re: " + reply["Subject"]
    answer["Message-ID"] = "<answer-1@customer.example.com>"
    answer["In-Reply-To"] = reply["Message-ID"]
    answer["References"] = f"{reply['References']} {reply['Message-ID']}"
    quoted = "\n".join(
        "> " + line for line in reply.get_body(("plain",)).get_content().splitlines()
    )
    answer.set_content(
        f"Done, it is safe now.\n\nOn Tue, 24 Nov 2026, Example Support wrote:\n{quoted}\n"
    )
    lmtp(bytes(answer), sender="alice@customer.example.com", recipients=[reply["Reply-To"]])

    # 4. It lands on the same ticket, trimmed, threaded by our signed token.
    comments = inspect_db(
        lambda s: [
            (c.author.email, c.body) for c in s.scalars(select(Comment).order_by(Comment.id))
        ]
    )
    assert comments == [
        (staff.email, "Evacuate, then unplug it."),
        ("alice@customer.example.com", "Done, it is safe now."),
    ]
    rule = inspect_db(
        lambda s: s.scalar(
            select(InboundMessage.rule).where(
                InboundMessage.message_key == "answer-1@customer.example.com"
            )
        )
    )
    assert rule == ThreadRule.TOKEN
    assert inspect_db(lambda s: s.scalar(select(Ticket.id))) == ticket_id

    # 5. The assignee-less ticket's staff hear of the answer; the customer gets no echo.
    deliver()
    last = smtp_server.messages[-1]
    assert last["To"].addresses[0].addr_spec == staff.email
    assert "Done, it is safe now." in last.get_body(("plain",)).get_content()


def test_round_trip_reply_from_another_staff_member_by_mail(
    lmtp, deliver, smtp_server, inspect_db, factory, customer
):
    colleague = factory.user(Role.STAFF, email="colleague@example.com")
    ticket = factory.ticket(customer)
    deliver()
    notice = smtp_server.to(colleague.email)[-1]
    answer = EmailMessage()
    answer["From"] = colleague.email
    answer["To"] = notice["Reply-To"]
    answer["Subject"] = "Re: " + notice["Subject"]
    answer.set_content("I will take this one.")
    lmtp(bytes(answer), sender=colleague.email)
    comment = inspect_db(lambda s: s.scalars(select(Comment)).one())
    assert (comment.ticket_id, comment.body) == (ticket.id, "I will take this one.")


@pytest.mark.parametrize("number", ["2147483648", "99999999999"])
def test_lmtp_subject_number_past_the_id_column_opens_a_new_ticket(
    lmtp, inspect_db, customer, factory, number
):
    factory.ticket(customer)
    raw = (
        f"From: zed@example.com\nTo: {SUPPORT}\nSubject: Re: [#{number}] order status\n"
        f"Message-ID: <big-{number}@example.com>\n\nWhere is my order?\n"
    ).encode()
    lmtp(raw, sender="zed@example.com")
    opened = inspect_db(
        lambda s: [(t.requester.email, t.description) for t in s.scalars(select(Ticket))]
    )
    assert opened[1:] == [("zed@example.com", "Where is my order?")]


def test_lmtp_mail_through_a_google_group_opens_a_ticket_without_answering_the_list(
    lmtp, inspect_db, outbox, staff
):
    lmtp(corpus("google_group.eml"), sender="it-help+bncBD@corp.example.com")
    ticket = inspect_db(lambda s: s.scalars(select(Ticket)).one())
    assert (ticket.title, ticket.description) == (
        "[it-help] Laptop will not boot",
        "My laptop shows a black screen since this morning.",
    )
    assert [(r["kind"], r["recipient"]) for r in outbox()] == [("new_ticket_staff", staff.email)]
    logged = inspect_db(lambda s: s.scalars(select(InboundMessage)).one())
    assert (logged.outcome, logged.reason) == (
        "ticket",
        "Precedence: list: list mail, no automatic answer",
    )


def test_lmtp_keeps_a_message_it_cannot_process_and_accepts_it(lmtp, inspect_db, monkeypatch):
    fail_processing_with(monkeypatch, ValueError("a bug meeting this message"))
    lmtp(corpus("plain.eml"), sender="alice@customer.example.com")  # 250: no retries
    kept = inspect_db(lambda s: [(f.reason, f.raw) for f in s.scalars(select(FailedMail))])
    assert [reason for reason, _ in kept] == ["could not be processed: ValueError (see the log)"]
    assert b"the printer on floor 3 is on fire" in kept[0][1]
    assert inspect_db(lambda s: s.scalars(select(Ticket)).all()) == []


def test_lmtp_answers_451_while_the_database_is_unavailable(lmtp, inspect_db, monkeypatch):
    fail_processing_with(monkeypatch, OperationalError("SELECT 1", {}, Exception("refused")))
    with pytest.raises(smtplib.SMTPDataError) as deferred:
        lmtp(corpus("plain.eml"), sender="alice@customer.example.com")
    assert deferred.value.smtp_code == 451
    assert inspect_db(lambda s: s.scalars(select(FailedMail)).all()) == []
    monkeypatch.undo()
    lmtp(corpus("plain.eml"), sender="alice@customer.example.com")  # the MTA's next try
    assert inspect_db(lambda s: list(s.scalars(select(Ticket.title)))) == ["Printer on fire"]


def test_lmtp_logs_a_database_outage_in_one_line_without_a_traceback(lmtp, monkeypatch, caplog):
    """Expected while the database is down: 50 to 150 lines of chained traces per message
    buried the log. The MTA tries again; the log says why in one line."""
    fail_processing_with(monkeypatch, OperationalError("SELECT 1", {}, Exception("refused")))
    with caplog.at_level(logging.WARNING, logger="ticketdesk.mail.lmtp"):
        with pytest.raises(smtplib.SMTPDataError):
            lmtp(corpus("plain.eml"), sender="alice@customer.example.com")
    records = [r for r in caplog.records if r.name == "ticketdesk.mail.lmtp"]
    assert [(r.levelname, r.exc_info) for r in records] == [("WARNING", None)]
    assert "OperationalError" in records[0].getMessage()
    assert "refused" in records[0].getMessage()


def test_same_message_delivered_concurrently_makes_one_ticket(lmtp, inspect_db):
    raw = corpus("plain.eml")
    errors: list[BaseException] = []

    def deliver(recipient):
        try:
            lmtp(raw, sender="alice@customer.example.com", recipients=[recipient])
        except BaseException as error:  # re-raised in the test thread below
            errors.append(error)

    recipients = [SUPPORT, "billing@helpdesk.example.com", "sales@helpdesk.example.com"]
    threads = [threading.Thread(target=deliver, args=(address,)) for address in recipients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert inspect_db(lambda s: len(s.scalars(select(Ticket)).all())) == 1
    assert inspect_db(lambda s: len(s.scalars(select(InboundMessage)).all())) == 1
