"""Forms of tickets: opening one, replying, the staff controls, the lists and their search."""

from __future__ import annotations

from flask_wtf.file import MultipleFileField
from wtforms import (
    EmailField,
    HiddenField,
    IntegerField,
    SearchField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import AnyOf, InputRequired, Length, Optional, Regexp
from wtforms.widgets import HiddenInput

from ticketdesk.models import (
    EMAIL_MAX,
    ID_MAX,
    NAME_MAX,
    TEXT_MAX,
    TITLE_MAX,
    Priority,
    TicketStatus,
)
from ticketdesk.services.pagination import TicketSort
from ticketdesk.web.concurrent_edits import SEEN_MAX
from ticketdesk.web.display import PRIORITY_LABELS, SORT_LABELS, STATUS_LABELS
from ticketdesk.web.forms.base import Form, at_most
from ticketdesk.web.forms.widgets import CompactSelectField, options

PRIORITY_CHOICES = [(priority.value, PRIORITY_LABELS[priority]) for priority in Priority]
STATUS_CHOICES = [(status.value, STATUS_LABELS[status]) for status in TicketStatus]


class VersionField(IntegerField):
    """The ticket version the form was drawn from, sent back to catch stale edits."""

    widget = HiddenInput()


class TicketForm(Form):
    # Staff only (the page shows them to staff; the service refuses them from anyone else).
    requester_email = EmailField(
        "Requester's email",
        [Optional(), at_most(EMAIL_MAX)],
        description="For someone who called or came by: their address (someone new gets an"
        " account, and a mail with the ticket's number). Empty: yourself.",
    )
    requester_name = StringField(
        "Requester's name",
        [Optional(), at_most(NAME_MAX)],
        description="Only for someone new; made from the address when empty.",
    )
    title = StringField("Title", [InputRequired("Enter a title."), at_most(TITLE_MAX)])
    description = TextAreaField(
        "Description",
        [InputRequired("Describe what happened."), at_most(TEXT_MAX)],
        description="What happened, what you expected, and anything you tried. Markdown works.",
    )
    priority = CompactSelectField(
        "Priority", choices=options(PRIORITY_CHOICES), default=Priority.NORMAL.value
    )
    queue_id = CompactSelectField("Queue", coerce=int)
    file = MultipleFileField("Attach files", description="Optional: screenshots, logs, documents.")
    submit = SubmitField("Open ticket")


class CommentForm(Form):
    # May be empty when files are attached: the service asks for one or the other.
    body = TextAreaField("Message", [Length(max=TEXT_MAX)], description="Markdown works.")
    file = MultipleFileField("Attach files")
    # Staff only: a status to set with the reply or note ("" keeps it). The service judges
    # it, as on the controls: a choice drawn from a since-changed ticket is stale, not bad.
    status = CompactSelectField(
        "Then set status", validate_choice=False, default="", id="reply-status"
    )
    # The version the page was drawn from, and the status it showed: checked only when a
    # status is set (see web/concurrent_edits.py).
    version = VersionField(validators=[Optional()], id="reply-version")
    seen = HiddenField(validators=[Length(max=SEEN_MAX)], id="reply-seen")
    reply = SubmitField("Send reply")
    note = SubmitField("Add internal note")


class TicketEditForm(Form):
    """A change to a ticket: the version it was drawn from, and what it showed of the
    fields it changes (see web/concurrent_edits.py)."""

    version = VersionField(validators=[InputRequired()])
    seen = HiddenField(validators=[Length(max=SEEN_MAX)])


class StatusForm(TicketEditForm):
    """A one-button status change (close, reopen, resolve)."""

    status = HiddenField(validators=[AnyOf([status.value for status in TicketStatus])])


class TicketControlsForm(TicketEditForm):
    """Staff controls: title, status, priority, queue and assignee in one save."""

    # The service refuses an empty title; one not sent at all (a page drawn before the
    # field was added) stays as the ticket's own.
    title = StringField("Title", [Length(max=TITLE_MAX)])
    # The service judges the status: a choice drawn from a since-changed ticket is stale, not bad.
    status = CompactSelectField("Status", validate_choice=False)
    priority = CompactSelectField("Priority", choices=options(PRIORITY_CHOICES))
    queue_id = CompactSelectField("Queue", coerce=int)
    assignee_id = CompactSelectField("Assignee")
    submit = SubmitField("Save changes")


class RemoveFileForm(Form):
    """Only the CSRF token: the file is named in the URL."""

    submit = SubmitField("Remove file")


class AssignToMeForm(TicketEditForm):
    submit = SubmitField("Assign to me")


def ticket_ref(value) -> tuple[int, int | None]:
    """A ticket ticked on the staff list: `id:version`, the version the list showed (a
    bare id, from a client that knows none, is changed whatever its version)."""
    ticket_id, _, version = str(value).partition(":")
    if not 0 < int(ticket_id) <= ID_MAX:
        raise ValueError("not a ticket's id")
    return int(ticket_id), int(version) if version else None


class BulkForm(Form):
    """Changes to the tickets ticked on the staff list, whose filters already use the ids
    `status`, `priority`, `queue` and `assignee` (two elements of one id broke their labels)."""

    ticket_ids = SelectMultipleField("Tickets", coerce=ticket_ref, validate_choice=False)
    status = CompactSelectField(
        "Set status",
        choices=options([("", "Keep status"), *STATUS_CHOICES]),
        default="",
        id="bulk-status",
    )
    priority = CompactSelectField(
        "Set priority",
        choices=options([("", "Keep priority"), *PRIORITY_CHOICES]),
        default="",
        id="bulk-priority",
    )
    queue = CompactSelectField("Move to queue", default="", id="bulk-queue")
    assignee = CompactSelectField("Assign to", default="", id="bulk-assignee")
    next = HiddenField()
    submit = SubmitField("Apply to selected")


# Search boxes take words, or a ticket's number to open it (see web.tickets._ticket_named).
NUMBER_HINT = {
    "placeholder": "Words, or #123 for a ticket",
    "title": 'Words to find, "in quotes" for a phrase; #123 opens ticket 123',
}
STAFF_SEARCH_HINT = {
    # The staff's box shares its row with five filters: a placeholder it can show whole.
    "placeholder": "Words or #123",
    "title": NUMBER_HINT["title"]
    + "; an email address lists that person's tickets, and a name shows whom it matches",
}


# Tickets a staff list page may show: a day's triage goes faster a hundred at a time.
PAGE_SIZES = [(str(size), str(size)) for size in (25, 50, 100)]


class FilterForm(Form):
    """The staff list's filters, read from the query string (a GET form: no CSRF)."""

    class Meta:
        csrf = False

    q = SearchField("Search", [Optional(), Length(max=200)], render_kw=STAFF_SEARCH_HINT)
    status = CompactSelectField(
        "Status",
        choices=options([("active", "Not resolved"), ("any", "Any status"), *STATUS_CHOICES]),
        default="active",
    )
    priority = CompactSelectField(
        "Priority", choices=options([("", "Any priority"), *PRIORITY_CHOICES]), default=""
    )
    queue = CompactSelectField("Queue", default="")
    assignee = CompactSelectField("Assignee", default="")
    # "" is the list's own order: best match first when searching, else newest first.
    sort = CompactSelectField("Sort", default="")
    # Tickets a page; when none is asked for, the list shows as many as it last did.
    per_page = CompactSelectField("Per page", choices=options(PAGE_SIZES), default=PAGE_SIZES[0][0])
    # One person's tickets: set by typing their email address, or by their name in a row.
    requester = HiddenField(validators=[Optional(), Regexp(r"^\d{1,18}$")])
    cursor = HiddenField(validators=[Optional(), Length(max=500)])

    def offer_sorts(self) -> None:
        """The orders to choose from, "" named for what it means here.

        Words typed into a list left at its own order ("Newest first", "") are ranked,
        and "Newest first" is then an order of its own, which searching staff once could
        not choose: it ranked too. Without words, `-created_at` is read as "".
        """
        searching = bool((self.q.data or "").strip())
        if not searching and self.sort.data == TicketSort.NEWEST.value:
            self.sort.data = ""
        own = "Best match" if searching else SORT_LABELS[TicketSort.NEWEST]
        orders = [sort for sort in TicketSort if searching or sort != TicketSort.NEWEST]
        self.sort.choices = options([("", own), *((o.value, SORT_LABELS[o]) for o in orders)])


class OwnSearchForm(Form):
    """A customer's search of their own tickets, from the query string (no CSRF)."""

    class Meta:
        csrf = False

    q = SearchField("Search your tickets", [Optional(), Length(max=200)], render_kw=NUMBER_HINT)
    cursor = HiddenField(validators=[Optional(), Length(max=500)])
