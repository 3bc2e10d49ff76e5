"""Cross-cutting protection: response headers, trusted proxies, rate limits."""

from __future__ import annotations

from flask import Flask
from flask_cors import CORS

from ticketdesk.security import headers, limits


def init_app(app: Flask) -> None:
    headers.init_app(app)
    limits.init_app(app)
    _allow_cross_site_api_calls(app)


def _allow_cross_site_api_calls(app: Flask) -> None:
    """CORS stays off unless an allow-list of origins is configured, and then only for the API.

    Bearer tokens, never cookies: no credentials are allowed cross-site.
    """
    origins = app.config["CORS_ORIGINS"]
    if origins:
        CORS(app, resources={r"/api/*": {"origins": list(origins)}}, supports_credentials=False)
