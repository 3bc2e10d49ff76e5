"""GET /healthz, for load balancers and monitors: 503 while the database does not answer,
or does not hold this code's schema (never initialised, or not yet upgraded).

A rate-limit store (Redis) that does not answer is reported but keeps the answer 200: the
app serves meanwhile, counting limits in each process, and taking every server out of a
load balancer because a shared store is down would stop the helpdesk for nothing.
"""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app
from sqlalchemy.exc import DBAPIError

from ticketdesk.api.schemas import Health
from ticketdesk.errors import RETRY_AFTER_SECONDS, is_outage
from ticketdesk.extensions import db, discard_session
from ticketdesk.models.schema_version import schema_state
from ticketdesk.security.headers import retry_after
from ticketdesk.security.limits import store_state

bp = APIBlueprint("health", __name__)


@bp.get("/healthz")
@bp.output(Health)
@bp.doc(
    tags=["Health"],
    responses={503: "The database does not answer, or lacks this code's schema"},
)
def healthz():
    """The database's and the rate-limit store's state: 503 while the database is down or
    its schema is not this code's (`ticketdesk init` makes or upgrades it)."""
    database = _database_state()
    rate_limit_store = store_state()
    body = {"database": database, "rate_limit_store": rate_limit_store}
    if database != "ok":
        return {"status": "unavailable", **body}, 503, retry_after(RETRY_AFTER_SECONDS)
    return {"status": "degraded" if rate_limit_store == "unreachable" else "ok", **body}


def _database_state() -> str:
    """ok, unreachable, uninitialised or outdated: one read of the schema's revision."""
    try:
        state = schema_state(db.session)
    except DBAPIError as error:
        if not is_outage(error):
            raise
        current_app.logger.warning("healthz: database unavailable: %s", error.__class__.__name__)
        discard_session()
        return "unreachable"
    if state != "ok":
        current_app.logger.warning("healthz: database schema %s: run `ticketdesk init`", state)
    return state.value
