"""Signed ticket tokens: in the reply address and in the Message-IDs we issue.

A token names a ticket and carries an HMAC (SHA-256, keyed with SECRET_KEY), so
a reply that brings it back can be threaded without trusting the subject line.
Tokens are lower-case hex: some mail systems fold the case of local parts.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

SIGNATURE_CHARS = 20  # 80 bits of HMAC
_TOKEN = re.compile(rf"t(\d{{1,12}})-([0-9a-f]{{{SIGNATURE_CHARS}}})")
_MESSAGE_ID = re.compile(rf"td-(\d{{1,12}})-([0-9a-z]{{1,32}})-([0-9a-f]{{{SIGNATURE_CHARS}}})@")


def _sign(secret_key: str, text: str) -> str:
    digest = hmac.new(secret_key.encode(), text.encode(), hashlib.sha256).hexdigest()
    return digest[:SIGNATURE_CHARS]


def ticket_token(secret_key: str, ticket_id: int) -> str:
    """The token for a ticket, e.g. `t123-<signature>`."""
    return f"t{ticket_id}-{_sign(secret_key, f'reply:{ticket_id}')}"


def reply_address(secret_key: str, base_address: str, ticket_id: int) -> str:
    """`support@example.com` becomes `support+t123-<signature>@example.com`."""
    local, _, domain = base_address.rpartition("@")
    local = local.split("+", 1)[0]
    return f"{local}+{ticket_token(secret_key, ticket_id)}@{domain}"


def ticket_from_address(secret_key: str, address: str) -> int | None:
    """The ticket whose valid token is in this address's plus tag, if any."""
    local = address.rpartition("@")[0].lower()
    _, plus, tag = local.partition("+")
    match = _TOKEN.fullmatch(tag) if plus else None
    if match is None:
        return None
    ticket_id = int(match.group(1))
    return ticket_id if hmac.compare_digest(ticket_token(secret_key, ticket_id), tag) else None


def new_message_id(secret_key: str, domain: str, ticket_id: int, nonce: str | None = None) -> str:
    """A unique, signed Message-ID (without angle brackets) for a message about a ticket."""
    nonce = nonce or secrets.token_hex(8)
    return f"td-{ticket_id}-{nonce}-{_sign(secret_key, f'msg:{ticket_id}:{nonce}')}@{domain}"


def thread_root_id(secret_key: str, domain: str, ticket_id: int) -> str:
    """The Message-ID every notification about a ticket refers to, so clients thread them."""
    return new_message_id(secret_key, domain, ticket_id, nonce="root")


def ticket_from_message_id(secret_key: str, message_id: str) -> int | None:
    """The ticket named by one of our signed Message-IDs, if the signature holds."""
    match = _MESSAGE_ID.match(message_id.strip("<> ").lower())
    if match is None:
        return None
    ticket_id, nonce, signature = int(match.group(1)), match.group(2), match.group(3)
    expected = _sign(secret_key, f"msg:{ticket_id}:{nonce}")
    return ticket_id if hmac.compare_digest(expected, signature) else None
