"""The services refuse a NUL whoever calls them, not only the request readers."""

from __future__ import annotations

import pytest

from ticketdesk.services.errors import ValidationFailed
from ticketdesk.text_input import NUL_REFUSED


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"title": "Printer\x00"}, "title"), ({"description": "jam\x00"}, "description")],
)
def test_a_ticket_made_without_a_request_refuses_a_nul(factory, customer, fields, field):
    with pytest.raises(ValidationFailed) as refused:
        factory.ticket(customer, **fields)
    assert refused.value.errors == {field: [NUL_REFUSED]}
