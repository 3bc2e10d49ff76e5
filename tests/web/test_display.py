"""How times and labels read on the pages (web/display.py)."""

from datetime import datetime

import pytest

from ticketdesk.models import EventKind, Priority, TicketEvent, TicketStatus
from ticketdesk.web.display import (
    PRIORITY_LABELS,
    STATUS_LABELS,
    describe_event,
    email_address,
    format_time,
    priority_badge,
    status_badge,
)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (datetime(2026, 1, 5, 7, 9, 59), "05 Jan 2026, 07:09 UTC"),
        (datetime(2026, 12, 31, 23, 0, 1, 999999), "31 Dec 2026, 23:00 UTC"),
        (datetime(2027, 9, 14, 12, 30), "14 Sep 2027, 12:30 UTC"),
    ],
)
def test_a_time_reads_in_english_to_the_minute_and_keeps_its_exact_value(value, shown):
    assert format_time(value) == f'<time datetime="{value.isoformat()}">{shown}</time>'


def test_no_time_is_nothing():
    assert format_time(None) == ""


BADGES = [
    *(
        (status_badge, status, STATUS_LABELS[status], f"badge status-{status}")
        for status in TicketStatus
    ),
    *(
        (priority_badge, level, PRIORITY_LABELS[level], f"priority priority-{level}")
        for level in Priority
    ),
]


@pytest.mark.parametrize(("badge", "value", "label", "css_class"), BADGES)
def test_a_label_shows_its_text_and_class_for_a_member_or_a_stored_value(
    badge, value, label, css_class
):
    shown = badge(value)

    assert shown == badge(value.value)
    assert f'class="{css_class}"' in shown
    assert shown.endswith(f"{label}</span>")


@pytest.mark.parametrize("priority", list(Priority))
def test_only_high_and_urgent_priorities_carry_an_arrow(priority):
    assert ("▲" in priority_badge(priority)) == (priority in (Priority.HIGH, Priority.URGENT))


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        ("carla@example.com", "carla@<wbr>example.com"),
        ('"a<b"@example.com', "&#34;a&lt;b&#34;@<wbr>example.com"),
        ("no-at-sign", "no-at-sign"),
    ],
)
def test_an_address_may_wrap_after_its_at_sign_only_and_is_escaped(address, shown):
    assert email_address(address) == shown


@pytest.mark.parametrize(
    ("recorded", "words"),
    [
        ("token: <a@x>", "wrote by email (threaded by the ticket&#39;s reply address)"),
        ("references: <a@x>", "wrote by email (threaded as an answer to a message on this"),
        ("subject: <a@x>", "wrote by email (threaded by the ticket number in its subject)"),
        ("new: <a@x>", "wrote by email, which opened the ticket"),
    ],
)
def test_a_mails_history_line_says_how_it_was_threaded_in_words(recorded, words):
    line = describe_event(TicketEvent(kind=EventKind.MAIL, new_value=recorded), {})
    assert words in line
    assert 'title="Threading rule: ' in line and "message: &lt;a@x&gt;" in line
    assert "&lt;a@x&gt;</span>" not in line  # the key is in the tooltip, not the text


@pytest.mark.parametrize(
    ("actor_id", "old", "new", "line"),
    [
        (3, None, "3", "took the ticket"),
        (4, None, "3", "assigned the ticket to Sam Staff"),
        (4, "3", None, "unassigned Sam Staff"),
    ],
)
def test_someone_assigning_a_ticket_to_themselves_took_it(actor_id, old, new, line):
    event = TicketEvent(kind=EventKind.ASSIGNEE, actor_id=actor_id, old_value=old, new_value=new)
    assert describe_event(event, {"users": {"3": "Sam Staff"}, "queues": {}}) == line
