"""GET /healthz, for load balancers and monitors: 503 while the database does not answer.

A rate-limit store (Redis) that does not answer is reported but keeps the answer 200: the
app serves meanwhile, counting limits in each process, and taking every server out of a
load balancer because a shared store is down would stop the helpdesk for nothing.
"""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ticketdesk.api.schemas import Health
from ticketdesk.errors import RETRY_AFTER_SECONDS, is_outage
from ticketdesk.extensions import db, discard_session
from ticketdesk.security.headers import retry_after
from ticketdesk.security.limits import store_state

bp = APIBlueprint("health", __name__)


@bp.get("/healthz")
@bp.output(Health)
@bp.doc(
    tags=["Health"],
    responses={503: "The database does not answer"},
)
def healthz():
    """The database's and the rate-limit store's state: 503 while the database is down."""
    database = "ok" if _database_answers() else "unreachable"
    rate_limit_store = store_state()
    body = {"database": database, "rate_limit_store": rate_limit_store}
    if database != "ok":
        return {"status": "unavailable", **body}, 503, retry_after(RETRY_AFTER_SECONDS)
    return {"status": "degraded" if rate_limit_store == "unreachable" else "ok", **body}


def _database_answers() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
    except DBAPIError as error:
        if not is_outage(error):
            raise
        current_app.logger.warning("healthz: database unavailable: %s", error.__class__.__name__)
        discard_session()
        return False
    return True
