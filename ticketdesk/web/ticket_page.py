"""One ticket: its conversation, and what the signed-in user may do to it."""

from __future__ import annotations

from collections import defaultdict
from functools import partial

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import login_required

from ticketdesk.models import Ticket, TicketStatus
from ticketdesk.security.downloads import send_attachment, send_preview
from ticketdesk.services import queue_manager, ticket_manager
from ticketdesk.services.attachments import attachment_manager
from ticketdesk.services.directory import staff_members
from ticketdesk.services.errors import Conflict, StaleVersion, ValidationFailed
from ticketdesk.services.file_links import file_links
from ticketdesk.services.tickets import StatusChange
from ticketdesk.services.workflow import (
    ALLOWED_TRANSITIONS,
    customer_may_set_status,
    reply_reopens,
)
from ticketdesk.storage import StorageUnavailable
from ticketdesk.web.blueprint import bp
from ticketdesk.web.concurrent_edits import (
    changes_over,
    mine_only,
    named,
    read_seen,
    seen_values,
)
from ticketdesk.web.display import STATUS_LABELS
from ticketdesk.web.forms.tickets import (
    AssignToMeForm,
    CommentForm,
    RemoveFileForm,
    StatusForm,
    TicketControlsForm,
    TicketEditForm,
)
from ticketdesk.web.forms.widgets import options
from ticketdesk.web.session import actor
from ticketdesk.web.views import (
    accepts_uploads,
    as_id,
    ask_for_files_again,
    error_text,
    id_arg,
    show_field_errors,
    show_files_not_stored,
    uploads_from,
)

# Replies, and history entries, a ticket page shows at once; the rest are a link away.
SHOWN = 100
STALE_MESSAGE = (
    "Someone else changed this ticket while you were looking at it, so your change was not "
    "saved. Check the ticket as it is now and try again."
)
MADE_OVER_ANOTHER = "Someone else changed it meanwhile too: both changes are kept."
# The fields the staff controls change.
CONTROLLED = ("title", "status", "priority", "queue_id", "assignee_id")


@bp.get("/tickets/<int:ticket_id>")
@login_required
def ticket_detail(ticket_id: int):
    """The ticket, its conversation and (for staff) its controls and history."""
    return _render_detail(ticket_id)


@bp.post("/tickets/<int:ticket_id>/comments")
@login_required
@accepts_uploads
def add_comment(ticket_id: int):
    """A public reply, or (staff) an internal note, with any files; staff may set the
    ticket's status with it."""
    form = CommentForm()
    if not form.validate_on_submit():
        return _render_detail(ticket_id, comment_form=form, status=422)
    then = StatusChange(form.status.data, form.version.data) if form.status.data else None
    try:
        with attachment_manager().store(uploads_from(form.file)) as files:
            comment = _reply(ticket_id, form, files, then)
    except ValidationFailed as error:
        if not error.errors:
            form.body.errors = [*form.body.errors, error.detail]
        show_field_errors(form, error)
        return _render_detail(ticket_id, comment_form=form, status=422)
    except Conflict as error:  # the status chosen: stale, or no longer one the workflow allows
        form.status.errors = [*form.status.errors, _not_sent(error, ticket_id, form)]
        # Said at the top too: the form may be screens below on a long ticket, and the
        # page would otherwise read as after a reply sent.
        flash("Nothing was sent: your message is kept in the reply box below.", "warning")
        return _render_detail(ticket_id, comment_form=form, status=409)
    except StorageUnavailable as error:
        status = show_files_not_stored(form, error)
        return _render_detail(ticket_id, comment_form=form, status=status)
    done = _comment_added(comment)
    if then is not None:
        done += f" Ticket {_verb(comment.ticket.status)}."
    flash(done, "success")
    return redirect(url_for("web.ticket_detail", ticket_id=ticket_id, _anchor="conversation-end"))


def _reply(ticket_id: int, form: CommentForm, files, then: StatusChange | None):
    """Add the reply or note; a status chosen with it on a page drawn before another's
    change is still set, unless someone changed the status too (StaleVersion)."""
    user, manager = actor(), ticket_manager()
    add = partial(
        manager.add_comment, user, ticket_id, body=form.body.data, internal=bool(form.note.data)
    )
    try:
        return add(files=files, then=then)
    except StaleVersion:
        seen = read_seen(form.seen.data)
        if then is None or seen is None:
            raise
        current = manager.get_ticket(user, ticket_id)
        mine, clashes = changes_over({"status": then.status}, seen, current)
        if clashes:
            raise
    then = StatusChange(mine["status"], current.version) if mine else None
    return add(files=files, then=then)


