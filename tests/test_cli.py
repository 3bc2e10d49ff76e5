"""The `ticketdesk` command as an operator uses it."""

from __future__ import annotations

import os
import uuid

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, make_url, select, text

from tests.conftest import PG_URL, scratch_postgres_database
from tests.test_config import ticketdesk
from ticketdesk.app import create_app
from ticketdesk.cli import gunicorn_command
from ticketdesk.extensions import MIGRATIONS_DIR, db
from ticketdesk.models import Ticket, User


def test_create_user_then_sign_in(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "Boss@Example.com",
            "--name",
            "Boss",
            "--role",
            "admin",
            "--password",
            "a long password",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "admin boss@example.com" in result.output
    token = client.post(
        "/api/v1/auth/tokens", json={"email": "boss@example.com", "password": "a long password"}
    )
    assert token.status_code == 201


def test_create_user_reports_bad_input(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-user", "--email", "nope", "--name", "X", "--password", "a long password"]
    )
    assert result.exit_code != 0
    assert "email" in result.output


def test_create_user_refuses_a_nul_as_requests_do(app):
    runner = app.test_cli_runner()
    args = ["create-user", "--email", "bo@example.com", "--password", "a long password"]
    result = runner.invoke(args=[*args, "--name", "Bo\x00ss"])
    assert result.exit_code != 0
    assert "NUL" in result.output
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "bo@example.com")) is None


def test_demo_prints_working_credentials(app, client):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if "sam@example.com" in line)
    password = line.split()[-1]
    token = client.post(
        "/api/v1/auth/tokens", json={"email": "sam@example.com", "password": password}
    )
    assert token.status_code == 201
    with app.app_context():
        assert db.session.query(Ticket).count() >= 5
        assert db.session.scalar(select(User.role).where(User.email == "admin@example.com"))


def test_demo_if_new_does_not_duplicate(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        before = db.session.query(Ticket).count()
    again = runner.invoke(args=["demo", "--if-new"])
    assert again.exit_code == 0
    with app.app_context():
        assert db.session.query(Ticket).count() == before


@pytest.mark.skipif(PG_URL is None, reason="needs TICKETDESK_TEST_DATABASE_URL")
def test_init_says_what_to_ask_for_when_postgresql_refuses_a_step(tmp_path):
    """An account that may make tables but not install `unaccent` (a managed database,
    say) is told what to ask its owner for, and the database is left as it was."""
    role = f"ticketdesk_app_{uuid.uuid4().hex[:10]}"
    try:
        with scratch_postgres_database("ticketdesk_refused") as url:
            _refused_then_granted(url, role, tmp_path)
    finally:  # a role outlives its databases: dropped once the database is gone
        server = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with server.connect() as connection:
            connection.execute(text(f"DROP ROLE IF EXISTS {role}"))
        server.dispose()


def _refused_then_granted(url: str, role: str, tmp_path) -> None:
    owner = create_engine(url, isolation_level="AUTOCOMMIT")
    with owner.connect() as connection:
        connection.execute(text(f"CREATE ROLE {role} LOGIN"))
        connection.execute(text(f"GRANT ALL ON SCHEMA public TO {role}"))
    restricted = make_url(url).set(username=role).render_as_string(hide_password=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": restricted, "SECRET_KEY": "x"})
    app.instance_path = str(tmp_path)

    refused = app.test_cli_runner().invoke(args=["init"])

    assert refused.exit_code == 1
    assert 'create extension "unaccent"' in refused.output
    assert "Nothing was changed" in refused.output
    assert inspect(owner).get_table_names() == []
    with owner.connect() as connection:
        connection.execute(text("CREATE EXTENSION unaccent"))
    assert app.test_cli_runner().invoke(args=["init"]).exit_code == 0
    with app.app_context():
        db.engine.dispose()
    owner.dispose()


def test_init_says_in_one_line_that_the_database_cannot_be_opened(tmp_path):
    missing = f"sqlite:///{tmp_path / 'no-such-folder' / 'ticketdesk.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": missing, "SECRET_KEY": "x"})

    result = app.test_cli_runner().invoke(args=["init"])

    assert result.exit_code == 1
    assert result.output == (
        f"Error: Cannot open the database at {missing}: unable to open database file\n"
    )


@pytest.mark.skipif(PG_URL is None, reason="needs TICKETDESK_TEST_DATABASE_URL")
def test_init_names_a_missing_postgresql_database_in_one_line():
    name = f"ticketdesk_missing_{uuid.uuid4().hex[:10]}"
    missing = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": missing, "SECRET_KEY": "x"})

    result = app.test_cli_runner().invoke(args=["init"])

    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert "Error: Cannot open the database at postgresql+psycopg://" in result.output
    assert f'database "{name}" does not exist' in result.output


