"""The app's JSON: bounded parsing that says what was wrong, and bodies that pydantic has
already encoded."""

from __future__ import annotations

from typing import Any

from flask import Request, Response
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest


class EncodedJSON(bytes):
    """A JSON document already encoded (by pydantic's serializer): sent as it is."""


class TicketdeskJSONProvider(DefaultJSONProvider):
    """Flask's provider, plus two things the API needs.

    Nesting too deep to parse is a bad request rather than a RecursionError, and an
    `EncodedJSON` body skips a second encoding: API answers are serialised straight
    from their pydantic schema to bytes, which costs a fraction of model_dump + json.dumps.
    """

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON is nested too deeply.") from None

    def response(self, *args: Any, **kwargs: Any) -> Response:
        if len(args) == 1 and not kwargs and isinstance(args[0], EncodedJSON):
            return self._app.response_class(args[0], mimetype=self.mimetype)
        return super().response(*args, **kwargs)


class TicketdeskRequest(Request):
    """Flask's request, but a body that is not JSON says why: outside debug mode Flask
    answers only that the request "could not be understood"."""

    def on_json_loading_failed(self, e: ValueError | None):
        if e is None:  # not sent as JSON: Flask's 415
            return super().on_json_loading_failed(e)
        raise BadRequest(f"The body is not valid JSON: {str(e)[:200]}")
