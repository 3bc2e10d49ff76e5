"""People and queues through the API: who may list, create and change them."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD, ApiClient
from ticketdesk.models import Role

USERS = "/api/v1/users"


def test_staff_lists_users_by_role(as_staff, customer, other_customer, staff):
    everyone = as_staff.get(USERS).json["items"]
    assert {user["id"] for user in everyone} == {customer.id, other_customer.id, staff.id}
    customers = as_staff.get(f"{USERS}?role=customer").json["items"]
    assert {user["id"] for user in customers} == {customer.id, other_customer.id}


def test_user_list_pages_by_cursor(as_admin, factory):
    for index in range(5):
        factory.user(Role.CUSTOMER, name=f"C{index}")
    first = as_admin.get(f"{USERS}?limit=4").json
    second = as_admin.get(f"{USERS}?limit=4&cursor={first['next_cursor']}").json
    ids = [user["id"] for user in first["items"] + second["items"]]
    assert len(ids) == 6 and len(set(ids)) == 6
    assert second["next_cursor"] is None


@pytest.mark.parametrize("query", ["role=boss", "limit=0", "limit=101", "cursor=abc"])
def test_bad_user_query_is_rejected(as_admin, query):
    assert as_admin.get(f"{USERS}?{query}").status_code == 422


def test_customer_cannot_list_users(as_customer):
    assert as_customer.get(USERS).status_code == 403


def test_admin_creates_staff(as_admin):
    response = as_admin.post(
        USERS, json={"name": "New Agent", "email": "agent@example.com", "role": "staff"}
    )
    assert response.status_code == 201
    assert response.json["role"] == "staff"
    assert response.headers["Location"] == f"{USERS}/{response.json['id']}"


@pytest.mark.parametrize("client_name", ["as_staff", "as_customer"])
def test_only_admins_create_users(app, request, client_name):
    client = request.getfixturevalue(client_name)
    response = client.post(USERS, json={"name": "X", "email": "x@example.com", "role": "admin"})
    assert response.status_code == 403


def test_admin_reads_anyone_others_read_only_themselves(as_admin, as_staff, as_customer, customer):
    assert as_admin.get(f"{USERS}/{customer.id}").status_code == 200
    assert as_customer.get(f"{USERS}/{customer.id}").status_code == 200
    assert as_staff.get(f"{USERS}/{customer.id}").status_code == 403
    assert as_admin.get(f"{USERS}/99999").status_code == 404


def test_admin_promotes_and_deactivates(client, factory, as_admin, customer):
    secret = factory.token(customer)
    promoted = as_admin.patch(f"{USERS}/{customer.id}", json={"role": "staff", "name": "Carla S"})
    assert promoted.status_code == 200
    assert (promoted.json["role"], promoted.json["name"]) == ("staff", "Carla S")
    assert ApiClient(client, secret).get(USERS).status_code == 200
    deactivated = as_admin.patch(f"{USERS}/{customer.id}", json={"active": False})
    assert deactivated.json["active"] is False
    assert ApiClient(client, secret).get("/api/v1/me").status_code == 401


def test_admin_cannot_demote_or_deactivate_self(as_admin, admin):
    assert as_admin.patch(f"{USERS}/{admin.id}", json={"role": "customer"}).status_code == 409
    assert as_admin.patch(f"{USERS}/{admin.id}", json={"active": False}).status_code == 409
    assert as_admin.patch(f"{USERS}/{admin.id}", json={"name": "Ada B"}).status_code == 200


@pytest.mark.parametrize(
    "payload",
    [{"password": "a new long secret"}, {"email": None}, {"role": None}, {"active": "maybe"},
     {"id": 3}],
)  # fmt: skip
def test_user_patch_allows_only_known_fields(as_admin, customer, payload):
    assert as_admin.patch(f"{USERS}/{customer.id}", json=payload).status_code == 422


@pytest.mark.parametrize("client_name", ["as_staff", "as_customer"])
def test_only_admins_change_users(app, request, client_name, other_customer):
    client = request.getfixturevalue(client_name)
    response = client.patch(f"{USERS}/{other_customer.id}", json={"role": "admin"})
    assert response.status_code == 403


def test_admin_corrects_an_address_which_then_signs_in(client, factory, as_admin, customer):
    secret = factory.token(customer)
    response = as_admin.patch(f"{USERS}/{customer.id}", json={"email": " Carla.New@Example.COM"})
    assert response.status_code == 200
    assert response.json["email"] == "carla.new@example.com"
    new = {"email": "carla.new@example.com", "password": PASSWORD}
    assert client.post("/api/v1/auth/tokens", json=new).status_code == 201
    old = {"email": customer.email, "password": PASSWORD}
    assert client.post("/api/v1/auth/tokens", json=old).status_code == 401
    assert ApiClient(client, secret).get("/api/v1/me").status_code == 200  # tokens go on


def test_a_new_account_with_a_taken_address_names_the_field(as_admin, customer):
    body = {"name": "Twin", "email": customer.email.upper(), "role": "customer"}
    response = as_admin.post(USERS, json=body)
    assert response.status_code == 409
    assert [error["field"] for error in response.json["errors"]] == ["email"]


def test_an_address_someone_has_whatever_its_case_is_a_conflict(as_admin, customer, other_customer):
    taken = other_customer.email.upper()
    response = as_admin.patch(f"{USERS}/{customer.id}", json={"email": taken})
    assert response.status_code == 409
    assert [error["field"] for error in response.json["errors"]] == ["email"]
    assert as_admin.get(f"{USERS}/{customer.id}").json["email"] == customer.email
    same = as_admin.patch(f"{USERS}/{customer.id}", json={"email": customer.email.upper()})
    assert same.status_code == 200  # their own address, in capitals, is no change


@pytest.mark.parametrize(
    ("address", "says"),
    [("not-an-address", "must have an @-sign"), ("a@b", "It should have a period"),
     ("x" * 250 + "@example.com", "too long")],
)  # fmt: skip
def test_an_invalid_address_is_a_field_error(as_admin, customer, address, says):
    response = as_admin.patch(f"{USERS}/{customer.id}", json={"email": address})
    assert response.status_code == 422
    [error] = response.json["errors"]
    assert error["field"] == "email" and says in error["detail"]


@pytest.mark.parametrize("client_name", ["as_staff", "as_customer"])
def test_only_admins_change_addresses_even_their_own(request, as_admin, client_name):
    client = request.getfixturevalue(client_name)
    me = client.get("/api/v1/me").json
    response = client.patch(f"{USERS}/{me['id']}", json={"email": "mine@example.com"})
    assert response.status_code == 403
    assert as_admin.get(f"{USERS}/{me['id']}").json["email"] == me["email"]


def test_people_are_found_by_their_new_address_only(as_admin, as_staff, customer):
    as_admin.patch(f"{USERS}/{customer.id}", json={"email": "carla@newdomain.example"})
    found = as_staff.get(f"{USERS}?q=newdomain").json["items"]
    assert [user["id"] for user in found] == [customer.id]
    assert as_staff.get(f"{USERS}?q={customer.email.split('@')[0]}").json["items"] == []


def test_user_tickets_lists_requested_and_assigned(as_staff, factory, customer, staff):
    mine = factory.ticket(customer, title="mine")
    assigned = factory.ticket(customer, title="to staff")
    as_staff.patch(f"/api/v1/tickets/{assigned.id}", json={"assignee_id": staff.id})
    factory.ticket(factory.user(), title="someone else")
    staff_view = as_staff.get(f"{USERS}/{staff.id}/tickets").json["items"]
    assert [t["id"] for t in staff_view] == [assigned.id]
    customer_view = as_staff.get(f"{USERS}/{customer.id}/tickets").json["items"]
    assert {t["id"] for t in customer_view} == {mine.id, assigned.id}


@pytest.mark.parametrize("sort", ["-created_at", "created_at", "-updated_at", "-priority"])
def test_user_tickets_come_once_each_in_order_across_pages(
    as_staff, factory, customer, staff, sort
):
    """Asked for and assigned are listed apart and merged: every ticket once, in order,
    one on both sides included."""
    both = as_staff.post("/api/v1/tickets", json={"title": "own", "description": "mine"}).json
    assert both["requester_id"] == staff.id
    for n, priority in enumerate(["low", "urgent", "normal", "high", "urgent"]):
        ticket = factory.ticket(customer, title=f"assigned {n}", priority=priority)
        as_staff.patch(f"/api/v1/tickets/{ticket.id}", json={"assignee_id": staff.id})
    as_staff.patch(f"/api/v1/tickets/{both['id']}", json={"assignee_id": staff.id})
    factory.ticket(customer, title="someone else's")
    everything = as_staff.get(f"/api/v1/tickets?sort={sort}&limit=100").json["items"]
    expected = [t["id"] for t in everything if staff.id in (t["requester_id"], t["assignee_id"])]

    listed, cursor = [], ""
    while cursor is not None:
        page = as_staff.get(f"{USERS}/{staff.id}/tickets?sort={sort}&limit=2&cursor={cursor}")
        listed += [ticket["id"] for ticket in page.json["items"]]
        cursor = page.json["next_cursor"]

    assert listed == expected and len(listed) == 6


def test_customer_asks_only_about_own_tickets(as_customer, customer, other_customer):
    assert as_customer.get(f"{USERS}/{customer.id}/tickets").status_code == 200
    assert as_customer.get(f"{USERS}/{other_customer.id}/tickets").status_code == 404
    assert as_customer.get(f"{USERS}/99999/tickets").status_code == 404


# --- queues -----------------------------------------------------------------


def test_anyone_signed_in_lists_queues(as_customer, anonymous):
    assert [q["slug"] for q in as_customer.get("/api/v1/queues").json] == ["general"]
    assert anonymous.get("/api/v1/queues").status_code == 401


def test_admin_creates_queue_with_slug(as_admin):
    response = as_admin.post("/api/v1/queues", json={"name": "Billing & Refunds"})
    assert response.status_code == 201
    assert response.json["slug"] == "billing-refunds"
    assert as_admin.post("/api/v1/queues", json={"name": "Billing & Refunds"}).status_code == 409


@pytest.mark.parametrize("payload", [{}, {"name": ""}, {"name": "x" * 121}, {"name": "!!!"}])
def test_invalid_queue_is_rejected(as_admin, payload):
    assert as_admin.post("/api/v1/queues", json=payload).status_code == 422


def test_a_queue_named_without_latin_letters_asks_for_a_slug(as_admin):
    response = as_admin.post("/api/v1/queues", json={"name": "日本語サポート"})
    assert response.status_code == 422
    assert "no letters a-z or digits to make a slug of" in response.json["errors"][0]["detail"]
    named = as_admin.post("/api/v1/queues", json={"name": "日本語サポート", "slug": "japan"})
    assert named.status_code == 201 and named.json["slug"] == "japan"


@pytest.mark.parametrize("client_name", ["as_staff", "as_customer"])
def test_only_admins_create_queues(app, request, client_name):
    client = request.getfixturevalue(client_name)
    assert client.post("/api/v1/queues", json={"name": "Sales"}).status_code == 403


@pytest.mark.parametrize("change", [{"active": False}, {"role": "customer"}])
def test_someone_who_can_no_longer_hold_tickets_leaves_their_open_ones_unassigned(
    as_admin, as_staff, factory, customer, staff, admin, change
):
    tickets = "/api/v1/tickets"
    open_one, done_one = factory.ticket(customer), factory.ticket(customer)
    for ticket in (open_one, done_one):
        as_staff.patch(f"{tickets}/{ticket.id}", json={"assignee_id": staff.id})
    as_staff.patch(f"{tickets}/{done_one.id}", json={"status": "resolved"})
    before = as_admin.get(f"{tickets}/{open_one.id}").json["version"]

    assert as_admin.patch(f"{USERS}/{staff.id}", json=change).status_code == 200

    released = as_admin.get(f"{tickets}/{open_one.id}").json
    assert (released["assignee"], released["version"]) == (None, before + 1)
    assert as_admin.get(f"{tickets}/{done_one.id}").json["assignee"]["id"] == staff.id
    last = as_admin.get(f"{tickets}/{open_one.id}/events").json["items"][-1]
    assert (last["kind"], last["old_value"], last["new_value"]) == (
        "assignee",
        str(staff.id),
        None,
    )
    assert last["actor_id"] == admin.id
    counts = as_admin.get(f"{tickets}/counts").json
    unassigned = [row for row in counts["active_by_assignee"] if row["assignee_id"] is None]
    assert unassigned[0]["active"] == 1


# --- renaming and deleting queues ---------------------------------------------

QUEUES = "/api/v1/queues"


def queue_ids(client) -> dict[str, int]:
    return {queue["slug"]: queue["id"] for queue in client.get(QUEUES).json}


def test_admin_renames_a_queue_and_changes_its_slug(as_admin):
    queue = as_admin.post(QUEUES, json={"name": "Billing"}).json
    renamed = as_admin.patch(f"{QUEUES}/{queue['id']}", json={"name": "Invoices"})
    assert renamed.status_code == 200
    assert (renamed.json["name"], renamed.json["slug"]) == ("Invoices", "billing")
    made_from_name = as_admin.patch(f"{QUEUES}/{queue['id']}", json={"slug": ""}).json
    assert made_from_name["slug"] == "invoices"
    typed = as_admin.patch(f"{QUEUES}/{queue['id']}", json={"slug": "Money Back"}).json
    assert typed["slug"] == "money-back"
    assert set(queue_ids(as_admin)) == {"general", "money-back"}


@pytest.mark.parametrize(("change", "field"), [({"name": "General"}, "name"),
                                               ({"slug": "GENERAL"}, "slug")])  # fmt: skip
def test_a_name_or_slug_another_queue_has_is_a_conflict_on_that_field(as_admin, change, field):
    queue = as_admin.post(QUEUES, json={"name": "Billing"}).json
    response = as_admin.patch(f"{QUEUES}/{queue['id']}", json=change)
    assert response.status_code == 409
    assert [error["field"] for error in response.json["errors"]] == [field]
    assert as_admin.patch(f"{QUEUES}/{queue['id']}", json={"name": "Billing"}).status_code == 200


@pytest.mark.parametrize(
    "payload",
    [{"name": ""}, {"name": None}, {"name": "x" * 121}, {"slug": "!!!"}, {"slug": None},
     {"id": 3}],
)  # fmt: skip
def test_invalid_queue_change_is_rejected(as_admin, payload):
    response = as_admin.patch(f"{QUEUES}/{queue_ids(as_admin)['general']}", json=payload)
    assert response.status_code == 422
    assert response.json["errors"]


def test_the_default_queue_keeps_its_slug_but_may_be_renamed(as_admin, as_customer):
    general = queue_ids(as_admin)["general"]
    refused = as_admin.patch(f"{QUEUES}/{general}", json={"slug": "support"})
    assert refused.status_code == 409
    assert refused.json["errors"][0]["field"] == "slug"
    assert "DEFAULT_QUEUE_SLUG" in refused.json["detail"]
    renamed = as_admin.patch(f"{QUEUES}/{general}", json={"name": "Support"})
    assert (renamed.json["name"], renamed.json["slug"]) == ("Support", "general")
    ticket = as_customer.post("/api/v1/tickets", json={"title": "t", "description": "d"}).json
    assert ticket["queue_id"] == general


def test_a_queue_the_mail_settings_name_keeps_its_slug_and_is_not_deleted(app, as_admin):
    queue = as_admin.post(QUEUES, json={"name": "Billing"}).json
    app.config["MAIL_QUEUE_ADDRESSES"] = {"billing@example.com": "billing"}
    response = as_admin.patch(f"{QUEUES}/{queue['id']}", json={"slug": "invoices"})
    assert response.status_code == 409 and "MAIL_QUEUE_ADDRESSES" in response.json["detail"]
    assert as_admin.delete(f"{QUEUES}/{queue['id']}").status_code == 409
    assert as_admin.patch(f"{QUEUES}/{queue['id']}", json={"name": "Invoices"}).status_code == 200


@pytest.mark.parametrize("client_name", ["as_staff", "as_customer"])
def test_only_admins_rename_or_delete_queues(as_admin, request, client_name):
    queue = as_admin.post(QUEUES, json={"name": "Billing"}).json
    client = request.getfixturevalue(client_name)
    assert client.patch(f"{QUEUES}/{queue['id']}", json={"name": "Mine"}).status_code == 403
    assert client.delete(f"{QUEUES}/{queue['id']}").status_code == 403
    assert as_admin.get(QUEUES).json[0] == queue


def test_admin_deletes_an_empty_queue(as_admin):
    queue = as_admin.post(QUEUES, json={"name": "Billing"}).json
    assert as_admin.delete(f"{QUEUES}/{queue['id']}").status_code == 204
    assert list(queue_ids(as_admin)) == ["general"]
    assert as_admin.delete(f"{QUEUES}/{queue['id']}").status_code == 404
    assert as_admin.patch(f"{QUEUES}/{queue['id']}", json={"name": "Back"}).status_code == 404


def test_a_queue_holding_tickets_is_not_deleted(as_admin, factory, customer):
    queue = as_admin.post(QUEUES, json={"name": "Billing"}).json
    factory.ticket(customer, queue_id=queue["id"])
    factory.ticket(customer, queue_id=queue["id"])
    response = as_admin.delete(f"{QUEUES}/{queue['id']}")
    assert response.status_code == 409
    assert response.json["detail"] == (
        "Billing holds 2 tickets: move them to another queue first, then delete it."
    )
    assert "billing" in queue_ids(as_admin)


def test_the_default_queue_is_never_deleted(as_admin):
    response = as_admin.delete(f"{QUEUES}/{queue_ids(as_admin)['general']}")
    assert response.status_code == 409
    assert "DEFAULT_QUEUE_SLUG" in response.json["detail"]


def test_counts_forget_a_queue_emptied_and_deleted(as_admin, as_staff, factory, customer):
    queue = as_admin.post(QUEUES, json={"name": "Billing"}).json
    ticket = factory.ticket(customer, queue_id=queue["id"])
    general = queue_ids(as_admin)["general"]
    as_staff.patch(f"/api/v1/tickets/{ticket.id}", json={"queue_id": general})
    assert as_admin.delete(f"{QUEUES}/{queue['id']}").status_code == 204
    counts = as_staff.get("/api/v1/tickets/counts").json
    assert counts["active_by_queue"] == [{"queue_id": general, "active": 1}]
    assert counts["by_status"]["open"] == 1


def test_a_deleted_queues_id_is_never_given_to_another(as_admin):
    """The tickets' history names queues by id (SQLite would reuse the newest id)."""
    deleted = as_admin.post(QUEUES, json={"name": "Billing"}).json
    assert as_admin.delete(f"{QUEUES}/{deleted['id']}").status_code == 204
    assert as_admin.post(QUEUES, json={"name": "Sales"}).json["id"] > deleted["id"]


