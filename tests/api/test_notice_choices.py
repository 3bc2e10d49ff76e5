"""GET and PATCH /api/v1/me/notifications: staff choose the notices they are mailed."""

from __future__ import annotations

import pytest

NOTICES = "/api/v1/me/notifications"
DEFAULTS = {"new_tickets": "all", "queue_ids": [], "assigned_to_me": True}


@pytest.fixture
def sales(as_admin) -> int:
    return as_admin.post("/api/v1/queues", json={"name": "Sales"}).json["id"]


def test_staff_are_mailed_everything_until_they_choose(as_staff, as_admin):
    for api in (as_staff, as_admin):
        answer = api.get(NOTICES)
        assert answer.status_code == 200 and answer.json == DEFAULTS


def test_staff_choose_new_tickets_of_their_queues_and_no_assigned_notices(as_staff, sales):
    chosen = {"new_tickets": "queues", "queue_ids": [sales, 1], "assigned_to_me": False}
    answer = as_staff.patch(NOTICES, json=chosen)
    assert answer.status_code == 200
    assert answer.json == {**chosen, "queue_ids": [1, sales]}
    assert as_staff.get(NOTICES).json == answer.json


def test_a_deleted_queue_leaves_the_choices_that_named_it(as_staff, as_admin, sales):
    """Whoever chose only the deleted queue hears of all new tickets again, rather than
    of none without having said so; a choice of other queues keeps those."""
    as_staff.patch(NOTICES, json={"new_tickets": "queues", "queue_ids": [sales]})
    as_admin.patch(NOTICES, json={"new_tickets": "queues", "queue_ids": [sales, 1]})
    assert as_admin.delete(f"/api/v1/queues/{sales}").status_code == 204
    assert as_staff.get(NOTICES).json == DEFAULTS
    assert as_admin.get(NOTICES).json == {**DEFAULTS, "new_tickets": "queues", "queue_ids": [1]}


def test_only_the_fields_sent_change_and_the_queues_are_kept(as_staff, sales):
    as_staff.patch(NOTICES, json={"new_tickets": "queues", "queue_ids": [sales]})
    as_staff.patch(NOTICES, json={"new_tickets": "none"})
    answer = as_staff.patch(NOTICES, json={"assigned_to_me": False})
    assert answer.json == {"new_tickets": "none", "queue_ids": [sales], "assigned_to_me": False}


def test_one_staff_members_choice_is_not_anothers(as_staff, as_admin):
    as_staff.patch(NOTICES, json={"new_tickets": "none"})
    assert as_admin.get(NOTICES).json == DEFAULTS


@pytest.mark.parametrize("method", ["GET", "PATCH"])
def test_customers_have_no_choice_to_make(as_customer, method):
    answer = as_customer.request(method, NOTICES, json={"new_tickets": "none"})
    assert answer.status_code == 403
    assert answer.mimetype == "application/problem+json"
    assert "mail about your own tickets always reaches you" in answer.json["detail"]


def test_notice_fields_are_not_fields_of_me(as_staff):
    answer = as_staff.patch("/api/v1/me", json={"new_tickets": "none"})
    assert answer.status_code == 422
    assert as_staff.get(NOTICES).json == DEFAULTS


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({"queue_ids": [999]}, "No such queue: 999."),
        ({"new_tickets": "queues"}, "Choose at least one queue, or no new tickets at all."),
        ({"new_tickets": "queues", "queue_ids": []}, "Choose at least one queue"),
    ],
)
def test_a_choice_that_names_no_queue_is_refused(as_staff, body, said):
    answer = as_staff.patch(NOTICES, json=body)
    assert answer.status_code == 422
    assert answer.mimetype == "application/problem+json"
    [error] = answer.json["errors"]
    assert error["field"] == "queue_ids" and said in error["detail"]
    assert as_staff.get(NOTICES).json == DEFAULTS


@pytest.mark.parametrize(
    "body",
    [
        {"new_tickets": "some"},
        {"new_tickets": None},
        {"assigned_to_me": None},
        {"queue_ids": [0]},
        {"queue_ids": None},
    ],
)
def test_values_of_no_choice_are_refused(as_staff, body):
    answer = as_staff.patch(NOTICES, json=body)
    assert answer.status_code == 422
    assert [error["field"].split(".")[0] for error in answer.json["errors"]] == list(body)
    assert as_staff.get(NOTICES).json == DEFAULTS
