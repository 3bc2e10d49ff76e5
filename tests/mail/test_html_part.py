"""The HTML part of a notification shows what someone wrote as the ticket page does:
Markdown rendered and sanitised, styled inline, and no picture loaded from elsewhere."""

from __future__ import annotations

from email import message_from_string, policy
from html.parser import HTMLParser

import pytest

from tests.mail.test_notifications import phoned_in
from ticketdesk.mail.intake import mail_intake
from ticketdesk.services import ticket_manager

REPLY = """Thanks for the screenshot. **Restart the spooler** as in [the docs](https://docs.example/spooler):

| Step | What |
|------|------|
| 1 | Stop it |
| 2 | Start it |

```
sudo systemctl restart cups
```

> The printer is on fire

![screenshot](https://evil.example.com/track.png)
"""


def parts(row: dict) -> tuple[str, str]:
    """The plain-text and HTML bodies of an outbox row's message."""
    message = message_from_string(row["content"], policy=policy.default)
    return tuple(message.get_body((kind,)).get_content() for kind in ("plain", "html"))


def reply_as_staff(mail_app, factory, staff, customer, body: str) -> None:
    """A staff reply on a new ticket of the customer's (who is mailed it)."""
    ticket = factory.ticket(customer)
    with mail_app.app_context():
        ticket_manager().add_comment(factory.load(staff), ticket.id, body=body)


class Tags(HTMLParser):
    """Every start tag of a document, with its attributes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def test_a_staff_reply_is_mailed_rendered_as_the_page_shows_it(
    mail_app, outbox, staff, customer, factory
):
    reply_as_staff(mail_app, factory, staff, customer, REPLY)
    text, html = parts(outbox(kind="comment_added")[0])
    assert "<strong>Restart the spooler</strong>" in html
    assert "<table" in html and ">Stop it</td>" in html
    assert "<pre" in html and "sudo systemctl restart cups" in html
    assert "<blockquote" in html
    assert '<a href="https://docs.example/spooler"' in html
    for source in ("**", "| Step |", "```", "](https://"):
        assert source not in html
    assert "**Restart the spooler**" in text and "| 1 | Stop it |" in text  # as written


def test_an_image_in_a_reply_is_a_link_named_by_its_alt_text(
    mail_app, outbox, staff, customer, factory
):
    reply_as_staff(mail_app, factory, staff, customer, REPLY)
    _, html = parts(outbox(kind="comment_added")[0])
    assert [tag for tag, _ in Tags(html).found if tag == "img"] == []
    assert 'href="https://evil.example.com/track.png"' in html
    assert ">screenshot</a>" in html


def test_no_author_can_put_a_remote_image_into_an_inbox(mail_app, outbox, staff, customer, factory):
    description = (
        "![pixel](https://evil.example.com/p.png)\n\n"
        '<img src="https://evil.example.com/raw.png">\n\n'
        "[![badge](https://evil.example.com/b.png)](https://evil.example.com)\n\n"
        "![ref][pic]\n\n[pic]: https://evil.example.com/ref.png\n"
    )
    factory.ticket(customer, description=description)
    _, html = parts(outbox(kind="new_ticket_staff")[0])
    assert "img" not in {tag for tag, _ in Tags(html).found}
    assert 'href="https://evil.example.com/ref.png"' in html  # still there, as a link


def test_code_tables_and_quotes_are_styled_inline_for_mail_clients(
    mail_app, outbox, staff, customer, factory
):
    reply_as_staff(mail_app, factory, staff, customer, REPLY)
    _, html = parts(outbox(kind="comment_added")[0])
    styles = {tag: attrs.get("style", "") for tag, attrs in Tags(html).found}
    assert "white-space: pre-wrap" in styles["pre"]
    assert "border" in styles["td"] and "border" in styles["th"]
    assert "border-collapse" in styles["table"]
    assert "border-left" in styles["blockquote"]


HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "<javascript:alert(1)>",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=https://evil.example></iframe>",
    '<div style="position:fixed">x</div>',
    '[x](https://ok.example "a\\" onmouseover=\\"alert(1)")',
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_is_neutralised_in_the_mail(
    mail_app, outbox, staff, customer, factory, source
):
    reply_as_staff(mail_app, factory, staff, customer, f"Look:\n\n{source}\n\nbye")
    _, html = parts(outbox(kind="comment_added")[0])
    tags = Tags(html).found
    assert {tag for tag, _ in tags} <= {
        "html", "body", "p", "hr", "br", "div", "a", "strong", "ul", "li", "span",
    }  # fmt: skip
    for tag, attrs in tags:
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        href = (attrs.get("href") or "").lower()
        assert not href.startswith(("javascript:", "data:")), (tag, attrs)
        assert "position" not in (attrs.get("style") or ""), (tag, attrs)


def test_a_relative_link_keeps_its_words_but_points_nowhere(
    mail_app, outbox, staff, customer, factory
):
    # In a mail it would resolve against the reader's webmail.
    reply_as_staff(mail_app, factory, staff, customer, "See [the other ticket](/tickets/4).")
    _, html = parts(outbox(kind="comment_added")[0])
    link = next(attrs for tag, attrs in Tags(html).found if tag == "a")
    assert "href" not in link
    assert "the other ticket</a>" in html


DESCRIPTION = "It says **E42** and `lp0 on fire`."


def test_a_new_tickets_description_is_rendered_for_staff(
    mail_app, outbox, staff, customer, factory
):
    factory.ticket(customer, description=DESCRIPTION)
    text, html = (part.replace("\r\n", "\n") for part in parts(outbox(kind="new_ticket_staff")[0]))
    assert "<strong>E42</strong>" in html and "<code>lp0 on fire</code>" in html
    assert DESCRIPTION in text


def test_a_ticket_opened_for_a_caller_shows_them_its_description_rendered(
    mail_app, outbox, staff, factory
):
    phoned_in(mail_app, factory, staff, description=DESCRIPTION)
    text, html = parts(outbox(kind="ticket_created")[0])
    assert "<strong>E42</strong>" in html and "<code>lp0 on fire</code>" in html
    assert DESCRIPTION in text


@pytest.mark.parametrize("kind", ["ticket_created", "comment_added"])
def test_every_notice_links_the_ticket_page(mail_app, outbox, staff, customer, factory, kind):
    reply_as_staff(mail_app, factory, staff, customer, "Try again, please.")
    [row] = outbox(kind=kind)
    page = f"{mail_app.config['BASE_URL'].rstrip('/')}/tickets/{row['ticket_id']}"
    text, html = parts(row)
    assert f"see it at {page}" in text
    assert f'<a href="{page}">see it on the site</a>' in html


def test_mailed_text_reads_as_written_in_both_parts(mail_app, outbox, staff):
    raw = (
        b"From: Hans <hans@kunde.example>\nTo: support@localhost\nSubject: Export\n"
        b"Message-ID: <parts@kunde.example>\n\n"
        b"It costs $5 * 3 [per seat]\n1. Open Reports\n2. Click Export\nThe app crashes.\n"
    )
    with mail_app.app_context():
        mail_intake().receive(raw)
    text, html = (part.replace("\r\n", "\n") for part in parts(outbox(kind="new_ticket_staff")[0]))
    assert "It costs $5 * 3 [per seat]\n1. Open Reports\n2. Click Export\nThe app crashes." in text
    assert "\\" not in text
    assert "2. Click Export<br>\nThe app crashes.</p>" in html and "<li>" not in html
