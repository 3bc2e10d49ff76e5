"""Mail that made no ticket or reply: the admins' list (web, API, command line), the
download of a failed message, and retrying it."""

from __future__ import annotations

import html
import re
import smtplib

import pytest
from sqlalchemy import func, select

from tests.mail.conftest import corpus, fail_processing_with
from tests.web.conftest import WebUser
from ticketdesk.models import FailedMail, Ticket
from ticketdesk.services import queue_manager

ALICE = "alice@customer.example.com"
FAILED_REASON = "could not be processed: ValueError (see the log)"


def signed_in(app, person) -> WebUser:
    user = WebUser(app.test_client())
    user.sign_in(person)
    return user


def failed_ids(inspect_db) -> list[int]:
    return inspect_db(lambda s: list(s.scalars(select(FailedMail.id).order_by(FailedMail.id))))


def ticket_count(inspect_db) -> int:
    return inspect_db(lambda s: s.scalar(select(func.count(Ticket.id))))


@pytest.fixture
def failing(monkeypatch):
    """Processing fails as a bug would; calling the fixture's value fixes the bug."""
    fail_processing_with(monkeypatch, ValueError("a bug meeting this message"))
    return monkeypatch.undo


def test_mail_refused_over_lmtp_shows_on_the_admin_page_with_its_reason(mail_app, lmtp, admin):
    mail_app.config["MAIL_AUTO_CREATE_CUSTOMERS"] = False
    with pytest.raises(smtplib.SMTPDataError) as refused:
        lmtp(corpus("plain.eml"), sender=ALICE)
    assert refused.value.smtp_code == 550
    page = signed_in(mail_app, admin).html("/admin/inbound-mail?outcome=rejected")
    assert ALICE in page and "Printer on fire" in page and f"no account for {ALICE}" in page
    assert "No failed mail." in signed_in(mail_app, admin).html("/admin/inbound-mail")


def test_failed_mail_is_listed_downloaded_safely_and_retried_into_a_ticket(
    mail_app, lmtp, admin, inspect_db, failing
):
    lmtp(corpus("plain.eml"), sender=ALICE)
    [failed_id] = failed_ids(inspect_db)
    browser = signed_in(mail_app, admin)
    page = browser.html("/admin/outbox")
    assert "/admin/inbound-mail" in page
    page = browser.html("/admin/inbound-mail")  # failed mail first
    assert ALICE in page and "Printer on fire" in page and FAILED_REASON in page
    assert "the printer on floor 3" not in page  # the message itself is never shown
    download = browser.get(f"/admin/failed-mail/{failed_id}/raw")
    assert download.status_code == 200
    assert download.mimetype == "message/rfc822"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert b"the printer on floor 3 is on fire" in download.data
    failing()  # the bug is fixed
    response = browser.submit("/admin/inbound-mail", f"/admin/failed-mail/{failed_id}/retry")
    assert response.status_code == 302
    assert "It opened ticket #" in browser.html("/admin/inbound-mail")
    assert inspect_db(lambda s: list(s.scalars(select(Ticket.title)))) == ["Printer on fire"]
    assert failed_ids(inspect_db) == []
    assert browser.get(f"/admin/failed-mail/{failed_id}/raw").status_code == 404


def test_retry_without_csrf_token_changes_nothing(mail_app, lmtp, admin, inspect_db, failing):
    lmtp(corpus("plain.eml"), sender=ALICE)
    failing()
    [failed_id] = failed_ids(inspect_db)
    browser = signed_in(mail_app, admin)
    response = browser.client.post(f"/admin/failed-mail/{failed_id}/retry")
    assert response.status_code in (302, 400)
    assert failed_ids(inspect_db) == [failed_id] and ticket_count(inspect_db) == 0


def test_api_downloads_failed_mail_with_the_safe_headers(lmtp, as_admin, inspect_db, failing):
    lmtp(corpus("plain.eml"), sender=ALICE)
    [failed_id] = failed_ids(inspect_db)
    download = as_admin.get(f"/api/v1/admin/failed-mail/{failed_id}/raw")
    assert download.status_code == 200 and download.mimetype == "message/rfc822"
    assert download.headers["Content-Disposition"] == (
        f'attachment; filename="failed-mail-{failed_id}.eml"; '
        f"filename*=UTF-8''failed-mail-{failed_id}.eml"
    )
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_retry_sees_the_envelope_the_message_came_with(
    mail_app, lmtp, inspect_db, as_admin, admin, factory, failing
):
    """A recipient only in the envelope (a Bcc to sales@) picks the queue on a retry too."""
    with mail_app.app_context():
        queue_manager().create_queue(factory.load(admin), name="Sales")
    mail_app.config["MAIL_QUEUE_ADDRESSES"] = {"sales@helpdesk.example.com": "sales"}
    lmtp(corpus("plain.eml"), sender=ALICE, recipients=("sales@helpdesk.example.com",))
    [failed_id] = failed_ids(inspect_db)
    failing()
    retried = as_admin.post(f"/api/v1/admin/failed-mail/{failed_id}/retry")
    assert retried.status_code == 200 and retried.json["outcome"] == "ticket"
    ticket_id = retried.json["ticket_id"]
    assert inspect_db(lambda s: s.get(Ticket, ticket_id).queue.slug) == "sales"


