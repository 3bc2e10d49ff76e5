"""The staff list's search box finds tickets by their words and shows where they matched."""

from __future__ import annotations

import re

from tests.web.conftest import listed_titles


def test_staff_search_finds_words_and_highlights_them(staff_web, factory, customer):
    factory.ticket(customer, title="Printer jammed", description="paper stuck in tray two")
    factory.ticket(customer, title="VPN down", description="no tunnel since morning")
    html = staff_web.html("/tickets?q=tray&status=any")
    assert "Printer jammed" in html and "VPN down" not in html
    assert "<mark>tray</mark>" in html


def test_search_text_is_shown_as_text(staff_web, factory, customer):
    factory.ticket(customer, title="Odd", description="tray <img src=x onerror=alert(1)> tray")
    html = staff_web.html("/tickets?q=tray&status=any")
    assert "<img src=x" not in html
    assert "&lt;img" in html


def test_a_ticket_number_opens_that_ticket(staff_web, factory, customer):
    ticket = factory.ticket(customer, title="Printer jammed")

    for typed in (f"#{ticket.id}", f"# {ticket.id}"):
        response = staff_web.client.get("/tickets", query_string={"q": typed})
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/tickets/{ticket.id}")


def test_a_number_without_a_ticket_is_searched_as_text(staff_web, factory, customer):
    factory.ticket(customer, title="Error 404 on the portal")

    missing = staff_web.client.get("/tickets", query_string={"q": "#999999"})
    assert missing.status_code == 200
    html = staff_web.html("/tickets?q=404&status=any")
    assert "Error 404 on the portal" in html  # a bare number is a word


def _selected_sort(html: str) -> str:
    select = re.search(r'<select [^>]*name="sort".*?</select>', html, re.S).group(0)
    return re.search(r"<option [^>]*selected>([^<]+)</option>", select).group(1)


def test_a_search_lists_best_matches_first_unless_told_newest(staff_web, factory, customer):
    factory.ticket(customer, title="Toner toner", description="toner low, toner everywhere")
    factory.ticket(customer, title="Printer", description="also needs toner")

    ranked = staff_web.html("/tickets?q=toner")
    newest = staff_web.html("/tickets?q=toner&sort=-created_at")

    assert listed_titles(ranked) == ["Toner toner", "Printer"]
    assert _selected_sort(ranked) == "Best match"
    assert listed_titles(newest) == ["Printer", "Toner toner"]
    assert _selected_sort(newest) == "Newest first"


def test_without_a_search_the_list_is_newest_first_however_named(staff_web, factory, customer):
    factory.ticket(customer, title="Older")
    factory.ticket(customer, title="Newer")

    for query in ("", "?sort=-created_at"):
        html = staff_web.html("/tickets" + query)
        assert listed_titles(html) == ["Newer", "Older"]
        assert _selected_sort(html) == "Newest first"
        assert "Best match" not in html
