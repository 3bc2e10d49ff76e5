"""The security log records who did what to which account, from where, and never a secret."""

from __future__ import annotations

from tests.factories import PASSWORD


def events(as_admin, kind=None):
    items = as_admin.get("/api/v1/admin/security-events?limit=200").json["items"]
    return [e for e in items if kind is None or e["kind"] == kind]


def test_failed_and_successful_token_requests_are_logged(client, as_admin, customer):
    client.post("/api/v1/auth/tokens", json={"email": customer.email, "password": "wrong one!!"})
    client.post("/api/v1/auth/tokens", json={"email": customer.email, "password": PASSWORD})
    failed = events(as_admin, "sign_in_failed")
    assert failed[0]["subject_id"] == customer.id and failed[0]["ip"] == "127.0.0.1"
    created = [e for e in events(as_admin, "token_created") if e["subject_id"] == customer.id]
    assert created
    log_text = str(events(as_admin))
    assert PASSWORD not in log_text and "wrong one!!" not in log_text


def test_role_and_activation_changes_are_logged(as_admin, admin, customer):
    as_admin.patch(f"/api/v1/users/{customer.id}", json={"role": "staff"})
    as_admin.patch(f"/api/v1/users/{customer.id}", json={"active": False})
    role = events(as_admin, "role_changed")[0]
    assert (role["actor_id"], role["subject_id"], role["detail"]) == (
        admin.id,
        customer.id,
        "customer -> staff",
    )
    assert events(as_admin, "activation_changed")[0]["detail"] == "deactivated"


def test_denied_access_is_logged(as_admin, as_customer, customer, ticket):
    as_customer.patch(f"/api/v1/tickets/{ticket.id}", json={"priority": "urgent"})
    denied = events(as_admin, "access_denied")[0]
    assert denied["actor_id"] == customer.id
    assert f"/api/v1/tickets/{ticket.id}" in denied["detail"]


def test_only_admins_read_the_log(as_staff, as_customer):
    assert as_staff.get("/api/v1/admin/security-events").status_code == 403
    assert as_customer.get("/api/v1/admin/security-events").status_code == 403


def test_log_pages_newest_first(as_admin, client, customer):
    for _ in range(3):
        client.post("/api/v1/auth/tokens", json={"email": customer.email, "password": "nope nope"})
    first = as_admin.get("/api/v1/admin/security-events?limit=2").json
    second = as_admin.get(
        f"/api/v1/admin/security-events?limit=2&cursor={first['next_cursor']}"
    ).json
    ids = [e["id"] for e in first["items"] + second["items"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 4


def test_address_changes_are_logged_with_both_addresses(as_admin, admin, customer):
    as_admin.patch(f"/api/v1/users/{customer.id}", json={"email": "carla@elsewhere.example"})
    as_admin.patch(f"/api/v1/users/{customer.id}", json={"email": "carla@elsewhere.example"})
    [changed] = events(as_admin, "email_changed")
    assert (changed["actor_id"], changed["subject_id"], changed["detail"]) == (
        admin.id,
        customer.id,
        f"{customer.email} -> carla@elsewhere.example",
    )
