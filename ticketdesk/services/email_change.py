"""People change their own address, proved from the new mailbox by a single-use link.

Someone signed in asks with their current password: the new address is mailed a link
that works once, for a limited time, and the old one a notice without it. Only the
link's page (a POST from it, never the GET a mail scanner follows) changes the address;
then every session of the account ends and every API token is revoked, as with a new
password: the address is a way in too (reset links go there).

Asking never says whether the new address has an account: whoever asks is told a link
is on its way, whatever the address. An address taken is refused to whoever opens the
link mailed to it, who learns no more than signing up with that address tells them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ticketdesk.models import EmailChange, SecurityEventKind, User, utcnow
from ticketdesk.services.audit import SecurityLog
from ticketdesk.services.errors import Conflict, ValidationFailed
from ticketdesk.services.password_reset import (
    EMAIL_CONFIRMATION_KIND,
    INVALID_LINK,
    account_mail,
    readable_lifetime,
)
from ticketdesk.services.secrets import hash_token, new_token_secret, verify_password
from ticketdesk.services.tokens import revoke_tokens
from ticketdesk.services.transactions import begin_write
from ticketdesk.services.users import change_address, normalise_email, void_email_changes

NOTICE_KIND = "email_change_notice"
NO_PASSWORD = (
    "Your account has no password yet, and a change of address needs it: choose one first"
    ' ("Forgot your password?" on the sign-in page mails you a link), or ask the helpdesk'
    " to change your address."
)
WRONG_PASSWORD = "That is not your current password."
SAME_ADDRESS = "That is your address already."


@dataclass(frozen=True)
class EmailChangeSettings:
    base_url: str
    from_address: str
    bcrypt_rounds: int = 12
    lifetime: timedelta = timedelta(hours=24)


class EmailChanges:
    """Asks for a change of one's own address by mail, and makes it when the link is used."""

    def __init__(self, session: Session, settings: EmailChangeSettings, *, log: SecurityLog):
        self.session = session
        self.settings = settings
        self.log = log

    def request_change(self, actor: User, *, new_email: str, current_password: str) -> str:
        """Mail the new address a link that makes it the actor's, and the old one a notice;
        returns the new address as it is stored. A newer request voids the older ones."""
        if actor.password_hash is None:
            raise Conflict(NO_PASSWORD, field="current_password")
        address = normalise_email(new_email)
        if not verify_password(
            current_password, actor.password_hash, rounds=self.settings.bcrypt_rounds
        ):
            raise ValidationFailed.field("current_password", WRONG_PASSWORD)
        if address == actor.email:
            raise ValidationFailed.field("email", SAME_ADDRESS)
        begin_write(self.session)
        now = utcnow()
        void_email_changes(self.session, actor, now)
        secret = new_token_secret()
        self.session.add(
            EmailChange(
                user_id=actor.id,
                new_email=address,
                secret_hash=hash_token(secret),
                expires_at=now + self.settings.lifetime,
            )
        )
        self.session.add(self._confirmation(address, secret))
        self.session.add(self._notice(actor.email, address))
        detail = f"{actor.email} -> {address}"
        self.log.record(
            SecurityEventKind.EMAIL_CHANGE_ASKED, actor=actor, subject=actor, detail=detail
        )
        self.session.commit()
        return address

    def pending_address(self, actor: User) -> str | None:
        """The address the actor's newest live request would change theirs to, if any."""
        return self.session.scalar(
            select(EmailChange.new_email)
            .where(
                EmailChange.user_id == actor.id,
                EmailChange.used_at.is_(None),
                EmailChange.expires_at > utcnow(),
            )
            .order_by(EmailChange.id.desc())
            .limit(1)
        )

    def link_target(self, secret: str) -> tuple[str, User] | None:
        """The address a live link would confirm, and for whom; None for a link unknown,
        used or expired, or whose account is deactivated."""
        change = self.session.scalar(
            select(EmailChange).where(EmailChange.secret_hash == hash_token(secret[:200]))
        )
        if change is None or change.used_at or change.expires_at <= utcnow():
            return None
        owner = self.session.get(User, change.user_id)
        return (change.new_email, owner) if owner.active else None

    def confirm_change(self, secret: str) -> User:
        """Make a live link's address its account's; every session of the account ends and
        every API token is revoked. An address taken meanwhile leaves the link unused."""
        begin_write(self.session)
        found = self._redeem(secret)
        if found is None:
            self.session.rollback()
            raise ValidationFailed.field("token", INVALID_LINK)
        user, address = found
        try:
            change_address(self.session, self.log, actor=user, user=user, email=address)
        except Conflict:
            self.session.rollback()
            raise
        user.session_generation += 1
        revoke_tokens(self.session, user, log=self.log, reason="with the address")
        self.session.commit()
        return user

    def _redeem(self, secret: str) -> tuple[User, str] | None:
        """Use a live link up and lock its active owner, in one statement that checks and
        uses it (as `PasswordResets._redeem` does); None if it is not live (any more)."""
        now = utcnow()
        found = self.session.execute(
            update(EmailChange)
            .where(
                EmailChange.secret_hash == hash_token(secret[:200]),
                EmailChange.used_at.is_(None),
                EmailChange.expires_at > now,
            )
            .values(used_at=now)
            .returning(EmailChange.user_id, EmailChange.new_email)
        ).first()
        if found is None:
            return None
        user = self.session.get(User, found.user_id, with_for_update=True, populate_existing=True)
        return (user, found.new_email) if user.active else None

    def _confirmation(self, address: str, secret: str):
        link = f"{self.settings.base_url.rstrip('/')}/account/email/{secret}"
        context = {
            "link": link,
            "address": address,
            "valid_for": readable_lifetime(self.settings.lifetime),
        }
        return account_mail(
            self.settings.from_address,
            kind=EMAIL_CONFIRMATION_KIND,
            subject="Confirm your new Ticketdesk address",
            address=address,
            context=context,
        )

    def _notice(self, old_address: str, new_address: str):
        return account_mail(
            self.settings.from_address,
            kind=NOTICE_KIND,
            subject="A change of your Ticketdesk address was asked for",
            address=old_address,
            context={"address": new_address},
        )
