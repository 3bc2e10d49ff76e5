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


class Transport(Protocol):
    def send(self, sender: str, job: Job) -> None: ...

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
        try:
            connection = self._connection or self._connect()
            self._connection = connection
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

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._connection = None

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
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            target = self.folder / f"{job.id:08d}.eml"
            temporary = target.with_suffix(".tmp")
            temporary.write_bytes(job.content.encode("utf-8"))
            temporary.replace(target)
        except OSError as error:
            raise DeliveryError(f"cannot write {self.folder}: {error}", permanent=False) from None

    def close(self) -> None:
        pass


def _answer_error(code: int, answer: bytes | str) -> DeliveryError:
    if isinstance(answer, bytes):
        answer = answer.decode("utf-8", "replace")
    return DeliveryError(f"SMTP {code} {answer}", permanent=500 <= code < 600)
