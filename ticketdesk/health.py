"""GET /healthz: 200 while the database answers, for load balancers and monitors."""

from __future__ import annotations

from apiflask import APIBlueprint
from sqlalchemy import text

from ticketdesk.api.schemas import Health
from ticketdesk.extensions import db

bp = APIBlueprint("health", __name__)


@bp.get("/healthz")
@bp.output(Health)
@bp.doc(tags=["Health"], responses={503: "The database does not answer"})
def healthz():
    """Liveness and database reachability."""
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
