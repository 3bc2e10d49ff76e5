"""Ticket lists (a customer's own, the staff's filtered queue), new tickets, bulk changes."""

from __future__ import annotations

import re

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from ticketdesk.models import ACTIVE_STATUSES, EMAIL_MAX, Priority, TicketStatus
from ticketdesk.services import queue_manager, ticket_manager
from ticketdesk.services.attachments import attachment_manager
from ticketdesk.services.contacts import Contact
from ticketdesk.services.directory import people_named, person, staff_members
from ticketdesk.services.errors import DomainError, NotFound, StaleVersion, ValidationFailed
from ticketdesk.services.pagination import TicketSort
from ticketdesk.services.stats import team_counts
from ticketdesk.services.tickets import TicketFilter
from ticketdesk.storage import StorageUnavailable
from ticketdesk.web.blueprint import bp
from ticketdesk.web.forms.tickets import (
    PAGE_SIZES,
    BulkForm,
    FilterForm,
    OwnSearchForm,
    TicketForm,
)
from ticketdesk.web.forms.widgets import options
from ticketdesk.web.paging import page_links
from ticketdesk.web.session import actor, safe_next
from ticketdesk.web.views import (
    accepts_uploads,
    as_id,
    ask_for_files_again,
    error_text,
    show_field_errors,
    show_files_not_stored,
    uploads_from,
)

PAGE_SIZE = 25
# Where the signed session keeps the page size a staff member last chose.
PER_PAGE_KEY = "per_page"
PER_PAGE_CHOICES = frozenset(value for value, _ in PAGE_SIZES)
PEOPLE_SHOWN = 5
# A ticket's number as the pages show it: "#123".
TICKET_NUMBER = re.compile(r"#\s*(\d{1,12})")
# How the page names a hidden filter it could not read.
IGNORED_NAMES = {"requester": "Person", "cursor": "Page"}
# Typed into the staff's search box, an address of someone known lists their tickets.
EMAIL_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@bp.get("/tickets")
@login_required
def ticket_list():
    """Staff: every ticket, filtered and sorted. Customers: their own tickets."""
    typed = (request.args.get("q") or "").strip()
    if named := _ticket_named(typed):
        return named
    if not current_user.is_staff:
        return _customer_list()
    user = actor()
    if EMAIL_ADDRESS.fullmatch(typed) and (someone := person(user, email=typed)):
        return redirect(_list_url(q=None, cursor=None, requester=str(someone.id)))
    team = staff_members(user)
    queues = queue_manager().list_queues(user)
    form = FilterForm(request.args)
    form.queue.choices = options([("", "Any queue")] + [(str(q.id), q.name) for q in queues])
    form.assignee.choices = options(_assignee_filter_choices(team))
    form.offer_sorts()
    _fill_in_remembered_page_size(form)
    form.validate()
    requester = _requester(form, user)
    ignored = _ignore_filters_not_understood(form)
    filters = _filters_from(form, requester)
    if form.sort.data:
        sort = TicketSort(form.sort.data)
    else:
        sort = None if filters.text else TicketSort.NEWEST  # None: best matches first
    try:
        page = ticket_manager().get_tickets(
            user, filters, sort=sort, limit=_page_size(form), cursor=form.cursor.data or None
        )
    except ValidationFailed:
        return _restart_paging()
    people = _people_searched(user, filters, requester, form.cursor.data)
    bulk = _bulk_form(team, queues, next=request.full_path.rstrip("?"))
    return render_template(
        "tickets/staff_list.html",
        title="Tickets",
        form=form,
        ignored=ignored,
        bulk=bulk,
        page=page,
        counts=team_counts(user),
        queues=queues,
        team=team,
        queue_names={queue.id: queue.name for queue in queues},
        requester=requester,
        people=people[:PEOPLE_SHOWN],
        more_people=len(people) > PEOPLE_SHOWN,
        everyone_url=_list_url(requester=None, cursor=None) if requester else None,
        pages=page_links(_list_url, form.cursor.data or None, page.next_cursor),
    )


def _fill_in_remembered_page_size(form: FilterForm) -> None:
    """A list asked for without a page size shows as many as the last one chosen."""
    remembered = session.get(PER_PAGE_KEY)
    if not form.per_page.raw_data and remembered in PER_PAGE_CHOICES:
        form.per_page.data = remembered


def _page_size(form: FilterForm) -> int:
    """The page size asked for, remembered for the lists that follow (an unknown one is
    ignored, as other filters not understood are)."""
    if form.per_page.errors:
        return PAGE_SIZE
    if form.per_page.raw_data:
        session[PER_PAGE_KEY] = form.per_page.data
    return int(form.per_page.data)


