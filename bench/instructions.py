"""Instructions per request, counted by valgrind's callgrind: the same on a busy machine.

    python -m bench.instructions --size 10k     (or: make bench-instructions)

Seeds a database as `make bench` does, then runs the ceiling and each operation
in-process under callgrind, calling the WSGI app with environs built beforehand, and
counts only the measured requests (after a warm-up). The counts leave out gunicorn,
the network and the load generator, and they do not move with whatever else the
machine is doing, so they show what a change saves; requests/s under load is still
`make bench`.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from werkzeug.test import EnvironBuilder

from bench import operations
from bench.run import PASSWORD, SIZES, _fresh_database, _run, _sqlalchemy_url, _ticketdesk

WARMUP = 10


def main(argv: list[str] | None = None) -> None:
    args = _parse(argv)
    if args.measure:
        _measure(args.measure, args.requests, args.tickets)
        return
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is needed (apt-get install valgrind).")
    tickets = SIZES.get(args.size.lower()) or int(args.size)
    workdir = Path(tempfile.mkdtemp(prefix="ticketdesk-instructions-"))
    try:
        env = _environment(workdir, _fresh_database("sqlite", workdir, ""))
        _run([_ticketdesk(), "init"], env, quiet=True)
        _run([_ticketdesk(), "seed", str(tickets), "--password", PASSWORD], env, quiet=True)
        names = ["ceiling", *operations.NAMES]
        chosen = [name for name in names if not args.only or name in args.only]
        counts = {name: _count(name, args.requests, tickets, env) for name in chosen}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    ceiling = counts.get("ceiling")
    print(f"\nsqlite, {tickets:,} tickets, {args.requests} requests each, in-process")
    print(f"{'operation':<16} {'M instr/request':>16} {'x ceiling':>10}")
    for name, count in counts.items():
        ratio = f"{count / ceiling:10.2f}" if ceiling else ""
        print(f"{name:<16} {count / 1e6:16.2f} {ratio}")


def _parse(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.instructions")
    parser.add_argument("--size", default="10k", help="10k, 100k, 1m, or a number of tickets")
    parser.add_argument("--requests", type=int, default=50, help="measured requests each")
    parser.add_argument("--only", nargs="*", help="count only these operations")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--tickets", type=int, default=10_000, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _environment(workdir: Path, database_url: str) -> dict:
    return {
        **os.environ,
        "TICKETDESK_INSTANCE_PATH": str(workdir),
        "TICKETDESK_DATABASE_URL": database_url,
        "BENCH_DATABASE_URL": _sqlalchemy_url(database_url),
        "TICKETDESK_MAIL_NOTIFY_STAFF_ON_NEW_TICKET": "false",
        "TICKETDESK_RATELIMIT_ENABLED": "false",
    }


def _count(name: str, requests: int, tickets: int, env: dict) -> float:
    """Instructions per request of one operation, from a callgrind run of `_measure`."""
    command = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        "-m",
        "bench.instructions",
        "--measure",
        name,
        "--requests",
        str(requests),
        "--tickets",
        str(tickets),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or not found:
        raise SystemExit(f"{name}: callgrind run failed\n{done.stderr[-2000:]}")
    print(f"  {name:<16} {int(found.group(1)) / requests / 1e6:8.2f} M instructions/request")
    return int(found.group(1)) / requests


def _measure(name: str, requests: int, tickets: int) -> None:
    """Inside callgrind: warm up, then count `requests` requests of one operation.

    Each request's WSGI environ is built before counting starts, and the app is called
    with it directly: Flask's test client added 0.3-0.5 M instructions to every request,
    a sixth of the ceiling's, and flattened every ratio.
    """
    from bench.ceiling import create_app as create_ceiling
    from ticketdesk.app import create_app

    app = create_app()
    make = operations.Operation(
        name, operations.prepare(_in_process(app.test_client(use_cookies=False)), PASSWORD, tickets)
    )
    if name == "ceiling":
        app = create_ceiling()
    rng = random.Random(0)
    environs = [_environ(make(rng, 0, i)) for i in range(WARMUP + requests)]
    for environ in environs[:WARMUP]:
        _call(app, environ)
    # As a gunicorn worker does once started (ticketdesk/serving.py): unfrozen, the
    # collector walked every start-up object, and a module more imported at start-up
    # (2026-12-07: the mail intake, for its 503) read as 1.4 M more a staff page.
    gc.freeze()
    _instrument("on")
    for environ in environs[WARMUP:]:
        _call(app, environ)
    _instrument("off")


def _environ(request: operations.Request) -> dict:
    method, path, headers, body = request
    return EnvironBuilder(path=path, method=method, headers=headers, data=body).get_environ()


def _call(app, environ: dict) -> None:
    """One request straight into the WSGI app, its body read and closed as a server would."""
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"] = status
        return lambda data: None

    body = app(environ, start_response)
    try:
        content = b"".join(body)
    finally:
        getattr(body, "close", lambda: None)()
    if int(answer["status"].split()[0]) >= 400:
        raise SystemExit(
            f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}: {answer['status']}"
            f" {content[:300]!r}"
        )


def _instrument(state: str) -> None:
    subprocess.run(["callgrind_control", "-i", state, str(os.getpid())], capture_output=True)


def _in_process(client) -> operations.Send:
    """`operations.prepare`'s requests, sent through the test client instead of HTTP."""

    def send(method, path, *, headers=None, body=None):
        headers = dict(headers or {})
        if isinstance(body, dict):
            body = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        response = client.open(path, method=method, headers=headers, data=body)
        return response.status_code, dict(response.headers), response.get_data()

    return send


if __name__ == "__main__":
    main()
