"""Safe response headers on every answer, and forwarded headers only from trusted proxies."""

from __future__ import annotations

from flask import Flask, Request, Response, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from werkzeug.middleware.proxy_fix import ProxyFix

# No inline script or style anywhere; nothing may frame us.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies > 0:
        # Only as many X-Forwarded-* hops as we have proxies; never trusted by default.
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    app.session_interface = HttpsAwareSessionInterface()
    app.after_request(_add_security_headers)


# Set on every answer unless the view chose its own (downloads set a stricter CSP).
DEFAULT_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
)


def retry_after(seconds: str) -> dict[str, str]:
    """The Retry-After header of an answer the app makes, kept over the rate limiter's."""
    g.retry_after = seconds
    return {"Retry-After": seconds}


def _add_security_headers(response: Response) -> Response:
    headers = response.headers
    # One pass over the names: each werkzeug lookup of a missing header builds, raises
    # and catches an HTTP exception (about 2% of a ticket read's instructions).
    present = {name.lower() for name, _ in headers.to_wsgi_list()}
    for name, value in DEFAULT_HEADERS:
        if name.lower() not in present:
            headers.add(name, value)
    if request.is_secure and "strict-transport-security" not in present:
        headers.add("Strict-Transport-Security", HSTS)
    if response.status_code != 429 and "retry-after" in present:
        # Flask-Limiter announces Retry-After on every answer it counts, the later of its
        # window's end and any the app set: it only means something on 429. Elsewhere
        # only the app's own (a 503's few seconds: `retry_after`) is kept.
        if own := g.get("retry_after"):
            headers["Retry-After"] = own
        elif "x-ratelimit-limit" in present:
            headers.remove("Retry-After")
    if _is_private():
        headers["Cache-Control"] = "no-store"
        response.vary.add("Cookie")
    elif _names_a_secret():
        headers["Cache-Control"] = "no-store"
    return response


def _is_private() -> bool:
    """Answers for a signed-in person (token or session) must never be cached."""
    return (
        request.path.startswith("/api/v1/")
        or request.authorization is not None
        or "_user_id" in session
    )


def _names_a_secret() -> bool:
    """A page whose address holds a secret (a password link's or a file link's token),
    answered before anyone signs in: no cache may keep it, for the next user of the
    browser or a shared proxy to replay. Every route that takes a `<token>` is one."""
    return "token" in (request.view_args or ())


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """The session cookie is `Secure` whenever the request came over HTTPS.

    A request without a session cookie (every API call: bearer tokens) gets its empty
    session without a signing serializer being built for it, and one whose session
    was never touched skips the cookie work on the way out.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if session or session.modified or session.accessed:
            super().save_session(app, session, response)

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure
