"""Intake: threading order, who may write on a ticket, idempotence, queues and limits."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from sqlalchemy import func, select

from tests.mail.conftest import SUPPORT
from ticketdesk.mail.tokens import new_message_id, reply_address
from ticketdesk.models import (
    Attachment,
    Comment,
    FailedMail,
    InboundMessage,
    OutboxMessage,
    Role,
    ThreadRule,
    Ticket,
    User,
)
from ticketdesk.services import queue_manager

DOMAIN = SUPPORT.partition("@")[2]


def message(sender: str, subject: str = "Hello", body: str = "Some text.", **headers) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = headers.pop("to", SUPPORT)
    mail["Subject"] = subject
    mail["Message-ID"] = headers.pop("message_id", f"<{abs(hash((sender, subject, body)))}@x.com>")
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(body)
    return bytes(mail)


def count(inspect_db, model) -> int:
    return inspect_db(lambda s: s.scalar(select(func.count(model.id))))


@pytest.fixture
def secret(mail_app):
    return mail_app.config["SECRET_KEY"]


def test_signed_reply_address_threads_first(receive, customer, factory, secret):
    ticket = factory.ticket(customer)
    other = factory.ticket(customer)
    to = reply_address(secret, SUPPORT, ticket.id)
    result = receive(message(customer.email, f"Re: [#{other.id}] Hi", to=to))
    assert (result.outcome, result.ticket_id, result.rule) == ("comment", ticket.id, "token")


def test_signed_message_id_in_in_reply_to_threads(receive, customer, factory, secret):
    ticket = factory.ticket(customer)
    ours = new_message_id(secret, DOMAIN, ticket.id)
    result = receive(message(customer.email, "no token here", in_reply_to=f"<{ours}>"))
    assert (result.outcome, result.ticket_id, result.rule) == ("comment", ticket.id, "token")


def test_forged_token_is_not_trusted(receive, customer, factory, secret):
    ticket = factory.ticket(customer)
    forged = reply_address("not-our-key", SUPPORT, ticket.id)
    result = receive(message(customer.email, "Hi", to=forged))
    assert result.outcome == "ticket" and result.ticket_id != ticket.id


def test_unknown_reference_does_not_thread(receive, customer, factory):
    factory.ticket(customer)
    result = receive(message(customer.email, "Re: hi", references="<never-seen@x.com>"))
    assert (result.outcome, result.rule) == ("ticket", ThreadRule.NEW)


def test_follow_up_to_own_earlier_mail_threads_by_references(receive, customer):
    first = receive(message(customer.email, "Printer", message_id="<first@x.com>"))
    second = receive(message(customer.email, "Forgot", "More.", in_reply_to="<first@x.com>"))
    assert (second.outcome, second.ticket_id, second.rule) == (
        "comment",
        first.ticket_id,
        ThreadRule.REFERENCES,
    )


def test_known_outbound_message_id_threads_by_references(
    receive, inspect_db, customer, factory, secret
):
    ticket = factory.ticket(customer)

    def unsign(session):
        row = session.scalars(select(OutboxMessage)).first()
        row.message_id = "legacy-id@helpdesk.example.com"
        session.commit()

    inspect_db(unsign)
    result = receive(
        message(customer.email, "Re: hi", in_reply_to="<legacy-id@helpdesk.example.com>")
    )
    assert (result.ticket_id, result.rule) == (ticket.id, ThreadRule.REFERENCES)


def test_subject_token_threads_last(receive, customer, factory):
    ticket = factory.ticket(customer)
    result = receive(message(customer.email, f"Re: [#{ticket.id}] Printer"))
    assert (result.outcome, result.ticket_id, result.rule) == ("comment", ticket.id, "subject")


def test_subject_number_past_the_id_column_names_no_ticket(receive, customer, factory):
    factory.ticket(customer)
    result = receive(message(customer.email, "Re: [#2147483648] Order 1"))
    assert (result.outcome, result.rule) == ("ticket", ThreadRule.NEW)


def test_stranger_reply_starts_their_own_ticket(
    receive, inspect_db, customer, other_customer, factory
):
    ticket = factory.ticket(customer)
    result = receive(message(other_customer.email, f"Re: [#{ticket.id}] Printer"))
    assert result.outcome == "ticket" and result.ticket_id != ticket.id
    assert inspect_db(lambda s: s.get(Ticket, result.ticket_id).requester_id) == other_customer.id
    assert count(inspect_db, Comment) == 0


def test_stranger_reply_can_be_rejected(
    mail_app, receive, inspect_db, customer, other_customer, factory
):
    mail_app.config["MAIL_STRANGER_REPLY"] = "reject"
    ticket = factory.ticket(customer)
    result = receive(message(other_customer.email, f"Re: [#{ticket.id}] Printer"))
    assert result.outcome == "rejected" and "neither the requester" in result.reason
    assert count(inspect_db, Ticket) == 1


def test_staff_reply_by_mail_is_a_public_comment_to_the_requester(
    receive, inspect_db, outbox, staff, customer, factory
):
    ticket = factory.ticket(customer)
    result = receive(message(staff.email, f"Re: [#{ticket.id}] x", "We are on it."))
    assert result.outcome == "comment"
    assert inspect_db(lambda s: s.get(Comment, result.comment_id).internal) is False
    assert [r["recipient"] for r in outbox(kind="comment_added")] == [customer.email]


def test_customer_reply_by_mail_notifies_staff_and_threads_under_their_mail(
    receive, outbox, staff, customer, factory
):
    ticket = factory.ticket(customer)
    receive(message(customer.email, f"Re: [#{ticket.id}] x", message_id="<mine@x.com>"))
    row = outbox(kind="comment_added")[0]
    assert row["recipient"] == staff.email
    assert "In-Reply-To: <mine@x.com>" in row["content"]


def test_same_message_twice_makes_one_ticket(receive, inspect_db):
    raw = message("someone@example.com", "Once", to=SUPPORT)
    assert receive(raw).outcome == "ticket"
    again = raw.replace(b"To: ", b"Delivered-To: billing@helpdesk.example.com\nTo: ", 1)
    assert receive(again).outcome == "duplicate"
    assert count(inspect_db, Ticket) == 1 and count(inspect_db, InboundMessage) == 1


def test_same_reply_twice_makes_one_comment(receive, inspect_db, customer, factory):
    ticket = factory.ticket(customer)
    raw = message(customer.email, f"Re: [#{ticket.id}] x")
    assert receive(raw).outcome == "comment"
    assert receive(raw).outcome == "duplicate"
    assert count(inspect_db, Comment) == 1


def test_message_without_id_is_deduplicated_by_content(receive, inspect_db):
    raw = b"From: a@example.com\nTo: support@helpdesk.example.com\nSubject: x\n\nbody\n"
    assert receive(raw).outcome == "ticket"
    assert receive(b"Received: from mx2\n" + raw).outcome == "duplicate"
    assert count(inspect_db, Ticket) == 1


def without_id_with_file(filename: str, content: bytes) -> bytes:
    mail = EmailMessage()
    mail["From"] = "a@example.com"
    mail["To"] = SUPPORT
    mail["Subject"] = "The file"
    mail["Date"] = "Mon, 05 Jan 2026 10:00:00 +0000"
    mail.set_content("Here it is.")
    mail.add_attachment(content, maintype="application", subtype="octet-stream", filename=filename)
    return bytes(mail)


@pytest.mark.parametrize(
    "second", [("a.bin", b"first file"), ("a.txt", b"second file")], ids=["name", "bytes"]
)
def test_message_without_id_and_another_file_is_not_a_duplicate(receive, inspect_db, second):
    """The same words sent again with another file (by name or by content) is new mail."""
    assert receive(without_id_with_file("a.txt", b"first file")).outcome == "ticket"
    assert receive(without_id_with_file(*second)).outcome == "ticket"
    assert receive(without_id_with_file(*second)).outcome == "duplicate"
    assert count(inspect_db, Ticket) == 2


def test_a_sender_name_that_reorders_text_is_cleaned_not_refused(receive, inspect_db):
    result = receive(message('"Sam \u202eloot" <sam@example.net>'))

    assert result.outcome == "ticket"
    names = inspect_db(
        lambda s: s.scalars(select(User.name).where(User.email == "sam@example.net"))
    )
    assert list(names) == ["Sam loot"]


def test_a_subject_that_reorders_text_is_cleaned_into_a_title(receive, inspect_db):
    result = receive(message("sam@example.net", "Invoice \u202efdp.exe\tnow"))

    assert result.outcome == "ticket"
    titles = inspect_db(lambda s: s.scalars(select(Ticket.title)))
    assert list(titles) == ["Invoice fdp.exe now"]


def test_unknown_sender_is_rejected_when_accounts_are_not_created(mail_app, receive, inspect_db):
    mail_app.config["MAIL_AUTO_CREATE_CUSTOMERS"] = False
    result = receive(message("new@example.com"))
    assert (result.outcome, result.reason) == ("rejected", "no account for new@example.com")
    assert count(inspect_db, Ticket) == 0


def test_deactivated_account_is_rejected(receive, customer, factory):
    factory.deactivate(customer)
    assert receive(message(customer.email)).outcome == "rejected"


def test_recipient_address_picks_the_queue(mail_app, receive, inspect_db, admin, factory):
    with mail_app.app_context():
        billing = queue_manager().create_queue(factory.load(admin), name="Billing").id
    mail_app.config["MAIL_QUEUE_ADDRESSES"] = {"Billing@helpdesk.example.com": "billing"}
    result = receive(message("payer@example.com", to="billing@helpdesk.example.com"))
    assert inspect_db(lambda s: s.get(Ticket, result.ticket_id).queue.slug) == "billing"
    assert billing
    other = receive(message("payer@example.com", "Other", to=SUPPORT))
    assert inspect_db(lambda s: s.get(Ticket, other.ticket_id).queue.slug) == "general"


def test_envelope_recipient_counts_for_the_queue_and_the_token(receive, customer, factory, secret):
    ticket = factory.ticket(customer)
    to = reply_address(secret, SUPPORT, ticket.id)
    result = receive(message(customer.email, "Hi"), recipients=[to])
    assert (result.ticket_id, result.rule) == (ticket.id, ThreadRule.TOKEN)


def test_too_large_message_is_kept_as_failed(mail_app, receive, inspect_db):
    mail_app.config["MAIL_MAX_MESSAGE_BYTES"] = 1000
    result = receive(message("big@example.com", body="x" * 2000))
    assert result.outcome == "failed" and "larger than 1000" in result.reason
    assert count(inspect_db, FailedMail) == 1 and count(inspect_db, Ticket) == 0


def test_very_long_body_is_truncated_not_refused(receive, inspect_db):
    result = receive(message("long@example.com", body="word " * 20000))
    description = inspect_db(lambda s: s.get(Ticket, result.ticket_id).description)
    assert description.endswith("[... message truncated]") and len(description) <= 50_000


def test_null_envelope_sender_is_ignored(receive, inspect_db):
    assert receive(message("x@example.com"), envelope_sender="").outcome == "ignored"
    assert count(inspect_db, Ticket) == 0


@pytest.mark.parametrize("subject", ["", "Subject: =?utf-8?q?=E2=80=8B?=\n"])
def test_empty_subject_and_body_still_make_a_ticket(receive, inspect_db, subject):
    """No subject, or one that shows nothing (a zero-width space), is "(no subject)"."""
    raw = (
        f"From: q@example.com\nTo: support@helpdesk.example.com\nMessage-ID: <e@x.com>\n{subject}\n"
    ).encode()
    result = receive(raw)
    ticket = inspect_db(
        lambda s: (
            s.get(Ticket, result.ticket_id).title,
            s.get(Ticket, result.ticket_id).description,
        )
    )
    assert ticket == ("(no subject)", "(no text)")


def test_ack_for_a_mailed_ticket_threads_under_the_customers_mail(receive, outbox):
    result = receive(message("new@example.com", "Help", message_id="<orig@x.com>"))
    ack = outbox(kind="ticket_created")[0]
    assert ack["ticket_id"] == result.ticket_id and ack["recipient"] == "new@example.com"
    assert "In-Reply-To: <orig@x.com>" in ack["content"]


def test_staff_see_which_rule_threaded_each_message(
    receive, as_staff, as_customer, customer, factory
):
    ticket = factory.ticket(customer)
    receive(message(customer.email, f"Re: [#{ticket.id}] x", message_id="<r1@x.com>"))
    response = as_staff.get(f"/api/v1/tickets/{ticket.id}/mail")
    assert response.status_code == 200
    assert [(m["message_key"], m["rule"], m["outcome"]) for m in response.json] == [
        ("r1@x.com", "subject", "comment")
    ]
    assert as_customer.get(f"/api/v1/tickets/{ticket.id}/mail").status_code == 403


def test_ticket_history_records_the_threading_rule_for_staff_only(
    receive, as_staff, as_customer, customer, factory
):
    ticket = factory.ticket(customer)
    receive(message(customer.email, f"Re: [#{ticket.id}] x", message_id="<r2@x.com>"))
    staff_history = as_staff.get(f"/api/v1/tickets/{ticket.id}/events").json["items"]
    mail_events = [e for e in staff_history if e["kind"] == "mail"]
    assert [(e["actor_id"], e["new_value"]) for e in mail_events] == [
        (customer.id, "subject: r2@x.com")
    ]
    customer_history = as_customer.get(f"/api/v1/tickets/{ticket.id}/events").json["items"]
    assert "mail" not in [e["kind"] for e in customer_history]


def test_staff_member_by_role_may_write_on_any_ticket(receive, factory, customer):
    admin = factory.user(Role.ADMIN, email="boss@example.com")
    ticket = factory.ticket(customer)
    assert receive(message(admin.email, f"[#{ticket.id}] note")).outcome == "comment"


@pytest.mark.parametrize(
    "raw, title",
    [
        (
            b"From: n@example.com\nSubject: \xff\x00bad\nMessage-ID: <n1@x.com>\n\nbody \x00\xff\n",
            "bad",
        ),
        (
            b"From: n@example.com\nSubject: deep\nContent-Type: multipart/mixed; boundary=a\n\n"
            + b"--a\nContent-Type: multipart/mixed; boundary=a\n\n" * 300
            + b"x\n--a--\n",
            "deep",
        ),
        (
            b"From: n@example.com\nSubject: b64\nContent-Transfer-Encoding: base64\n\n!!!@@@\n",
            "b64",
        ),
        (b"From: n@example.com\nSubject: x\nContent-Type: multipart/mixed\n\nno boundary\n", "x"),
    ],
)
def test_messy_mail_still_makes_a_storable_ticket(receive, inspect_db, raw, title):
    result = receive(raw)
    assert result.outcome == "ticket"
    stored = inspect_db(lambda s: s.get(Ticket, result.ticket_id))
    assert title in stored.title and "\x00" not in stored.title + stored.description


def test_single_part_attachment_is_stored(receive, inspect_db):
    raw = (
        b"From: n@example.com\nSubject: scan\nContent-Type: application/pdf\n"
        b"Content-Disposition: attachment; filename=scan.pdf\nContent-Transfer-Encoding: base64\n\n"
        b"JVBERi0xLjQK\n"
    )
    result = receive(raw)
    description = inspect_db(lambda s: s.get(Ticket, result.ticket_id).description)
    files = inspect_db(lambda s: s.execute(select(Attachment.filename, Attachment.size)).all())
    assert description == "(no text)"
    assert [tuple(row) for row in files] == [("scan.pdf", 9)]


def test_our_own_notification_coming_back_is_ignored(
    receive, outbox, inspect_db, customer, factory
):
    ticket = factory.ticket(customer)
    ours = outbox(kind="ticket_created")[0]["content"].encode()
    result = receive(ours)
    assert (result.outcome, result.reason) == ("ignored", "Auto-Submitted: auto-generated")
    assert count(inspect_db, Comment) == 0
    assert count(inspect_db, Ticket) == 1 and ticket.id


def test_list_reply_from_the_requester_becomes_a_comment(receive, outbox, staff, customer, factory):
    ticket = factory.ticket(customer)
    before = len(outbox())
    raw = message(customer.email, f"Re: [#{ticket.id}] x", precedence="list", list_id="<l.x.com>")
    result = receive(raw)
    assert (result.outcome, result.ticket_id) == ("comment", ticket.id)
    assert [r["kind"] for r in outbox()[before:]] == ["comment_added"]  # to staff only
    assert all(r["recipient"] != customer.email for r in outbox()[before:])


@pytest.mark.parametrize(
    "headers",
    [
        {"list_id": "<l.x.com>"},
        {"precedence": "list", "list_id": "<l.x.com>"},
    ],
)
def test_new_ticket_from_list_mail_sends_no_acknowledgement(receive, outbox, headers):
    result = receive(message("member@example.com", "Help", **headers))
    assert result.outcome == "ticket"
    assert [r for r in outbox() if r["kind"] == "ticket_created"] == []


@pytest.mark.parametrize(
    "headers, reason",
    [
        ({"precedence": "bulk"}, "Precedence: bulk"),
        ({"precedence": "junk"}, "Precedence: junk"),
        (
            {"precedence": "list", "auto_submitted": "auto-replied"},
            "Auto-Submitted: auto-replied",
        ),
        ({"precedence": "list", "x_autoreply": "yes"}, "X-Autoreply header"),
    ],
)
def test_machine_mail_is_still_ignored_list_or_not(receive, inspect_db, headers, reason):
    result = receive(message("robot@example.com", "Hi", **headers))
    assert (result.outcome, result.reason) == ("ignored", reason)
    assert count(inspect_db, Ticket) == 0


def test_our_notification_back_through_a_list_that_dropped_auto_submitted_is_ignored(
    receive, outbox, inspect_db, customer, factory
):
    factory.ticket(customer)
    ours = outbox(kind="ticket_created")[0]["content"]
    relayed = ours.replace("Auto-Submitted: auto-generated", "Precedence: list")
    assert "Auto-Submitted" not in relayed
    result = receive(relayed.encode())
    assert (result.outcome, result.reason) == ("ignored", "our own notification")
    assert count(inspect_db, Ticket) == 1 and count(inspect_db, Comment) == 0


@pytest.mark.parametrize(
    "subject",
    [
        "Out of Office AutoReply: [#{id}] Printer",
        "Automatic reply: [#{id}] Printer",
        "Abwesenheitsnotiz: [#{id}] Printer",
        "Automatische Antwort: [#{id}] Printer",
        "Réponse automatique : [#{id}] Printer",
    ],
)
def test_out_of_office_subject_with_auto_response_suppress_is_ignored(
    receive, inspect_db, customer, factory, subject
):
    ticket = factory.ticket(customer)
    raw = message(customer.email, subject.format(id=ticket.id), x_auto_response_suppress="All")
    result = receive(raw)
    assert result.outcome == "ignored"
    assert result.reason == "out-of-office subject with X-Auto-Response-Suppress"
    assert count(inspect_db, Comment) == 0


@pytest.mark.parametrize(
    "subject, headers",
    [
        ("Re: [#{id}] Printer", {"x_auto_response_suppress": "All"}),  # Outlook, by a person
        ("Automatic reply: [#{id}] Printer", {}),  # a person's words
        ("RE: Automatic reply: [#{id}] Printer", {"x_auto_response_suppress": "All"}),
        ("[#{id}] Out of office until Monday", {"x_auto_response_suppress": "All"}),
    ],
)
def test_one_out_of_office_sign_alone_is_a_comment(receive, customer, factory, subject, headers):
    ticket = factory.ticket(customer)
    result = receive(message(customer.email, subject.format(id=ticket.id), **headers))
    assert (result.outcome, result.ticket_id) == ("comment", ticket.id)


def test_outlook_html_reply_is_trimmed_at_its_reply_header(receive, inspect_db, customer, factory):
    ticket = factory.ticket(customer)
    html = (
        "<html><body><div>Works now, thanks!</div>"
        '<div id="divRplyFwdMsg"><b>From:</b> Support<br><b>Sent:</b> Monday</div>'
        "<div>Please try again.</div></body></html>"
    )
    mail = EmailMessage()
    mail["From"] = customer.email
    mail["To"] = SUPPORT
    mail["Subject"] = f"RE: [#{ticket.id}] x"
    mail["Message-ID"] = "<outlook-html@x.com>"
    mail.set_content(html, subtype="html")
    result = receive(bytes(mail))
    assert inspect_db(lambda s: s.get(Comment, result.comment_id).body) == "Works now, thanks!"


def test_windows_1252_bytes_labelled_latin1_leave_no_control_characters(receive, inspect_db):
    raw = (
        b"From: hans@kunde.example.de\nTo: support@helpdesk.example.com\n"
        b"Subject: =?iso-8859-1?Q?Rechnung_=FCber_100_=80?=\nMessage-ID: <m01@kunde.example.de>\n"
        b"Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\n"
        b"Ich kann die Rechnung nicht \x84\xf6ffnen\x93 \x96 sie kostet 100 \x80.\n"
    )
    result = receive(raw)
    stored = inspect_db(lambda s: s.get(Ticket, result.ticket_id))
    text = stored.title + stored.description
    assert "über" in text and not any("\x80" <= char <= "\x9f" for char in text)


def test_mail_text_is_stored_as_markdown_that_keeps_its_lines(receive, inspect_db):
    body = "Hello,\n# not a heading\n    not code\n\nGrüße\nHans"
    result = receive(message("hans@kunde.example.de", "Lines", body))
    description = inspect_db(lambda s: s.get(Ticket, result.ticket_id).description)
    assert description == "Hello,  \n\\# not a heading  \n\xa0\xa0\xa0\xa0not code\n\nGrüße  \nHans"
