"""Admin page: outgoing mail that is waiting or dead, and a button to send it again."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from ticketdesk.models import OutboxStatus
from ticketdesk.services import outbox_manager
from ticketdesk.services.errors import Conflict, NotFound
from ticketdesk.web.blueprint import bp
from ticketdesk.web.forms.base import ButtonForm
from ticketdesk.web.paging import page_links
from ticketdesk.web.session import actor, admin_page
from ticketdesk.web.views import id_arg, newest_page

MESSAGES_PER_PAGE = 50
SHOWN_STATUSES = ("pending", "dead", "sent")


@bp.get("/admin/outbox")
@admin_page
def admin_outbox():
    """Outgoing mail by status (dead first by default), newest first."""
    status = request.args.get("status", "dead")
    if status not in SHOWN_STATUSES:
        status = "dead"
    before = id_arg("before")
    messages, older = newest_page(
        outbox_manager().list_messages(
            actor(), status=OutboxStatus(status), limit=MESSAGES_PER_PAGE + 1, before_id=before
        ),
        MESSAGES_PER_PAGE,
    )
    pages = page_links(
        lambda cursor, back: url_for("web.admin_outbox", status=status, before=cursor, back=back),
        before,
        older,
    )
    return render_template(
        "admin/outbox.html",
        title="Outgoing mail",
        status=status,
        statuses=SHOWN_STATUSES,
        messages=messages,
        form=ButtonForm(),
        pages=pages,
    )


@bp.post("/admin/outbox/<int:message_id>/retry")
@admin_page
def admin_outbox_retry(message_id: int):
    """Queue one message to be sent again now."""
    if not ButtonForm().validate_on_submit():
        flash("That request could not be read; please try again.", "error")
    else:
        try:
            message = outbox_manager().retry_message(actor(), message_id)
        except (Conflict, NotFound) as error:
            flash(error.detail, "error")
        else:
            flash(f"Message to {message.recipient} will be sent again.", "success")
    return redirect(url_for("web.admin_outbox", status=request.args.get("status", "dead")))


@bp.post("/admin/outbox/retry-dead")
@admin_page
def admin_outbox_retry_dead():
    """Queue every dead message to be sent again now: after a long outage of the mail
    server, every message of those hours is dead."""
    if not ButtonForm().validate_on_submit():
        flash("That request could not be read; please try again.", "error")
    else:
        count = outbox_manager().retry_dead(actor())
        flash(f"{count} message{'' if count == 1 else 's'} will be sent again.", "success")
    return redirect(url_for("web.admin_outbox", status="dead"))
