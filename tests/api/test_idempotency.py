"""Idempotency-Key: a retried POST returns the first result and creates nothing new."""

from __future__ import annotations

import threading

from ticketdesk.extensions import db
from ticketdesk.models import Comment, Ticket

TICKETS = "/api/v1/tickets"


def test_retried_ticket_creation_returns_the_first_ticket(app, as_customer):
    payload = {"title": "Once", "description": "only once"}
    headers = {"Idempotency-Key": "abc-123"}
    first = as_customer.post(TICKETS, json=payload, headers=headers)
    again = as_customer.post(TICKETS, json=payload, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json["id"] == again.json["id"]
    with app.app_context():
        assert db.session.query(Ticket).count() == 1


def test_same_key_with_other_body_is_rejected(as_customer):
    headers = {"Idempotency-Key": "k1"}
    as_customer.post(TICKETS, json={"title": "A", "description": "a"}, headers=headers)
    other = as_customer.post(TICKETS, json={"title": "B", "description": "b"}, headers=headers)
    assert other.status_code == 422
    [error] = other.json["errors"]
    assert (error["field"], error["location"]) == ("Idempotency-Key", "header")


def test_keys_belong_to_their_user(as_customer, as_other_customer):
    payload = {"title": "A", "description": "a"}
    headers = {"Idempotency-Key": "shared"}
    one = as_customer.post(TICKETS, json=payload, headers=headers).json["id"]
    two = as_other_customer.post(TICKETS, json=payload, headers=headers).json["id"]
    assert one != two


def test_retried_comment_is_posted_once(app, as_customer, ticket):
    headers = {"Idempotency-Key": "reply-1"}
    path = f"{TICKETS}/{ticket.id}/comments"
    ids = {as_customer.post(path, json={"body": "hi"}, headers=headers).json["id"] for _ in "ab"}
    assert len(ids) == 1
    with app.app_context():
        assert db.session.query(Comment).count() == 1


def test_racing_retries_make_one_ticket(app, factory, customer):
    token = factory.token(customer)
    barrier = threading.Barrier(4)
    ids: list[int] = []

    def post() -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            TICKETS,
            json={"title": "race", "description": "d"},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "race-key"},
        )
        assert response.status_code == 201, response.json
        ids.append(response.json["id"])

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ids) == 4 and len(set(ids)) == 1
    with app.app_context():
        assert db.session.query(Ticket).count() == 1


def test_bad_key_is_rejected(as_customer):
    response = as_customer.post(
        TICKETS, json={"title": "A", "description": "a"}, headers={"Idempotency-Key": "x" * 201}
    )
    assert response.status_code == 422
