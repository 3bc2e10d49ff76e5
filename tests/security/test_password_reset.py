"""Password reset by email: same answer for everyone, hashed single-use links that expire."""

from __future__ import annotations

import email
import re
from datetime import timedelta

from sqlalchemy import select

from tests.factories import PASSWORD, ApiClient
from ticketdesk.extensions import db
from ticketdesk.models import OutboxMessage, PasswordReset, utcnow

RESET = "/api/v1/auth/password-reset"
CONFIRM = "/api/v1/auth/password-reset/confirm"
NEW = "a fresh long password"


def mailed_token(app, address: str) -> str:
    """The token in the newest reset mail to `address`, read as the recipient would."""
    with app.app_context():
        row = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "password_reset", OutboxMessage.recipient == address)
            .order_by(OutboxMessage.id.desc())
        ).first()
        message = email.message_from_string(row.content)
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    body = text.get_payload(decode=True).decode()
    link = re.search(r"(\S+/reset-password/(\S+))", body)
    assert link.group(1).startswith(app.config["BASE_URL"])
    return link.group(2)


def test_same_answer_whether_or_not_the_address_exists(client, customer):
    known = client.post(RESET, json={"email": customer.email})
    unknown = client.post(RESET, json={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.json == unknown.json


def test_link_resets_once_and_ends_sessions(app, client, customer, factory):
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
    assert ApiClient(client, old_token).get("/api/v1/me").status_code == 200


def test_expired_link_is_refused(app, client, customer):
    client.post(RESET, json={"email": customer.email})
    token = mailed_token(app, customer.email)
    with app.app_context():
        db.session.query(PasswordReset).update({"expires_at": utcnow() - timedelta(seconds=1)})
        db.session.commit()
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


def test_web_reset_flow(app, client, customer):
    from tests.web.conftest import WebUser

    browser = WebUser(client)
    response = browser.post("/forgot-password", {"email": customer.email})
    assert response.status_code == 302
    token = mailed_token(app, customer.email)
    page = f"/reset-password/{token}"
    done = browser.post(page, {"new_password": NEW, "confirm": NEW})
    assert done.status_code == 302 and "/login" in done.headers["Location"]
    browser.sign_in(type("P", (), {"email": customer.email, "password": NEW})())
