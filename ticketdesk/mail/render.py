"""Rendering notifications: plain text and HTML from templates, headers that thread.

User text (titles, comments) reaches HTML only through Jinja's autoescaping, and
reaches headers only with line breaks folded away.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime, parseaddr

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from ticketdesk.models import utcnow

REPLY_MARKER = "##- Please type your reply above this line -##"


@dataclass(frozen=True)
class Envelope:
    """Where a notification goes and how it threads."""

    recipient_name: str
    recipient_email: str
    subject: str
    message_id: str
    reply_to: str
    thread_ids: tuple[str, ...]


@functools.cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("ticketdesk.mail", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["paragraphs"] = _paragraphs
    return env


def _paragraphs(text: str) -> Markup:
    """Escaped text with its line breaks kept as <br>."""
    return Markup("<br>\n").join(escape(line) for line in text.splitlines())


def one_line(text: str, limit: int = 200) -> str:
    """Text fit for a header: no line breaks, no control characters, bounded length."""
    flat = re.sub(r"[\x00-\x1f\x7f]+", " ", text).strip()
    return flat[:limit]


def render_bodies(kind: str, context: dict) -> tuple[str, str]:
    """The plain-text and HTML bodies of a notification of this kind."""
    env = _environment()
    context = {**context, "reply_marker": REPLY_MARKER}
    text = env.get_template(f"{kind}.txt").render(context)
    html = env.get_template(f"{kind}.html").render(context)
    return text, html


def compose(from_address: str, envelope: Envelope, text: str, html: str) -> str:
    """The whole message, ready for SMTP (CRLF line ends, non-ASCII encoded)."""
    # An internationalised address (RFC 6531) needs UTF-8 headers; every other message
    # stays pure ASCII so that any server takes it.
    ascii_only = envelope.recipient_email.isascii()
    message = EmailMessage(policy=SMTP if ascii_only else SMTPUTF8)
    message["From"] = from_address
    if ascii_only:
        message["To"] = Address(
            display_name=one_line(envelope.recipient_name, 100),
            addr_spec=envelope.recipient_email,
        )
    else:
        message["To"] = envelope.recipient_email
    message["Reply-To"] = envelope.reply_to
    message["Subject"] = one_line(envelope.subject, 240)
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = f"<{envelope.message_id}>"
    if envelope.thread_ids:
        message["In-Reply-To"] = f"<{envelope.thread_ids[-1]}>"
        message["References"] = " ".join(f"<{mid}>" for mid in envelope.thread_ids)
    # RFC 3834: tell vacation responders not to answer, so two robots never loop.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message.as_string()


def bare_address(address: str) -> str:
    """`Name <a@b>` -> `a@b`."""
    return parseaddr(address)[1]
