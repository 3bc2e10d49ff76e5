"""`ticketdesk serve` runs gunicorn with our settings: workers freeze their start-up objects."""

from __future__ import annotations

import contextlib
import http.client
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from tests.ports import free_port
from ticketdesk.cli import gunicorn_command

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


def test_served_workers_freeze_what_they_loaded():
    with serving("tests.perf.freeze_probe:app") as port:
        frozen = _get(port, "/")
    # Gunicorn and the probe alone leave thousands of objects; an unfrozen worker has none.
    assert int(frozen) > 1000


def test_gunicorn_leaves_forwarded_headers_to_the_app():
    """A client's own X-Forwarded-Proto must not make plain HTTP pass for HTTPS: the app
    trusts forwarded headers only from the proxies TRUSTED_PROXIES counts."""
    with serving("tests.perf.scheme_probe:app") as port:
        scheme = _get(port, "/", headers={"X-Forwarded-Proto": "https"})
    assert scheme == "http"


@contextlib.contextmanager
def serving(app: str) -> Iterator[int]:
    """Run `app` under gunicorn as `ticketdesk serve` does (one worker, one thread) and
    yield the port on HOST once it answers; stop the server and reap it afterwards."""
    port = free_port()
    command = gunicorn_command(app, host=HOST, port=port, workers=1, threads=1)
    server = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_until_answering(port, deadline=time.monotonic() + 30)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_until_answering(port: int, deadline: float) -> None:
    while True:
        try:
            _get(port, "/")
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _get(port: int, path: str, headers: dict | None = None) -> str:
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        connection.request("GET", path, headers=headers or {})
        return connection.getresponse().read().decode()
    finally:
        connection.close()
