"""API tokens hang on the password: a reset revokes them all, a change all but its own;
and an owner can list their live tokens, never seeing a secret again."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.factories import PASSWORD, ApiClient
from tests.mailbox import mailed_token
from tests.web.conftest import WebUser
from ticketdesk.extensions import db
from ticketdesk.models import ApiToken, SecurityEvent, utcnow

TOKENS = "/api/v1/auth/tokens"
NEW = "a fresh long password"


def works(client, secret: str) -> bool:
    return ApiClient(client, secret).get("/api/v1/me").status_code == 200


def test_an_api_password_change_revokes_every_other_token(client, factory, customer):
    using, other = factory.token(customer), factory.token(customer)
    answer = ApiClient(client, using).post(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW}
    )
    assert answer.status_code == 204
    assert works(client, using)
    assert not works(client, other)


def test_a_web_password_change_revokes_every_token(app, client, factory, customer):
    secrets = [factory.token(customer), factory.token(customer)]
    browser = WebUser(app.test_client())
    browser.sign_in(customer)
    answer = browser.post(
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW, "confirm": NEW},
    )
    assert answer.status_code == 302
    assert [works(client, secret) for secret in secrets] == [False, False]


def test_an_api_password_reset_revokes_every_token(app, client, factory, customer):
    secret = factory.token(customer)
    client.post("/api/v1/auth/password-reset", json={"email": customer.email})
    link = mailed_token(app, customer.email)
    answer = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": link, "new_password": NEW}
    )
    assert answer.status_code == 204
    assert not works(client, secret)


def test_a_web_password_reset_revokes_every_token(app, client, factory, customer):
    secret = factory.token(customer)
    browser = WebUser(app.test_client())
    browser.post("/forgot-password", {"email": customer.email})
    page = f"/reset-password/{mailed_token(app, customer.email)}"
    assert browser.post(page, {"new_password": NEW, "confirm": NEW}).status_code == 302
    assert not works(client, secret)


def test_a_reset_leaves_other_accounts_tokens_alone(app, client, factory, customer, staff):
    theirs = factory.token(staff)
    client.post("/api/v1/auth/password-reset", json={"email": customer.email})
    link = mailed_token(app, customer.email)
    client.post("/api/v1/auth/password-reset/confirm", json={"token": link, "new_password": NEW})
    assert works(client, theirs)


def test_revoking_with_the_password_is_logged(app, client, factory, customer):
    using = factory.token(customer)
    factory.token(customer)
    ApiClient(client, using).post(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW}
    )
    with app.app_context():
        kinds = db.session.execute(
            select(SecurityEvent.kind, SecurityEvent.detail).where(
                SecurityEvent.subject_id == customer.id
            )
        ).all()
    assert ("token_revoked", "1 token(s), with the password") in kinds


def test_tokens_list_shows_own_live_tokens_without_secrets(app, client, factory, customer, staff):
    using = factory.token(customer)
    revoked, expired = factory.token(customer), factory.token(customer)
    factory.token(staff)
    with app.app_context():
        ids = list(db.session.scalars(select(ApiToken.id).order_by(ApiToken.id)))
        db.session.get(ApiToken, ids[1]).revoked = True
        db.session.get(ApiToken, ids[2]).expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    answer = ApiClient(client, using).get(TOKENS)
    assert answer.status_code == 200
    assert [token["id"] for token in answer.json["items"]] == [ids[0]]
    listed = answer.json["items"][0]
    assert set(listed) == {"id", "name", "created_at", "last_used_at", "expires_at"}
    assert answer.json["next_cursor"] is None
    text = answer.get_data(as_text=True)
    for secret in (using, revoked, expired):
        assert secret not in text
    with app.app_context():
        assert db.session.get(ApiToken, ids[0]).secret_hash not in text


def test_tokens_list_is_paged_newest_first(client, factory, customer):
    secrets = [factory.token(customer) for _ in range(3)]
    caller = ApiClient(client, secrets[0])
    first = caller.get(f"{TOKENS}?limit=2").json
    rest = caller.get(f"{TOKENS}?limit=2&cursor={first['next_cursor']}").json
    ids = [token["id"] for token in first["items"] + rest["items"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 3
    assert rest["next_cursor"] is None


def test_tokens_list_needs_a_token(client):
    assert client.get(TOKENS).status_code == 401
