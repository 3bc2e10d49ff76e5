"""What staff do through the pages: find, take, change, discuss and bulk-change tickets."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import listed_titles as _rows
from tests.web.conftest import ticket_state
from ticketdesk.extensions import db
from ticketdesk.models import Priority, Role, TicketStatus
from ticketdesk.services import queue_manager, ticket_manager
from ticketdesk.web import paging


def _as(app, factory, person, action):
    with app.app_context():
        result = action(factory.factory.load(person))
        db.session.remove()
        return result


def test_staff_list_shows_counts_filters_and_labelled_controls(staff_web, customer, factory):
    factory.ticket(customer, title="First")
    html = staff_web.html("/tickets")
    assert "<title>Tickets · Ticketdesk</title>" in html
    assert "<h1>Tickets</h1>" in html
    assert re.search(r"Open <strong>1</strong>", html)
    assert re.search(r"Closed <strong>0</strong>", html)
    for name in ("status", "priority", "queue", "assignee", "sort"):
        assert f'<label class="label" for="{name}">' in html
    assert 'for="select-1"' in html
    assert _rows(html) == ["First"]


def test_staff_list_filters_by_status_priority_and_queue(app, staff_web, customer, factory, admin):
    billing = _as(app, factory, admin, lambda a: queue_manager().create_queue(a, name="Billing").id)
    factory.ticket(customer, title="Urgent billing", priority=Priority.URGENT, queue_id=billing)
    factory.ticket(customer, title="Low general", priority=Priority.LOW)
    assert _rows(staff_web.html("/tickets?priority=urgent")) == ["Urgent billing"]
    assert _rows(staff_web.html(f"/tickets?queue={billing}")) == ["Urgent billing"]
    assert _rows(staff_web.html("/tickets?status=resolved")) == []
    assert _rows(staff_web.html("/tickets?sort=-priority")) == ["Urgent billing", "Low general"]
    assert _rows(staff_web.html("/tickets?sort=created_at")) == ["Urgent billing", "Low general"]


def test_staff_list_hides_finished_tickets_by_default(app, staff_web, staff, customer, factory):
    done = factory.ticket(customer, title="Done already")
    factory.ticket(customer, title="Still open")
    _as(app, factory, staff, lambda s: ticket_manager().update_ticket_status(
        s, done.id, TicketStatus.RESOLVED))  # fmt: skip
    assert _rows(staff_web.html("/tickets")) == ["Still open"]
    assert _rows(staff_web.html("/tickets?status=any")) == ["Still open", "Done already"]
    assert _rows(staff_web.html("/tickets?status=resolved")) == ["Done already"]


def test_staff_list_filters_by_assignee_mine_and_unassigned(app, staff_web, staff, customer,
                                                           factory):  # fmt: skip
    colleague = factory.user(Role.STAFF, name="Cole League")
    mine = factory.ticket(customer, title="Mine")
    theirs = factory.ticket(customer, title="Theirs")
    factory.ticket(customer, title="Nobody")
    _as(app, factory, staff, lambda s: ticket_manager().assign_ticket_to_staff(s, mine.id, s.id))
    _as(app, factory, staff, lambda s: ticket_manager().assign_ticket_to_staff(
        s, theirs.id, colleague.id))  # fmt: skip
    assert _rows(staff_web.html("/tickets?assignee=me")) == ["Mine"]
    assert _rows(staff_web.html("/tickets?assignee=none")) == ["Nobody"]
    assert _rows(staff_web.html(f"/tickets?assignee={colleague.id}")) == ["Theirs"]


def test_staff_list_counts_unresolved_tickets_per_queue_and_assignee_linking_to_them(
    app, staff_web, staff, customer, factory, admin
):
    billing = _as(app, factory, admin, lambda a: queue_manager().create_queue(a, name="Billing").id)
    taken = factory.ticket(customer, title="Taken", queue_id=billing)
    factory.ticket(customer, title="Waiting in billing", queue_id=billing)
    done = factory.ticket(customer, title="Done")
    _as(app, factory, staff, lambda s: ticket_manager().assign_ticket_to_staff(s, taken.id, s.id))
    _as(app, factory, staff, lambda s: ticket_manager().update_ticket_status(
        s, done.id, TicketStatus.CLOSED))  # fmt: skip

    html = staff_web.html("/tickets")

    start = html.index('<nav class="workload"')
    workload = html[start : html.index("</nav>", start)]
    links = re.findall(r'href="/tickets\?([^"]+)">([^<]+?) <strong>(\d+)</strong>', workload)
    assert [(name, int(count)) for _, name, count in links] == [
        ("Billing", 2),
        ("General", 0),
        ("Unassigned", 1),
        ("Ada Admin", 0),
        ("Sam Staff", 1),
    ]
    for query, name, count in links:  # each count is what its link lists
        assert len(_rows(staff_web.html(f"/tickets?{query}"))) == int(count), name


def test_quick_views_link_to_common_filters(staff_web):
    html = staff_web.html("/tickets")
    assert 'href="/tickets?assignee=me">Assigned to me</a>' in html
    assert 'href="/tickets?assignee=none">Unassigned</a>' in html


def test_staff_list_pages_with_keyset_cursor_keeping_filters(staff_web, customer, factory):
    for number in range(30):
        factory.ticket(customer, title=f"T{number:02d}", priority=Priority.HIGH)
    first = staff_web.html("/tickets?priority=high")
    assert len(_rows(first)) == 25
    next_url = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert "priority=high" in next_url and "cursor=" in next_url
    second = staff_web.html(next_url)
    assert _rows(second) == ["T04", "T03", "T02", "T01", "T00"]
    assert _rows(staff_web.html(_paging_link(second, "prev"))) == _rows(first)


def _paging_link(html: str, rel: str) -> str:
    """The address of the page's link to its next or previous page."""
    return re.search(rf'href="([^"]+)" rel="{rel}"', html).group(1).replace("&amp;", "&")


