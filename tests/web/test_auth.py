"""Signing in and out, registering, changing passwords, and where sign-in leads."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD
from tests.mailbox import mailed_token
from tests.web.conftest import WebUser


def test_sign_in_page_has_title_heading_and_labelled_inputs(visitor):
    html = visitor.html("/login")
    assert "<title>Sign in · Ticketdesk</title>" in html
    assert "<h1>Sign in</h1>" in html
    assert '<label class="label" for="email">Email</label>' in html
    assert '<label class="label" for="password">Password</label>' in html


def test_home_sends_visitors_to_sign_in(visitor):
    response = visitor.get("/")
    assert response.status_code == 302
    assert response.location == "/login"


def test_pages_ask_visitors_to_sign_in_and_remember_the_page(visitor):
    response = visitor.get("/tickets/new?x=1")
    assert response.status_code == 302
    assert response.location == "/login?next=/tickets/new?x%3D1"


def test_customer_signs_in_and_lands_on_their_tickets(visitor, customer):
    response = visitor.sign_in(customer)
    assert response.location == "/"
    assert visitor.get("/").location == "/tickets"
    assert "<h1>My tickets</h1>" in visitor.html("/tickets")


def test_sign_in_returns_to_the_page_that_asked(visitor, customer):
    response = visitor.post(
        "/login",
        {"email": customer.email, "password": PASSWORD, "next": "/tickets/new"},
        page="/login?next=/tickets/new",
    )
    assert response.location == "/tickets/new"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        "http:/evil.example",
        "",
    ],
)
def test_sign_in_never_redirects_off_site(visitor, customer, target):
    response = visitor.post(
        "/login", {"email": customer.email, "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert response.location == "/"


def test_wrong_password_is_refused_without_saying_which_part(visitor, customer):
    response = visitor.post("/login", {"email": customer.email, "password": "wrong password"})
    assert response.status_code == 422
    assert "Wrong email or password." in response.get_data(as_text=True)
    assert visitor.get("/tickets").status_code == 302


def test_deactivated_user_cannot_sign_in(visitor, factory, customer):
    factory.deactivate(customer)
    response = visitor.post("/login", {"email": customer.email, "password": PASSWORD})
    assert response.status_code == 422


def test_deactivation_ends_an_open_session(customer_web, factory, customer):
    factory.deactivate(customer)
    assert customer_web.get("/tickets").status_code == 302


def test_sign_in_without_csrf_token_is_rejected(visitor, customer):
    response = visitor.client.post("/login", data={"email": customer.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "This form is out of date" in response.get_data(as_text=True)


def test_sign_out_needs_a_post_with_csrf_token(customer_web):
    assert customer_web.get("/logout").status_code == 405
    assert customer_web.client.post("/logout").status_code == 400
    assert customer_web.get("/tickets").status_code == 200
    response = customer_web.post("/logout", page="/tickets")
    assert response.location == "/login"
    assert customer_web.get("/tickets").status_code == 302


def test_sign_out_ends_the_session_on_every_device(app, customer_web, customer):
    other_device = WebUser(app.test_client())
    other_device.sign_in(customer)
    customer_web.post("/logout", page="/tickets")
    assert other_device.get("/tickets").status_code == 302


def test_visitor_registers_with_a_mailed_link_and_is_signed_in(app, visitor):
    response = visitor.post("/register", {"name": "Rita Reg", "email": "Rita@Example.com"})
    assert response.location == "/register/sent"
    assert "<h1>Check your inbox</h1>" in visitor.html("/register/sent")
    assert visitor.get("/tickets").status_code == 302
    page = f"/reset-password/{mailed_token(app, 'rita@example.com', 'welcome')}"
    assert "<h1>Choose your password</h1>" in visitor.html(page)
    password = "long enough pw"
    done = visitor.post(page, {"name": "Rita Reg", "new_password": password, "confirm": password})
    assert done.location == "/"
    html = visitor.html("/tickets")
    assert "Rita Reg" in html
    assert "<h1>My tickets</h1>" in html


def test_register_shows_field_errors(visitor):
    response = visitor.post("/register", {"name": "X", "email": "not an address"})
    assert response.status_code == 422
    assert "An email address must have an @-sign." in response.get_data(as_text=True)


def test_register_is_hidden_when_registration_is_closed(app, visitor):
    app.config["REGISTRATION_ENABLED"] = False
    response = visitor.get("/register")
    assert response.status_code == 404
    assert "Registration is closed" in response.get_data(as_text=True)
    assert 'href="/register"' not in visitor.html("/login")


def test_change_password_needs_the_current_one(customer_web):
    response = customer_web.post(
        "/account/password",
        {"current_password": "not it at all", "new_password": "brand new pass",
         "confirm": "brand new pass"},
    )  # fmt: skip
    assert response.status_code == 422
    assert "That is not your current password." in response.get_data(as_text=True)


def test_change_password_signs_out_other_sessions(app, customer_web, customer):
    other_device = WebUser(app.test_client())
    other_device.sign_in(customer)
    response = customer_web.post(
        "/account/password",
        {"current_password": PASSWORD, "new_password": "brand new pass",
         "confirm": "brand new pass"},
    )  # fmt: skip
    assert response.status_code == 302
    assert customer_web.get("/tickets").status_code == 200
    assert other_device.get("/tickets").status_code == 302
    fresh = WebUser(app.test_client())
    response = fresh.post("/login", {"email": customer.email, "password": "brand new pass"})
    assert response.status_code == 302


def test_signed_in_user_visiting_sign_in_goes_on(customer_web):
    assert customer_web.get("/login").location == "/"
    assert customer_web.get("/login?next=/tickets/new").location == "/tickets/new"
    assert customer_web.get("/login?next=//evil.example").location == "/"


def test_session_cookie_is_http_only_and_same_site(visitor, customer):
    response = visitor.sign_in(customer)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_sign_in_attempts_are_limited_per_account(app, visitor, customer):
    app.config["RATELIMIT_SIGN_IN"] = "3 per minute"
    for _ in range(3):
        response = visitor.post("/login", {"email": customer.email, "password": "wrong password"})
        assert response.status_code == 422
    response = visitor.post("/login", {"email": customer.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    assert visitor.get("/login").status_code == 200  # showing the form is never limited


def test_a_signed_in_user_asking_to_register_goes_to_their_tickets(customer_web):
    response = customer_web.get("/register")
    assert response.status_code == 302
    assert customer_web.get(response.location).location == "/tickets"
