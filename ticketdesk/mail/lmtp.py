"""`ticketdesk lmtp`: an LMTP server (aiosmtpd) that an MTA pushes mail to.

Each message is handed to the mail intake in a worker thread, inside an app
context. LMTP answers once per recipient: 250 when the message is taken care
of (ticket, comment, dropped auto-reply, duplicate, or kept as failed mail, as
is a message the intake meets an unexpected error on), 550 with the reason when
it is refused (so the MTA bounces it to the sender), 451 when something temporary
broke, such as the database (so the MTA tries again later).
"""

from __future__ import annotations

import asyncio
import logging

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP

from ticketdesk.mail.intake import IntakeUnavailable

log = logging.getLogger(__name__)

TRY_LATER = "451 4.3.0 Temporary failure, try again later"


class IntakeHandler:
    """aiosmtpd handler: every message goes to `mail_intake().receive`."""

    def __init__(self, app) -> None:
        self.app = app

    async def handle_DATA(self, server, session, envelope) -> str:
        loop = asyncio.get_running_loop()
        recipients = tuple(envelope.rcpt_tos)
        try:
            result = await loop.run_in_executor(
                None, self._receive, envelope.original_content, envelope.mail_from, recipients
            )
        except IntakeUnavailable as error:  # expected while the database is down: no trace
            log.warning("LMTP delivery deferred (451): %s", error)
            status = TRY_LATER
        except Exception:
            log.exception("LMTP delivery failed")
            status = TRY_LATER
        else:
            status = _status(result)
        return "\r\n".join([status] * max(1, len(recipients)))

    def _receive(self, raw: bytes, mail_from: str, recipients: tuple[str, ...]):
        from ticketdesk.extensions import db
        from ticketdesk.mail.intake import mail_intake

        with self.app.app_context():
            try:
                return mail_intake().receive(
                    raw, envelope_sender=mail_from or "", recipients=recipients
                )
            finally:
                db.session.remove()


def _status(result) -> str:
    if result.outcome == "rejected":
        reason = (result.reason or "refused").encode("ascii", "replace").decode()
        return "550 5.7.1 " + " ".join(reason.split())[:200]
    return f"250 2.0.0 OK {result.outcome}"


class LMTPController(Controller):
    """aiosmtpd's threaded controller, speaking LMTP instead of SMTP."""

    def factory(self):
        return LMTP(self.handler, **self.SMTP_kwargs)

    def _run(self, ready_event) -> None:
        super()._run(ready_event)
        if self._thread_exception is not None:
            # It could not listen (a port in use, a host that does not resolve): let
            # start() raise that now, not after waiting out its ready_timeout.
            self.loop.close()
            ready_event.set()

    def _trigger_server(self) -> None:
        if self._thread_exception is not None:
            raise self._thread_exception
        super()._trigger_server()


def lmtp_controller(app, host: str, port: int) -> LMTPController:
    """A controller for the app's intake; `.start()` it, `.stop()` it."""
    return LMTPController(
        IntakeHandler(app),
        hostname=host,
        port=port,
        data_size_limit=int(app.config["MAIL_MAX_MESSAGE_BYTES"]),
    )
