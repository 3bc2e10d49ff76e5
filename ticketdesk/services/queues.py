"""QueueManager: the team inboxes tickets are filed in."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Row, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ticketdesk.models import NAME_MAX, Queue, Ticket, TicketQueueCount, User
from ticketdesk.services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ticketdesk.services.names import by_name
from ticketdesk.services.notice_choices import forget_queue
from ticketdesk.services.transactions import begin_write
from ticketdesk.services.users import check_name

DEFAULT_QUEUE_NAME = "General"
TAKEN = "A queue with that name or slug exists already."


def slugify(name: str) -> str:
    """A URL- and address-friendly form of a queue name ("Straße" is `strasse`: casefolded
    first, since ß has no accent to drop)."""
    folded = unicodedata.normalize("NFKD", name.casefold())
    ascii_name = folded.encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def folded_name(name: str) -> str:
    """A queue's name as compared with the others': "General", "GENERAL" and "Ｇｅｎｅｒａｌ"
    are one name (Unicode's caseless matching: NFKC, then casefold), "Général" another."""
    return unicodedata.normalize("NFKC", name).casefold()


def slugs_in_mail_settings(config: Mapping[str, Any]) -> frozenset[str]:
    """The queue slugs the mail settings name: where inbound addresses file new tickets,
    and the queues whose new-ticket notices go to addresses of their own."""
    inbound = (config.get("MAIL_QUEUE_ADDRESSES") or {}).values()
    notices = set(config.get("MAIL_STAFF_ADDRESSES") or {}) - {"*"}
    return frozenset(inbound) | notices


class QueueManager:
    def __init__(
        self,
        session: Session,
        *,
        default_queue_slug: str = "general",
        mail_slugs: frozenset[str] = frozenset(),
    ) -> None:
        self.session = session
        self.default_queue_slug = default_queue_slug
        # Settings find these queues by their slugs (see slugs_in_mail_settings).
        self.mail_slugs = mail_slugs

    def list_queues(self, actor: User) -> list[Queue]:
        """Every queue, by name: anyone signed in may pick one for a new ticket."""
        return by_name(self.session.scalars(select(Queue)))

    def get_queue(self, actor: User, queue_id: int) -> Queue:
        """One queue: anyone signed in may see every queue (list_queues)."""
        queue = self.session.get(Queue, queue_id)
        if queue is None:
            raise NotFound("No such queue.")
        return queue

    def create_queue(self, actor: User, *, name: str, slug: str | None = None) -> Queue:
        """Admins add queues; names are unique whatever their case, and slugs unique. A
        slug made from the name (none typed) is made free: general-2 beside general."""
        _require_admin(actor)
        name = check_name(name)
        return self._add(name, _checked_slug(slug, name), made_slug=not slug)

    def rename_queue(
        self, actor: User, queue_id: int, *, name: str | None = None, slug: str | None = None
    ) -> Queue:
        """Admins change a queue's name or slug (None: as it is; an empty slug is made from
        the name) under create_queue's rules. A slug a setting finds its queue by stays:
        renamed, the default queue would be made again and mail routed elsewhere."""
        _require_admin(actor)
        begin_write(self.session)
        queue = self.get_queue(actor, queue_id)
        new_name = queue.name if name is None else check_name(name)
        unchanged = slug is None or slug == queue.slug  # stored as the settings name it
        new_slug = queue.slug if unchanged else _checked_slug(slug, new_name)
        setting = self.setting_naming(queue)
        if new_slug != queue.slug and setting:
            raise Conflict(
                f"The slug stays '{queue.slug}': the {setting} setting finds {queue.name} by it.",
                field="slug",
            )
        new_slug = self._refuse_taken(new_name, new_slug, made_slug=slug == "", queue=queue)
        queue.name, queue.slug = new_name, new_slug
        self._commit(new_name, new_slug, queue=queue)
        return queue

    def queue_to_delete(self, actor: User, queue_id: int) -> Queue:
        """The queue, if an admin may delete it now: it holds no tickets and no setting
        names it. Otherwise Conflict, saying why."""
        _require_admin(actor)
        queue = self.get_queue(actor, queue_id)
        if setting := self.setting_naming(queue):
            raise Conflict(f"{queue.name} cannot be deleted: the {setting} setting names it.")
        held = self.session.scalar(
            select(func.count()).select_from(Ticket).where(Ticket.queue_id == queue.id)
        )
        if held:
            tickets, them = ("1 ticket", "it") if held == 1 else (f"{held} tickets", "them")
            raise Conflict(
                f"{queue.name} holds {tickets}: move {them} to another queue first, then delete it."
            )
        return queue

    def delete_queue(self, actor: User, queue_id: int) -> Queue:
        """Admins delete an empty queue that no setting names, and its (zero) counts;
        returns the queue as it was."""
        _require_admin(actor)
        begin_write(self.session)
        queue = self.queue_to_delete(actor, queue_id)
        try:
            self.session.delete(queue)
            # The tickets' foreign key refuses the delete if one was filed here meanwhile.
            self.session.flush()
            self.session.execute(
                delete(TicketQueueCount).where(TicketQueueCount.queue_id == queue_id)
            )
            forget_queue(self.session, queue_id)
            self.session.commit()
        except IntegrityError:
            self.session.rollback()
            raise Conflict(
                "A ticket was filed in the queue just now: move it to another queue first."
            ) from None
        return queue

    def ensure_default_queue(self) -> Queue:
        """Create the default queue in a database with no queues (idempotent; used by
        `init`); in one with queues, DEFAULT_QUEUE_SLUG must name one of them."""
        queue = self.session.scalar(select(Queue).where(Queue.slug == self.default_queue_slug))
        if queue is not None:
            return queue
        if problem := self.default_queue_missing():
            raise Conflict(problem)
        return self._add(DEFAULT_QUEUE_NAME, self.default_queue_slug)

    def default_queue_missing(self) -> str | None:
        """Why DEFAULT_QUEUE_SLUG cannot work here, or None: in a database with queues,
        none has that slug, and every ticket opened without a queue would be refused."""
        slugs = self.session.scalars(select(Queue.slug).order_by(Queue.slug)).all()
        if not slugs or self.default_queue_slug in slugs:
            return None
        return (
            f"TICKETDESK_DEFAULT_QUEUE_SLUG={self.default_queue_slug!r} names no queue:"
            f" set it to one of {', '.join(slugs)}, or give a queue that slug."
        )

    def _add(self, name: str, slug: str, *, made_slug: bool = False) -> Queue:
        begin_write(self.session)
        slug = self._refuse_taken(name, slug, made_slug=made_slug)
        queue = Queue(name=name, slug=slug)
        self.session.add(queue)
        self._commit(name, slug)
        return queue

    def setting_naming(self, queue: Queue) -> str | None:
        """The setting that finds this queue by its slug, if any: its slug stays, and the
        queue cannot be deleted."""
        if queue.slug == self.default_queue_slug:
            return "DEFAULT_QUEUE_SLUG"
        if queue.slug in self.mail_slugs:
            return "MAIL_QUEUE_ADDRESSES or MAIL_STAFF_ADDRESSES"
        return None

    def _refuse_taken(
        self, name: str, slug: str, *, made_slug: bool = False, queue: Queue | None = None
    ) -> str:
        """The slug to store, if no other queue than `queue` has the name, whatever its
        case, or the slug: else Conflict on that field. A slug made from the name is not
        refused but made free (general-2, general-3, …)."""
        others = self._other_queues(queue)
        folded = folded_name(name)
        for other in others:
            if folded_name(other.name) == folded:
                raise Conflict(f"A queue named {other.name} exists already.", field="name")
        slugs = {other.slug: other.name for other in others}
        if made_slug:
            return _free_slug(slug, slugs)
        if slug in slugs:
            raise Conflict(f"The queue {slugs[slug]} has the slug '{slug}' already.", field="slug")
        return slug

    def _other_queues(self, queue: Queue | None) -> list[Row]:
        """Every other queue's name and slug. All of them: queues are few, and names are
        compared folded here, alike on both databases (SQLite's lower() folds ASCII
        alone); the index on lower(name) catches two requests checked at once."""
        query = select(Queue.name, Queue.slug)
        if queue is not None:
            query = query.where(Queue.id != queue.id)
        return list(self.session.execute(query))

    def _commit(self, name: str, slug: str, *, queue: Queue | None = None) -> None:
        try:
            self.session.commit()
        except IntegrityError:  # the same name or slug, committed meanwhile
            self.session.rollback()
            self._refuse_taken(name, slug, queue=queue)  # to say which, as before the write
            raise Conflict(TAKEN) from None


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise PermissionDenied("Only admins can manage queues.")


def _checked_slug(slug: str | None, name: str) -> str:
    """The slug typed, or else one made from the name (cut to length), as stored."""
    typed = bool(slug)
    slug = slugify(slug or name)
    if not typed:
        slug = slug[:NAME_MAX].rstrip("-")
    if not slug or len(slug) > NAME_MAX:
        raise ValidationFailed.field(
            "slug",
            "Needs at least one letter a-z or digit."
            if typed
            else "The name has no letters a-z or digits to make a slug of: type one.",
        )
    return slug


def _free_slug(slug: str, taken: Mapping[str, str]) -> str:
    """The slug, or if another queue has it the first of slug-2, slug-3, … none has (cut
    to length)."""
    number, free = 1, slug
    while free in taken:
        number += 1
        suffix = f"-{number}"
        free = slug[: NAME_MAX - len(suffix)].rstrip("-") + suffix
    return free