def _not_sent(error: Conflict, ticket_id: int, form: CommentForm) -> str:
    """Why a reply with a status was not sent. Stale, from a page that says what it
    showed, only the status can have clashed (see `_reply`)."""
    if isinstance(error, StaleVersion) and read_seen(form.seen.data) is None:
        return (
            "Someone else changed this ticket meanwhile, so nothing was sent. Your message is"
            " still here: check the ticket as it is now and send it again."
        )
    if isinstance(error, StaleVersion):
        now = ticket_manager().get_ticket(actor(), ticket_id).status
        return (
            f"Someone else set this ticket's status to {STATUS_LABELS[now]} meanwhile, so"
            " nothing was sent. Your message is still here: choose the status again, or keep"
            " it unchanged, and send it."
        )
    return f"{error.detail} Nothing was sent: choose another status, or keep it unchanged."


def _comment_added(comment) -> str:
    """What happened to a reply: a deactivated requester is mailed nothing, which the
    staff member who answered them should know."""
    if comment.internal:
        return "Internal note added."
    requester = comment.ticket.requester
    if requester.id != comment.author_id and not requester.active:
        return f"Reply saved. {requester.name}'s account is deactivated, so it was not mailed."
    return "Reply sent."


@bp.get("/attachments/<int:attachment_id>")
@login_required
def download_attachment(attachment_id: int):
    """A file on a ticket the signed-in user may see, sent so that it never renders here."""
    manager = attachment_manager()
    return send_attachment(manager, manager.get_attachment(actor(), attachment_id))


@bp.get("/attachments/<int:attachment_id>/preview")
@login_required
def attachment_preview(attachment_id: int):
    """The picture a ticket page shows of an attached image: smaller, when it was large."""
    manager = attachment_manager()
    return send_preview(manager, manager.get_image(actor(), attachment_id))


@bp.get("/attachments/<int:attachment_id>/remove")
@login_required
def confirm_remove_attachment(attachment_id: int):
    """Staff: what removing the file means, and the button that does it."""
    user = actor()
    attachment = attachment_manager().attachment_to_remove(user, attachment_id)
    return render_template(
        "tickets/remove_file.html",
        title=f"Remove {attachment.filename}",
        attachment=attachment,
        ticket=ticket_manager().get_ticket(user, attachment.ticket_id),
        form=RemoveFileForm(),
    )


@bp.post("/attachments/<int:attachment_id>/remove")
@login_required
def remove_attachment(attachment_id: int):
    """Staff: take the file off its ticket, for everyone."""
    manager = attachment_manager()
    ticket_id = manager.attachment_to_remove(actor(), attachment_id).ticket_id
    if not RemoveFileForm().validate_on_submit():
        flash("That request could not be read; please try again.", "error")
        return redirect(url_for("web.confirm_remove_attachment", attachment_id=attachment_id))
    removed = manager.remove_attachment(actor(), attachment_id)
    flash(f"Removed {removed.filename}.", "success")
    return _back(ticket_id)


@bp.get("/files/<int:attachment_id>/<token>")
def linked_file(attachment_id: int, token: str):
    """A file from a link in a notification: no sign-in, as the person it was sent to."""
    manager = attachment_manager()
    links = file_links(current_app.config)
    return send_attachment(manager, manager.get_linked_attachment(links, token, attachment_id))


@bp.post("/tickets/<int:ticket_id>/status")
@login_required
def set_status(ticket_id: int):
    """One-button status changes: close, reopen, resolve."""
    form = StatusForm()
    if not form.validate_on_submit():
        flash("That change could not be read; please try again.", "error")
        return _back(ticket_id)
    new = TicketStatus(form.status.data)
    return _apply(ticket_id, {"status": new}, form, f"Ticket {_verb(new)}.")


@bp.post("/tickets/<int:ticket_id>/update")
@login_required
def update_ticket(ticket_id: int):
    """Staff controls: title, status, priority, queue and assignee, saved together."""
    user = actor()
    ticket = ticket_manager().get_ticket(user, ticket_id)
    form = _controls_form(ticket)
    if not form.validate_on_submit():
        return _render_detail(ticket_id, controls_form=form, status=422)
    changes = {
        "title": form.title.data,  # as shown unless edited: a title left alone is unchanged
        "status": form.status.data,
        "priority": form.priority.data,
        "queue_id": form.queue_id.data,
        "assignee_id": as_id(form.assignee_id.data),
    }
    return _apply(ticket_id, changes, form, "Ticket updated.", controls=True)


@bp.post("/tickets/<int:ticket_id>/assign-to-me")
@login_required
def assign_to_me(ticket_id: int):
    """Take the ticket."""
    form = AssignToMeForm()
    if not form.validate_on_submit():
        flash("That change could not be read; please try again.", "error")
        return _back(ticket_id)
    user = actor()
    return _apply(ticket_id, {"assignee_id": user.id}, form, "You own this ticket.")


