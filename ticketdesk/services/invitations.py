"""An admin's ways to let someone in: an account they choose the password of, by mail.

An admin who adds a person need not make up a password to pass on: left empty, the
person is mailed the welcome link that signing up mails, in the transaction that makes
the account. An account still without a password (made by mail, by staff opening a
ticket for its owner, or by an admin) can be sent that link again.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ticketdesk.models import Role, SecurityEventKind, User
from ticketdesk.services.audit import SecurityLog
from ticketdesk.services.errors import Conflict, NotFound, PermissionDenied
from ticketdesk.services.password_reset import WELCOME, PasswordResets
from ticketdesk.services.transactions import begin_write
from ticketdesk.services.users import UserManager


class Invitations:
    """Accounts made by admins, and the welcome links that let their owners in."""

    def __init__(
        self, session: Session, users: UserManager, links: PasswordResets, *, log: SecurityLog
    ) -> None:
        self.session = session
        self.users = users
        self.links = links
        self.log = log

    def add_person(
        self, actor: User, *, name: str, email: str, role: Role, password: str | None = None
    ) -> User:
        """An admin adds someone; without a password, they are mailed a link to choose one."""
        user = self.users.add_user(actor, name=name, email=email, password=password, role=role)
        if password is None:
            self.links.mail_link(user, WELCOME)
        self.session.commit()
        return user

    def send_welcome(self, actor: User, user_id: int) -> User:
        """Mail the owner of an active account with no password a link to choose one."""
        if not actor.is_admin:
            raise PermissionDenied("Only admins can send people a link to choose a password.")
        begin_write(self.session)
        user = self.session.get(User, user_id)
        if user is None:
            raise NotFound("No such user.")
        if not user.active:
            raise Conflict(f"{user.name} is deactivated: reactivate them first.")
        if user.password_hash is not None:
            raise Conflict(
                f'{user.name} has a password already; "Forgot your password?" on the'
                " sign-in page mails them a link to choose another."
            )
        self.log.record(
            SecurityEventKind.RESET_REQUESTED, actor=actor, subject=user, detail="sent by an admin"
        )
        self.links.mail_link(user, WELCOME)
        self.session.commit()
        return user
