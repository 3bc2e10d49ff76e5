"""The app's request bodies and JSON: bounded reading and parsing that say what was
wrong, and answers that pydantic has already encoded."""

from __future__ import annotations

from typing import Any

from flask import Request, Response
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream


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

    @cached_property
    def stream(self):
        """The body; one sent in chunks, without a Content-Length, is held to
        MAX_CONTENT_LENGTH by `StreamedBody`."""
        limit = self.max_content_length
        if (
            self.content_length is None
            and limit is not None
            and self.environ.get("wsgi.input_terminated")
        ):
            return StreamedBody(self.environ["wsgi.input"], limit)
        return super().stream

    def on_json_loading_failed(self, e: ValueError | None):
        if e is None:  # not sent as JSON: Flask's 415
            return super().on_json_loading_failed(e)
        raise BadRequest(f"The body is not valid JSON: {str(e)[:200]}")


class StreamedBody(LimitedStream):
    """A body sent in chunks, read up to a maximum.

    Werkzeug's own stream stops reading all of it at the maximum and hands over the
    bytes read so far as if they were the whole body: a JSON body over the limit was
    "not valid JSON" rather than too large, and form fields were cut silently. Here a
    byte past the maximum is a 413.
    """

    def __init__(self, source, limit: int) -> None:
        super().__init__(source, limit, is_max=True)
        self._source = source

    def readall(self) -> bytes:
        body = super().readall()
        if self.is_exhausted and self._source.read(1):
            self.on_exhausted()
        return body
