"""Small helpers the page modules share."""

from __future__ import annotations

from flask_wtf import FlaskForm

from ticketdesk.services.errors import ValidationFailed


def show_field_errors(form: FlaskForm, error: ValidationFailed) -> None:
    """Put a service's field errors next to the matching inputs (or on the form)."""
    for name, messages in error.errors.items():
        field = form._fields.get(name)
        if field is None:
            form.form_errors.extend(messages)
        else:
            field.errors = [*field.errors, *messages]


def choice_value(value: str | None) -> int | None:
    """A select's value as an id, or None for the empty choice."""
    return int(value) if value and value.isdigit() else None
