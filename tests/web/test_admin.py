"""Admin pages: people and queues."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from ticketdesk.extensions import db
from ticketdesk.models import Queue, Role, TicketStatus, User
from ticketdesk.services import ticket_manager


def people_page(client, path: str) -> str:
    """The People page as it reads: an address's wrap hint (`@<wbr>`) is no text."""
    return client.html(path).replace("<wbr>", "")


def _user(app, user_id: int) -> tuple[str, bool]:
    with app.app_context():
        user = db.session.get(User, user_id)
        state = (user.role.value, user.active)
        db.session.remove()
    return state


def test_people_page_tells_who_has_no_password_yet(admin_web, as_staff, customer):
    body = {"title": "t", "description": "d", "requester_email": "walk@example.org"}
    assert as_staff.post("/api/v1/tickets", json=body).status_code == 201

    html = people_page(admin_web, "/admin/users")

    rows = html.split("<tr")
    walk_in = next(row for row in rows if "walk@example.org" in row)
    carla = next(row for row in rows if customer.email in row)
    assert "no password yet" in walk_in and "no password yet" not in carla


def test_people_page_lists_accounts_with_labelled_role_selects(admin_web, admin, customer):
    html = people_page(admin_web, "/admin/users")
    assert "<title>People · Ticketdesk</title>" in html
    assert "<h1>People</h1>" in html
    assert customer.email in html and admin.email in html
    assert (
        f'<label class="visually-hidden" for="u{customer.id}-role">Role of Carla Customer' in html
    )


def test_admin_creates_a_staff_member_who_can_sign_in(app, admin_web):
    response = admin_web.post(
        "/admin/users",
        {"name": "New Agent", "email": "agent@example.com", "role": "staff",
         "password": "agent password"},
    )  # fmt: skip
    assert response.status_code == 302
    html = people_page(admin_web, "/admin/users")
    assert "Created staff account for agent@example.com." in html
    from tests.web.conftest import WebUser

    agent = WebUser(app.test_client())
    response = agent.post("/login", {"email": "agent@example.com", "password": "agent password"})
    assert response.status_code == 302
    assert "<h1>Tickets</h1>" in agent.html("/tickets")


def test_create_user_shows_field_errors(admin_web, customer):
    response = admin_web.post(
        "/admin/users",
        {"name": "Dup", "email": customer.email, "role": "staff", "password": "long password"},
    )
    assert response.status_code == 422
    assert "exists already" in response.get_data(as_text=True)
    response = admin_web.post(
        "/admin/users", {"name": "Bad", "email": "not-an-address", "role": "staff",
                         "password": "long password"},
    )  # fmt: skip
    assert response.status_code == 422


def test_admin_changes_a_role(app, admin_web, customer):
    response = admin_web.post(
        f"/admin/users/{customer.id}/role", {f"u{customer.id}-role": "staff"}, page="/admin/users"
    )
    assert response.location == "/admin/users"
    assert _user(app, customer.id) == ("staff", True)
    assert "Carla Customer: Role changed." in people_page(admin_web, "/admin/users")


def test_admin_deactivates_and_reactivates_an_account(app, admin_web, customer):
    page = "/admin/users"
    admin_web.post(f"/admin/users/{customer.id}/active", {f"a{customer.id}-active": "0"}, page=page)
    assert _user(app, customer.id) == ("customer", False)
    html = admin_web.html(page)
    assert "Carla Customer: Deactivated." in html
    assert "Deactivated</span>" in html
    admin_web.post(f"/admin/users/{customer.id}/active", {f"a{customer.id}-active": "1"}, page=page)
    assert _user(app, customer.id) == ("customer", True)


