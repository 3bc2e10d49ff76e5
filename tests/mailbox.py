"""The mail Ticketdesk wrote to someone, read from the outbox as its recipient would read it."""

from __future__ import annotations

import email
import re
from dataclasses import dataclass

from sqlalchemy import select

from ticketdesk.extensions import db
from ticketdesk.models import OutboxMessage
from ticketdesk.services.notifications import notification_settings, render_notification


@dataclass(frozen=True)
class Mail:
    kind: str
    to: str
    subject: str
    text: str

    @property
    def words(self) -> str:
        """The plain text on one line: a phrase is found wherever the template wrapped it."""
        return " ".join(self.text.split())


def mails_to(app, address: str) -> list[Mail]:
    """Every message to `address` in the outbox, oldest first, as the worker will send it."""
    with app.app_context():
        settings = notification_settings(app.config)
        rows = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.recipient == address)
            .order_by(OutboxMessage.id)
        ).all()
        found = [
            (row.kind, row.content or render_notification(db.session, settings, row))
            for row in rows
        ]
        db.session.remove()
    found = [(kind, email.message_from_string(content)) for kind, content in found]
    return [
        Mail(kind, message["To"], message["Subject"], _text(message)) for kind, message in found
    ]


def mailed_token(app, address: str, kind: str = "password_reset") -> str:
    """The secret of the password link in the newest mail of this kind to `address`."""
    mail = [mail for mail in mails_to(app, address) if mail.kind == kind][-1]
    link = re.search(r"(\S+)/reset-password/(\S+)", mail.text)
    assert link.group(1) == app.config["BASE_URL"]
    return link.group(2)


def confirmation_token(app, address: str) -> str:
    """The secret of the link in the newest mail to `address` that confirms it as an
    account's new address."""
    mail = [mail for mail in mails_to(app, address) if mail.kind == "email_confirmation"][-1]
    link = re.search(r"(\S+)/account/email/(\S+)", mail.text)
    assert link.group(1) == app.config["BASE_URL"]
    return link.group(2)


def _text(message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode()
