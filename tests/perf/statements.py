"""Watching the statements a request sends, as it sends them, and explaining them."""

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


@contextlib.contextmanager
def explained(app, explain: str, marks: tuple[str, ...], *, before: tuple[str, ...] = ()):
    """The plans (`explain` + statement, run after each of `before` on the same cursor,
    with the same values) of the statements holding one of `marks`, sent inside the block."""
    plans: list = []

    def record(_conn, cursor, statement, params, _context, _many):
        if any(mark in statement for mark in marks):
            for setting in before:
                cursor.execute(setting)
            cursor.execute(f"{explain} {statement}", params)
            plans.append(cursor.fetchall())

    with watching_statements(app, record):
        yield plans


def plan_steps(plan: dict):
    """Every step of a PostgreSQL JSON plan, depth first."""
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_steps(child)
