"""Headlines of PostgreSQL's search results, made from the tickets' text in Python.

PostgreSQL's ts_headline parses every character it is given with the text search
parser, at about 0.3 us each: a page of 25 headlines cost 3.7 ms of the database's CPU
at a million tickets, more than ranking the thousand newest matches. Here a regular
expression finds the few words that may be the query's, and only those are stemmed
(with the Snowball English stemmer, the algorithm of PostgreSQL's `english_stem`) and
compared with the lexemes PostgreSQL made of the query's words.

Words are runs of letters and digits, as the search cuts its queries, so the parts of
an address or a file name (`acme` of ann@acme.com) are words a headline marks.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator, Sequence

import snowballstemmer

from ticketdesk.services.search_sql import MARK_END, MARK_START, WORD

# A stretch is a match and the words after it, WORDS_AFTER in all, with up to
# WORDS_BEFORE words before it; a headline shows at most MAX_STRETCHES of them.
WORDS_BEFORE, WORDS_AFTER = 8, 16
MAX_STRETCHES = 2
ELLIPSIS = "…"

# Up to n words (and what comes before each), read forwards; backwards, on a reversed text.
_WORDS_AFTER = re.compile(rf"(?:[\W_]*{WORD.pattern}){{1,{WORDS_AFTER}}}")
_WORDS_BEFORE = re.compile(rf"(?:[\W_]*{WORD.pattern}){{0,{WORDS_BEFORE}}}")
# Enough characters before a match to hold WORDS_BEFORE words of any common length.
_LOOK_BACK = 160
_STEM = snowballstemmer.stemmer("english").stemWord


def _folding_table() -> dict[int, str]:
    """Each accented Latin letter to its base letter, one character for one, so that a
    folded text's offsets are the text's own: the letters with a mark, and those that
    `unaccent` spells as one letter though Unicode gives them none (ł, ø). Those it
    spells as two (ß, æ) stay: a headline does not mark `strasse` in Straße."""
    table = str.maketrans("łŁøØđĐħĦıŧŦ", "lLoOdDhHitT")
    for code in range(0x80, 0x250):
        base = "".join(c for c in unicodedata.normalize("NFKD", chr(code)) if c.isascii())
        if len(base) == 1 and base.isalpha():
            table[code] = base
    return table


_FOLD = _folding_table()


@functools.lru_cache(maxsize=8192)
def lexeme(word: str) -> str:
    """The word as the index holds it: lower-cased and accents folded; stemmed unless it
    holds a digit (`ticketdesk_english` keeps such words as they are)."""
    folded = word.translate(_FOLD).lower()
    return folded if any(c.isdigit() for c in folded) else _STEM(folded)


class Headliner:
    """Headlines for one query: its phrases, each word as PostgreSQL's lexeme of it (None
    for a stop word, which stands for any one word between two others, as in
    PostgreSQL's phrases)."""

    def __init__(self, phrases: Sequence[Sequence[str | None]]) -> None:
        self.phrases = [trimmed for phrase in phrases if (trimmed := _trimmed(phrase))]
        # A query of single words (most are) reads no phrases: each word found is a match.
        single = all(len(phrase) == 1 for phrase in self.phrases)
        self._words = {phrase[0] for phrase in self.phrases} if single else None
        starts = "|".join(sorted({re.escape(_prefix(phrase[0])) for phrase in self.phrases}))
        # A phrase's first word's start and the rest of the word it is in. Sought in the
        # lower-cased text: ten times faster than ignoring case.
        candidates = rf"(?:{starts})[^\W_]*"
        self._candidates = re.compile(candidates) if starts else None
        self._candidates_any_case = re.compile(candidates, re.IGNORECASE) if starts else None

    def headline(self, text: str) -> str | None:
        """Up to MAX_STRETCHES stretches of the text around its first matches, the words
        marked, or None when no phrase is in it."""
        stretches: list[tuple[int, int]] = []
        spans: list[tuple[int, int]] = []
        for span in self._spans(text):
            if not stretches or span[0] >= stretches[-1][1]:
                if len(stretches) == MAX_STRETCHES:
                    break
                stretches.append(_stretch(text, span[0], stretches[-1][1] if stretches else 0))
            spans.append(span)
        if not stretches:
            return None
        return _joined(text, stretches, [_marked(text, each, spans) for each in stretches])

    def _spans(self, text: str) -> Iterator[tuple[int, int]]:
        """(start, end) of each word of the text that is part of a match of a phrase."""
        if self._candidates is None:
            return
        folded = text.translate(_FOLD)
        lowered = folded.lower()
        if len(lowered) == len(text):
            candidates = self._candidates.finditer(lowered)
        else:  # a letter whose lower case is longer (İ) would shift the offsets
            candidates = self._candidates_any_case.finditer(folded)
        end = 0
        for candidate in candidates:
            at = candidate.start()
            if at < end or (at and WORD.match(text, at - 1)):
                continue  # inside a match already found, or not the start of a word
            if self._words is not None:
                if lexeme(text[at : candidate.end()]) in self._words:
                    yield candidate.span()
                continue
            found = self._phrase_at(text, at)
            if found:
                yield from found
                end = found[-1][1]

    def _phrase_at(self, text: str, at: int) -> list[tuple[int, int]]:
        """The spans of the words of the first phrase found at `at`, or none."""
        words = WORD.finditer(text, at)
        read: list[re.Match] = []
        for phrase in self.phrases:
            while len(read) < len(phrase) and (word := next(words, None)):
                read.append(word)
            if len(read) >= len(phrase) and all(
                wanted is None or lexeme(word.group()) == wanted
                for word, wanted in zip(read, phrase, strict=False)
            ):
                return [word.span() for word, wanted in zip(read, phrase, strict=False) if wanted]
        return []


