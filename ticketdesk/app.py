"""The application factory: config, extensions, blueprints, error handlers, CLI."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apiflask import APIFlask
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
    app.request_class = TicketdeskRequest
    app.json = TicketdeskJSONProvider(app)
    load_config(app, config)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    return app


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` limited to what a database integer can hold: bigger ids are simply 404."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002
        super().__init__(url_map, fixed_digits, min, 2**63 - 1 if max is None else max, signed)


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
