"""`ticketdesk fetch-mail` against a real IMAP server: a private Dovecot on a loopback port."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from email import message_from_bytes
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from tests.mail.conftest import corpus, free_port
from ticketdesk.mail.imap import Fetched, ImapSettings, fetch_mail
from ticketdesk.mail.intake import IntakeUnavailable, MailIntake
from ticketdesk.models import Comment, FailedMail, Role, Ticket

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "support", "imap-test-password"

# Skipped on a developer machine without Dovecot; never in CI, where .ci/run installs it.
pytestmark = pytest.mark.skipif(
    not os.path.exists(DOVECOT) and not os.environ.get("CI"),
    reason="Dovecot is not installed (.ci/run installs it)",
)


def _dovecot_config(root, port: int) -> str:
    if os.geteuid() == 0:  # mail processes may not run as root; nor need the package's users
        uid, gid = 65534, 65534
        run_as = "default_internal_user = nobody\ndefault_login_user = nobody\n"
        os.chown(root / "home", uid, gid)
    else:
        me = pwd.getpwuid(os.geteuid()).pw_name
        uid, gid = os.geteuid(), os.getegid()
        run_as = f"default_internal_user = {me}\ndefault_login_user = {me}\n"
    return f"""{run_as}base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def _wait_for(port: int, process: subprocess.Popen, log) -> None:
    for _ in range(100):
        if process.poll() is not None:
            raise RuntimeError(f"dovecot exited: {log.read_text() if log.exists() else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("dovecot did not start listening")


@pytest.fixture
def imap_server():
    """Dovecot serving one mailbox; yields settings for it."""
    # Not under pytest's private tmp dir: Dovecot's unprivileged processes must read it.
    root = Path(tempfile.mkdtemp(prefix="ticketdesk-dovecot-"))
    root.chmod(0o755)
    for name in ("run", "state", "home"):
        (root / name).mkdir()
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    port = free_port()
    (root / "dovecot.conf").write_text(_dovecot_config(root, port))
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port, process, root / "dovecot.log")
        yield ImapSettings(host="127.0.0.1", port=port, tls=False, user=USER, password=PASSWORD)
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