def test_retrying_mail_handled_already_makes_nothing_twice(receive, inspect_db, as_admin):
    raw = corpus("plain.eml")
    assert receive(raw).outcome == "ticket"

    def keep_a_copy(session):  # as if another delivery of it had failed
        session.add(FailedMail(reason="could not be processed: X (see the log)", raw=raw))
        session.commit()

    inspect_db(keep_a_copy)
    [failed_id] = failed_ids(inspect_db)
    response = as_admin.post(f"/api/v1/admin/failed-mail/{failed_id}/retry")
    assert response.status_code == 200, response.json
    assert response.json["outcome"] == "duplicate"
    assert ticket_count(inspect_db) == 1 and failed_ids(inspect_db) == []
    again = as_admin.post(f"/api/v1/admin/failed-mail/{failed_id}/retry")
    assert again.status_code == 404 and again.mimetype == "application/problem+json"


def test_a_retry_that_fails_again_keeps_the_message_with_the_new_reason(
    mail_app, lmtp, inspect_db, as_admin, failing
):
    lmtp(corpus("plain.eml"), sender=ALICE)
    [failed_id] = failed_ids(inspect_db)
    failing()
    mail_app.config["MAIL_MAX_MESSAGE_BYTES"] = 100
    response = as_admin.post(f"/api/v1/admin/failed-mail/{failed_id}/retry")
    assert (response.json["outcome"], response.json["reason"]) == (
        "failed",
        "message larger than 100 bytes",
    )
    listed = as_admin.get("/api/v1/admin/inbound-mail?outcome=failed").json["items"]
    assert [(m["id"], m["sender"], m["reason"]) for m in listed] == [
        (failed_id, ALICE, "message larger than 100 bytes")
    ]
    assert ticket_count(inspect_db) == 0


def test_api_lists_one_outcome_a_page_at_a_time_newest_first(receive, as_admin):
    for n in range(3):
        receive(corpus("bounce.eml").replace(b"Message-ID: <", f"Message-ID: <{n}".encode()))
    first = as_admin.get("/api/v1/admin/inbound-mail?outcome=ignored&limit=2").json
    assert [m["outcome"] for m in first["items"]] == ["ignored", "ignored"]
    second = as_admin.get(
        f"/api/v1/admin/inbound-mail?outcome=ignored&limit=2&cursor={first['next_cursor']}"
    ).json
    ids = [m["id"] for m in first["items"] + second["items"]]
    assert len(ids) == 3 and ids == sorted(ids, reverse=True)
    assert second["next_cursor"] is None
    assert as_admin.get("/api/v1/admin/inbound-mail?outcome=rejected").json["items"] == []


def test_web_list_pages_older_mail(mail_app, receive, admin, monkeypatch, failing):
    monkeypatch.setattr("ticketdesk.web.inbound_mail.MESSAGES_PER_PAGE", 2)
    for n in range(3):
        raw = corpus("plain.eml").replace(b"plain-1@", f"plain-{n}@".encode())
        receive(raw.replace(b"Printer on fire", f"Message {n}".encode()))
    browser = signed_in(mail_app, admin)
    page = browser.html("/admin/inbound-mail?outcome=failed")
    assert "Message 2" in page and "Message 1" in page and "Message 0" not in page
    older = html.unescape(re.search(r'href="([^"]*before=[^"]*)"', page).group(1))
    page = browser.html(older)
    assert "Message 0" in page and "Message 1" not in page and "Older messages" not in page
    newer = html.unescape(re.search(r'href="([^"]*)" rel="prev">← Newer messages', page).group(1))
    page = browser.html(newer)
    assert "Message 2" in page and "Message 1" in page and "Message 0" not in page


def test_the_list_is_for_admins_only(as_staff, as_customer):
    for caller in (as_staff, as_customer):
        response = caller.get("/api/v1/admin/inbound-mail")
        assert response.status_code == 403
        assert response.mimetype == "application/problem+json"


def test_failed_mail_command_lists_and_retries(mail_app, lmtp, inspect_db, failing):
    lmtp(corpus("plain.eml"), sender=ALICE)
    [failed_id] = failed_ids(inspect_db)
    runner = mail_app.test_cli_runner()
    listed = runner.invoke(args=["failed-mail", "list"])
    assert listed.exit_code == 0, listed.output
    assert f"{failed_id}\t" in listed.output and ALICE in listed.output
    assert FAILED_REASON in listed.output
    again = runner.invoke(args=["failed-mail", "retry", str(failed_id)])
    assert again.exit_code == 1 and f"{failed_id}: failed: {FAILED_REASON}" in again.output
    failing()
    retried = runner.invoke(args=["failed-mail", "retry"])  # no ids: every one
    assert retried.exit_code == 0, retried.output
    assert f"{failed_id}: ticket on ticket #" in retried.output
    assert failed_ids(inspect_db) == [] and ticket_count(inspect_db) == 1
    assert "No failed mail." in runner.invoke(args=["failed-mail", "list"]).output
