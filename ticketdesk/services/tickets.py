"""TicketManager: the one place where ticket rules live.

Every way in (API, web, mail, CLI) calls these methods with an explicit acting
user. A change, the `TicketEvent` rows that record it, and its outbox
rows commit in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from ticketdesk.models import (
    ACTIVE_STATUSES,
    FINISHED_STATUSES,
    Comment,
    EventKind,
    HelpdeskStaff,
    Priority,
    Queue,
    Ticket,
    TicketEvent,
    TicketStatus,
    User,
    utcnow,
)
from ticketdesk.services import ticket_fields as fields
from ticketdesk.services import ticket_queries as queries
from ticketdesk.services.contacts import (
    Contact,
    ContactAccounts,
    check_contact,
    contact_account,
    is_the_actor,
)
from ticketdesk.services.errors import NotFound, PermissionDenied, StaleVersion, ValidationFailed
from ticketdesk.services.idempotency import IdempotencyKey, remember, replayed
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
from ticketdesk.services.transactions import begin_write
from ticketdesk.services.workflow import REOPENED_BY_CUSTOMER_REPLY, authorise_changes


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
    is checked and converted as any change is (TicketManager._validated)."""

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
        # meanwhile is refused by the foreign key (_insert_ticket).
        requester = self._requester_for(actor, requester_id, contact)
        queue = self._queue_for(queue_id)
        begin_write(self.session)
        if idempotency and (first := replayed(self.session, actor, idempotency, "ticket")):
            return self.get_ticket(actor, first)
        if requester is None:  # a contact's account: made in this write, if it is new
            requester = contact_account(self.accounts, actor, contact)
        ticket = self._insert_ticket(title, description, priority, queue, requester)
        self._record(ticket, actor, EventKind.CREATED, None, ticket.status, at=ticket.created_at)
        self.notifier.ticket_created(actor, ticket)
        if files is not None and files.items:
            files.attach(self.session, ticket_id=ticket.id, comment_id=None, actor=actor)
            index_ticket(self.session, ticket.id)  # the files' names are words too
        else:
            index_new_ticket(self.session, ticket.id, ticket.title, ticket.description)
        made = ticket.id  # after a lost idempotency race the rolled-back row is gone
        first = self._commit_once(actor, idempotency, "ticket", made)
        return ticket if first == made else self.get_ticket(actor, first)

    def _insert_ticket(
        self, title: str, description: str, priority: Priority | None, queue: Queue, requester: User
    ) -> Ticket:
        """The new ticket's row, and the ticket as the ORM would have loaded it.

        All of this runs inside SQLite's write turn. A unit-of-work flush, or an ORM
        INSERT … RETURNING, spends more than twice as long in Python as inserting the
        row and building the object from the values it was given.
        """
        now = utcnow()
        values = {
            "title": title,
            "description": description,
            "priority": Priority(priority) if priority else Priority.NORMAL,
            "queue_id": queue.id,
            "requester_id": requester.id,
            "assignee_id": None,
            "status": TicketStatus.OPEN,
            "created_at": now,
            "updated_at": now,
            "resolved_at": None,
            "closed_at": None,
            "version": 1,
        }
        try:
            inserted = self.session.connection().execute(queries.INSERT_TICKET, values)
        except IntegrityError:
            self._refuse_deleted_queue(queue.id)
            raise
        ticket_id = inserted.scalar_one()
        ticket = Ticket(id=ticket_id, **values)
        make_transient_to_detached(ticket)  # every column as stored: nothing to reload
        self.session.add(ticket)
        set_committed_value(ticket, "requester", requester)
        set_committed_value(ticket, "assignee", None)
        set_committed_value(ticket, "queue", queue)
        return ticket

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
                self._refuse_deleted_queue(changed["queue_id"])
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
        new_values = self._validated(changes)
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
            self._record(
                ticket, actor, fields.FIELD_EVENTS[field], getattr(ticket, field), value, at=at
            )
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
        comment, reopened = self._insert_comment(actor, ticket, body, internal, at=now)
        if files is not None:
            files.attach(self.session, ticket_id=ticket.id, comment_id=comment.id, actor=actor)
        index_ticket(self.session, ticket.id)
        # After the reply, in its history. A public reply that resolves or closes the
        # ticket is one mail saying both, not the reply and then the notice.
        finished = not internal and changed.get("status") in FINISHED_STATUSES
        self._make_changes(actor, ticket, changed, at=now, notify=not finished)
        self.notifier.comment_added(actor, ticket, comment, reopened=reopened, finished=finished)
        try:
            first = self._commit_once(actor, idempotency, scope, comment.id)
        except StaleDataError:
            self.session.rollback()
            raise StaleVersion() from None
        return comment if first == comment.id else self.session.get(Comment, first)

    def _insert_comment(
        self, actor: User, ticket: Ticket, body: str, internal: bool, *, at
    ) -> tuple[Comment, bool]:
        """The comment's row and history entry; whether a customer's reply reopened the
        ticket (its status changed too)."""
        comment = Comment(
            ticket_id=ticket.id, author_id=actor.id, body=body, internal=internal, created_at=at
        )
        self.session.add(comment)
        self.session.flush()
        kind = EventKind.INTERNAL_NOTE if internal else EventKind.COMMENT
        self._record(ticket, actor, kind, None, str(comment.id), at=at)
        reopened = not actor.is_staff and ticket.status in REOPENED_BY_CUSTOMER_REPLY
        if reopened:
            self._record(ticket, actor, EventKind.STATUS, ticket.status, TicketStatus.OPEN, at=at)
            ticket.status = TicketStatus.OPEN
            fields.stamp_status(ticket, TicketStatus.OPEN, at)
            ticket.updated_at = at
        else:
            # Activity moves the ticket up the "recently updated" list without bumping
            # its version: a reply does not make someone's open edit form stale.
            self.session.execute(
                update(Ticket)
                .where(Ticket.id == ticket.id)
                .values(updated_at=at)
                .execution_options(synchronize_session=False)
            )
        return comment, reopened

    def _commit_once(
        self, actor: User, idempotency: IdempotencyKey | None, scope: str, made_id: int
    ) -> int:
        """Commit a create under its idempotency key; returns the id the key stands for.

        Two racing requests with one key both get here; the unique key lets one
        commit, and the other rolls back and returns what the first made.
        """
        if idempotency is None:
            self.session.commit()
            return made_id
        remember(self.session, actor, idempotency, scope, made_id)
        try:
            self.session.commit()
        except IntegrityError:
            self.session.rollback()
            first = replayed(self.session, actor, idempotency, scope)
            if first is None:
                raise
            return first
        return made_id

    # --- rules ----------------------------------------------------------

    def _validated(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Check each value on its own terms and convert it to the model's type."""
        values: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        checks = {
            "title": fields.check_title,
            "description": fields.check_description,
            "status": lambda value: TicketStatus(value),
            "priority": lambda value: Priority(value),
            "queue_id": lambda value: self._queue_for(value, field="queue_id").id,
            "assignee_id": self._assignee_id,
        }
        for field, value in changes.items():
            try:
                values[field] = checks[field](value)
            except ValidationFailed as error:
                errors.update(error.errors)
            except (ValueError, TypeError):
                errors[field] = ["Not an allowed value."]
        if errors:
            raise ValidationFailed(errors)
        return values

    def _assignee_id(self, staff_id: int | None) -> int | None:
        if staff_id is None:
            return None
        staff = self.session.get(User, staff_id)
        if staff is None or not HelpdeskStaff.can_hold_tickets(staff):
            raise ValidationFailed.field(
                "assignee_id", "Tickets can be assigned only to active staff members."
            )
        return staff.id

    def _queue_for(self, queue_id: int | None, *, field: str = "queue_id") -> Queue:
        if queue_id is None:
            queue = self.session.scalar(queries.QUEUE_BY_SLUG, {"slug": self.default_queue_slug})
        else:
            queue = self.session.get(Queue, queue_id)
        if queue is None:
            raise ValidationFailed.field(field, "No such queue.")
        return queue

    def _refuse_deleted_queue(self, queue_id: int) -> None:
        """After the foreign key refused a write: a field error if the queue is gone (an
        admin deleted it after this change read it), else nothing to say."""
        self.session.rollback()
        if self.session.scalar(queries.QUEUE_EXISTS, {"queue_id": queue_id}) is None:
            raise ValidationFailed.field("queue_id", "That queue was deleted: choose another.")

    def _requester_for(
        self, actor: User, requester_id: int | None, contact: Contact | None
    ) -> User | None:
        """The requester, or None when `contact` names them (found inside the write)."""
        if contact is not None and is_the_actor(actor, contact, requester_id=requester_id):
            return actor
        if contact is not None:
            check_contact(actor, contact, requester_id=requester_id)
            return None
        if requester_id is None or requester_id == actor.id:
            return actor
        if not actor.is_staff:
            raise PermissionDenied("Only staff can open tickets for someone else.")
        requester = self.session.get(User, requester_id)
        if requester is None or not requester.active:
            raise ValidationFailed.field("requester_id", "No such active user.")
        return requester

    def record(self, ticket: Ticket, actor: User, kind: EventKind, old, new) -> None:
        """Add an entry to the ticket's history, now, inside the caller's write."""
        self._record(ticket, actor, kind, old, new, at=utcnow())

    def _record(self, ticket: Ticket, actor: User, kind: EventKind, old, new, *, at) -> None:
        # On the connection, so that the change itself is not flushed ahead of its other fields.
        values = {"ticket_id": ticket.id, "actor_id": actor.id, "kind": kind, "at": at}
        values |= {"old_value": fields.as_text(old), "new_value": fields.as_text(new)}
        self.session.connection().execute(queries.INSERT_EVENT, values)


def _may_see(actor: User, ticket: Ticket) -> bool:
    """One ticket under the rule every list applies (listing.sees_only_own)."""
    return not sees_only_own(actor) or ticket.requester_id == actor.id


def tickets_held_by(session: Session, holder_id: int) -> int:
    """How many unresolved tickets someone holds: what `release_tickets_of` would unassign."""
    tickets = Ticket.__table__
    held = (
        select(func.count())
        .select_from(tickets)
        .where(tickets.c.assignee_id == holder_id, tickets.c.status.in_(ACTIVE_STATUSES))
    )
    return session.scalar(held)


def release_tickets_of(session: Session, actor: User, holder_id: int, *, at) -> None:
    """Unassign the unresolved tickets of someone who can no longer hold them (deactivated,
    or no longer staff), in the caller's transaction, each with its history entry.

    Left assigned, they were on no one's list: the team's counts and filters offer only
    active staff. Resolved and closed tickets keep who handled them.
    """
    tickets = Ticket.__table__
    released = (
        update(tickets)
        .where(tickets.c.assignee_id == holder_id, tickets.c.status.in_(ACTIVE_STATUSES))
        .values(assignee_id=None, updated_at=at, version=tickets.c.version + 1)
        .returning(tickets.c.id)
    )
    ticket_ids = list(session.scalars(released))
    if not ticket_ids:
        return
    event = {"actor_id": actor.id, "kind": EventKind.ASSIGNEE, "at": at}
    event |= {"old_value": str(holder_id), "new_value": None}
    session.execute(
        queries.INSERT_EVENT, [event | {"ticket_id": ticket_id} for ticket_id in ticket_ids]
    )
