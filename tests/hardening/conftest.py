"""A real server for fault tests: `ticketdesk` under gunicorn on a loopback port.

Each test gets its own database (a SQLite file, or a fresh PostgreSQL database),
initialised by the same code as `ticketdesk init`, with a staff member and a
customer whose bearer tokens the test drives the server with.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from http.client import HTTPConnection
from pathlib import Path

import pytest

from tests.ports import free_port
from ticketdesk.app import create_app
from ticketdesk.cli import initialise_database
from ticketdesk.extensions import db
from ticketdesk.models import Role
from ticketdesk.services import api_tokens, user_manager

PASSWORD = "fault tests password"


@dataclass
class LiveServer:
    """A gunicorn process serving one database; restartable, killable."""

    database_url: str
    instance: Path
    workers: int = 2
    threads: int = 4
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "TICKETDESK_DATABASE_URL": self.database_url,
            "TICKETDESK_SECRET_KEY": "fault-test-secret",
            "TICKETDESK_INSTANCE_PATH": str(self.instance),
            "TICKETDESK_BCRYPT_ROUNDS": "4",
            "TICKETDESK_RATELIMIT_ENABLED": "false",
        }

    def start(self) -> None:
        with open(self.instance / "gunicorn.log", "ab") as log:
            self._spawn(log)
        self._wait_until_healthy()

    def _spawn(self, log) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--threads",
                str(self.threads),
                "--graceful-timeout",
                "2",
                "ticketdesk.app:create_app()",
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server did not start: " + (self.instance / "gunicorn.log").read_text())

    def kill(self) -> None:
        """SIGKILL the whole server, master and workers, mid-request if need be."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def call(self, method: str, path: str, body=None, *, role="staff", headers=None, timeout=10):
        """One request on a fresh connection: (status, parsed JSON or None, headers)."""
        connection = HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            all_headers = {"Authorization": f"Bearer {self.tokens[role]}", **(headers or {})}
            payload = None
            if body is not None:
                payload = json.dumps(body)
                all_headers["Content-Type"] = "application/json"
            connection.request(method, path, body=payload, headers=all_headers)
            response = connection.getresponse()
            data = response.read()
            parsed = (
                json.loads(data)
                if data and "json" in response.getheader("Content-Type", "")
                else None
            )
            return response.status, parsed, dict(response.getheaders())
        finally:
            connection.close()


def prepare_database(url: str, instance: Path) -> dict[str, str]:
    """Initialise the schema as `ticketdesk init` does; make a staff member and a customer."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "BCRYPT_ROUNDS": 4})
    app.instance_path = str(instance)
    tokens = {}
    with app.app_context():
        initialise_database()
        users = user_manager()
        for role in (Role.STAFF, Role.CUSTOMER):
            email = f"{role}@faults.example.com"
            users.create_user_unchecked(name=role, email=email, password=PASSWORD, role=role)
            _, secret = api_tokens().create_token(email=email, password=PASSWORD, name="t")
            tokens[str(role)] = secret
        db.session.remove()
        db.engine.dispose()
    return tokens


@pytest.fixture
def live_server(empty_database_url, tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    server = LiveServer(empty_database_url, instance)
    server.tokens = prepare_database(empty_database_url, instance)
    server.start()
    yield server
    server.stop()
