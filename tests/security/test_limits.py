"""Abuse limits: password guessing, sign-ups and API floods get 429 with Retry-After."""

from __future__ import annotations

import logging
import uuid

import pytest

from tests.factories import ApiClient
from tests.security.test_headers import make_app
from tests.web.conftest import WebUser
from ticketdesk.extensions import db
from ticketdesk.models import Base


def test_token_guessing_is_limited_per_account(client, customer):
    answers = [
        client.post(
            "/api/v1/auth/tokens",
            json={"email": customer.email, "password": f"guess number {n}"},
            environ_base={"REMOTE_ADDR": f"198.51.100.{n}"},
        )
        for n in range(12)
    ]
    assert [a.status_code for a in answers[:10]] == [401] * 10
    limited = answers[10]
    assert limited.status_code == 429
    assert limited.mimetype == "application/problem+json"
    assert int(limited.headers["Retry-After"]) > 0


def test_an_account_is_one_allowance_however_its_address_is_written(client, factory):
    factory.user(email="jose@exämple.com")
    forms = ["jose@exämple.com", "JOSE@xn--exmple-cua.com", "jose@exa\u0308mple.com"]
    codes = [
        client.post(
            "/api/v1/auth/tokens",
            json={"email": forms[n % 3], "password": f"guess number {n}"},
            environ_base={"REMOTE_ADDR": f"198.51.100.{n}"},
        ).status_code
        for n in range(11)
    ]
    assert codes == [401] * 10 + [429]


def test_guesses_at_the_current_password_are_limited_per_account(app, client, factory, customer):
    """A new address needs the current password: from a stolen session or token, guesses
    from many addresses share the account's one allowance, on the web and in the API."""
    customer_web = WebUser(app.test_client())
    customer_web.sign_in(customer)
    app.config["RATELIMIT_SIGN_IN"] = "3 per minute"
    bearer = {"Authorization": f"Bearer {factory.token(customer)}"}
    guess = {"email": "new@example.org", "current_password": "a wrong guess"}

    def by_api(n: int) -> int:
        where = {"REMOTE_ADDR": f"198.51.100.{n}"}
        return client.post("/api/v1/me/email", json=guess, headers=bearer, environ_base=where)

    fields = customer_web.hidden_fields("/account", "/account/email")
    by_web = customer_web.client.post(
        "/account/email", data={**fields, **guess}, environ_base={"REMOTE_ADDR": "203.0.113.9"}
    )
    codes = [by_api(1).status_code, by_web.status_code, by_api(2).status_code]
    assert codes == [422, 422, 422]
    assert by_api(3).status_code == 429


def test_token_guessing_is_limited_per_address(client):
    codes = [
        client.post(
            "/api/v1/auth/tokens", json={"email": f"u{n}@example.com", "password": "x" * 12}
        ).status_code
        for n in range(11)
    ]
    assert codes[-1] == 429 and 429 not in codes[:10]


def test_registration_is_limited_per_address(client):
    codes = [
        client.post(
            "/api/v1/auth/register", json={"name": "N", "email": f"n{n}@example.com"}
        ).status_code
        for n in range(6)
    ]
    assert codes == [202] * 5 + [429]


def test_registration_mails_one_address_only_so_often(client):
    """Each sign-up mails the address: many clients cannot flood one inbox."""
    codes = [
        client.post(
            "/api/v1/auth/register",
            json={"name": "N", "email": "victim@example.com"},
            environ_base={"REMOTE_ADDR": f"192.0.2.{n}"},
        ).status_code
        for n in range(6)
    ]
    assert codes == [202] * 5 + [429]