def _people_searched(user, filters: TicketFilter, requester, cursor: str | None) -> list:
    """People whose name or address the searched words start, shown above the first
    page of tickets found: staff often type a customer's name to find their tickets,
    which name them nowhere in their text."""
    if not filters.text or requester is not None or cursor:
        return []
    return people_named(user, filters.text, limit=PEOPLE_SHOWN + 1)


def _ignore_filters_not_understood(form: FilterForm) -> list[str]:
    """Each filter the list cannot read (a deleted queue, a sort that never was) goes back
    to its default, and the others still apply: the form shows the list as it is, and
    the page names what it ignored."""
    ignored = []
    for field in form:
        if field.errors:
            field.data = field.default
            ignored.append(IGNORED_NAMES.get(field.name, field.label.text))
    return ignored


def _requester(form: FilterForm, user):
    """The person whose tickets the list is narrowed to, or None; one who does not exist
    is a filter not understood."""
    if form.requester.errors or not form.requester.data:
        return None
    found = person(user, user_id=int(form.requester.data))
    if found is None:
        form.requester.errors = [*form.requester.errors, "No such person."]
    return found


def _customer_list():
    """A customer's own tickets, most recent activity first; or, searched, best matches
    first (never matching staff notes: the service keeps those out)."""
    form = OwnSearchForm(request.args)
    text = (form.q.data or "").strip() if form.validate() else ""
    try:
        page = ticket_manager().get_tickets(
            actor(),
            TicketFilter(text=text or None),
            sort=None if text else TicketSort.RECENTLY_UPDATED,
            limit=PAGE_SIZE,
            cursor=form.cursor.data or None,
        )
    except ValidationFailed:
        return _restart_paging()
    return render_template(
        "tickets/my_list.html",
        title="My tickets",
        form=form,
        searched=text,
        page=page,
        pages=page_links(_list_url, form.cursor.data or None, page.next_cursor),
    )


def _ticket_named(text: str):
    """`#123` typed in a search box opens ticket 123, if the user may see it; else None,
    and the text is searched like any other."""
    match = TICKET_NUMBER.fullmatch(text)
    if match is None:
        return None
    try:
        ticket = ticket_manager().get_ticket(actor(), int(match.group(1)))
    except NotFound:
        return None
    return redirect(url_for("web.ticket_detail", ticket_id=ticket.id))


def _restart_paging():
    """A cursor that no longer fits (edited URL, changed sort): back to the first page."""
    flash("That page link no longer works; here is the first page.", "info")
    return redirect(_list_url(cursor=None, back=None))


def _filters_from(form: FilterForm, requester) -> TicketFilter:
    if form.status.data == "active":
        statuses = ACTIVE_STATUSES
    elif form.status.data == "any":
        statuses = ()
    else:
        statuses = (TicketStatus(form.status.data),)
    assignee = form.assignee.data
    return TicketFilter(
        statuses=statuses,
        priority=Priority(form.priority.data) if form.priority.data else None,
        queue_id=as_id(form.queue.data),
        assignee_id=actor().id if assignee == "me" else as_id(assignee),
        unassigned=assignee == "none",
        requester_id=requester.id if requester else None,
        text=(form.q.data or "").strip() or None,
    )


def _list_url(**changes: str | None) -> str:
    """This list's URL with some of its arguments changed (None: left out)."""
    args = request.args.to_dict(flat=False)
    for name, value in changes.items():
        args.pop(name, None)
        if value is not None:
            args[name] = [value]
    return url_for("web.ticket_list", **args)


def _assignee_filter_choices(team) -> list[tuple[str, str]]:
    people = [(str(member.id), member.name) for member in team]
    return [("", "Anyone"), ("me", "Me"), ("none", "Unassigned"), *people]


def _bulk_form(team, queues, **data) -> BulkForm:
    """The staff list's bulk bar, offering the team and the queues there are now."""
    form = BulkForm(**data)
    people = [(str(member.id), member.name) for member in team]
    form.assignee.choices = options(
        [("", "Keep assignee"), ("me", "Me"), ("none", "Nobody (unassign)"), *people]
    )
    form.queue.choices = options([("", "Keep queue"), *((q.id, q.name) for q in queues)])
    return form


