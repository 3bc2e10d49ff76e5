"""Forms of the admin pages: people, their roles and access, and queues."""

from __future__ import annotations

from wtforms import EmailField, HiddenField, PasswordField, SearchField, StringField, SubmitField
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from ticketdesk.models import NAME_MAX, Role
from ticketdesk.services.users import PASSWORD_MAX, PASSWORD_MIN
from ticketdesk.web.display import ROLE_LABELS
from ticketdesk.web.forms.base import PASSWORD_LENGTH, Form, at_most, required_email
from ticketdesk.web.forms.widgets import CompactSelectField, options

ROLE_CHOICES = [(role.value, ROLE_LABELS[role]) for role in Role]


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
    name = StringField("Name", [InputRequired("Enter their name."), at_most(NAME_MAX)])
    email = EmailField("Email", required_email("Enter their email address."))
    role = CompactSelectField("Role", choices=options(ROLE_CHOICES), default=Role.STAFF.value)
    password = PasswordField(
        "Initial password",
        [Optional(), Length(PASSWORD_MIN, PASSWORD_MAX, PASSWORD_LENGTH)],
        description="Optional: left empty, they are mailed a link to choose their own.",
    )
    submit = SubmitField("Add person")


class UserEditForm(Form):
    name = StringField("Name", [InputRequired("Enter their name."), at_most(NAME_MAX)])
    email = EmailField(
        "Email",
        required_email("Enter their email address."),
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
    name = StringField("Name", [InputRequired("Enter the queue's name."), at_most(NAME_MAX)])
    slug = StringField(
        "Slug",
        [Optional(), at_most(NAME_MAX)],
        description="Used in addresses; made from the name when left empty.",
    )
    submit = SubmitField("Add queue")


class QueueEditForm(QueueForm):
    submit = SubmitField("Save changes")


class QueueDeleteForm(Form):
    """Only the CSRF token: the queue is named in the URL."""

    submit = SubmitField("Delete queue")
