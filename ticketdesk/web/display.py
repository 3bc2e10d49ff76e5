"""How things read on a page: labels, times, history sentences, and the Jinja helpers."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app, url_for
from markupsafe import Markup, escape

from ticketdesk.markdown import render_markdown
from ticketdesk.models import EventKind, Priority, Role, TicketEvent, TicketStatus
from ticketdesk.security.downloads import shows_inline
from ticketdesk.services.attachments import attachment_limits
from ticketdesk.services.pagination import TicketSort
from ticketdesk.services.stop_words import STOP_WORDS
from ticketdesk.sizes import readable_size

STATUS_LABELS = {
    TicketStatus.OPEN: "Open",
    TicketStatus.IN_PROGRESS: "In progress",
    TicketStatus.WAITING: "Waiting",
    TicketStatus.RESOLVED: "Resolved",
    TicketStatus.CLOSED: "Closed",
}
PRIORITY_LABELS = {
    Priority.LOW: "Low",
    Priority.NORMAL: "Normal",
    Priority.HIGH: "High",
    Priority.URGENT: "Urgent",
}
RAISED_PRIORITIES = (Priority.HIGH, Priority.URGENT)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
ROLE_LABELS = {Role.CUSTOMER: "Customer", Role.STAFF: "Staff", Role.ADMIN: "Admin"}
SORT_LABELS = {
    TicketSort.NEWEST: "Newest first",
    TicketSort.OLDEST: "Oldest first",
    TicketSort.RECENTLY_UPDATED: "Recently updated",
    TicketSort.MOST_URGENT: "Most urgent",
}


def status_label(value: str) -> str:
    return STATUS_LABELS.get(TicketStatus(value), value)


def priority_label(value: str) -> str:
    return PRIORITY_LABELS.get(Priority(value), value)


def format_time(value: datetime | None) -> Markup:
    """A <time> element: UTC, precise to the minute, machine-readable.

    Written out rather than by strftime, whose %b follows the server's locale and which
    took half of this filter's time (a staff list shows 25).
    """
    if value is None:
        return Markup("")
    text = (
        f"{value.day:02d} {MONTHS[value.month - 1]} {value.year}, "
        f"{value.hour:02d}:{value.minute:02d} UTC"
    )
    return Markup(f'<time datetime="{value.isoformat()}">{text}</time>')


def status_badge(value: str) -> Markup:
    """The status as a coloured label (a filter: a macro call cost ten times as much)."""
    return _STATUS_BADGES[str(value)]


def priority_badge(value: str) -> Markup:
    """The priority as a label, high and urgent ones marked with an arrow."""
    return _PRIORITY_BADGES[str(value)]


# Each label's HTML, made once: a list shows two on each of its rows.
_STATUS_BADGES = {
    status.value: Markup(
        f'<span class="badge status-{status.value}"><span class="badge-dot" aria-hidden="true">'
        f"</span>{escape(label)}</span>"
    )
    for status, label in STATUS_LABELS.items()
}
_PRIORITY_BADGES = {
    priority.value: Markup(
        f'<span class="priority priority-{priority.value}">'
        + ('<span aria-hidden="true">▲ </span>' if priority in RAISED_PRIORITIES else "")
        + f"{escape(label)}</span>"
    )
    for priority, label in PRIORITY_LABELS.items()
}


def email_address(value: str) -> Markup:
    """An address that may wrap after its "@" but not inside either part, so that a narrow
    column shows "carla@" over "example.com" rather than "example.co" over "m"."""
    local, at, domain = value.rpartition("@")
    return Markup(f"{escape(local)}@<wbr>{escape(domain)}") if at else escape(value)


def ticket_link_prefix() -> str:
    """What a ticket's id follows in url_for("web.ticket_detail", ticket_id=…).

    A list links each of its 25 tickets, and each url_for cost 6.5 µs (1.2 M of the staff
    list's 24.6 M instructions): the route ends in the id, so a list builds the prefix
    once and writes each link as the prefix and the id.
    """
    return url_for("web.ticket_detail", ticket_id=0).removesuffix("0")


def describe_event(event: TicketEvent, names: dict[str, dict[str, str]]) -> str:
    """One line of history, e.g. "changed the status from Open to Resolved"."""
    old, new = event.old_value, event.new_value
    match event.kind:
        case EventKind.CREATED:
            return "opened the ticket"
        case EventKind.STATUS:
            return f"changed the status from {status_label(old)} to {status_label(new)}"
        case EventKind.PRIORITY:
            return f"changed the priority from {priority_label(old)} to {priority_label(new)}"
        case EventKind.ASSIGNEE:
            if new is None:
                return f"unassigned {_name(names['users'], old)}"
            if event.actor_id is not None and new == str(event.actor_id):
                return "took the ticket"  # not "Sam assigned the ticket to Sam"
            return f"assigned the ticket to {_name(names['users'], new)}"
        case EventKind.QUEUE:
            queues, gone = names["queues"], "a deleted queue"
            return f"moved the ticket from {_name(queues, old, gone)} to {_name(queues, new, gone)}"
        case EventKind.TITLE:
            return "edited the title"
        case EventKind.DESCRIPTION:
            return "edited the description"
        case EventKind.COMMENT:
            return "replied"
        case EventKind.INTERNAL_NOTE:
            return "added an internal note"
        case EventKind.MAIL:
            return _mail_event(new or "")
        case EventKind.FILE_REMOVED:
            return f"removed the file {old}"
    return str(event.kind)


# How a mail found its ticket (models.ThreadRule), in the history's words.
THREADED_BY = {
    "token": "by the ticket's reply address",
    "references": "as an answer to a message on this ticket",
    "subject": "by the ticket number in its subject",
}


def _mail_event(recorded: str) -> Markup:
    """A mail's history line in plain words. The technical key (rule and Message-ID, or
    the content's hash) stays at hand in a tooltip: shown, a hash 70 characters long
    could not wrap, and widened the page."""
    rule, _, message_key = recorded.partition(": ")
    if rule == "new":
        words = "wrote by email, which opened the ticket"
    else:
        words = f"wrote by email (threaded {THREADED_BY.get(rule, 'by ' + rule)})"
    key = f"Threading rule: {rule}; message: {message_key}"
    return Markup('<span class="history-mail" title="{}">{}</span>').format(key, words)


def file_limit_attributes() -> dict[str, object]:
    """A file input's attachment limits, for app.js to check files as they are chosen,
    before a browser sends megabytes only to hear they were too many."""
    limits = attachment_limits(current_app.config)
    return {
        "data_max_file_bytes": limits.max_file_size,
        "data_max_file_size": readable_size(limits.max_file_size),
        "data_max_files": limits.max_files,
    }


def _name(names: dict[str, str], key: str | None, gone: str | None = None) -> str:
    return names.get(key or "", gone or f"#{key}")


# For app.js, which marks a searched ticket's words but not those the search left out.
STOP_WORDS_TEXT = " ".join(sorted(STOP_WORDS))


def init_app(app: Flask) -> None:
    app.add_template_filter(render_markdown, "markdown")
    app.add_template_filter(status_label, "status_label")
    app.add_template_filter(priority_label, "priority_label")
    app.add_template_filter(format_time, "time")
    app.add_template_filter(status_badge, "status_badge")
    app.add_template_filter(priority_badge, "priority_badge")
    app.add_template_filter(readable_size, "file_size")
    app.add_template_filter(email_address, "email_address")
    app.add_template_test(shows_inline, "inline_image")
    app.add_template_global(describe_event, "describe_event")
    app.add_template_global(ticket_link_prefix, "ticket_link_prefix")
    app.add_template_global(file_limit_attributes, "file_limit_attributes")
    app.add_template_global(STOP_WORDS_TEXT, "stop_words")
