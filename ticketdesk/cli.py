"""The `ticketdesk` command: init, create-user, serve, demo (and Flask's own commands)."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from ticketdesk.config import ConfigError
from ticketdesk.extensions import MIGRATIONS_DIR, db
from ticketdesk.models import Role
from ticketdesk.models.schema_version import schema_missing
from ticketdesk.services import queue_manager, user_manager
from ticketdesk.services.errors import DomainError
from ticketdesk.services.statistics import refresh_statistics

SERVE_THREADS = 4


def main() -> None:
    """Entry point of the console script."""
    _keep_files_private()
    cli = FlaskGroup(create_app=_create_app, add_default_commands=True, add_version_option=False)
    try:
        cli(prog_name="ticketdesk")
    except DBAPIError as error:  # any command (worker, demo, ...) with no database or schema
        if schema_missing(error):
            message = f"The database lacks this release's tables: {_reason(error)}. {RUN_INIT}"
        elif isinstance(error, OperationalError):
            message = f"Cannot open the database: {_reason(error)}"
        else:
            raise
        click.secho(f"Error: {message}", err=True, fg="red")
        sys.exit(1)


def _keep_files_private() -> None:
    """What any command writes (the SQLite file, attachments, mail written to a folder,
    backups) is readable by the service's account alone, whatever umask it started with:
    tickets and their files are no business of a host's other users. Served workers
    inherit it."""
    os.umask(os.umask(0o077) | 0o077)


RUN_INIT = "Run `ticketdesk init` to create or upgrade it."


def _create_app():
    """The app, or one line saying which setting is wrong and exit: every command (and
    `--help`, which lists the app's commands) loads it first."""
    from ticketdesk.app import create_app

    try:
        return create_app()
    except ConfigError as error:
        click.secho(f"Error: {error}", err=True, fg="red")
        sys.exit(1)


def register_commands(app) -> None:
    from ticketdesk.mail.cli import COMMANDS as MAIL_COMMANDS

    for command in (init_command, create_user_command, serve_command, demo_command):
        app.cli.add_command(command)
    from ticketdesk.seed import seed_command

    app.cli.add_command(seed_command)
    app.cli.add_command(cleanup_command)
    app.cli.add_command(previews_command)
    app.cli.add_command(backup_command)
    for command in MAIL_COMMANDS:
        app.cli.add_command(command)


def initialise_database() -> bool:
    """Create or upgrade the schema and the default queue; True if the database was new."""
    from sqlalchemy import inspect

    new = not inspect(db.engine).has_table("alembic_version")
    upgrade(directory=str(MIGRATIONS_DIR), revision="heads")
    queue_manager().ensure_default_queue()
    refresh_statistics(db.session())
    return new


@click.command("init")
@with_appcontext
def init_command():
    """Create the database, or upgrade it to the current schema (safe to repeat)."""
    try:
        new = initialise_database()
    except ProgrammingError as error:
        if getattr(error.orig, "sqlstate", None) != INSUFFICIENT_PRIVILEGE:
            raise
        raise click.ClickException(_refused(error.orig)) from None
    except OperationalError as error:
        raise click.ClickException(_unreachable(error)) from None
    except DomainError as error:
        raise click.ClickException(_describe(error)) from None
    click.echo(("Created" if new else "Upgraded") + f" the database at {db.engine.url!r}.")


# PostgreSQL's code for a statement the account may not run (an extension it may not
# install, say: see README, Configuration).
INSUFFICIENT_PRIVILEGE = "42501"


def _refused(error) -> str:
    """What an operator needs to read when PostgreSQL refuses the account a step of the
    upgrade: the upgrade runs in one transaction, so nothing was changed."""
    reason = error.diag.message_primary
    hint = f" ({error.diag.message_hint.rstrip('.')})" if error.diag.message_hint else ""
    return (
        f"PostgreSQL refused this account a step of the upgrade: {reason}{hint}."
        " Nothing was changed. Have the database's owner or a superuser grant it, or take"
        " that step (see the README, Configuration), then run `ticketdesk init` again."
    )


def _unreachable(error: OperationalError) -> str:
    """The database could not be opened (missing, refused, down): where, and the reason."""
    return f"Cannot open the database at {db.engine.url!r}: {_reason(error)}"


def _reason(error: DBAPIError) -> str:
    """The driver's message in one line (PostgreSQL's LINE/caret lines left out)."""
    message = str(error.orig).split("\nLINE ")[0]
    return " ".join(message.split()) or error.orig.__class__.__name__


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([role.value for role in Role]), default="customer")
@click.password_option(help="Prompted for (twice) when left out.")
@with_appcontext
def create_user_command(email, name, role, password):
    """Create an account of any role."""
    try:
        user = user_manager().create_user_unchecked(
            name=name, email=email, password=password, role=Role(role)
        )
    except DomainError as error:
        raise click.ClickException(_describe(error)) from None
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=1))
@click.option("--threads", default=SERVE_THREADS, show_default=True, type=click.IntRange(min=1))
@with_appcontext
def serve_command(host, port, workers, threads):
    """Serve the app with gunicorn, the production WSGI server."""
    _refuse_a_default_queue_that_is_not_there()
    args = gunicorn_command(
        "ticketdesk.app:create_app()", host=host, port=port, workers=workers, threads=threads
    )
    os.execv(sys.executable, args)


