"""Commands: `ticketdesk worker`, `fetch-mail`, `lmtp`, `failed-mail list|retry`,
`outbox retry-dead`."""

from __future__ import annotations

import imaplib
import logging
import math
import threading
import time

import click
from flask import current_app
from flask.cli import with_appcontext
from flask.logging import has_level_handler

from ticketdesk.extensions import db
from ticketdesk.settings import DAY_SECONDS


class Seconds(click.FloatRange):
    """A wait in seconds within a range; FloatRange alone lets `nan` through (no
    comparison with it is true), which time.sleep() then refuses."""

    def convert(self, value, param, ctx):
        seconds = super().convert(value, param, ctx)
        if math.isnan(seconds):
            self.fail(f"{value!r} is not a number of seconds.", param, ctx)
        return seconds


@click.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then stop.")
@click.option(
    "--interval",
    default=5.0,
    show_default=True,
    type=Seconds(0.1, DAY_SECONDS),
    help="Seconds between polls.",
)
@click.option(
    "--batch",
    default=20,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Messages claimed at a time.",
)
@with_appcontext
def worker_command(once, interval, batch):
    """Deliver the outbox over SMTP (or to the .eml folder); run as many as you like."""
    from ticketdesk.mail.worker import run_worker, transport_from_config, worker_chores
    from ticketdesk.services import outbox_manager
    from ticketdesk.services.attachments import attachment_manager

    _log_progress()
    config = current_app.config
    transport = transport_from_config(config, current_app.instance_path)
    _check_transport(transport)
    chores = worker_chores(config, outbox_manager, attachment_manager)
    total = run_worker(
        outbox_manager, transport, once=once, interval=interval, batch=batch, chores=chores
    )
    click.echo(f"Sent {total.sent}, retrying {total.retrying}, dead {total.dead}.")


def _check_transport(transport) -> None:
    """Stop at once on a setting that must change (a login the relay refuses), which
    every retry would meet; a relay that is only away is waited for."""
    from ticketdesk.mail.transport import TransportUnavailable

    try:
        transport.check()
    except TransportUnavailable as error:
        if error.misconfigured:
            raise click.ClickException(error.reason) from None
        logging.getLogger(__name__).warning(
            "no mail can be sent yet (%s); the worker will keep trying", error.reason
        )


def _log_progress() -> None:
    """Show the worker's INFO lines, once each: through the app's log handler (Flask's,
    on the `ticketdesk` logger), or a root handler only when there is none."""
    logger = logging.getLogger("ticketdesk")
    logger.setLevel(logging.INFO)
    if not has_level_handler(logger):
        logging.basicConfig(level=logging.INFO)


@click.command("fetch-mail")
@click.option("--loop", is_flag=True, help="Keep polling every IMAP_POLL_SECONDS.")
@with_appcontext
def fetch_mail_command(loop):
    """Turn unseen mail in the IMAP mailbox into tickets and comments."""
    from ticketdesk.mail.imap import FolderMissing, ImapSettings, fetch_mail
    from ticketdesk.mail.intake import IntakeUnavailable, mail_intake

    config = current_app.config
    if not config.get("IMAP_HOST"):
        raise click.ClickException("Set TICKETDESK_IMAP_HOST (and user, password) first.")
    settings = ImapSettings(
        host=config["IMAP_HOST"],
        port=int(config["IMAP_PORT"]),
        tls=bool(config["IMAP_TLS"]),
        user=config.get("IMAP_USER") or "",
        password=config.get("IMAP_PASSWORD") or "",
        folder=config["IMAP_FOLDER"],
    )

    def receive(raw: bytes):
        try:
            return mail_intake().receive(raw)
        finally:
            db.session.remove()

    while True:
        try:
            fetched = fetch_mail(settings, receive)
        except FolderMissing as error:  # a setting to fix: polling again will not help
            raise click.ClickException(str(error)) from None
        except (OSError, imaplib.IMAP4.error, IntakeUnavailable) as error:
            what = "mail intake unavailable" if isinstance(error, IntakeUnavailable) else "IMAP"
            if not loop:
                raise click.ClickException(f"{what}: {error}") from None
            logging.getLogger(__name__).warning("fetch-mail: %s: %s", what, error)
        else:
            click.echo(f"Fetched {fetched.handled} message(s).")
            if fetched.left:
                message = f"{fetched.left} message(s) left unseen after an error (see the log)."
                if not loop:
                    raise click.ClickException(message + " They are tried again next run.")
                click.echo(message, err=True)
        if not loop:
            return
        time.sleep(float(config["IMAP_POLL_SECONDS"]))


