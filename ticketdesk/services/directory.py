"""Who is who: the user behind a signed-in session, and the staff tickets can go to."""

from __future__ import annotations

import hashlib

from sqlalchemy import Row, select

from ticketdesk.extensions import db
from ticketdesk.models import HelpdeskStaff, User
from ticketdesk.services.errors import PermissionDenied, ValidationFailed
from ticketdesk.services.names import by_name
from ticketdesk.services.people_search import people_matching, words_of
from ticketdesk.services.users import normalise_email


def session_key(user: User) -> str:
    """What a session cookie stores for a user: the id, the session generation, and a
    fingerprint of the password.

    Signing out, a password change, deactivation or a role change bumps the
    generation (and a password change the fingerprint), which ends every older
    session of that user at once.
    """
    digest = hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]
    return f"{user.id}.{user.session_generation}.{digest}"


def user_for_session(key: str) -> User | None:
    """The active user a session key was made for, or None if it no longer holds."""
    user_id, _, _ = key.partition(".")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or session_key(user) != key:
        return None
    return user


def staff_members(actor: User, *, active_only: bool = True) -> list[Row]:
    """Staff and admins by name, as (id, name): whom a ticket can be assigned to.

    Staff only may ask. Rows rather than users: every page that lists the team
    needs only these two columns, and loading twenty users was a tenth of the
    staff list page.
    """
    if not actor.is_staff:
        raise PermissionDenied("Only staff can list the team.")
    return by_name(db.session.execute(_ACTIVE_STAFF if active_only else _STAFF))


# Read in the order of their index (SQLite then reads no customer's row), then sorted
# by by_name, the same on both databases.
_STAFF = select(User.id, User.name).where(HelpdeskStaff.IS_STAFF).order_by(User.name)
_ACTIVE_STAFF = _STAFF.where(User.active.is_(True))


def person(actor: User, *, user_id: int | None = None, email: str | None = None) -> Row | None:
    """Whoever has this id or email address, as (id, name, email, active), or None: for
    staff, to list one person's tickets."""
    if not actor.is_staff:
        raise PermissionDenied("Only staff can look people up.")
    if user_id is not None:
        return db.session.execute(_PERSON.where(User.id == user_id)).first()
    try:
        address = normalise_email(email or "")
    except ValidationFailed:
        return None
    return db.session.execute(_PERSON.where(User.email == address)).first()


_PERSON = select(User.id, User.name, User.email, User.active)


def people_named(actor: User, text: str, *, limit: int) -> list[Row]:
    """The newest `limit` people whose name or address has words starting with the
    words of `text`, as (id, name, email, role, active): for staff searching tickets, whose
    words may be someone's name. Newest rather than by name, so that a short word
    found in thousands of names costs only the first few."""
    if not actor.is_staff:
        raise PermissionDenied("Only staff can look people up.")
    words = words_of(text)
    if not words:
        return []
    query = select(User.id, User.name, User.email, User.role, User.active)
    found, user_id = people_matching(query, words, db.session.get_bind().dialect.name)
    return list(db.session.execute(found.order_by(user_id.desc()).limit(limit)))
