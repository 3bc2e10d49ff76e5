"""Friendly error pages in the web UI; problem+json stays the API's answer."""

from __future__ import annotations


def test_unknown_page_is_a_friendly_404_in_the_layout(customer_web):
    response = customer_web.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "<title>404 Not Found · Ticketdesk</title>" in html
    assert "We couldn&#39;t find that page" in html
    assert 'href="/tickets"' in html  # the usual navigation is there


def test_unexpected_error_is_a_friendly_500_without_details(app, visitor):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = visitor.get("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong on our side" in html
    assert "secret internals" not in html
    assert "Traceback" not in html


def test_api_errors_stay_problem_json(client):
    response = client.get("/api/v1/tickets/1")
    assert response.mimetype == "application/problem+json"


def test_static_files_are_served_by_the_app(visitor):
    for name in ("app.css", "app.js", "favicon.svg"):
        response = visitor.get(f"/assets/{name}")
        response.close()
        assert response.status_code == 200


def test_pages_have_no_inline_scripts_styles_or_outside_assets(customer_web, ticket):
    html = customer_web.html(f"/tickets/{ticket.id}")
    assert "<style" not in html
    assert " style=" not in html
    assert "<script>" not in html
    assert "onclick" not in html
    assert "http://" not in html and "https://" not in html


def test_database_outage_page_needs_no_database(app, customer):
    from sqlalchemy.exc import OperationalError

    from tests.web.conftest import WebUser

    @app.get("/down")
    def down():
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    customer_web = WebUser(app.test_client())
    customer_web.sign_in(customer)
    response = customer_web.get("/down")
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert "Ticketdesk is briefly unavailable" in html
    assert "connection refused" not in html
    assert "Sign out" not in html  # the signed-in navigation would need the database


def test_a_nul_in_a_form_field_is_an_error_beside_the_field(visitor, customer):
    response = visitor.post("/login", {"email": customer.email + "\x00", "password": "x"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Must not contain the NUL character (U+0000)." in html
    assert "Sign in" in html


def test_a_nul_in_a_new_ticket_is_refused_and_nothing_is_opened(customer_web):
    before = customer_web.html("/tickets")
    response = customer_web.post(
        "/tickets/new", {"title": "Printer\x00", "description": "It jams."}
    )
    assert response.status_code == 422
    assert "Must not contain the NUL character" in response.get_data(as_text=True)
    assert customer_web.html("/tickets").count("Printer") == before.count("Printer")


def test_a_nul_in_a_page_address_is_a_friendly_bad_request(staff_web):
    # The staff list reads `q` itself before its filter form (a ticket number, an
    # address): on PostgreSQL that lookup was a 500.
    response = staff_web.get("/tickets?q=ann%00@example.com")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "NUL character" in response.get_data(as_text=True)


# --- forms whose CSRF token fails -------------------------------------------------


def _stale_new_ticket(browser, meanwhile, referrer: str = "http://localhost/tickets/new") -> str:
    """The page that answers a new-ticket form sent with the token it was drawn with, after
    `meanwhile` (done in another tab of the same browser) moved the session on."""
    token = browser.csrf_token("/tickets/new")
    meanwhile()
    response = browser.client.post(
        "/tickets/new",
        data={"csrf_token": token, "title": "Printer", "description": "It jams."},
        headers={"Referer": referrer},
    )
    assert response.status_code == 400
    return response.get_data(as_text=True)


def test_a_form_sent_after_signing_out_elsewhere_offers_to_sign_in_again(customer_web):
    html = _stale_new_ticket(customer_web, lambda: customer_web.post("/logout", page="/tickets"))
    assert "Your session has ended" in html
    assert 'href="/login?next=/tickets/new">Sign in again</a>' in html
    assert "CSRF" not in html


def test_sign_in_again_returns_only_to_a_page_of_this_site(customer_web):
    html = _stale_new_ticket(
        customer_web,
        lambda: customer_web.post("/logout", page="/tickets"),
        referrer="https://evil.example/tickets/new",
    )
    assert 'href="/login">Sign in again</a>' in html
    assert "evil.example" not in html


def test_a_form_from_before_a_password_change_is_out_of_date(customer_web, customer):
    new = "a quite new passphrase"
    change = {"current_password": customer.password, "new_password": new, "confirm": new}
    html = _stale_new_ticket(
        customer_web,
        lambda: customer_web.post("/account/password", change),  # a new session, a new token
        referrer="http://localhost/tickets/new?x=1",
    )
    assert "This form is out of date; reload the page and try again." in html
    assert 'href="/tickets/new?x=1">Back to the page</a>' in html
    assert "Sign in again" not in html


def test_a_stale_sign_in_form_is_out_of_date_not_a_session_ended(visitor, customer):
    response = visitor.client.post(
        "/login", data={"csrf_token": "stale", "email": customer.email, "password": "x"}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "This form is out of date" in html
    assert 'href="/">Back to Ticketdesk</a>' in html