@click.command("lmtp")
@click.option("--host", default=None, help="Defaults to LMTP_HOST.")
@click.option("--port", default=None, type=click.IntRange(1, 65535), help="Defaults to LMTP_PORT.")
@with_appcontext
def lmtp_command(host, port):
    """Receive mail pushed by an MTA over LMTP until interrupted."""
    from ticketdesk.mail.lmtp import lmtp_controller

    app = current_app._get_current_object()
    host = host or app.config["LMTP_HOST"]
    port = port if port is not None else int(app.config["LMTP_PORT"])
    controller = lmtp_controller(app, host, port)
    try:
        controller.start()
    except OSError as error:  # a port in use or not ours to take, a host that does not resolve
        reason = error.strerror or str(error)
        raise click.ClickException(f"Cannot listen on {host}:{port}: {reason}") from None
    click.echo(f"LMTP listening on {host}:{port}.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


@click.group("failed-mail")
def failed_mail_group():
    """Mail the intake could not process, kept whole: list it, or send it through again."""


@failed_mail_group.command("list")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@with_appcontext
def failed_mail_list_command(limit):
    """The newest failed mail: id, when, From, subject and why it failed."""
    from ticketdesk.services import dropped_mail
    from ticketdesk.services.inbound_mail import DroppedOutcome

    messages = dropped_mail().list_unchecked(outcome=DroppedOutcome.FAILED, limit=limit)
    for m in messages:
        received = m.received_at.strftime("%Y-%m-%d %H:%M")
        click.echo(f"{m.id}\t{received}\t{m.sender or '-'}\t{m.subject or '-'}\t{m.reason}")
    if not messages:
        click.echo("No failed mail.")


@failed_mail_group.command("retry")
@click.argument("ids", nargs=-1, type=click.IntRange(1, 2**62))
@with_appcontext
def failed_mail_retry_command(ids):
    """Send failed mail (these ids, or all of it, oldest first) through the intake again:
    handled mail is no longer kept, mail that fails again is kept with the new reason."""
    from ticketdesk.mail.intake import IntakeUnavailable
    from ticketdesk.services import dropped_mail
    from ticketdesk.services.errors import NotFound

    failed_again = 0
    for failed_id in dict.fromkeys(ids) or _every_failed_id():  # each id once
        try:
            result = dropped_mail().retry_unchecked(failed_id)
        except NotFound as error:
            click.echo(f"{failed_id}: {error.detail}", err=True)
            failed_again += 1
            continue
        except IntakeUnavailable as error:
            raise click.ClickException(f"mail intake unavailable: {error}") from None
        finally:
            db.session.remove()
        failed_again += result.outcome == "failed"
        click.echo(f"{failed_id}: {_retried(result)}")
    if failed_again:
        raise click.ClickException(f"{failed_again} message(s) not taken in (see above).")


def _every_failed_id() -> list[int]:
    from sqlalchemy import select

    from ticketdesk.models import FailedMail

    return list(db.session.scalars(select(FailedMail.id).order_by(FailedMail.id)))


def _retried(result) -> str:
    """What became of a retried message, in one line."""
    if result.ticket_id is not None:
        return f"{result.outcome} on ticket #{result.ticket_id}"
    return f"{result.outcome}: {result.reason}" if result.reason else result.outcome


@click.group("outbox")
def outbox_group():
    """Outgoing mail that could not be sent."""


@outbox_group.command("retry-dead")
@with_appcontext
def outbox_retry_dead_command():
    """Send every dead message again (after a mail server outage longer than the retries:
    MAIL_MAX_ATTEMPTS, from MAIL_RETRY_BASE_SECONDS apart, doubling)."""
    from ticketdesk.services import outbox_manager

    count = outbox_manager().retry_dead(None)
    click.echo(f"{count} dead message(s) will be sent again by the worker.")


COMMANDS = (worker_command, fetch_mail_command, lmtp_command, failed_mail_group, outbox_group)
