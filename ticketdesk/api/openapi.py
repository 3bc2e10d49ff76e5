"""Touches to the generated OpenAPI document that APIFlask cannot express per route."""

from __future__ import annotations

from ticketdesk.api.problems import PROBLEM_TYPE, Problem

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
MAX_ID = 2**63 - 1

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
                        "file": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "One part per file.",
                        },
                        "comment_id": {"type": "integer", "minimum": 1},
                    },
                }
            }
        },
    }
}


def describe_problems(spec: dict) -> dict:
    """Declare every error response as RFC 9457 problem+json with one shared schema."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(schemas["Problem"].pop("$defs", {}))
    for path, path_item in spec.get("paths", {}).items():
        for method, operation in path_item.items():
            if (path, method) in STREAMED_BODIES:
                operation["requestBody"] = STREAMED_BODIES[(path, method)]
            responses = operation.setdefault("responses", {})
            for code, description in COMMON_ERRORS.items():
                if code in BODY_ERRORS and method not in ("post", "patch", "put"):
                    continue
                responses.setdefault(code, {"description": description})
            _bound_path_ids(operation)
            if "requestBody" in operation:
                operation["requestBody"]["required"] = True
            for code, response in responses.items():
                if str(code)[0] in "45":
                    response["content"] = {PROBLEM_TYPE: {"schema": PROBLEM_REF}}
    return spec


def _bound_path_ids(operation: dict) -> None:
    """Ids in paths are positive database integers; larger ones can never name anything."""
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        if parameter.get("in") == "path" and schema.get("type") == "integer":
            schema.update(minimum=1, maximum=MAX_ID)
