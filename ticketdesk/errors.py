"""One error handler per kind of failure, answering problem+json under /api/ and HTML elsewhere."""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import urlsplit, urlunsplit

from apiflask import APIFlask
from apiflask.exceptions import HTTPError
from flask import Response, current_app, g, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from ticketdesk.api.problems import domain_problem, field_errors, problem, status_for
from ticketdesk.extensions import db, discard_session
from ticketdesk.mail.intake import IntakeUnavailable
from ticketdesk.models import SecurityEventKind
from ticketdesk.security.headers import retry_after
from ticketdesk.services import security_log
from ticketdesk.services.attachments import attachment_limits
from ticketdesk.services.errors import DomainError, PermissionDenied
from ticketdesk.services.transactions import begin_write
from ticketdesk.sizes import readable_size
from ticketdesk.storage import FileMissing, StorageUnavailable
from ticketdesk.text_input import NUL_IN_REQUEST
from ticketdesk.web.session import safe_next

RETRY_AFTER_SECONDS = "5"
NUMBER_OUT_OF_RANGE = "22003"  # PostgreSQL's numeric_value_out_of_range


def register_error_handlers(app: APIFlask) -> None:
    app.error_processor(_apiflask_error)
    app.register_error_handler(HTTPException, _http_exception)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(DBAPIError, _database_error)
    app.register_error_handler(FileMissing, _file_missing)
    app.register_error_handler(StorageUnavailable, _storage_unavailable)
    app.register_error_handler(IntakeUnavailable, _intake_unavailable)
    app.register_error_handler(Exception, _unexpected)


def wants_problem_json() -> bool:
    """The API's answers, and /healthz's (read by machines), are JSON; the rest are pages."""
    return request.path.startswith("/api/") or request.path == "/healthz"


def _respond(
    status: int,
    detail: str | None,
    headers: dict[str, str] | None = None,
    *,
    heading: str | None = None,
    link: tuple[str, str] | None = None,
) -> Response:
    """problem+json, or the error page: with its own `heading` if given, and a `link`
    (address, words) in place of "Back to Ticketdesk"."""
    if headers and "Retry-After" in headers:
        retry_after(headers["Retry-After"])  # kept over the rate limiter's
    if wants_problem_json():
        return problem(status, detail, headers=headers)
    html = render_template(
        "error.html",
        status=status,
        title=HTTPStatus(status).phrase,
        detail=detail,
        heading=heading,
        link=link,
    )
    return Response(html, status=status, headers=headers or {}, mimetype="text/html")


def _apiflask_error(error: HTTPError) -> Response:
    """Validation, authentication and abort() errors raised through APIFlask."""
    headers = dict(error.headers or {})
    if isinstance(error.detail, dict) and error.detail:
        return problem(
            error.status_code,
            "Some fields are invalid.",
            errors=field_errors(error.detail),
            headers=headers,
        )
    detail = error.message if error.message != HTTPStatus(error.status_code).phrase else None
    return _respond(error.status_code, detail, headers)


def _http_exception(error: HTTPException) -> Response:
    """Werkzeug's errors: unknown URL, wrong method, malformed body, body too large."""
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    detail = error.description if error.code in (400, 413, 415) else None
    if error.code == 413 and not wants_problem_json():
        detail = _too_large_for_a_page()
    return _respond(error.code or 500, detail, headers)


def _csrf_error(error: CSRFError) -> Response:
    """A form whose token fails: its session ended (signed out in another tab, or a password
    changed elsewhere), or the form was drawn before the session it came from was renewed.
    Flask-WTF's "The CSRF tokens do not match." leaves people nowhere to go."""
    if wants_problem_json():
        return _respond(400, error.description)
    back = same_site_referrer()
    if session_ended():
        return _respond(
            400,
            "You were signed out (in another tab or window, or after a password change),"
            " so that form could not be sent. Sign in again, then send it once more.",
            heading="Your session has ended",
            link=(url_for("web.login", next=back), "Sign in again"),
        )
    return _respond(
        400,
        "This form is out of date; reload the page and try again.",
        heading="This form is out of date",
        link=(back or url_for("web.home"), "Back to the page" if back else "Back to Ticketdesk"),
    )


# Forms that people post without being signed in: a stale token there is a stale form.
_SIGNED_OUT_FORMS = frozenset(
    {
        "web.login",
        "web.register",
        "web.forgot_password",
        "web.reset_password",
        "web.confirm_email_change",
    }
)