def test_staff_list_pages_back_one_page_at_a_time(staff_web, customer, factory):
    """Previous goes back a page at a time, in the list's order and with its filters."""
    for number in range(60):
        factory.ticket(customer, title=f"T{number:02d}")
    pages = _walk(staff_web, "/tickets?sort=created_at")
    assert [page[0] for page in pages] == ["T00", "T25", "T50"]
    html = staff_web.html(pages[-1].url)
    for shown in reversed(pages[:-1]):
        assert "Previous page" in html
        html = staff_web.html(_paging_link(html, "prev"))
        assert _rows(html) == shown
    assert 'rel="prev"' not in html and "First page" not in html  # the first page


def test_previous_stops_where_the_trail_was_cut_or_cannot_be_read(
    staff_web, customer, factory, monkeypatch
):
    monkeypatch.setattr(paging, "KEPT", 2)
    for number in range(76):
        factory.ticket(customer, title=f"T{number:02d}")
    pages = _walk(staff_web, "/tickets?sort=created_at")
    html = staff_web.html(pages[3].url)
    html = staff_web.html(_paging_link(html, "prev"))
    assert _rows(html) == pages[2]
    html = staff_web.html(_paging_link(html, "prev"))
    assert _rows(html) == pages[1]
    assert 'rel="prev"' not in html and "First page" in html  # page 1 was forgotten
    tampered = staff_web.html(pages[2].url.replace("back=", "back=%3Cb%3E."))
    assert _rows(tampered) == pages[2]
    assert 'rel="prev"' not in tampered and "First page" in tampered


class _Page(list):
    url: str


def _walk(web, url: str) -> list[_Page]:
    """Every page of a list, following its Next links, each with its address."""
    pages = []
    while url:
        html = web.html(url)
        pages.append(_Page(_rows(html)))
        pages[-1].url = url
        url = _paging_link(html, "next") if 'rel="next"' in html else None
    return pages


def test_staff_list_shows_as_many_tickets_a_page_as_chosen_and_remembers_it(
    staff_web, customer, factory
):
    for number in range(60):
        factory.ticket(customer, title=f"T{number:02d}")

    first = staff_web.html("/tickets?per_page=50")
    assert len(_rows(first)) == 50
    next_url = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert "per_page=50" in next_url
    assert len(_rows(staff_web.html(next_url))) == 10
    # The next list, from a link that says nothing of it, keeps the size chosen.
    later = staff_web.html("/tickets?status=open")
    assert len(_rows(later)) == 50
    assert '<option value="50" selected>50</option>' in later
    assert len(_rows(staff_web.html("/tickets?per_page=25"))) == 25
    assert len(_rows(staff_web.html("/tickets"))) == 25


def test_broken_cursor_restarts_from_the_first_page(staff_web):
    response = staff_web.get("/tickets?cursor=garbage&status=any")
    assert response.status_code == 302
    assert response.location == "/tickets?status=any"


@pytest.mark.parametrize(
    "query", ["status=bogus&priority=nope", "sort=sideways", "queue=x", "per_page=1000"]
)
def test_unknown_filter_values_are_ignored_not_errors(staff_web, customer, factory, query):
    factory.ticket(customer, title="Visible")
    html = staff_web.html(f"/tickets?{query}")
    assert "Not understood, so ignored:" in html
    assert _rows(html) == ["Visible"]


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        ("queue=999", "Queue"),
        ("assignee=999", "Assignee"),
        ("sort=sideways", "Sort"),
        ("requester=999", "Person"),
    ],
)
def test_a_filter_not_understood_is_dropped_and_the_others_still_apply(
    staff_web, customer, factory, bad, named
):
    factory.ticket(customer, title="Urgent one", priority=Priority.URGENT)
    factory.ticket(customer, title="Normal one")
    html = staff_web.html(f"/tickets?priority=urgent&{bad}")
    assert _rows(html) == ["Urgent one"]
    assert f"Not understood, so ignored: {named}." in html
    assert '<option value="urgent" selected>' in html  # the form shows the list as it is
    field = bad.partition("=")[0]
    if field in ("queue", "assignee", "sort"):
        select = re.search(rf'<select[^>]* id="{field}".*?</select>', html, re.S).group()
        assert '<option value="" selected>' in select


