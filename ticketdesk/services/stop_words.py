"""The words PostgreSQL's `english` configuration drops as too common to search for.

Copied from PostgreSQL 15's `share/tsearch_data/english.stop` (the Snowball project's
English stop words), which the `english_stem` dictionary that `ticketdesk_english` ends
with reads (`models.text_search`): neither its documents nor its queries hold these
words. SQLite's FTS5 keeps every word, so the SQLite search leaves these out of a query
(`search.searched_phrases`), for both databases to find the same tickets.
`tests/search/test_stop_words.py` checks the list against the PostgreSQL server's
`to_tsvector`.
"""

from __future__ import annotations

import unicodedata

STOP_WORDS = frozenset(
    """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what
    which who whom this that these those am is are was were be been being have has had
    having do does did doing a an the and but if or because as until while of at by for
    with about against between into through during before after above below to from up
    down in out on off over under again further then once here there when where why how
    all any both each few more most other some such no nor not only own same so than too
    very s t can will just don should now
    """.split()
)


def is_stop_word(word: str) -> bool:
    """Whether a query's word (lower-cased) is one of STOP_WORDS, with its accents folded
    as both engines fold them (`thé` is `the`)."""
    if word.isascii():
        return word in STOP_WORDS
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)) in STOP_WORDS
