"""TicketManager: the one place where ticket rules live.

Every way in (API, web, mail, CLI) calls these methods with an explicit acting
user. A change, the `TicketEvent` rows that record it, and its outbox
rows commit in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ticketdesk.models import (
    FINISHED_STATUSES,
    Comment,
    EventKind,
    Priority,
    Ticket,
    TicketEvent,
    TicketStatus,
    User,
    utcnow,
)
from ticketdesk.services import ticket_fields as fields
from ticketdesk.services import ticket_queries as queries
from ticketdesk.services import ticket_values
from ticketdesk.services.contacts import Contact, ContactAccounts, contact_account, requester_for
from ticketdesk.services.errors import NotFound, PermissionDenied, StaleVersion, ValidationFailed
from ticketdesk.services.idempotency import IdempotencyKey, commit_once, replayed
from ticketdesk.services.listing import (
    NO_FILTERS,
    TicketFilter,
    TicketSummary,
    filtered_tickets,
    list_rows,
    sees_only_own,
)
from ticketdesk.services.notifications import NullNotifier
from ticketdesk.services.pagination import Page, TicketSort, ticket_cursor
from ticketdesk.services.search import search_page
from ticketdesk.services.search_index import index_new_ticket, index_ticket
from ticketdesk.services.ticket_rows import insert_comment, insert_ticket, record_event
from ticketdesk.services.transactions import begin_write
from ticketdesk.services.workflow import authorise_changes


class FilesToAttach(Protocol):
    """Files stored ahead of a change, recorded in its transaction (services.attachments)."""

    items: list  # the files; none when the form had nothing attached

    def attach(
        self, session: Session, *, ticket_id: int, comment_id: int | None, actor: User
    ) -> None: ...


@dataclass(frozen=True)
class StatusChange:
    """A status to set along with a reply or note, and the ticket version it was chosen
    on (None: whatever the version). The status may come as its value from a form: it
    is checked and converted as any change is (ticket_values.validated_changes)."""

    status: TicketStatus | str
    expected_version: int | None = None


# What a reply with neither words nor files is told.
NOTHING_TO_SEND = "Write a message or attach a file."

# The largest id a row can have (an INTEGER column): a page "up to" it ends at the newest.
_LAST_POSSIBLE_ID = 2**31 - 1


class TicketManager:
    """Create, read, change and discuss tickets, as a given user is allowed to."""

    def __init__(
        self,
        session: Session,
        *,
        default_queue_slug: str = "general",
        notifier=None,
        accounts: ContactAccounts | None = None,
    ) -> None:
        self.session = session
        self.default_queue_slug = default_queue_slug
        # Writes outbox rows in each change's transaction (services/notifications.py).
        self.notifier = notifier or NullNotifier()
        # Finds or makes the account of someone staff open a ticket for (services/contacts.py).
        self.accounts = accounts

    # --- reading --------------------------------------------------------

    def get_ticket(self, actor: User, ticket_id: int) -> Ticket:
        """The ticket, if the actor may see it; otherwise NotFound (ids can't be probed)."""
        ticket = self.session.scalar(queries.TICKET_WITH_PEOPLE, {"ticket_id": ticket_id})
        if ticket is None or not _may_see(actor, ticket):
            raise NotFound(f"Ticket {ticket_id} was not found.")
        return ticket

    def visible_ticket(self, actor: User, ticket_id: int) -> Ticket:
        """As get_ticket, but without a query when this request has loaded the ticket.

        For reads that hang off a ticket (comments, history, files); writes use
        get_ticket, which reads the row afresh inside their transaction.
        """
        ticket = self.session.get(Ticket, ticket_id)
        if ticket is None or not _may_see(actor, ticket):
            raise NotFound(f"Ticket {ticket_id} was not found.")
        return ticket

    def get_tickets(
        self,
        actor: User,
        filters: TicketFilter = NO_FILTERS,
        *,
        sort: TicketSort | None = None,
        limit: int = 25,
        cursor: str | None = None,
    ) -> Page[TicketSummary]:
        """One page of the tickets the actor may see, filtered and sorted.

        Without `sort`: best matches first when searching `filters.text`, else newest first.
        """
        if filters.text:
            return search_page(
                self.session,
                filtered_tickets(actor, filters),
                filters.text,
                customer_id=None if actor.is_staff else actor.id,
                sort=sort,
                limit=limit,
                cursor=cursor,
            )
        sort = sort or TicketSort.NEWEST
        rows = list_rows(self.session, actor, filters, sort, cursor=cursor, limit=limit + 1)
        more = len(rows) > limit
        items = rows[:limit]
        return Page(items, ticket_cursor(items[-1], sort) if more else None)

    def get_user_tickets(
        self,
        actor: User,
        user_id: int,
        *,
        sort: TicketSort = TicketSort.NEWEST,
        limit: int = 25,
        cursor: str | None = None,
    ) -> Page[TicketSummary]:
        """Tickets requested by or assigned to a user; customers may ask only about themselves."""
        if not actor.is_staff and actor.id != user_id:
            raise NotFound(f"User {user_id} was not found.")
        if self.session.get(User, user_id) is None:
            raise NotFound(f"User {user_id} was not found.")
        return self.get_tickets(
            actor, TicketFilter(involving_user_id=user_id), sort=sort, limit=limit, cursor=cursor
        )

    def get_comments(
        self, actor: User, ticket_id: int, *, limit: int, after_id: int = 0
    ) -> list[Comment]:
        """`limit` replies of the conversation after `after_id`, oldest first; internal
        notes only for staff."""
        return self._page_of(actor, ticket_id, queries.CONVERSATION, limit, after_id=after_id)

    def get_latest_comments(
        self, actor: User, ticket_id: int, *, limit: int, before_id: int | None = None
    ) -> list[Comment]:
        """The last `limit` replies before `before_id` (by default the newest), oldest first."""
        pages = queries.CONVERSATION
        return self._page_of(actor, ticket_id, pages, limit, newest=True, before_id=before_id)

    def opened_for(self, ticket: Ticket):
        """Who opened `ticket` (one the caller may read) for its requester, as (id, name):
        staff, for a caller, whose words the description is; None when the requester
        opened it."""
        opener = self.session.execute(queries.OPENER, {"ticket_id": ticket.id}).first()
        return opener if opener is not None and opener.id != ticket.requester_id else None

    def get_events(
        self, actor: User, ticket_id: int, *, limit: int, after_id: int = 0
    ) -> list[TicketEvent]:
        """`limit` entries of the ticket's history after `after_id`, oldest first; internal
        notes and mail threading only for staff."""
        return self._page_of(actor, ticket_id, queries.HISTORY, limit, after_id=after_id)

    def get_latest_events(
        self, actor: User, ticket_id: int, *, limit: int, before_id: int | None = None
    ) -> list[TicketEvent]:
        """The last `limit` history entries before `before_id` (by default the newest),
        oldest first."""
        pages = queries.HISTORY
        return self._page_of(actor, ticket_id, pages, limit, newest=True, before_id=before_id)

    def _page_of(
        self,
        actor: User,
        ticket_id: int,
        pages: dict,
        limit: int,
        *,
        newest: bool = False,
        after_id: int = 0,
        before_id: int | None = None,
    ) -> list:
        """A page of a ticket's rows from `pages` (see ticket_queries), oldest first: those
        after `after_id`, or with `newest` the last before `before_id` (None: of all)."""
        ticket = self.visible_ticket(actor, ticket_id)
        up_to_id = _LAST_POSSIBLE_ID if before_id is None else before_id - 1
        params = {
            "ticket_id": ticket.id,
            "limit": limit,
            "after_id": after_id,
            "up_to_id": up_to_id,
        }
        rows = list(self.session.scalars(pages[actor.is_staff, newest], params))
        return rows[::-1] if newest else rows

    # --- writing --------------------------------------------------------

    def create_ticket(
        self,
        actor: User,
        *,
        title: str,
        description: str,
        priority: Priority | None = None,
        queue_id: int | None = None,
        requester_id: int | None = None,
        contact: Contact | None = None,
        idempotency: IdempotencyKey | None = None,
        files: FilesToAttach | None = None,
    ) -> Ticket:
        """Open a ticket; staff may open one on behalf of another user, named by id or,
        as `contact`, by email address (an account is made for an unknown address).

        With `idempotency`, a retry of the same request returns the first ticket.
        `files` (already stored) are recorded on it in the same transaction.
        """
        title, description = fields.check_title(title), fields.check_description(description)
        # Read before the write begins, so that SQLite's one writer waits less: the
        # requester is the actor or a user checked just now, and a queue deleted
        # meanwhile is refused by the foreign key (ticket_rows.insert_ticket).
        requester = requester_for(self.session, actor, requester_id, contact)
        queue = ticket_values.queue_for(
            self.session, queue_id, default_slug=self.default_queue_slug
        )
        begin_write(self.session)
        if idempotency and (first := replayed(self.session, actor, idempotency, "ticket")):
            return self.get_ticket(actor, first)
        if requester is None:  # a contact's account: made in this write, if it is new
            requester = contact_account(self.accounts, actor, contact)
        ticket = insert_ticket(
            self.session, requester, queue, title=title, description=description, priority=priority
        )
        status, at = ticket.status, ticket.created_at
        record_event(self.session, ticket, actor, EventKind.CREATED, None, status, at=at)
        self.notifier.ticket_created(actor, ticket)
        if files is not None and files.items:
            files.attach(self.session, ticket_id=ticket.id, comment_id=None, actor=actor)
            index_ticket(self.session, ticket.id)  # the files' names are words too
        else:
            index_new_ticket(self.session, ticket.id, ticket.title, ticket.description)
        made = ticket.id  # after a lost idempotency race the rolled-back row is gone
        first = commit_once(self.session, actor, idempotency, "ticket", made)
        return ticket if first == made else self.get_ticket(actor, first)

    def update_ticket(
        self,
        actor: User,
        ticket_id: int,
        changes: Mapping[str, Any],
        *,
        expected_version: int | None = None,
    ) -> Ticket:
        """Apply the given field changes, or none of them.

        `changes` holds only the fields the caller means to set. With
        `expected_version`, a ticket changed meanwhile raises StaleVersion.
        """
        unknown = set(changes) - set(fields.EDITABLE_FIELDS)
        if unknown:
            raise ValidationFailed({field: ["Cannot be changed."] for field in sorted(unknown)})
        begin_write(self.session)
        ticket = self.get_ticket(actor, ticket_id)
        changed = self._checked_changes(actor, ticket, changes, expected_version)
        self._make_changes(actor, ticket, changed, at=utcnow())
        try:
            self.session.commit()
        except StaleDataError:
            self.session.rollback()
            raise StaleVersion() from None
        except IntegrityError:
            if "queue_id" in changed:  # a queue deleted since it was read (PostgreSQL)
                ticket_values.refuse_deleted_queue(self.session, changed["queue_id"])
            raise
        return ticket

    def _checked_changes(
        self, actor: User, ticket: Ticket, changes: Mapping[str, Any], expected_version: int | None
    ) -> dict[str, Any]:
        """The fields `changes` would change on `ticket`, once the actor, the version the
        change was drawn from, each value and the workflow allow them all."""
        staff_only = set(changes) - set(fields.CUSTOMER_FIELDS)
        if staff_only and not actor.is_staff:
            raise PermissionDenied(f"Only staff can change the {', '.join(sorted(staff_only))}.")
        if expected_version is not None and expected_version != ticket.version:
            raise StaleVersion(ticket.version)
        new_values = ticket_values.validated_changes(
            self.session, changes, default_queue_slug=self.default_queue_slug
        )
        changed = {
            field: value for field, value in new_values.items() if getattr(ticket, field) != value
        }
        authorise_changes(actor, ticket, changed)
        return changed

    def _make_changes(
        self, actor: User, ticket: Ticket, changed: dict[str, Any], *, at, notify: bool = True
    ) -> None:
        """Set checked changes on the ticket, each with its history entry and (unless the
        caller tells of them itself) notification."""
        if not changed:
            return
        for field, value in changed.items():
            kind, old = fields.FIELD_EVENTS[field], getattr(ticket, field)
            record_event(self.session, ticket, actor, kind, old, value, at=at)
            setattr(ticket, field, value)
        if stale := fields.stale_relationships(changed):
            self.session.expire(ticket, stale)
        if "status" in changed:
            fields.stamp_status(ticket, changed["status"], at)
        # Set before anything flushes, so the ticket row is written (and versioned) once.
        ticket.updated_at = at
        if "title" in changed or "description" in changed:
            index_ticket(self.session, ticket.id)
        if notify:
            self.notifier.ticket_changed(actor, ticket, changed)

    def update_ticket_status(
        self,
        actor: User,
        ticket_id: int,
        status: TicketStatus,
        *,
        expected_version: int | None = None,
    ) -> Ticket:
        """Move a ticket along the workflow."""
        return self.update_ticket(
            actor, ticket_id, {"status": status}, expected_version=expected_version
        )

    def assign_ticket_to_staff(
        self,
        actor: User,
        ticket_id: int,
        staff_id: int | None,
        *,
        expected_version: int | None = None,
    ) -> Ticket:
        """Give the ticket to an active staff member or admin (None unassigns it)."""
        return self.update_ticket(
            actor, ticket_id, {"assignee_id": staff_id}, expected_version=expected_version
        )

    def add_comment(
        self,
        actor: User,
        ticket_id: int,
        *,
        body: str,
        internal: bool = False,
        idempotency: IdempotencyKey | None = None,
        files: FilesToAttach | None = None,
        then: StatusChange | None = None,
    ) -> Comment:
        """Reply on a ticket; staff may instead write an internal note, and (`then`) set
        the ticket's status with it, under the workflow's rules, or neither is saved.

        The body may be empty when files come with it. `files` (already stored) are
        recorded on the comment in the same transaction.
        """
        if internal and not actor.is_staff:
            raise PermissionDenied("Only staff can write internal notes.")
        if then is not None and not actor.is_staff:
            raise PermissionDenied("Only staff can set the status with a reply.")
        body = fields.check_text("body", body, required=False)
        if not body.strip() and (files is None or not files.items):
            raise ValidationFailed.field("body", NOTHING_TO_SEND)
        begin_write(self.session)
        ticket = self.get_ticket(actor, ticket_id)
        scope = f"comment:{ticket.id}"
        if idempotency and (first := replayed(self.session, actor, idempotency, scope)):
            return self.session.get(Comment, first)
        changed = {}
        if then is not None:
            wanted = {"status": then.status}
            changed = self._checked_changes(actor, ticket, wanted, then.expected_version)
        now = utcnow()
        comment, reopened = insert_comment(
            self.session, actor, ticket, body, internal=internal, at=now
        )
        if files is not None:
            files.attach(self.session, ticket_id=ticket.id, comment_id=comment.id, actor=actor)
        index_ticket(self.session, ticket.id)
        # After the reply, in its history. A public reply that resolves or closes the
        # ticket is one mail saying both, not the reply and then the notice.
        finished = not internal and changed.get("status") in FINISHED_STATUSES
        self._make_changes(actor, ticket, changed, at=now, notify=not finished)
        self.notifier.comment_added(actor, ticket, comment, reopened=reopened, finished=finished)
        try:
            first = commit_once(self.session, actor, idempotency, scope, comment.id)
        except StaleDataError:
            self.session.rollback()
            raise StaleVersion() from None
        return comment if first == comment.id else self.session.get(Comment, first)

    # --- history --------------------------------------------------------

    def record(self, ticket: Ticket, actor: User, kind: EventKind, old, new) -> None:
        """Add an entry to the ticket's history, now, inside the caller's write."""
        record_event(self.session, ticket, actor, kind, old, new, at=utcnow())


def _may_see(actor: User, ticket: Ticket) -> bool:
    """One ticket under the rule every list applies (listing.sees_only_own)."""
    return not sees_only_own(actor) or ticket.requester_id == actor.id
