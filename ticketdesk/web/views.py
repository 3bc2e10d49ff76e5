"""Small helpers the page modules share."""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user
from flask_wtf import FlaskForm

from ticketdesk.models import ID_MAX
from ticketdesk.services.attachments import Upload, attachment_limits
from ticketdesk.services.errors import Conflict, DomainError, ValidationFailed
from ticketdesk.storage import StorageUnavailable


def show_field_errors(form: FlaskForm, error: ValidationFailed | Conflict) -> None:
    """Put a service's field errors, or the field a conflict names, next to the matching
    inputs (or on the form)."""
    errors = error.errors if isinstance(error, ValidationFailed) else {error.field: [error.detail]}
    for name, messages in errors.items():
        field = form._fields.get(name)  # None for a conflict that names no field
        if field is None:
            form.form_errors.extend(messages)
        else:
            field.errors = [*field.errors, *messages]


def error_text(error: DomainError) -> str:
    """A refusal in words: a field error's messages, else the error's own detail."""
    if isinstance(error, ValidationFailed):
        return " ".join(message for messages in error.errors.values() for message in messages)
    return error.detail


def show_files_not_stored(form: FlaskForm, error: StorageUnavailable) -> int:
    """Keep what was typed and say why its files were not taken; the status to answer with."""
    form.file.errors = [
        *form.file.errors,
        f"{error} Nothing was sent: try again shortly, or send it without the files.",
    ]
    return 503


def ask_for_files_again(form: FlaskForm) -> None:
    """A form shown again after an error has lost the files chosen in it (no browser
    keeps them): say so beside its file field, rather than let them go unnoticed."""
    if uploads_from(form.file):
        form.file.errors = [
            *form.file.errors,
            "The files you chose were not kept: choose them again before you send.",
        ]


def as_id(value: str | None) -> int | None:
    """Text as a row id (a select's value, a query argument), or None for the empty choice
    and for anything that is not an id a row can have."""
    if not value or not (value.isascii() and value.isdigit()) or len(value) > 10:
        return None
    number = int(value)
    return number if 0 < number <= ID_MAX else None


def id_arg(name: str) -> int | None:
    """A row id from the query string, or None for anything that is not one."""
    return as_id(request.args.get(name))


def newest_page(rows: list, per_page: int) -> tuple[list, int | None]:
    """`rows` fetched newest first with `per_page + 1`: the page, and the id to list the
    next (older) page before, or None when this is the last."""
    page = rows[:per_page]
    return page, (page[-1].id if len(rows) > per_page else None)


def uploads_from(field) -> list[Upload]:
    """The files chosen in a file input (an input left empty sends one nameless part)."""
    return [Upload(item.filename, item.stream) for item in field.data or [] if item.filename]


def accepts_uploads(view):
    """Marks a page whose form may carry files: its body may be as large as the
    attachment limits allow (see `allow_uploads`)."""
    view.accepts_uploads = True
    return view


def allow_uploads() -> None:
    """Before any form is read, let a page that takes files have a body as large as the
    attachment limits, for someone signed in; every other request keeps
    MAX_CONTENT_LENGTH, so that nobody unknown can make the server read 250 MB.

    Runs before CSRFProtect, which reads the form to find its token: raised inside the
    view instead, the limit came too late, and any file over 1 MB was refused with 413.
    """
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "accepts_uploads", False) and current_user.is_authenticated:
        request.max_content_length = attachment_limits(current_app.config).body_limit