def test_general_api_limit_per_caller(app, as_customer, as_staff):
    app.config["RATELIMIT_API"] = "3 per minute"
    codes = [as_customer.get("/api/v1/me").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert as_staff.get("/api/v1/me").status_code == 200


def test_the_api_limit_is_one_allowance_for_every_route(app, as_customer):
    """ "API calls per caller": a caller with the allowance of one route spent is limited
    on every other route too (each route counted apart gave every route the whole)."""
    app.config["RATELIMIT_API"] = "3 per minute"
    paths = ["/api/v1/me", "/api/v1/tickets", "/api/v1/queues", "/api/v1/me"]
    assert [as_customer.get(path).status_code for path in paths] == [200, 200, 200, 429]


def test_retry_after_is_the_limits_only_on_a_429(app, as_customer):
    """The rate limiter puts its window's end in every answer's Retry-After; on a 404 it
    means nothing (a 503 keeps its own: tests/hardening/test_database_outage.py)."""
    app.config["RATELIMIT_API"] = "3 per minute"

    assert "Retry-After" not in as_customer.get("/api/v1/tickets/999999").headers
    answers = [as_customer.get("/api/v1/me") for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert int(answers[-1].headers["Retry-After"]) > 5


def test_every_spelling_of_one_token_shares_its_allowance(app, client, factory, customer):
    """Authentication reads the scheme in any case and drops spaces around the token: so
    must the limit, or each spelling of the header would be a fresh allowance."""
    app.config["RATELIMIT_API"] = "4 per minute"
    secret = factory.token(customer)
    spellings = ["Bearer {}", "Bearer  {}", "Bearer {} ", "bearer {}", "BEARER {}"]
    codes = [
        client.get("/api/v1/me", headers={"Authorization": spelling.format(secret)}).status_code
        for spelling in spellings
    ]
    assert codes == [200, 200, 200, 200, 429]


def test_headers_authentication_refuses_unread_count_against_the_address(app, client):
    app.config["RATELIMIT_API"] = "2 per minute"
    headers = ["Bearer a=b", "Bearer a=c", "Bearer " + "x" * 250]
    codes = [
        client.get("/api/v1/me", headers={"Authorization": header}).status_code
        for header in headers
    ]
    assert codes == [401, 401, 429]


def test_made_up_tokens_count_against_the_address(app, client, factory, customer):
    """Each made-up token is a 401 and a lookup: keyed by itself, every one would be a
    fresh allowance. Live tokens behind the same address keep their own."""
    app.config["RATELIMIT_API"] = "2 per minute"
    made_up = [f"Bearer td_{n:040d}" for n in range(3)]
    codes = [
        client.get("/api/v1/me", headers={"Authorization": header}).status_code
        for header in made_up
    ]
    assert codes == [401, 401, 429]
    live = {"Authorization": f"Bearer {factory.token(customer)}"}
    assert client.get("/api/v1/me", headers=live).status_code == 200


@pytest.mark.parametrize("storage", ["redis://127.0.0.1:6379/0"])
def test_limits_are_shared_through_redis(tmp_path, storage):
    """Two app servers sharing Redis count one client's attempts together."""
    prefix = uuid.uuid4().hex
    config = {"RATELIMIT_STORAGE_URL": storage, "RATELIMIT_KEY_PREFIX": prefix}
    servers = [make_app(tmp_path, **config).test_client() for _ in range(2)]
    body = {"email": "x@example.com", "password": "x" * 12}
    codes = []
    for n in range(11):
        server = servers[n % 2]
        codes.append(server.post("/api/v1/auth/tokens", json=body).status_code)
    assert 429 not in codes[:10] and codes[-1] == 429


def test_anonymous_api_calls_are_limited_by_address(app, client):
    app.config["RATELIMIT_API"] = "2 per minute"
    codes = [ApiClient(client, None).get("/api/v1/me").status_code for _ in range(3)]
    assert codes == [401, 401, 429]


def test_mail_to_one_address_is_limited_across_every_route_that_sends_it(client):
    """Sign-ups and reset requests, web and API, each mail the address: one count for all."""
    victim = {"name": "N", "email": "victim@example.com"}
    browser = WebUser(client)
    sends = [
        lambda ip: client.post("/api/v1/auth/register", json=victim, environ_base=ip),
        lambda ip: client.post(
            "/api/v1/auth/password-reset", json={"email": "Victim@Example.com"}, environ_base=ip
        ),
        lambda ip: browser.post("/register", victim, environ_base=ip),
        lambda ip: browser.post("/forgot-password", {"email": victim["email"]}, environ_base=ip),
    ]
    codes = [sends[n % 4]({"REMOTE_ADDR": f"192.0.2.{n}"}).status_code for n in range(8)]
    assert 429 not in codes[:5] and codes[5:] == [429] * 3, codes


def test_the_api_keeps_serving_and_limiting_while_the_rate_limit_store_is_down(
    tmp_path, closed_redis_url, caplog
):
    """Each process counts for itself meanwhile, and the log says the store is gone."""
    app = make_app(tmp_path, RATELIMIT_STORAGE_URL=closed_redis_url, RATELIMIT_API="3 per minute")
    with app.app_context():
        Base.metadata.create_all(db.engine)
    client = app.test_client()
    body = {"email": "nobody@example.com", "password": "not the password"}

    with caplog.at_level(logging.WARNING, logger="flask-limiter"):
        sign_in = client.post("/api/v1/auth/tokens", json=body)
        codes = [client.get("/api/v1/me").status_code for _ in range(4)]

    assert sign_in.status_code == 401
    assert codes == [401, 401, 401, 429]
    assert "Rate limit storage unreachable - falling back to in-memory storage" in caplog.text
