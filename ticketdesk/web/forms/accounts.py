"""Forms of one's own account: signing in and up, passwords, and one's name, address
and notices."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import EqualTo, InputRequired, Length
from wtforms.widgets import CheckboxInput

from ticketdesk.models import NAME_MAX, NewTicketNotices
from ticketdesk.services.users import PASSWORD_MAX, PASSWORD_MIN
from ticketdesk.web.forms.base import PASSWORD_LENGTH, Form, at_most, required_email
from ticketdesk.web.forms.widgets import options


def _password(label: str) -> PasswordField:
    return PasswordField(
        label,
        [InputRequired("Choose a password."), Length(PASSWORD_MIN, PASSWORD_MAX, PASSWORD_LENGTH)],
        description=f"At least {PASSWORD_MIN} characters.",
    )


def _repeat_password() -> PasswordField:
    return PasswordField(
        "Repeat the new password",
        [
            InputRequired("Repeat the new password."),
            EqualTo("new_password", "The passwords differ."),
        ],
    )


class LoginForm(Form):
    email = EmailField("Email", required_email())
    password = PasswordField(
        "Password", [InputRequired("Enter your password."), at_most(PASSWORD_MAX)]
    )
    next = HiddenField()
    submit = SubmitField("Sign in")


class RegisterForm(Form):
    """Name and address only: the password is chosen from the mailed link."""

    name = StringField("Your name", [InputRequired("Enter your name."), at_most(NAME_MAX)])
    email = EmailField("Email", required_email())
    submit = SubmitField("Create account")


class ForgotPasswordForm(Form):
    email = EmailField("Email", required_email())
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
        [InputRequired("Enter your name."), at_most(NAME_MAX)],
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
        [InputRequired("Enter your name."), at_most(NAME_MAX)],
        description="As staff, and the people you write to, see it.",
    )
    save_name = SubmitField("Save name")


class EmailChangeForm(Form):
    """A new address and the current password: the change waits for the mailed link."""

    email = EmailField("New email address", required_email("Enter the new address."))
    current_password = PasswordField(
        "Current password", [InputRequired("Enter your current password."), at_most(PASSWORD_MAX)]
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
