"""The one character no text from outside may hold.

PostgreSQL cannot store a NUL (U+0000) in text, and SQLite would keep it silently, so
query strings, the API's schemas and the web's forms refuse it as they read a request,
the same on both databases, and the services' field checks refuse it from any caller
(mail intake strips it with the other control characters).
"""

from __future__ import annotations

from flask import abort, request

NUL = "\x00"
NUL_REFUSED = "Must not contain the NUL character (U+0000)."
NUL_IN_REQUEST = "The request holds a NUL character (U+0000), which no text may contain."


def holds_nul(value: object) -> bool:
    """Whether a value as received, text or a list of texts, holds a NUL."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, list | tuple):
        return any(isinstance(item, str) and NUL in item for item in value)
    return False


def refuse_nul_in_query() -> None:
    """Before every request: a query string holding a NUL (`%00`, the only way one can
    arrive there) is a bad request, whatever reads its arguments later."""
    if b"%00" in request.query_string:
        abort(400, description=NUL_IN_REQUEST)
