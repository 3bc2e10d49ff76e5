"""Every form of the web UI (Flask-WTF: each POST form carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, EqualTo, InputRequired, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, HiddenInput, Input, Select
from wtforms.widgets.core import clean_key

from ticketdesk.models import (
    EMAIL_MAX,
    ID_MAX,
    NAME_MAX,
    TEXT_MAX,
    TITLE_MAX,
    NewTicketNotices,
    Priority,
    Role,
    TicketStatus,
)
from ticketdesk.services.pagination import TicketSort
from ticketdesk.services.users import PASSWORD_MAX, PASSWORD_MIN
from ticketdesk.text_input import NUL_REFUSED, holds_nul
from ticketdesk.web.concurrent_edits import SEEN_MAX
from ticketdesk.web.display import PRIORITY_LABELS, ROLE_LABELS, SORT_LABELS, STATUS_LABELS


class Form(FlaskForm):
    """Every form of the UI: a CSRF token on each POST (FlaskForm), and no field's text
    may hold a NUL (see `ticketdesk.text_input`)."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if holds_nul(field.data):
                field.errors.append(NUL_REFUSED)
                valid = False
        return valid


class CompactSelect(Select):
    """WTForms' select, written with f-strings.

    The staff list draws eight selects with some eighty options per page. WTForms
    writes every attribute through Markup.format (a pure-Python formatter) and
    inspects render_option's signature once per select: that was three quarters of
    the page's form time. Multiple selects and optgroups still go through WTForms.
    """

    def __call__(self, field, **kwargs):
        if self.multiple or field.has_groups():
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        for flag in self.validation_attrs:
            kwargs.setdefault(flag, bool(getattr(field.flags, flag, False)))
        choices = "".join(self.render_option(choice) for choice in field.iter_choices())
        return Markup(f"<select {_attributes(name=field.name, **kwargs)}>{choices}</select>")

    @classmethod
    def render_option(cls, choice, **kwargs):
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        label = escape(choice.label or value)
        if choice.render_kw or kwargs:
            extra = {**(choice.render_kw or {}), **kwargs}
            attributes = _attributes(value=value, selected=choice.selected, **extra)
            return Markup(f"<option {attributes}>{label}</option>")
        selected = " selected" if choice.selected else ""
        return Markup(f'<option value="{escape(value)}"{selected}>{label}</option>')


def _attributes(**kwargs) -> str:
    """WTForms' html_params, each attribute written with one f-string."""
    written = []
    for key, value in sorted(kwargs.items()):
        key = clean_key(key)
        if value is True:
            written.append(key)
        elif value is not False:
            # escape() leaves a Markup value as it is, quotes and all.
            quoted = str(escape(value)).replace('"', "&quot;")
            written.append(f'{key}="{quoted}"')
    return " ".join(written)


def write_inputs_compactly() -> None:
    """Every input widget writes its attributes with `_attributes`.

    WTForms' html_params writes each attribute through Markup.format: the staff list's
    four inputs (search box, form token, return path, button) cost 1.5 M instructions a
    page that way, 6% of it. Widgets take html_params as a class attribute so that it
    can be replaced; tests/web/test_forms.py holds the output to WTForms' own.
    """
    Input.html_params = staticmethod(_attributes)


class CompactSelectField(SelectField):
    widget = CompactSelect()


def options(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(str(value), label) for value, label in pairs]


PRIORITY_CHOICES = [(priority.value, PRIORITY_LABELS[priority]) for priority in Priority]
STATUS_CHOICES = [(status.value, STATUS_LABELS[status]) for status in TicketStatus]
ROLE_CHOICES = [(role.value, ROLE_LABELS[role]) for role in Role]


# What a form says of a field left empty or too long, in the app's words (WTForms' own,
# "This field is required." and "Field must be between 10 and 128 characters long.",
# read as if from another program).
PASSWORD_LENGTH = f"Choose a password of {PASSWORD_MIN} to {PASSWORD_MAX} characters."


def _at_most(limit: int) -> Length:
    return Length(max=limit, message=f"Keep it to {limit:,} characters at most.")


def _password(label: str) -> PasswordField:
    return PasswordField(
        label,
        [InputRequired("Choose a password."), Length(PASSWORD_MIN, PASSWORD_MAX, PASSWORD_LENGTH)],
        description=f"At least {PASSWORD_MIN} characters.",
    )


def _your_email(required: str = "Enter your email address.") -> list:
    return [InputRequired(required), _at_most(EMAIL_MAX)]


def _repeat_password() -> PasswordField:
    return PasswordField(
        "Repeat the new password",
        [
            InputRequired("Repeat the new password."),
            EqualTo("new_password", "The passwords differ."),
        ],
    )


class VersionField(IntegerField):
    """The ticket version the form was drawn from, sent back to catch stale edits."""

    widget = HiddenInput()


# --- accounts -------------------------------------------------------------


class LoginForm(Form):
    email = EmailField("Email", _your_email())
    password = PasswordField(
        "Password", [InputRequired("Enter your password."), _at_most(PASSWORD_MAX)]
    )
    next = HiddenField()
    submit = SubmitField("Sign in")


class RegisterForm(Form):
    """Name and address only: the password is chosen from the mailed link."""

    name = StringField("Your name", [InputRequired("Enter your name."), _at_most(NAME_MAX)])
    email = EmailField("Email", _your_email())
    submit = SubmitField("Create account")


class ForgotPasswordForm(Form):
    email = EmailField("Email", _your_email())
    submit = SubmitField("Send me a link")


