"""The application factory: config, extensions, blueprints, error handlers, CLI."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apiflask import APIFlask
from flask import abort
from werkzeug.routing import IntegerConverter

from ticketdesk import __version__, security
from ticketdesk.config import instance_path_from_env, load_config
from ticketdesk.extensions import (
    MIGRATIONS_DIR,
    configure_sqlite,
    csrf,
    db,
    discard_session,
    end_read_only_transaction,
    migrate,
    ping_idle_connections,
    track_read_only_transactions,
)
from ticketdesk.jsonio import TicketdeskJSONProvider, TicketdeskRequest
from ticketdesk.models import ID_MAX
from ticketdesk.text_input import refuse_nul_in_query
from ticketdesk.web.views import allow_uploads


def create_app(config: Mapping[str, Any] | None = None) -> APIFlask:
    """Build a Ticketdesk app; `config` overrides defaults and environment (tests use it)."""
    app = APIFlask(
        "ticketdesk",
        title="Ticketdesk API",
        version=__version__,
        instance_path=instance_path_from_env(),
        json_errors=False,
        spec_path="/api/openapi.json",
        docs_path=None,  # our own page: ticketdesk/api/docs_assets.py
    )
    app.url_map.converters["int"] = DatabaseIdConverter
    app.url_value_preprocessor(refuse_ids_past_columns)
    app.request_class = TicketdeskRequest
    app.json = TicketdeskJSONProvider(app)
    load_config(app, config)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    return app


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` of at most ten digits, enough for any id (`refuse_ids_past_columns`
    turns away the rest). A `max` here would make Werkzeug answer 405 for a too-large id
    on a path that has a rule for another method."""

    regex = r"\d{1,10}"


def refuse_ids_past_columns(endpoint: str | None, values: dict | None) -> None:
    """An id in a path beyond what an id column holds names nothing (404); PostgreSQL
    would refuse to compare with it."""
    if values and any(type(value) is int and value > ID_MAX for value in values.values()):
        abort(404)


def register_extensions(app: APIFlask) -> None:
    db.init_app(app)
    app.teardown_appcontext(_close_session)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    app.before_request(refuse_nul_in_query)
    app.before_request(allow_uploads)  # before CSRFProtect, which reads the form and its body
    csrf.init_app(app)
    security.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
        track_read_only_transactions(db.engine)
        ping_idle_connections(db.engine)


def _close_session(error: BaseException | None) -> None:
    """Runs before Flask-SQLAlchemy's teardown, which would raise on a dropped connection."""
    if error is None:
        end_read_only_transaction()
    discard_session()


def register_blueprints(app: APIFlask) -> None:
    from ticketdesk import api, health, web
    from ticketdesk.api.blueprint import bp as api_bp

    api.init_app(app)
    csrf.exempt(api_bp)  # bearer tokens, never cookies: nothing for a forged form to ride on
    app.register_blueprint(health.bp)
    web.init_app(app)


def register_error_handlers(app: APIFlask) -> None:
    from ticketdesk.errors import register_error_handlers as register

    register(app)


def register_commands(app: APIFlask) -> None:
    from ticketdesk.cli import register_commands as register

    register(app)
