"""Markdown for descriptions and comments: CommonMark rendered, then sanitised.

One pipeline for both places that show what someone wrote: the web pages and the
HTML part of notification mail.

markdown-it-py escapes any HTML the author typed (`html=False`); nh3 (Ammonia)
then keeps only an allow-list of tags and attributes, so nothing a user writes
ever runs in another user's browser.
"""

from __future__ import annotations

import functools
import re

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "hr", "em", "strong", "s", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


@functools.cache
def _parser() -> MarkdownIt:
    """CommonMark with tables, ~~strikethrough~~ and pasted addresses made links."""
    parser = MarkdownIt("commonmark", {"html": False, "linkify": True})
    parser.enable(["table", "strikethrough", "linkify"])
    parser.add_render_rule("image", _image_as_link)
    return parser


def _image_as_link(renderer, tokens, idx, options, env) -> str:
    """An image as a link to it, named by its alt text: a page or a mail never loads a
    picture from elsewhere (the CSP forbids it, and it would tell that server who read the
    ticket, and when: a tracking pixel), and dropping the tag dropped the words too."""
    token = tokens[idx]
    name = renderer.renderInlineAsText(token.children or [], options, env) or "image"
    href = escapeHtml(token.attrGet("src") or "")
    return f'<a href="{href}">{escapeHtml(name)}</a>'


def render_markdown(text: str | None) -> Markup:
    """Safe HTML for a user's Markdown, for a web page (styled by the site's CSS)."""
    return _render(text)


# Mail clients drop <style> blocks and classes unevenly, so the few elements that read
# badly unstyled carry their style inline. nh3 sets these after sanitising, replacing
# any value from the source, so an author can never style anything.
MAIL_STYLES = {
    "pre": {
        "style": "white-space: pre-wrap; overflow-wrap: anywhere; word-wrap: break-word;"
        " background: #f5f5f5; padding: 8px; font-size: 13px;"
    },
    "blockquote": {
        "style": "margin: 0 0 0 4px; padding-left: 8px; border-left: 3px solid #ccc; color: #555;"
    },
    "table": {"style": "border-collapse: collapse;"},
    "th": {"style": "border: 1px solid #ccc; padding: 4px 8px; text-align: left;"},
    "td": {"style": "border: 1px solid #ccc; padding: 4px 8px;"},
}


def render_markdown_for_mail(text: str | None) -> Markup:
    """Safe HTML for a user's Markdown, for the HTML part of a mail.

    The web's HTML, with inline styles, and without relative links: in a mail they
    would point at the reader's webmail, so they keep their words and lose the link.
    """
    return _render(text, set_tag_attribute_values=MAIL_STYLES, url_relative="deny")


def _render(text: str | None, **options) -> Markup:
    html = _parser().render(text or "")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        **options,
    )
    return Markup(clean)  # noqa: S704  (sanitised just above)


# What only Markdown needs, for a plain-text part: a backslash escape of punctuation,
# the two spaces that make a line break hard, a no-break space standing for indentation.
_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_HARD_BREAK = re.compile(r" {2,}$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def markdown_as_text(text: str | None) -> str:
    """Markdown as written, for a mail's plain-text part, less what only Markdown needs:
    mail that came in as plain text is stored escaped (`mail.text.plain_text_markdown`),
    and `$5 \\* 3` should read `$5 * 3`. Code (fenced, indented, or in backticks) is left
    as written, since a backslash there is part of the code."""
    lines, fence = [], None
    for line in (text or "").split("\n"):
        opened = _FENCE.match(line)
        if fence is None and opened:
            fence = opened.group(1)[0]
        elif fence is not None and opened and opened.group(1)[0] == fence:
            fence = None
        elif fence is None and not line.startswith(("    ", "\t")):
            line = _outside_code_spans(line).replace("\xa0", " ")
            line = _HARD_BREAK.sub("", line)
        lines.append(line)
    return "\n".join(lines)


def _outside_code_spans(line: str) -> str:
    """The line with its backslash escapes undone, but not inside a code span."""
    out, index = [], 0
    while index < len(line):
        char = line[index]
        if char == "\\" and line[index + 1 : index + 2] in _PUNCTUATION:
            out.append(line[index + 1])
            index += 2
        elif char == "`":
            run = len(line[index:]) - len(line[index:].lstrip("`"))
            close = line.find("`" * run, index + run)
            end = close + run if close != -1 else index + run
            out.append(line[index:end])
            index = end
        else:
            out.append(char)
            index += 1
    return "".join(out)