def test_saving_the_controls_unchanged_says_there_was_nothing_to_save(
    app, staff_web, staff, ticket
):
    page = f"/tickets/{ticket.id}"
    values = {
        "status": "waiting",
        "priority": "high",
        "queue_id": "1",
        "assignee_id": str(staff.id),
    }
    staff_web.submit(page, f"{page}/update", values)
    assert "Ticket updated." in staff_web.html(page)
    staff_web.submit(page, f"{page}/update", values)
    html = staff_web.html(page)
    assert "Nothing to save: the ticket already had these values." in html
    assert "Ticket updated." not in html
    assert ticket_state(app, ticket.id)["version"] == 2


# --- opening a ticket for someone who called ------------------------------


def phoned_in(**requester) -> dict:
    """A new ticket form as staff fill it in for a caller."""
    return {"title": "Phoned in", "description": "x", "priority": "normal", "queue_id": "1",
            **requester}  # fmt: skip


def test_staff_new_ticket_page_has_a_labelled_requester_field(staff_web):
    html = staff_web.html("/tickets/new")
    assert '<label class="label" for="requester_email">Requester&#39;s email</label>' in html
    assert '<label class="label" for="requester_name">Requester&#39;s name</label>' in html


def test_staff_open_a_ticket_for_a_caller_new_to_the_helpdesk(staff_web, staff, factory):
    response = staff_web.post(
        "/tickets/new", phoned_in(requester_email="Cal@Example.com", requester_name="Cal Caller")
    )
    assert response.status_code == 302
    html = staff_web.html(response.location)
    assert "is open for Cal Caller (cal@example.com)" in html
    assert "Opened by Sam Staff for Cal Caller" in html
    assert re.search(r'history-who">Sam Staff</span> opened the ticket', html)
    assert factory.account("cal@example.com").name == "Cal Caller"


def test_a_callers_ticket_shows_whose_words_its_description_is(staff_web, customer_web, customer):
    staff_web.post("/tickets/new", phoned_in(requester_email=customer.email))

    for html in (staff_web.html("/tickets/1"), customer_web.html("/tickets/1")):
        assert "Opened by Sam Staff for Carla Customer" in html
        assert re.search(r"<strong>Sam Staff</strong> <span[^>]*>opened the ticket for Carla", html)


def test_a_deactivated_requester_is_explained_beside_the_field(staff_web, customer, factory):
    factory.deactivate(customer)
    response = staff_web.post("/tickets/new", phoned_in(requester_email=customer.email))
    assert response.status_code == 422
    error = re.search(r'id="requester_email-error">([^<]+)<', response.get_data(as_text=True))
    assert "deactivated" in error.group(1)


def test_a_ticket_refused_on_the_page_leaves_no_new_account(staff_web, factory):
    response = staff_web.post(
        "/tickets/new", phoned_in(title="   ", requester_email="cal@example.com")
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="title-error"' in html
    assert 'name="requester_email" type="email" value="cal@example.com"' in html  # kept to retry
    assert factory.account("cal@example.com") is None


def test_a_persons_tickets_lead_to_a_new_ticket_for_them(staff_web, customer):
    html = staff_web.html(f"/tickets?requester={customer.id}")
    link = re.search(r'href="([^"]+)">New ticket for them</a>', html).group(1)
    form = staff_web.html(link.replace("&amp;", "&"))
    assert f'name="requester_email" type="email" value="{customer.email}"' in form


@pytest.mark.parametrize("page", ["/tickets?requester={id}", "/tickets?q=Carla"])
def test_a_deactivated_person_is_offered_no_new_ticket(staff_web, factory, customer, page):
    factory.deactivate(customer)

    html = staff_web.html(page.format(id=customer.id))

    assert "deactivated" in html
    assert "ew ticket for them" not in html


def test_staff_ticket_page_has_controls_history_and_requester(staff_web, ticket):
    html = staff_web.html(f"/tickets/{ticket.id}")
    assert "<title>#1 Printer on fire · Ticketdesk</title>" in html
    assert "Assign to me" in html
    assert "Add internal note" in html
    assert '<label class="label" for="assignee_id">Assignee</label>' in html
    assert "opened the ticket" in html
    assert "History" in html


def test_staff_assigns_ticket_to_themselves(app, staff_web, staff, ticket):
    page = f"/tickets/{ticket.id}"
    response = staff_web.submit(page, f"{page}/assign-to-me")
    assert response.status_code == 302
    assert ticket_state(app, ticket.id)["assignee_id"] == staff.id
    html = staff_web.html(page)
    assert "You own this ticket." in html
    assert "took the ticket" in html
    assert "assigned the ticket to Sam Staff" not in html
    assert "Assign to me" not in html


def _assignee_options(html: str) -> list[str]:
    """The names offered by a ticket page's assignee select, in order."""
    select = re.search(r'<select[^>]*name="assignee_id"[^>]*>(.*?)</select>', html, re.S)
    return re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))