@bp.get("/tickets/<int:ticket_id>/comments")
@bp.get("/tickets/<int:ticket_id>/status")
@bp.get("/tickets/<int:ticket_id>/update")
@bp.get("/tickets/<int:ticket_id>/assign-to-me")
@login_required
def ticket_form_address(ticket_id: int):
    """The address a ticket page's form posts to, opened: the ticket page. A form shown
    again after an error leaves that address in the address bar, to be reloaded,
    bookmarked or shared (it answered 405)."""
    return _back(ticket_id)


def _apply(ticket_id: int, changes: dict, form: TicketEditForm, done: str, *, controls=False):
    """Make the change, over another's made since the form was drawn where the two do
    not clash (see web/concurrent_edits.py). The staff controls (`controls`) are shown
    again with what was refused (a title) or clashed; the other forms are buttons."""
    try:
        ticket, before = _update(ticket_id, changes, form)
    except _Clash as clash:
        return _clashed(ticket_id, changes, form, clash, controls=controls)
    except StaleVersion:
        flash(STALE_MESSAGE, "warning")
    except ValidationFailed as error:
        if not controls:
            flash(error_text(error), "error")
        else:
            show_field_errors(form, error)
            return _render_detail(ticket_id, controls_form=form, status=422)
    except Conflict as error:
        flash(error_text(error), "error")
    else:
        if ticket.version == before:  # a change bumps the version; nothing did
            flash("Nothing to save: the ticket already had these values.", "info")
        elif before != form.version.data:
            flash(f"{done} {MADE_OVER_ANOTHER}", "success")
        else:
            flash(done, "success")
    return _back(ticket_id)


class _Clash(Exception):
    def __init__(self, current: Ticket, fields: list[str]) -> None:
        self.current = current
        self.fields = fields


def _update(ticket_id: int, changes: dict, form: TicketEditForm) -> tuple[Ticket, int]:
    """The ticket changed, and the version the change was made over: the form's, or the
    ticket's now where someone else changed other fields meanwhile. StaleVersion for a
    form that cannot tell what it showed, or a ticket changed again while merging."""
    user, manager = actor(), ticket_manager()
    try:
        ticket = manager.update_ticket(user, ticket_id, changes, expected_version=form.version.data)
        return ticket, form.version.data
    except StaleVersion:
        seen = read_seen(form.seen.data)
        if seen is None:
            raise
        current = manager.get_ticket(user, ticket_id)
        mine, clashes = changes_over(changes, seen, current)
        if clashes:
            raise _Clash(current, clashes) from None
    before = current.version  # read first: the update changes this very object
    return manager.update_ticket(user, ticket_id, mine, expected_version=before), before


def _clashed(ticket_id: int, changes: dict, form: TicketEditForm, clash: _Clash, *, controls):
    """Nothing saved: say which fields someone else changed too. The staff controls come
    back with this person's choices, over the ticket as it is now, to save again."""
    said = (
        f"Someone else changed the {named(clash.fields)} of this ticket while you were looking"
        " at it, so your change was not saved."
    )
    if not controls:
        flash(f"{said} Check the ticket as it is now and try again.", "warning")
        return _back(ticket_id)
    flash(f"{said} Your choices are kept below: check them and save again.", "warning")
    redrawn = _controls_form(clash.current, drawn=True)
    for field in mine_only(changes, read_seen(form.seen.data)):
        redrawn[field].data = form[field].data
    return _render_detail(ticket_id, controls_form=redrawn, status=409)


def _back(ticket_id: int):
    return redirect(url_for("web.ticket_detail", ticket_id=ticket_id))


def _verb(status: TicketStatus) -> str:
    return {TicketStatus.OPEN: "reopened", TicketStatus.CLOSED: "closed"}.get(
        status, f"set to {STATUS_LABELS[status]}"
    )


