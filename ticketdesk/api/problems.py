"""RFC 9457 problem details: the one error shape of the API."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Response, json, request
from pydantic import BaseModel, Field

from ticketdesk.services import errors as domain

PROBLEM_TYPE = "application/problem+json"

# Domain errors and the status each one answers with; the first that fits is taken.
DOMAIN_STATUS: list[tuple[type[domain.DomainError], int]] = [
    (domain.TooLarge, 413),
    (domain.NotFound, 404),
    (domain.PermissionDenied, 403),
    (domain.AuthenticationFailed, 401),
    (domain.ValidationFailed, 422),
    (domain.StaleVersion, 412),
    (domain.Conflict, 409),
]


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the offending field.")
    location: str = Field(
        description="Where the field was: json, form (multipart), query, path or header."
    )
    detail: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = Field(
        default=None, description="One entry per invalid field."
    )


def problem(
    status: int,
    detail: str | None = None,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A problem+json response; never carries exception text or SQL."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_TYPE)
    response.headers.update(headers or {})
    return response


def status_for(error: domain.DomainError) -> int:
    """The HTTP status that answers a domain error."""
    return next(code for kind, code in DOMAIN_STATUS if isinstance(error, kind))


def domain_problem(error: domain.DomainError, *, stale_status: int = 412) -> Response:
    """The answer for a domain error raised by a service."""
    status = stale_status if isinstance(error, domain.StaleVersion) else status_for(error)
    errors = None
    if isinstance(error, domain.ValidationFailed):
        errors = field_errors(_by_location(error.errors))
    elif isinstance(error, domain.Conflict) and error.field:
        errors = field_errors(_by_location({error.field: [error.detail]}))
    return problem(status, error.detail, errors=errors)


# Fields a service may name that a client sends as headers.
HEADER_FIELDS = frozenset({"Idempotency-Key", "If-Match"})


def _by_location(fields: dict[str, list[str]]) -> dict[str, dict[str, list[str]]]:
    """A service names fields, not where they came from: a header, the query string, or
    the body."""
    body = "form" if request.mimetype == "multipart/form-data" else "json"
    by_location: dict[str, dict[str, list[str]]] = {}
    for field, messages in fields.items():
        if field in HEADER_FIELDS:
            location = "header"
        else:
            location = "query" if field in request.args else body
        by_location.setdefault(location, {})[field] = messages
    return by_location


def field_errors(by_location: dict[str, dict[str, list[str]]]) -> list[dict[str, str]]:
    """Flatten {location: {field: [messages]}} into one entry per message."""
    return [
        {"field": field, "location": location, "detail": message}
        for location, fields in by_location.items()
        for field, messages in fields.items()
        for message in messages
    ]
