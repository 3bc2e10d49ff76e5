"""A snippet is a line of the words people wrote, without the Markdown marks around them."""

from __future__ import annotations

import pytest

from ticketdesk.services.snippets import SNIPPET_MAX, plain_words, render_snippet


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


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("my_\ue000config\ue001_file", "my_<mark>config</mark>_file"),
        ("2*\ue0003\ue001*4", "2*<mark>3</mark>*4"),
        ("a_\ue000snake\ue001_case", "a_<mark>snake</mark>_case"),
    ],
)
def test_marks_around_a_word_found_inside_another_stay(raw, shown):
    assert render_snippet(raw) == shown


@pytest.mark.parametrize(
    ("markdown", "words"),
    [
        ("[link \ue000zebra\ue001](http://evil.example/x", "link \ue000zebra\ue001"),
        ("zebra](http://img.example/z.png) grazes", "zebra grazes"),
        ("\\*literal stars\\* and \\`ticks\\`", "*literal stars* and `ticks`"),
    ],
)
def test_cut_links_and_escaped_marks_read_as_written(markdown, words):
    assert plain_words(markdown) == words


@pytest.mark.parametrize("raw", ["a \ue000b", "a \ue001b\ue001 \ue000c", "\ue000\ue000x\ue001"])
def test_marks_always_pair_up_whatever_the_text_holds(raw):
    shown = render_snippet(raw)
    assert shown.count("<mark>") == shown.count("</mark>")
    assert "</mark><mark>" not in shown and shown.find("</mark>") >= shown.find("<mark>")


def test_found_words_are_marked_inside_emphasis_and_the_rest_escaped():
    raw = "the **\ue000widget\ue001** <b>broke</b>"

    assert render_snippet(raw) == "the <mark>widget</mark> &lt;b&gt;broke&lt;/b&gt;"


def test_a_long_snippet_keeps_the_stretch_from_just_before_the_first_word_found():
    raw = "early words " * 100 + "the \ue000widget\ue001 broke " + "later words " * 100

    shown = render_snippet(raw)

    assert shown.startswith("…") and shown.endswith("…")
    assert "the <mark>widget</mark> broke" in shown and len(shown) <= SNIPPET_MAX + 20