def test_deactivating_staff_asks_first_and_says_what_happens_to_their_tickets(
    app, admin_web, staff, customer, factory
):
    for title in ("Printer", "VPN"):
        ticket = factory.ticket(customer, title=title)
        with app.app_context():
            ticket_manager().assign_ticket_to_staff(factory.load(staff), ticket.id, staff.id)
    people = people_page(admin_web, "/admin/users")
    confirm = f"/admin/users/{staff.id}/deactivate"
    assert f'href="{confirm}"' in people
    assert _user(app, staff.id)[1] is True  # the link itself changes nothing
    html = admin_web.html(confirm)
    assert "They hold <strong>2 unresolved tickets</strong>" in html
    assert f'href="/tickets?assignee={staff.id}"' in html
    admin_web.post(f"/admin/users/{staff.id}/active", {f"a{staff.id}-active": "0"}, page=confirm)
    assert _user(app, staff.id)[1] is False
    assert "Deactivated. Their 2 unresolved tickets are unassigned." in admin_web.html(
        "/admin/users"
    )


def test_making_staff_a_customer_says_their_tickets_are_unassigned(
    app, admin_web, staff, customer, factory
):
    ticket = factory.ticket(customer)
    with app.app_context():
        ticket_manager().assign_ticket_to_staff(factory.load(staff), ticket.id, staff.id)
    admin_web.post(
        f"/admin/users/{staff.id}/role", {f"u{staff.id}-role": "customer"}, page="/admin/users"
    )
    html = admin_web.html("/admin/users")
    assert "Role changed. Their 1 unresolved ticket is unassigned." in html


def test_admin_cannot_demote_themselves(app, admin_web, admin):
    admin_web.post(
        f"/admin/users/{admin.id}/role", {f"u{admin.id}-role": "customer"}, page="/admin/users"
    )
    assert _user(app, admin.id) == (Role.ADMIN.value, True)
    assert "cannot demote or deactivate themselves" in people_page(admin_web, "/admin/users")


def test_admin_forms_need_csrf_tokens(app, admin_web, customer):
    response = admin_web.client.post(
        f"/admin/users/{customer.id}/active", data={f"a{customer.id}-active": "0"}
    )
    assert response.status_code == 400
    assert _user(app, customer.id) == ("customer", True)


def test_admin_adds_a_queue_and_new_tickets_can_use_it(admin_web, customer_web):
    html = admin_web.html("/admin/queues")
    assert "<h1>Queues</h1>" in html and "General" in html
    response = admin_web.post("/admin/queues", {"name": "Hardware", "slug": ""})
    assert response.location == "/admin/queues"
    html = admin_web.html("/admin/queues")
    assert "Queue Hardware added." in html
    assert "<code>hardware</code>" in html
    assert re.search(r'<option value="\d+">Hardware</option>', customer_web.html("/tickets/new"))


def test_new_ticket_form_preselects_the_default_queue(admin_web, customer_web):
    admin_web.post("/admin/queues", {"name": "Billing", "slug": ""})  # sorts before General
    html = customer_web.html("/tickets/new")
    assert re.search(r'<option value="\d+" selected>General</option>', html)
    assert re.search(r'<option value="\d+">Billing</option>', html)


def test_duplicate_queue_is_refused(admin_web):
    response = admin_web.post("/admin/queues", {"name": "General"})
    assert response.status_code == 422
    assert "exists already" in response.get_data(as_text=True)


def test_admin_is_not_offered_to_deactivate_themselves(admin_web, admin):
    html = people_page(admin_web, "/admin/users")
    assert f'action="/admin/users/{admin.id}/active"' not in html


def test_people_page_finds_people_by_name_or_address(admin_web, factory, customer):
    zed = factory.user(name="Zed Quill", email="zq@example.org")
    html = people_page(admin_web, "/admin/users?q=quill")
    assert "zq@example.org" in html and customer.email not in html
    assert f'href="/tickets?status=any&amp;requester={zed.id}"' in html  # their tickets
    assert "Show everyone" in html
    assert "example.org" not in people_page(admin_web, "/admin/users?q=carla")
    assert "starting with those" in people_page(admin_web, "/admin/users?q=nobody")


def test_a_change_made_from_a_search_returns_to_it(app, admin_web, factory):
    zed = factory.user(name="Zed Quill", email="zq@example.org")
    confirm = f"/admin/users/{zed.id}/deactivate?q=quill"
    assert f'href="{confirm}"' in people_page(admin_web, "/admin/users?q=quill")
    action = f"/admin/users/{zed.id}/active?q=quill"
    response = admin_web.submit(confirm, action, {})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/users?q=quill"
    assert _user(app, zed.id) == ("customer", False)


