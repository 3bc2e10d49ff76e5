"""Registration, tokens and the caller's own account."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD, ApiClient
from ticketdesk.extensions import db
from ticketdesk.models import ApiToken, User

REGISTER = "/api/v1/auth/register"
TOKENS = "/api/v1/auth/tokens"


def register(client, **fields):
    payload = {"name": "Nina New", "email": "nina@example.com"}
    return client.post(REGISTER, json={**payload, **fields})


@pytest.mark.parametrize(("field", "value"), [("role", "admin"), ("password", "a long one!")])
def test_registration_cannot_choose_a_role_or_a_password(app, client, field, value):
    response = register(client, **{field: value})
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == field
    with app.app_context():
        assert db.session.query(User).count() == 0


def test_email_is_unique_case_insensitively(app, client):
    assert register(client).status_code == 202
    assert register(client, email="NINA@Example.COM").status_code == 202
    with app.app_context():
        assert db.session.query(User.email).all() == [("nina@example.com",)]


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"name": ""}, "name"),
        ({"name": "x" * 121}, "name"),
    ],
)
def test_registration_validates_each_field(client, fields, bad):
    response = register(client, **fields)
    assert response.status_code == 422
    assert [error["field"] for error in response.json["errors"]] == [bad]


def test_registration_can_be_turned_off(app, client):
    app.config["REGISTRATION_ENABLED"] = False
    assert register(client).status_code == 403


def test_token_for_right_credentials_works_once_shown(client, customer):
    response = client.post(TOKENS, json={"email": customer.email, "password": PASSWORD})
    assert response.status_code == 201
    secret = response.json["token"]
    me = ApiClient(client, secret).get("/api/v1/me")
    assert me.status_code == 200
    assert me.json["id"] == customer.id


def test_token_secret_is_stored_only_as_a_hash(app, client, customer):
    secret = client.post(TOKENS, json={"email": customer.email, "password": PASSWORD}).json["token"]
    with app.app_context():
        stored = db.session.query(ApiToken).one()
        assert secret not in stored.secret_hash
        assert len(stored.secret_hash) == 64


@pytest.mark.parametrize(
    "credentials",
    [
        {"email": "nobody@example.com", "password": PASSWORD},
        {"email": "CUSTOMER", "password": "wrong password!"},
    ],
)
def test_wrong_credentials_give_one_answer(client, customer, credentials):
    if credentials["email"] == "CUSTOMER":
        credentials = {**credentials, "email": customer.email}
    response = client.post(TOKENS, json=credentials)
    assert response.status_code == 401
    assert response.json["detail"] == "Wrong email or password."


def test_inactive_user_gets_no_token_and_old_tokens_stop(client, factory, customer):
    secret = factory.token(customer)
    factory.deactivate(customer)
    assert (
        client.post(TOKENS, json={"email": customer.email, "password": PASSWORD}).status_code == 401
    )
    assert ApiClient(client, secret).get("/api/v1/me").status_code == 401


@pytest.mark.parametrize("written", ["JOSE@xn--exmple-cua.com", " jose@exa\u0308mple.com"])
def test_an_address_signs_in_however_it_is_written(client, factory, written):
    factory.user(email="jose@exämple.com")
    answer = client.post(TOKENS, json={"email": written, "password": PASSWORD})
    assert answer.status_code == 201


def test_reactivating_an_account_does_not_wake_its_old_tokens(client, as_admin, customer, factory):
    secret = factory.token(customer)
    for active in (False, True):
        answer = as_admin.patch(f"/api/v1/users/{customer.id}", json={"active": active})
        assert answer.status_code == 200
    assert ApiClient(client, secret).get("/api/v1/me").status_code == 401
    fresh = client.post(TOKENS, json={"email": customer.email, "password": PASSWORD})
    assert ApiClient(client, fresh.json["token"]).get("/api/v1/me").status_code == 200


def test_revoked_token_stops_working(as_customer):
    token_id = as_customer.client.post(
        TOKENS, json={"email": as_customer.get("/api/v1/me").json["email"], "password": PASSWORD}
    ).json["id"]
    assert as_customer.delete(f"{TOKENS}/{token_id}").status_code == 204
    own_id = token_id - 1
    assert as_customer.delete(f"{TOKENS}/{own_id}").status_code == 204
    assert as_customer.get("/api/v1/me").status_code == 401


def test_cannot_revoke_someone_elses_token(client, factory, as_customer, other_customer):
    factory.token(other_customer)
    response = as_customer.delete(f"{TOKENS}/2")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 5000],
)
def test_missing_or_bad_token_is_unauthorised(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_token_in_query_string_is_ignored(client, factory, customer):
    secret = factory.token(customer)
    assert client.get(f"/api/v1/me?token={secret}").status_code == 401


def test_token_use_is_recorded(app, as_customer):
    as_customer.get("/api/v1/me")
    with app.app_context():
        assert db.session.query(ApiToken).one().last_used_at is not None


def test_password_change_needs_current_password(client, as_customer, customer):
    wrong = as_customer.post(
        "/api/v1/me/password",
        json={"current_password": "not it at all", "new_password": "brand new secret"},
    )
    assert wrong.status_code == 422
    ok = as_customer.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "brand new secret"},
    )
    assert ok.status_code == 204
    old = client.post(TOKENS, json={"email": customer.email, "password": PASSWORD})
    assert old.status_code == 401
    new = client.post(TOKENS, json={"email": customer.email, "password": "brand new secret"})
    assert new.status_code == 201


def test_long_passwords_are_not_truncated(client, as_customer, customer):
    base = "p" * 100
    response = as_customer.post(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": base + "A"}
    )
    assert response.status_code == 204
    response = client.post(TOKENS, json={"email": customer.email, "password": base + "B"})
    assert response.status_code == 401


def test_common_passwords_are_refused(as_customer):
    response = as_customer.post(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "1234567890"}
    )
    assert response.status_code == 422
    assert "common" in response.json["errors"][0]["detail"]


def test_expired_token_stops_working(app, client, customer):
    from datetime import timedelta

    from ticketdesk.models import ApiToken, utcnow

    response = client.post(
        TOKENS, json={"email": customer.email, "password": PASSWORD, "expires_in_days": 1}
    )
    assert response.json["expires_at"] is not None
    secret = response.json["token"]
    assert ApiClient(client, secret).get("/api/v1/me").status_code == 200
    with app.app_context():
        db.session.query(ApiToken).update({"expires_at": utcnow() - timedelta(seconds=1)})
        db.session.commit()
    assert ApiClient(client, secret).get("/api/v1/me").status_code == 401


def test_anyone_changes_their_own_name(as_customer, as_staff, as_admin, customer):
    for api in (as_customer, as_staff, as_admin):
        renamed = api.patch("/api/v1/me", json={"name": "  A New Name "})
        assert renamed.status_code == 200 and renamed.json["name"] == "A New Name"
        assert api.get("/api/v1/me").json["name"] == "A New Name"
    logged = as_admin.get("/api/v1/admin/security-events?limit=200").json["items"]
    mine = [e for e in logged if e["kind"] == "name_changed" and e["subject_id"] == customer.id]
    assert [(e["actor_id"], e["detail"]) for e in mine] == [
        (customer.id, "Carla Customer -> A New Name")
    ]


def test_an_empty_patch_of_me_changes_nothing(as_customer):
    answer = as_customer.patch("/api/v1/me", json={})
    assert answer.status_code == 200 and answer.json["name"] == "Carla Customer"


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "x" * 121},
        {"name": "Carla\nCustomer"},
        {"name": "Carla\u202eCustomer"},
        {"name": None},
        {"email": "carla@new.example.com"},  # changed with POST /api/v1/me/email
        {"role": "admin"},
    ],
)
def test_a_name_that_is_no_name_and_other_fields_are_refused(as_customer, body):
    answer = as_customer.patch("/api/v1/me", json=body)
    assert answer.status_code == 422
    assert answer.mimetype == "application/problem+json"
    assert [error["field"] for error in answer.json["errors"]] == list(body)
    assert as_customer.get("/api/v1/me").json["name"] == "Carla Customer"
