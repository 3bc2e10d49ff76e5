"""/healthz tells a load balancer whether to send traffic, and a monitor what is wrong."""

from __future__ import annotations

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from tests.security.test_headers import make_app
from ticketdesk.app import create_app
from ticketdesk.extensions import MIGRATIONS_DIR, db
from ticketdesk.models import Base
from ticketdesk.models.schema_version import code_heads


def make_initialised_app(tmp_path, **config):
    """An app whose SQLite database holds the current schema."""
    app = make_app(tmp_path, **config)
    with app.app_context():
        Base.metadata.create_all(db.engine)
    return app


def test_healthz_reports_each_dependency(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "rate_limit_store": "ok"}


def test_healthz_answers_json_503_while_the_database_is_down(tmp_path):
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'gone' / 'x.db'}")

    response = app.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json == {
        "status": "unavailable",
        "database": "unreachable",
        "rate_limit_store": "ok",
    }


def test_healthz_stays_200_but_degraded_while_the_rate_limit_store_is_down(
    tmp_path, closed_redis_url
):
    """Every server shares the store: failing them all would stop a helpdesk that serves."""
    app = make_initialised_app(tmp_path, RATELIMIT_STORAGE_URL=closed_redis_url)

    response = app.test_client().get("/healthz")

    assert response.status_code == 200
    assert response.json == {
        "status": "degraded",
        "database": "ok",
        "rate_limit_store": "unreachable",
    }


def test_healthz_reads_a_redis_store_that_answers(tmp_path):
    app = make_app(tmp_path, RATELIMIT_STORAGE_URL="redis://127.0.0.1:6379/0")
    assert app.test_client().get("/healthz").json["rate_limit_store"] == "ok"


def test_healthz_says_when_rate_limits_are_off(tmp_path):
    app = make_app(tmp_path, RATELIMIT_ENABLED=False)
    assert app.test_client().get("/healthz").json["rate_limit_store"] == "off"


@pytest.fixture
def bare_app(empty_database_url, tmp_path):
    """An app on a database with no tables."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x"})
    app.instance_path = str(tmp_path)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_healthz_answers_503_on_a_database_never_initialised(bare_app):
    """Every page would fail there: a load balancer must not send it traffic."""
    response = bare_app.test_client().get("/healthz")
    body = response.json
    assert (response.status_code, body["status"], body["database"]) == (
        503,
        "unavailable",
        "uninitialised",
    )


def test_healthz_answers_503_until_an_older_schema_is_upgraded(bare_app):
    client = bare_app.test_client()
    with bare_app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR), revision="0025_queue_names_folded")

    before = client.get("/healthz")
    with bare_app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR), revision="heads")
    after = client.get("/healthz")

    assert (before.status_code, before.json["database"]) == (503, "outdated")
    assert (after.status_code, after.json["database"]) == (200, "ok")


def test_a_schema_made_from_the_models_counts_as_the_newest(app):
    with app.app_context():
        versions = db.session.scalars(text("SELECT version_num FROM alembic_version")).all()
        db.session.remove()
    assert set(versions) == code_heads() and len(versions) == 1


def test_the_api_document_gives_healthz_503_its_own_fields(client):
    responses = client.get("/api/openapi.json").json["paths"]["/healthz"]["get"]["responses"]
    health = {"$ref": "#/components/schemas/Health"}
    assert responses["503"]["content"] == {"application/json": {"schema": health}}
