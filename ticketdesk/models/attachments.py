"""Files attached to a ticket or to one of its comments; the bytes live in storage."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketdesk.models.base import Base, utcnow
from ticketdesk.models.tickets import Comment, Ticket

FILENAME_MAX = 255


class Attachment(Base):
    """One stored file. `storage_key` is generated; `filename` is the uploader's, as metadata."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(FILENAME_MAX))
    # Sniffed from the bytes, never the client's claim: a safe image type or octet-stream.
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    # A smaller WebP of a large image, stored beside it (see services.previews); or None.
    preview_key: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship()
    comment: Mapped[Comment | None] = relationship()
