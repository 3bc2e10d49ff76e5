"""A WSGI app that answers with how many objects the collector has frozen in its worker."""

from __future__ import annotations

import gc


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(gc.get_freeze_count()).encode()]
