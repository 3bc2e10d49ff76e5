"""Forms say what is wrong in the app's own words, never WTForms' generic ones."""

from __future__ import annotations

GENERIC = ("This field is required.", "Field must be", "Field cannot be longer")


def _refused(response) -> str:
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert not any(words in html for words in GENERIC), html
    return html


def test_an_empty_new_ticket_asks_for_a_title_and_a_description(customer_web):
    html = _refused(customer_web.post("/tickets/new", {"title": "", "description": ""}))
    assert "Enter a title." in html
    assert "Describe what happened." in html


def test_a_description_too_long_says_how_long_it_may_be(customer_web):
    form = {"title": "Long", "description": "x" * 50_001}
    html = _refused(customer_web.post("/tickets/new", form))
    assert "Keep it to 50,000 characters at most." in html


def test_a_short_new_password_says_how_long_one_must_be(customer_web, customer):
    form = {"current_password": customer.password, "new_password": "short", "confirm": "short"}
    html = _refused(customer_web.post("/account/password", form))
    assert "Choose a password of 10 to 128 characters." in html


def test_an_empty_sign_in_asks_for_the_address_and_password(visitor):
    html = _refused(visitor.post("/login", {"email": "", "password": ""}))
    assert "Enter your email address." in html
    assert "Enter your password." in html


def test_an_admin_adding_a_person_is_asked_for_their_name(admin_web):
    html = _refused(admin_web.post("/admin/users", {"name": "", "email": "", "role": "staff"}))
    assert "Enter their name." in html
    assert "Enter their email address." in html
