"""Search snippets as HTML: a stretch of a ticket's text, as a line of plain words.

The engines cut snippets from the Markdown people wrote, often in the middle of a
construct, so a snippet is not rendered: the marks that would be noise in one line of
words (`**`, `~~`, backticks, `#` headings, `>` quotes, list bullets, a link's address)
are dropped, and the rest is escaped. Marks Markdown would not read as marks stay:
`2*3*4`, `snake_case`, `a * b`.
"""

from __future__ import annotations

import html
import re

from ticketdesk.services.search_sql import MARK_END, MARK_START

# [text](address) and ![alt](address): the words people read, not the address.
_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\s]*(?:\s+\"[^\"\n]*\")?\)")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
# What opens a line: a heading's hashes, a quote's >, a bullet or a number of a list.
_LINE_OPENERS = frozenset(" \t#>-*+0123456789")
_LINE_MARK = re.compile(r"^[ \t]*(?:#{1,6}[ \t]+|(?:>[ \t]?)+|[-*+][ \t]+|\d{1,9}[.)][ \t]+)", re.M)
# Emphasis and strike-through: a run that opens before a word or closes after one,
# never one inside a word or between spaces.
_EMPHASIS = re.compile(
    r"(?<![\w*_~])(?:\*{1,3}|_{1,3}|~~)(?=[^\s*_~])|(?<=[^\s*_~])(?:\*{1,3}|_{1,3}|~~)(?![\w*_~])"
)
_CODE = re.compile(r"`+")


def plain_words(markdown: str) -> str:
    """The Markdown fragment's words without its marks, on one line."""
    # Each pass only where its mark occurs: most snippets hold none, and a page of
    # search results makes 25 of them.
    text = markdown
    if "](" in text:
        text = _LINK.sub(r"\1", text)
    if "<" in text:
        text = _AUTOLINK.sub(r"\1", text)
    if "\n" in text or text[:1] in _LINE_OPENERS:
        text = _LINE_MARK.sub("", text)
    if "*" in text or "_" in text or "~" in text:
        text = _EMPHASIS.sub("", text)
    if "`" in text:
        text = _CODE.sub("", text)
    return " ".join(text.split())


def render_snippet(raw: str) -> str:
    """The engine's snippet as HTML: plain words, escaped, its markers as <mark> tags."""
    escaped = html.escape(plain_words(raw), quote=True)
    return escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
