"""Password reset by email: same answer for everyone, hashed single-use links that expire."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from tests.factories import PASSWORD, ApiClient
from tests.mailbox import mailed_token, mails_to
from tests.web.conftest import WebUser
from ticketdesk.extensions import db
from ticketdesk.models import OutboxMessage, PasswordReset, SecurityEvent, utcnow

RESET = "/api/v1/auth/password-reset"
CONFIRM = "/api/v1/auth/password-reset/confirm"
NEW = "a fresh long password"
RESET_KIND = "password_reset"


def expire_links(app) -> None:
    with app.app_context():
        db.session.query(PasswordReset).update({"expires_at": utcnow() - timedelta(seconds=1)})
        db.session.commit()


def test_same_answer_whether_or_not_the_address_exists(client, customer):
    known = client.post(RESET, json={"email": customer.email})
    unknown = client.post(RESET, json={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.json == unknown.json


def test_link_resets_once_and_ends_sessions_and_tokens(app, client, customer, factory):
    old_token = factory.token(customer)
    client.post(RESET, json={"email": customer.email})
    token = mailed_token(app, customer.email)
    with app.app_context():
        stored = db.session.scalar(select(PasswordReset.secret_hash))
        assert token not in stored and len(stored) == 64
    assert client.post(CONFIRM, json={"token": token, "new_password": NEW}).status_code == 204
    again = client.post(CONFIRM, json={"token": token, "new_password": "another long one"})
    assert again.status_code == 422
    signed_in = client.post("/api/v1/auth/tokens", json={"email": customer.email, "password": NEW})
    assert signed_in.status_code == 201
    old = client.post("/api/v1/auth/tokens", json={"email": customer.email, "password": PASSWORD})
    assert old.status_code == 401
    assert ApiClient(client, old_token).get("/api/v1/me").status_code == 401


def test_expired_link_is_refused(app, client, customer):
    client.post(RESET, json={"email": customer.email})
    token = mailed_token(app, customer.email)
    expire_links(app)
    response = client.post(CONFIRM, json={"token": token, "new_password": NEW})
    assert response.status_code == 422


def test_a_password_change_voids_outstanding_links(app, client, as_customer, customer):
    client.post(RESET, json={"email": customer.email})
    token = mailed_token(app, customer.email)
    as_customer.post(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW}
    )
    response = client.post(CONFIRM, json={"token": token, "new_password": "yet another one!"})
    assert response.status_code == 422


def test_newer_reset_voids_nothing_but_use_voids_all(app, client, customer):
    client.post(RESET, json={"email": customer.email})
    first = mailed_token(app, customer.email)
    client.post(RESET, json={"email": customer.email})
    second = mailed_token(app, customer.email)
    assert client.post(CONFIRM, json={"token": second, "new_password": NEW}).status_code == 204
    assert client.post(CONFIRM, json={"token": first, "new_password": NEW}).status_code == 422


def test_link_uses_configured_base_url_not_host_header(app, client, customer):
    app.config["BASE_URL"] = "https://help.example.com"
    client.post(RESET, json={"email": customer.email}, headers={"Host": "evil.example"})
    with app.app_context():
        content = db.session.scalar(select(OutboxMessage.content))
    assert "https://help.example.com/reset-password/" in content
    assert "evil.example" not in content


def test_reset_requests_are_logged_and_limited(client, as_admin, customer):
    codes = [client.post(RESET, json={"email": customer.email}).status_code for _ in range(6)]
    assert codes == [202] * 5 + [429]
    log = as_admin.get("/api/v1/admin/security-events?limit=200").json["items"]
    assert any(e["kind"] == "reset_requested" and e["subject_id"] == customer.id for e in log)


def test_web_reset_signs_in_with_the_new_password(app, client, customer):
    browser = WebUser(client)
    response = browser.post("/forgot-password", {"email": customer.email})
    assert response.status_code == 302
    page = f"/reset-password/{mailed_token(app, customer.email)}"
    assert "<h1>Choose a new password</h1>" in browser.html(page)
    done = browser.post(page, {"new_password": NEW, "confirm": NEW})
    assert done.status_code == 302 and done.location == "/"
    assert "<h1>My tickets</h1>" in browser.html("/tickets")
    WebUser(app.test_client()).sign_in(replace(customer, password=NEW))


def test_a_web_reset_is_logged_with_the_sign_in_it_starts(app, client, customer):
    browser = WebUser(client)
    browser.post("/forgot-password", {"email": customer.email})
    page = f"/reset-password/{mailed_token(app, customer.email)}"
    browser.post(page, {"new_password": NEW, "confirm": NEW})
    with app.app_context():
        logged = db.session.execute(
            select(SecurityEvent.kind, SecurityEvent.detail)
            .where(SecurityEvent.subject_id == customer.id)
            .order_by(SecurityEvent.id)
        ).all()
    assert logged == [("reset_requested", None), ("password_changed", "reset"), ("sign_in", None)]


def test_a_used_link_says_so_at_once(app, client, customer):
    client.post(RESET, json={"email": customer.email})
    token = mailed_token(app, customer.email)
    client.post(CONFIRM, json={"token": token, "new_password": NEW})
    assert_dead_link(WebUser(client).get(f"/reset-password/{token}"))


def test_an_expired_link_says_so_at_once(app, client, customer):
    client.post(RESET, json={"email": customer.email})
    token = mailed_token(app, customer.email)
    expire_links(app)
    assert_dead_link(WebUser(client).get(f"/reset-password/{token}"))


def test_an_unknown_link_says_so_at_once(client):
    assert_dead_link(WebUser(client).get("/reset-password/" + "x" * 43))


def test_a_dead_link_answers_a_posted_form_the_same_way(app, client, customer):
    client.post(RESET, json={"email": customer.email})
    token = mailed_token(app, customer.email)
    expire_links(app)
    browser = WebUser(client)
    response = browser.post(
        f"/reset-password/{token}", {"new_password": NEW, "confirm": NEW}, page="/login"
    )
    assert_dead_link(response)
    WebUser(app.test_client()).sign_in(customer)


def assert_dead_link(response) -> None:
    """No form to fill in: the page says the link is dead and offers a new one."""
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "<h1>This link does not work</h1>" in html
    assert 'href="/forgot-password"' in html
    assert 'name="new_password"' not in html


def test_a_changed_address_voids_the_links_mailed_to_the_old_one(app, client, as_admin, customer):
    client.post(RESET, json={"email": customer.email})
    token = mailed_token(app, customer.email)
    as_admin.patch(f"/api/v1/users/{customer.id}", json={"email": "carla@elsewhere.example"})
    response = client.post(CONFIRM, json={"token": token, "new_password": NEW})
    assert response.status_code == 422
    unchanged = {"email": "carla@elsewhere.example", "password": PASSWORD}
    assert client.post("/api/v1/auth/tokens", json=unchanged).status_code == 201


def test_a_reset_mail_says_what_it_leaves_as_it_is(app, client, as_staff, customer):
    """An account made for a caller (or by mail) has no password to keep."""
    made = {"title": "Called in", "description": "d", "requester_email": "caller@example.com"}
    assert as_staff.post("/api/v1/tickets", json=made).status_code == 201
    for address in (customer.email, "caller@example.com"):
        client.post(RESET, json={"email": address})
    [kept] = mails_to(app, customer.email)
    assert "your password stays as it is" in kept.words
    assert "no password yet" not in kept.words
    [caller] = [mail for mail in mails_to(app, "caller@example.com") if mail.kind == RESET_KIND]
    assert "which has no password yet" in caller.words
    assert "password stays" not in caller.words
    assert "nobody can sign in to the account until a password is chosen" in caller.words
