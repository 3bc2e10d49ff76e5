"""Cross-cutting protection: response headers, trusted proxies, rate limits."""

from __future__ import annotations

from flask import Flask

from ticketdesk.security import headers, limits


def init_app(app: Flask) -> None:
    headers.init_app(app)
    limits.init_app(app)
