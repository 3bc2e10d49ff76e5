"""Delivering a rendered message: over SMTP, or into a folder of .eml files.

Every failure is a DeliveryError that says whether trying again can help: SMTP
5xx answers are permanent; 4xx answers, refused connections and timeouts are
temporary.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Job:
    """A claimed outbox row, detached from the database while it is sent."""

    id: int
    recipient: str
    message_id: str
    content: str | None  # None until the worker renders it
    attempts: int


class DeliveryError(Exception):
    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class TransportUnavailable(DeliveryError):
    """Nothing can be sent now, whichever the message: the relay cannot be reached or
    will not let us in, or the folder cannot be written. Never the message's fault, so
    never permanent for it; `misconfigured` when a setting must change first (a login
    the relay refuses), rather than the relay coming back."""

    def __init__(self, reason: str, *, misconfigured: bool = False) -> None:
        super().__init__(reason, permanent=False)
        self.misconfigured = misconfigured


class Transport(Protocol):
    def send(self, sender: str, job: Job) -> None: ...

    def check(self) -> None:
        """Raise TransportUnavailable unless a message could be sent now."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    starttls: bool = False
    tls: bool = False  # implicit TLS from the first byte (usually port 465)
    user: str | None = None
    password: str | None = None
    timeout: float = 30
    ca_file: str | None = None  # trust this CA (a private relay) instead of the system's


class SmtpTransport:
    """One SMTP connection, opened on first use and reused for a batch."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._connection: smtplib.SMTP | None = None

    def send(self, sender: str, job: Job) -> None:
        connection = self._connection or self._connected()
        self._connection = connection
        try:
            options = [] if job.content.isascii() else ["SMTPUTF8"]
            connection.sendmail(
                sender, [job.recipient], job.content.encode("utf-8"), mail_options=options
            )
        except smtplib.SMTPRecipientsRefused as error:
            self._drop()
            code, answer = next(iter(error.recipients.values()))
            raise _answer_error(code, answer) from None
        except smtplib.SMTPResponseException as error:
            self._drop()
            raise _answer_error(error.smtp_code, error.smtp_error) from None
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            raise DeliveryError(f"{type(error).__name__}: {error}", permanent=False) from None

    def check(self) -> None:
        self.close()
        self._connection = self._connected()
        self.close()

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._connection = None

    def _connected(self) -> smtplib.SMTP:
        """A new connection, through TLS and the login where configured. A refusal here
        (a 535 for the login, say) is about the relay and our settings, not the message:
        read as the message's, it made every message of the batch dead."""
        where = f"{self.settings.host}:{self.settings.port}"
        try:
            return self._connect()
        except smtplib.SMTPAuthenticationError as error:
            answer = _answer_text(error.smtp_error)
            raise TransportUnavailable(
                f"{where} refused the login (SMTP {error.smtp_code} {answer}):"
                " check TICKETDESK_SMTP_USER and TICKETDESK_SMTP_PASSWORD",
                misconfigured=True,
            ) from None
        except smtplib.SMTPResponseException as error:
            answer = _answer_text(error.smtp_error)
            raise TransportUnavailable(f"{where}: SMTP {error.smtp_code} {answer}") from None
        except (OSError, smtplib.SMTPException) as error:
            raise TransportUnavailable(f"{where}: {type(error).__name__}: {error}") from None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context(cafile=s.ca_file)
        if s.tls:
            connection = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
        else:
            connection = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            if s.starttls and not s.tls:
                connection.starttls(context=context)
            if s.user:
                connection.login(s.user, s.password or "")
        except BaseException:
            connection.close()
            raise
        return connection

    def _drop(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None


class FolderTransport:
    """Writes each message to `<folder>/<id>.eml`: mail you can open, with no server to run."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)

    def send(self, sender: str, job: Job) -> None:
        self._write(f"{job.id:08d}.eml", job.content.encode("utf-8"))

    def check(self) -> None:
        self._write(".check", b"")
        (self.folder / ".check").unlink(missing_ok=True)

    def close(self) -> None:
        pass

    def _write(self, name: str, content: bytes) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            target = self.folder / name
            temporary = target.with_suffix(".tmp")
            temporary.write_bytes(content)
            temporary.replace(target)
        except OSError as error:
            raise TransportUnavailable(f"cannot write {self.folder}: {error}") from None


def _answer_text(answer: bytes | str) -> str:
    return answer.decode("utf-8", "replace") if isinstance(answer, bytes) else answer


def _answer_error(code: int, answer: bytes | str) -> DeliveryError:
    return DeliveryError(f"SMTP {code} {_answer_text(answer)}", permanent=500 <= code < 600)
