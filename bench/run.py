"""`make bench`: seed a fresh database, serve it with gunicorn, measure each operation.

    python -m bench --size 10k --db sqlite      (or SIZE=100k DB=postgres make bench)
    python -m bench --size 1m --database-url postgresql://…/seeded   (measure again, no seeding)

Prints requests/s, p50 and p99 per operation next to the ceiling (a bare Flask +
SQLAlchemy endpoint listing 25 tickets, served the same way, measured in slices
alternating with each operation's) and writes the numbers with a description of the
machine to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from bench import operations
from bench.cpu import tree_cpu_seconds
from bench.load import Result, call, drive
from ticketdesk.cli import SERVE_THREADS, gunicorn_command

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
# Seconds of warm-up before each slice after an operation's first: the servers are warm.
SLICE_WARMUP = 0.5
PASSWORD = "bench-password"


def main(argv: list[str] | None = None) -> None:
    args = _parse(argv)
    tickets = SIZES.get(args.size.lower()) or int(args.size)
    workdir = Path(tempfile.mkdtemp(prefix="ticketdesk-bench-"))
    database_url = args.database_url or _fresh_database(args.db, workdir, args.postgres_url)
    env = {
        **os.environ,
        "TICKETDESK_INSTANCE_PATH": str(workdir),
        "TICKETDESK_DATABASE_URL": database_url,
        "BENCH_DATABASE_URL": _sqlalchemy_url(database_url),
        # The requester's confirmation is still mailed; 20 staff notices per ticket are not,
        # since each is composed inside the request (see docs/performance.md).
        "TICKETDESK_MAIL_NOTIFY_STAFF_ON_NEW_TICKET": "false",
        # 8 clients on one token would hit the per-client API limit within seconds.
        "TICKETDESK_RATELIMIT_ENABLED": "false",
    }
    servers = []
    try:
        if not args.database_url:
            _run([_ticketdesk(), "init"], env, quiet=True)
            print(f"Seeding {tickets:,} tickets into {args.db} …", flush=True)
            _run([_ticketdesk(), "seed", str(tickets), "--password", PASSWORD], env)
        app_port, ceiling_port = _free_port(), _free_port()
        serve = [_ticketdesk(), "serve", "--port", str(app_port), "--workers", str(args.workers)]
        servers.append(_start(serve, env, workdir / "app.log"))
        servers.append(
            _start(_gunicorn_ceiling(ceiling_port, args.workers), env, workdir / "ceiling.log")
        )
        _wait_ready(app_port, "/healthz")
        _wait_ready(ceiling_port, "/ceiling")
        try:
            context = operations.prepare(partial(call, app_port), PASSWORD, tickets)
            app = Server(app_port, partial(tree_cpu_seconds, servers[0].pid))
            ceiling = Server(ceiling_port, partial(tree_cpu_seconds, servers[1].pid))
            results, ceilings = _measure(args, app, ceiling, context)
        except BaseException:
            log = (workdir / "app.log").read_text(errors="replace").splitlines()
            print("\n".join(line for line in log[-40:] if "GET /" not in line), file=sys.stderr)
            raise
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
        if args.db == "postgres" and not args.database_url:
            _drop_postgres(args.postgres_url, database_url)
        shutil.rmtree(workdir, ignore_errors=True)
    report = _report(args, tickets, results, ceilings, context)
    _print(report)
    _save(report)


def _parse(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="10k", help="10k, 100k, 1m, or a number of tickets")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per operation")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument(
        "--rounds", type=int, default=4, help="slices of each operation, between ceiling slices"
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="a server where a scratch database may be created (DB=postgres)",
    )
    parser.add_argument("--only", nargs="*", help="measure only these operations")
    parser.add_argument(
        "--database-url",
        help="measure this database, seeded before with `ticketdesk seed` (its size as"
        " --size), instead of a fresh one: a 1m seed takes minutes, and it is kept",
    )
    args = parser.parse_args(argv)
    if args.database_url:
        args.db = "sqlite" if args.database_url.startswith("sqlite") else "postgres"
    return args


@dataclass(frozen=True)
class Server:
    """Where a served app listens, and how to read its processes' CPU seconds."""

    port: int
    cpu: Callable[[], float | None]


def _measure(args, app: Server, ceiling_server: Server, context) -> tuple[dict, dict]:
    """Each operation in `args.rounds` slices, each slice between two of the ceiling.

    The machine is shared: its speed drifts over minutes and dips for seconds at a
    time. With the ceiling measured once at the start, a ticket read came out at 0.59
    of it in one run and 0.41 in the next; alternating short slices put the same dips
    on both sides of each ratio. Returns the results by name ("ceiling": all of its
    slices) and the ceiling measured around each operation.
    """
    results, ceilings = {}, {}
    ceiling = operations.factory("ceiling", context)
    names = [name for name in operations.NAMES if not args.only or name in args.only]
    length = args.duration / args.rounds
    for name in names:
        make = operations.factory(name, context)
        if make is None:
            print(f"  {name:<16} skipped: {context['skipped'].get(name, 'not available')}")
            continue
        slices, around = [], [_drive(args, ceiling_server, ceiling, length / 2, args.warmup)]
        for round_ in range(args.rounds):
            warmup = args.warmup if round_ == 0 else SLICE_WARMUP
            slices.append(_drive(args, app, make, length, warmup))
            around.append(_drive(args, ceiling_server, ceiling, length / 2, SLICE_WARMUP))
        results[name], ceilings[name] = Result.combined(slices), Result.combined(around)
        _show(name, results[name], ceilings[name])
    return {"ceiling": Result.combined(list(ceilings.values())), **results}, ceilings


