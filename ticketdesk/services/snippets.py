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

# A character Markdown escapes with a backslash (`\*`) is a character, never a mark: it is
# held behind ESCAPE while the marks are taken out.
ESCAPE = "\ue00f"
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
# The most of an engine's snippet shown, in characters. An engine counts words, not the
# marks between them: a run of 50,000 punctuation characters between two words came back
# whole, and taking the marks out of it took 25 s.
SNIPPET_MAX = 600
# [text](address) and ![alt](address): the words people read, not the address; and the
# two ends of a link the snippet cut through. Possessive and bounded, so that a text of
# many link openings costs a step or a few hundred for each, never the rest of the text.
_LINK = re.compile(r"!?\[([^\]\n]{0,300}+)\]\([^)\s]{0,300}+(?:\s++\"[^\"\n]{0,300}+\")?\)")
_CUT_LINK_END = re.compile(r"\]\([^)\s]*+\)?")
_LINK_OPENING = re.compile(r"!?\[")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]{1,300}+)>")
# What opens a line: a heading's hashes, a quote's >, a bullet or a number of a list.
_LINE_OPENERS = frozenset(" \t#>-*+0123456789")
_LINE_MARK = re.compile(r"^[ \t]*(?:#{1,6}[ \t]+|(?:>[ \t]?)+|[-*+][ \t]+|\d{1,9}[.)][ \t]+)", re.M)
# Emphasis and strike-through: a run that opens before a word or closes after one, never
# one inside a word (the engine's markers around a word found are part of it) or between
# spaces, nor an escaped one.
_IN_WORD = rf"\w*_~{MARK_START}{MARK_END}{ESCAPE}"
_EMPHASIS = re.compile(
    rf"(?<![{_IN_WORD}])(?:\*{{1,3}}|_{{1,3}}|~~)(?=[^\s*_~])"
    rf"|(?<=[^\s*_~{ESCAPE}])(?:\*{{1,3}}|_{{1,3}}|~~)(?![{_IN_WORD}])"
)
_CODE = re.compile(rf"(?<!{ESCAPE})`+")
_MARKERS = re.compile(f"([{MARK_START}{MARK_END}])")
_PAIRED = [MARK_START, MARK_END] * 64


def plain_words(markdown: str) -> str:
    """The Markdown fragment's words without its marks, on one line."""
    # Each pass only where its mark occurs: most snippets hold none, and a page of
    # search results makes 25 of them.
    text = markdown
    escaped = "\\" in text
    if escaped:
        text = _ESCAPED.sub(ESCAPE + r"\1", text)
    if "](" in text:
        text = _without_cut_link_start(_CUT_LINK_END.sub("", _LINK.sub(r"\1", text)))
    if "<" in text:
        text = _AUTOLINK.sub(r"\1", text)
    if "\n" in text or text[:1] in _LINE_OPENERS:
        text = _LINE_MARK.sub("", text)
    if "*" in text or "_" in text or "~" in text:
        text = _EMPHASIS.sub("", text)
    if "`" in text:
        text = _CODE.sub("", text)
    return " ".join((text.replace(ESCAPE, "") if escaped else text).split())


def _without_cut_link_start(text: str) -> str:
    """The text without the opening of a link the snippet cut before its `]`: a `[` with
    no `]` after it."""
    last_close = text.rfind("]")
    return text[: last_close + 1] + _LINK_OPENING.sub("", text[last_close + 1 :])


def render_snippet(raw: str) -> str:
    """The engine's snippet as HTML: plain words, escaped, the words found in <mark> tags,
    which always pair up (a text may hold the markers' characters itself)."""
    text = html.escape(plain_words(_within_bounds(raw)), quote=True)
    if _as_the_engine_made_them(text):
        return text.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
    return _paired_marks(text)


def _as_the_engine_made_them(text: str) -> bool:
    """Whether the markers pair up as an engine writes them (as good as certain when the
    text itself holds none); four scans in C, where checking each would cost more than
    the rest of the snippet."""
    opened = text.count(MARK_START)
    if opened != text.count(MARK_END):
        return False
    return opened == 0 or (
        text.find(MARK_START) < text.find(MARK_END)
        and text.rfind(MARK_START) < text.rfind(MARK_END)
        and (opened == 1 or _MARKERS.findall(text) == _PAIRED[: 2 * opened])
    )


def _paired_marks(text: str) -> str:
    """<mark> tags from markers that do not pair up: each opens or closes only where that
    makes sense."""
    parts, marking = [], False
    for part in _MARKERS.split(text):
        if part == MARK_START or part == MARK_END:
            if marking != (part == MARK_START):
                parts.append("<mark>" if part == MARK_START else "</mark>")
                marking = not marking
        else:
            parts.append(part)
    return "".join(parts) + ("</mark>" if marking else "")


def _within_bounds(raw: str) -> str:
    """At most SNIPPET_MAX characters of the snippet, from a little before the first word
    found, cut ends marked with an ellipsis."""
    if len(raw) <= SNIPPET_MAX:
        return raw
    start = max(0, raw.find(MARK_START) - SNIPPET_MAX // 4)
    end = start + SNIPPET_MAX
    return f"{'…' if start else ''}{raw[start:end]}{'…' if end < len(raw) else ''}"
