"""Mail intake: one received message becomes a ticket, a comment, or a logged refusal.

Threading follows one order, and the first rule that names an existing ticket wins:

1. token: a signed ticket token in a recipient's plus tag (our Reply-To), or
   one of our signed Message-IDs in In-Reply-To/References;
2. references: In-Reply-To/References naming a message we sent or received
   on a ticket;
3. subject: a `[#123]` token in the subject.

Whatever matched, only the ticket's requester or a staff member may write on it;
anyone else's mail opens a ticket of their own, or is rejected (MAIL_STRANGER_REPLY).
The rule is kept on the message's InboundMessage row, which commits in the same
transaction as the ticket or comment it made; its unique key (the Message-ID, or
a content hash) makes a second delivery of the same message a no-op.
Auto-replies and bounces, and our own notifications coming back, are logged and
dropped: no ticket, no notification. Mail through a list is recorded, but its
sender gets no acknowledgement (automatic.py).

Errors: a database or storage that cannot be reached now raises IntakeUnavailable
(LMTP answers 451, fetch-mail leaves the message unseen), since the same message
will go through once it is back. Any other error is one that this message will
meet again on every try: it is logged with its traceback and the message is kept
whole in failed_mail (with its envelope, From and subject), so that one message can
never block the others. `retry` sends it through again once the cause is fixed.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from ticketdesk.mail.automatic import list_mail, machine_sent, read_headers
from ticketdesk.mail.parser import ParsedMail, UnparseableMail, header_summary, parse_mail
from ticketdesk.mail.recording import RecordingNotifier
from ticketdesk.mail.text import plain_text_markdown, trim_reply
from ticketdesk.mail.tokens import ticket_from_address, ticket_from_message_id
from ticketdesk.models import (
    EMAIL_MAX,
    ID_MAX,
    NAME_MAX,
    TEXT_MAX,
    TITLE_MAX,
    FailedMail,
    InboundMessage,
    InboundOutcome,
    OutboxMessage,
    Queue,
    Role,
    ThreadRule,
    Ticket,
    User,
)
from ticketdesk.services.attachments import AttachmentManager, Upload
from ticketdesk.services.errors import Conflict, DomainError, TooLarge
from ticketdesk.services.ticket_fields import one_line
from ticketdesk.services.tickets import TicketManager
from ticketdesk.services.users import UserManager, clean_name

log = logging.getLogger(__name__)

# Errors of the moment, not of the message: connection lost, database locked or
# restarting, serialization failures, pool exhausted, disk full.
_TEMPORARY_ERRORS = (OperationalError, InterfaceError, PoolTimeout, OSError)

_SUBJECT_TOKEN = re.compile(r"\[#(\d{1,12})\]")
_SUBJECT_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|sv|antw)\s*:\s*)+", re.IGNORECASE)


class IntakeUnavailable(Exception):
    """The intake cannot work now (database or storage unreachable): try the message later."""


@dataclass(frozen=True)
class IntakeSettings:
    secret_key: str
    default_queue_slug: str = "general"
    auto_create_customers: bool = True
    stranger_reply: str = "new_ticket"  # or "reject"
    queue_addresses: Mapping[str, str] = field(default_factory=dict)
    max_bytes: int = 25 * 1024 * 1024


@dataclass(frozen=True)
class IntakeResult:
    """What became of a message: ticket, comment, ignored, rejected, duplicate or failed."""

    outcome: str
    ticket_id: int | None = None
    comment_id: int | None = None
    rule: ThreadRule | None = None
    reason: str | None = None


class MailIntake:
    def __init__(
        self,
        session: Session,
        settings: IntakeSettings,
        notifier,
        users: UserManager,
        attachments: AttachmentManager | None = None,
    ) -> None:
        self.session = session
        self.settings = settings
        self.notifier = notifier
        self.users = users  # creates accounts for unknown senders
        self.attachments = attachments  # stores attached files; None: only list them

    def receive(
        self, raw: bytes, *, envelope_sender: str | None = None, recipients=()
    ) -> IntakeResult:
        """Process one message, exactly once however often it is delivered.

        Raises IntakeUnavailable for a temporary problem; keeps the message as failed
        mail when anything else goes wrong with it.
        """
        result = self._attempt(raw, envelope_sender, recipients)
        if result.outcome == "failed":
            kept = FailedMail(raw=raw, envelope_sender=_envelope_text(envelope_sender))
            kept.recipients = json.dumps(list(recipients)) if recipients else None
            self._keep(kept, result.reason)
        return result

    def retry(self, failed_id: int) -> IntakeResult | None:
        """Send kept failed mail through again, with the envelope it came with: removed once
        handled (a ticket, a reply, refused, ignored, or found handled already), kept with
        the new reason if it fails again. None when there is no such failed mail.
        """
        failed = self.session.get(FailedMail, failed_id)
        if failed is None:
            return None
        raw, envelope_sender = failed.raw, failed.envelope_sender
        recipients = tuple(json.loads(failed.recipients)) if failed.recipients else ()
        self.session.expunge(failed)
        result = self._attempt(raw, envelope_sender, recipients)
        failed = self.session.get(FailedMail, failed_id)  # the attempt ended its transaction
        if failed is None:  # retried meanwhile by someone else
            return result
        if result.outcome == "failed":
            self._keep(failed, result.reason)
        else:
            self.session.delete(failed)
            self.session.commit()
        return result

    def _attempt(self, raw: bytes, envelope_sender: str | None, recipients) -> IntakeResult:
        """The message processed; "failed" with the reason when it cannot be, kept nowhere."""
        try:
            return self._receive(raw, envelope_sender, recipients)
        except _TEMPORARY_ERRORS as error:
            raise IntakeUnavailable(f"{type(error).__name__}: {error}".splitlines()[0]) from error
        except Exception as error:
            log.exception("mail could not be processed")
            self.session.rollback()
            # The type only: an error's text may hold SQL and the message's data.
            return _failed(f"could not be processed: {type(error).__name__} (see the log)")

    def _receive(self, raw: bytes, envelope_sender: str | None, recipients) -> IntakeResult:
        if len(raw) > self.settings.max_bytes:
            return _failed(f"message larger than {self.settings.max_bytes} bytes")
        try:
            mail = parse_mail(raw, envelope_recipients=recipients)
        except UnparseableMail as error:
            return _failed(str(error))
        if self._seen(mail.message_key):
            return IntakeResult("duplicate")
        headers = read_headers(raw)
        automatic = machine_sent(headers, envelope_sender=envelope_sender, sender=mail.sender)
        if automatic or self._ours(mail.message_id):
            reason = automatic or "our own notification"
            return self._log(mail, InboundOutcome.IGNORED, reason=reason)
        if mail.sender is None:
            return self._log(mail, InboundOutcome.REJECTED, reason=mail.sender_problem)
        try:
            return self._route(mail, listed=list_mail(headers))
        except DomainError as error:
            self.session.rollback()
            return self._log(mail, InboundOutcome.REJECTED, reason=_describe(error))

    # --- routing --------------------------------------------------------

    def _route(self, mail: ParsedMail, *, listed: str | None) -> IntakeResult:
        """`listed`: how the mail shows it came through a list; then nothing answers it."""
        user = self.session.scalar(select(User).where(User.email == mail.sender))
        ticket, rule = self.thread(mail)
        if ticket is not None:
            if _may_write(user, ticket):
                return self._comment(mail, user, ticket, rule, listed)
            if self.settings.stranger_reply == "reject":
                return self._log(
                    mail,
                    InboundOutcome.REJECTED,
                    reason=f"{mail.sender} is neither the requester of #{ticket.id} nor staff",
                )
        if user is None:
            if not self.settings.auto_create_customers:
                return self._log(
                    mail, InboundOutcome.REJECTED, reason=f"no account for {mail.sender}"
                )
            user = self._create_customer(mail)
        elif not user.active:
            return self._log(mail, InboundOutcome.REJECTED, reason="the account is deactivated")
        return self._open_ticket(mail, user, listed)

    def thread(self, mail: ParsedMail) -> tuple[Ticket | None, ThreadRule]:
        """The ticket this message continues, and the rule that found it."""
        key = self.settings.secret_key
        candidates = [ticket_from_address(key, address) for address in mail.recipients]
        candidates += [ticket_from_message_id(key, mid) for mid in mail.references]
        for ticket_id in candidates:
            ticket = self._ticket(ticket_id)
            if ticket is not None:
                return ticket, ThreadRule.TOKEN
        ticket = self._ticket_by_references(mail.references)
        if ticket is not None:
            return ticket, ThreadRule.REFERENCES
        match = _SUBJECT_TOKEN.search(mail.subject)
        ticket = self._ticket(int(match.group(1))) if match else None
        if ticket is not None:
            return ticket, ThreadRule.SUBJECT
        return None, ThreadRule.NEW

    def _ticket(self, ticket_id: int | None) -> Ticket | None:
        """The ticket with this id; a number past the id column names none (as the web's)."""
        if ticket_id is None or not 0 < ticket_id <= ID_MAX:
            return None
        return self.session.get(Ticket, ticket_id)

    def _ticket_by_references(self, references: tuple[str, ...]) -> Ticket | None:
        if not references:
            return None
        known: dict[str, int] = dict(
            self.session.execute(
                select(OutboxMessage.message_id, OutboxMessage.ticket_id).where(
                    OutboxMessage.message_id.in_(references), OutboxMessage.ticket_id.is_not(None)
                )
            ).all()
        )
        known.update(
            self.session.execute(
                select(InboundMessage.message_key, InboundMessage.ticket_id).where(
                    InboundMessage.message_key.in_(references),
                    InboundMessage.ticket_id.is_not(None),
                )
            ).all()
        )
        for reference in references:  # In-Reply-To first, then the newest reference
            if reference in known:
                return self.session.get(Ticket, known[reference])
        return None

    # --- writing --------------------------------------------------------

    def _comment(self, mail: ParsedMail, user: User, ticket: Ticket, rule, listed) -> IntakeResult:
        record = self._record(mail, InboundOutcome.COMMENT, rule=rule, reason=_unanswered(listed))
        manager = self._tickets(mail, record)  # a comment is never answered to its author

        def write(files, not_stored):
            body = _body_text(trim_reply(mail.body), not_stored)
            return manager.add_comment(user, ticket.id, body=body, files=files)

        try:
            comment = self._with_files(mail, write)
        except IntegrityError:
            self.session.rollback()
            return IntakeResult("duplicate")
        return IntakeResult("comment", ticket.id, comment.id, rule)

    def _open_ticket(self, mail: ParsedMail, user: User, listed) -> IntakeResult:
        reason = _unanswered(listed)
        record = self._record(mail, InboundOutcome.TICKET, rule=ThreadRule.NEW, reason=reason)
        manager = self._tickets(mail, record, acknowledge=not listed)
        queue_id = self._queue_id(mail.recipients)

        def write(files, not_stored):
            return manager.create_ticket(
                user,
                title=_title(mail.subject),
                description=_body_text(mail.body, not_stored),  # a new ticket: untrimmed
                queue_id=queue_id,
                files=files,
            )

        try:
            ticket = self._with_files(mail, write)
        except IntegrityError:
            self.session.rollback()
            return IntakeResult("duplicate")
        return IntakeResult("ticket", ticket.id, None, ThreadRule.NEW)

    def _with_files(self, mail: ParsedMail, write):
        """Make the change with the mail's files stored on it, as many as the limits allow.

        Files over the size or count limits, or past the ticket's total, are listed in
        the text instead; a file never costs the message itself.
        """
        if self.attachments is None or not mail.attachments:
            return write(None, mail.attachments)
        limits = self.attachments.limits
        fits = [i for i, a in enumerate(mail.attachments) if 0 < a.size <= limits.max_file_size]
        chosen = set(fits[: limits.max_files])
        kept = [a for i, a in enumerate(mail.attachments) if i in chosen]
        not_stored = tuple(a for i, a in enumerate(mail.attachments) if i not in chosen)
        uploads = [Upload(a.filename, io.BytesIO(a.payload)) for a in kept]
        try:
            with self.attachments.store(uploads) as files:
                return write(files, not_stored)
        except TooLarge:  # the ticket's total: keep the message, list every file
            self.session.rollback()
            return write(None, mail.attachments)

    def _tickets(
        self, mail: ParsedMail, record: InboundMessage, *, acknowledge: bool = True
    ) -> TicketManager:
        if mail.message_id and hasattr(self.notifier, "extra_references"):
            # Our answer threads under the sender's own message in their mail client.
            self.notifier.extra_references = (mail.message_id,)
        if hasattr(self.notifier, "acknowledge_requester"):
            self.notifier.acknowledge_requester = acknowledge
        notifier = RecordingNotifier(self.notifier, self.session, record)
        return TicketManager(
            self.session, default_queue_slug=self.settings.default_queue_slug, notifier=notifier
        )

    def _create_customer(self, mail: ParsedMail) -> User:
        name = clean_name(mail.sender_name) or mail.sender.partition("@")[0][:NAME_MAX]
        try:
            return self.users.create_user_unchecked(
                name=name, email=mail.sender, password=None, role=Role.CUSTOMER
            )
        except Conflict:  # created meanwhile by a concurrent delivery
            return self.session.scalar(select(User).where(User.email == mail.sender))

    def _queue_id(self, recipients: tuple[str, ...]) -> int | None:
        mapping = {address.lower(): slug for address, slug in self.settings.queue_addresses.items()}
        for address in recipients:
            local, _, domain = address.rpartition("@")
            slug = mapping.get(f"{local.split('+', 1)[0]}@{domain}")
            if slug:
                queue_id = self.session.scalar(select(Queue.id).where(Queue.slug == slug))
                if queue_id is None:
                    log.warning(
                        "MAIL_QUEUE_ADDRESSES sends %s to queue %r, which does not exist:"
                        " the ticket goes to the default queue",
                        address,
                        slug,
                    )
                return queue_id
        return None

    def _ours(self, message_id: str | None) -> bool:
        """A message with one of our signed Message-IDs: a notification of ours, come back.

        Auto-Submitted already says so; this holds when a list or relay drops that header.
        """
        key = self.settings.secret_key
        return bool(message_id) and ticket_from_message_id(key, message_id) is not None

    def _seen(self, message_key: str) -> bool:
        query = select(InboundMessage.id).where(InboundMessage.message_key == message_key)
        return self.session.scalar(query) is not None

    def _record(self, mail: ParsedMail, outcome, *, rule=None, reason=None) -> InboundMessage:
        attachments = [a.describe() for a in mail.attachments]
        return InboundMessage(
            message_key=mail.message_key,
            sender=mail.sender,
            subject=mail.subject[:250],
            outcome=outcome,
            rule=rule,
            reason=reason,
            attachments=json.dumps(attachments) if attachments else None,
        )

    def _log(self, mail: ParsedMail, outcome, *, reason: str | None) -> IntakeResult:
        """Keep a message that made nothing, so that its next delivery is recognised."""
        log.warning("mail %s from %s %s: %s", mail.message_key, mail.sender, outcome, reason)
        self.session.rollback()
        self.session.add(self._record(mail, outcome, reason=reason))
        try:
            self.session.commit()
        except IntegrityError:
            self.session.rollback()
            return IntakeResult("duplicate")
        return IntakeResult(outcome.value, reason=reason)

    def _keep(self, failed: FailedMail, reason: str) -> None:
        """Keep the message whole as failed mail, with the reason it failed (this time)."""
        log.warning("mail kept as failed: %s", reason)
        self.session.rollback()
        failed.reason = reason
        if failed.sender is None and failed.subject is None:  # new, or kept before 0026
            failed.sender, failed.subject = header_summary(failed.raw)
        self.session.add(failed)
        self.session.commit()


def mail_intake() -> MailIntake:
    """An intake for the current app's session and settings."""
    from flask import current_app

    from ticketdesk.extensions import db
    from ticketdesk.services import notifier, user_manager
    from ticketdesk.services.attachments import attachment_manager

    config = current_app.config
    settings = IntakeSettings(
        secret_key=config["SECRET_KEY"],
        default_queue_slug=config["DEFAULT_QUEUE_SLUG"],
        auto_create_customers=bool(config["MAIL_AUTO_CREATE_CUSTOMERS"]),
        stranger_reply=config["MAIL_STRANGER_REPLY"],
        queue_addresses=dict(config["MAIL_QUEUE_ADDRESSES"] or {}),
        max_bytes=int(config["MAIL_MAX_MESSAGE_BYTES"]),
    )
    return MailIntake(
        db.session(), settings, notifier(), user_manager(), attachments=attachment_manager()
    )


def _failed(reason: str) -> IntakeResult:
    return IntakeResult("failed", reason=reason)


def _envelope_text(address: str | None) -> str | None:
    """An envelope address as stored ("" is the null sender); one too long is cut."""
    return None if address is None else address[:EMAIL_MAX]


def _may_write(user: User | None, ticket: Ticket) -> bool:
    """Only the ticket's requester and staff may add to it by mail."""
    return user is not None and user.active and (user.is_staff or ticket.requester_id == user.id)


def _title(subject: str) -> str:
    title = one_line(_SUBJECT_PREFIX.sub("", _SUBJECT_TOKEN.sub("", subject)))
    return (title or "(no subject)")[:TITLE_MAX]


def _body_text(text: str, not_stored) -> str:
    """The mail's plain text as the Markdown a description or comment holds."""
    body = plain_text_markdown(text.strip()) or "(no text)"
    if not_stored:
        listed = "\n".join(
            f"- {plain_text_markdown(a.filename)} ({a.content_type}, {a.size} bytes)"
            for a in not_stored
        )
        body += f"\n\nAttachments not stored (empty, or over the size limits):\n{listed}"
    if len(body) > TEXT_MAX:
        body = body[: TEXT_MAX - 40] + "\n\n[... message truncated]"
    return body


def _unanswered(listed: str | None) -> str | None:
    """What the mail log says of list mail: recorded, and nothing sent back to the list."""
    return f"{listed}: list mail, no automatic answer" if listed else None


def _describe(error: DomainError) -> str:
    errors = getattr(error, "errors", None)
    if errors:
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())
    return error.detail