def append(settings: ImapSettings, *messages: bytes) -> None:
    with imaplib.IMAP4(settings.host, settings.port) as client:
        client.login(settings.user, settings.password)
        for raw in messages:
            client.append("INBOX", None, None, raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        client.logout()


def unseen(settings: ImapSettings) -> int:
    with imaplib.IMAP4(settings.host, settings.port) as client:
        client.login(settings.user, settings.password)
        client.select("INBOX")
        _, data = client.uid("SEARCH", None, "UNSEEN")
        client.logout()
    return len(data[0].split())


def test_fetch_mail_command_turns_the_mailbox_into_tickets(
    mail_app, imap_server, inspect_db, factory
):
    alice = factory.user(Role.CUSTOMER, email="alice@customer.example.com")
    ticket = factory.ticket(alice, title="Printer on fire")
    append(
        imap_server,
        corpus("html_only.eml"),
        corpus("gmail_reply.eml", ticket_id=ticket.id),
        corpus("auto_reply.eml", ticket_id=ticket.id),
        corpus("malformed.eml") + b"\r\n",
    )
    use_mailbox(mail_app, imap_server)
    result = mail_app.test_cli_runner().invoke(args=["fetch-mail"])
    assert result.exit_code == 0, result.output
    assert "Fetched 4 message(s)." in result.output
    titles = inspect_db(lambda s: sorted(s.scalars(select(Ticket.title))))
    assert titles == ["Login page broken", "Printer on fire"]
    bodies = inspect_db(lambda s: list(s.scalars(select(Comment.body))))
    assert bodies == ["Thanks, the fire is out now."]
    assert unseen(imap_server) == 0
    again = mail_app.test_cli_runner().invoke(args=["fetch-mail"])
    assert "Fetched 0 message(s)." in again.output


def use_mailbox(app, settings: ImapSettings, **config) -> None:
    app.config.update(
        IMAP_HOST=settings.host,
        IMAP_PORT=settings.port,
        IMAP_TLS=False,
        IMAP_USER=settings.user,
        IMAP_PASSWORD=settings.password,
        **config,
    )


def subject_of(raw: bytes) -> str:
    return message_from_bytes(raw)["Subject"]


def test_a_temporary_failure_leaves_the_message_unseen_and_ends_the_run(imap_server):
    append(imap_server, corpus("plain.eml"), corpus("html_only.eml"))
    tried = []

    def unavailable(raw: bytes):
        tried.append(raw)
        raise IntakeUnavailable("database unavailable")

    with pytest.raises(IntakeUnavailable):
        fetch_mail(imap_server, unavailable)
    assert (len(tried), unseen(imap_server)) == (1, 2)
    received = []
    assert fetch_mail(imap_server, received.append) == Fetched(handled=2)
    assert b"Printer on fire" in received[0]


def test_an_error_on_one_message_leaves_it_unseen_and_goes_on(imap_server):
    append(imap_server, corpus("plain.eml"), corpus("html_only.eml"))
    received = []

    def broken_on_the_printer(raw: bytes):
        if subject_of(raw) == "Printer on fire":
            raise RuntimeError("cannot take this one")
        received.append(subject_of(raw))

    assert fetch_mail(imap_server, broken_on_the_printer) == Fetched(handled=1, left=1)
    assert received == ["Login page broken"] and unseen(imap_server) == 1


@pytest.fixture
def poison(monkeypatch):
    """Processing a message with this subject fails as a bug would (a DataError, say)."""
    route = MailIntake._route

    def failing(intake, mail, **options):
        if mail.subject == "Printer on fire":
            raise ValueError("a bug meeting this message")
        return route(intake, mail, **options)

    monkeypatch.setattr(MailIntake, "_route", failing)


def test_fetch_mail_keeps_a_message_it_cannot_process_and_fetches_the_rest(
    mail_app, imap_server, inspect_db, poison
):
    append(imap_server, corpus("html_only.eml"), corpus("plain.eml"))
    append(imap_server, corpus("no_message_id.eml"))
    use_mailbox(mail_app, imap_server)
    result = mail_app.test_cli_runner().invoke(args=["fetch-mail"])
    assert result.exit_code == 0, result.output
    assert "Fetched 3 message(s)." in result.output
    titles = inspect_db(lambda s: sorted(s.scalars(select(Ticket.title))))
    assert titles == ["Login page broken", "No message id here"]
    failed = inspect_db(lambda s: [(f.reason, f.raw) for f in s.scalars(select(FailedMail))])
    assert [reason for reason, _ in failed] == ["could not be processed: ValueError (see the log)"]
    assert b"the printer on floor 3 is on fire" in failed[0][1]
    assert unseen(imap_server) == 0


class StopPolling(Exception):
    pass


def test_fetch_mail_loop_carries_on_after_the_database_was_unavailable(
    mail_app, imap_server, inspect_db, monkeypatch
):
    append(imap_server, corpus("plain.eml"))
    use_mailbox(mail_app, imap_server, IMAP_POLL_SECONDS=0)
    route = MailIntake._route
    polls = []

    def database_down_at_first(intake, mail, **options):
        if len(polls) == 0:
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))
        return route(intake, mail, **options)

    def sleep(seconds):
        polls.append(seconds)
        if len(polls) == 2:
            raise StopPolling

    monkeypatch.setattr(MailIntake, "_route", database_down_at_first)
    monkeypatch.setattr("ticketdesk.mail.cli.time.sleep", sleep)
    result = mail_app.test_cli_runner().invoke(args=["fetch-mail", "--loop"])
    assert isinstance(result.exception, StopPolling), result.output
    assert "Fetched 1 message(s)." in result.output
    assert inspect_db(lambda s: list(s.scalars(select(Ticket.title)))) == ["Printer on fire"]
    assert inspect_db(lambda s: s.scalars(select(FailedMail)).all()) == []


def test_fetch_mail_without_loop_says_the_database_is_unavailable(
    mail_app, imap_server, monkeypatch
):
    append(imap_server, corpus("plain.eml"))
    use_mailbox(mail_app, imap_server)

    def database_down(intake, mail, **options):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(MailIntake, "_route", database_down)
    result = mail_app.test_cli_runner().invoke(args=["fetch-mail"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: mail intake unavailable: OperationalError")
    assert unseen(imap_server) == 1


def test_fetch_mail_names_a_missing_folder_in_one_line(mail_app, imap_server):
    use_mailbox(mail_app, imap_server, IMAP_FOLDER="Tickets")
    for args in (["fetch-mail"], ["fetch-mail", "--loop"]):
        result = mail_app.test_cli_runner().invoke(args=args)
        assert result.exit_code == 1
        assert result.output.startswith('Error: IMAP folder "Tickets" cannot be opened: ')
        assert "exist" in result.output and result.output.count("\n") == 1


def test_mail_refused_over_imap_is_listed_for_admins_with_its_reason(
    mail_app, imap_server, factory, as_admin
):
    factory.deactivate(factory.user(Role.CUSTOMER, email="alice@customer.example.com"))
    append(imap_server, corpus("plain.eml"))
    use_mailbox(mail_app, imap_server)
    result = mail_app.test_cli_runner().invoke(args=["fetch-mail"])
    assert "Fetched 1 message(s)." in result.output and unseen(imap_server) == 0
    listed = as_admin.get("/api/v1/admin/inbound-mail?outcome=rejected").json["items"]
    assert [(m["sender"], m["subject"], m["reason"]) for m in listed] == [
        ("alice@customer.example.com", "Printer on fire", "the account is deactivated")
    ]