def test_the_people_page_pages_through_a_search(admin_web, factory, monkeypatch):
    from ticketdesk.web import admin

    monkeypatch.setattr(admin, "USERS_PER_PAGE", 2)
    for index in range(3):
        factory.user(name=f"Quill {index}")
    first = people_page(admin_web, "/admin/users?q=quill")
    more = re.search(r'href="(/admin/users\?[^"]+)" rel="next">More people', first).group(1)
    assert "q=quill" in more
    second = admin_web.html(more.replace("&amp;", "&"))
    assert "Quill 2" in second and "Quill 0" not in second
    back = re.search(r'href="([^"]+)" rel="prev">← Previous people', second).group(1)
    again = people_page(admin_web, back.replace("&amp;", "&"))
    assert "Quill 0" in again and "Quill 2" not in again and 'rel="prev"' not in again


def _email(app, user_id: int) -> str:
    with app.app_context():
        email = db.session.get(User, user_id).email
        db.session.remove()
    return email


def test_admin_corrects_a_name_and_address_from_the_people_page(app, admin_web, customer):
    page = f"/admin/users/{customer.id}"
    assert f'href="{page}"' in people_page(admin_web, "/admin/users")
    assert f'value="{customer.email}"' in admin_web.html(page)
    response = admin_web.post(page, {"name": "Carla Cortez", "email": "Carla@Cortez.example"})
    assert response.location == "/admin/users"
    html = people_page(admin_web, "/admin/users")
    assert "Carla Cortez: Saved." in html and "carla@cortez.example" in html
    assert _email(app, customer.id) == "carla@cortez.example"


@pytest.mark.parametrize(
    ("address", "message"),
    [("TAKEN", "An account with that email address exists already."),
     ("carla@localhost", "The part after the @-sign is not valid.")],
)  # fmt: skip
def test_a_refused_address_is_explained_by_the_email_field(
    app, admin_web, customer, other_customer, address, message
):
    address = other_customer.email.upper() if address == "TAKEN" else address
    response = admin_web.post(f"/admin/users/{customer.id}", {"name": "Carla", "email": address})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="email-error">{message}' in html
    assert '<h1 id="edit-person-heading">Edit Carla Customer</h1>' in html
    assert _email(app, customer.id) == customer.email


def test_an_edit_made_from_a_search_returns_to_it(app, admin_web, factory):
    zed = factory.user(name="Zed Quill", email="zq@example.org")
    page = f"/admin/users/{zed.id}?q=quill"
    assert f'href="{page}"' in people_page(admin_web, "/admin/users?q=quill")
    response = admin_web.submit(page, page, {"name": "Zed Quill", "email": "zed@example.org"})
    assert response.location == "/admin/users?q=quill"


@pytest.mark.parametrize("who", ["staff_web", "customer_web"])
def test_only_admins_edit_people(app, request, other_customer, who):
    browser = request.getfixturevalue(who)
    page = f"/admin/users/{other_customer.id}"
    assert browser.get(page).status_code == 403
    token = browser.csrf_token("/account/password")
    changed = {"csrf_token": token, "name": "Mine", "email": "mine@example.com"}
    assert browser.client.post(page, data=changed).status_code == 403
    assert _email(app, other_customer.id) == other_customer.email


def test_editing_a_person_needs_a_csrf_token(app, admin_web, customer):
    changed = {"name": "Mine", "email": "mine@example.com"}
    assert admin_web.client.post(f"/admin/users/{customer.id}", data=changed).status_code == 400
    assert _email(app, customer.id) == customer.email


# --- renaming and deleting queues ---------------------------------------------


def _queue_id(app, slug: str) -> int | None:
    with app.app_context():
        queue_id = db.session.scalar(select(Queue.id).where(Queue.slug == slug))
        db.session.remove()
    return queue_id


def _add_billing(app, admin_web) -> int:
    admin_web.post("/admin/queues", {"name": "Billing", "slug": ""})
    return _queue_id(app, "billing")


