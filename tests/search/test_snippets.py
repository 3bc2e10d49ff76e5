"""A snippet is a line of the words people wrote, without the Markdown marks around them."""

from __future__ import annotations

import pytest

from ticketdesk.services.snippets import plain_words, render_snippet


@pytest.mark.parametrize(
    ("markdown", "words"),
    [
        ("it is **on** and *off*", "it is on and off"),
        ("~~$100~~ now __$80__", "$100 now $80"),
        ("run `reset --hard` then ```sh", "run reset --hard then sh"),
        ("# Printer\n> jammed\n> > twice\n- tray\n2. cable", "Printer jammed twice tray cable"),
        ('see [the manual](https://acme.example/m "Manual")', "see the manual"),
        (
            "![tray photo](tray.png) and <https://acme.example>",
            "tray photo and https://acme.example",
        ),
    ],
)
def test_markdown_marks_are_dropped(markdown, words):
    assert plain_words(markdown) == words


@pytest.mark.parametrize("text", ["2*3*4 = 24", "snake_case_name", "a * b", "C:\\path_to\\file"])
def test_marks_markdown_would_not_read_as_marks_stay(text):
    assert plain_words(text) == text


def test_found_words_are_marked_inside_emphasis_and_the_rest_escaped():
    raw = "the **\ue000widget\ue001** <b>broke</b>"

    assert render_snippet(raw) == "the <mark>widget</mark> &lt;b&gt;broke&lt;/b&gt;"
