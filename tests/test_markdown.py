"""Markdown in descriptions and comments: rendered, and never a way to run code."""

from __future__ import annotations

import re

import pytest

from ticketdesk.markdown import render_markdown


def test_markdown_renders_common_formatting():
    html = render_markdown("# Title\n\n*em* **strong** `code`\n\n- a\n- b\n\n> quote")
    for fragment in ("<h1>Title</h1>", "<em>em</em>", "<strong>strong</strong>",
                     "<code>code</code>", "<li>a</li>", "<blockquote>"):  # fmt: skip
        assert fragment in html


def test_links_are_kept_but_cannot_act_for_the_page():
    html = render_markdown("[docs](https://example.com/docs)")
    assert 'href="https://example.com/docs"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "![x](data:text/html;base64,PHNjcmlwdD4=)",
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src=https://evil.example></iframe>",
        "<div style='position:fixed'>x</div>",
    ],
)
def test_html_and_script_are_shown_as_text_or_dropped(source):
    html = str(render_markdown(source))
    assert "<script" not in html
    assert "<img" not in html
    assert "<iframe" not in html
    assert "<div" not in html
    assert not re.search(r'<a [^>]*href="javascript', html, re.I)
    assert "onerror=" not in html or "&lt;img" in html


def test_empty_text_renders_nothing():
    assert str(render_markdown("")) == ""
    assert str(render_markdown(None)) == ""


def test_struck_text_stays_struck():
    # Dropped, "~~$100~~ now $80" read as "$100 now $80".
    assert "<s>$100</s> now $80" in render_markdown("~~$100~~ now $80")


def test_pasted_addresses_become_links():
    html = render_markdown("See https://status.example/x or www.example.com, ann@example.com")
    assert '<a href="https://status.example/x" rel="noopener noreferrer nofollow">' in html
    assert '<a href="http://www.example.com"' in html
    assert '<a href="mailto:ann@example.com"' in html


def test_an_image_is_a_link_named_by_its_alt_text_and_never_loaded():
    html = render_markdown('![printer error](https://pics.example/e42.png "E42")')
    assert '<a href="https://pics.example/e42.png" rel="noopener noreferrer nofollow">' in html
    assert "printer error</a>" in html
    assert "<img" not in html


def test_pages_get_no_inline_styles_which_the_csp_would_refuse():
    # Mail's HTML styles code, tables and quotes inline; the web's must not.
    html = render_markdown("| a |\n|---|\n| 1 |\n\n```\ncode\n```\n\n> quote")
    assert "<table>" in html and "<pre>" in html and "<blockquote>" in html
    assert "style=" not in html
