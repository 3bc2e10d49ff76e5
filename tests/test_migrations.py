"""Migrations: an empty database upgrades to a schema equal to the models, keeping data."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, make_url, select, text

from tests.conftest import BACKENDS, PG_URL
from ticketdesk.app import create_app
from ticketdesk.cli import initialise_database
from ticketdesk.extensions import MIGRATIONS_DIR, db
from ticketdesk.models import Base, Queue, Role, User
from ticketdesk.services import user_manager

FIRST_REVISION = "7277a9f9b094"


@pytest.fixture(params=BACKENDS)
def empty_database_url(request, tmp_path):
    """A database with no tables at all."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    server = make_url(PG_URL).set(drivername="postgresql+psycopg")
    name = f"ticketdesk_migrate_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def bare_app(empty_database_url, tmp_path):
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x", "BCRYPT_ROUNDS": 4}
    )
    app.instance_path = str(tmp_path)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_empty_database_migrates_to_the_models(bare_app):
    assert initialise_database() is True
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    assert db.session.scalar(select(Queue.slug)) == "general"


def test_init_is_idempotent(bare_app):
    initialise_database()
    assert initialise_database() is False
    assert db.session.query(Queue).count() == 1


def test_upgrade_keeps_existing_data(bare_app):
    upgrade(directory=str(MIGRATIONS_DIR), revision=FIRST_REVISION)
    assert "tickets" in inspect(db.engine).get_table_names()
    user_manager().create_user_unchecked(
        name="Early Adopter", email="early@example.com", password="a long password", role=Role.ADMIN
    )
    db.session.remove()
    initialise_database()
    kept = db.session.scalar(select(User).where(User.email == "early@example.com"))
    assert kept is not None and kept.role == Role.ADMIN
