"""/healthz tells a load balancer whether to send traffic, and a monitor what is wrong."""

from __future__ import annotations

from tests.security.test_headers import make_app


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
    app = make_app(tmp_path, RATELIMIT_STORAGE_URL=closed_redis_url)

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


def test_the_api_document_gives_healthz_503_its_own_fields(client):
    responses = client.get("/api/openapi.json").json["paths"]["/healthz"]["get"]["responses"]
    health = {"$ref": "#/components/schemas/Health"}
    assert responses["503"]["content"] == {"application/json": {"schema": health}}
