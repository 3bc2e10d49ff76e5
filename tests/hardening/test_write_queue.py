"""SQLite writers take turns through WriteQueue: in a process, across processes, and the
turn passes on however a write transaction ends."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from ticketdesk.extensions import db
from ticketdesk.services.transactions import WriteQueue, begin_write

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

HOLD = 0.4


def _database_path(app) -> str:
    with app.app_context():
        return db.engine.url.database


def _write_in_thread(app, started: threading.Event, done: list) -> threading.Thread:
    def run():
        with app.app_context():
            started.set()
            begin_write(db.session())
            done.append(time.monotonic())
            db.session.rollback()
            db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@sqlite_only
@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_next_writer_starts_when_the_turn_ends(app, end):
    with app.app_context():
        begin_write(db.session())
        started, done = threading.Event(), []
        waiter = _write_in_thread(app, started, done)
        started.wait()
        time.sleep(HOLD)
        assert done == []  # still waiting for its turn
        ended = time.monotonic()
        getattr(db.session, end)()
        waiter.join(timeout=5)
    assert done and done[0] >= ended


@sqlite_only
def test_failed_begin_gives_the_turn_back(app, monkeypatch):
    def refuse(*args, **kwargs):
        raise RuntimeError("no connection")

    with app.app_context():
        session = db.session()
        monkeypatch.setattr(session, "connection", refuse)
        with pytest.raises(RuntimeError):
            begin_write(session)
        monkeypatch.undo()
        started, done = threading.Event(), []
        _write_in_thread(app, started, done).join(timeout=5)
    assert done


@sqlite_only
def test_a_writer_in_another_process_waits_its_turn(app):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from ticketdesk.services.transactions import WriteQueue\n"
            "queue = WriteQueue.for_database(sys.argv[1])\n"
            "assert queue.enter()\n"
            "print('holding', flush=True)\n"
            f"time.sleep({HOLD})\n"
            "queue.leave()\n",
            _database_path(app),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "holding"
    began = time.monotonic()
    with app.app_context():
        begin_write(db.session())
        waited = time.monotonic() - began
        db.session.rollback()
    holder.communicate(timeout=10)
    assert waited >= HOLD / 2


def test_queue_is_one_per_database_file(tmp_path):
    first = WriteQueue.for_database(str(tmp_path / "a.sqlite3"))
    assert WriteQueue.for_database(str(tmp_path / "a.sqlite3")) is first
    assert WriteQueue.for_database(str(tmp_path / "b.sqlite3")) is not first