def test_admin_renames_a_queue_from_its_page(app, admin_web):
    page = f"/admin/queues/{_add_billing(app, admin_web)}"
    assert f'href="{page}"' in admin_web.html("/admin/queues")
    assert 'value="Billing"' in admin_web.html(page)
    response = admin_web.post(page, {"name": "Invoices", "slug": "invoices"})
    assert response.location == "/admin/queues"
    html = admin_web.html("/admin/queues")
    assert "Queue Invoices saved." in html
    assert "<code>invoices</code>" in html and "Billing" not in html


def test_a_slug_another_queue_has_is_shown_by_the_slug_field(app, admin_web):
    page = f"/admin/queues/{_add_billing(app, admin_web)}"
    response = admin_web.post(page, {"name": "Billing", "slug": "general"})
    assert response.status_code == 422
    assert 'id="slug-error">The queue General has the slug' in response.get_data(as_text=True)
    assert _queue_id(app, "billing") is not None


def test_the_default_queues_slug_is_read_only_and_says_why(app, admin_web):
    page = f"/admin/queues/{_queue_id(app, 'general')}"
    html = admin_web.html(page)
    assert "The DEFAULT_QUEUE_SLUG setting finds this queue by its slug: it stays." in html
    assert re.search(r'<input[^>]*id="slug"[^>]*readonly', html)
    response = admin_web.post(page, {"name": "General", "slug": "support"})
    assert response.status_code == 422
    assert 'id="slug-error">The slug stays' in response.get_data(as_text=True)
    assert _queue_id(app, "general") is not None


def test_the_default_queue_is_renamed_whatever_its_configured_slug_looks_like(app, admin_web):
    """DEFAULT_QUEUE_SLUG is stored as configured, even where slugify would change it."""
    general = _queue_id(app, "general")
    with app.app_context():
        db.session.get(Queue, general).slug = "Help_Desk"
        db.session.commit()
        db.session.remove()
    app.config["DEFAULT_QUEUE_SLUG"] = "Help_Desk"
    page = f"/admin/queues/{general}"
    response = admin_web.submit(page, page, {"name": "Helpdesk", "slug": "Help_Desk"})
    assert response.location == "/admin/queues"
    assert _queue_id(app, "Help_Desk") == general


def test_the_queues_page_counts_what_each_queue_holds(app, admin_web, factory, customer, staff):
    billing = _add_billing(app, admin_web)
    admin_web.post("/admin/queues", {"name": "Empty", "slug": ""})
    empty, general = _queue_id(app, "empty"), _queue_id(app, "general")
    factory.ticket(customer), factory.ticket(customer)
    done = factory.ticket(customer, queue_id=billing)
    with app.app_context():
        ticket_manager().update_ticket_status(
            db.session.get(User, staff.id), done.id, TicketStatus.CLOSED
        )
        db.session.remove()
    html = admin_web.html("/admin/queues")
    cells = re.findall(r'<td data-label="Tickets">(.*?)</td>', html, re.S)
    billing_cell, empty_cell, general_cell = cells  # by name: Billing, Empty, General
    assert general_cell == f'<a href="/tickets?queue={general}">2 unresolved</a>'
    assert billing_cell.startswith(
        f'<a href="/tickets?queue={billing}&amp;status=any">0 unresolved</a>'
    )
    assert "holds resolved or closed ones" in billing_cell
    assert empty_cell == f'<a href="/tickets?queue={empty}&amp;status=any">No tickets</a>'


def test_a_slug_saved_otherwise_than_typed_is_said(app, admin_web):
    admin_web.post("/admin/queues", {"name": "Bad", "slug": "bad slug!"})
    html = admin_web.html("/admin/queues")
    assert "Queue Bad added. The slug was saved as &#39;bad-slug&#39;, not as typed" in html
    page = f"/admin/queues/{_queue_id(app, 'bad-slug')}"
    admin_web.post(page, {"name": "Bad", "slug": "Worse Slug"})
    assert "The slug was saved as &#39;worse-slug&#39;" in admin_web.html("/admin/queues")
    admin_web.post(page, {"name": "Good", "slug": "good"})
    html = admin_web.html("/admin/queues")
    assert "Queue Good saved." in html and "The slug was saved" not in html


