"""Admin page: incoming mail that made no ticket or reply (refused, ignored, failed); a
failed message to download or to send through the intake again."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from ticketdesk.security.downloads import send_raw_mail
from ticketdesk.services import dropped_mail
from ticketdesk.services.errors import NotFound
from ticketdesk.services.inbound_mail import DroppedOutcome
from ticketdesk.web.blueprint import bp
from ticketdesk.web.forms.base import ButtonForm
from ticketdesk.web.paging import page_links
from ticketdesk.web.session import actor, admin_page
from ticketdesk.web.views import id_arg, newest_page

MESSAGES_PER_PAGE = 50
OUTCOMES = tuple(DroppedOutcome)
TITLES = {"rejected": "Refused", "failed": "Failed", "ignored": "Ignored"}
# What became of a message retried, as the flash says it.
RETRIED = {
    "ticket": "It opened ticket #{ticket_id}.",
    "comment": "It was added to ticket #{ticket_id}.",
    "duplicate": "It had been taken in already: nothing was made twice.",
    "rejected": "It was refused: {reason}",
    "ignored": "It was ignored: {reason}",
}


@bp.get("/admin/inbound-mail")
@admin_page
def admin_dropped_mail():
    """Incoming mail of one outcome (failed by default) that made no ticket, newest first."""
    outcome = _outcome()
    before = id_arg("before")
    messages, older = newest_page(
        dropped_mail().list_messages(
            actor(), outcome=outcome, limit=MESSAGES_PER_PAGE + 1, before_id=before
        ),
        MESSAGES_PER_PAGE,
    )
    pages = page_links(
        lambda cursor, back: url_for(
            "web.admin_dropped_mail", outcome=outcome, before=cursor, back=back
        ),
        before,
        older,
    )
    return render_template(
        "admin/inbound_mail.html",
        title="Incoming mail that made no ticket",
        outcome=outcome.value,
        outcomes=[o.value for o in OUTCOMES],
        titles=TITLES,
        messages=messages,
        form=ButtonForm(),
        pages=pages,
    )


@bp.get("/admin/failed-mail/<int:failed_id>/raw")
@admin_page
def admin_failed_mail_raw(failed_id: int):
    """A failed message exactly as received, as a download (never shown: hostile input)."""
    failed = dropped_mail().failed_message(actor(), failed_id)
    return send_raw_mail(failed.raw, f"failed-mail-{failed.id}.eml")


@bp.post("/admin/failed-mail/<int:failed_id>/retry")
@admin_page
def admin_failed_mail_retry(failed_id: int):
    """Send one failed message through the intake again."""
    if not ButtonForm().validate_on_submit():
        flash("That request could not be read; please try again.", "error")
    else:
        try:
            result = dropped_mail().retry(actor(), failed_id)
        except NotFound as error:
            flash(error.detail, "error")
        else:
            if result.outcome == "failed":
                flash(f"It failed again: {result.reason}", "error")
            else:
                done = RETRIED[result.outcome].format(**vars(result))
                flash(f"Failed mail {failed_id} retried. {done}", "success")
    return redirect(url_for("web.admin_dropped_mail", outcome=DroppedOutcome.FAILED))


def _outcome() -> DroppedOutcome:
    try:
        return DroppedOutcome(request.args.get("outcome", "failed"))
    except ValueError:
        return DroppedOutcome.FAILED
