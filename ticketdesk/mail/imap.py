"""`ticketdesk fetch-mail`: poll an IMAP mailbox and feed each unseen message to the intake.

A message is flagged \\Seen only after the intake has taken care of it (a message
it cannot process is kept as failed mail, and counts as taken care of), so a crash
or an unreachable database means it is fetched again next time; the intake's
unique message key makes that harmless. An error on one message leaves that
message unseen and goes on with the next; IntakeUnavailable (the database is
down) ends the run, since every other message would meet it too.
"""

from __future__ import annotations

import imaplib
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass

from ticketdesk.mail.intake import IntakeUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int = 993
    tls: bool = True
    user: str = ""
    password: str = ""
    folder: str = "INBOX"


class FolderMissing(imaplib.IMAP4.error):
    """The configured folder cannot be selected."""


@dataclass
class Fetched:
    handled: int = 0  # taken care of, and flagged \\Seen
    left: int = 0  # left unseen after an error: tried again next run


def fetch_mail(settings: ImapSettings, receive: Callable[[bytes], object]) -> Fetched:
    """Hand every unseen message to `receive`; says how many were taken care of."""
    if settings.tls:
        client = imaplib.IMAP4_SSL(
            settings.host, settings.port, ssl_context=ssl.create_default_context()
        )
    else:
        client = imaplib.IMAP4(settings.host, settings.port)
    fetched = Fetched()
    with client:
        client.login(settings.user, settings.password)
        _select(client, settings.folder)
        _, data = client.uid("SEARCH", None, "UNSEEN")
        for uid in (data[0] or b"").split():
            raw = _fetch(client, uid)
            if raw is None:
                continue
            if _received(receive, uid, raw):
                client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
                fetched.handled += 1
            else:
                fetched.left += 1
        client.close()
        client.logout()
    return fetched


def _select(client: imaplib.IMAP4, folder: str) -> None:
    status, data = client.select(_quoted(folder))
    if status != "OK":
        said = b" ".join(d for d in data or () if isinstance(d, bytes)).decode(errors="replace")
        raise FolderMissing(f'IMAP folder "{folder}" cannot be opened: {said}'.strip())


def _received(receive: Callable[[bytes], object], uid: bytes, raw: bytes) -> bool:
    """Whether `receive` took care of the message; IntakeUnavailable ends the run."""
    try:
        receive(raw)
    except IntakeUnavailable:
        raise
    except Exception:
        log.exception("IMAP message %s left unseen: receiving it failed", uid.decode())
        return False
    return True


def _fetch(client: imaplib.IMAP4, uid: bytes) -> bytes | None:
    _, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
    for part in parts or ():
        if isinstance(part, tuple) and len(part) == 2:
            return part[1]
    log.warning("IMAP message %s could not be fetched", uid)
    return None


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
