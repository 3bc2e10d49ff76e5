"""The ceiling: the least a Flask + SQLAlchemy app can do to list 25 tickets newest first.

Served by gunicorn exactly like Ticketdesk (same workers and threads), against the
same database, so the ratio of each Ticketdesk operation to this one is the cost
of everything Ticketdesk adds: authentication, rules, validation, serialisation.
"""

from __future__ import annotations

import os

from flask import Flask, jsonify
from sqlalchemy import create_engine, text

# Whole rows, as the ticket list returns whole tickets (description included).
NEWEST = text("SELECT * FROM tickets ORDER BY created_at DESC, id DESC LIMIT 25")


def create_app() -> Flask:
    """The ceiling app, on the database named by BENCH_DATABASE_URL."""
    app = Flask(__name__)
    engine = create_engine(os.environ["BENCH_DATABASE_URL"])

    @app.get("/ceiling")
    def newest():
        """25 newest tickets as JSON."""
        with engine.connect() as connection:
            rows = [dict(row) for row in connection.execute(NEWEST).mappings()]
        return jsonify(items=rows)

    return app
