"""`ticketdesk worker`: deliver the outbox, once or until stopped."""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError

from ticketdesk.mail.transport import FolderTransport, SmtpSettings, SmtpTransport, Transport
from ticketdesk.models.schema_version import schema_missing
from ticketdesk.services.attachments import AttachmentManager
from ticketdesk.services.outbox import BatchResult, OutboxManager
from ticketdesk.services.statistics import refresh_statistics
from ticketdesk.storage import StorageUnavailable

log = logging.getLogger(__name__)


def make_worker_id() -> str:
    """A name unique to this process, so a claim is recognised as its own."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def transport_from_config(config: Mapping[str, Any], instance_path: str) -> Transport:
    """SMTP when a host is configured; otherwise a folder of .eml files."""
    if config.get("SMTP_HOST"):
        return SmtpTransport(
            SmtpSettings(
                host=config["SMTP_HOST"],
                port=int(config["SMTP_PORT"]),
                starttls=bool(config["SMTP_STARTTLS"]),
                tls=bool(config["SMTP_TLS"]),
                user=config.get("SMTP_USER"),
                password=config.get("SMTP_PASSWORD"),
                timeout=float(config["SMTP_TIMEOUT"]),
                ca_file=config.get("SMTP_CA_FILE"),
            )
        )
    return FolderTransport(config.get("MAIL_OUTBOX_DIR") or Path(instance_path) / "outbox")


HOUSEKEEPING_EVERY_SECONDS = 3600


@dataclass
class Chore:
    """Work the worker does now and then, when nothing is due for delivery."""

    name: str
    every: float  # seconds between tries, successful or not
    run: Callable[[], object]
    tried_at: float | None = None  # time.monotonic() of the last try

    def due(self, now: float) -> bool:
        return self.tried_at is None or now - self.tried_at >= self.every


def do_due_chores(chores: Iterable[Chore], now: float | None = None) -> None:
    """Run each chore whose time has come. One that fails (the database or the file store
    away) is logged and tried again after its interval; the worker goes on delivering."""
    now = time.monotonic() if now is None else now
    for chore in chores:
        if not chore.due(now):
            continue
        chore.tried_at = now
        try:
            chore.run()
        except (OperationalError, StorageUnavailable, OSError) as error:
            log.warning("%s skipped: %s", chore.name, error)


def worker_chores(
    config: Mapping[str, Any],
    outbox: Callable[[], OutboxManager],
    attachments: Callable[[], AttachmentManager],
) -> list[Chore]:
    """Hourly, drop old sent mail and remake SQLite's statistics when due; every
    ATTACHMENT_SWEEP_SECONDS (daily by default; 0 for never), remove orphaned files."""
    chores = [Chore("housekeeping", HOUSEKEEPING_EVERY_SECONDS, lambda: _tidy_database(outbox()))]
    sweep_every = int(config["ATTACHMENT_SWEEP_SECONDS"])
    if sweep_every > 0:
        age = timedelta(seconds=int(config["ATTACHMENT_ORPHAN_SECONDS"]))
        sweep = Chore("orphaned files", sweep_every, lambda: _sweep(attachments(), age))
        chores.append(sweep)
    return chores


def _tidy_database(manager: OutboxManager) -> None:
    """Drop sent messages past retention, and remake SQLite's planner statistics if the
    tickets have doubled or halved."""
    try:
        purged = manager.purge_sent()
        analyzed = refresh_statistics(manager.session)
    except OperationalError:
        manager.session.rollback()
        raise
    if purged:
        log.info("purged %s sent message(s) past retention", purged)
    if analyzed:
        log.info("remade the planner's statistics of the database")


def _sweep(manager: AttachmentManager, age: timedelta) -> None:
    """Delete stored files no row points at: left by an upload that died mid-way, or by a
    removal the store could not carry out just then (a password in a screenshot)."""
    try:
        removed = manager.remove_orphans(older_than=age)
    except OperationalError:
        manager.session.rollback()
        raise
    if removed:
        log.info("removed %s orphaned attachment file(s)", removed)


def run_worker(
    outbox: Callable[[], OutboxManager],
    transport: Transport,
    *,
    once: bool = False,
    interval: float = 5.0,
    batch: int = 20,
    worker_id: str | None = None,
    chores: Iterable[Chore] = (),
) -> BatchResult:
    """Deliver due batches; between them, when nothing is due, do the `chores` whose time
    has come. With `once`, stop when nothing is due (no chores). Returns the totals."""
    worker_id = worker_id or make_worker_id()
    total = BatchResult()
    try:
        while True:
            manager = outbox()
            try:
                result = manager.deliver_due(transport, worker_id, limit=batch)
            except OperationalError as error:
                manager.session.rollback()
                if once or schema_missing(error):  # no waiting makes the tables appear
                    raise
                # The database is briefly away: keep the worker alive and try again.
                log.warning("worker %s: database unavailable: %s", worker_id, error)
                result = BatchResult()
            total = BatchResult(
                total.sent + result.sent,
                total.retrying + result.retrying,
                total.dead + result.dead,
                total.lost + result.lost,
                total.held + result.held,
            )
            if result.claimed:
                log.info("worker %s: %s", worker_id, result)
            if result.claimed < batch:
                transport.close()
                if once:
                    return total
                do_due_chores(chores)
                time.sleep(interval)
    finally:
        transport.close()
