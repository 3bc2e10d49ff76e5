"""API: mail that made no ticket or reply (refused, ignored, failed), for admins."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ticketdesk.api.blueprint import auth, bp, current_user
from ticketdesk.api.paging import id_page
from ticketdesk.api.schemas import NextCursor
from ticketdesk.security.downloads import send_raw_mail
from ticketdesk.services import dropped_mail
from ticketdesk.services.inbound_mail import DroppedOutcome

ADMINS_ONLY = {403: "Admins only"}
FAILED_MAIL = {403: "Admins only", 404: "No such failed mail (retried already?)"}


class DroppedMailOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int = Field(
        description="For failed mail, its id under /admin/failed-mail; else the received "
        "message's (as in a ticket's mail log)."
    )
    outcome: DroppedOutcome
    received_at: datetime
    sender: str | None = Field(description="The From address (none when it was not readable).")
    subject: str | None
    reason: str | None = Field(description="Why it was refused, ignored or failed.")


class DroppedMailPage(BaseModel):
    items: list[DroppedMailOut]
    next_cursor: NextCursor


class DroppedMailQuery(BaseModel):
    outcome: DroppedOutcome = Field(
        default=DroppedOutcome.FAILED,
        description="rejected (refused: the sender was told, over LMTP), ignored (machine "
        "mail), or failed (kept whole: download or retry it)",
    )
    limit: int = Field(default=50, ge=1, le=200)
    cursor: int | None = Field(default=None, ge=1, le=2**62, description="From a previous page.")


class RetryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    outcome: str = Field(
        description="What the intake made of it now: ticket, comment, rejected, ignored, "
        "duplicate (handled before: nothing made twice), or failed (kept, with the new reason)"
    )
    ticket_id: int | None
    comment_id: int | None
    reason: str | None


@bp.get("/admin/inbound-mail")
@bp.auth_required(auth)
@bp.input(DroppedMailQuery, location="query", arg_name="query")
@bp.output(DroppedMailPage)
@bp.doc(tags=["Mail"], responses=ADMINS_ONLY)
def list_dropped_mail(query: DroppedMailQuery):
    """Received mail that made no ticket or reply, of one outcome, newest first."""
    items = dropped_mail().list_messages(
        current_user(), outcome=query.outcome, limit=query.limit + 1, before_id=query.cursor
    )
    return id_page(items, query.limit)


@bp.get("/admin/failed-mail/<int:failed_id>/raw")
@bp.auth_required(auth)
@bp.doc(
    tags=["Mail"],
    description="The message exactly as received, as a `message/rfc822` download "
    "(hostile input: never rendered).",
    responses={200: {"description": "The message", "content": {"message/rfc822": {}}}}
    | FAILED_MAIL,
)
def download_failed_mail(failed_id: int):
    """Download a failed message whole."""
    failed = dropped_mail().failed_message(current_user(), failed_id)
    return send_raw_mail(failed.raw, f"failed-mail-{failed.id}.eml")


@bp.post("/admin/failed-mail/<int:failed_id>/retry")
@bp.auth_required(auth)
@bp.output(RetryOut)
@bp.doc(tags=["Mail"], responses=FAILED_MAIL)
def retry_failed_mail(failed_id: int):
    """Send a failed message through the intake again: once handled it is no longer kept."""
    return dropped_mail().retry(current_user(), failed_id)
