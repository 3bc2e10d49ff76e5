"""The notices staff choose to be mailed: which new tickets (all, those of chosen queues,
none), and those of the tickets assigned to them.

A customer has no such choice: their own mail (the acknowledgement, the replies to them)
is how the conversation with them happens.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session

from ticketdesk.models import HelpdeskStaff, NewTicketNotices, Queue, User, WatchedQueue
from ticketdesk.services.errors import PermissionDenied, ValidationFailed
from ticketdesk.services.transactions import begin_write

STAFF_ONLY = (
    "Only staff and admins choose which notices they are mailed; mail about your own"
    " tickets always reaches you."
)


@dataclass(frozen=True)
class NoticeChoice:
    """What one staff member is mailed: `queue_ids` counts only for CHOSEN_QUEUES."""

    new_tickets: NewTicketNotices
    queue_ids: tuple[int, ...]
    assigned_to_me: bool


def select_told_of_new_tickets(queue_id: int):
    """A query for the active staff who chose to hear of a new ticket in this queue: one
    statement however many staff there are, as it runs for every new ticket."""
    watching = (
        select(WatchedQueue.user_id)
        .where(WatchedQueue.user_id == User.id, WatchedQueue.queue_id == queue_id)
        .exists()
    )
    return HelpdeskStaff.select_active().where(
        or_(
            User.new_ticket_notices == NewTicketNotices.ALL,
            (User.new_ticket_notices == NewTicketNotices.CHOSEN_QUEUES) & watching,
        )
    )


def forget_queue(session: Session, queue_id: int) -> None:
    """A queue being deleted leaves every choice that named it; whoever chose only that
    one hears of all new tickets again, rather than of none without having said so."""
    session.execute(delete(WatchedQueue).where(WatchedQueue.queue_id == queue_id))
    still_watching = select(WatchedQueue.user_id).where(WatchedQueue.user_id == User.id).exists()
    session.execute(
        update(User)
        .where(User.new_ticket_notices == NewTicketNotices.CHOSEN_QUEUES, ~still_watching)
        .values(new_ticket_notices=NewTicketNotices.ALL)
        .execution_options(synchronize_session=False)
    )


class NoticeChoices:
    """Staff read and change their own choice; nobody changes anyone else's."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def choice_of(self, actor: User) -> NoticeChoice:
        """Your own choice (staff and admins)."""
        _require_staff(actor)
        return self._read(actor)

    def choose(
        self,
        actor: User,
        *,
        new_tickets: NewTicketNotices | None = None,
        queue_ids: Iterable[int] | None = None,
        assigned_to_me: bool | None = None,
    ) -> NoticeChoice:
        """Change what you are mailed (None: unchanged). Chosen queues are kept whatever
        `new_tickets` says, so that switching back to them finds them again."""
        _require_staff(actor)
        before = self._read(actor)
        watched = before.queue_ids if queue_ids is None else self._known_queues(set(queue_ids))
        after = NoticeChoice(
            new_tickets or before.new_tickets,
            watched,
            before.assigned_to_me if assigned_to_me is None else assigned_to_me,
        )
        if after.new_tickets == NewTicketNotices.CHOSEN_QUEUES and not after.queue_ids:
            raise ValidationFailed.field(
                "queue_ids", "Choose at least one queue, or no new tickets at all."
            )
        begin_write(self.session)
        actor.new_ticket_notices, actor.assigned_notices = after.new_tickets, after.assigned_to_me
        if after.queue_ids != before.queue_ids:
            self.session.execute(delete(WatchedQueue).where(WatchedQueue.user_id == actor.id))
            rows = [{"user_id": actor.id, "queue_id": queue_id} for queue_id in after.queue_ids]
            if rows:
                self.session.execute(insert(WatchedQueue), rows)
        self.session.commit()
        return after

    def _known_queues(self, queue_ids: set[int]) -> tuple[int, ...]:
        """The queues named, in order, or a field error naming those that do not exist."""
        known = set(self.session.scalars(select(Queue.id).where(Queue.id.in_(queue_ids))))
        if unknown := sorted(queue_ids - known):
            listed = ", ".join(str(queue_id) for queue_id in unknown)
            raise ValidationFailed.field("queue_ids", f"No such queue: {listed}.")
        return tuple(sorted(known))

    def _read(self, actor: User) -> NoticeChoice:
        queue_ids = self.session.scalars(
            select(WatchedQueue.queue_id)
            .where(WatchedQueue.user_id == actor.id)
            .order_by(WatchedQueue.queue_id)
        )
        return NoticeChoice(actor.new_ticket_notices, tuple(queue_ids), actor.assigned_notices)


def _require_staff(actor: User) -> None:
    if not actor.is_staff:
        raise PermissionDenied(STAFF_ONLY)
