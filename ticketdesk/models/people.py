"""People: accounts with a role, the staff view of them, the notices staff choose to be
mailed, and their API tokens."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, select, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketdesk.models.base import EMAIL_MAX, NAME_MAX, Base, enum_column, utcnow


class Role(enum.StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"
    ADMIN = "admin"


class NewTicketNotices(enum.StrEnum):
    """Which new tickets a staff member is mailed about (when the helpdesk mails any)."""

    ALL = "all"
    CHOSEN_QUEUES = "queues"
    NONE = "none"


class User(Base):
    """Anyone who signs in: customers who open tickets, staff and admins who work them."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    # Stored lower-cased, so the unique index makes addresses unique case-insensitively.
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), default=Role.CUSTOMER, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Bumped on sign-out, password change, deactivation and role change: every
    # session cookie made under an older generation stops working at once.
    session_generation: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # What staff choose to be mailed (a customer's own mail is not optional); the
    # defaults are what everyone was mailed before there was a choice.
    new_ticket_notices: Mapped[NewTicketNotices] = mapped_column(
        enum_column(NewTicketNotices, "new_ticket_notices"),
        default=NewTicketNotices.ALL,
        server_default=NewTicketNotices.ALL.value,
    )
    assigned_notices: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    @property
    def is_staff(self) -> bool:
        """Staff and admins work tickets; customers only open them."""
        return self.role in HelpdeskStaff.ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class HelpdeskStaff:
    """The staff view of `User`: the people a ticket can be assigned to."""

    ROLES = (Role.STAFF, Role.ADMIN)
    # The roles written out, not bound: SQLite uses a partial index only for a query
    # whose WHERE holds the index's own condition, which no bound parameter matches.
    ROLES_SQL = "role IN (" + ", ".join(f"'{role.value}'" for role in ROLES) + ")"
    IS_STAFF = text(f"users.{ROLES_SQL}")

    @classmethod
    def can_hold_tickets(cls, user: User) -> bool:
        return user.active and user.role in cls.ROLES

    @classmethod
    def select_active(cls):
        """A query for every active staff member and admin, by name."""
        return select(User).where(cls.IS_STAFF, User.active.is_(True)).order_by(User.name)


# The staff by name, from an index of theirs alone: among 200,000 customers, SQLite
# scanned every account for the twenty to list, on each staff page (25 ms instead of 5)
# and for each new ticket's notices, as its statistics cannot tell that a role is rare.
Index(
    "ix_users_staff_by_name",
    User.name,
    sqlite_where=text(HelpdeskStaff.ROLES_SQL),
    postgresql_where=text(HelpdeskStaff.ROLES_SQL),
)


class WatchedQueue(Base):
    """A queue whose new tickets a staff member is mailed about, when they chose to hear
    of new tickets only in their chosen queues."""

    __tablename__ = "watched_queues"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    queue_id: Mapped[int] = mapped_column(
        ForeignKey("queues.id", ondelete="CASCADE"), primary_key=True
    )


class ApiToken(Base):
    """A bearer token; only the SHA-256 of its secret is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship(back_populates="tokens")