def test_assignee_select_offers_each_person_once_and_keeps_a_deactivated_assignee(
    app, staff_web, admin_web, staff, ticket, factory
):
    page = f"/tickets/{ticket.id}"
    staff_web.submit(page, f"{page}/assign-to-me")
    assert _assignee_options(admin_web.html(page)).count("Sam Staff") == 1
    factory.deactivate(staff)
    assert _assignee_options(admin_web.html(page)).count("Sam Staff") == 1


def test_staff_changes_status_priority_queue_and_assignee(app, staff_web, staff, ticket):
    page = f"/tickets/{ticket.id}"
    response = staff_web.submit(
        page,
        f"{page}/update",
        {"status": "waiting", "priority": "high", "queue_id": "1", "assignee_id": str(staff.id)},
    )
    assert response.status_code == 302
    state = ticket_state(app, ticket.id)
    assert (state["status"], state["priority"], state["assignee_id"]) == (
        "waiting",
        "high",
        staff.id,
    )
    html = staff_web.html(page)
    assert "changed the status from Open to Waiting" in html
    assert "changed the priority from Normal to High" in html


CONTROLS = {"status": "open", "priority": "normal", "queue_id": "1", "assignee_id": ""}


def _heading(html: str) -> str:
    return re.search(r'<h1><span class="ticket-id">#\d+</span> ([^<]*)</h1>', html).group(1)


def test_staff_edit_the_title_from_the_controls(app, staff_web, ticket, customer_web):
    page = f"/tickets/{ticket.id}"
    assert 'name="title" type="text" value="Printer on fire"' in staff_web.html(page)
    staff_web.submit(page, f"{page}/update", {**CONTROLS, "title": "  Printer on floor 3 jams "})
    html = staff_web.html(page)
    assert "Ticket updated." in html
    assert _heading(html) == "Printer on floor 3 jams"
    assert "edited the title" in html
    assert ticket_state(app, ticket.id)["version"] == 2
    assert _heading(customer_web.html(page)) == "Printer on floor 3 jams"


def test_controls_sent_without_a_title_keep_it(app, staff_web, ticket):
    page = f"/tickets/{ticket.id}"
    staff_web.submit(page, f"{page}/update", {**CONTROLS, "priority": "high"})
    html = staff_web.html(page)
    assert _heading(html) == "Printer on fire"
    assert "edited the title" not in html
    assert ticket_state(app, ticket.id)["priority"] == "high"


