"""The REST API under /api/v1, documented at /api/docs from the code that validates it."""

from __future__ import annotations

from apiflask import APIFlask

from ticketdesk.api import adapter, docs_assets


def init_app(app: APIFlask) -> None:
    """Register the API routes and describe their errors as problem+json."""
    adapter.install()
    from ticketdesk.api import (  # noqa: F401  (routes register on import)
        accounts,
        inbound_mail,
        outbox,  # noqa: F401
        tickets,
    )
    from ticketdesk.api.blueprint import bp
    from ticketdesk.api.openapi import complete_document

    app.register_blueprint(bp)
    from ticketdesk.api import attachments
    from ticketdesk.extensions import csrf

    app.register_blueprint(attachments.bp)
    csrf.exempt(attachments.bp)  # bearer tokens only, as for the rest of the API
    app.spec_processor(complete_document)
    docs_assets.init_app(app)
