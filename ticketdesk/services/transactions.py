"""How a service call opens and closes its unit of work."""

from __future__ import annotations

from sqlalchemy.orm import Session


def begin_write(session: Session) -> None:
    """Start the write transaction of a service call.

    On SQLite this is BEGIN IMMEDIATE: the write lock is taken up front and waits
    on the busy timeout, instead of a read transaction failing at once with
    "database is locked" when it later tries to write. A read snapshot opened
    earlier in the request is ended first; the objects it loaded reload lazily.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        session.rollback()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
