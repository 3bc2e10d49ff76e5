"""Password links by email: single-use links that expire, and the same answer for everyone."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ticketdesk.mail.render import Envelope, compose, render_bodies
from ticketdesk.models import OutboxMessage, PasswordReset, SecurityEventKind, User, utcnow
from ticketdesk.services.audit import SecurityLog
from ticketdesk.services.errors import ValidationFailed
from ticketdesk.services.secrets import hash_password, hash_token, new_token_secret
from ticketdesk.services.tokens import revoke_tokens
from ticketdesk.services.transactions import begin_write
from ticketdesk.services.users import (
    address_as_stored,
    check_name,
    check_password,
    void_email_changes,
    void_reset_links,
)

INVALID_LINK = "This link is invalid, used or expired; ask for a new one."
# Where the mail built for an address that gets none is addressed (it is never stored).
_NOBODY = "nobody@example.invalid"


@dataclass(frozen=True)
class ResetSettings:
    base_url: str
    from_address: str
    bcrypt_rounds: int = 12
    lifetime: timedelta = timedelta(minutes=60)
    welcome_lifetime: timedelta = timedelta(hours=24)


@dataclass(frozen=True)
class Letter:
    """A mail that carries a link to set a password: its templates (and outbox kind) and subject.

    A welcome goes to an address nobody has proved yet, for an account with nothing in
    it: its link lives longer. None of them names anyone, in its greeting or its To
    header: anyone who types an address can have them sent, and the account's name may
    have been typed by a stranger too (signing up with someone else's address, or as the
    display name of a mail that made the account), even where a password has been set
    since without its owner ever being shown the name.
    """

    kind: str
    subject: str
    welcome: bool = False


RESET = Letter("password_reset", "Reset your Ticketdesk password")
# A reset asked for an account with no password yet: there is nothing to reset.
FIRST_PASSWORD = Letter("password_reset", "Choose your Ticketdesk password")
WELCOME = Letter("welcome", "Choose your Ticketdesk password", welcome=True)
ACCOUNT_EXISTS = Letter("account_exists", "You already have a Ticketdesk account")
# The mail to a new address with the link that confirms it (`services.email_change`).
EMAIL_CONFIRMATION_KIND = "email_confirmation"
# The outbox kinds whose content holds a live link: it is dropped once the mail is sent
# or given up on (`services.outbox`), so that the link is kept only as its hash.
LINK_KINDS = frozenset(letter.kind for letter in (RESET, WELCOME, ACCOUNT_EXISTS)) | {
    EMAIL_CONFIRMATION_KIND
}


class PasswordResets:
    """Issues password links by mail (through the outbox) and redeems them."""

    def __init__(self, session: Session, settings: ResetSettings, *, log: SecurityLog) -> None:
        self.session = session
        self.settings = settings
        self.log = log

    def request_reset(self, email: str) -> None:
        """Mail a reset link if an active account has this address; say nothing either way."""
        begin_write(self.session)
        user = self.session.scalar(select(User).where(User.email == address_as_stored(email)))
        self.log.record(
            SecurityEventKind.RESET_REQUESTED,
            subject=user,
            detail=None if user else "unknown address",
        )
        if user is not None and user.active:
            self.mail_link(user, RESET if user.password_hash else FIRST_PASSWORD)
        else:
            self.mail_nobody(RESET)
        self.session.commit()

    def mail_link(self, user: User, letter: Letter) -> None:
        """Store a new link for the user and mail it in the caller's transaction (the caller
        commits)."""
        secret = new_token_secret()
        expires_at = utcnow() + self._lifetime(letter)
        self.session.add(
            PasswordReset(user_id=user.id, secret_hash=hash_token(secret), expires_at=expires_at)
        )
        self.session.add(
            self._message(letter, user.email, secret, has_password=user.password_hash is not None)
        )

    def mail_nobody(self, letter: Letter) -> None:
        """Build a mail with a link, and drop it: for an address that gets none, so that its
        answer takes as long as one that does, but for storing two rows (no link, no mail)."""
        self._message(letter, _NOBODY, new_token_secret(), has_password=True)

    def link_owner(self, secret: str) -> User | None:
        """The active owner of a live link; None for a link unknown, used or expired."""
        reset = self.session.scalar(
            select(PasswordReset).where(PasswordReset.secret_hash == hash_token(secret[:200]))
        )
        if reset is None or reset.used_at or reset.expires_at <= utcnow():
            return None
        user = self.session.get(User, reset.user_id)
        return user if user.active else None

    def reset_password(self, secret: str, new_password: str, *, name: str | None = None) -> User:
        """Set a password with a live link; every other link, session and API token of the
        user ends (whoever took the account over may hold a token).

        With a first password, a `name` replaces the one the account was made with: the
        mailbox's owner confirms or corrects what whoever made it typed.
        """
        check_password(new_password, field="new_password")
        name = check_name(name) if name is not None else None
        if self.link_owner(secret) is None:  # refused before paying for bcrypt
            raise ValidationFailed.field("token", INVALID_LINK)
        password_hash = hash_password(new_password, rounds=self.settings.bcrypt_rounds)
        begin_write(self.session)
        user = self._redeem(secret)
        refusal = _refusal(user, name)
        if refusal is not None:
            self.session.rollback()  # the link stays unused
            raise refusal
        if name is not None:
            user.name = name
        detail = "reset" if user.password_hash else "first password"
        user.password_hash = password_hash
        user.session_generation += 1
        void_reset_links(self.session, user, utcnow())
        void_email_changes(self.session, user, utcnow())
        self.log.record(SecurityEventKind.PASSWORD_CHANGED, actor=user, subject=user, detail=detail)
        revoke_tokens(self.session, user, log=self.log)
        self.session.commit()
        return user

    def _redeem(self, secret: str) -> User | None:
        """Use a live link up and lock its active owner; None if it is not live (any more).

        One statement checks and uses the link, so of many requests redeeming it at once
        only one gets its owner: on PostgreSQL the others wait on the row's lock, then
        find it used; on SQLite the write lock orders them.
        """
        now = utcnow()
        owner_id = self.session.scalar(
            update(PasswordReset)
            .where(
                PasswordReset.secret_hash == hash_token(secret[:200]),
                PasswordReset.used_at.is_(None),
                PasswordReset.expires_at > now,
            )
            .values(used_at=now)
            .returning(PasswordReset.user_id)
        )
        if owner_id is None:
            return None
        # Locked, and read afresh: a deactivation committed meanwhile is seen, or waits.
        user = self.session.get(User, owner_id, with_for_update=True, populate_existing=True)
        return user if user.active else None

    def _lifetime(self, letter: Letter) -> timedelta:
        return self.settings.welcome_lifetime if letter.welcome else self.settings.lifetime

    def _message(
        self, letter: Letter, address: str, secret: str, *, has_password: bool
    ) -> OutboxMessage:
        """The outbox row of a mail with a link, rendered and composed, not yet added."""
        link = f"{self.settings.base_url.rstrip('/')}/reset-password/{secret}"
        context = {
            "link": link,
            "valid_for": readable_lifetime(self._lifetime(letter)),
            "has_password": has_password,
        }
        return account_mail(
            self.settings.from_address,
            kind=letter.kind,
            subject=letter.subject,
            address=address,
            context=context,
        )


def account_mail(
    from_address: str, *, kind: str, subject: str, address: str, context: dict
) -> OutboxMessage:
    """The outbox row of a mail about an account (a link, or a notice of one), rendered
    and composed now: a link in it is found nowhere else. It names nobody (see
    `Letter`). Not yet added."""
    text, html = render_bodies(kind, context)
    domain = parseaddr(from_address)[1].rpartition("@")[2] or "localhost"
    envelope = Envelope(
        recipient_name="",
        recipient_email=address,
        subject=subject,
        # From `secrets`, not email.utils.make_msgid: its randomness is the `random`
        # module's, whose state anything in the process may set (the fuzz tests do).
        message_id=f"{secrets.token_hex(16)}@{domain}",
        reply_to=parseaddr(from_address)[1],
        thread_ids=(),
    )
    return OutboxMessage(
        ticket_id=None,
        kind=kind,
        recipient=address,
        subject=envelope.subject,
        message_id=envelope.message_id,
        content=compose(from_address, envelope, text, html),
    )


def _refusal(user: User | None, name: str | None) -> ValidationFailed | None:
    """Why a redeemed link sets no password: it was not live, or a name came with a reset."""
    if user is None:  # unknown, used, expired, or its owner deactivated meanwhile
        return ValidationFailed.field("token", INVALID_LINK)
    if name is not None and user.password_hash is not None:
        return ValidationFailed.field(
            "name", "A name goes only with a first password; ask the helpdesk to change yours."
        )
    return None


def readable_lifetime(lifetime: timedelta) -> str:
    """`1 hour`, `24 hours`, `90 minutes`: how long a link works, as a mail says it."""
    minutes = int(lifetime.total_seconds() // 60)
    count, unit = (minutes // 60, "hour") if minutes and not minutes % 60 else (minutes, "minute")
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"
