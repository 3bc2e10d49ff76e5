"""What every form of the UI shares: its base class, and fields said in the app's words."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms.validators import InputRequired, Length

from ticketdesk.models import EMAIL_MAX
from ticketdesk.services.users import PASSWORD_MAX, PASSWORD_MIN
from ticketdesk.text_input import NUL_REFUSED, holds_nul


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


class ButtonForm(Form):
    """Only the CSRF token: what the button acts on is named in the URL."""


# What a form says of a field left empty or too long, in the app's words (WTForms' own,
# "This field is required." and "Field must be between 10 and 128 characters long.",
# read as if from another program).
PASSWORD_LENGTH = f"Choose a password of {PASSWORD_MIN} to {PASSWORD_MAX} characters."


def at_most(limit: int) -> Length:
    return Length(max=limit, message=f"Keep it to {limit:,} characters at most.")


def required_email(required: str = "Enter your email address.") -> list:
    """An email field's validators: `required` says it was left empty."""
    return [InputRequired(required), at_most(EMAIL_MAX)]
