"""Mail: the outbox of notifications to send, and the log of mail received.

The outbox is transactional: a row is added in the same transaction as the
ticket change that causes it, and `ticketdesk worker` delivers it later.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ticketdesk.models.base import EMAIL_MAX, NAME_MAX, Base, enum_column, utcnow

MESSAGE_ID_MAX = 250
SUBJECT_MAX = 250


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"


class InboundOutcome(enum.StrEnum):
    TICKET = "ticket"  # opened a new ticket
    COMMENT = "comment"  # became a comment on an existing ticket
    IGNORED = "ignored"  # an auto-reply or bounce: deliberately dropped
    REJECTED = "rejected"  # refused, with the reason kept


class ThreadRule(enum.StrEnum):
    """Which rule tied an inbound message to its ticket, in the order they are tried."""

    TOKEN = "token"
    REFERENCES = "references"
    SUBJECT = "subject"
    NEW = "new"


class OutboxMessage(Base):
    """One email to one recipient.

    A ticket notification is written with what it is about (kind, ticket, actor,
    comment, the status then) and no content: the worker renders it before the
    first attempt and keeps the result, so every retry sends the same bytes. The
    request that caused it never pays for templates and MIME. A password-reset
    mail carries a one-time link found nowhere else, so it is rendered at once.
    """

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(EMAIL_MAX))
    subject: Mapped[str] = mapped_column(String(SUBJECT_MAX))
    # Without angle brackets; unique so that replies can be threaded by it.
    message_id: Mapped[str] = mapped_column(String(MESSAGE_ID_MAX), unique=True)
    recipient_name: Mapped[str | None] = mapped_column(String(NAME_MAX))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="SET NULL"))
    # The ticket's status when the change happened (a notice of "resolved" stays one).
    ticket_status: Mapped[str | None] = mapped_column(String(20))
    # Message-IDs beyond our thread root that replies should refer to, space-separated.
    thread_refs: Mapped[str | None] = mapped_column(Text)
    # The whole RFC 5322 message, ready to send; rendered by the worker when empty. A
    # mail with a password link is emptied once sent or given up on (services.outbox).
    content: Mapped[str | None] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A worker's claim: until this time no other worker picks the row up; a
    # worker that crashes mid-send loses its claim when the lease runs out.
    claimed_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_outbox_messages_due", "status", "next_attempt_at", "id"),)


class InboundMessage(Base):
    """One message received, whatever became of it; the unique key makes intake idempotent."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The Message-ID, or "sha256:<hex>" of the content when it has none (or a silly one).
    message_key: Mapped[str] = mapped_column(String(MESSAGE_ID_MAX), unique=True)
    sender: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    subject: Mapped[str | None] = mapped_column(String(SUBJECT_MAX))
    outcome: Mapped[InboundOutcome] = mapped_column(enum_column(InboundOutcome, "inbound_outcome"))
    rule: Mapped[ThreadRule | None] = mapped_column(enum_column(ThreadRule, "thread_rule"))
    reason: Mapped[str | None] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), index=True
    )
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="SET NULL"))
    attachments: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Admins list refused and ignored mail by outcome, newest first.
    __table_args__ = (Index("ix_inbound_messages_outcome", "outcome", "id"),)


class FailedMail(Base):
    """A message that could not be parsed or processed, kept whole with the reason.

    Its From address and subject are read from its headers when it is kept (None for
    mail kept before 0026, or when they cannot be read), so that admins can list it
    without loading the message; its envelope, so that a retry sees what the first
    try saw.
    """

    __tablename__ = "failed_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    sender: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    subject: Mapped[str | None] = mapped_column(String(SUBJECT_MAX))
    # The envelope as LMTP gave it: "" is the null sender (a bounce), None unknown (IMAP).
    envelope_sender: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    # The envelope recipients, a JSON list (None: none given).
    recipients: Mapped[str | None] = mapped_column(Text)
