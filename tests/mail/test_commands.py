"""The mail commands as an operator runs them."""

from __future__ import annotations

from pathlib import Path

from tests.mail.conftest import corpus


def test_worker_once_writes_eml_files_when_no_smtp_is_configured(app, customer, factory):
    factory.ticket(customer)
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "Sent 1, retrying 0, dead 0." in result.output
    files = list((Path(app.instance_path) / "outbox").glob("*.eml"))
    assert len(files) == 1
    assert b"We have received your request" in files[0].read_bytes()


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
