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

# Attribution lines above a quote whose lines start with `>` (Gmail, Apple Mail,
# Thunderbird); the lines between the quoted ones are the sender's inline answers.
_ATTRIBUTIONS = [
    re.compile(r"^On\b.{0,300}\bwrote:\s*$", re.IGNORECASE),
    re.compile(r"^Am\b.{0,300}\bschrieb\b.{0,100}:\s*$", re.IGNORECASE),
    re.compile(r"^Le\b.{0,300}\ba écrit\s*:\s*$", re.IGNORECASE),
]
# Headers above an unquoted copy of the earlier mail (Outlook and mobile clients):
# everything below them is history.
_ORIGINAL_MESSAGE = re.compile(
    r"^-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_OUTLOOK_RULE = re.compile(r"^_{10,}\s*$")  # Outlook's rule above its header block
_OUTLOOK_HEADER = re.compile(r"^\*?(From|Von|De)\s*:\*?\s", re.IGNORECASE)
_OUTLOOK_FOLLOWERS = re.compile(r"^\*?(Sent|Date|Gesendet|Envoyé|To|An|Subject)\s*:", re.IGNORECASE)
# Below these the sender passes on a mail on purpose: never trimmed.
_FORWARDED = re.compile(
    r"^(-{2,}\s*(Forwarded message|Weitergeleitete Nachricht)\s*-{2,}"
    r"|Begin forwarded message:)\s*$",
    re.IGNORECASE,
)
# In a plain text line, what Markdown would read as a mark rather than as the character:
# a backslash before punctuation, emphasis (but `snake_case`), code, links and link
# definitions, strike-through, character references.
_INLINE_MARK = re.compile(
    r"\\(?=[!-/:-@\[-`{-~]|$)|\*|(?<![^\W_])_|_(?![^\W_])|`|\[|~(?=~)|(?<=~)~"
    r"|&(?=#\d{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)"
)
# What opens a block at the start of a line: a heading, a quote, a code fence, a
# setext underline, a rule, a table's delimiter row.
_BLOCK_MARK = re.compile(
    r"#{1,6}(?:[ \t]|$)|>|`{3,}|~{3,}|=+[ \t]*$|-+[ \t]*$|([-*_])[ \t]*(?:\1[ \t]*){2,}$"
    r"|[|:\- \t]*\|[|:\- \t]*$"
)
_RULE = re.compile(r"([-_*=])\1*[ \t]*")
# A list item's marker: escaped too, or the next line of plain text would join the item.
_BULLET = re.compile(r"[-+](?=[ \t]|$)")
_ORDERED = re.compile(r"(\d{1,9})([.)])(?=[ \t]|$)")
_QUOTE_OPEN, _QUOTE_CLOSE = "\ue000", "\ue001"  # stand for <blockquote> while nh3 works
_LINK = re.compile(
    r"<a\b[^>]*?\bhref\s*=\s*([\"'])(?P<href>[^\"']*)\1[^>]*>(?P<words>.*?)</a\s*>",
    re.IGNORECASE | re.DOTALL,
)
_BLOCKQUOTE_START = re.compile(r"<\s*blockquote\b[^>]*>", re.IGNORECASE)
_BLOCKQUOTE_END = re.compile(r"<\s*/blockquote\b[^>]*>", re.IGNORECASE)
_SIGNATURE_DELIMITER = "-- "  # RFC 3676 4.3: dash, dash, space, alone on its line
_SIGNATURE_MAX_LINES = 10
_MOBILE_FOOTER = re.compile(
    r"^(Sent from my \w+( \w+){0,3}|Get Outlook for \w+( \w+)?|Von meinem \w+( \w+)? gesendet)\.?$",
    re.IGNORECASE,
)


def html_to_text(markup: str) -> str:
    """Readable plain text from an HTML body; no markup survives.

    Quoted history (Gmail's and Outlook's wrappers, blockquotes) becomes `>` lines,
    as a plain-text mail client writes it, for `trim_reply` to drop from a reply.
    """
    markup = markup.replace(_QUOTE_OPEN, "").replace(_QUOTE_CLOSE, "").replace(_CELL, "")
    markup = _CELL_END.sub(_CELL, markup)
    wrapper = _HTML_QUOTES.search(markup)
    if wrapper:
        markup = (
            f"{markup[: wrapper.start()]}{_QUOTE_OPEN}{markup[wrapper.start() :]}{_QUOTE_CLOSE}"
        )
    markup = _LINK.sub(_link_as_text, markup)
    markup = _BLOCKQUOTE_START.sub("\n" + _QUOTE_OPEN, markup)
    markup = _BLOCKQUOTE_END.sub(_QUOTE_CLOSE + "\n", markup)
    markup = _BLOCK_END.sub("\n", markup)
    markup = _BLOCK_START.sub("\n", markup)
    text = nh3.clean(
        markup,
        tags=set(),
        attributes={},
        clean_content_tags={"script", "style", "head", "title"},
        strip_comments=True,
    )
    text = html.unescape(text).replace("\xa0", " ")
    lines = _quoted_lines([_join_cells(line.split(_CELL)) for line in text.splitlines()])
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _link_as_text(link: re.Match) -> str:
    """A link's words, then its address where the words do not say it, as a plain-text
    mail writes one: "the docs (https://docs.example/x)". Markup drops the address."""
    href, words = link["href"].strip(), link["words"]
    said = " ".join(re.sub(r"<[^>]*>", " ", words).split())
    shown = href.removeprefix("mailto:")
    if not href.lower().startswith(("http://", "https://", "mailto:")) or shown in said:
        return words
    return f"{words} ({shown})"


def _join_cells(cells: list[str]) -> str:
    """One line of text, its table cells (if any) apart: `cell1 | cell2`."""
    cells = [" ".join(cell.split()) for cell in cells]
    return " | ".join(cell for cell in cells if cell)


def _quoted_lines(lines: list[str]) -> list[str]:
    """Lines inside the quote markers prefixed with `>`, once per level."""
    depth, quoted = 0, []
    for line in lines:
        opened, closed = line.count(_QUOTE_OPEN), line.count(_QUOTE_CLOSE)
        words = line.replace(_QUOTE_OPEN, "").replace(_QUOTE_CLOSE, "").strip()
        level = depth + opened
        quoted.append(f"{'>' * level} {words}" if level and words else words)
        depth = max(0, level - closed)
    return quoted


def trim_reply(text: str) -> str:
    """The new part of a reply to a ticket: without our quoted mail and the signature.

    Cut at our reply marker or an Outlook-style header over an unquoted copy of the
    earlier mail; then drop the `>`-quoted history at the end (with its "On … wrote:"
    line) and a short signature after a "-- " line. Quoted lines between the sender's
    own lines stay: they are the questions that inline answers answer. Nothing below
    a forwarded-message header is trimmed. If trimming would leave nothing, the whole
    text is kept: better a long comment than a lost one.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    cut = _history_start(lines)
    forwarded = lines[cut:] if cut < len(lines) and _FORWARDED.match(lines[cut].strip()) else []
    own = [line for line in lines[:cut] if REPLY_MARKER not in line]
    own = _without_trailing_quote(_without_signature(_without_trailing_quote(own)))
    trimmed = "\n".join(own + [""] + forwarded if forwarded else own)
    return re.sub(r"\n{3,}", "\n\n", trimmed).strip() or text.strip()


def _history_start(lines: list[str]) -> int:
    """Where an unquoted copy of earlier mail starts (our marker, an Outlook header), or
    a forwarded one, whichever comes first."""
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(">"):
            continue  # our marker quoted above inline answers is no cut
        if REPLY_MARKER in stripped or _FORWARDED.match(stripped):
            return index
        if _ORIGINAL_MESSAGE.match(stripped):
            return index
        if _OUTLOOK_HEADER.match(stripped) and _outlook_block_follows(lines, index):
            return index
        if _OUTLOOK_RULE.match(stripped) and _outlook_header_follows(lines, index):
            return index
    return len(lines)


def _outlook_block_follows(lines: list[str], index: int) -> bool:
    """`From:` followed by `Sent:`/`To:`/`Subject:` lines: a quoted Outlook header block."""
    following = [line.strip() for line in lines[index + 1 : index + 5] if line.strip()]
    return sum(1 for line in following if _OUTLOOK_FOLLOWERS.match(line)) >= 2


def _outlook_header_follows(lines: list[str], index: int) -> bool:
    """A rule of underscores is Outlook's only when its header block comes next."""
    for next_index in range(index + 1, min(index + 3, len(lines))):
        if lines[next_index].strip():
            stripped = lines[next_index].strip()
            return bool(_OUTLOOK_HEADER.match(stripped)) and _outlook_block_follows(
                lines, next_index
            )
    return False


def _without_trailing_quote(lines: list[str]) -> list[str]:
    """Lines up to the sender's last own line: what follows is quoted history."""
    end = len(lines)
    while end and _quoting(lines, end - 1):
        end -= 1
    return lines[:end]


def _quoting(lines: list[str], index: int) -> bool:
    """A blank line, a `>` line or an attribution (which mail clients wrap on two lines)."""
    stripped = lines[index].strip()
    if not stripped or stripped.startswith(">"):
        return True
    if any(pattern.match(stripped) for pattern in _ATTRIBUTIONS):
        return True
    previous = lines[index - 1].strip() if index else ""
    following = lines[index + 1].strip() if index + 1 < len(lines) else ""
    wrapped = [f"{previous} {stripped}" if previous else "", f"{stripped} {following}"]
    return any(_ATTRIBUTIONS[0].match(joined) for joined in wrapped if joined.strip())


def _without_signature(lines: list[str]) -> list[str]:
    """Without a phone's footer line at the end, or a short signature after "-- "."""
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    if lines and _MOBILE_FOOTER.match(lines[-1].strip()):
        return lines[:-1]
    for index in range(len(lines) - 1, max(-1, len(lines) - _SIGNATURE_MAX_LINES - 2), -1):
        if lines[index] == _SIGNATURE_DELIMITER:
            return lines[:index]
    return lines


def plain_text_markdown(text: str) -> str:
    """Markdown that renders as the plain text it is given: every line kept, as written.

    Marks Markdown would read are escaped with a backslash (`\\*`, `\\[`, a heading's
    `\\#`, …), a line break inside a paragraph is made hard with two trailing spaces, and
    indentation becomes no-break spaces, so that an indented line is neither a code block
    nor run into the line above. A list's markers are escaped too: as a list, the plain
    line after it joined its last item.
    """
    lines = [_escaped_line(line.rstrip()) for line in text.replace("\r\n", "\n").split("\n")]
    for index, line in enumerate(lines[:-1]):
        if line and lines[index + 1]:
            lines[index] = line + "  "
    return "\n".join(lines)


def _escaped_line(line: str) -> str:
    body = line.lstrip(" \t")
    indent = line[: len(line) - len(body)].replace("\t", "    ").replace(" ", "\xa0")
    if not indent and _RULE.fullmatch(body):
        return "\\" + body  # one escape keeps a rule a line of characters
    body = _INLINE_MARK.sub(r"\\\g<0>", body)
    if not indent and (_BLOCK_MARK.match(body) or _BULLET.match(body)):
        body = "\\" + body
    elif not indent:
        body = _ORDERED.sub(r"\1\\\2", body, count=1) if _ORDERED.match(body) else body
    return indent + body
