"""`ticketdesk worker`: deliver the outbox, once or until stopped."""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError

from ticketdesk.mail.transport import FolderTransport, SmtpSettings, SmtpTransport, Transport
from ticketdesk.services.outbox import BatchResult, OutboxManager
from ticketdesk.services.statistics import refresh_statistics

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


def _housekeeping_now_and_then(outbox: Callable[[], OutboxManager], last_done: float) -> float:
    """About once an hour, while the worker has nothing to do: drop old sent messages,
    and remake SQLite's planner statistics if the tickets have doubled or halved."""
    now = time.monotonic()
    if last_done and now - last_done < HOUSEKEEPING_EVERY_SECONDS:
        return last_done
    manager = outbox()
    try:
        purged = manager.purge_sent()
        analyzed = refresh_statistics(manager.session)
    except OperationalError as error:
        manager.session.rollback()
        log.warning("housekeeping skipped: %s", error)
        return last_done
    if purged:
        log.info("purged %s sent message(s) past retention", purged)
    if analyzed:
        log.info("remade the planner's statistics of the database")
    return now


def run_worker(
    outbox: Callable[[], OutboxManager],
    transport: Transport,
    *,
    once: bool = False,
    interval: float = 5.0,
    batch: int = 20,
    worker_id: str | None = None,
) -> BatchResult:
    """Deliver due batches; with `once`, stop when nothing is due. Returns the totals."""
    worker_id = worker_id or make_worker_id()
    total = BatchResult()
    last_housekeeping = 0.0
    try:
        while True:
            manager = outbox()
            try:
                result = manager.deliver_due(transport, worker_id, limit=batch)
            except OperationalError as error:
                manager.session.rollback()
                if once:
                    raise
                # The database is briefly away: keep the worker alive and try again.
                log.warning("worker %s: database unavailable: %s", worker_id, error)
                result = BatchResult()
            total = BatchResult(
                total.sent + result.sent,
                total.retrying + result.retrying,
                total.dead + result.dead,
            )
            if result.claimed:
                log.info("worker %s: %s", worker_id, result)
            if result.claimed < batch:
                transport.close()
                if once:
                    return total
                last_housekeeping = _housekeeping_now_and_then(outbox, last_housekeeping)
                time.sleep(interval)
    finally:
        transport.close()
