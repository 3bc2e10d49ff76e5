"""`ticketdesk fetch-mail`: poll an IMAP mailbox and feed each unseen message to the intake.

A message is flagged \\Seen only after the intake has taken care of it, so a
crash or an unreachable database means it is fetched again next time; the
intake's unique message key makes that harmless.
"""

from __future__ import annotations

import imaplib
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int = 993
    tls: bool = True
    user: str = ""
    password: str = ""
    folder: str = "INBOX"


def fetch_mail(settings: ImapSettings, receive: Callable[[bytes], object]) -> int:
    """Hand every unseen message to `receive`; returns how many were taken care of."""
    if settings.tls:
        client = imaplib.IMAP4_SSL(
            settings.host, settings.port, ssl_context=ssl.create_default_context()
        )
    else:
        client = imaplib.IMAP4(settings.host, settings.port)
    handled = 0
    with client:
        client.login(settings.user, settings.password)
        client.select(_quoted(settings.folder))
        _, data = client.uid("SEARCH", None, "UNSEEN")
        for uid in (data[0] or b"").split():
            raw = _fetch(client, uid)
            if raw is None:
                continue
            receive(raw)
            client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            handled += 1
        client.close()
        client.logout()
    return handled


def _fetch(client: imaplib.IMAP4, uid: bytes) -> bytes | None:
    _, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
    for part in parts or ():
        if isinstance(part, tuple) and len(part) == 2:
            return part[1]
    log.warning("IMAP message %s could not be fetched", uid)
    return None


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