def _render_detail(ticket_id: int, *, comment_form=None, controls_form=None, status=200):
    user = actor()
    manager = ticket_manager()
    ticket = manager.get_ticket(user, ticket_id)
    comments, comments_around = _window(
        partial(manager.get_comments, user, ticket_id),
        partial(manager.get_latest_comments, user, ticket_id),
        ("before", "after"),
    )
    files: dict[int | None, list] = defaultdict(list)
    shown_ids = [comment.id for comment in comments]
    for attachment in attachment_manager().get_attachments_on(user, ticket_id, shown_ids):
        files[attachment.comment_id].append(attachment)
    context = {
        "ticket": ticket,
        "opener": manager.opened_for(ticket),
        "title": f"#{ticket.id} {ticket.title}",
        "comments": comments,
        "comments_around": comments_around,
        "files": files,
        "comment_form": _comment_form(ticket, comment_form, staff=user.is_staff),
        "customer_actions": [] if user.is_staff else _customer_actions(ticket),
        "reply_reopens": reply_reopens(user, ticket),
        "seen_status": seen_values(ticket, ["status"]),
    }
    if user.is_staff:
        queues = queue_manager().list_queues(user)
        events, events_around = _window(
            partial(manager.get_events, user, ticket_id),
            partial(manager.get_latest_events, user, ticket_id),
            ("history_before", "history_after"),
        )
        context.update(
            controls=controls_form or _controls_form(ticket, drawn=True),
            assign_form=AssignToMeForm(
                formdata=None,
                version=ticket.version,
                seen=seen_values(ticket, ["assignee_id"]),
            ),
            events=events,
            events_around=events_around,
            names={
                "users": {str(m.id): m.name for m in staff_members(user, active_only=False)},
                "queues": {str(q.id): q.name for q in queues},
            },
        )
    return render_template("tickets/detail.html", **context), status


def _window(after, latest, args: tuple[str, str]) -> tuple[list, dict[str, int | None]]:
    """The rows a ticket page shows of a long list (its replies, its history): the newest
    SHOWN, or SHOWN before or after the id in the query string's `args` (before, after);
    with the ids to show the earlier and the later ones from (None: there are none).

    `after(limit=, after_id=)` and `latest(limit=, before_id=)` fetch the rows."""
    before, since = (id_arg(name) for name in args)
    if since is not None:
        rows = after(limit=SHOWN + 1, after_id=since)
        shown = rows[:SHOWN]
        later = shown[-1].id if len(rows) > SHOWN else None
        return shown, {"earlier": shown[0].id if shown else since + 1, "later": later}
    rows = latest(limit=SHOWN + 1, before_id=before)
    shown = rows[-SHOWN:]
    earlier = shown[0].id if len(rows) > SHOWN else None
    later = (shown[-1].id if shown else before - 1) if before is not None else None
    return shown, {"earlier": earlier, "later": later}


def _customer_actions(ticket: Ticket) -> list[tuple[str, StatusForm]]:
    """The close / reopen buttons the workflow offers a requester right now."""
    actions = []
    choices = (("Reopen ticket", TicketStatus.OPEN), ("Close ticket", TicketStatus.CLOSED))
    for label, target in choices:
        if customer_may_set_status(ticket.status, target):
            seen = seen_values(ticket, ["status"])
            form = StatusForm(formdata=None, status=target.value, version=ticket.version, seen=seen)
            actions.append((label, form))
    return actions


def _comment_form(ticket: Ticket, form: CommentForm | None, *, staff: bool) -> CommentForm:
    """The reply form (as sent, after an error: its files must be chosen again); for
    staff with the statuses the ticket may move to next, "unchanged" first."""
    if form is None:
        form = CommentForm(formdata=None)
    else:
        ask_for_files_again(form)
    if staff:
        keep = ("", f"Unchanged ({STATUS_LABELS[ticket.status]})")
        form.status.choices = options([keep, *_next_statuses(ticket)])
    return form


def _next_statuses(ticket: Ticket) -> list[tuple[str, str]]:
    """(value, label) of each status the workflow allows after the ticket's, in order."""
    allowed = sorted(ALLOWED_TRANSITIONS[ticket.status], key=_status_order)
    return [(status.value, STATUS_LABELS[status]) for status in allowed]


def _controls_form(ticket: Ticket, *, drawn: bool = False) -> TicketControlsForm:
    """The staff controls, as sent (the request's form), or `drawn` from the ticket: only
    a drawn form says what it showed, or an old page's post would claim today's values."""
    user = actor()
    values = {
        "obj": ticket,
        "status": ticket.status.value,
        "priority": ticket.priority.value,
        "assignee_id": str(ticket.assignee_id or ""),
        "version": ticket.version,
    }
    if drawn:
        form = TicketControlsForm(formdata=None, seen=seen_values(ticket, CONTROLLED), **values)
    else:
        form = TicketControlsForm(**values)
    current = (ticket.status.value, STATUS_LABELS[ticket.status])
    form.status.choices = options([current, *_next_statuses(ticket)])
    form.queue_id.choices = options([(q.id, q.name) for q in queue_manager().list_queues(user)])
    team = staff_members(user)
    if ticket.assignee is not None and ticket.assignee_id not in {m.id for m in team}:
        team.append(ticket.assignee)  # a since-deactivated assignee still shows who has it
    form.assignee_id.choices = options([("", "Unassigned")] + [(str(m.id), m.name) for m in team])
    return form


def _status_order(status: TicketStatus) -> int:
    return list(TicketStatus).index(status)
