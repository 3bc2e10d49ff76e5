"""Notifications: who hears about a ticket change, written to the outbox in its transaction.

TicketManager calls a Notifier right before it commits, so a committed change
always has its outbox rows and a rolled-back one never does. The rules:

- created: an acknowledgement to the requester; a notice to the queue's staff
  (configured addresses, else every active staff member who chose to hear of new
  tickets in that queue; can be switched off for everyone);
- assigned: to the new assignee (not when they assigned themselves);
- public reply: by staff to the requester; by the customer to the assignee
  (to the new-ticket recipients while nobody is assigned);
- resolved or closed: to the requester.

Internal notes send nothing. Nobody is told about their own action. Staff who turned
off the notices of tickets assigned to them are not told of the assignment, nor of
the customer's replies and reopening (see `services.notice_choices`); each choice is
read in the transaction of the change it is about.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ticketdesk.mail.render import Envelope, bare_address, compose, one_line, render_bodies
from ticketdesk.mail.tokens import new_message_id, reply_address, thread_root_id
from ticketdesk.models import (
    FINISHED_STATUSES,
    Attachment,
    Comment,
    OutboxMessage,
    Ticket,
    TicketStatus,
    User,
)
from ticketdesk.models.mail import SUBJECT_MAX
from ticketdesk.services.file_links import FileLinks, file_links
from ticketdesk.services.notice_choices import select_told_of_new_tickets

_INSERT_OUTBOX = insert(OutboxMessage.__table__)
_SUBJECTS = {
    "ticket_created": "[#{id}] {title}",
    "new_ticket_staff": "[#{id}] New ticket: {title}",
    "ticket_assigned": "[#{id}] Assigned to you: {title}",
    "comment_added": "Re: [#{id}] {title}",
    "reply_reopened": "Re: [#{id}] Reopened: {title}",
    "reply_finished": "Re: [#{id}] {status}: {title}",
    "ticket_resolved": "[#{id}] {status}: {title}",
    "ticket_reopened": "[#{id}] Reopened: {title}",
}


@dataclass(frozen=True)
class NotificationSettings:
    secret_key: str
    from_address: str = "Ticketdesk <support@localhost>"
    reply_address: str = "support@localhost"
    notify_staff_on_new_ticket: bool = True
    # queue slug (or "*") -> addresses told about new tickets; empty: every active staff member
    staff_addresses: Mapping[str, Sequence[str]] = field(default_factory=dict)
    # Where the links in a message point; and the file links it makes, if any.
    base_url: str = "http://127.0.0.1:8000"
    file_links: FileLinks | None = None


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str


class Notifier:
    """Turns ticket changes into outbox rows (never commits: the caller's transaction does)."""

    def __init__(self, session: Session, settings: NotificationSettings) -> None:
        self.session = session
        self.settings = settings
        # Message-IDs that the next notifications also refer to (the customer's own mail).
        self.extra_references: tuple[str, ...] = ()
        # False for mail through a list: its acknowledgement would go to the list (RFC 3834).
        self.acknowledge_requester = True

    # --- hooks called by TicketManager ----------------------------------

    def ticket_created(self, actor: User, ticket: Ticket) -> None:
        requester = ticket.requester or self.session.get(User, ticket.requester_id)
        if self.acknowledge_requester:
            self._send("ticket_created", ticket, actor, [requester], notify_actor=True)
        if self.settings.notify_staff_on_new_ticket:
            self._send("new_ticket_staff", ticket, actor, self._staff_recipients(ticket))

    def ticket_changed(self, actor: User, ticket: Ticket, changed: Mapping[str, Any]) -> None:
        assignee_id = changed.get("assignee_id")
        if assignee_id is not None:
            assignee = self.session.get(User, assignee_id)
            self._send("ticket_assigned", ticket, actor, _if_assigned_notices(assignee))
        if changed.get("status") in FINISHED_STATUSES:
            self._send("ticket_resolved", ticket, actor, [ticket.requester])
        elif changed.get("status") == TicketStatus.OPEN and not actor.is_staff:  # reopened
            self._send("ticket_reopened", ticket, actor, self._handlers(ticket))

    def comment_added(
        self,
        actor: User,
        ticket: Ticket,
        comment: Comment,
        *,
        reopened: bool = False,
        finished: bool = False,
    ) -> None:
        """A public reply goes to the other side; one that reopened the ticket, or (staff)
        resolved or closed it, says so in the one message that carries it."""
        if comment.internal:
            return
        recipients = [ticket.requester] if actor.is_staff else self._handlers(ticket)
        kind = "reply_reopened" if reopened else "reply_finished" if finished else "comment_added"
        self._send(kind, ticket, actor, recipients, comment=comment)

    # --- helpers --------------------------------------------------------

    def _handlers(self, ticket: Ticket) -> list[Recipient | User | None]:
        """Who hears from the customer: the assignee, or the staff when there is none."""
        if ticket.assignee_id is not None:
            return _if_assigned_notices(self.session.get(User, ticket.assignee_id))
        return self._staff_recipients(ticket)

    def _staff_recipients(self, ticket: Ticket) -> list[Recipient | User]:
        configured = self.settings.staff_addresses
        addresses = configured.get(ticket.queue.slug) or configured.get("*")
        if addresses:
            return [Recipient(name="", email=bare_address(a)) for a in addresses]
        return list(self.session.scalars(select_told_of_new_tickets(ticket.queue_id)))

    def _send(
        self,
        kind: str,
        ticket: Ticket,
        actor: User,
        recipients: Sequence[Recipient | User | None],
        *,
        comment: Comment | None = None,
        notify_actor: bool = False,
    ) -> None:
        seen: set[str] = set()
        rows = []
        for person in recipients:
            if person is None or not getattr(person, "active", True):
                continue
            email = person.email.lower()
            if email in seen or (email == actor.email and not notify_actor):
                continue
            seen.add(email)
            rows.append(self._outbox_row(kind, ticket, actor, person, comment))
        # Inserted now as rows (the outbox is only appended to here), not tracked as
        # objects; on the connection, so that pending changes are not flushed early; all
        # in one statement, however many staff are told.
        if rows:
            self.session.connection().execute(_INSERT_OUTBOX, rows)

    def _outbox_row(self, kind, ticket: Ticket, actor: User, person, comment) -> dict:
        """An outbox row saying what happened; the worker renders it (see OutboxMessage)."""
        settings = self.settings
        subject = _SUBJECTS[kind].format(
            id=ticket.id, title=one_line(ticket.title), status=ticket.status.value.capitalize()
        )
        return {
            "ticket_id": ticket.id,
            "kind": kind,
            "recipient": person.email,
            "recipient_name": person.name,
            "subject": subject[:SUBJECT_MAX],
            "message_id": new_message_id(settings.secret_key, _domain(settings), ticket.id),
            "actor_id": actor.id,
            "comment_id": comment.id if comment is not None else None,
            "ticket_status": ticket.status.value,
            "thread_refs": " ".join(self.extra_references) or None,
        }


def _if_assigned_notices(assignee: User | None) -> list[User]:
    """The assignee, unless they chose not to be mailed about the tickets assigned to them."""
    return [assignee] if assignee is not None and assignee.assigned_notices else []


class NotRenderable(Exception):
    """What a notification was about is gone (a deleted ticket or reply)."""


def render_notification(session: Session, settings: NotificationSettings, row) -> str:
    """The whole message for an outbox row written by `Notifier`, from the rows it names."""
    ticket = session.get(Ticket, row.ticket_id) if row.ticket_id is not None else None
    if ticket is None:
        raise NotRenderable("The ticket no longer exists.")
    comment = session.get(Comment, row.comment_id) if row.comment_id is not None else None
    if row.kind in _REPLIES and comment is None:
        raise NotRenderable("The reply no longer exists.")
    actor = session.get(User, row.actor_id) if row.actor_id is not None else None
    domain = _domain(settings)
    envelope = Envelope(
        recipient_name=row.recipient_name or "",
        recipient_email=row.recipient,
        subject=row.subject,
        message_id=row.message_id,
        reply_to=reply_address(
            settings.secret_key, bare_address(settings.reply_address), ticket.id
        ),
        thread_ids=(
            thread_root_id(settings.secret_key, domain, ticket.id),
            *(row.thread_refs or "").split(),
        ),
    )
    context = {
        "ticket": ticket,
        "ticket_url": f"{settings.base_url}/tickets/{ticket.id}",
        "status": TicketStatus(row.ticket_status) if row.ticket_status else ticket.status,
        "actor": actor or Recipient(name="A former user", email=""),
        "recipient": Recipient(name=row.recipient_name or "", email=row.recipient),
        "comment": comment,
        "files": _linked_files(session, settings, row, ticket) if row.kind in _WITH_FILES else [],
        "password_url": _choose_password_url(session, settings, row.recipient),
    }
    text, html = render_bodies(row.kind, context)
    return compose(settings.from_address, envelope, text, html)


# The messages that carry what someone wrote, and so its files: a reply, and a new
# ticket told to staff (its requester's acknowledgement does not send back their files).
_REPLIES = {"comment_added", "reply_reopened", "reply_finished"}
_WITH_FILES = {*_REPLIES, "new_ticket_staff"}


@dataclass(frozen=True)
class LinkedFile:
    filename: str
    size: int
    url: str


def _linked_files(
    session: Session, settings: NotificationSettings, row, ticket: Ticket
) -> list[LinkedFile]:
    """The files of the message a notification is about, each with a link for its reader.

    A reader with an account gets links that work without signing in (see
    `services.file_links`); any other address (a team mailbox) gets the ticket page's.
    """
    on_message = (
        Attachment.comment_id == row.comment_id
        if row.comment_id is not None
        else Attachment.comment_id.is_(None)
    )
    files = session.scalars(
        select(Attachment)
        .where(Attachment.ticket_id == ticket.id, on_message)
        .order_by(Attachment.id)
    ).all()
    if not files:
        return []
    reader = session.scalar(
        select(User.id).where(User.email == row.recipient, User.active.is_(True))
    )
    links = settings.file_links or FileLinks(settings.secret_key)
    ticket_page = f"{settings.base_url}/tickets/{ticket.id}"
    return [
        LinkedFile(
            item.filename,
            item.size,
            f"{settings.base_url}/files/{item.id}/{links.token(item.id, reader, row.recipient)}"
            if reader is not None
            else ticket_page,
        )
        for item in files
    ]


def _choose_password_url(
    session: Session, settings: NotificationSettings, address: str
) -> str | None:
    """Where a reader with an account but no password yet (who wrote in by mail, or for whom
    staff opened the ticket) chooses one, "Forgot your password?": the ticket page asks
    them to sign in. None for everyone else."""
    passwordless = session.scalar(
        select(User.id).where(
            User.email == address, User.active.is_(True), User.password_hash.is_(None)
        )
    )
    return f"{settings.base_url}/forgot-password" if passwordless is not None else None


def _domain(settings: NotificationSettings) -> str:
    return bare_address(settings.reply_address).rpartition("@")[2] or "localhost"


class NullNotifier:
    """Sends nothing: for TicketManagers built outside an app (scripts, some tests)."""

    def ticket_created(self, actor: User, ticket: Ticket) -> None:
        pass

    def ticket_changed(self, actor: User, ticket: Ticket, changed: Mapping[str, Any]) -> None:
        pass

    def comment_added(
        self,
        actor: User,
        ticket: Ticket,
        comment: Comment,
        *,
        reopened: bool = False,
        finished: bool = False,
    ) -> None:
        pass


def notification_settings(config: Mapping[str, Any]) -> NotificationSettings:
    """The notification settings held in an app's config."""
    return NotificationSettings(
        secret_key=config["SECRET_KEY"],
        from_address=config["MAIL_FROM"],
        reply_address=config["MAIL_REPLY_ADDRESS"],
        notify_staff_on_new_ticket=bool(config["MAIL_NOTIFY_STAFF_ON_NEW_TICKET"]),
        staff_addresses=dict(config["MAIL_STAFF_ADDRESSES"] or {}),
        base_url=config["BASE_URL"].rstrip("/"),
        file_links=file_links(config),
    )
