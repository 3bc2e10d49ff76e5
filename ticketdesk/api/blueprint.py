"""The API blueprint and its bearer-token authentication."""

from __future__ import annotations

from apiflask import APIBlueprint, HTTPTokenAuth
from flask import request

from ticketdesk.api.problems import problem
from ticketdesk.extensions import limiter
from ticketdesk.models import User
from ticketdesk.security.limits import api_limit, caller_key
from ticketdesk.services import user_manager

bp = APIBlueprint("api", __name__, url_prefix="/api/v1")
auth = HTTPTokenAuth(
    scheme="Bearer",
    description="A token from POST /api/v1/auth/tokens, sent as `Authorization: Bearer <token>`.",
)

BODY_METHODS = {"POST", "PUT", "PATCH"}

# Every API call counts against its caller's general allowance.
limiter.limit(api_limit, key_func=caller_key)(bp)


@auth.verify_token
def _verify_token(secret: str) -> User | None:
    if not secret or len(secret) > 200:
        return None
    return user_manager().user_for_token(secret)


@auth.error_processor
def _auth_error(error):
    return problem(error.status_code, "A valid bearer token is required.")


@bp.before_request
def _require_json_body():
    """Bodies must be JSON: anything else is 415, before any field is looked at."""
    if request.method in BODY_METHODS and (request.content_length or request.data):
        if not request.is_json:
            return problem(415, "Send the body as application/json.")
    return None


def current_user() -> User:
    """The user the bearer token belongs to."""
    return auth.current_user
