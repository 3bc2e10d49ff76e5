"""The API blueprint and its bearer-token authentication."""

from __future__ import annotations

from apiflask import APIBlueprint, HTTPTokenAuth
from flask import g, request

from ticketdesk.api.problems import problem
from ticketdesk.api.uploads import MULTIPART, refuse_oversized_upload
from ticketdesk.extensions import limiter
from ticketdesk.models import User
from ticketdesk.security.limits import BEARER_MAX, address_key, api_limit, bearer_secret
from ticketdesk.services import api_tokens
from ticketdesk.services.tokens import TokenCaller

bp = APIBlueprint("api", __name__, url_prefix="/api/v1")
auth = HTTPTokenAuth(
    scheme="Bearer",
    description="A token from POST /api/v1/auth/tokens, sent as `Authorization: Bearer <token>`.",
)

BODY_METHODS = {"POST", "PUT", "PATCH"}
# Routes whose fields may come as multipart/form-data, with `file` parts beside them.
TAKES_FILES = {"api.create_ticket", "api.add_comment"}


def _token_caller(secret: str) -> TokenCaller | None:
    """The live token `secret` is, and its owner: looked up once a request, though both
    the rate limit and authentication ask."""
    callers = g.setdefault("token_callers", {})
    if secret not in callers:
        callers[secret] = api_tokens().caller_for_token(secret)
    return callers[secret]


def _caller_key() -> str:
    """Per live token. Any other bearer token (made up, revoked, expired) counts against
    its address, with the calls that send none: each made-up token would otherwise be a
    fresh allowance, and each costs a lookup."""
    secret = bearer_secret()
    caller = _token_caller(secret) if secret else None
    return f"token:{caller.token_id}" if caller else address_key()


def caller_account_key() -> str:
    """The account the bearer token belongs to (its address's key when there is none):
    for limits on what an account does, whichever of its tokens does it."""
    secret = bearer_secret()
    caller = _token_caller(secret) if secret else None
    return f"user:{caller.user.id}" if caller else address_key()


# Every API call counts against its caller's general allowance: one count for all the
# API's routes (`limit` would keep one per route).
limiter.shared_limit(api_limit, scope="api", key_func=_caller_key)(bp)


@auth.verify_token
def _verify_token(secret: str) -> User | None:
    if not secret or len(secret) > BEARER_MAX:
        return None
    caller = _token_caller(secret)
    if caller is None:
        return None
    g.api_token_id = caller.token_id
    return caller.user


@auth.error_processor
def _auth_error(error):
    return problem(error.status_code, "A valid bearer token is required.")


@bp.before_request
def _require_json_body():
    """Bodies must be JSON, or multipart/form-data where a route takes files: anything
    else is 415, before any field is looked at."""
    if request.method not in BODY_METHODS:
        return None
    if request.endpoint in TAKES_FILES and request.mimetype == MULTIPART:
        return refuse_oversized_upload()
    if (request.content_length or request.data) and not request.is_json:
        if request.endpoint in TAKES_FILES:
            return problem(
                415, "Send the body as application/json, or with files as multipart/form-data."
            )
        return problem(415, "Send the body as application/json.")
    return None


def current_user() -> User:
    """The user the bearer token belongs to."""
    return auth.current_user


def current_token_id() -> int:
    """The id of the bearer token this request came with."""
    return g.api_token_id
