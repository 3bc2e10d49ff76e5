"""Changing one's own address: asked with the password, confirmed from the new mailbox
by a single-use, expiring link, and only then made, ending every other way in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from tests.factories import PASSWORD, ApiClient
from tests.mailbox import confirmation_token, mails_to
from tests.web.conftest import WebUser
from ticketdesk.extensions import db
from ticketdesk.models import EmailChange, User, utcnow
from ticketdesk.services.email_change import NO_PASSWORD
from ticketdesk.services.users import EMAIL_TAKEN

ASK = "/api/v1/me/email"
CONFIRM = "/api/v1/auth/email-change/confirm"
TOKENS = "/api/v1/auth/tokens"
NEW = "carla@new.example.com"


def ask(api: ApiClient, email: str = NEW, password: str = PASSWORD):
    return api.post(ASK, json={"email": email, "current_password": password})


def events(as_admin, kind):
    items = as_admin.get("/api/v1/admin/security-events?limit=200").json["items"]
    return [(e["actor_id"], e["subject_id"], e["detail"]) for e in items if e["kind"] == kind]


def test_the_address_changes_only_once_the_link_mailed_to_it_is_used(
    app, client, as_customer, customer, factory
):
    asked = ask(as_customer)
    assert asked.status_code == 202
    assert NEW in asked.json["detail"]
    assert as_customer.get("/api/v1/me").json["email"] == customer.email  # not yet
    token = confirmation_token(app, NEW)
    assert client.post(CONFIRM, json={"token": token}).status_code == 204
    assert factory.email_of(customer) == NEW
    assert client.post(TOKENS, json={"email": NEW, "password": PASSWORD}).status_code == 201
    old = client.post(TOKENS, json={"email": customer.email, "password": PASSWORD})
    assert old.status_code == 401
    again = client.post(CONFIRM, json={"token": token})
    assert again.status_code == 422 and again.json["errors"][0]["field"] == "token"


def test_the_old_address_is_told_without_the_link(app, as_customer, customer):
    ask(as_customer)
    token = confirmation_token(app, NEW)
    [notice] = mails_to(app, customer.email)
    assert notice.kind == "email_change_notice"
    assert NEW in notice.words and "change it now" in notice.words
    assert token not in notice.text and "/account/email/" not in notice.text


def test_confirming_ends_every_session_and_revokes_every_token(app, client, as_customer, customer):
    device = WebUser(app.test_client())
    device.sign_in(customer)
    ask(as_customer)
    client.post(CONFIRM, json={"token": confirmation_token(app, NEW)})
    assert as_customer.get("/api/v1/me").status_code == 401
    assert device.get("/tickets").status_code == 302


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [
        (NEW, "not my password", "current_password"),
        ("not an address", PASSWORD, "email"),
        ("CUSTOMER", PASSWORD, "email"),  # the address it has already
    ],
)
def test_a_refused_request_mails_nothing(app, as_customer, customer, email, password, field):
    email = customer.email.upper() if email == "CUSTOMER" else email
    answer = ask(as_customer, email, password)
    assert answer.status_code == 422
    assert answer.mimetype == "application/problem+json"
    assert [error["field"] for error in answer.json["errors"]] == [field]
    assert mails_to(app, NEW) == [] and mails_to(app, customer.email) == []


def test_a_taken_address_is_answered_alike_and_refused_on_confirming(
    app, client, factory, as_customer, as_admin, customer, other_customer
):
    free = ask(as_customer, "free@example.com")
    taken = ask(as_customer, other_customer.email.upper())
    assert (free.status_code, taken.status_code) == (202, 202)
    assert (
        free.json["detail"].replace("free@example.com", other_customer.email)
        == (taken.json["detail"])
    )
    refused = client.post(CONFIRM, json={"token": confirmation_token(app, other_customer.email)})
    assert refused.status_code == 409
    assert refused.json["detail"] == EMAIL_TAKEN
    # The shape of every other taken address's answer (an admin's change of one).
    by_admin = as_admin.patch(f"/api/v1/users/{customer.id}", json={"email": other_customer.email})
    assert by_admin.status_code == 409
    assert {k: v for k, v in refused.json.items() if k != "instance"} == {
        k: v for k, v in by_admin.json.items() if k != "instance"
    }
    assert factory.email_of(customer) == customer.email


def test_an_account_without_a_password_cannot_change_its_address(app, as_customer, customer):
    with app.app_context():
        db.session.execute(update(User).values(password_hash=None))
        db.session.commit()
    answer = ask(as_customer)
    assert answer.status_code == 409
    assert answer.json["detail"] == NO_PASSWORD
    assert mails_to(app, NEW) == []


def test_an_expired_link_is_refused(app, client, as_customer, customer, factory):
    ask(as_customer)
    token = confirmation_token(app, NEW)
    with app.app_context():
        db.session.execute(update(EmailChange).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert client.post(CONFIRM, json={"token": token}).status_code == 422
    assert WebUser(client).get(f"/account/email/{token}").status_code == 404
    assert factory.email_of(customer) == customer.email


def test_a_newer_request_voids_the_older_link(app, client, as_customer, customer, factory):
    ask(as_customer)
    first = confirmation_token(app, NEW)
    ask(as_customer, "carla@newer.example.com")
    assert client.post(CONFIRM, json={"token": first}).status_code == 422
    second = confirmation_token(app, "carla@newer.example.com")
    assert client.post(CONFIRM, json={"token": second}).status_code == 204
    assert factory.email_of(customer) == "carla@newer.example.com"


def test_a_password_change_voids_a_waiting_change(app, client, as_customer, customer, factory):
    """The notice tells the old address's owner to change the password: that must stop
    whoever asked with it."""
    ask(as_customer)
    token = confirmation_token(app, NEW)
    new_password = {"current_password": PASSWORD, "new_password": "a brand new secret"}
    assert as_customer.post("/api/v1/me/password", json=new_password).status_code == 204
    assert client.post(CONFIRM, json={"token": token}).status_code == 422
    assert factory.email_of(customer) == customer.email


def test_requests_and_changes_are_in_the_security_log(app, client, as_admin, as_customer, customer):
    ask(as_customer)
    client.post(CONFIRM, json={"token": confirmation_token(app, NEW)})
    change = f"{customer.email} -> {NEW}"
    assert events(as_admin, "email_change_asked") == [(customer.id, customer.id, change)]
    assert events(as_admin, "email_changed") == [(customer.id, customer.id, change)]
    revoked = events(as_admin, "token_revoked")
    assert (customer.id, customer.id, "1 token(s), with the address") in revoked


def test_requests_count_against_the_mail_allowance_of_the_new_address(app, as_customer):
    app.config["RATELIMIT_SIGN_UP"] = "2 per minute"
    codes = [ask(as_customer).status_code for _ in range(3)]
    assert codes == [202, 202, 429]
    assert ask(as_customer, "elsewhere@example.com").status_code == 202
