"""Rendering notifications: plain text and HTML from templates, headers that thread.

User text reaches HTML only through Jinja's autoescaping (names, titles) or the web's
Markdown renderer and sanitiser (descriptions, replies: shown as the ticket page shows
them), and reaches headers only with line breaks folded away. The plain-text part keeps
the Markdown as written.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from email.charset import QP, Charset
from email.header import Header
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import SMTPUTF8, compat32
from email.utils import format_datetime, formataddr, parseaddr

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ticketdesk.markdown import markdown_as_text, render_markdown_for_mail
from ticketdesk.models import utcnow
from ticketdesk.sizes import readable_size

REPLY_MARKER = "##- Please type your reply above this line -##"

_WIRE = compat32.clone(linesep="\r\n")
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP  # readable in an .eml file, unlike base64


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
    env.filters["markdown"] = render_markdown_for_mail
    env.filters["plain"] = markdown_as_text
    # Sizes in the units the limits are written in (see web/display.py).
    env.filters["file_size"] = readable_size
    return env


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
    """The whole message, ready for SMTP: CRLF line ends, non-ASCII text encoded.

    Built with the stdlib's compat32 MIME classes, four times faster than
    `EmailMessage`: this runs inside every ticket change. Only an internationalised
    recipient address (RFC 6531) takes the slower path with UTF-8 headers.
    """
    if not envelope.recipient_email.isascii():
        return _compose_utf8(from_address, envelope, text, html)
    message = MIMEMultipart("alternative", policy=_WIRE)
    name, address = parseaddr(from_address)
    headers = [
        ("From", formataddr((one_line(name, 100), address))),
        ("To", formataddr((one_line(envelope.recipient_name, 100), envelope.recipient_email))),
        *_common_headers(envelope),
    ]
    for header, value in headers:
        message[header] = value if value.isascii() else Header(value, "utf-8")
    message.attach(MIMEText(text, "plain", _UTF8_QP))
    message.attach(MIMEText(html, "html", _UTF8_QP))
    return message.as_string(policy=_WIRE)


def _common_headers(envelope: Envelope) -> list[tuple[str, str]]:
    headers = [
        ("Reply-To", envelope.reply_to),
        ("Subject", one_line(envelope.subject, 240)),
        ("Date", format_datetime(utcnow())),
        ("Message-ID", f"<{envelope.message_id}>"),
    ]
    if envelope.thread_ids:
        headers.append(("In-Reply-To", f"<{envelope.thread_ids[-1]}>"))
        headers.append(("References", " ".join(f"<{mid}>" for mid in envelope.thread_ids)))
    # RFC 3834: tell vacation responders not to answer, so two robots never loop.
    headers.append(("Auto-Submitted", "auto-generated"))
    headers.append(("X-Auto-Response-Suppress", "All"))
    return headers


def _compose_utf8(from_address: str, envelope: Envelope, text: str, html: str) -> str:
    message = EmailMessage(policy=SMTPUTF8)
    message["From"] = from_address
    message["To"] = envelope.recipient_email
    for header, value in _common_headers(envelope):
        message[header] = value
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message.as_string()


def bare_address(address: str) -> str:
    """`Name <a@b>` -> `a@b`."""
    return parseaddr(address)[1]