class ResetPasswordForm(Form):
    new_password = _password("New password")
    confirm = _repeat_password()
    submit = SubmitField("Set password")


class FirstPasswordForm(ResetPasswordForm):
    """A first password, with the name the account was made with for the mailbox's owner
    to confirm or correct: whoever made it (signing up, or mailing in) typed that name."""

    name = StringField(
        "Your name",
        [InputRequired("Enter your name."), _at_most(NAME_MAX)],
        description="As it was given when this account was asked for: correct it if need be.",
    )


class PasswordForm(Form):
    current_password = PasswordField(
        "Current password", [InputRequired("Enter your current password.")]
    )
    new_password = _password("New password")
    confirm = _repeat_password()
    submit = SubmitField("Change password")


class NameForm(Form):
    name = StringField(
        "Your name",
        [InputRequired("Enter your name."), _at_most(NAME_MAX)],
        description="As staff, and the people you write to, see it.",
    )
    save_name = SubmitField("Save name")


class EmailChangeForm(Form):
    """A new address and the current password: the change waits for the mailed link."""

    email = EmailField("New email address", _your_email("Enter the new address."))
    current_password = PasswordField(
        "Current password", [InputRequired("Enter your current password."), _at_most(PASSWORD_MAX)]
    )
    send_link = SubmitField("Send a link to confirm it")


class ConfirmEmailForm(Form):
    """A button, so that the GET of a mail scanner following the link changes nothing."""

    submit = SubmitField("Use this address")


NEW_TICKET_CHOICES = options(
    [
        (NewTicketNotices.ALL.value, "Every new ticket"),
        (NewTicketNotices.CHOSEN_QUEUES.value, "Only those in the queues ticked below"),
        (NewTicketNotices.NONE.value, "None"),
    ]
)


class NoticesForm(Form):
    """Which notices a staff member is mailed; the queues are offered by the view, and
    the service says which do not exist."""

    new_tickets = RadioField("New tickets", choices=NEW_TICKET_CHOICES)
    queue_ids = SelectMultipleField(
        "Your queues",
        coerce=int,
        validate_choice=False,
        option_widget=CheckboxInput(),
    )
    assigned_to_me = BooleanField(
        "Tickets assigned to me",
        description="A ticket given to you, and its customer's replies and reopening.",
    )
    save_notices = SubmitField("Save notifications")


class SignOutForm(Form):
    submit = SubmitField("Sign out")


# --- tickets --------------------------------------------------------------


class TicketForm(Form):
    # Staff only (the page shows them to staff; the service refuses them from anyone else).
    requester_email = EmailField(
        "Requester's email",
        [Optional(), _at_most(EMAIL_MAX)],
        description="For someone who called or came by: their address (someone new gets an"
        " account, and a mail with the ticket's number). Empty: yourself.",
    )
    requester_name = StringField(
        "Requester's name",
        [Optional(), _at_most(NAME_MAX)],
        description="Only for someone new; made from the address when empty.",
    )
    title = StringField("Title", [InputRequired("Enter a title."), _at_most(TITLE_MAX)])
    description = TextAreaField(
        "Description",
        [InputRequired("Describe what happened."), _at_most(TEXT_MAX)],
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


# --- admin ----------------------------------------------------------------


class PeopleSearchForm(Form):
    """The people page's search by name or address, from the query string (no CSRF)."""

    class Meta:
        csrf = False

    q = SearchField(
        "Find people",
        [Optional(), Length(max=200)],
        render_kw={
            "placeholder": "Name or email",
            "title": "Words that start words of the name or address: carl finds Carla",
        },
    )


class UserCreateForm(Form):
    name = StringField("Name", [InputRequired("Enter their name."), _at_most(NAME_MAX)])
    email = EmailField("Email", _your_email("Enter their email address."))
    role = CompactSelectField("Role", choices=options(ROLE_CHOICES), default=Role.STAFF.value)
    password = PasswordField(
        "Initial password",
        [Optional(), Length(PASSWORD_MIN, PASSWORD_MAX, PASSWORD_LENGTH)],
        description="Optional: left empty, they are mailed a link to choose their own.",
    )
    submit = SubmitField("Add person")


class UserEditForm(Form):
    name = StringField("Name", [InputRequired("Enter their name."), _at_most(NAME_MAX)])
    email = EmailField(
        "Email",
        _your_email("Enter their email address."),
        description="They sign in with it. Reset links already mailed to the old address "
        "stop working; they stay signed in.",
    )
    submit = SubmitField("Save changes")


class UserRoleForm(Form):
    role = CompactSelectField("Role", choices=options(ROLE_CHOICES))
    submit = SubmitField("Change role")


class UserActiveForm(Form):
    """Deactivate (active=0) or reactivate (active=1) an account."""

    active = HiddenField(validators=[AnyOf(["0", "1"])])


class QueueForm(Form):
    name = StringField("Name", [InputRequired("Enter the queue's name."), _at_most(NAME_MAX)])
    slug = StringField(
        "Slug",
        [Optional(), _at_most(NAME_MAX)],
        description="Used in addresses; made from the name when left empty.",
    )
    submit = SubmitField("Add queue")


class QueueEditForm(QueueForm):
    submit = SubmitField("Save changes")


class ButtonForm(Form):
    """Only the CSRF token: what the button acts on is named in the URL."""


class QueueDeleteForm(Form):
    """Only the CSRF token: the queue is named in the URL."""

    submit = SubmitField("Delete queue")
