"""Tickets: queues they are filed in, the conversation on them, and their history."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    DDL,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    event,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketdesk.models.base import NAME_MAX, TITLE_MAX, Base, enum_column, utcnow
from ticketdesk.models.people import User


class TicketStatus(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"
    RESOLVED = "resolved"
    CLOSED = "closed"


# Tickets someone still has to act on: the staff list's default, and what the sidebar
# counts per queue and per assignee.
ACTIVE_STATUSES = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.WAITING)
# The statuses a requester is told of: the work is done.
FINISHED_STATUSES = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


class Priority(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        return _PRIORITY_RANK[self]


_PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}
_PRIORITY_BY_RANK = {rank: priority for priority, rank in _PRIORITY_RANK.items()}


class PriorityType(TypeDecorator):
    """Priority stored as its rank, so that "most urgent first" is an index scan."""

    impl = SmallInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else Priority(value).rank

    def process_result_value(self, value, dialect):
        return None if value is None else _PRIORITY_BY_RANK[value]


class EventKind(enum.StrEnum):
    CREATED = "created"
    STATUS = "status"
    PRIORITY = "priority"
    ASSIGNEE = "assignee"
    QUEUE = "queue"
    TITLE = "title"
    DESCRIPTION = "description"
    COMMENT = "comment"
    INTERNAL_NOTE = "internal_note"
    # A message received by mail; new_value names the threading rule and the message.
    MAIL = "mail"
    # A file taken off the ticket by staff; old_value is its name.
    FILE_REMOVED = "file_removed"


class Queue(Base):
    """A team inbox that tickets are filed in; "General" is the default."""

    __tablename__ = "queues"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    slug: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # A deleted queue's id is never given to another: the tickets' history names queues
    # by id. SQLite would hand out the newest one again (migration 0023).
    __table_args__ = {"sqlite_autoincrement": True}


# Names are unique whatever their case (QueueManager compares them casefolded); this
# index makes two requests checked at once unable to both commit "Billing" and "billing".
# lower() folds ASCII alone on SQLite, and on PostgreSQL what the database's collation
# folds: the service's check is the rule, this its backstop (migration 0025).
Index("uq_queues_name_folded", func.lower(Queue.name), unique=True)


class Ticket(Base):
    """A customer's request and its state; `version` guards against lost updates."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[TicketStatus] = mapped_column(
        enum_column(TicketStatus, "ticket_status"), default=TicketStatus.OPEN
    )
    priority: Mapped[Priority] = mapped_column(PriorityType, default=Priority.NORMAL)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="RESTRICT"))
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)

    queue: Mapped[Queue] = relationship()
    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    comments: Mapped[list[Comment]] = relationship(
        back_populates="ticket", order_by="Comment.id", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": version}
    # Every list order is (sort key, id) so keyset pagination walks an index.
    __table_args__ = (
        Index("ix_tickets_created", "created_at", "id"),
        Index("ix_tickets_updated", "updated_at", "id"),
        Index("ix_tickets_priority", "priority", "created_at", "id"),
        Index("ix_tickets_status_created", "status", "created_at", "id"),
        Index("ix_tickets_assignee_created", "assignee_id", "created_at", "id"),
        Index("ix_tickets_requester_created", "requester_id", "created_at", "id"),
        Index("ix_tickets_queue_created", "queue_id", "created_at", "id"),
        # The triage view, and the status filters under it (see UNASSIGNED_STATISTICS).
        Index(
            "ix_tickets_unassigned",
            "status",
            "created_at",
            "id",
            sqlite_where=text("assignee_id IS NULL"),
            postgresql_where=text("assignee_id IS NULL"),
        ),
    )


# PostgreSQL estimates filters as if unrelated, but unassigned tickets are nearly all open:
# for "unassigned and closed" it expected thousands of tickets, walked an order's whole
# index looking for 25 that do not exist (0.9 s at a million) and never asked the index
# above. Statistics on which (status, assignee) pairs occur tell it they don't. Up to 500
# pairs (every status for about 100 staff): a million-ticket ANALYZE then samples 150,000
# rows, not 30,000 (see docs/performance.md).
UNASSIGNED_STATISTICS = (
    "CREATE STATISTICS IF NOT EXISTS st_tickets_status_assignee (mcv)"
    " ON status, assignee_id FROM tickets",
    "ALTER STATISTICS st_tickets_status_assignee SET STATISTICS 500",
)
for _statement in UNASSIGNED_STATISTICS:
    event.listen(Ticket.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))


class Comment(Base):
    """A public reply or, with `internal`, a note only staff can read."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    body: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="comments")
    author: Mapped[User] = relationship()


class TicketEvent(Base):
    """One recorded change to a ticket: who, what, from which value to which, when."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind, "event_kind"))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship()
