"""QueueManager: the team inboxes tickets are filed in."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ticketdesk.models import NAME_MAX, Queue, User
from ticketdesk.services.errors import Conflict, PermissionDenied, ValidationFailed
from ticketdesk.services.transactions import begin_write

DEFAULT_QUEUE_NAME = "General"


def slugify(name: str) -> str:
    """A URL- and address-friendly form of a queue name."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


class QueueManager:
    def __init__(self, session: Session, *, default_queue_slug: str = "general") -> None:
        self.session = session
        self.default_queue_slug = default_queue_slug

    def list_queues(self, actor: User) -> list[Queue]:
        """Every queue, by name: anyone signed in may pick one for a new ticket."""
        return list(self.session.scalars(select(Queue).order_by(Queue.name)))

    def create_queue(self, actor: User, *, name: str, slug: str | None = None) -> Queue:
        """Admins add queues; names and slugs are unique."""
        if not actor.is_admin:
            raise PermissionDenied("Only admins can manage queues.")
        name = name.strip()
        if not name or len(name) > NAME_MAX:
            raise ValidationFailed.field("name", f"Between 1 and {NAME_MAX} characters.")
        typed = bool(slug)
        slug = slugify(slug or name)
        if not slug or len(slug) > NAME_MAX:
            raise ValidationFailed.field(
                "slug",
                "Needs at least one letter a-z or digit."
                if typed
                else "The name has no letters a-z or digits to make a slug of: type one.",
            )
        return self._add(name, slug)

    def ensure_default_queue(self) -> Queue:
        """Create the default queue if it is missing (idempotent; used by `init`)."""
        queue = self.session.scalar(select(Queue).where(Queue.slug == self.default_queue_slug))
        return queue or self._add(DEFAULT_QUEUE_NAME, self.default_queue_slug)

    def _add(self, name: str, slug: str) -> Queue:
        begin_write(self.session)
        taken = self.session.scalar(
            select(Queue.id).where((Queue.name == name) | (Queue.slug == slug))
        )
        if taken is not None:
            raise Conflict("A queue with that name or slug exists already.")
        queue = Queue(name=name, slug=slug)
        self.session.add(queue)
        try:
            self.session.commit()
        except IntegrityError:
            self.session.rollback()
            raise Conflict("A queue with that name or slug exists already.") from None
        return queue
