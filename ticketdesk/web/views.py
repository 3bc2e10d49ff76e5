"""Small helpers the page modules share."""

from __future__ import annotations

from flask import current_app, request
from flask_wtf import FlaskForm

from ticketdesk.services.attachments import Upload, attachment_limits
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


def uploads_from(field) -> list[Upload]:
    """The files chosen in a file input (an input left empty sends one nameless part)."""
    return [Upload(item.filename, item.stream) for item in field.data or [] if item.filename]


def allow_uploads() -> None:
    """Let this request's body be as large as the attachment limits (before forms read it)."""
    request.max_content_length = attachment_limits(current_app.config).body_limit