def _refuse_a_default_queue_that_is_not_there() -> None:
    """Stop before serving a helpdesk that would refuse every ticket opened without a
    queue (as customers open theirs). A database that does not answer yet is no reason
    not to start: the app answers 503 until it does."""
    try:
        problem = queue_manager().default_queue_missing()
    except (OperationalError, ProgrammingError):
        problem = None
    finally:
        db.session.remove()
    if problem:
        raise click.ClickException(problem)


def gunicorn_command(app: str, *, host: str, port: int, workers: int, threads: int) -> list[str]:
    """How `serve` runs an app under gunicorn; `make bench` serves its ceiling the same way."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--access-logfile",
        "-",
        "--config",
        "python:ticketdesk.serving",
        *_without_control_socket(),
        app,
    ]


def _without_control_socket() -> list[str]:
    """Gunicorn 25.1 and later bind a control socket, by default the same one for every
    server of a user ($HOME/.gunicorn/gunicorn.ctl), so each `serve` took it from the
    last; nothing here uses it. Older versions have none and know no such option."""
    from gunicorn.config import Config

    return ["--no-control-socket"] if "control_socket_disable" in Config().settings else []


@click.command("demo")
@click.option("--if-new", is_flag=True, help="Do nothing when the demo admin exists already.")
@with_appcontext
def demo_command(if_new):
    """Create demo accounts and tickets, and print how to sign in."""
    from ticketdesk.demo import DEMO_ADMIN_EMAIL, create_demo_data

    credentials_file = Path(current_app.instance_path) / "demo-credentials.txt"
    if if_new and _user_exists(DEMO_ADMIN_EMAIL):
        if credentials_file.exists():
            click.echo(credentials_file.read_text())
        return
    credentials = create_demo_data(password_factory=lambda: secrets.token_urlsafe(12))
    text = "Demo accounts (email / password):\n" + "".join(
        f"  {role:<9} {email:<28} {password}\n" for role, email, password in credentials
    )
    credentials_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(credentials_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    click.echo(text)


@click.command("cleanup")
@with_appcontext
def cleanup_command():
    """Remove stored attachment files no row points at (uploads that died mid-way)."""
    from datetime import timedelta

    from ticketdesk.services.attachments import attachment_manager

    age = timedelta(seconds=int(current_app.config["ATTACHMENT_ORPHAN_SECONDS"]))
    removed = attachment_manager().remove_orphans(older_than=age)
    click.echo(f"Removed {removed} orphaned attachment file(s).")


@click.command("previews")
@with_appcontext
def previews_command():
    """Make previews of large images stored before previews were made (migration 0021)."""
    from ticketdesk.services.attachments import attachment_manager

    read, made = attachment_manager().add_missing_previews()
    click.echo(f"Read {read} image(s) without a preview; made {made} preview(s).")


@click.command("backup")
@click.argument("destination", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup_command(destination: Path):
    """Copy the database, the attachment files and the secret key into DESTINATION, while
    the app serves; a second backup there copies only new files (restoring: README)."""
    from ticketdesk.backup import BackupRefused, back_up

    try:
        report = back_up(current_app, destination)
    except BackupRefused as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"Backed up the database to {report.database}; copied {report.copied} file(s),"
        f" {report.already_there} were there already."
    )
    if report.removed_meanwhile:
        click.echo(
            f"{report.removed_meanwhile} file(s) were removed while the backup ran; the"
            " backup lists them, and a copy restored from it shows them as removed."
        )
    if report.missing:
        raise click.ClickException(
            f"{len(report.missing)} file(s) that attachments name are not in the storage"
            f" (the first: {report.missing[0]}); the rest of the backup is complete."
        )


def _user_exists(email: str) -> bool:
    from sqlalchemy import select

    from ticketdesk.models import User

    return db.session.scalar(select(User.id).where(User.email == email)) is not None


def _describe(error: DomainError) -> str:
    errors = getattr(error, "errors", None)
    if errors:
        return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items())
    return error.detail
