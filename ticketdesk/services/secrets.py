"""Hashing of the secrets we keep: passwords (bcrypt) and bearer tokens (SHA-256)."""

from __future__ import annotations

import base64
import functools
import hashlib
import secrets

import bcrypt

TOKEN_PREFIX = "td_"


def _prehash(password: str) -> bytes:
    """SHA-256 the password first: bcrypt reads only 72 bytes and refuses NUL bytes.

    Base64 keeps the digest free of NULs, so every character of a long
    passphrase counts and no password is silently truncated.
    """
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())


def hash_password(password: str, *, rounds: int) -> str:
    return bcrypt.hashpw(_prehash(password), bcrypt.gensalt(rounds)).decode("ascii")


def verify_password(password: str, password_hash: str | None, *, rounds: int) -> bool:
    """Check a password; a missing hash never matches but costs the same time."""
    candidate = _prehash(password)
    if not password_hash:
        bcrypt.checkpw(candidate, _dummy_hash(rounds))
        return False
    return bcrypt.checkpw(candidate, password_hash.encode("ascii"))


@functools.cache
def _dummy_hash(rounds: int) -> bytes:
    """A hash to check against when the account does not exist, so timing tells nothing."""
    return bcrypt.hashpw(b"ticketdesk-no-such-user", bcrypt.gensalt(rounds))


def new_token_secret() -> str:
    """A 256-bit random bearer secret, shown to its owner once."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
