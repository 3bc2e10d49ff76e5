"""Self-service registration: the address is proved by mail, and the answer is always the same.

Signing up never tells whether an address has an account, and never gives a way in
to anyone but the address's owner: a new address gets a passwordless customer
account and a welcome link, a known one a reset link (a welcome link, if it has no
password yet: a customer that mail intake or staff made), a deactivated one nothing.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ticketdesk.models import Role, SecurityEventKind, User
from ticketdesk.services.audit import SecurityLog
from ticketdesk.services.errors import PermissionDenied
from ticketdesk.services.password_reset import ACCOUNT_EXISTS, WELCOME, PasswordResets
from ticketdesk.services.transactions import begin_write
from ticketdesk.services.users import new_user


class Registrations:
    """Sign-up by name and address, while registration is open."""

    def __init__(
        self, session: Session, links: PasswordResets, *, enabled: bool, log: SecurityLog
    ) -> None:
        self.session = session
        self.links = links
        self.enabled = enabled
        self.log = log

    def register(self, *, name: str, email: str) -> None:
        """Mail the address a link to choose a password; say nothing of what it found."""
        if not self.enabled:
            raise PermissionDenied("Registration is closed; ask the helpdesk for an account.")
        customer = new_user(name=name, email=email, role=Role.CUSTOMER)
        try:
            self._register(customer)
        except IntegrityError:  # the address was taken meanwhile: by a sign-up, or by mail
            self.session.rollback()
            self._register(new_user(name=name, email=email, role=Role.CUSTOMER))

    def _register(self, customer: User) -> None:
        begin_write(self.session)
        user = self._account_at(customer.email)
        if user is None:
            self.session.add(customer)
            self.session.flush()
            self.log.record(SecurityEventKind.USER_CREATED, subject=customer, detail="registration")
            self.links.mail_link(customer, WELCOME)
        else:
            # The account stays as it is (name and all): only its owner's mailbox hears of this.
            self.log.record(SecurityEventKind.RESET_REQUESTED, subject=user, detail="registration")
            if user.active:
                # Someone who only ever wrote in by mail never had a password: theirs is a
                # first way in, as for a new address (24 hours, not a reset's hour).
                self.links.mail_link(user, ACCOUNT_EXISTS if user.password_hash else WELCOME)
            else:  # as slow as mailing, so that the answer's time does not tell
                self.links.mail_nobody(ACCOUNT_EXISTS)
        self.session.commit()

    def _account_at(self, address: str) -> User | None:
        return self.session.scalar(select(User).where(User.email == address))