@pytest.mark.parametrize(
    ("option", "value", "allowed"),
    [
        ("--workers", "0", "x>=1"),
        ("--threads", "0", "x>=1"),
        ("--port", "99999", "1<=x<=65535"),
        ("--port", "0", "1<=x<=65535"),
    ],
)
def test_serve_refuses_values_gunicorn_cannot_serve_with(
    tmp_path, monkeypatch, option, value, allowed
):
    """`--workers 0` would listen and never answer; `--port 99999` ended in a traceback."""
    monkeypatch.setattr("ticketdesk.cli.os.execv", _never_start_gunicorn)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})

    result = app.test_cli_runner().invoke(args=["serve", option, value])

    assert result.exit_code == 2
    assert f"Invalid value for '{option}': {value} is not in the range {allowed}." in result.output


def _never_start_gunicorn(*args):
    raise AssertionError(f"serve started gunicorn: {args}")


@pytest.mark.parametrize("command", [["demo"], ["worker", "--once"]])
def test_any_command_says_in_one_line_that_the_database_cannot_be_opened(tmp_path, command):
    environ = {
        "TICKETDESK_INSTANCE_PATH": str(tmp_path),
        "TICKETDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'no-such-folder' / 'db.sqlite3'}",
    }
    result = ticketdesk(*command, environ=environ)
    assert result.returncode == 1
    assert result.stderr.strip() == "Error: Cannot open the database: unable to open database file"


def test_what_a_command_writes_is_the_service_accounts_alone(tmp_path):
    """A umask of 022 left the tickets' database readable by every user of the host."""
    environ = {"TICKETDESK_INSTANCE_PATH": str(tmp_path / "instance")}
    old = os.umask(0o022)
    try:
        assert ticketdesk("init", environ=environ).returncode == 0
    finally:
        os.umask(old)
    written = [tmp_path / "instance", *(tmp_path / "instance").iterdir()]
    assert {path.name: oct(path.stat().st_mode & 0o077) for path in written} == {
        path.name: "0o0" for path in written
    }


def test_a_default_queue_slug_no_queue_has_stops_init_and_serve_in_one_line(tmp_path):
    """Every ticket opened without a queue (as customers open theirs) was refused, as if
    the customer had named a wrong queue; `init` ended in a traceback."""
    environ = {"TICKETDESK_INSTANCE_PATH": str(tmp_path)}
    assert ticketdesk("init", environ=environ).returncode == 0  # makes "general"
    environ["TICKETDESK_DEFAULT_QUEUE_SLUG"] = "support"
    for command in (["init"], ["serve", "--port", "8952"]):
        result = ticketdesk(*command, environ=environ)
        assert result.returncode == 1, command
        assert result.stderr.strip() == (
            "Error: TICKETDESK_DEFAULT_QUEUE_SLUG='support' names no queue: set it to one of"
            " general, or give a queue that slug."
        )


def test_a_new_database_gets_its_default_queue_under_the_slug_set(tmp_path):
    environ = {"TICKETDESK_INSTANCE_PATH": str(tmp_path), "TICKETDESK_DEFAULT_QUEUE_SLUG": "help"}
    assert ticketdesk("init", environ=environ).returncode == 0
    assert ticketdesk("init", environ=environ).returncode == 0


@pytest.mark.parametrize(
    "command", [["worker", "--once"], ["worker"], ["failed-mail", "list"], ["demo"]]
)
def test_any_command_on_a_database_never_initialised_says_to_run_init(
    tmp_path, empty_database_url, command
):
    """PostgreSQL's UndefinedTable printed a traceback; the worker kept polling SQLite."""
    environ = {
        "TICKETDESK_INSTANCE_PATH": str(tmp_path),
        "TICKETDESK_DATABASE_URL": empty_database_url,
    }
    result = ticketdesk(*command, environ=environ)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("Error: The database lacks this release's tables: ")
    assert result.stderr.strip().endswith("Run `ticketdesk init` to create or upgrade it.")


def test_a_command_on_an_older_schema_says_to_run_init(tmp_path, empty_database_url):
    """failed_mail gained its sender and subject in 0026."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x"})
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR), revision="0025_queue_names_folded")
        db.engine.dispose()
    environ = {
        "TICKETDESK_INSTANCE_PATH": str(tmp_path),
        "TICKETDESK_DATABASE_URL": empty_database_url,
    }
    result = ticketdesk("failed-mail", "list", environ=environ)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Run `ticketdesk init`" in result.stderr


def test_served_instances_share_no_gunicorn_control_socket():
    """Gunicorn binds $HOME/.gunicorn/gunicorn.ctl for every server unless told not to."""
    from gunicorn.config import Config

    args = gunicorn_command(
        "ticketdesk.app:create_app()", host="127.0.0.1", port=8000, workers=1, threads=1
    )
    parsed = Config().parser().parse_args(args[3:])
    assert parsed.control_socket_disable is True
