"""Mail that made no ticket or reply: refused, ignored or failed, for admins to find and
to send through the intake again.

Refused and ignored mail is an `inbound_messages` row (no ticket) with its reason;
failed mail a `failed_mail` row holding the whole message. A list shows one outcome
at a time, each read from one indexed table, newest first.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketdesk.mail.intake import IntakeResult, MailIntake
from ticketdesk.models import FailedMail, InboundMessage, InboundOutcome, User
from ticketdesk.services.admin_lists import newest_first, require_admin
from ticketdesk.services.errors import NotFound

ADMINS_ONLY = "Only admins can see and retry mail that made no ticket."


class DroppedOutcome(enum.StrEnum):
    """What became of a message that made no ticket or reply."""

    REJECTED = "rejected"  # refused: a bad From, a stranger, no account, a deactivated one
    FAILED = "failed"  # could not be processed; kept whole, and may be retried
    IGNORED = "ignored"  # an auto-reply, a bounce, our own notification come back


@dataclass(frozen=True)
class DroppedMessage:
    """One line of the list: never the message itself (hostile input)."""

    id: int  # the failed mail's id (to download or retry it), else the inbound message's
    outcome: DroppedOutcome
    received_at: datetime
    sender: str | None
    subject: str | None
    reason: str | None


class DroppedMail:
    def __init__(self, session: Session, intake: Callable[[], MailIntake]) -> None:
        self.session = session
        self.intake = intake  # made only to retry

    def list_messages(
        self,
        actor: User,
        *,
        outcome: DroppedOutcome,
        limit: int = 50,
        before_id: int | None = None,
    ) -> list[DroppedMessage]:
        """Messages of one outcome, newest first (admins)."""
        require_admin(actor, ADMINS_ONLY)
        return self.list_unchecked(outcome=outcome, limit=limit, before_id=before_id)

    def list_unchecked(
        self, *, outcome: DroppedOutcome, limit: int = 50, before_id: int | None = None
    ) -> list[DroppedMessage]:
        """As `list_messages`, for the operator's command line."""
        table = FailedMail if outcome == DroppedOutcome.FAILED else InboundMessage
        columns = (table.id, table.received_at, table.sender, table.subject, table.reason)
        query = select(*columns)  # never the failed message's bytes
        if table is InboundMessage:
            query = query.where(InboundMessage.outcome == InboundOutcome(outcome.value))
        query = newest_first(query, table.id, limit=limit, before_id=before_id)
        return [
            DroppedMessage(row.id, outcome, row.received_at, row.sender, row.subject, row.reason)
            for row in self.session.execute(query)
        ]

    def failed_message(self, actor: User, failed_id: int) -> FailedMail:
        """One failed message, whole: to be downloaded, never shown (admins)."""
        require_admin(actor, ADMINS_ONLY)
        failed = self.session.get(FailedMail, failed_id)
        if failed is None:
            raise NotFound("No such failed mail.")
        return failed

    def retry(self, actor: User, failed_id: int) -> IntakeResult:
        """Send failed mail through the intake again (admins); see `retry_unchecked`."""
        require_admin(actor, ADMINS_ONLY)
        return self.retry_unchecked(failed_id)

    def retry_unchecked(self, failed_id: int) -> IntakeResult:
        """Whatever the intake decides now: handled (and no longer kept), or failed again
        (kept with the new reason). A message handled already is found by its Message-ID
        (or content) and makes nothing twice. Raises IntakeUnavailable as the intake does.
        """
        result = self.intake().retry(failed_id)
        if result is None:
            raise NotFound("No such failed mail.")
        return result
