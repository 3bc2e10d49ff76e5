"""Tickets staff open for someone who phoned or came by, named by email address."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories import ApiClient
from tests.security.test_password_reset import mailed_token
from ticketdesk.extensions import db
from ticketdesk.models import Role, SecurityEvent, SecurityEventKind, Ticket, User

TICKETS = "/api/v1/tickets"
CALLER = "caller@example.com"


def phoned(client, **requester):
    return client.post(TICKETS, json={"title": "Phoned in", "description": "x", **requester})


def count_rows(app, model) -> int:
    with app.app_context():
        return db.session.query(model).count()


def test_unknown_address_gets_a_passwordless_customer_account(as_staff, factory):
    response = phoned(as_staff, requester_email=CALLER)
    assert response.status_code == 201
    made = factory.account(CALLER)
    assert (made.role, made.active, made.password_hash) == (Role.CUSTOMER, True, None)
    assert response.json["requester"] == {"id": made.id, "name": "caller", "role": "customer"}


def test_new_account_takes_the_name_given(as_staff, factory):
    response = phoned(as_staff, requester_email=CALLER, requester_name=" Cal Caller ")
    assert response.json["requester"]["name"] == "Cal Caller"
    assert factory.account(CALLER).name == "Cal Caller"


def test_known_address_is_that_account_however_it_is_written(app, as_staff, customer):
    typed = "  " + customer.email.upper()
    response = phoned(as_staff, requester_email=typed, requester_name="Someone Else")
    assert response.status_code == 201
    assert response.json["requester_id"] == customer.id
    assert response.json["requester"]["name"] == "Carla Customer"
    assert count_rows(app, User) == 2  # the customer and the staff member: nobody new


@pytest.mark.parametrize("role", [Role.STAFF, Role.ADMIN])
def test_a_colleagues_address_may_be_the_requester(as_staff, factory, role):
    colleague = factory.user(role, name="Cole League")
    response = phoned(as_staff, requester_email=colleague.email)
    assert response.status_code == 201
    assert response.json["requester_id"] == colleague.id


def test_admin_opens_ticket_for_a_caller_too(as_admin, factory):
    assert phoned(as_admin, requester_email=CALLER).status_code == 201
    assert factory.account(CALLER) is not None


def test_deactivated_account_is_a_field_error(app, as_staff, customer, factory):
    factory.deactivate(customer)
    response = phoned(as_staff, requester_email=customer.email)
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["requester_email"]
    assert "deactivated" in response.json["errors"][0]["detail"]
    assert count_rows(app, Ticket) == 0


@pytest.mark.parametrize(
    ("requester", "field", "says"),
    [
        ({"requester_email": "not an address"}, "requester_email", "not a valid email"),
        ({"requester_email": "x" * 250 + "@example.com"}, "requester_email", "too long"),
        ({"requester_email": CALLER, "requester_name": "   "}, "requester_name", "at least 1"),
        ({"requester_email": CALLER, "requester_name": "n" * 121}, "requester_name", "at most"),
        ({"requester_name": "Cal Caller"}, "requester_email", "email address, please"),
        ({"requester_email": CALLER, "requester_id": 1}, "requester_email", "not both"),
    ],
)
def test_bad_requester_fields_are_named(app, as_staff, factory, requester, field, says):
    response = phoned(as_staff, **requester)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    [error] = response.json["errors"]
    assert error["field"] == field and says in error["detail"]
    assert count_rows(app, Ticket) == 0
    assert factory.account(CALLER) is None


def test_customer_cannot_open_ticket_for_an_address(app, as_customer, factory):
    response = phoned(as_customer, requester_email=CALLER)
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert count_rows(app, Ticket) == 0
    assert factory.account(CALLER) is None


def test_customer_may_name_their_own_address_as_by_their_own_id(app, as_customer, customer):
    response = phoned(as_customer, requester_email=" " + customer.email.upper())
    assert response.status_code == 201
    assert response.json["requester_id"] == customer.id
    assert count_rows(app, User) == 1


def test_ticket_that_fails_validation_leaves_no_account(as_staff, factory):
    response = as_staff.post(
        TICKETS, json={"title": "   ", "description": "x", "requester_email": CALLER}
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["title"]
    assert factory.account(CALLER) is None


def test_retried_request_makes_one_ticket_and_one_account(app, as_staff):
    headers = {"Idempotency-Key": "phone-1"}
    first = as_staff.post(
        TICKETS, json={"title": "t", "description": "d", "requester_email": CALLER}, headers=headers
    )
    again = as_staff.post(
        TICKETS, json={"title": "t", "description": "d", "requester_email": CALLER}, headers=headers
    )
    assert first.status_code == again.status_code == 201
    assert again.json["id"] == first.json["id"]
    assert count_rows(app, Ticket) == 1
    assert count_rows(app, User) == 2


def test_history_credits_the_staff_member_and_the_ticket_the_caller(as_staff, staff):
    created = phoned(as_staff, requester_email=CALLER).json
    events = as_staff.get(f"{TICKETS}/{created['id']}/events").json["items"]
    assert [(e["kind"], e["actor_id"]) for e in events] == [("created", staff.id)]
    assert created["requester_id"] != staff.id


def test_security_log_names_who_made_the_account(app, as_staff, staff):
    requester_id = phoned(as_staff, requester_email=CALLER).json["requester_id"]
    with app.app_context():
        made = db.session.scalars(
            select(SecurityEvent).where(SecurityEvent.kind == SecurityEventKind.USER_CREATED)
        ).all()
        assert [(e.actor_id, e.subject_id, e.detail) for e in made] == [
            (staff.id, requester_id, "customer")
        ]


def test_caller_sees_their_ticket_once_they_set_a_password(app, client, as_staff):
    ticket_id = phoned(as_staff, requester_email=CALLER).json["id"]
    client.post("/api/v1/auth/password-reset", json={"email": CALLER})
    confirm = {"token": mailed_token(app, CALLER), "new_password": "a fresh long password"}
    assert client.post("/api/v1/auth/password-reset/confirm", json=confirm).status_code == 204
    signed_in = client.post(
        "/api/v1/auth/tokens", json={"email": CALLER, "password": confirm["new_password"]}
    )
    caller = ApiClient(client, signed_in.json["token"])
    assert caller.get(f"{TICKETS}/{ticket_id}").status_code == 200
    assert [t["id"] for t in caller.get(TICKETS).json["items"]] == [ticket_id]
