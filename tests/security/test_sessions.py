"""Sessions end at once when the account's standing changes, and cookies carry safe flags."""

from __future__ import annotations

from tests.web.conftest import _signed_in


def test_role_change_ends_open_sessions(app, staff, as_admin):
    browser = _signed_in(app, staff)
    assert browser.get("/tickets").status_code == 200
    as_admin.patch(f"/api/v1/users/{staff.id}", json={"role": "customer"})
    response = browser.get("/tickets")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_session_cookie_is_secure_over_https(client, customer):
    from tests.web.conftest import WebUser

    browser = WebUser(client)
    token = browser.csrf_token()
    response = client.post(
        "/login",
        data={"csrf_token": token, "email": customer.email, "password": customer.password},
        base_url="https://localhost",
        headers={"Referer": "https://localhost/login"},
    )
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_signed_in_pages_are_not_cached(app, customer):
    browser = _signed_in(app, customer)
    assert browser.get("/tickets").headers["Cache-Control"] == "no-store"
