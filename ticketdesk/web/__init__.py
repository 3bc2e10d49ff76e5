"""The server-rendered web UI for customers, staff and admins.

Views parse a form, call a service with the signed-in user, and answer with a
page, a flash or a redirect; every rule lives in `ticketdesk.services`.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the pages, sign-in sessions and template helpers."""
    # Importing the page modules registers their routes on the blueprint.
    from ticketdesk.web import account, admin, auth, display, session, ticket_page, tickets
    from ticketdesk.web.blueprint import bp
    from ticketdesk.web.forms.widgets import write_inputs_compactly
    from ticketdesk.web.inbound_mail import admin_dropped_mail  # noqa: F401  (mail in)
    from ticketdesk.web.outbox import admin_outbox  # noqa: F401  (outgoing mail page)

    del account, admin, auth, ticket_page, tickets
    session.init_app(app)
    display.init_app(app)
    write_inputs_compactly()
    app.register_blueprint(bp)
