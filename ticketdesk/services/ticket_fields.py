"""What a ticket's fields may hold, and how a change to one is recorded."""

from __future__ import annotations

import re
import unicodedata

from ticketdesk.models import TEXT_MAX, TITLE_MAX, EventKind, TicketStatus
from ticketdesk.services.errors import ValidationFailed
from ticketdesk.text_input import NUL, NUL_REFUSED

EDITABLE_FIELDS = ("title", "description", "status", "priority", "queue_id", "assignee_id")
CUSTOMER_FIELDS = ("title", "description", "status")
FIELD_EVENTS = {
    "title": EventKind.TITLE,
    "description": EventKind.DESCRIPTION,
    "status": EventKind.STATUS,
    "priority": EventKind.PRIORITY,
    "queue_id": EventKind.QUEUE,
    "assignee_id": EventKind.ASSIGNEE,
}
_RELATIONSHIPS = {"queue_id": "queue", "assignee_id": "assignee"}
# Not in a line shown as one (a name, a title): control characters and line separators
# (a line break would start a new line in a mail's greeting; a title goes into a mail's
# Subject) and the bidirectional overrides and isolates, which show text in another
# order than it is stored ("exe.gnp" for "gnp.exe", "toor" for "root").
NOT_IN_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def check_title(title: str) -> str:
    """A title, stripped: required, one line's worth."""
    title = check_text("title", title, required=True).strip()
    if len(title) > TITLE_MAX:
        raise ValidationFailed.field("title", f"At most {TITLE_MAX} characters.")
    refuse_reordering("title", title)
    refuse_invisible("title", title)
    return title


def refuse_invisible(field: str, value: str) -> None:
    """Refuse a line that shows nothing: only spaces and invisible characters (a
    zero-width space) would be a blank in every list and mail."""
    if not _shows_something(value):
        raise ValidationFailed.field(field, "Must show at least one letter, digit or sign.")


def _shows_something(text: str) -> bool:
    return any(unicodedata.category(char)[0] not in "CZ" for char in text)


def refuse_reordering(field: str, value: str) -> None:
    """Refuse what a line shown as one must not hold (see NOT_IN_ONE_LINE)."""
    if NOT_IN_ONE_LINE.search(value):
        raise ValidationFailed.field(
            field, "Must not contain line breaks, tabs or characters that reorder text."
        )


def one_line(text: str) -> str:
    """Text from a machine (a mail's From or Subject) as a line the checks above take: ""
    when it would show nothing, for the caller's stand-in ("(no subject)")."""
    line = " ".join(NOT_IN_ONE_LINE.sub(" ", text).split())
    return line if _shows_something(line) else ""


def check_description(description: str) -> str:
    """A description, kept as written."""
    return check_text("description", description, required=True)


def check_text(field: str, value: str, *, required: bool) -> str:
    """Text of bounded size, reported against `field` when it is not."""
    if not isinstance(value, str):
        raise ValidationFailed.field(field, "Must be text.")
    if required and not value.strip():
        raise ValidationFailed.field(field, "Must not be empty.")
    if len(value) > TEXT_MAX:
        raise ValidationFailed.field(field, f"At most {TEXT_MAX} characters.")
    refuse_nul(field, value)
    return value


def refuse_nul(field: str, value: str) -> None:
    """Whatever called the service (a request, the command line, a script), a NUL is
    refused the same on both databases (see `ticketdesk.text_input`)."""
    if NUL in value:
        raise ValidationFailed.field(field, NUL_REFUSED)


def stamp_status(ticket, status: TicketStatus, now) -> None:
    """Keep resolved_at / closed_at true to the status a ticket is in."""
    if status == TicketStatus.RESOLVED:
        ticket.resolved_at = now
    elif status == TicketStatus.CLOSED:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    else:
        ticket.resolved_at = None
        ticket.closed_at = None


def stale_relationships(changed) -> list[str]:
    """Relationships a change leaves behind by setting their foreign keys (reload them)."""
    return [_RELATIONSHIPS[field] for field in changed if field in _RELATIONSHIPS]


def as_text(value) -> str | None:
    """A field's value as history stores it."""
    return None if value is None else str(value)
