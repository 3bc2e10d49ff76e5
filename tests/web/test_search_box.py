"""The staff list's search box finds tickets by their words and shows where they matched."""

from __future__ import annotations

import re

from tests.web.conftest import listed_titles
from ticketdesk.models import Priority


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


def test_an_email_address_lists_that_persons_tickets(staff_web, factory, customer, other_customer):
    factory.ticket(customer, title="Printer jammed")
    factory.ticket(other_customer, title="Printer on fire")

    typed = staff_web.client.get("/tickets", query_string={"q": f" {customer.email.upper()} "})

    assert typed.status_code == 302
    html = staff_web.html(typed.headers["Location"])
    assert listed_titles(html) == ["Printer jammed"]
    assert "Tickets from <strong>" in html and customer.email in html
    assert f'name="requester" type="hidden" value="{customer.id}"' in html


def test_a_requester_stays_chosen_through_other_filters(
    staff_web, factory, customer, other_customer
):
    factory.ticket(customer, title="Old and urgent", priority=Priority.URGENT)
    factory.ticket(customer, title="Normal")
    factory.ticket(other_customer, title="Someone else's urgent", priority=Priority.URGENT)

    html = staff_web.html(f"/tickets?requester={customer.id}&priority=urgent&status=any")

    assert listed_titles(html) == ["Old and urgent"]
    everyone = re.search(r'href="([^"]+)">Everyone\'s tickets</a>', html).group(1)
    assert "requester" not in everyone and "priority=urgent" in everyone.replace("&amp;", "&")


def test_each_row_links_to_its_requesters_tickets(staff_web, factory, customer):
    factory.ticket(customer, title="Printer jammed")

    html = staff_web.html("/tickets")

    assert f'href="/tickets?status=any&amp;requester={customer.id}"' in html


def test_an_unknown_address_is_searched_and_an_unknown_requester_ignored(
    staff_web, factory, customer
):
    factory.ticket(customer, title="Mail from nobody@example.com bounced")

    searched = staff_web.client.get("/tickets", query_string={"q": "nobody@example.com"})
    assert searched.status_code == 200
    assert listed_titles(searched.get_data(as_text=True)) == [
        "Mail from nobody@example.com bounced"
    ]
    ignored = staff_web.html("/tickets?requester=999999")
    assert "Not understood, so ignored: Person." in ignored
    assert listed_titles(ignored) == ["Mail from nobody@example.com bounced"]


def test_customers_cannot_list_someone_elses_tickets(
    customer_web, factory, customer, other_customer
):
    factory.ticket(other_customer, title="Not yours")

    html = customer_web.html(f"/tickets?requester={other_customer.id}&q={other_customer.email}")

    assert "Not yours" not in html


def _people_found(html: str) -> str:
    match = re.search(r'<section class="people-found.*?</section>', html, re.S)
    return match.group(0) if match else ""


def test_a_name_searched_shows_that_person_with_a_way_to_their_tickets(
    staff_web, factory, customer, staff
):
    factory.ticket(customer, title="Printer jammed")
    html = staff_web.html("/tickets?q=carl")
    people = _people_found(html)
    assert "Carla Customer" in people and customer.email in people
    assert f"/tickets?status=any&amp;requester={customer.id}" in people
    assert "assigned to them" not in people  # a customer is never assigned tickets
    colleague = _people_found(staff_web.html("/tickets?q=sam"))
    assert f"/tickets?assignee={staff.id}" in colleague


def test_a_name_found_in_no_ticket_points_to_the_people_found(staff_web, factory, customer):
    factory.ticket(customer, title="Printer jammed")
    html = staff_web.html("/tickets?q=carl")  # her name is in no ticket's text
    assert "Carla Customer" in _people_found(html)
    assert "No tickets match these filters." not in html
    assert (
        "No tickets contain these words with these filters; see the tickets of the people above."
        in html
    )
    nobody = staff_web.html("/tickets?q=otto")
    assert _people_found(nobody) == ""
    assert "No tickets match these filters." in nobody


def test_people_are_offered_only_on_a_search_s_first_page_of_everyone(staff_web, factory, customer):
    assert _people_found(staff_web.html("/tickets")) == ""
    assert _people_found(staff_web.html("/tickets?q=otto")) == ""  # nobody so named
    narrowed = staff_web.html(f"/tickets?q=carl&requester={customer.id}")
    assert "Tickets from <strong>Carla Customer</strong>" in narrowed
    assert _people_found(narrowed) == ""


def test_many_people_found_are_cut_short_with_a_hint(staff_web, factory):
    for index in range(6):
        factory.user(name=f"Carlotta {index}")
    people = _people_found(staff_web.html("/tickets?q=carlotta"))
    assert people.count("requester=") == 5
    assert "More people match" in people
    assert "/admin/users" not in people  # staff cannot open the people page


def test_an_admin_is_led_to_every_person_found(admin_web, factory):
    for index in range(6):
        factory.user(name=f"Carlotta {index}")
    people = _people_found(admin_web.html("/tickets?q=carlotta"))
    assert '<a href="/admin/users?q=carlotta">see them all</a>' in people
    assert admin_web.html("/admin/users?q=carlotta").count("Carlotta ") >= 6


def test_staff_list_names_the_words_left_out_when_nothing_is_found(
    database_url, staff_web, factory, customer
):
    """Too common to search for (see tests/search/test_stop_words.py); SQLite searches a
    query of nothing else as typed."""
    on_sqlite = database_url.startswith("sqlite")
    factory.ticket(customer, title="Printer offline", description="Not printing.")

    mixed = staff_web.html("/tickets?q=why+is+the+scanner+down&status=any")
    alone = staff_web.html("/tickets?q=not&status=any")

    assert "No tickets match these filters." in mixed
    assert "too common to find anything by: “why”, “is”, “the”, “down”." in mixed
    assert ("Printer offline" in alone) is on_sqlite
    assert ("too common to find anything by: “not”." in alone) is not on_sqlite


def test_my_tickets_names_the_words_left_out_when_nothing_is_found(customer_web, factory, customer):
    factory.ticket(customer, title="Printer offline", description="Not printing.")

    html = customer_web.html("/tickets?q=why+is+the+scanner+down")

    assert "None of your tickets mention" in html
    assert "too common to find anything by: “why”, “is”, “the”, “down”." in html
