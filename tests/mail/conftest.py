"""Mail fixtures: a real SMTP server (aiosmtpd) on a loopback port, mail-ready apps, helpers."""

from __future__ import annotations

import smtplib
import threading
from collections import deque
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from tests.ports import free_port
from ticketdesk.extensions import db
from ticketdesk.mail.intake import MailIntake, mail_intake
from ticketdesk.mail.lmtp import lmtp_controller
from ticketdesk.mail.worker import run_worker, transport_from_config
from ticketdesk.models import OutboxMessage
from ticketdesk.services import outbox_manager
from ticketdesk.services.notifications import notification_settings, render_notification
from ticketdesk.services.password_reset import LINK_KINDS

SUPPORT = "support@helpdesk.example.com"


class RecordingHandler:
    """Answers each DATA with the next scripted reply (250 once the script is used up)."""

    def __init__(self) -> None:
        self.messages: list = []
        self.replies: deque[str] = deque()
        self.lock = threading.Lock()
        # Run as the first message arrives, before it is answered: what happens elsewhere
        # while a slow server keeps a worker waiting.
        self.on_first_message = None

    async def handle_DATA(self, server, session, envelope):
        if self.on_first_message is not None:
            hook, self.on_first_message = self.on_first_message, None
            hook()
        with self.lock:
            reply = self.replies.popleft() if self.replies else "250 OK"
            if reply.startswith("250"):
                self.messages.append(
                    (
                        envelope.mail_from,
                        list(envelope.rcpt_tos),
                        message_from_bytes(envelope.original_content, policy=policy.default),
                    )
                )
        return reply


class SmtpServer:
    def __init__(self, handler: RecordingHandler, port: int) -> None:
        self.handler = handler
        self.port = port

    @property
    def messages(self):
        return [message for _, _, message in self.handler.messages]

    def answer(self, *replies: str) -> None:
        self.handler.replies.extend(replies)

    def to(self, address: str):
        return [m for _, rcpt, m in self.handler.messages if address in rcpt]


@pytest.fixture
def smtp_server():
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    controller.start()
    yield SmtpServer(handler, port)
    controller.stop()


@pytest.fixture
def mail_app(app, smtp_server):
    """The test app, sending through the in-process SMTP server."""
    app.config.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=smtp_server.port,
        SMTP_TIMEOUT=5,
        MAIL_FROM=f"Example Support <{SUPPORT}>",
        MAIL_REPLY_ADDRESS=SUPPORT,
        MAIL_RETRY_BASE_SECONDS=60,
    )
    return app


@pytest.fixture
def deliver(mail_app):
    """Run one `ticketdesk worker --once` pass; returns its totals."""

    def run():
        with mail_app.app_context():
            transport = transport_from_config(mail_app.config, mail_app.instance_path)
            try:
                return run_worker(outbox_manager, transport, once=True)
            finally:
                db.session.remove()

    return run


@pytest.fixture
def outbox(mail_app):
    """The outbox rows, oldest first, as plain dicts; `content` as the worker will send it."""

    def rows(**where):
        with mail_app.app_context():
            settings = notification_settings(mail_app.config)
            query = select(OutboxMessage).order_by(OutboxMessage.id)
            for name, value in where.items():
                query = query.where(getattr(OutboxMessage, name) == value)
            columns = OutboxMessage.__table__.columns.keys()
            found = []
            for row in db.session.scalars(query).all():
                found.append({column: getattr(row, column) for column in columns})
                if row.content is None and row.kind not in LINK_KINDS:
                    found[-1]["content"] = render_notification(db.session, settings, row)
            db.session.remove()
            return found

    return rows


CORPUS = Path(__file__).parent / "corpus"


def corpus(name: str, **values) -> bytes:
    """A message from the corpus, with `{placeholders}` filled in."""
    raw = (CORPUS / name).read_bytes()
    for key, value in values.items():
        raw = raw.replace(b"{" + key.encode() + b"}", str(value).encode())
    return raw


@pytest.fixture
def receive(mail_app):
    """Feed one raw message to the intake, as fetch-mail and lmtp do."""

    def run(raw: bytes | str, **kwargs):
        with mail_app.app_context():
            try:
                return mail_intake().receive(
                    raw.encode() if isinstance(raw, str) else raw, **kwargs
                )
            finally:
                db.session.remove()

    return run


@pytest.fixture
def inspect_db(mail_app):
    """Run a function with the session inside the app, returning plain data."""

    def run(function):
        with mail_app.app_context():
            try:
                return function(db.session)
            finally:
                db.session.remove()

    return run


@pytest.fixture
def lmtp(mail_app):
    """`ticketdesk lmtp` on a loopback port; yields a function that delivers one message."""
    port = free_port()
    controller = lmtp_controller(mail_app, "127.0.0.1", port)
    controller.start()

    def deliver(
        raw: bytes, *, sender: str = "someone@example.com", recipients=(SUPPORT,), options=()
    ):
        with smtplib.LMTP("127.0.0.1", port, timeout=10) as client:
            return client.sendmail(sender, list(recipients), raw, mail_options=list(options))

    yield deliver
    controller.stop()


def fail_processing_with(monkeypatch, error: Exception) -> None:
    """Every message meets `error` in the intake, as a bug would (a DataError, say)."""

    def failing(intake, mail, **options):
        raise error

    monkeypatch.setattr(MailIntake, "_route", failing)