def test_admin_deletes_an_empty_queue_after_confirming(app, admin_web):
    billing = _add_billing(app, admin_web)
    confirm = f"/admin/queues/{billing}/delete"
    assert f'href="{confirm}"' in admin_web.html(f"/admin/queues/{billing}")
    assert "<h1>Delete Billing?</h1>" in admin_web.html(confirm)
    assert _queue_id(app, "billing") == billing  # asking deletes nothing
    response = admin_web.submit(confirm, confirm)
    assert response.location == "/admin/queues"
    html = admin_web.html("/admin/queues")
    assert "Queue Billing deleted." in html and "<code>billing</code>" not in html
    assert _queue_id(app, "billing") is None


def test_a_queue_holding_tickets_says_how_many_and_offers_no_delete(
    app, admin_web, factory, customer
):
    billing = _add_billing(app, admin_web)
    factory.ticket(customer, queue_id=billing)
    confirm = f"/admin/queues/{billing}/delete"
    html = admin_web.html(confirm)
    assert "Billing holds 1 ticket: move it to another queue first, then delete it." in html
    assert f'href="/tickets?queue={billing}&amp;status=any"' in html
    assert f'action="{confirm}"' not in html
    response = admin_web.post(confirm, page="/admin/queues")
    assert response.location == confirm
    assert _queue_id(app, "billing") == billing


def test_deleting_a_queue_needs_a_csrf_token(app, admin_web):
    billing = _add_billing(app, admin_web)
    assert admin_web.client.post(f"/admin/queues/{billing}/delete").status_code == 400
    assert _queue_id(app, "billing") == billing


@pytest.mark.parametrize("who", ["staff_web", "customer_web"])
def test_only_admins_rename_or_delete_queues(app, request, admin_web, who):
    billing = _add_billing(app, admin_web)
    browser = request.getfixturevalue(who)
    assert browser.get(f"/admin/queues/{billing}").status_code == 403
    assert browser.get(f"/admin/queues/{billing}/delete").status_code == 403
    token = browser.csrf_token("/account/password")
    renamed = {"csrf_token": token, "name": "Mine", "slug": "mine"}
    assert browser.client.post(f"/admin/queues/{billing}", data=renamed).status_code == 403
    deleted = {"csrf_token": token}
    assert browser.client.post(f"/admin/queues/{billing}/delete", data=deleted).status_code == 403
    assert _queue_id(app, "billing") == billing


def test_after_a_queue_is_deleted_the_sidebar_and_history_still_read_well(
    app, admin_web, staff_web, factory, customer, staff
):
    billing, general = _add_billing(app, admin_web), _queue_id(app, "general")
    ticket = factory.ticket(customer, title="Refund", queue_id=billing)
    with app.app_context():
        mover = db.session.get(User, staff.id)
        ticket_manager().update_ticket(mover, ticket.id, {"queue_id": general})
        db.session.remove()
    admin_web.submit(f"/admin/queues/{billing}/delete", f"/admin/queues/{billing}/delete")
    html = staff_web.html("/tickets")
    assert f'?queue={general}">General <strong>1</strong>' in html
    assert "Billing" not in html
    history = staff_web.html(f"/tickets/{ticket.id}")
    assert "moved the ticket from a deleted queue to General" in history


@pytest.mark.parametrize(
    "path",
    [f"/admin/queues/{2**31}", f"/admin/queues/{2**31}/delete", f"/admin/users/{2**31}"],
)
def test_an_id_past_what_a_column_holds_is_not_found(admin_web, path):
    assert admin_web.get(path).status_code == 404


@pytest.mark.parametrize("page", ["/admin/users", "/admin/outbox"])
def test_a_cursor_past_what_a_column_holds_starts_from_the_first_page(admin_web, page):
    html = admin_web.html(f"{page}?after={2**31}&before={2**31}")
    assert "<h1>" in html