def test_an_empty_title_is_refused_beside_it_and_nothing_is_saved(app, staff_web, ticket):
    page = f"/tickets/{ticket.id}"
    response = staff_web.submit(
        page, f"{page}/update", {**CONTROLS, "title": "   ", "priority": "urgent"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'<p class="error" id="title-error">Must not be empty.</p>', html)
    assert re.search(r'<option selected value="urgent">|<option value="urgent" selected>', html)
    state = ticket_state(app, ticket.id)
    assert (state["priority"], state["version"]) == ("normal", 1)


def test_a_title_edited_on_a_changed_ticket_is_refused_as_stale(
    app, staff_web, staff, ticket, factory
):
    page = f"/tickets/{ticket.id}"
    fields = staff_web.hidden_fields(page, f"{page}/update")
    _as(app, factory, staff, lambda s: ticket_manager().update_ticket(
        s, ticket.id, {"title": "Printer on fire, floor 2"}))  # fmt: skip
    response = staff_web.client.post(f"{page}/update", data={**fields, **CONTROLS, "title": "Mine"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else changed the title of this ticket" in html
    assert _heading(html) == "Printer on fire, floor 2"
    assert 'name="title" type="text" value="Mine"' in html  # kept, to save again


def test_a_field_both_changed_is_refused_and_kept_to_decide_again(
    app, staff_web, staff, ticket, factory
):
    page = f"/tickets/{ticket.id}"
    fields = staff_web.hidden_fields(page, f"{page}/update")
    theirs = {"priority": Priority.URGENT, "status": TicketStatus.IN_PROGRESS}
    _as(app, factory, staff, lambda s: ticket_manager().update_ticket(s, ticket.id, theirs))
    form = {**fields, **CONTROLS, "priority": "low", "assignee_id": str(staff.id)}
    response = staff_web.client.post(f"{page}/update", data=form)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else changed the priority of this ticket" in html
    assert (ticket_state(app, ticket.id)["priority"], _assignee(app, ticket)) == ("urgent", None)
    # Shown again: this person's choices over the ticket as it is now (its new status).
    assert _selected(html, "priority") == "low" and _selected(html, "assignee_id") == str(staff.id)
    assert _selected(html, "status") == "in_progress"
    again = staff_web.hidden_fields_of(html, f"{page}/update")
    form = {**again, "title": "Printer on fire", "status": "in_progress", "queue_id": "1"}
    form |= {"priority": "low", "assignee_id": str(staff.id)}
    assert staff_web.client.post(f"{page}/update", data=form).status_code == 302
    state = ticket_state(app, ticket.id)
    assert (state["priority"], state["status"], _assignee(app, ticket)) == (
        "low", "in_progress", staff.id)  # fmt: skip


def test_changes_to_other_fields_meanwhile_are_both_kept(app, staff_web, staff, ticket, factory):
    page = f"/tickets/{ticket.id}"
    fields = staff_web.hidden_fields(page, f"{page}/update")
    _as(app, factory, staff, lambda s: ticket_manager().update_ticket(
        s, ticket.id, {"priority": Priority.URGENT}))  # fmt: skip
    form = {**fields, **CONTROLS, "title": "Printer on fire", "assignee_id": str(staff.id)}
    response = staff_web.client.post(f"{page}/update", data=form)
    assert response.status_code == 302
    assert ticket_state(app, ticket.id)["priority"] == "urgent"  # theirs, though shown normal
    assert _assignee(app, ticket) == staff.id
    assert "both changes are kept" in staff_web.html(page)


def test_assign_to_me_after_another_change_takes_the_ticket(app, staff_web, staff, ticket, factory):
    page = f"/tickets/{ticket.id}"
    fields = staff_web.hidden_fields(page, f"{page}/assign-to-me")
    _as(app, factory, staff, lambda s: ticket_manager().update_ticket(
        s, ticket.id, {"priority": Priority.HIGH}))  # fmt: skip
    assert staff_web.client.post(f"{page}/assign-to-me", data=fields).status_code == 302
    assert _assignee(app, ticket) == staff.id


def test_assign_to_me_after_someone_took_it_leaves_it_theirs(
    app, staff_web, admin, ticket, factory
):
    page = f"/tickets/{ticket.id}"
    fields = staff_web.hidden_fields(page, f"{page}/assign-to-me")
    _as(app, factory, admin, lambda a: ticket_manager().assign_ticket_to_staff(
        a, ticket.id, a.id))  # fmt: skip
    assert staff_web.client.post(f"{page}/assign-to-me", data=fields).status_code == 302
    assert _assignee(app, ticket) == admin.id
    assert "Someone else changed the assignee of this ticket" in staff_web.html(page)


def test_a_page_drawn_without_what_it_showed_is_refused_as_stale(
    app, staff_web, staff, ticket, factory
):
    """A page drawn before forms said what they showed: nothing can be told apart."""
    page = f"/tickets/{ticket.id}"
    fields = staff_web.hidden_fields(page, f"{page}/update")
    del fields["seen"]
    _as(app, factory, staff, lambda s: ticket_manager().update_ticket(
        s, ticket.id, {"priority": Priority.URGENT}))  # fmt: skip
    form = {**fields, **CONTROLS, "title": "Printer on fire", "assignee_id": str(staff.id)}
    assert staff_web.client.post(f"{page}/update", data=form).status_code == 302
    assert _assignee(app, ticket) is None
    assert "Someone else changed this ticket" in staff_web.html(page)


def _assignee(app, ticket) -> int | None:
    return ticket_state(app, ticket.id)["assignee_id"]


def _selected(html: str, name: str) -> str:
    """The value a select of the page shows chosen."""
    select = re.search(rf'<select[^>]*id="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.search(r'<option value="([^"]*)"[^>]*\bselected\b', select).group(1)


def test_disallowed_status_change_is_explained(app, staff_web, staff, ticket, factory):
    _as(app, factory, staff, lambda s: ticket_manager().update_ticket_status(
        s, ticket.id, TicketStatus.CLOSED))  # fmt: skip
    page = f"/tickets/{ticket.id}"
    response = staff_web.submit(
        page, f"{page}/update",
        {"status": "waiting", "priority": "normal", "queue_id": "1", "assignee_id": ""},
    )  # fmt: skip
    assert response.status_code == 302
    assert "cannot go from" in staff_web.html(page)
    assert ticket_state(app, ticket.id)["status"] == "closed"


def test_internal_note_is_marked_and_reply_is_public(staff_web, customer_web, ticket):
    page = f"/tickets/{ticket.id}"
    staff_web.submit(page, f"{page}/comments", {"body": "Check the **fuse**", "note": "1"})
    staff_web.submit(page, f"{page}/comments", {"body": "On our way", "reply": "1"})
    html = staff_web.html(page)
    assert "Internal note added." not in html  # the flash was shown by the previous page
    assert re.search(r'class="message message-internal".*?Internal note · staff only', html, re.S)
    assert "Check the <strong>fuse</strong>" in html
    assert "added an internal note" in html and "replied" in html
    customer_html = customer_web.html(page)
    assert "On our way" in customer_html
    assert "fuse" not in customer_html


def test_bulk_assign_and_status_change(app, staff_web, staff, customer, factory):
    one = factory.ticket(customer, title="One")
    two = factory.ticket(customer, title="Two")
    response = staff_web.post(
        "/tickets/bulk",
        {"ticket_ids": [one.id, two.id], "status": "in_progress", "assignee": "me",
         "next": "/tickets?status=any"},
        page="/tickets",
    )  # fmt: skip
    assert response.location == "/tickets?status=any"
    for ref in (one, two):
        state = ticket_state(app, ref.id)
        assert (state["status"], state["assignee_id"]) == ("in_progress", staff.id)
    assert "Updated 2 tickets." in staff_web.html("/tickets")


def test_bulk_change_reports_the_tickets_it_could_not_change(app, staff_web, staff, customer,
                                                             factory):  # fmt: skip
    one = factory.ticket(customer, title="One")
    closed = factory.ticket(customer, title="Closed one")
    _as(app, factory, staff, lambda s: ticket_manager().update_ticket_status(
        s, closed.id, TicketStatus.CLOSED))  # fmt: skip
    staff_web.post(
        "/tickets/bulk", {"ticket_ids": [one.id, closed.id], "status": "waiting"}, page="/tickets"
    )
    html = staff_web.html("/tickets")
    assert "Updated 1 ticket." in html
    assert f"#{closed.id}: A ticket cannot go from" in html
    assert ticket_state(app, closed.id)["status"] == "closed"


def test_bulk_change_leaves_a_ticket_changed_since_the_list_was_shown(
    app, staff_web, staff, admin, customer, factory
):
    fresh, taken = factory.ticket(customer, title="Fresh"), factory.ticket(customer, title="Taken")
    html = staff_web.html("/tickets")
    shown = re.findall(r'name="ticket_ids" value="(\d+:\d+)"', html)
    assert f"{taken.id}:1" in shown
    # Meanwhile an admin gives one of them to themselves.
    _as(app, factory, admin, lambda a: ticket_manager().assign_ticket_to_staff(a, taken.id, a.id))
    staff_web.post(
        "/tickets/bulk",
        {"ticket_ids": [f"{fresh.id}:1", f"{taken.id}:1"], "assignee": "me"},
        page="/tickets",
    )
    html = staff_web.html("/tickets")
    assert "Updated 1 ticket." in html
    assert f"#{taken.id}: someone changed it after this list was shown." in html
    assert ticket_state(app, taken.id)["assignee_id"] == admin.id
    assert ticket_state(app, fresh.id)["assignee_id"] == staff.id


def test_staff_list_offers_bulk_priority_and_queue(app, staff_web, admin, customer, factory):
    _as(app, factory, admin, lambda a: queue_manager().create_queue(a, name="Billing"))
    factory.ticket(customer, title="One")
    html = staff_web.html("/tickets")
    start = html.index('id="bulk-form"')
    bar = html[start : html.index("<table", start)]
    for field, label in (("bulk-priority", "Set priority"), ("bulk-queue", "Move to queue")):
        assert f'<label class="label" for="{field}">{label}</label>' in bar
    assert ">Keep queue</option>" in bar and ">Billing</option>" in bar
    assert ">Keep priority</option>" in bar and ">Urgent</option>" in bar


def test_bulk_move_to_queue_and_set_priority(app, staff_web, admin, customer, factory):
    billing = _as(app, factory, admin, lambda a: queue_manager().create_queue(a, name="Billing").id)
    one, two = factory.ticket(customer, title="One"), factory.ticket(customer, title="Two")
    staff_web.post(
        "/tickets/bulk",
        {"ticket_ids": [f"{one.id}:1", f"{two.id}:1"], "queue": str(billing), "priority": "urgent"},
        page="/tickets",
    )
    assert "Updated 2 tickets." in staff_web.html("/tickets")
    for ref in (one, two):
        state = ticket_state(app, ref.id)
        assert (state["queue_id"], state["priority"], state["version"]) == (billing, "urgent", 2)
    history = staff_web.html(f"/tickets/{one.id}")
    assert "moved the ticket from General to Billing" in history
    assert "changed the priority from Normal to Urgent" in history


def test_bulk_move_leaves_and_names_a_ticket_changed_since_the_list_was_shown(
    app, staff_web, admin, customer, factory
):
    billing = _as(app, factory, admin, lambda a: queue_manager().create_queue(a, name="Billing").id)
    fresh, taken = factory.ticket(customer, title="Fresh"), factory.ticket(customer, title="Taken")
    _as(app, factory, admin, lambda a: ticket_manager().assign_ticket_to_staff(a, taken.id, a.id))
    staff_web.post(
        "/tickets/bulk",
        {"ticket_ids": [f"{fresh.id}:1", f"{taken.id}:1"], "queue": str(billing)},
        page="/tickets",
    )
    html = staff_web.html("/tickets")
    assert "Updated 1 ticket." in html
    assert f"#{taken.id}: someone changed it after this list was shown." in html
    assert ticket_state(app, fresh.id)["queue_id"] == billing
    assert ticket_state(app, taken.id)["queue_id"] != billing


def test_bulk_move_to_a_queue_deleted_meanwhile_says_so(app, staff_web, admin, ticket, factory):
    gone = _as(app, factory, admin, lambda a: queue_manager().create_queue(a, name="Gone").id)
    token = staff_web.csrf_token("/tickets")  # the list, drawn while the queue was there
    _as(app, factory, admin, lambda a: queue_manager().delete_queue(a, gone))
    staff_web.client.post(
        "/tickets/bulk", data={"csrf_token": token, "ticket_ids": [ticket.id], "queue": str(gone)}
    )
    assert "That queue no longer exists; choose another." in staff_web.html("/tickets")
    assert ticket_state(app, ticket.id)["queue_id"] != gone


def test_bulk_change_needs_a_selection(staff_web):
    staff_web.post("/tickets/bulk", {"status": "waiting"}, page="/tickets")
    assert "Select at least one ticket" in staff_web.html("/tickets")


def test_bulk_change_never_redirects_off_site(staff_web, ticket):
    response = staff_web.post(
        "/tickets/bulk",
        {"ticket_ids": [ticket.id], "status": "waiting", "next": "//evil.example/"},
        page="/tickets",
    )
    assert response.location == "/tickets"


def test_bulk_change_without_csrf_token_is_rejected(app, staff_web, ticket):
    response = staff_web.client.post(
        "/tickets/bulk", data={"ticket_ids": [ticket.id], "status": "waiting"}
    )
    assert response.status_code == 400
    assert ticket_state(app, ticket.id)["status"] == "open"


@pytest.mark.parametrize("path", ["/admin/users", "/admin/queues"])
def test_staff_cannot_open_admin_pages(staff_web, path):
    response = staff_web.get(path)
    assert response.status_code == 403
    assert "Only admins" in response.get_data(as_text=True)


def test_staff_list_uses_a_fixed_number_of_queries(app, staff_web, customer, factory):
    from sqlalchemy import event

    for number in range(10):
        factory.ticket(customer, title=f"T{number}")
    statements = []
    with app.app_context():
        engine = db.engine

    def count(*_args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        staff_web.html("/tickets")
        few = len(statements)
        for number in range(10):
            factory.ticket(customer, title=f"More {number}")
        statements.clear()
        staff_web.html("/tickets")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == few


def _link(html: str, text: str) -> str | None:
    """The href of the link reading `text`, unescaped, or None."""
    found = re.search(rf'<a href="([^"]+)"[^>]*>{re.escape(text)}</a>', html)
    return found.group(1).replace("&amp;", "&") if found else None


def _replies(html: str) -> list[str]:
    return re.findall(r"<p>(Reply \d+)</p>", html)


def test_a_long_conversation_shows_its_newest_replies_and_pages_back(
    monkeypatch, app, staff_web, staff, factory, ticket
):
    monkeypatch.setattr("ticketdesk.web.ticket_page.SHOWN", 3)
    with app.app_context():
        for n in range(1, 6):
            ticket_manager().add_comment(factory.load(staff), ticket.id, body=f"Reply {n}")
            db.session.remove()
    page = f"/tickets/{ticket.id}"

    newest = staff_web.html(page)
    earlier = staff_web.html(_link(newest, "Show earlier replies"))
    later = staff_web.html(_link(earlier, "Show later replies"))

    assert _replies(newest) == ["Reply 3", "Reply 4", "Reply 5"]
    assert _link(newest, "Show later replies") is None
    assert _replies(earlier) == ["Reply 1", "Reply 2"]
    assert _link(earlier, "Show earlier replies") is None
    assert _replies(later) == ["Reply 3", "Reply 4", "Reply 5"]
    assert "Earlier changes" in newest  # six history entries, three shown


@pytest.mark.parametrize("value", ["abc", "-1", "0", "²", "99999999999", "2147483648"])
def test_a_page_of_replies_ignores_an_id_that_is_not_one(staff_web, ticket, value):
    html = staff_web.html(f"/tickets/{ticket.id}?before={value}&history_after={value}")

    assert "<h1>" in html and "Show later replies" not in html


def test_a_reply_to_a_deactivated_requester_says_it_was_not_mailed(
    staff_web, factory, customer, ticket
):
    factory.deactivate(customer)
    page = f"/tickets/{ticket.id}"
    assert "deactivated: mailed nothing" in staff_web.html(page)
    response = staff_web.submit(page, f"{page}/comments", {"body": "Any news?", "reply": "1"})
    assert response.status_code == 302
    html = staff_web.html(page)
    assert "account is deactivated, so it was not mailed." in html
    assert "Reply sent." not in html


def test_queues_and_people_read_by_name_whatever_their_case_and_accents(
    app, staff_web, factory, admin, ticket
):
    for name in ("Zoë Zed", "bob builder", "Émile Eagle"):
        factory.user(Role.STAFF, name=name)
    for name in ("Zeta", "billing-team", "Échanges"):
        _as(app, factory, admin, lambda a, name=name: queue_manager().create_queue(a, name=name))
    people = ["Ada Admin", "bob builder", "Émile Eagle", "Sam Staff", "Zoë Zed"]
    queues = ["billing-team", "Échanges", "General", "Zeta"]

    html = staff_web.html("/tickets")
    start = html.index('<nav class="workload"')
    workload = html[start : html.index("</nav>", start)]
    counted = re.findall(r'href="/tickets\?[^"]+">([^<]+?) <strong>', workload)
    assert counted == queues + ["Unassigned"] + people
    page = staff_web.html(f"/tickets/{ticket.id}")
    assignees = re.search(r'<select[^>]*id="assignee_id".*?</select>', page, re.S).group(0)
    assert re.findall(r"<option [^>]*>([^<]+)</option>", assignees)[1:] == people
    queue_select = re.search(r'<select[^>]*id="queue_id".*?</select>', page, re.S).group(0)
    assert re.findall(r"<option [^>]*>([^<]+)</option>", queue_select) == queues


def _reply_status_options(html: str) -> list[str]:
    select = re.search(r'<select[^>]*id="reply-status"[^>]*>(.*?)</select>', html, re.S)
    return re.findall(r'<option value="([^"]*)"', select.group(1))


def test_reply_form_offers_the_statuses_the_workflow_allows_unchanged_first(staff_web, ticket):
    html = staff_web.html(f"/tickets/{ticket.id}")
    assert '<label class="label" for="reply-status">Then set status</label>' in html
    assert _reply_status_options(html) == ["", "in_progress", "waiting", "resolved", "closed"]
    assert "Unchanged (Open)" in html


def test_staff_reply_and_status_change_are_one_action(app, staff_web, customer_web, ticket):
    page = f"/tickets/{ticket.id}"
    response = staff_web.submit(
        page, f"{page}/comments", {"body": "Which model is it?", "status": "waiting", "reply": "1"}
    )
    assert response.status_code == 302
    assert ticket_state(app, ticket.id)["status"] == "waiting"
    html = staff_web.html(page)
    assert "Reply sent. Ticket set to Waiting." in html
    assert "changed the status from Open to Waiting" in html
    assert "Which model is it?" in customer_web.html(page)


def test_reply_with_a_stale_status_keeps_the_typed_text(app, staff_web, staff, ticket, factory):
    page = f"/tickets/{ticket.id}"
    fields = staff_web.hidden_fields(page, f"{page}/comments")
    _as(app, factory, staff, lambda s: ticket_manager().update_ticket(
        s, ticket.id, {"status": TicketStatus.WAITING}))  # fmt: skip
    form = {**fields, "body": "All fixed now", "status": "resolved", "reply": "1"}
    response = staff_web.client.post(f"{page}/comments", data=form)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "status to Waiting meanwhile, so nothing was sent" in html
    assert "Nothing was sent: your message is kept in the reply box below." in html
    assert "All fixed now</textarea>" in html
    assert 'name="version" type="hidden" value="2"' in html  # sending again works
    assert ticket_state(app, ticket.id)["status"] == "waiting"


def test_reply_with_a_status_after_another_change_sets_it(app, staff_web, staff, ticket, factory):
    page = f"/tickets/{ticket.id}"
    fields = staff_web.hidden_fields(page, f"{page}/comments")
    _as(app, factory, staff, lambda s: ticket_manager().update_ticket(
        s, ticket.id, {"priority": Priority.URGENT}))  # fmt: skip
    form = {**fields, "body": "All fixed now", "status": "resolved", "reply": "1"}
    assert staff_web.client.post(f"{page}/comments", data=form).status_code == 302
    assert ticket_state(app, ticket.id)["status"] == "resolved"
    assert "Reply sent. Ticket set to Resolved." in staff_web.html(page)


def test_customer_reply_form_offers_no_status(customer_web, ticket):
    assert "Then set status" not in customer_web.html(f"/tickets/{ticket.id}")


def test_staff_opening_a_ticket_for_themselves_are_not_promised_a_reply(staff_web):
    response = staff_web.post(
        "/tickets/new",
        {"title": "Renew the certificate", "description": "Due in May.", "priority": "normal",
         "queue_id": "1"},
    )  # fmt: skip
    assert response.status_code == 302
    page = staff_web.html(response.location)
    assert "is open, with you as its requester." in page
    assert "We will reply here." not in page


def test_a_ticket_page_names_no_id_twice(staff_web, customer_web, ticket):
    """Labels and ARIA references find their element by id: each must be one element's."""
    for browser in (staff_web, customer_web):
        ids = re.findall(r'\sid="([^"]+)"', browser.html(f"/tickets/{ticket.id}"))
        assert sorted({name for name in ids if ids.count(name) > 1}) == []
