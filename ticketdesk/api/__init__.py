"""The REST API under /api/v1, documented at /api/docs from the code that validates it."""

from __future__ import annotations

from apiflask import APIFlask

from ticketdesk.api import adapter


def init_app(app: APIFlask) -> None:
    """Register the API routes and describe their errors as problem+json."""
    adapter.install()
    from ticketdesk.api import accounts, tickets  # noqa: F401  (routes register on import)
    from ticketdesk.api import outbox  # noqa: F401
    from ticketdesk.api.blueprint import bp
    from ticketdesk.api.openapi import describe_problems

    app.register_blueprint(bp)
    app.spec_processor(describe_problems)
