"""What customers do through the pages: open, read, reply, close and reopen their tickets."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import listed_titles, ticket_state
from ticketdesk.models import Role, TicketStatus
from ticketdesk.services import ticket_manager
from ticketdesk.services.tickets import TicketFilter


def test_my_tickets_starts_empty(customer_web):
    html = customer_web.html("/tickets")
    assert "<title>My tickets · Ticketdesk</title>" in html
    assert "You have no tickets yet." in html


def test_my_tickets_lists_only_mine_with_status_in_words(customer_web, customer, factory,
                                                         other_customer):  # fmt: skip
    factory.ticket(other_customer, title="Not yours")
    factory.ticket(customer, title="Printer jam")
    html = customer_web.html("/tickets")
    assert "Printer jam" in html
    assert "Not yours" not in html
    assert "Open</span>" in html


def test_my_tickets_pages_by_cursor(customer_web, customer, factory):
    for number in range(27):
        factory.ticket(customer, title=f"Ticket number {number}")
    first = customer_web.html("/tickets")
    assert "Ticket number 26" in first and "Ticket number 1<" not in first
    assert "Newest tickets" not in first  # this is the first page
    next_link = re.search(r'<a class="button" href="([^"]+)" rel="next">', first).group(1)
    second = customer_web.html(next_link.replace("&amp;", "&"))
    assert "Ticket number 0" in second and "Ticket number 26" not in second
    back = re.search(r'href="([^"]+)" rel="prev">← Newer tickets', second)
    again = customer_web.html(back.group(1).replace("&amp;", "&"))
    assert listed_titles(again) == listed_titles(first)


def test_customer_opens_a_ticket(customer_web):
    html = customer_web.html("/tickets/new")
    assert "<h1>New ticket</h1>" in html
    assert '<label class="label" for="queue_id">Queue</label>' in html
    response = customer_web.post(
        "/tickets/new",
        {"title": "VPN down", "description": "Since *Monday*.", "priority": "high",
         "queue_id": "1"},
    )  # fmt: skip
    assert response.status_code == 302
    page = customer_web.html(response.location)
    assert "VPN down" in page
    assert "<em>Monday</em>" in page
    assert "is open. We will reply here." in page


def test_new_ticket_form_shows_what_is_missing(customer_web):
    response = customer_web.post(
        "/tickets/new", {"title": "", "description": "", "priority": "normal", "queue_id": "1"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in html
    assert "Enter a title." in html


def test_customer_cannot_open_a_ticket_for_someone_else(customer_web, factory):
    html = customer_web.html("/tickets/new")
    assert "requester_email" not in html and "requester_name" not in html
    response = customer_web.post(
        "/tickets/new",
        {"title": "For a friend", "description": "x", "priority": "normal", "queue_id": "1",
         "requester_email": "friend@example.com"},
    )  # fmt: skip
    assert response.status_code == 403
    assert factory.account("friend@example.com") is None
    assert "For a friend" not in customer_web.html("/tickets")


def test_what_users_type_never_runs_as_html(customer_web, customer, factory):
    ref = factory.ticket(
        customer,
        title="<script>alert('t')</script>",
        description="<img src=x onerror=alert(1)> [x](javascript:alert(2)) <b>bold</b>",
    )
    html = customer_web.html(f"/tickets/{ref.id}")
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html
    assert "<img" not in html
    assert 'href="javascript:' not in html
    assert "<b>bold</b>" not in html


def test_customer_replies_on_their_ticket(customer_web, ticket):
    page = f"/tickets/{ticket.id}"
    response = customer_web.submit(page, f"{page}/comments", {"body": "Still broken", "reply": "1"})
    assert response.status_code == 302
    html = customer_web.html(page)
    assert "Still broken" in html
    assert "Reply sent." in html


def test_empty_reply_is_refused_on_the_page(customer_web, ticket):
    page = f"/tickets/{ticket.id}"
    response = customer_web.submit(page, f"{page}/comments", {"body": "  ", "reply": "1"})
    assert response.status_code == 422
    assert "Write a message or attach a file." in response.get_data(as_text=True)


def test_customer_does_not_see_internal_notes(app, customer_web, ticket, factory, staff):
    with app.app_context():
        from ticketdesk.services import ticket_manager

        manager = ticket_manager()
        staff_user = factory.factory.load(staff)
        manager.add_comment(staff_user, ticket.id, body="Secret staff note", internal=True)
        manager.add_comment(staff_user, ticket.id, body="Public answer")
    html = customer_web.html(f"/tickets/{ticket.id}")
    assert "Public answer" in html
    assert "Secret staff note" not in html
    assert "History" not in html


def test_customer_closes_and_cannot_see_staff_controls(app, customer_web, ticket):
    page = f"/tickets/{ticket.id}"
    html = customer_web.html(page)
    assert "Close ticket" in html
    assert "Reopen ticket" not in html
    assert "Assign to me" not in html and "Add internal note" not in html
    response = customer_web.submit(page, f"{page}/status")
    assert response.status_code == 302
    assert ticket_state(app, ticket.id)["status"] == "closed"
    html = customer_web.html(page)
    assert "Ticket closed." in html
    assert "Close ticket" not in html
    assert "Your reply reopens this ticket." in html  # as a reply to a closed ticket does
    customer_web.submit(page, f"{page}/status", {"status": "open"})  # "Reopen ticket"
    assert ticket_state(app, ticket.id)["status"] == "open"
    assert "Your reply reopens this ticket." not in customer_web.html(page)


def test_customer_reopens_a_resolved_ticket(app, customer_web, ticket, factory, staff):
    with app.app_context():
        from ticketdesk.services import ticket_manager

        ticket_manager().update_ticket_status(
            factory.factory.load(staff), ticket.id, TicketStatus.RESOLVED
        )
    page = f"/tickets/{ticket.id}"
    response = customer_web.submit(page, f"{page}/status", {"status": "open"})
    assert response.status_code == 302
    assert ticket_state(app, ticket.id)["status"] == "open"


def test_stale_close_button_says_so_instead_of_overwriting(app, customer_web, ticket, factory,
                                                          staff):  # fmt: skip
    page = f"/tickets/{ticket.id}"
    fields = customer_web.hidden_fields(page, f"{page}/status")
    with app.app_context():
        from ticketdesk.services import ticket_manager

        ticket_manager().update_ticket_status(
            factory.factory.load(staff), ticket.id, TicketStatus.WAITING
        )
    response = customer_web.client.post(f"{page}/status", data=fields)
    assert response.status_code == 302
    assert ticket_state(app, ticket.id)["status"] == "waiting"
    assert "Someone else changed the status of this ticket" in customer_web.html(page)


def test_reply_without_csrf_token_is_rejected(customer_web, ticket):
    response = customer_web.client.post(
        f"/tickets/{ticket.id}/comments", data={"body": "Forged", "reply": "1"}
    )
    assert response.status_code == 400
    assert "Forged" not in customer_web.html(f"/tickets/{ticket.id}")


def test_other_customers_ticket_is_not_found(other_customer_web, ticket):
    response = other_customer_web.get(f"/tickets/{ticket.id}")
    assert response.status_code == 404
    assert "We couldn&#39;t find that page" in response.get_data(as_text=True)
    response = other_customer_web.post(
        f"/tickets/{ticket.id}/comments", {"body": "hi", "reply": "1"}, page="/tickets"
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("comments", {"body": "sneaky note", "note": "1"}),
        ("update", {"status": "open", "priority": "urgent", "queue_id": "1", "assignee_id": "",
                    "version": "1"}),
        ("status", {"status": "resolved", "version": "1"}),
    ],
)  # fmt: skip
def test_customer_cannot_use_staff_actions(app, customer_web, ticket, action, data):
    response = customer_web.post(f"/tickets/{ticket.id}/{action}", data, page="/tickets")
    assert response.status_code == 403
    assert "You can&#39;t do that here" in response.get_data(as_text=True)
    assert ticket_state(app, ticket.id) == {**ticket_state(app, ticket.id), "status": "open",
                                            "priority": "normal"}  # fmt: skip
    assert "sneaky note" not in customer_web.html(f"/tickets/{ticket.id}")


def test_customer_cannot_take_a_ticket(app, customer_web, ticket):
    response = customer_web.post(
        f"/tickets/{ticket.id}/assign-to-me", {"version": "1"}, page="/tickets"
    )
    # Refused either as forbidden (403 page) or as an invalid assignee (flash on the ticket).
    assert response.status_code in (302, 403)
    assert ticket_state(app, ticket.id)["assignee_id"] is None


def test_customer_cannot_bulk_change_tickets(customer_web, ticket):
    response = customer_web.post(
        "/tickets/bulk", {"ticket_ids": [ticket.id], "status": "closed"}, page="/tickets"
    )
    assert response.status_code == 403


@pytest.mark.parametrize("path", ["/admin/users", "/admin/queues"])
def test_customer_cannot_open_admin_pages(customer_web, path):
    assert customer_web.get(path).status_code == 403


def test_customer_nav_has_no_admin_links(customer_web):
    html = customer_web.html("/tickets")
    assert 'href="/admin/users"' not in html
    assert "Customer" in html and Role.CUSTOMER.value


def test_customer_searches_their_own_tickets(customer_web, customer, other_customer, factory):
    factory.ticket(customer, title="Invoice question", description="the invoice shows VAT twice")
    factory.ticket(customer, title="Printer jam", description="paper stuck")
    factory.ticket(other_customer, title="Their invoice", description="invoice for someone else")

    html = customer_web.html("/tickets?q=invoice")

    assert "Invoice question" in html
    assert "Printer jam" not in html and "Their invoice" not in html
    assert re.search(r"<mark>invoice</mark>", html, re.IGNORECASE)
    assert 'value="invoice"' in html  # the box keeps what was searched


def test_customer_search_never_matches_staff_notes(app, customer_web, ticket, factory, staff):
    with app.app_context():
        author = factory.factory.load(staff)
        note = "escalated to the zeppelin vendor"
        ticket_manager().add_comment(author, ticket.id, body=note, internal=True)
    assert "escalated" in staff_search(app, factory, staff, "zeppelin")  # the note is indexed

    html = customer_web.html("/tickets?q=zeppelin")

    assert "None of your tickets mention “zeppelin”." in html
    assert "Printer on fire" not in html  # the `ticket` fixture's title


def test_customer_search_takes_any_text_and_says_when_it_is_too_long(customer_web, ticket):
    odd = customer_web.client.get('/tickets?q="unclosed AND (OR*')
    assert odd.status_code == 200

    html = customer_web.html("/tickets?q=" + "x" * 201)
    assert "That search was too long to run" in html
    assert "Printer on fire" in html  # all their tickets instead


def test_customer_opens_their_ticket_by_number_but_not_anothers(
    customer_web, ticket, factory, other_customer
):
    theirs = customer_web.client.get("/tickets", query_string={"q": f"#{ticket.id}"})
    assert theirs.status_code == 302
    assert theirs.headers["Location"].endswith(f"/tickets/{ticket.id}")

    other = factory.ticket(other_customer, title="Not yours")
    refused = customer_web.client.get("/tickets", query_string={"q": f"#{other.id}"})
    assert refused.status_code == 200
    assert "Not yours" not in refused.get_data(as_text=True)


def staff_search(app, factory, staff, words: str) -> str:
    """What staff find for `words` (notes included): the snippets of the matches."""
    with app.app_context():
        page = ticket_manager().get_tickets(factory.factory.load(staff), TicketFilter(text=words))
        return " ".join(item.snippet or "" for item in page.items)
