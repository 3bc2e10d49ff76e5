"""Idempotency-Key: a retried create returns what the first request made, and makes nothing new."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ticketdesk.models import IdempotencyRecord, User
from ticketdesk.services.errors import ValidationFailed

KEY_MAX = 200


@dataclass(frozen=True)
class IdempotencyKey:
    """The client's key and a fingerprint of the request it was sent with."""

    key: str
    fingerprint: str

    @classmethod
    def for_request(cls, key: str, payload: Any) -> IdempotencyKey:
        if not key or len(key) > KEY_MAX or not key.isprintable():
            raise ValidationFailed.field("Idempotency-Key", f"1 to {KEY_MAX} printable characters.")
        canonical = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
        return cls(key, hashlib.sha256(canonical.encode()).hexdigest())


def replayed(session: Session, user: User, idem: IdempotencyKey, scope: str) -> int | None:
    """The id made by an earlier request with this key, or None if the key is new."""
    record = session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user.id, IdempotencyRecord.key == idem.key
        )
    )
    if record is None:
        return None
    if record.scope != scope or record.fingerprint != idem.fingerprint:
        raise ValidationFailed.field(
            "Idempotency-Key", "This key was already used for a different request."
        )
    return record.resource_id


def remember(
    session: Session, user: User, idem: IdempotencyKey, scope: str, resource_id: int
) -> None:
    """Store the key in the creating transaction; a racing duplicate then fails to commit."""
    session.add(
        IdempotencyRecord(
            user_id=user.id,
            key=idem.key,
            scope=scope,
            fingerprint=idem.fingerprint,
            resource_id=resource_id,
        )
    )


def commit_once(
    session: Session, user: User, idem: IdempotencyKey | None, scope: str, made_id: int
) -> int:
    """Commit a create under its idempotency key; returns the id the key stands for.

    Two racing requests with one key both get here; the unique key lets one
    commit, and the other rolls back and returns what the first made.
    """
    if idem is None:
        session.commit()
        return made_id
    remember(session, user, idem, scope, made_id)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        first = replayed(session, user, idem, scope)
        if first is None:
            raise
        return first
    return made_id