def text_start(text: str) -> str:
    """The first words of a text, for a ticket found by its title alone."""
    shown = _WORDS_AFTER.match(text)
    if shown is None:
        return text.strip()
    return text[: shown.end()].strip() + (ELLIPSIS if WORD.search(text, shown.end()) else "")


def _trimmed(phrase: Sequence[str | None]) -> list[str | None]:
    """The phrase without stop words at its ends, which PostgreSQL's phrases drop too."""
    words = list(phrase)
    while words and words[0] is None:
        words.pop(0)
    while words and words[-1] is None:
        words.pop()
    return words


def _prefix(lexeme: str) -> str:
    """What every word of this lexeme starts with: the stemmer turns a final y into i
    ("happy" is happi) and drops endings, so the lexeme less a final i or y."""
    return lexeme[:-1] if len(lexeme) > 1 and lexeme[-1] in "iy" else lexeme


def _stretch(text: str, start: int, low: int) -> tuple[int, int]:
    """(start, end) of the stretch of the word at `start`, not reaching back before `low`
    (two regular expressions: a match object for each word cost four times as much)."""
    before = text[max(low, start - _LOOK_BACK) : start][::-1]
    return start - _WORDS_BEFORE.match(before).end(), _WORDS_AFTER.match(text, start).end()


def _marked(text: str, stretch: tuple[int, int], spans: list[tuple[int, int]]) -> str:
    low, high = stretch
    pieces, at = [], low
    for start, end in spans:
        if start >= low and end <= high:
            pieces += [text[at:start], MARK_START, text[start:end], MARK_END]
            at = end
    pieces.append(text[at:high])
    return "".join(pieces)


def _joined(text: str, stretches: list[tuple[int, int]], parts: list[str]) -> str:
    """The stretches, with an ellipsis wherever text was left out."""
    written = ELLIPSIS if WORD.search(text, 0, stretches[0][0]) else ""
    for (_, end), part, following in zip(stretches, parts, [*stretches[1:], None], strict=True):
        gap = slice(end, following[0] if following else len(text))
        written += part
        if WORD.search(text, gap.start, gap.stop):
            written += " " + ELLIPSIS + " " if following else ELLIPSIS
        else:
            written += text[gap]
    return written