@pytest.mark.parametrize(
    "name", ["Line One\r\nBcc: evil@example.com", "ro\u202eot", "Tab\tbed", "\u200b\u2060"]
)
def test_a_name_is_one_line_shown_as_stored(as_admin, customer, name):
    response = as_admin.patch(f"/api/v1/users/{customer.id}", json={"name": name})
    assert response.status_code == 422
    assert [error["field"] for error in response.json["errors"]] == ["name"]
    assert as_admin.get(f"/api/v1/users/{customer.id}").json["name"] == "Carla Customer"


@pytest.mark.parametrize(
    "title", ["Hello\r\nBcc: a@example.com", "\u202egnp.exe", "a\u2028b", "\u200b \u200b"]
)
def test_a_title_is_one_line_shown_as_stored(as_customer, ticket, title):
    """A title is a mail's Subject and a list's line: "\u202egnp.exe" showed as exe.gnp."""
    created = as_customer.post("/api/v1/tickets", json={"title": title, "description": "d"})
    edited = as_customer.patch(f"/api/v1/tickets/{ticket.id}", json={"title": title})
    for response in (created, edited):
        assert response.status_code == 422
        assert [error["field"] for error in response.json["errors"]] == ["title"]


def test_a_callers_name_is_one_line_too(as_staff):
    body = {"title": "t", "description": "d", "requester_email": "walk@example.org"}
    response = as_staff.post("/api/v1/tickets", json={**body, "requester_name": "A\nB"})
    assert response.status_code == 422
    assert [error["field"] for error in response.json["errors"]] == ["requester_name"]


