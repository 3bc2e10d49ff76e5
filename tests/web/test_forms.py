"""The web forms' own attribute writer writes exactly what WTForms' would.

Every input and select of the web UI writes its attributes with it; a value given as
Markup keeps its quotes escaped, so it cannot end the attribute early.
"""

from __future__ import annotations

import pytest
from markupsafe import Markup
from wtforms.widgets.core import html_params

from ticketdesk.web.forms.widgets import _attributes


@pytest.mark.parametrize(
    "attributes",
    [
        {"name": "q", "id": "q", "type": "search", "value": "", "class_": "input"},
        {"value": 'say "hi" & <bye>', "data_ticket_id": 7, "aria_label": "it's"},
        {"checked": True, "readonly": False, "required": True, "for_": "x"},
        {"value": Markup('a "quoted" <b>markup</b>'), "title": 0},
    ],
)
def test_attributes_are_written_as_wtforms_writes_them(attributes):
    assert _attributes(**attributes) == str(html_params(**attributes))
