"""The `ticketdesk` command as an operator uses it."""

from __future__ import annotations

from sqlalchemy import select

from ticketdesk.extensions import db
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
