"""Watching the statements a request sends, as it sends them."""

from __future__ import annotations

import contextlib

from sqlalchemy import event

from ticketdesk.extensions import db


@contextlib.contextmanager
def watching_statements(app, record):
    """Call `record` (SQLAlchemy's before_cursor_execute arguments) for each statement
    sent to the app's database inside the block."""
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", record)
