"""Mail's text on the ticket page: it keeps its lines and reads as written."""

from __future__ import annotations

from ticketdesk.extensions import db
from ticketdesk.mail.intake import mail_intake


def test_mailed_text_shows_its_lines_on_the_ticket_page(app, staff_web):
    raw = (
        "From: Hans <hans@kunde.example.de>\nTo: support@localhost\nSubject: Drucker\n"
        "Message-ID: <lines@kunde.example.de>\nContent-Type: text/plain; charset=utf-8\n\n"
        "Der Drucker streikt.\n# 3 Seiten\n\nGrüße\nHans\n"
    ).encode()
    with app.app_context():
        ticket_id = mail_intake().receive(raw).ticket_id
        db.session.remove()
    page = staff_web.html(f"/tickets/{ticket_id}")
    assert "Grüße<br>\nHans" in page
    assert "Der Drucker streikt.<br>\n# 3 Seiten" in page and "<h1>3 Seiten" not in page
