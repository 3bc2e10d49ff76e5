"""Mail text: HTML turned into plain text, and replies trimmed of quoted history.

HTML is sanitised by nh3 (Ammonia) with no tags allowed, so what is left is
text; block-level breaks are kept as line breaks and quoted blocks dropped.
"""

from __future__ import annotations

import html
import re

import nh3

from ticketdesk.mail.render import REPLY_MARKER

_BLOCK_END = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h[1-6]|/pre|/table)\b[^>]*>", re.IGNORECASE)
_BLOCK_START = re.compile(r"<\s*(p|div|li|tr|h[1-6]|pre|hr)\b[^>]*>", re.IGNORECASE)
# A table cell's end becomes the unit separator (taken out of the text first), then " | ".
_CELL_END = re.compile(r"<\s*/t[dh]\b[^>]*>", re.IGNORECASE)
_CELL = "\x1f"
# Quoted history in HTML mail: Gmail's and Outlook's wrappers, and plain blockquotes.
_HTML_QUOTES = re.compile(
    r"<div[^>]*(class=\"?gmail_quote|id=\"?divRplyFwdMsg|id=\"?appendonsend)[^>]*>.*",
    re.IGNORECASE | re.DOTALL,
)

_QUOTE_HEADERS = [
    re.compile(r"^On\b.{0,300}\bwrote:\s*$", re.IGNORECASE),  # Gmail, Apple Mail, Thunderbird
    re.compile(r"^Am\b.{0,300}\bschrieb\b.{0,100}:\s*$", re.IGNORECASE),
    re.compile(r"^Le\b.{0,300}\ba écrit\s*:\s*$", re.IGNORECASE),
    re.compile(r"^-{2,}\s*(Original Message|Ursprüngliche Nachricht)\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^-{2,}\s*Forwarded message\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^_{10,}\s*$"),  # Outlook's rule above its header block
]
_OUTLOOK_HEADER = re.compile(r"^\*?(From|Von|De)\s*:\*?\s", re.IGNORECASE)
_OUTLOOK_FOLLOWERS = re.compile(r"^\*?(Sent|Date|Gesendet|Envoyé|To|An|Subject)\s*:", re.IGNORECASE)
_SIGNATURE = re.compile(r"^(-- ?|Sent from my \w+.*|Get Outlook for \w+.*)$", re.IGNORECASE)


def html_to_text(markup: str) -> str:
    """Readable plain text from an HTML body; no markup survives."""
    markup = _HTML_QUOTES.sub("", markup)
    markup = _CELL_END.sub(_CELL, markup.replace(_CELL, ""))
    markup = _BLOCK_END.sub("\n", markup)
    markup = _BLOCK_START.sub("\n", markup)
    text = nh3.clean(
        markup,
        tags=set(),
        attributes={},
        clean_content_tags={"script", "style", "blockquote", "head", "title"},
        strip_comments=True,
    )
    text = html.unescape(text).replace("\xa0", " ")
    lines = [_join_cells(line.split(_CELL)) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _join_cells(cells: list[str]) -> str:
    """One line of text, its table cells (if any) apart: `cell1 | cell2`."""
    cells = [" ".join(cell.split()) for cell in cells]
    return " | ".join(cell for cell in cells if cell)


def trim_reply(text: str) -> str:
    """The new part of a reply: above our marker, the quote header, quoted lines, signature.

    If trimming would leave nothing, the whole text is kept: better a long
    comment than a lost one.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    cut = _first_cut(lines)
    kept = [line for line in lines[:cut] if not line.lstrip().startswith(">")]
    trimmed = "\n".join(kept).strip()
    return trimmed or text.strip()


def _first_cut(lines: list[str]) -> int:
    for index, line in enumerate(lines):
        stripped = line.strip()
        if REPLY_MARKER in stripped or _SIGNATURE.match(stripped):
            return index
        # Quote headers are sometimes wrapped onto two lines.
        joined = " ".join([stripped, lines[index + 1].strip()]) if index + 1 < len(lines) else ""
        if any(p.match(stripped) for p in _QUOTE_HEADERS):
            return index
        if joined and _QUOTE_HEADERS[0].match(joined):
            return index
        if _OUTLOOK_HEADER.match(stripped) and _outlook_block_follows(lines, index):
            return index
    return len(lines)


def _outlook_block_follows(lines: list[str], index: int) -> bool:
    """`From:` followed by `Sent:`/`To:`/`Subject:` lines: a quoted Outlook header block."""
    following = [line.strip() for line in lines[index + 1 : index + 5] if line.strip()]
    return sum(1 for line in following if _OUTLOOK_FOLLOWERS.match(line)) >= 2