@bp.route("/tickets/new", methods=["GET", "POST"])
@login_required
@accepts_uploads
def new_ticket():
    """Open a ticket: title, description, priority, queue, and any files; staff may open
    it for someone else, named by email address (`?requester_email=` fills it in)."""
    user = actor()
    form = TicketForm()
    queues = queue_manager().list_queues(user)
    form.queue_id.choices = options([(q.id, q.name) for q in queues])
    if not form.is_submitted():
        # Preselect the default queue, not whichever sorts first.
        default_slug = current_app.config["DEFAULT_QUEUE_SLUG"]
        form.queue_id.data = next((q.id for q in queues if q.slug == default_slug), None)
        form.requester_email.data = request.args.get("requester_email", "")[:EMAIL_MAX]
    if form.validate_on_submit():
        contact = Contact.from_fields(form.requester_email.data, form.requester_name.data)
        try:
            with attachment_manager().store(uploads_from(form.file)) as files:
                ticket = ticket_manager().create_ticket(
                    user,
                    title=form.title.data,
                    description=form.description.data,
                    priority=Priority(form.priority.data),
                    queue_id=form.queue_id.data,
                    contact=contact,
                    files=files,
                )
        except ValidationFailed as error:
            show_field_errors(form, error)
        except StorageUnavailable as error:
            status = show_files_not_stored(form, error)
            ask_for_files_again(form)
            return render_template("tickets/new.html", form=form, title="New ticket"), status
        else:
            flash(_opened(ticket, user), "success")
            return redirect(url_for("web.ticket_detail", ticket_id=ticket.id))
    status = 422 if form.errors else 200
    if status == 422:
        ask_for_files_again(form)
    return render_template("tickets/new.html", form=form, title="New ticket"), status


def _opened(ticket, user) -> str:
    """What to say once a ticket is open: for someone else, whom (a mistyped address shows)."""
    if ticket.requester_id == user.id:
        if user.is_staff:  # staff noting work of their own: nobody else "replies"
            return f"Ticket #{ticket.id} is open, with you as its requester."
        return f"Ticket #{ticket.id} is open. We will reply here."
    requester = ticket.requester
    return (
        f"Ticket #{ticket.id} is open for {requester.name} ({requester.email}),"
        " who is mailed its number."
    )


@bp.post("/tickets/bulk")
@login_required
def bulk_update():
    """Change the status, priority, queue and/or assignee of the selected tickets, one at
    a time, each under the rules and version check of a change made on its own page."""
    user = actor()
    form = _bulk_form(staff_members(user), queue_manager().list_queues(user))
    back = safe_next(form.next.data) or url_for("web.ticket_list")
    if not form.validate_on_submit():
        flash(_bulk_not_read(form), "error")
        return redirect(back)
    changes = _bulk_changes(form, user)
    if not form.ticket_ids.data or not changes:
        flash("Select at least one ticket and a change to make.", "error")
        return redirect(back)
    done, failed = 0, []
    manager = ticket_manager()
    # Each at the version the list showed: a ticket someone changed meanwhile (assigned
    # to another agent, say) is left as they left it, and named.
    for ticket_id, version in form.ticket_ids.data:
        try:
            manager.update_ticket(user, ticket_id, changes, expected_version=version)
            done += 1
        except StaleVersion:
            failed.append(f"#{ticket_id}: someone changed it after this list was shown.")
        except DomainError as error:
            failed.append(f"#{ticket_id}: {error_text(error)}")
    if done:
        flash(f"Updated {done} ticket{'s' if done != 1 else ''}.", "success")
    if failed:
        flash("Not changed: " + " ".join(failed), "error")
    return redirect(back)


def _bulk_not_read(form: BulkForm) -> str:
    """Why a bulk change was not made: a queue or person chosen from a list drawn before
    an admin deleted or deactivated them, or a form that could not be read."""
    if form.queue.errors:
        return "That queue no longer exists; choose another."
    if form.assignee.errors:
        return "That person can no longer be assigned tickets; choose someone else."
    return "That bulk change could not be read; please try again."


def _bulk_changes(form: BulkForm, user) -> dict:
    """The fields to set on each selected ticket: only those chosen ("" keeps a field)."""
    changes: dict = {}
    if form.status.data:
        changes["status"] = TicketStatus(form.status.data)
    if form.priority.data:
        changes["priority"] = Priority(form.priority.data)
    if form.queue.data:
        changes["queue_id"] = int(form.queue.data)
    if form.assignee.data == "me":
        changes["assignee_id"] = user.id
    elif form.assignee.data == "none":
        changes["assignee_id"] = None
    elif form.assignee.data:
        changes["assignee_id"] = int(form.assignee.data)
    return changes
