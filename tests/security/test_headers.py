"""Every answer carries safe headers; forwarded headers count only behind a trusted proxy."""

from __future__ import annotations

import pytest

from tests.conftest import BACKENDS
from ticketdesk.app import create_app


@pytest.mark.parametrize(
    "path", ["/healthz", "/api/v1/me", "/api/openapi.json", "/api/docs", "/login", "/nowhere"]
)
def test_security_headers_on_every_answer(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers


def test_api_answers_are_never_cached(as_customer):
    assert as_customer.get("/api/v1/me").headers["Cache-Control"] == "no-store"


def test_hsts_only_over_https(client):
    response = client.get("/healthz", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_docs_are_served_from_our_own_origin(client):
    page = client.get("/api/docs").get_data(as_text=True)
    assert "cdn." not in page and "/api/docs/assets/swagger-ui-bundle.js" in page
    asset = client.get("/api/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200
    asset.close()


def make_app(tmp_path, **config):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}",
            "SECRET_KEY": "x",
            **config,
        }
    )


@pytest.mark.parametrize("backend", BACKENDS[:1])
def test_forwarded_headers_ignored_without_trusted_proxy(tmp_path, backend):
    app = make_app(tmp_path)

    @app.get("/whoami")
    def whoami():
        from flask import request

        return {"addr": request.remote_addr, "https": request.is_secure}

    headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    plain = app.test_client().get("/whoami", headers=headers).json
    assert plain == {"addr": "127.0.0.1", "https": False}
    trusted_app = make_app(tmp_path, TRUSTED_PROXIES=1)
    trusted_app.add_url_rule("/whoami", view_func=whoami)
    trusted = trusted_app.test_client().get("/whoami", headers=headers).json
    assert trusted == {"addr": "203.0.113.9", "https": True}


def test_retry_after_only_on_refusals(as_customer):
    assert "Retry-After" not in as_customer.get("/api/v1/me").headers


def test_cors_is_off_by_default(client):
    response = client.get("/api/openapi.json", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize("backend", BACKENDS[:1])
def test_cors_allows_only_listed_origins(tmp_path, backend):
    app = make_app(tmp_path, CORS_ORIGINS=["https://portal.example"])
    client = app.test_client()
    allowed = client.get("/api/openapi.json", headers={"Origin": "https://portal.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://portal.example"
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    other = client.get("/api/openapi.json", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    page = client.get("/login", headers={"Origin": "https://portal.example"})
    assert "Access-Control-Allow-Origin" not in page.headers


def test_a_password_link_page_is_never_cached(app, client, customer):
    from tests.mailbox import mailed_token

    client.post("/api/v1/auth/password-reset", json={"email": customer.email})
    page = client.get(f"/reset-password/{mailed_token(app, customer.email)}")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    refused = client.post(f"/reset-password/{mailed_token(app, customer.email)}", data={})
    assert refused.headers["Cache-Control"] == "no-store"


def test_a_welcome_link_page_is_never_cached(app, client):
    from tests.mailbox import mailed_token

    client.post("/api/v1/auth/register", json={"name": "Nina", "email": "nina@example.com"})
    page = client.get(f"/reset-password/{mailed_token(app, 'nina@example.com', 'welcome')}")
    assert page.status_code == 200 and "Nina" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/reset-password/not-a-link", "/files/1/not-a-link"])
def test_a_link_that_does_not_work_is_not_cached_either(client, path):
    response = client.get(path)
    assert response.status_code == 404 and response.headers["Cache-Control"] == "no-store"


def test_a_page_with_no_secret_in_its_address_may_be_cached(client):
    assert "Cache-Control" not in client.get("/login").headers