def session_ended() -> bool:
    """Whether a form was refused because its sender is no longer signed in."""
    return not current_user.is_authenticated and request.endpoint not in _SIGNED_OUT_FORMS


def same_site_referrer() -> str | None:
    """The page a form was sent from, as a path on this site, or None: never another site's."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.scheme not in ("http", "https") or parts.netloc != request.host:
        return None
    return safe_next(urlunsplit(("", "", parts.path, parts.query, "")))


def _too_large_for_a_page() -> str:
    """What a page's 413 says instead of Werkzeug's "exceeds the capacity limit"."""
    limits = attachment_limits(current_app.config)
    files = f"{limits.max_files} file{'s' if limits.max_files != 1 else ''}"
    return (
        f"Each file may be at most {readable_size(limits.max_file_size)}, with at most {files}"
        " in one message. Go back to keep what you wrote, and attach fewer or smaller files."
    )


def _domain_error(error: DomainError) -> Response:
    if isinstance(error, PermissionDenied):
        _log_denial(error)
    if wants_problem_json():
        stale = 412 if request.headers.get("If-Match") else 409
        return domain_problem(error, stale_status=stale)
    return _respond(status_for(error), error.detail)


def _log_denial(error: PermissionDenied) -> None:
    """Record a refused action in the security log; nothing the refused request wrote is kept."""
    discard_session()
    actor = g.get("flask_httpauth_user") or getattr(current_user, "user", None)
    begin_write(db.session())
    security_log().record_now(
        SecurityEventKind.ACCESS_DENIED,
        actor=actor,
        detail=f"{request.method} {request.path[:200]}: {error.detail}",
    )


def _database_error(error: DBAPIError) -> Response:
    """A lost or refused connection is an outage (503); any other database error is a bug."""
    if is_outage(error):
        return _database_unavailable(error)
    if isinstance(error, DataError) and "NUL" in str(error.orig):
        # Text read straight from a request, past the schemas and forms that refuse it.
        discard_session()
        return _respond(400, NUL_IN_REQUEST)
    if getattr(error.orig, "sqlstate", None) == NUMBER_OUT_OF_RANGE:
        # A number read straight from a request, past the bounds its schema or form sets.
        discard_session()
        return _respond(400, "A number in the request is out of range.")
    return _unexpected(error)


def is_outage(error: DBAPIError) -> bool:
    """Whether the database is down or unreachable, rather than refusing a statement."""
    return error.connection_invalidated or isinstance(error, OperationalError | InterfaceError)


def _database_unavailable(error: DBAPIError) -> Response:
    """The database is down or busy: ask the client to retry rather than fail with a trace."""
    return _briefly_unavailable("database unavailable: %s", error.__class__.__name__)


def _briefly_unavailable(log_message: str, reason: object) -> Response:
    """Log an outage as one warning, drop what the request wrote, and answer 503 with
    Retry-After on a page drawn for a visitor."""
    current_app.logger.warning(log_message, reason)
    discard_session()
    _as_visitor()
    return _respond(
        503,
        "The service is briefly unavailable; try again shortly.",
        {"Retry-After": RETRY_AFTER_SECONDS},
    )


def _as_visitor() -> None:
    """The page of an outage is drawn for a visitor: loading the signed-in user (as the
    layout and the response's headers do) needs the database that just failed, and
    failing again inside this handler left a bare 500."""
    g._login_user = current_app.login_manager.anonymous_user()


def _file_missing(error: FileMissing) -> Response:
    """A row whose bytes are gone from the store: gone for the user, an error for the operator."""
    current_app.logger.error("attachment file missing from storage: key %s", error)
    discard_session()
    return _respond(410, "This file is no longer in storage.")


def _storage_unavailable(error: StorageUnavailable) -> Response:
    """The file store is down, unreachable or full: nothing was kept, so retrying is safe."""
    current_app.logger.warning("attachment storage unavailable: %s", error.__cause__ or error)
    discard_session()
    return _respond(503, f"{error} Try again shortly.", {"Retry-After": RETRY_AFTER_SECONDS})


def _intake_unavailable(error: IntakeUnavailable) -> Response:
    """Retrying failed mail met the database or file store down: the mail is kept as it was."""
    return _briefly_unavailable("mail intake unavailable: %s", error)


def _unexpected(error: Exception) -> Response:
    current_app.logger.exception("unhandled error")
    discard_session()
    return _respond(500, None)