# --- queue names whatever their case, and slugs made free ---------------------


@pytest.mark.parametrize("name", ["general", "GENERAL", " General  "])
def test_a_queue_named_as_another_in_another_case_is_a_conflict_on_the_name(as_admin, name):
    response = as_admin.post(QUEUES, json={"name": name, "slug": "other"})
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert [error["field"] for error in response.json["errors"]] == ["name"]
    assert set(queue_ids(as_admin)) == {"general"}


def test_renaming_a_queue_to_another_name_in_another_case_is_a_conflict_on_the_name(as_admin):
    billing = as_admin.post(QUEUES, json={"name": "Billing"}).json
    response = as_admin.patch(f"{QUEUES}/{billing['id']}", json={"name": "GENERAL"})
    assert response.status_code == 409
    assert [error["field"] for error in response.json["errors"]] == ["name"]
    recased = as_admin.patch(f"{QUEUES}/{billing['id']}", json={"name": "BILLING"})
    assert (recased.status_code, recased.json["name"]) == (200, "BILLING")


def test_a_queue_whose_name_makes_a_slug_taken_gets_a_free_one(as_admin):
    response = as_admin.post(QUEUES, json={"name": "Général"})
    assert (response.status_code, response.json["slug"]) == (201, "general-2")
    typed = as_admin.post(QUEUES, json={"name": "Généralités", "slug": "general"})
    assert typed.status_code == 409
    assert [error["field"] for error in typed.json["errors"]] == ["slug"]


def test_queues_are_listed_by_name_whatever_their_case_and_accents(as_admin, as_customer):
    for name in ("Zeta", "billing-team", "Échanges"):
        as_admin.post(QUEUES, json={"name": name})
    names = [queue["name"] for queue in as_customer.get(QUEUES).json]
    assert names == ["billing-team", "Échanges", "General", "Zeta"]
