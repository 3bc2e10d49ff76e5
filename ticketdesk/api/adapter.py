"""APIFlask's pydantic adapter, taught three things.

A query parameter may repeat: `?status=open&status=waiting` arrives as a list for
fields typed as lists; any other field given twice is a validation error rather
than a silent first-wins. The fields of a multipart body (routes that take files
with a JSON-shaped body, `location="json_or_form"`) are held to the same rule and
reported as `form`. A JSON body is read strictly: `"queue_id": true` or `"2"` is an
error, not ticket queue 1 or 2, since JSON has types of its own (query strings and
form fields are text, and stay lax). And output goes from objects to JSON bytes in
one step of pydantic's own serializer (see `ticketdesk.jsonio`).
"""

from __future__ import annotations

import functools
import typing as t

from apiflask.exceptions import _ValidationError
from apiflask.schema_adapters import registry
from apiflask.schema_adapters.pydantic import PydanticAdapter, _format_pydantic_errors
from flask import current_app
from pydantic import TypeAdapter, ValidationError

from ticketdesk.jsonio import EncodedJSON


class RepeatableQueryAdapter(PydanticAdapter):
    def validate_input(self, request, location: str, **kwargs: t.Any):
        if location in ("query", "querystring"):
            return self._validate_fields(request.args, location)
        if location == "json_or_form":
            if request.mimetype == "multipart/form-data":
                return self._validate_fields(request.form, "form")
            location = "json"
        if location == "json":
            request.get_json(force=True)  # a body that is not JSON is refused saying why
            body = request.get_data() or b"{}"
            return self._validated(
                location, self.model_class.model_validate_json, body, strict=True
            )
        return super().validate_input(request, location, **kwargs)

    def _validate_fields(self, fields, location: str):
        """The model from a multidict of strings, a field given twice kept as a list."""
        data: dict[str, t.Any] = {}
        for key, values in fields.to_dict(flat=False).items():
            field = self.model_class.model_fields.get(key)
            repeatable = field is not None and t.get_origin(field.annotation) is list
            data[key] = values if repeatable or len(values) > 1 else values[0]
        return self._validated(location, self.model_class.model_validate, data)

    @staticmethod
    def _validated(location: str, validate, data, **options):
        try:
            return validate(data, **options)
        except ValidationError as error:
            raise _ValidationError(
                current_app.config["VALIDATION_ERROR_STATUS_CODE"],
                current_app.config["VALIDATION_ERROR_DESCRIPTION"],
                {location: _messages(error)},
            ) from error

    def serialize_output(self, data: t.Any, many: bool = False) -> EncodedJSON:
        """The answer's JSON, validated against the output schema and encoded once; or
        as the view encoded it itself, from values already of the schema's types."""
        if isinstance(data, EncodedJSON):
            return data
        if many:
            adapter = _list_adapter(self.model_class)
            return EncodedJSON(adapter.dump_json(adapter.validate_python(data), by_alias=True))
        if not isinstance(data, self.model_class):
            data = self.model_class.model_validate(data)
        return EncodedJSON(data.model_dump_json(by_alias=True).encode())


def _messages(error: ValidationError) -> dict[str, list[str]]:
    """pydantic's messages by field, without the "Value error, " its own validators'
    messages (ours, such as `In._refuse_nul`'s) arrive with."""
    by_field = _format_pydantic_errors(error.errors())
    return {
        field: [message.removeprefix("Value error, ") for message in messages]
        for field, messages in by_field.items()
    }


@functools.cache
def _list_adapter(model_class: type) -> TypeAdapter:
    return TypeAdapter(list[model_class])


def install() -> None:
    """Use this adapter for every pydantic model (idempotent)."""
    registry.register("pydantic", RepeatableQueryAdapter)
