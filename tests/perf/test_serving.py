"""`ticketdesk serve` runs gunicorn with our settings: workers freeze their start-up objects."""

from __future__ import annotations

import http.client
import subprocess
import time
from pathlib import Path

from tests.ports import free_port
from ticketdesk.cli import gunicorn_command

ROOT = Path(__file__).resolve().parents[2]


def test_served_workers_freeze_what_they_loaded():
    port = free_port()
    command = gunicorn_command(
        "tests.perf.freeze_probe:app", host="127.0.0.1", port=port, workers=1, threads=1
    )
    server = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        frozen = _get(port, "/", deadline=time.monotonic() + 30)
    finally:
        server.terminate()
        server.wait(timeout=30)
    # Gunicorn and the probe alone leave thousands of objects; an unfrozen worker has none.
    assert int(frozen) > 1000


def test_gunicorn_leaves_forwarded_headers_to_the_app():
    """A client's own X-Forwarded-Proto must not make plain HTTP pass for HTTPS: the app
    trusts forwarded headers only from the proxies TRUSTED_PROXIES counts."""
    port = free_port()
    command = gunicorn_command(
        "tests.perf.scheme_probe:app", host="127.0.0.1", port=port, workers=1, threads=1
    )
    server = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        forwarded = {"X-Forwarded-Proto": "https"}
        scheme = _get(port, "/", deadline=time.monotonic() + 30, headers=forwarded)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert scheme == "http"


def _get(port: int, path: str, deadline: float, headers: dict | None = None) -> str:
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                connection.request("GET", path, headers=headers or {})
                return connection.getresponse().read().decode()
            finally:
                connection.close()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
