"""The outbox: claiming due messages, recording each delivery, and the admins' view of it.

Any number of workers may run. A worker claims a batch in one short
transaction (on PostgreSQL with FOR UPDATE SKIP LOCKED, so workers never wait
on or take each other's rows; on SQLite the write lock serialises claims),
stamping each row with a lease. Just before sending each message it renews
that message's lease, only if the claim is still its own (a compare-and-set on
`claimed_by`): a batch that outlasts its leases (a slow SMTP server) skips the
messages another worker has taken over meanwhile instead of sending them twice.
It sends outside any transaction and then records the result only if the claim
is still its own. A worker that dies
mid-batch leaves leases that run out, and the rows are claimed again: delivery
is at least once, and receivers can drop repeats by Message-ID.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import Text, case, delete, literal, or_, select, update
from sqlalchemy.orm import Session

from ticketdesk.mail.render import bare_address
from ticketdesk.mail.transport import DeliveryError, Job, Transport, TransportUnavailable
from ticketdesk.models import OutboxMessage, OutboxStatus, User, utcnow
from ticketdesk.services.admin_lists import newest_first, require_admin
from ticketdesk.services.errors import Conflict, NotFound
from ticketdesk.services.notifications import (
    NotificationSettings,
    NotRenderable,
    render_notification,
)
from ticketdesk.services.password_reset import LINK_KINDS
from ticketdesk.services.transactions import begin_write

log = logging.getLogger(__name__)

ERROR_MAX = 2000
MAX_BACKOFF = timedelta(hours=6)
LINK_GONE = "That mail's password link is not kept once given up on; ask for a new one."


@dataclass(frozen=True)
class DeliverySettings:
    envelope_sender: str = "support@localhost"
    max_attempts: int = 8
    retry_base: timedelta = timedelta(seconds=60)
    claim_for: timedelta = timedelta(minutes=5)
    keep_sent: timedelta = timedelta(days=90)


@dataclass(frozen=True)
class BatchResult:
    sent: int = 0
    retrying: int = 0
    dead: int = 0
    lost: int = 0  # claimed, then taken over by another worker before its turn came
    held: int = 0  # claimed, then put back unsent: nothing could be sent (see below)

    @property
    def claimed(self) -> int:
        """The messages this batch dealt with (held ones it did not)."""
        return self.sent + self.retrying + self.dead + self.lost


class OutboxManager:
    def __init__(
        self,
        session: Session,
        settings: DeliverySettings,
        *,
        notifications: NotificationSettings | None = None,
    ) -> None:
        self.session = session
        self.settings = settings
        # What renders notifications the requests left for the worker (none: send as is).
        self.notifications = notifications

    # --- the worker -----------------------------------------------------

    def deliver_due(self, transport: Transport, worker_id: str, *, limit: int = 20) -> BatchResult:
        """Claim up to `limit` due messages and send each one; says how each went."""
        jobs = self.claim(worker_id, limit=limit)
        sent = retrying = dead = lost = held = 0
        for n, job in enumerate(jobs):
            try:
                job = self._rendered(job)
                if not self.renew_claim(job, worker_id):
                    lost += 1
                    continue
                transport.send(self.settings.envelope_sender, job)
            except TransportUnavailable as error:
                # The rest would meet the same (each waiting out SMTP_TIMEOUT, if the
                # relay does not answer): they go back, no attempt counted.
                log.error("worker %s: no mail can be sent: %s", worker_id, error.reason)
                self.record_failure(job, worker_id, error)
                retrying += 1
                held = self.release(jobs[n + 1 :], worker_id)
                break
            except DeliveryError as error:
                if self.record_failure(job, worker_id, error):
                    dead += 1
                else:
                    retrying += 1
            else:
                self.record_sent(job, worker_id)
                sent += 1
        if lost:
            log.warning(
                "worker %s: %s claimed message(s) were taken over by another worker before"
                " their turn (MAIL_CLAIM_SECONDS shorter than a batch takes?); not sent here",
                worker_id,
                lost,
            )
        return BatchResult(sent, retrying, dead, lost, held)

    def claim(self, worker_id: str, *, limit: int = 20) -> list[Job]:
        """Lease up to `limit` due, unclaimed messages to this worker, oldest first."""
        begin_write(self.session)
        now = utcnow()
        rows = self.session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.next_attempt_at <= now,
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        jobs = []
        for row in rows:
            row.claimed_until = now + self.settings.claim_for
            row.claimed_by = worker_id
            jobs.append(Job(row.id, row.recipient, row.message_id, row.content, row.attempts))
        self.session.commit()
        return jobs

    def renew_claim(self, job: Job, worker_id: str) -> bool:
        """Extend this worker's lease on one message, just before sending it; False (send
        nothing) when the claim is no longer its own: it ran out and another worker took
        the message, or an admin's retry released it."""
        begin_write(self.session)
        result = self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == job.id,
                OutboxMessage.claimed_by == worker_id,
                OutboxMessage.status == OutboxStatus.PENDING,
            )
            .values(claimed_until=utcnow() + self.settings.claim_for)
            .execution_options(synchronize_session=False)
        )
        self.session.commit()
        return result.rowcount == 1

    def release(self, jobs: list[Job], worker_id: str) -> int:
        """Give back this worker's claims on `jobs`, unsent and with no attempt counted;
        returns how many it still held."""
        if not jobs:
            return 0
        begin_write(self.session)
        result = self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_([job.id for job in jobs]),
                OutboxMessage.claimed_by == worker_id,
            )
            .values(claimed_until=None, claimed_by=None)
            .execution_options(synchronize_session=False)
        )
        self.session.commit()
        return result.rowcount or 0

    def _rendered(self, job: Job) -> Job:
        """The job with its content, rendered now if the request left that to the worker.

        Rendering reads the ticket outside any write transaction; the content is
        stored with the outcome, so a retry sends exactly the same message.
        """
        if job.content is not None:
            return job
        row = self.session.get(OutboxMessage, job.id)
        if self.notifications is None or row is None:
            raise DeliveryError("Nothing renders this message here.", permanent=False)
        try:
            content = render_notification(self.session, self.notifications, row)
        except NotRenderable as error:
            raise DeliveryError(str(error), permanent=True) from None
        except Exception as error:  # a template fault must not stop the worker
            log.exception("outbox %s could not be rendered", job.id)
            raise DeliveryError("Rendering failed; see the worker log.", permanent=False) from error
        finally:
            self.session.rollback()
        return replace(job, content=content)

    def record_sent(self, job: Job, worker_id: str) -> None:
        self._finish(
            job,
            worker_id,
            content=_content_kept(job),
            status=OutboxStatus.SENT,
            attempts=job.attempts + 1,
            sent_at=utcnow(),
            last_error=None,
        )

    def record_failure(self, job: Job, worker_id: str, error: DeliveryError) -> bool:
        """Schedule a retry with exponential backoff, or give up; True when now dead."""
        attempts = job.attempts + 1
        dead = error.permanent or attempts >= self.settings.max_attempts
        delay = min(self.settings.retry_base * 2 ** (attempts - 1), MAX_BACKOFF)
        log.warning("outbox %s to %s failed (%s): %s", job.id, job.recipient, attempts, error)
        self._finish(
            job,
            worker_id,
            content=_content_kept(job) if dead else job.content,
            status=OutboxStatus.DEAD if dead else OutboxStatus.PENDING,
            attempts=attempts,
            next_attempt_at=utcnow() + delay,
            last_error=error.reason[:ERROR_MAX],
        )
        return dead

    def _finish(self, job: Job, worker_id: str, **values: Any) -> None:
        """Write a delivery's outcome, unless the claim has since passed to another worker."""
        begin_write(self.session)
        self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == job.id, OutboxMessage.claimed_by == worker_id)
            .values(claimed_until=None, claimed_by=None, **values)
            .execution_options(synchronize_session=False)
        )
        self.session.commit()

    def purge_sent(self) -> int:
        """Delete sent messages older than the retention period; returns how many.

        Replies to them still thread: our Message-IDs carry a signed ticket token.
        """
        begin_write(self.session)
        cutoff = utcnow() - self.settings.keep_sent
        result = self.session.execute(
            delete(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.sent_at < cutoff)
            .execution_options(synchronize_session=False)
        )
        self.session.commit()
        return result.rowcount or 0

    # --- admins ---------------------------------------------------------

    def list_messages(
        self,
        actor: User,
        *,
        status: OutboxStatus | None = None,
        limit: int = 50,
        before_id: int | None = None,
    ) -> list[OutboxMessage]:
        """Outbox rows, newest first, optionally of one status (admins)."""
        _require_admin(actor)
        query = select(OutboxMessage)
        if status is not None:
            query = query.where(OutboxMessage.status == OutboxStatus(status))
        query = newest_first(query, OutboxMessage.id, limit=limit, before_id=before_id)
        return list(self.session.scalars(query))

    def get_message(self, actor: User, message_id: int) -> OutboxMessage:
        _require_admin(actor)
        message = self.session.get(OutboxMessage, message_id)
        if message is None:
            raise NotFound("No such outbox message.")
        return message

    def retry_message(self, actor: User, message_id: int) -> OutboxMessage:
        """Send a dead (or waiting) message again now, with a fresh count of attempts."""
        _require_admin(actor)
        begin_write(self.session)
        message = self.session.get(OutboxMessage, message_id)
        if message is None:
            raise NotFound("No such outbox message.")
        if message.status == OutboxStatus.SENT:
            raise Conflict("That message was sent already.")
        if message.kind in LINK_KINDS and message.content is None:
            raise Conflict(LINK_GONE)
        message.status = OutboxStatus.PENDING
        message.attempts = 0
        message.next_attempt_at = utcnow()
        message.claimed_until = None
        message.claimed_by = None
        self.session.commit()
        return message

    def retry_dead(self, actor: User | None) -> int:
        """Send every dead message again now (after an outage of the mail server longer
        than the retries last, every message sent meanwhile is dead); returns how many.
        `actor` None: the operator's command line. A password link's mail, whose content
        is gone, stays dead: its owner asks for a new one."""
        if actor is not None:
            _require_admin(actor)
        begin_write(self.session)
        result = self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.status == OutboxStatus.DEAD,
                or_(OutboxMessage.kind.not_in(LINK_KINDS), OutboxMessage.content.is_not(None)),
            )
            .values(
                status=OutboxStatus.PENDING,
                attempts=0,
                next_attempt_at=utcnow(),
                claimed_until=None,
                claimed_by=None,
            )
            .execution_options(synchronize_session=False)
        )
        self.session.commit()
        return result.rowcount or 0


def delivery_settings(config: Mapping[str, Any]) -> DeliverySettings:
    """The delivery settings held in an app's config."""
    return DeliverySettings(
        envelope_sender=bare_address(config["MAIL_FROM"]),
        max_attempts=int(config["MAIL_MAX_ATTEMPTS"]),
        retry_base=timedelta(seconds=float(config["MAIL_RETRY_BASE_SECONDS"])),
        claim_for=timedelta(seconds=float(config["MAIL_CLAIM_SECONDS"])),
        keep_sent=timedelta(days=float(config["MAIL_KEEP_SENT_DAYS"])),
    )


def _content_kept(job: Job):
    """What a finished row keeps of its message, in the statement that finishes it: the
    whole of it, but nothing of a mail with a password link, whose secret the database
    holds otherwise only as a hash (the link was delivered, or never will be)."""
    kept = literal(job.content, Text)
    return case((OutboxMessage.kind.in_(LINK_KINDS), None), else_=kept)


def _require_admin(actor: User) -> None:
    require_admin(actor, "Only admins can manage the outbox.")
