"""API: the mail outbox (admins) and each ticket's mail log (staff)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ticketdesk.api.blueprint import auth, bp, current_user
from ticketdesk.api.paging import id_page
from ticketdesk.extensions import db
from ticketdesk.mail.recording import ticket_mail_log
from ticketdesk.models import InboundOutcome, OutboxStatus, ThreadRule
from ticketdesk.services import outbox_manager, ticket_manager


class OutboxMessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ticket_id: int | None
    kind: str = Field(description="Which notification: ticket_created, comment_added, …")
    recipient: str
    subject: str
    message_id: str
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class OutboxPage(BaseModel):
    items: list[OutboxMessageOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page.")


class OutboxQuery(BaseModel):
    status: OutboxStatus | None = Field(default=None, description="pending, sent or dead")
    limit: int = Field(default=50, ge=1, le=200)
    cursor: int | None = Field(default=None, ge=1, le=2**62, description="From a previous page.")


class DeadMailRetried(BaseModel):
    retried: int = Field(description="How many dead messages will be sent again.")


class InboundMessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    message_key: str = Field(description="The Message-ID, or sha256:<hash> when it had none.")
    sender: str | None
    subject: str | None
    outcome: InboundOutcome
    rule: ThreadRule | None = Field(description="Which threading rule matched: token, …")
    reason: str | None
    comment_id: int | None
    received_at: datetime


@bp.get("/admin/outbox")
@bp.auth_required(auth)
@bp.input(OutboxQuery, location="query", arg_name="query")
@bp.output(OutboxPage)
@bp.doc(tags=["Mail"], responses={403: "Admins only"})
def list_outbox(query: OutboxQuery):
    """Outgoing mail, newest first; filter by status to see what is pending or dead."""
    items = outbox_manager().list_messages(
        current_user(), status=query.status, limit=query.limit + 1, before_id=query.cursor
    )
    return id_page(items, query.limit)


@bp.get("/admin/outbox/<int:message_id>")
@bp.auth_required(auth)
@bp.output(OutboxMessageOut)
@bp.doc(tags=["Mail"], responses={403: "Admins only", 404: "No such message"})
def get_outbox_message(message_id: int):
    """One outgoing message and its delivery state."""
    return outbox_manager().get_message(current_user(), message_id)


@bp.post("/admin/outbox/<int:message_id>/retry")
@bp.auth_required(auth)
@bp.output(OutboxMessageOut)
@bp.doc(tags=["Mail"], responses={403: "Admins only", 404: "No such message", 409: "Sent"})
def retry_outbox_message(message_id: int):
    """Queue a dead or waiting message to be sent now, with a fresh count of attempts."""
    return outbox_manager().retry_message(current_user(), message_id)


@bp.post("/admin/outbox/retry-dead")
@bp.auth_required(auth)
@bp.output(DeadMailRetried)
@bp.doc(tags=["Mail"], responses={403: "Admins only"})
def retry_dead_mail():
    """Queue every dead message to be sent now (after a mail server outage longer than
    the retries); a password link's mail, whose content is gone, stays dead."""
    return {"retried": outbox_manager().retry_dead(current_user())}


@bp.get("/tickets/<int:ticket_id>/mail")
@bp.auth_required(auth)
@bp.output(list[InboundMessageOut])
@bp.doc(tags=["Mail"], responses={403: "Staff only", 404: "No such ticket"})
def list_ticket_mail(ticket_id: int):
    """Mail received on a ticket and which threading rule tied each message to it (staff)."""
    return ticket_mail_log(db.session(), ticket_manager(), current_user(), ticket_id)