@pytest.mark.parametrize("name", ["GENERAL", "general"])
def test_a_queue_named_as_another_in_another_case_is_refused_on_the_name(app, admin_web, name):
    response = admin_web.post("/admin/queues", {"name": name, "slug": "other"})
    assert response.status_code == 422
    assert 'id="name-error">A queue named General exists already.' in response.get_data(
        as_text=True
    )
    assert _queue_id(app, "other") is None


def test_renaming_a_queue_to_another_name_in_another_case_is_refused_on_the_name(app, admin_web):
    page = f"/admin/queues/{_add_billing(app, admin_web)}"
    response = admin_web.post(page, {"name": "GENERAL", "slug": "billing"})
    assert response.status_code == 422
    assert 'id="name-error">A queue named General exists already.' in response.get_data(
        as_text=True
    )


def test_a_queue_added_without_a_slug_gets_a_free_one_made_from_its_name(app, admin_web):
    response = admin_web.post("/admin/queues", {"name": "Général", "slug": ""})
    assert response.location == "/admin/queues"
    assert "<code>general-2</code>" in admin_web.html("/admin/queues")


def test_the_queues_page_lists_them_by_name_whatever_their_case_and_accents(admin_web):
    for name in ("Zeta", "billing-team", "Échanges"):
        admin_web.post("/admin/queues", {"name": name, "slug": ""})
    html = admin_web.html("/admin/queues")
    names = re.findall(r'<td data-label="Name" class="cell-name">([^<]+)</td>', html)
    assert names == ["billing-team", "Échanges", "General", "Zeta"]


# --- ways in for people without a password ----------------------------------------


def _links_mailed(app, address: str) -> list[tuple[str, str]]:
    """(kind, subject) of each password mail in the outbox to this address."""
    from ticketdesk.models import OutboxMessage

    with app.app_context():
        rows = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == address)
        ).all()
        found = [(row.kind, row.subject) for row in rows]
        db.session.remove()
    return found


def _walk_in(as_staff) -> None:
    body = {"title": "t", "description": "d", "requester_email": "walk@example.org"}
    assert as_staff.post("/api/v1/tickets", json=body).status_code == 201


def test_admin_adds_a_person_without_typing_a_password(app, admin_web, factory):
    html = admin_web.html("/admin/users")
    assert 'value="Add person">' in html  # the button says what the heading says
    response = admin_web.post(
        "/admin/users", {"name": "New Agent", "email": "agent@example.com", "role": "staff"}
    )
    assert response.status_code == 302
    html = people_page(admin_web, "/admin/users")
    assert "they are mailed a link to choose a password" in html
    assert factory.account("agent@example.com").password_hash is None
    assert _links_mailed(app, "agent@example.com") == [
        ("welcome", "Choose your Ticketdesk password")
    ]


def test_admin_sends_a_password_link_to_someone_with_none_yet(app, admin_web, as_staff, factory):
    _walk_in(as_staff)
    walk_in = factory.account("walk@example.org")
    action = f"/admin/users/{walk_in.id}/welcome"
    response = admin_web.submit("/admin/users", action)
    assert response.status_code == 302
    assert response.location == "/admin/users"
    html = people_page(admin_web, "/admin/users")
    assert "Sent a link to choose a password to walk@example.org." in html
    assert ("welcome", "Choose your Ticketdesk password") in _links_mailed(app, "walk@example.org")


def test_no_password_link_for_someone_who_has_a_password(app, admin_web, customer):
    action = f"/admin/users/{customer.id}/welcome"
    assert f'action="{action}"' not in admin_web.html("/admin/users")
    response = admin_web.post(action, page="/admin/users")
    assert response.status_code == 302
    assert "has a password already" in people_page(admin_web, "/admin/users")
    assert _links_mailed(app, customer.email) == []


def test_sending_a_password_link_needs_a_csrf_token(app, admin_web, as_staff, factory):
    _walk_in(as_staff)
    walk_in = factory.account("walk@example.org")
    response = admin_web.client.post(f"/admin/users/{walk_in.id}/welcome")
    assert response.status_code == 400
    assert [kind for kind, _ in _links_mailed(app, "walk@example.org")] == ["ticket_created"]
