"""Abuse limits with Flask-Limiter: in memory by default, Redis when configured.

Routes that need a limit (sign-in, tokens, registration, password reset) name
one of the callables below, per client address and per account; every API
call also counts against a general per-caller limit.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, current_app, request
from flask.logging import default_handler
from flask_limiter.util import get_remote_address

from ticketdesk.extensions import limiter
from ticketdesk.services.users import address_as_stored

# A Redis that stops answering is given up on after this long (seconds), rather than
# holding each request for as long as the operating system lets a connection try.
REDIS_TIMEOUT_SECONDS = 0.5
# The longest bearer token authentication reads (ours are 46 characters).
BEARER_MAX = 200


def init_app(app: Flask) -> None:
    url = app.config["RATELIMIT_STORAGE_URL"]
    app.config.setdefault("RATELIMIT_STORAGE_URI", url)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # The helpdesk keeps serving while a shared store (Redis) is down: each process
    # counts in its own memory meanwhile, and goes back to the store once it answers.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    if urlsplit(url).scheme in ("redis", "rediss"):
        timeouts = {"socket_timeout": REDIS_TIMEOUT_SECONDS}
        timeouts["socket_connect_timeout"] = REDIS_TIMEOUT_SECONDS
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", timeouts)
    limiter.init_app(app)
    _log_store_outages(app)


def _log_store_outages(app: Flask) -> None:
    """Flask-Limiter says when it falls back to memory (a warning) and when the store is
    back (info), to a logger of its own: let operators read both where the app's go."""
    limiter.logger.setLevel(logging.INFO)
    if default_handler in app.logger.handlers and default_handler not in limiter.logger.handlers:
        limiter.logger.addHandler(default_handler)


def store_state() -> str:
    """The rate-limit store as /healthz reports it: ok, unreachable, or off."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return "off"
    return "ok" if limiter.storage.check() else "unreachable"


def sign_in_limit() -> str:
    """Attempts at a password (sign-in, token creation) per address and per account."""
    return current_app.config["RATELIMIT_SIGN_IN"]


def sign_up_limit() -> str:
    """New accounts and reset requests per address."""
    return current_app.config["RATELIMIT_SIGN_UP"]


def api_limit() -> str:
    """The general allowance of one API caller."""
    return current_app.config["RATELIMIT_API"]


def address_key() -> str:
    return "ip:" + (get_remote_address() or "unknown")


def account_key() -> str:
    """The account being tried, whichever address the attempts come from, and however its
    address is written: each form that reaches one account (a domain in Unicode or in
    Punycode, accents composed or not) shares that account's allowance."""
    body = request.get_json(silent=True) if request.is_json else None
    email = body.get("email") if isinstance(body, dict) else request.form.get("email")
    return "account:" + address_as_stored(email if isinstance(email, str) else "")


def current_password_limit(key_func):
    """The limit on guesses at a signed-in account's own password (asked before its
    address changes): one allowance per account, on the web and in the API alike, as
    sign-in has, so a stolen session gains nothing from changing its address."""
    return limiter.shared_limit(
        sign_in_limit, scope="current-password", key_func=key_func, methods=["POST"]
    )


def mail_to_account_limit():
    """The limit on mail to one address: a sign-up and a reset request, on the web and in
    the API, each mail the address asked for, so all four count against one allowance."""
    return limiter.shared_limit(
        sign_up_limit, scope="account-mail", key_func=account_key, methods=["POST"]
    )


def bearer_secret() -> str | None:
    """The bearer token of this request as authentication reads it (Werkzeug's parse of
    the Authorization header: the scheme in any case, spaces around the token dropped),
    or None where authentication would refuse it unread."""
    authorization = request.authorization
    if authorization is None or authorization.type != "bearer":
        return None
    secret = authorization.token
    return secret if secret and len(secret) <= BEARER_MAX else None
