"""Touches to the generated OpenAPI document that APIFlask cannot express per route."""

from __future__ import annotations

from ticketdesk.api.problems import PROBLEM_TYPE, Problem

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def describe_problems(spec: dict) -> dict:
    """Declare every error response as RFC 9457 problem+json with one shared schema."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(schemas["Problem"].pop("$defs", {}))
    for path_item in spec.get("paths", {}).values():
        for operation in path_item.values():
            for code, response in operation.get("responses", {}).items():
                if str(code)[0] in "45":
                    response["content"] = {PROBLEM_TYPE: {"schema": PROBLEM_REF}}
    return spec
