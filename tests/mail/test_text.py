"""Mail text: what trimming keeps of a reply, and plain text made Markdown that reads as written."""

from __future__ import annotations

import pytest

from ticketdesk.mail.parser import clean_text
from ticketdesk.mail.text import html_to_text, plain_text_markdown, trim_reply
from ticketdesk.markdown import markdown_as_text, render_markdown


@pytest.mark.parametrize(
    "text",
    [
        "Danke!\n\nAm 24.11.2026 um 10:00 schrieb Support <s@example.com>:\n> Bitte neu starten.",
        "Danke!\n\nVon: Support <s@x.de>\nGesendet: Dienstag\nAn: Hans\nBetreff: x\n\nBitte.",
        "Danke!\n\n-----Ursprüngliche Nachricht-----\nVon: Support\n\nBitte neu starten.",
        "Danke!\n\nLe mar. 24 nov. 2026, Support <s@example.com> a écrit :\n> Redémarrez.",
        "Danke!\n\nSent from my iPhone\n\n> On 24 Nov 2026, at 10:00, S wrote:\n>\n> Restart.",
        "Danke!\n-- \nHans Müller\nKunde GmbH\n\nOn Tue, 24 Nov 2026, Support wrote:\n> Restart.",
    ],
)
def test_reply_history_and_signature_are_trimmed(text):
    assert trim_reply(text) == "Danke!"


def test_inline_answers_below_the_quote_header_are_kept_with_their_questions():
    text = (
        "See my answers inline.\n\nOn Tue, 24 Nov 2026, Sam <s@example.com> wrote:\n"
        "> Which operating system?\nWindows 11\n> Which version?\n2.3.1\n>\n> Regards, Sam\n"
    )
    assert trim_reply(text) == (
        "See my answers inline.\n\nOn Tue, 24 Nov 2026, Sam <s@example.com> wrote:\n"
        "> Which operating system?\nWindows 11\n> Which version?\n2.3.1"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Config:\n--\nhost = a\n--\nFails since Monday.",
        "Steps above.\n______________________________\nExpected: 1 page\nActual: 400",
        "Sent from my phone, but the desktop app fails too:\nerror 42",
        "Before.\n-- \nnot a signature but a long text\n" + "line\n" * 12 + "end",
    ],
)
def test_separator_lines_inside_the_text_cut_nothing(text):
    assert trim_reply(text) == text


def test_forwarded_mail_in_a_reply_is_kept_whole():
    text = (
        "This came today:\n\n---------- Forwarded message ---------\nFrom: IT <it@evil.example>\n"
        "Date: Mon\nSubject: Verify\nTo: <c@example.net>\n\nClick http://evil.example\n-- \nIT"
    )
    assert trim_reply(text) == text


def test_html_quotes_become_quoted_lines_that_a_reply_drops():
    html = (
        '<div dir="ltr">Thanks.</div><div class="gmail_quote"><div class="gmail_attr">'
        "On Tue, Support wrote:<br></div><blockquote>Please try<br>again.</blockquote></div>"
    )
    text = html_to_text(html)
    assert text == "Thanks.\n\n> On Tue, Support wrote:\n\n>> Please try\n>> again."
    assert trim_reply(text) == "Thanks."


def test_html_forward_keeps_its_content_as_text():
    html = (
        '<div>Is this genuine?</div><div class="gmail_quote">---------- Forwarded message'
        " ---------<br>From: IT &lt;it@evil.example&gt;<br><br>Click http://evil.example</div>"
    )
    assert "> Click http://evil.example" in html_to_text(html)


@pytest.mark.parametrize(
    "text, html",
    [
        ("Grüße\nHans", "<p>Grüße<br />\nHans</p>"),
        ("# word\n> not a quote", "<p># word<br />\n&gt; not a quote</p>"),
        # Not a code block; a paragraph's first line loses its indent, the others keep it.
        (
            "Log:\n\n    at main()\n\tat run()",
            "<p>Log:</p>\n<p>at main()<br />\n&nbsp;&nbsp;&nbsp;&nbsp;at run()</p>",
        ),  # fmt: skip
        ("Name\n--\nvalue\n====", "<p>Name<br />\n--<br />\nvalue<br />\n====</p>"),
        ("2*3*4 _x_ my_var `c` ~~s~~", "<p>2*3*4 _x_ my_var `c` ~~s~~</p>"),
        ("[here](http://evil.example) &amp; C:\\a\\*", '<p>[here](<a href="http://evil.example"'),
        ("a | b\n--|--\n1 | 2", "<p>a | b<br />\n--|--<br />\n1 | 2</p>"),
        ("```\nno fence\n```", "<p>```<br />\nno fence<br />\n```</p>"),
        # A list's next line stays a line of its own, not part of the last item.
        ("1. Open\n2. Export\nIt crashes.", "<p>1. Open<br />\n2. Export<br />\nIt crashes.</p>"),
        ("- one\n+ two\nThanks", "<p>- one<br />\n+ two<br />\nThanks</p>"),
    ],
)
def test_plain_text_renders_as_written(text, html):
    rendered = str(render_markdown(plain_text_markdown(text)))
    assert rendered.replace("<br>", "<br />").startswith(html)


def test_plain_text_escapes_read_back_as_the_text():
    rendered = str(render_markdown(plain_text_markdown("[here](x) &amp; C:\\a\\* \\\\srv")))
    assert rendered == "<p>[here](x) &amp;amp; C:\\a\\* \\\\srv</p>\n"


@pytest.mark.parametrize(
    "text",
    [
        "It costs $5 * 3 [yes] &amp; more\n# not a heading\n1. one\nafter",
        "    indented \\. kept\n`a\\*b` x\\*y \\\\ end\n--\nSam",
    ],
)
def test_a_plain_text_part_reads_mailed_text_as_it_was_written(text):
    assert markdown_as_text(plain_text_markdown(text)) == text


def test_a_plain_text_part_leaves_code_as_written():
    typed = '```\nre = r"\\."\n```\n\\*not bold\\* and ``co\\de``'
    assert markdown_as_text(typed) == '```\nre = r"\\."\n```\n*not bold* and ``co\\de``'


def test_html_links_keep_their_addresses_as_a_plain_text_mail_writes_them():
    markup = (
        '<p>See <a href="https://docs.example/x?a=1&amp;b=2">the <b>docs</b></a>, '
        '<a href="https://e.example">https://e.example</a>, <a href="mailto:s@e.example">us</a>'
        ' and <a href="javascript:x()">this</a></p>'
    )
    assert html_to_text(markup) == (
        "See the docs (https://docs.example/x?a=1&b=2), https://e.example, us (s@e.example)"
        " and this"
    )


def test_clean_text_drops_c1_controls():
    assert clean_text("100 \x80 and \x9f, not ¡ or \xa0") == "100  and , not ¡ or \xa0"
