"""UserManager: accounts, roles and sign-in (API tokens: `services.tokens`)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ticketdesk.models import (
    EMAIL_MAX,
    NAME_MAX,
    EmailChange,
    HelpdeskStaff,
    PasswordReset,
    Role,
    SecurityEventKind,
    User,
    utcnow,
)
from ticketdesk.services.audit import SecurityLog
from ticketdesk.services.errors import (
    AuthenticationFailed,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from ticketdesk.services.people_search import people_matching, words_of
from ticketdesk.services.secrets import hash_password, verify_password
from ticketdesk.services.ticket_fields import (
    one_line,
    refuse_invisible,
    refuse_nul,
    refuse_reordering,
)
from ticketdesk.services.ticket_holders import release_tickets_of, tickets_held_by
from ticketdesk.services.tokens import revoke_tokens
from ticketdesk.services.transactions import begin_write

PASSWORD_MIN = 10
PASSWORD_MAX = 128
USER_FIELDS = ("name", "email", "role", "active")
EMAIL_TAKEN = "An account with that email address exists already."


@dataclass(frozen=True)
class UserSettings:
    bcrypt_rounds: int = 12


def normalise_email(email: str) -> str:
    """The stored form of an address: validated, lower-cased, or a field error."""
    try:
        checked = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise ValidationFailed.field("email", str(error)) from None
    normalised = checked.normalized.lower()
    if len(normalised) > EMAIL_MAX:
        raise ValidationFailed.field("email", f"At most {EMAIL_MAX} characters.")
    return normalised


def address_as_stored(email: str) -> str:
    """The form an address is stored in, for finding its account however it was written
    (a domain in Punycode, accents written apart); text that is no address, lower-cased,
    simply finds no one."""
    try:
        return normalise_email(email[: EMAIL_MAX + 1])
    except ValidationFailed:
        return email.strip().lower()[:EMAIL_MAX]


def check_name(name: str) -> str:
    """A person's or a queue's name, stripped: required, short enough to show, one line."""
    name = name.strip()
    if not name:
        raise ValidationFailed.field("name", "Enter a name.")
    if len(name) > NAME_MAX:
        raise ValidationFailed.field("name", f"Between 1 and {NAME_MAX} characters.")
    refuse_nul("name", name)
    refuse_reordering("name", name)
    refuse_invisible("name", name)
    return name


def clean_name(name: str) -> str:
    """A name from a machine (a mail's From) made one `check_name` takes, where it can be."""
    return one_line(name)[:NAME_MAX]


def check_password(password: str, *, field: str = "password") -> str:
    """Long enough, not too long, and not one of the passwords attackers try first."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise ValidationFailed.field(
            field, f"Between {PASSWORD_MIN} and {PASSWORD_MAX} characters."
        )
    refuse_nul(field, password)
    if password.lower() in _common_passwords():
        raise ValidationFailed.field(field, "This password is too common; choose another.")
    return password


@functools.cache
def _common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords, as shipped with zxcvbn."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


class UserManager:
    """Every rule about accounts: who may create, see and change them."""

    def __init__(self, session: Session, settings: UserSettings, *, log: SecurityLog) -> None:
        self.session = session
        self.settings = settings
        self.log = log

    # --- accounts -------------------------------------------------------

    def create_user(
        self, actor: User, *, name: str, email: str, password: str | None, role: Role
    ) -> User:
        """An admin creates an account of any role."""
        user = self.add_user(actor, name=name, email=email, password=password, role=role)
        self.session.commit()
        return user

    def add_user(
        self, actor: User, *, name: str, email: str, password: str | None, role: Role
    ) -> User:
        """An admin adds an account of any role in an open write, which the caller commits
        with what goes with it (the link that lets a passwordless account in)."""
        self._require_admin(actor)
        return self._add_user(
            name=name, email=email, password=password, role=Role(role), actor=actor
        )

    def create_user_unchecked(
        self, *, name: str, email: str, password: str | None, role: Role
    ) -> User:
        """Create an account with no acting user: for the operator's CLI and demo data."""
        user = self._add_user(name=name, email=email, password=password, role=Role(role))
        self.session.commit()
        return user

    def contact_for(self, actor: User, *, email: str, name: str | None = None) -> User:
        """Whom staff open a ticket for, by address: its account, or a new passwordless
        customer one (named after the address if `name` is empty, as mail intake does),
        made in the caller's open write so that it stands or falls with the ticket."""
        if not actor.is_staff:
            raise PermissionDenied("Only staff can make accounts for the people they help.")
        address = normalise_email(email)
        found = self.session.scalar(select(User).where(User.email == address))
        if found is not None:
            return found
        name = (name or "").strip() or address.partition("@")[0]
        user = new_user(name=name, email=address, role=Role.CUSTOMER)
        try:
            with self.session.begin_nested():
                self.session.add(user)
        except IntegrityError:  # made meanwhile (their own mail, a colleague's ticket)
            return self.session.scalar(select(User).where(User.email == address))
        self.log.record(SecurityEventKind.USER_CREATED, actor=actor, subject=user, detail=user.role)
        return user

    def get_user(self, actor: User, user_id: int) -> User:
        """Admins see every account; everyone else only their own."""
        if not actor.is_admin and actor.id != user_id:
            raise PermissionDenied("Only admins can read other people's accounts.")
        user = self.session.get(User, user_id)
        if user is None:
            raise NotFound("No such user.")
        return user

    def list_users(
        self,
        actor: User,
        *,
        role: Role | None = None,
        text: str | None = None,
        limit: int = 100,
        after_id: int | None = None,
    ) -> list[User]:
        """Staff may list people (to assign and to open tickets for them), by id; with
        `text`, only those whose name or address has words starting with its words."""
        if not actor.is_staff:
            raise PermissionDenied("Only staff can list users.")
        query, user_id = select(User), User.id
        if text is not None:
            words = words_of(text)
            if not words:
                return []
            dialect = self.session.get_bind().dialect.name
            query, user_id = people_matching(query, words, dialect)
        if role is not None:
            query = query.where(User.role == Role(role))
        if after_id is not None:
            query = query.where(user_id > after_id)
        return list(self.session.scalars(query.order_by(user_id).limit(limit)))

    def update_user(self, actor: User, user_id: int, changes: dict) -> User:
        """An admin changes a name, an address, a role or the active flag (never their own
        role or flag)."""
        self._require_admin(actor)
        unknown = set(changes) - set(USER_FIELDS)
        if unknown:
            raise ValidationFailed({field: ["Cannot be changed."] for field in sorted(unknown)})
        begin_write(self.session)
        user = self.session.get(User, user_id)
        if user is None:
            raise NotFound("No such user.")
        if user.id == actor.id and (
            changes.get("role", user.role) != user.role or changes.get("active", True) is False
        ):
            raise Conflict("Admins cannot demote or deactivate themselves.")
        if "name" in changes:
            user.name = check_name(changes["name"])
        if "email" in changes:
            email = normalise_email(changes["email"])
            change_address(self.session, self.log, actor=actor, user=user, email=email)
        if "role" in changes and Role(changes["role"]) != user.role:
            detail = f"{user.role} -> {Role(changes['role'])}"
            user.role = Role(changes["role"])
            self._end_sessions(user)
            self.log.record(
                SecurityEventKind.ROLE_CHANGED, actor=actor, subject=user, detail=detail
            )
        if "active" in changes and bool(changes["active"]) != user.active:
            user.active = bool(changes["active"])
            self._end_sessions(user)
            if not user.active:  # a token handed to a script must not wake with the account
                revoke_tokens(self.session, user)
            self.log.record(
                SecurityEventKind.ACTIVATION_CHANGED,
                actor=actor,
                subject=user,
                detail="activated" if user.active else "deactivated",
            )
        if ("active" in changes or "role" in changes) and not HelpdeskStaff.can_hold_tickets(user):
            release_tickets_of(self.session, actor, user.id, at=utcnow())
        self.session.commit()
        return user

    def tickets_held(self, actor: User, user_id: int) -> int:
        """How many unresolved tickets someone holds, which deactivating them or making
        them a customer would unassign: for an admin deciding to do it."""
        self._require_admin(actor)
        return tickets_held_by(self.session, user_id)

    def change_own_name(self, actor: User, name: str) -> User:
        """Anyone signed in renames themselves; the security log keeps the name it was."""
        name = check_name(name)
        begin_write(self.session)
        if name != actor.name:
            detail = f"{actor.name} -> {name}"
            actor.name = name
            self.log.record(
                SecurityEventKind.NAME_CHANGED, actor=actor, subject=actor, detail=detail
            )
        self.session.commit()
        return actor

    def change_password(
        self,
        actor: User,
        *,
        current_password: str,
        new_password: str,
        keep_token_id: int | None = None,
    ) -> None:
        """A signed-in user changes their own password, proving they know the current one.

        Every other session ends and every API token is revoked but `keep_token_id`, the
        one the change came with (none from the web): whoever holds a token taken with
        the old password loses it with that password.
        """
        if not verify_password(
            current_password, actor.password_hash, rounds=self.settings.bcrypt_rounds
        ):
            raise ValidationFailed.field("current_password", "That is not your current password.")
        new_hash = hash_password(
            check_password(new_password, field="new_password"), rounds=self.settings.bcrypt_rounds
        )
        begin_write(self.session)
        actor.password_hash = new_hash
        self._end_sessions(actor)
        void_reset_links(self.session, actor, utcnow())
        void_email_changes(self.session, actor, utcnow())
        self.log.record(SecurityEventKind.PASSWORD_CHANGED, actor=actor, subject=actor)
        revoke_tokens(self.session, actor, keep_id=keep_token_id, log=self.log)
        self.session.commit()

    def sign_out(self, actor: User) -> None:
        """End every session of the actor, on every device."""
        begin_write(self.session)
        self._end_sessions(actor)
        self.log.record(SecurityEventKind.SIGN_OUT, actor=actor, subject=actor)
        self.session.commit()

    def record_sign_in(self, user: User) -> None:
        """Note a successful interactive sign-in in the security log."""
        begin_write(self.session)
        self.log.record(SecurityEventKind.SIGN_IN, actor=user, subject=user)
        self.session.commit()

    # --- sign-in ------------------------------------------------------

    def authenticate(self, *, email: str, password: str) -> User:
        """The active user with these credentials; one error for every failure."""
        user = self.session.scalar(select(User).where(User.email == address_as_stored(email)))
        password_ok = verify_password(
            password, user.password_hash if user else None, rounds=self.settings.bcrypt_rounds
        )
        if user is None or not password_ok or not user.active:
            begin_write(self.session)
            self.log.record_now(
                SecurityEventKind.SIGN_IN_FAILED,
                subject=user,
                detail=None if user else "unknown address",
            )
            raise AuthenticationFailed("Wrong email or password.")
        return user

    # --- helpers --------------------------------------------------------

    def _add_user(
        self, *, name: str, email: str, password: str | None, role: Role, actor: User | None = None
    ) -> User:
        """A new account, flushed in an open write the caller commits."""
        user = new_user(name=name, email=email, role=role)
        if password is not None:
            user.password_hash = hash_password(
                check_password(password), rounds=self.settings.bcrypt_rounds
            )
        begin_write(self.session)
        if self.session.scalar(select(User.id).where(User.email == user.email)) is not None:
            raise Conflict(EMAIL_TAKEN, field="email")
        self.session.add(user)
        try:
            self.session.flush()
        except IntegrityError:  # taken meanwhile, by a write not yet committed when we looked
            self.session.rollback()
            raise Conflict(EMAIL_TAKEN, field="email") from None
        if actor is not None:
            self.log.record(SecurityEventKind.USER_CREATED, actor=actor, subject=user, detail=role)
        return user

    @staticmethod
    def _end_sessions(user: User) -> None:
        user.session_generation = (user.session_generation or 1) + 1

    @staticmethod
    def _require_admin(actor: User) -> None:
        if not actor.is_admin:
            raise PermissionDenied("Only admins can manage accounts.")


def new_user(*, name: str, email: str, role: Role) -> User:
    """An active account not yet saved, with its name and address checked, and no password."""
    return User(name=check_name(name), email=normalise_email(email), role=role, active=True)


def change_address(
    session: Session, log: SecurityLog, *, actor: User, user: User, email: str
) -> None:
    """Give `user` the new address `email` (normalised), unique as every address is. The
    reset links mailed to the old one stop working, as do its file links (they name it:
    `services.file_links`): it may be the reason for the change (a mailbox lost, or never
    theirs); so does any change of address still waiting for its link. Sessions and
    tokens are the caller's to end."""
    if email == user.email:
        return
    taken = select(User.id).where(User.email == email, User.id != user.id)
    if session.scalar(taken) is not None:
        raise Conflict(EMAIL_TAKEN, field="email")
    void_reset_links(session, user, utcnow())
    void_email_changes(session, user, utcnow())
    detail = f"{user.email} -> {email}"
    log.record(SecurityEventKind.EMAIL_CHANGED, actor=actor, subject=user, detail=detail)
    user.email = email
    try:
        session.flush()
    except IntegrityError:  # taken meanwhile, by a write not yet committed when we looked
        session.rollback()
        raise Conflict(EMAIL_TAKEN, field="email") from None


def void_reset_links(session: Session, user: User, now) -> None:
    """Use up every outstanding reset link of a user (after a reset or a password change)."""
    session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )


def void_email_changes(session: Session, user: User, now) -> None:
    """Use up every link of a user's waiting address changes: after a newer request, a
    change of address, or a password change (whoever asked may have had the old one)."""
    session.execute(
        update(EmailChange)
        .where(EmailChange.user_id == user.id, EmailChange.used_at.is_(None))
        .values(used_at=now)
    )
