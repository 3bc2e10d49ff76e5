"""Your account page: your name, your address (confirmed from the new mailbox), and the
way to your password."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD
from tests.mailbox import confirmation_token, mails_to
from tests.web.conftest import WebUser
from ticketdesk.services.users import EMAIL_TAKEN

NEW = "carla@new.example.com"


def ask(browser: WebUser, email: str = NEW, password: str = PASSWORD):
    """Send the account page's form that asks for a new address."""
    return browser.post(
        "/account/email", {"email": email, "current_password": password}, page="/account"
    )


def rename(browser: WebUser, name: str):
    return browser.post("/account/name", {"name": name}, page="/account")


# --- the page -------------------------------------------------------------------


def test_everyone_has_an_account_page_behind_their_name(customer_web, staff_web, admin_web):
    for browser in (customer_web, staff_web, admin_web):
        html = browser.html("/account")
        assert "<title>Your account · Ticketdesk</title>" in html
        assert '<a href="/account" title="Your account" aria-current="page">' in html
        assert 'action="/account/name#account-heading"' in html
        assert 'action="/account/email#email-heading"' in html
        assert 'href="/account/password"' in html
        assert '<a href="/account" title="Your account"' in browser.html("/tickets")


def test_the_password_page_still_works_and_leads_back(customer_web):
    html = customer_web.html("/account/password")
    assert "<h1>Change password</h1>" in html and 'href="/account"' in html


# --- the name -------------------------------------------------------------------


def test_a_new_name_is_saved_and_shown(customer_web, factory, customer):
    done = rename(customer_web, "  Carla C. Customer ")
    assert done.status_code == 302 and done.location == "/account"
    html = customer_web.html("/account")
    assert "Your name is changed." in html
    assert 'title="Your account" aria-current="page">Carla C. Customer</a>' in html
    assert factory.load_name(customer) == "Carla C. Customer"


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("", "Enter your name."),
        ("x" * 121, "Keep it to 120 characters at most."),
        ("Carla\tCustomer", "Must not contain line breaks, tabs"),
        ("Carla\u202eCustomer", "Must not contain line breaks, tabs"),
        ("\u200b", "Must show at least one letter, digit or sign."),
        ("   ", "Enter"),
    ],
)
def test_a_bad_name_is_refused_beside_the_field(customer_web, factory, customer, name, said):
    refused = rename(customer_web, name)
    assert refused.status_code == 422
    assert said in refused.get_data(as_text=True)
    assert factory.load_name(customer) == "Carla Customer"


def test_a_name_sent_without_the_form_token_is_refused(customer_web, factory, customer):
    assert customer_web.client.post("/account/name", data={"name": "Forged"}).status_code == 400
    assert factory.load_name(customer) == "Carla Customer"


# --- the address ----------------------------------------------------------------


def test_a_new_address_is_confirmed_with_a_button_and_this_session_goes_on(
    app, customer_web, factory, customer
):
    other_device = WebUser(app.test_client())
    other_device.sign_in(customer)
    asked = ask(customer_web)
    assert asked.status_code == 302 and asked.location == "/account"
    assert f"Waiting for you to open the link sent to {NEW}" in customer_web.html("/account")
    link = f"/account/email/{confirmation_token(app, NEW)}"
    shown = customer_web.html(link)  # what a mail scanner's GET does: nothing
    assert NEW in shown and "Use this address" in shown
    assert factory.email_of(customer) == customer.email
    done = customer_web.post(link)
    assert done.status_code == 302 and done.location == "/account"
    assert factory.email_of(customer) == NEW
    assert f"Your address is now {NEW}." in customer_web.html("/account")
    assert other_device.get("/tickets").status_code == 302


def test_a_link_opened_where_nobody_is_signed_in_asks_to_sign_in_with_the_new_address(
    app, customer_web, customer
):
    ask(customer_web)
    phone = WebUser(app.test_client())
    done = phone.post(f"/account/email/{confirmation_token(app, NEW)}")
    assert done.status_code == 302 and done.location == "/login"
    assert f"Your address is now {NEW}: sign in with it." in phone.html("/login")
    assert customer_web.get("/tickets").status_code == 302  # that session ended too
    signed_in = phone.post("/login", {"email": NEW, "password": PASSWORD})
    assert signed_in.status_code == 302


def test_a_refused_request_says_why_beside_the_field(app, customer_web):
    wrong = ask(customer_web, password="not my password")
    assert wrong.status_code == 422
    assert "That is not your current password." in wrong.get_data(as_text=True)
    bad = ask(customer_web, email="not an address")
    assert bad.status_code == 422
    assert "An email address must have an @-sign." in bad.get_data(as_text=True)
    empty = ask(customer_web, email="", password="")
    assert empty.status_code == 422
    assert "Enter the new address." in empty.get_data(as_text=True)
    assert mails_to(app, NEW) == []


def test_confirming_a_taken_address_says_so(app, customer_web, factory, customer, other_customer):
    ask(customer_web, other_customer.email)
    refused = customer_web.post(f"/account/email/{confirmation_token(app, other_customer.email)}")
    assert refused.status_code == 409
    assert EMAIL_TAKEN in refused.get_data(as_text=True)
    assert "Use this address" not in refused.get_data(as_text=True)  # it would fail again
    assert factory.email_of(customer) == customer.email


def test_a_link_opened_in_another_account_says_whose_address_changed(
    app, customer_web, staff_web, factory, customer
):
    ask(customer_web)
    link = f"/account/email/{confirmation_token(app, NEW)}"
    assert "Carla Customer's Ticketdesk account" in staff_web.html(link)
    done = staff_web.submit(link, link)
    assert done.status_code == 302
    said = f"The address of Carla Customer&#39;s account is now {NEW}."
    assert said in staff_web.html("/tickets")
    assert factory.email_of(customer) == NEW


@pytest.mark.parametrize("form", ["/account/name", "/account/email", "/account/notifications"])
def test_a_form_address_opened_is_the_account_page(customer_web, form):
    """Shown in the address bar after an error, and reloaded: not a 405."""
    opened = customer_web.get(form)
    assert opened.status_code == 302 and opened.location == "/account"


def test_confirming_needs_the_form_token(app, customer_web, factory, customer):
    ask(customer_web)
    link = f"/account/email/{confirmation_token(app, NEW)}"
    assert app.test_client().post(link).status_code == 400
    assert factory.email_of(customer) == customer.email


@pytest.mark.parametrize("link", ["/account/email/forged", "/account/email/" + "x" * 5000])
def test_a_link_that_does_not_work_is_a_page_that_says_so(visitor, link):
    answer = visitor.get(link)
    assert answer.status_code == 404
    assert "This link does not work" in answer.get_data(as_text=True)
