"""Touches to the generated OpenAPI document that APIFlask cannot express per route."""

from __future__ import annotations

import copy

from ticketdesk.api.problems import PROBLEM_TYPE, Problem
from ticketdesk.models import ID_MAX
from ticketdesk.services.idempotency import KEY_MAX

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


# Answers any operation may give, whatever its own rules: a body that is not JSON or
# too large, a client over its rate limit, the database briefly unreachable.
COMMON_ERRORS = {
    "400": "Malformed request (a body that is not valid JSON)",
    "413": "Request body too large",
    "415": "Body is not application/json",
    "422": "A field is invalid",
    "429": "Too many requests; see Retry-After",
    "503": "Temporarily unavailable; see Retry-After",
}
BODY_ERRORS = ("400", "413", "415", "422")

FILE_PARTS = {
    "type": "array",
    "items": {"type": "string", "format": "binary"},
    "description": "One part per file.",
}

# Bodies that a route streams itself (so limits apply before anything is buffered),
# and which therefore have no input schema for APIFlask to describe.
STREAMED_BODIES = {
    ("/api/v1/tickets/{ticket_id}/attachments", "post"): {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": FILE_PARTS,
                        "comment_id": {"type": "integer", "minimum": 1},
                    },
                    "additionalProperties": False,
                }
            }
        },
    }
}

# Headers that routes read themselves (`ticketdesk.api.tickets`), so APIFlask cannot
# see them: declared here so that clients and generated SDKs know they exist.
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Send the same key again to retry safely: the first answer's resource"
    " comes back and nothing new is made. The same key with a different body is a 422.",
    "schema": {"type": "string", "minLength": 1, "maxLength": KEY_MAX},
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": "The ETag you read (the ticket's version): the change is refused with 412"
    " if the ticket changed since, or if the tag is weak (`W/…`: If-Match compares strongly)."
    " `*` matches any version. Sent with the body's `version`, the two must agree (else 422).",
    "schema": {"type": "string"},
}
ETAG = {
    "ETag": {
        "description": "The version of the ticket's own fields (title, status, …), for"
        " If-Match: replies and notes do not change it, so an edit is not refused because"
        " someone replied meanwhile.",
        "schema": {"type": "string"},
    }
}
HEADER_PARAMETERS = {
    ("/api/v1/tickets", "post"): IDEMPOTENCY_KEY,
    ("/api/v1/tickets/{ticket_id}/comments", "post"): IDEMPOTENCY_KEY,
    ("/api/v1/tickets/{ticket_id}", "patch"): IF_MATCH,
}
VERSIONED_ANSWERS = {
    ("/api/v1/tickets", "post"): "201",
    ("/api/v1/tickets/{ticket_id}", "get"): "200",
    ("/api/v1/tickets/{ticket_id}", "patch"): "200",
}


# Errors answered in the operation's own schema rather than problem+json: /healthz is read
# by load balancers and monitors, which look for the same fields whatever the status.
OWN_ERROR_BODIES = {("/healthz", "get", "503"): {"$ref": "#/components/schemas/Health"}}


def complete_document(spec: dict) -> dict:
    """Declare what the routes do beyond their decorators: every error response as
    RFC 9457 problem+json with one shared schema, the headers they read and send, bodies
    they stream, and the bounds of ids in paths."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(schemas["Problem"].pop("$defs", {}))
    for path, path_item in spec.get("paths", {}).items():
        for method, operation in path_item.items():
            if (path, method) in STREAMED_BODIES:
                operation["requestBody"] = STREAMED_BODIES[(path, method)]
            _fields_with_files(operation, schemas)
            _declare_headers(path, method, operation)
            responses = operation.setdefault("responses", {})
            for code, description in COMMON_ERRORS.items():
                if code in BODY_ERRORS and method not in ("post", "patch", "put"):
                    continue
                responses.setdefault(code, {"description": description})
            _bound_path_ids(operation)
            if "requestBody" in operation:
                operation["requestBody"]["required"] = True
            for code, response in responses.items():
                if own := OWN_ERROR_BODIES.get((path, method, str(code))):
                    response["content"] = {"application/json": {"schema": own}}
                elif str(code)[0] in "45":
                    response["content"] = {PROBLEM_TYPE: {"schema": PROBLEM_REF}}
    return spec


def _declare_headers(path: str, method: str, operation: dict) -> None:
    if parameter := HEADER_PARAMETERS.get((path, method)):
        operation.setdefault("parameters", []).append(parameter)
    if status := VERSIONED_ANSWERS.get((path, method)):
        operation["responses"][status].setdefault("headers", {}).update(ETAG)


def _fields_with_files(operation: dict, schemas: dict) -> None:
    """A body that may be JSON or form fields (`location="json_or_form"`) takes its form
    as multipart/form-data with `file` parts (see `ticketdesk.api.uploads`): described so,
    with the JSON body's fields, none of them null (a form field is text or absent)."""
    content = operation.get("requestBody", {}).get("content", {})
    form = content.pop("application/x-www-form-urlencoded", None)
    if form is None:
        return
    fields = copy.deepcopy(schemas[form["schema"]["$ref"].rsplit("/", 1)[1]])
    for field in fields["properties"].values():
        options = [option for option in field.pop("anyOf", []) if option.get("type") != "null"]
        if len(options) == 1:
            field.update(options[0])
        elif options:
            field["anyOf"] = options
        if "default" in field and field["default"] is None:
            del field["default"]
    fields["properties"]["file"] = FILE_PARTS
    content["multipart/form-data"] = {"schema": fields}


def _bound_path_ids(operation: dict) -> None:
    """Ids in paths are positive database integers; larger ones can never name anything."""
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        if parameter.get("in") == "path" and schema.get("type") == "integer":
            schema.update(minimum=1, maximum=ID_MAX)