def _drive(args, server: Server, make, duration: float, warmup: float) -> Result:
    return drive(
        server.port,
        make,
        connections=args.connections,
        warmup=warmup,
        duration=duration,
        cpu=server.cpu,
    )


def _show(name: str, result: Result, ceiling: Result) -> None:
    print(
        f"  {name:<16} {result.rate:8.0f} req/s  p50 {result.percentile(0.5):7.1f} ms"
        f"  p99 {result.percentile(0.99):7.1f} ms  errors {result.errors}"
        f"  server CPU {_cpu_ms(result)} ms/req"
        f"  (ceiling around it {ceiling.rate:.0f} req/s, {_cpu_ms(ceiling)} ms/req)",
        flush=True,
    )


def _cpu_ms(result: Result) -> str:
    return "?" if result.server_cpu_ms is None else f"{result.server_cpu_ms:.2f}"


def _report(args, tickets: int, results: dict, ceilings: dict, context: dict) -> dict:
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "db": args.db,
        "tickets": tickets,
        "connections": args.connections,
        "workers": args.workers,
        "duration_s": args.duration,
        "rounds": args.rounds,
        "machine": _machine(args.db, args.postgres_url),
        "skipped": context["skipped"],
        "operations": {
            name: _row(result, ceilings.get(name, result)) for name, result in results.items()
        },
    }


def _row(result: Result, ceiling: Result) -> dict:
    return {
        "requests_per_s": round(result.rate, 1),
        "p50_ms": round(result.percentile(0.5), 2),
        "p99_ms": round(result.percentile(0.99), 2),
        "errors": result.errors,
        "requests": result.requests,
        "ceiling_requests_per_s": round(ceiling.rate, 1),
        "ratio_to_ceiling": round(result.rate / (ceiling.rate or 1.0), 2),
        "server_cpu_ms": _rounded(result.server_cpu_ms),
        "ceiling_server_cpu_ms": _rounded(ceiling.server_cpu_ms),
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _print(report: dict) -> None:
    print()
    print(f"{report['db']}, {report['tickets']:,} tickets, {report['connections']} connections")
    print(
        f"{'operation':<16} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'x ceiling':>10}"
        f" {'CPU ms/req':>11} {'CPU / ceiling':>14}"
    )
    for name, row in report["operations"].items():
        cpu, ceiling_cpu = row.get("server_cpu_ms"), row.get("ceiling_server_cpu_ms")
        cpu_ratio = f"{cpu / ceiling_cpu:14.2f}" if cpu and ceiling_cpu else ""
        print(
            f"{name:<16} {row['requests_per_s']:>8.0f} {row['p50_ms']:>8.1f} "
            f"{row['p99_ms']:>8.1f} {row['ratio_to_ceiling']:>10.2f}"
            f" {'' if cpu is None else f'{cpu:.2f}':>11} {cpu_ratio}"
        )
    for name, why in report["skipped"].items():
        print(f"{name:<16} skipped: {why}")


def _save(report: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = report["when"].replace(":", "").replace("-", "")
    path = RESULTS / f"{stamp}-{report['db']}-{report['tickets']}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nWrote {path.relative_to(ROOT)}")


def _machine(db: str, postgres_url: str) -> dict:
    machine = {
        **_cpu(),
        "cpus": os.cpu_count(),
        "system": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }
    if db == "postgres":
        import psycopg

        with psycopg.connect(postgres_url) as connection:
            machine["postgresql"] = connection.execute("SHOW server_version").fetchone()[0]
    return machine


def _cpu() -> dict:
    """The CPU's name, and its family, model and clock where Linux tells them.

    VMs often name the CPU only "AMD EPYC": two such machines of this project ran the
    same commit's ceiling at 350 and 1,100 requests/s (2026-12-06), and only the family
    and model told them apart.
    """
    cpuinfo = Path("/proc/cpuinfo")
    text = cpuinfo.read_text() if cpuinfo.exists() else ""

    def field(name: str) -> str | None:
        match = re.search(rf"^{name}\s*:\s*(.+)$", text, re.MULTILINE)
        return match.group(1).strip() if match else None

    found = {"cpu": field("model name") or "unknown"}
    if field("cpu family") and field("model"):
        found["cpu_model"] = f"family {field('cpu family')} model {field('model')}"
    if field("cpu MHz"):
        found["cpu_mhz"] = round(float(field("cpu MHz")))
    return found


def _fresh_database(db: str, workdir: Path, postgres_url: str) -> str:
    if db == "sqlite":
        return f"sqlite:///{workdir / 'bench.sqlite3'}"
    import psycopg

    name = f"ticketdesk_bench_{os.getpid()}"
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return postgres_url.rsplit("/", 1)[0] + "/" + name


def _drop_postgres(postgres_url: str, database_url: str) -> None:
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def _ticketdesk() -> str:
    return str(Path(sys.executable).with_name("ticketdesk"))


def _gunicorn_ceiling(port: int, workers: int) -> list[str]:
    """The ceiling, served exactly as `ticketdesk serve` serves the app (access log too)."""
    return gunicorn_command(
        "bench.ceiling:create_app()",
        host="127.0.0.1",
        port=port,
        workers=workers,
        threads=SERVE_THREADS,
    )


def _run(command: list[str], env: dict, *, quiet: bool = False) -> None:
    output = subprocess.DEVNULL if quiet else None
    subprocess.run(command, env=env, check=True, stdout=output, stderr=output)


def _start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    with open(log, "wb") as output:
        return subprocess.Popen(command, env=env, cwd=ROOT, stdout=output, stderr=output)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(port: int, path: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if call(port, "GET", path)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"The server on port {port} did not answer {path} in {timeout:.0f} s.")
