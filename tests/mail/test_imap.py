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
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.mail.conftest import corpus, free_port
from ticketdesk.mail.imap import ImapSettings, fetch_mail
from ticketdesk.models import Comment, Role, Ticket

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
    mail_app.config.update(
        IMAP_HOST=imap_server.host,
        IMAP_PORT=imap_server.port,
        IMAP_TLS=False,
        IMAP_USER=imap_server.user,
        IMAP_PASSWORD=imap_server.password,
    )
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


def test_message_stays_unseen_when_intake_fails(imap_server):
    append(imap_server, corpus("plain.eml"))

    def broken(raw: bytes):
        raise RuntimeError("database unavailable")

    with pytest.raises(RuntimeError):
        fetch_mail(imap_server, broken)
    assert unseen(imap_server) == 1
    received = []
    assert fetch_mail(imap_server, received.append) == 1
    assert b"Printer on fire" in received[0]
