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
