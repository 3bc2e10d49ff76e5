"""Fixtures shared by every test: an app per backend, people of each role, API clients.

Every test runs on SQLite; when TICKETDESK_TEST_DATABASE_URL names a PostgreSQL
server it runs there too, in a private database made for this pytest run (so
parallel runs never share tables).
"""

from __future__ import annotations

import contextlib
import os
import uuid

import pytest
from sqlalchemy import create_engine, make_url, text

from tests.factories import ApiClient, Factory
from tests.ports import free_port
from ticketdesk.app import create_app
from ticketdesk.extensions import db, limiter
from ticketdesk.models import Base, Role
from ticketdesk.services import queue_manager

PG_URL = os.environ.get("TICKETDESK_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@contextlib.contextmanager
def scratch_postgres_database(prefix: str):
    """Create an empty database on the test server, yield its URL, drop it afterwards."""
    if not PG_URL:
        pytest.fail("TICKETDESK_TEST_DATABASE_URL is not set")
    server = make_url(PG_URL).set(drivername="postgresql+psycopg")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL database with the schema, for every test of this run."""
    with scratch_postgres_database("ticketdesk_test") as url:
        engine = create_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        yield url


@pytest.fixture(params=BACKENDS)
def empty_database_url(request, tmp_path):
    """A database with no tables at all: a new SQLite file or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    with scratch_postgres_database("ticketdesk_empty") as url:
        yield url


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    """The database of one test: a new SQLite file, or the run's PostgreSQL database emptied."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    url = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def app_config():
    """Settings a test folder adds to its apps (tests/attachments: each storage)."""
    return {}


@pytest.fixture
def app(database_url, tmp_path, app_config):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "BCRYPT_ROUNDS": 4,
            "TOKEN_TOUCH_INTERVAL": 0,
            **app_config,
        }
    )
    app.instance_path = str(tmp_path / "instance")
    with app.app_context():
        if database_url.startswith("sqlite"):
            Base.metadata.create_all(db.engine)
        queue_manager().ensure_default_queue()
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def factory(app):
    """Makes people, tickets and tokens through the real services."""
    return Factory(app)


@pytest.fixture
def customer(factory):
    return factory.user(Role.CUSTOMER, name="Carla Customer")


@pytest.fixture
def other_customer(factory):
    return factory.user(Role.CUSTOMER, name="Otto Other")


@pytest.fixture
def staff(factory):
    return factory.user(Role.STAFF, name="Sam Staff")


@pytest.fixture
def admin(factory):
    return factory.user(Role.ADMIN, name="Ada Admin")


@pytest.fixture
def as_customer(client, factory, customer):
    return ApiClient(client, factory.token(customer))


@pytest.fixture
def as_other_customer(client, factory, other_customer):
    return ApiClient(client, factory.token(other_customer))


@pytest.fixture
def as_staff(client, factory, staff):
    return ApiClient(client, factory.token(staff))


@pytest.fixture
def as_admin(client, factory, admin):
    return ApiClient(client, factory.token(admin))


@pytest.fixture
def anonymous(client):
    return ApiClient(client, None)


@pytest.fixture
def ticket(factory, customer):
    """An open ticket requested by `customer`."""
    return factory.ticket(customer, title="Printer on fire")


@pytest.fixture
def closed_redis_url():
    """A real Redis URL on a port nothing listens on: the rate-limit store is down."""
    yield f"redis://127.0.0.1:{free_port()}/0"
    # The limiter is one object for every app of the run: the next app's store answers.
    limiter._storage_dead = False
