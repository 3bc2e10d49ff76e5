"""What the admins' mail lists share: only admins see them, newest first, a page at a time."""

from __future__ import annotations

from sqlalchemy import Select

from ticketdesk.models import User
from ticketdesk.services.errors import PermissionDenied


def require_admin(actor: User, detail: str) -> None:
    """Refuse anyone but an admin, saying what is theirs alone."""
    if not actor.is_admin:
        raise PermissionDenied(detail)


def newest_first(query: Select, id_column, *, limit: int, before_id: int | None) -> Select:
    """`query` as one keyset page: by id, newest first, below `before_id` (a page's last)."""
    query = query.order_by(id_column.desc()).limit(limit)
    return query if before_id is None else query.where(id_column < before_id)
