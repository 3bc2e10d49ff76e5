"""The mail commands as an operator runs them."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.mail.conftest import corpus
from tests.ports import free_port
from tests.test_config import ticketdesk


def test_worker_once_writes_eml_files_when_no_smtp_is_configured(app, customer, factory):
    factory.ticket(customer)
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "Sent 1, retrying 0, dead 0." in result.output
    files = list((Path(app.instance_path) / "outbox").glob("*.eml"))
    assert len(files) == 1
    assert b"We have received your request" in files[0].read_bytes()


def test_outbox_retry_dead_sends_every_dead_message_again(
    mail_app, smtp_server, deliver, customer, factory
):
    mail_app.config["MAIL_NOTIFY_STAFF_ON_NEW_TICKET"] = False
    factory.ticket(customer)
    factory.ticket(customer)
    smtp_server.answer("550 relay down", "550 relay down")
    assert deliver().dead == 2

    result = mail_app.test_cli_runner().invoke(args=["outbox", "retry-dead"])

    assert result.exit_code == 0, result.output
    assert "2 dead message(s) will be sent again" in result.output
    assert deliver().sent == 2 and len(smtp_server.messages) == 2


def test_worker_once_sends_over_smtp(mail_app, smtp_server, customer, factory):
    mail_app.config["MAIL_NOTIFY_STAFF_ON_NEW_TICKET"] = False
    factory.ticket(customer)
    result = mail_app.test_cli_runner().invoke(args=["worker", "--once"])
    assert "Sent 1," in result.output
    assert len(smtp_server.messages) == 1


def test_fetch_mail_needs_a_host(app):
    result = app.test_cli_runner().invoke(args=["fetch-mail"])
    assert result.exit_code != 0 and "TICKETDESK_IMAP_HOST" in result.output


def test_commands_are_registered(app):
    commands = app.cli.list_commands(None)
    assert {"worker", "fetch-mail", "lmtp"} <= set(commands)
    assert corpus("plain.eml")  # the corpus ships with the tests


@pytest.mark.parametrize(
    ("option", "value", "refusal"),
    [
        ("--batch", "0", "0 is not in the range 1<=x<=1000."),  # --once never returned
        ("--batch", "-5", "-5 is not in the range 1<=x<=1000."),
        ("--interval", "nan", "'nan' is not a number of seconds."),
        ("--interval", "-1", "-1.0 is not in the range 0.1<=x<=86400."),
    ],
)
def test_worker_refuses_a_batch_or_interval_it_cannot_work_with(
    app, database_url, option, value, refusal
):
    """In a process of its own, which `ticketdesk`'s timeout ends: a batch of 0 or -5
    spun forever, and would hang the test run rather than fail it."""
    result = ticketdesk(
        "worker", "--once", option, value, environ=operator_environ(app, database_url)
    )
    assert result.returncode == 2
    assert f"Invalid value for '{option}': {refusal}" in result.stderr


@pytest.mark.parametrize("port", ["0", "99999"])
def test_lmtp_refuses_a_port_out_of_range(app, database_url, port):
    """`--port 0` listened on LMTP_PORT instead, until interrupted (here, by `ticketdesk`'s
    timeout, in a process of its own); 99999 ended in a traceback."""
    environ = {**operator_environ(app, database_url), "TICKETDESK_LMTP_PORT": str(free_port())}
    result = ticketdesk("lmtp", "--port", port, environ=environ)
    assert result.returncode == 2
    assert f"{port} is not in the range 1<=x<=65535." in result.stderr


def test_lmtp_says_in_one_line_that_its_port_is_taken(app):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = app.test_cli_runner().invoke(args=["lmtp", "--port", str(port)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: Cannot listen on 127.0.0.1:{port}: ")
    assert "address already in use" in result.output and len(result.output.splitlines()) == 1


def test_lmtp_says_in_one_line_that_its_host_does_not_resolve(app):
    args = ["lmtp", "--host", "no-such-host.invalid", "--port", str(free_port())]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 1
    assert result.output.startswith("Error: Cannot listen on no-such-host.invalid:")
    assert len(result.output.splitlines()) == 1


def test_worker_logs_each_line_once(app, database_url, customer, factory):
    """Flask's handler and a root handler both printed every line."""
    factory.ticket(customer)
    result = ticketdesk("worker", "--once", environ=operator_environ(app, database_url))
    assert result.returncode == 0, result.stderr
    batches = [line for line in result.stderr.splitlines() if "BatchResult(" in line]
    assert len(batches) == 1, result.stderr


def operator_environ(app, database_url: str) -> dict[str, str]:
    """What an operator's shell gives the console script: the test's database and folder."""
    return {
        "TICKETDESK_DATABASE_URL": database_url,
        "TICKETDESK_INSTANCE_PATH": app.instance_path,
        "TICKETDESK_SECRET_KEY": "test-secret",
    }
