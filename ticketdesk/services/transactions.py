"""How a service call opens and closes its unit of work."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, SessionTransaction

# As long as SQLite's own busy timeout (extensions.configure_sqlite): past it, the
# writer goes on without its place in the queue and SQLite decides.
QUEUE_TIMEOUT_SECONDS = 10.0
_HELD = "sqlite_write_turn"


def begin_write(session: Session) -> None:
    """Start the write transaction of a service call.

    On SQLite this is BEGIN IMMEDIATE: the write lock is taken up front and waits
    on the busy timeout, instead of a read transaction failing at once with
    "database is locked" when it later tries to write. A read snapshot opened
    earlier in the request (signing in) is ended first: committed when it holds
    no changes, so what it loaded stays loaded, as it does on PostgreSQL where
    the write simply continues that transaction.

    Writers also queue for their turn (see `WriteQueue`) before asking SQLite.
    """
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            session.rollback()
        else:
            session.commit()
    queue = WriteQueue.for_database(bind.url.database)
    if queue.enter():
        session.info[_HELD] = queue
    try:
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    except BaseException:
        _leave(session)
        raise


class WriteQueue:
    """One writer at a time for a SQLite file, woken in turn rather than by polling.

    SQLite makes a waiting writer sleep and retry (1, 2, 5 … 100 ms); under steady
    writes the unlucky ones retry for seconds while others slip in. A thread lock
    orders this process's writers, and an flock() on a file beside the database
    orders the processes (gunicorn workers, mail workers); both wake a waiter the
    moment the holder ends its transaction, and the OS drops the flock of a process
    that dies.
    """

    _queues: dict[str, WriteQueue] = {}
    _queues_lock = threading.Lock()

    def __init__(self, database: str | None) -> None:
        self._threads = threading.Lock()
        self._lock_file = None
        if database and database != ":memory:" and not database.startswith("file:"):
            self._lock_file = Path(database).with_name(Path(database).name + ".write-lock")

    @classmethod
    def for_database(cls, database: str | None) -> WriteQueue:
        key = os.path.abspath(database) if database else ""
        with cls._queues_lock:
            if key not in cls._queues:
                cls._queues[key] = cls(database)
            return cls._queues[key]

    def enter(self) -> bool:
        """Wait for this writer's turn; False if it did not come within the timeout."""
        if not self._threads.acquire(timeout=QUEUE_TIMEOUT_SECONDS):
            return False
        if self._lock_file is not None:
            try:
                self._fd = os.open(self._lock_file, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            except OSError:
                self._threads.release()
                return False
        return True

    def leave(self) -> None:
        if self._lock_file is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
        self._threads.release()


def _leave(session: Session) -> None:
    queue = session.info.pop(_HELD, None)
    if queue is not None:
        queue.leave()


@event.listens_for(Session, "after_transaction_end")
def _end_of_write(session: Session, transaction: SessionTransaction) -> None:
    """Commit, rollback or close of the outermost transaction: the next writer's turn."""
    if transaction.parent is None:
        _leave(session)


@contextlib.contextmanager
def sqlite_step_limit(session: Session, steps: int):
    """Interrupt the SQLite statements run inside once they take about `steps` steps of
    SQLite's virtual machine: the statement fails with "interrupted" and the connection
    goes on as it was. For reads: an interrupted write rolls back its transaction."""
    driver = session.connection().connection.driver_connection
    checks_left = steps // _STEPS_PER_CHECK

    def check() -> bool:
        nonlocal checks_left
        checks_left -= 1
        return checks_left < 0

    driver.set_progress_handler(check, _STEPS_PER_CHECK)
    try:
        yield
    finally:
        driver.set_progress_handler(None, 0)


def interrupted(error: OperationalError) -> bool:
    """Whether SQLite stopped a statement because `sqlite_step_limit` ran out."""
    return "interrupted" in str(error.orig)


_STEPS_PER_CHECK = 1000
