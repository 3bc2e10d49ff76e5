"""How times and labels read on the pages (web/display.py)."""

from datetime import datetime

import pytest

from ticketdesk.models import Priority, TicketStatus
from ticketdesk.web.display import (
    PRIORITY_LABELS,
    STATUS_LABELS,
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
