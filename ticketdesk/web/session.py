"""Signed-in sessions with Flask-Login, and the guards the pages share."""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from flask import Flask, flash, redirect, request, session, url_for
from flask_login import AnonymousUserMixin, UserMixin, current_user, login_user

from ticketdesk.extensions import login_manager
from ticketdesk.models import User
from ticketdesk.services.directory import session_key, user_for_session
from ticketdesk.services.errors import PermissionDenied


class SignedInUser(UserMixin):
    """Flask-Login's view of a `User`; services always get the model itself (`.user`)."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        return session_key(self.user)

    @property
    def is_active(self) -> bool:
        return self.user.active

    def __getattr__(self, name: str):
        return getattr(self.user, name)


class Visitor(AnonymousUserMixin):
    """Nobody signed in: no role."""

    is_staff = False
    is_admin = False


def init_app(app: Flask) -> None:
    # Session cookies stay home: a cross-site POST arrives without them.
    for key in ("SESSION_COOKIE_SAMESITE", "REMEMBER_COOKIE_SAMESITE"):
        if not app.config.get(key):
            app.config[key] = "Lax"
    # A form's CSRF token lives as long as the signed-in session it is bound to: an agent
    # who leaves a reply half-typed over lunch must not lose it to an expired token.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    login_manager.init_app(app)
    login_manager.anonymous_user = Visitor
    login_manager.user_loader(_load_user)
    login_manager.unauthorized_handler(_ask_to_sign_in)


def _load_user(key: str) -> SignedInUser | None:
    user = user_for_session(key)
    return SignedInUser(user) if user else None


def _ask_to_sign_in():
    flash("Please sign in to see that page.", "info")
    return redirect(url_for("web.login", next=request.full_path.rstrip("?")))


def start_session(user: User) -> None:
    """A fresh session for a fresh sign-in: nothing from before carries over."""
    session.clear()
    login_user(SignedInUser(user))


def actor() -> User:
    """The signed-in user, as the services want it."""
    return current_user.user


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if any(char == "\\" or ord(char) < 0x21 or ord(char) == 0x7F for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def admin_page(view):
    """Admin screens are shown to admins only (the services refuse anyone else anyway)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_admin:
            raise PermissionDenied("Only admins can manage people and queues.")
        return view(*args, **kwargs)

    return wrapper
