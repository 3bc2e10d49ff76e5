"""The security log: sign-ins, denials, role and token changes, with actor, address and time."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketdesk.models import SecurityEvent, SecurityEventKind, User
from ticketdesk.services.errors import PermissionDenied


class SecurityLog:
    """Records security events into the caller's transaction; admins read them back."""

    def __init__(self, session: Session, *, client_ip: str | None = None) -> None:
        self.session = session
        self.client_ip = client_ip

    def record(
        self,
        kind: SecurityEventKind,
        *,
        actor: User | None = None,
        subject: User | None = None,
        detail: str | None = None,
    ) -> None:
        """Add an event to the current transaction (the caller commits). Never pass secrets."""
        self.session.add(
            SecurityEvent(
                kind=kind,
                actor_id=actor.id if actor else None,
                subject_id=subject.id if subject else None,
                ip=(self.client_ip or None) and self.client_ip[:45],
                detail=detail[:500] if detail else None,
            )
        )

    def record_now(self, kind: SecurityEventKind, **kwargs) -> None:
        """Record and commit at once: for events with no other write (a failed sign-in)."""
        self.record(kind, **kwargs)
        self.session.commit()

    def list_events(
        self, actor: User, *, limit: int = 50, before_id: int | None = None
    ) -> list[SecurityEvent]:
        """Newest first, for admins only."""
        if not actor.is_admin:
            raise PermissionDenied("Only admins can read the security log.")
        query = select(SecurityEvent).order_by(SecurityEvent.id.desc()).limit(limit)
        if before_id is not None:
            query = query.where(SecurityEvent.id < before_id)
        return list(self.session.scalars(query))
