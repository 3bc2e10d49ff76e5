"""Password reset by email: single-use links that expire, and the same answer for everyone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from email.utils import make_msgid, parseaddr

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketdesk.mail.render import Envelope, compose, render_bodies
from ticketdesk.models import OutboxMessage, PasswordReset, SecurityEventKind, User, utcnow
from ticketdesk.services.audit import SecurityLog
from ticketdesk.services.errors import ValidationFailed
from ticketdesk.services.secrets import hash_password, hash_token, new_token_secret
from ticketdesk.services.transactions import begin_write
from ticketdesk.services.users import check_password, void_reset_links

INVALID_LINK = "This link is invalid, used or expired; ask for a new one."


@dataclass(frozen=True)
class ResetSettings:
    base_url: str
    from_address: str
    bcrypt_rounds: int = 12
    lifetime: timedelta = timedelta(minutes=60)


class PasswordResets:
    """Issues reset links by mail (through the outbox) and redeems them."""

    def __init__(self, session: Session, settings: ResetSettings, *, log: SecurityLog) -> None:
        self.session = session
        self.settings = settings
        self.log = log

    def request_reset(self, email: str) -> None:
        """Mail a reset link if an active account has this address; say nothing either way."""
        begin_write(self.session)
        user = self.session.scalar(select(User).where(User.email == email.strip().lower()[:254]))
        self.log.record(
            SecurityEventKind.RESET_REQUESTED,
            subject=user,
            detail=None if user else "unknown address",
        )
        if user is not None and user.active:
            secret = new_token_secret()
            self.session.add(
                PasswordReset(
                    user_id=user.id,
                    secret_hash=hash_token(secret),
                    expires_at=utcnow() + self.settings.lifetime,
                )
            )
            self._mail_link(user, secret)
        self.session.commit()

    def link_owner(self, secret: str) -> User | None:
        """The active owner of a live link; None for a link unknown, used or expired."""
        reset = self.session.scalar(
            select(PasswordReset).where(PasswordReset.secret_hash == hash_token(secret[:200]))
        )
        if reset is None or reset.used_at or reset.expires_at <= utcnow():
            return None
        user = self.session.get(User, reset.user_id)
        return user if user.active else None

    def reset_password(self, secret: str, new_password: str) -> User:
        """Set a password with a live link; every other link and session of the user ends."""
        check_password(new_password, field="new_password")
        begin_write(self.session)
        user = self.link_owner(secret)
        if user is None:
            raise ValidationFailed.field("token", INVALID_LINK)
        detail = "reset" if user.password_hash else "first password"
        user.password_hash = hash_password(new_password, rounds=self.settings.bcrypt_rounds)
        user.session_generation += 1
        void_reset_links(self.session, user, utcnow())
        self.log.record(SecurityEventKind.PASSWORD_CHANGED, actor=user, subject=user, detail=detail)
        self.session.commit()
        return user

    def _mail_link(self, user: User, secret: str) -> None:
        link = f"{self.settings.base_url.rstrip('/')}/reset-password/{secret}"
        minutes = int(self.settings.lifetime.total_seconds() // 60)
        context = {"recipient": user, "link": link, "minutes": minutes}
        text, html = render_bodies("password_reset", context)
        domain = parseaddr(self.settings.from_address)[1].rpartition("@")[2] or "localhost"
        envelope = Envelope(
            recipient_name=user.name,
            recipient_email=user.email,
            subject="Reset your Ticketdesk password",
            message_id=make_msgid(domain=domain).strip("<>"),
            reply_to=parseaddr(self.settings.from_address)[1],
            thread_ids=(),
        )
        self.session.add(
            OutboxMessage(
                ticket_id=None,
                kind="password_reset",
                recipient=user.email,
                subject=envelope.subject,
                message_id=envelope.message_id,
                content=compose(self.settings.from_address, envelope, text, html),
            )
        )
