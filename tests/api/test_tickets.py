"""Tickets through the API: creation, reading, changing, and who may do which."""

from __future__ import annotations

import io

import pytest
from sqlalchemy.orm import Session

from ticketdesk.extensions import db
from ticketdesk.models import Ticket, TicketEvent, User
from ticketdesk.services import ticket_values
from ticketdesk.services.queues import QueueManager

TICKETS = "/api/v1/tickets"


def count_rows(app, model) -> int:
    with app.app_context():
        return db.session.query(model).count()


# --- creating -------------------------------------------------------------


def test_customer_opens_ticket_as_requester(as_customer, customer):
    response = as_customer.post(TICKETS, json={"title": "  VPN down ", "description": "Since 9"})
    assert response.status_code == 201
    body = response.json
    assert body["title"] == "VPN down"
    assert body["status"] == "open"
    assert body["priority"] == "normal"
    assert body["requester_id"] == customer.id
    assert body["assignee_id"] is None
    assert response.headers["Location"] == f"{TICKETS}/{body['id']}"
    assert response.headers["ETag"] == '"1"'


def test_new_ticket_answers_exactly_as_it_reads_back(as_staff, customer):
    """The ticket a create returns is built from the values inserted, not read back."""
    payload = {"title": "Printer", "description": "Jams", "priority": "high"}
    created = as_staff.post(TICKETS, json={**payload, "requester_id": customer.id})
    read = as_staff.get(created.headers["Location"])
    stored = read.json
    assert stored.pop("comments") == []  # a read carries the conversation as well
    assert stored.pop("comments_next_cursor") is None
    assert created.json == stored
    assert created.headers["ETag"] == read.headers["ETag"]


def test_new_ticket_lands_in_default_queue(as_customer, as_staff):
    queues = {queue["slug"]: queue["id"] for queue in as_staff.get("/api/v1/queues").json}
    created = as_customer.post(TICKETS, json={"title": "a", "description": "b"}).json
    assert created["queue_id"] == queues["general"]


def test_creation_is_recorded_in_history(as_customer, customer):
    created = as_customer.post(TICKETS, json={"title": "a", "description": "b"}).json
    events = as_customer.get(f"{TICKETS}/{created['id']}/events").json["items"]
    assert [(e["kind"], e["actor_id"], e["new_value"]) for e in events] == [
        ("created", customer.id, "open")
    ]


def test_staff_opens_ticket_for_customer(as_staff, customer):
    response = as_staff.post(
        TICKETS, json={"title": "Phoned in", "description": "x", "requester_id": customer.id}
    )
    assert response.status_code == 201
    assert response.json["requester_id"] == customer.id


def test_customer_cannot_open_ticket_for_someone_else(app, as_customer, other_customer):
    response = as_customer.post(
        TICKETS, json={"title": "t", "description": "d", "requester_id": other_customer.id}
    )
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert count_rows(app, Ticket) == 0


@pytest.mark.parametrize(
    ("payload", "bad_fields"),
    [
        ({"description": "d"}, {"title"}),
        ({"title": "", "description": "d"}, {"title"}),
        ({"title": "   ", "description": "d"}, {"title"}),
        ({"title": "x" * 201, "description": "d"}, {"title"}),
        ({"title": "t", "description": "x" * 50_001}, {"description"}),
        ({"title": "t", "description": "d", "priority": "critical"}, {"priority"}),
        ({"title": "t", "description": "d", "queue_id": "general"}, {"queue_id"}),
        ({"title": "t", "description": "d", "status": "closed"}, {"status"}),
        ({"title": 5, "description": ["d"]}, {"title", "description"}),
        ({}, {"title", "description"}),
    ],
)
def test_invalid_ticket_is_rejected_naming_each_field(app, as_customer, payload, bad_fields):
    response = as_customer.post(TICKETS, json=payload)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert {error["field"] for error in response.json["errors"]} == bad_fields
    assert count_rows(app, Ticket) == 0
    assert count_rows(app, TicketEvent) == 0


def test_unknown_queue_is_a_field_error(app, as_customer):
    response = as_customer.post(TICKETS, json={"title": "t", "description": "d", "queue_id": 999})
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "queue_id"
    assert count_rows(app, Ticket) == 0


def test_anonymous_cannot_open_ticket(anonymous):
    response = anonymous.post(TICKETS, json={"title": "t", "description": "d"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


# --- reading --------------------------------------------------------------


def test_other_customers_ticket_is_not_found(as_other_customer, ticket):
    assert as_other_customer.get(f"{TICKETS}/{ticket.id}").status_code == 404
    assert as_other_customer.get(f"{TICKETS}/{ticket.id}/comments").status_code == 404
    assert as_other_customer.get(f"{TICKETS}/{ticket.id}/events").status_code == 404


def test_missing_ticket_looks_the_same_as_a_hidden_one(as_other_customer, ticket):
    hidden = as_other_customer.get(f"{TICKETS}/{ticket.id}")
    missing = as_other_customer.get(f"{TICKETS}/99999")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json["title"] == missing.json["title"]


def test_staff_reads_any_ticket_with_etag(as_staff, ticket):
    response = as_staff.get(f"{TICKETS}/{ticket.id}")
    assert response.status_code == 200
    assert response.headers["ETag"] == '"1"'
    assert response.json["comments"] == []
    assert response.json["requester"]["name"] == "Carla Customer"


def test_customer_never_sees_internal_notes(as_staff, as_customer, ticket):
    as_staff.post(f"{TICKETS}/{ticket.id}/comments", json={"body": "public"})
    as_staff.post(f"{TICKETS}/{ticket.id}/comments", json={"body": "secret", "internal": True})
    detail = as_customer.get(f"{TICKETS}/{ticket.id}").json
    assert [c["body"] for c in detail["comments"]] == ["public"]
    comments = as_customer.get(f"{TICKETS}/{ticket.id}/comments").json["items"]
    assert [c["body"] for c in comments] == ["public"]
    events = as_customer.get(f"{TICKETS}/{ticket.id}/events").json["items"]
    kinds = [e["kind"] for e in events]
    assert "internal_note" not in kinds
    staff_view = as_staff.get(f"{TICKETS}/{ticket.id}").json
    assert [c["body"] for c in staff_view["comments"]] == ["public", "secret"]


# --- changing -------------------------------------------------------------


def patch(client, ticket_id, payload, **kwargs):
    return client.patch(f"{TICKETS}/{ticket_id}", json=payload, **kwargs)


def test_customer_edits_own_open_ticket(as_customer, ticket):
    response = patch(as_customer, ticket.id, {"title": "Printer smoking", "description": "Oh"})
    assert response.status_code == 200
    assert response.json["title"] == "Printer smoking"
    assert response.json["version"] == 2
    assert response.headers["ETag"] == '"2"'


def test_customer_cannot_edit_once_work_started(as_customer, as_staff, ticket):
    patch(as_staff, ticket.id, {"status": "in_progress"})
    response = patch(as_customer, ticket.id, {"title": "new"})
    assert response.status_code == 403


@pytest.mark.parametrize(
    "payload",
    [
        {"priority": "urgent"},
        {"status": "in_progress"},
        {"status": "resolved"},
        {"status": "waiting"},
        {"queue_id": 1},
        {"title": "ok", "priority": "urgent"},
    ],
)
def test_customer_cannot_change_staff_fields(app, as_customer, as_admin, ticket, payload):
    if "queue_id" in payload:
        payload = {"queue_id": as_admin.post("/api/v1/queues", json={"name": "Other"}).json["id"]}
    response = patch(as_customer, ticket.id, payload)
    assert response.status_code == 403
    detail = as_customer.get(f"{TICKETS}/{ticket.id}").json
    assert (detail["title"], detail["version"]) == ("Printer on fire", 1)


def test_customer_cannot_assign(as_customer, staff, ticket):
    response = patch(as_customer, ticket.id, {"assignee_id": staff.id})
    assert response.status_code == 403


@pytest.mark.parametrize("field", ["requester_id", "role", "id", "created_at", "resolved_at"])
def test_unknown_or_readonly_fields_are_rejected(as_customer, as_staff, ticket, field):
    for client in (as_customer, as_staff):
        response = patch(client, ticket.id, {field: 1})
        assert response.status_code == 422
        assert response.json["errors"][0]["field"] == field


@pytest.mark.parametrize("reopener", ["as_customer", "as_staff"])
def test_a_closed_ticket_is_reopened_by_its_customer_or_staff(
    request, as_customer, ticket, reopener
):
    closed = patch(as_customer, ticket.id, {"status": "closed"})
    assert closed.status_code == 200
    assert closed.json["closed_at"] is not None
    reopened = patch(request.getfixturevalue(reopener), ticket.id, {"status": "open"})
    assert reopened.status_code == 200
    assert reopened.json["closed_at"] is None


def test_a_customer_cannot_set_a_working_status(as_customer, ticket):
    response = patch(as_customer, ticket.id, {"status": "in_progress"})
    assert response.status_code == 403
    assert response.json["detail"] == "Customers can close their tickets and reopen them."


def test_customer_reopens_resolved_ticket(as_customer, as_staff, ticket):
    resolved = patch(as_staff, ticket.id, {"status": "resolved"})
    assert resolved.json["resolved_at"] is not None
    response = patch(as_customer, ticket.id, {"status": "open"})
    assert response.status_code == 200
    assert response.json["status"] == "open"
    assert response.json["resolved_at"] is None


def test_workflow_refuses_invalid_transition(as_staff, ticket):
    patch(as_staff, ticket.id, {"status": "closed"})
    response = patch(as_staff, ticket.id, {"status": "resolved"})
    assert response.status_code == 409
    assert "closed" in response.json["detail"]


def test_staff_assigns_to_self_and_unassigns(as_staff, staff, ticket):
    assigned = patch(as_staff, ticket.id, {"assignee_id": staff.id})
    assert assigned.status_code == 200
    assert assigned.json["assignee"]["id"] == staff.id
    unassigned = patch(as_staff, ticket.id, {"assignee_id": None})
    assert unassigned.json["assignee_id"] is None
    events = as_staff.get(f"{TICKETS}/{ticket.id}/events").json["items"]
    assert [(e["kind"], e["old_value"], e["new_value"]) for e in events[1:]] == [
        ("assignee", None, str(staff.id)),
        ("assignee", str(staff.id), None),
    ]


def test_ticket_cannot_be_assigned_to_customer_or_inactive_staff(
    as_admin, factory, customer, ticket
):
    from ticketdesk.models import Role

    gone = factory.user(Role.STAFF, name="Gone")
    factory.deactivate(gone)
    for assignee in (customer.id, gone.id, 99999):
        response = patch(as_admin, ticket.id, {"assignee_id": assignee})
        assert response.status_code == 422
        assert response.json["errors"][0]["field"] == "assignee_id"


def test_every_change_is_recorded(as_staff, as_admin, staff, ticket):
    queue = as_admin.post("/api/v1/queues", json={"name": "Hardware"}).json
    patch(
        as_staff,
        ticket.id,
        {
            "title": "New title",
            "description": "New text",
            "status": "in_progress",
            "priority": "high",
            "queue_id": queue["id"],
            "assignee_id": staff.id,
        },
    )
    events = as_staff.get(f"{TICKETS}/{ticket.id}/events").json["items"]
    changes = {e["kind"]: (e["old_value"], e["new_value"]) for e in events}
    assert changes["title"] == ("Printer on fire", "New title")
    assert changes["description"] == ("Details.", "New text")
    assert changes["status"] == ("open", "in_progress")
    assert changes["priority"] == ("normal", "high")
    assert changes["queue"][1] == str(queue["id"])
    assert changes["assignee"] == (None, str(staff.id))


def test_unchanged_values_record_nothing_and_keep_version(as_staff, ticket):
    response = patch(as_staff, ticket.id, {"status": "open", "priority": "normal"})
    assert response.status_code == 200
    assert response.json["version"] == 1
    assert len(as_staff.get(f"{TICKETS}/{ticket.id}/events").json["items"]) == 1


@pytest.mark.parametrize("field", ["title", "description", "status", "priority", "queue_id"])
def test_required_fields_cannot_be_nulled(as_staff, ticket, field):
    response = patch(as_staff, ticket.id, {field: None})
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == field


# --- lost updates ---------------------------------------------------------


def test_stale_if_match_is_refused(as_staff, ticket):
    assert (
        patch(as_staff, ticket.id, {"priority": "high"}, headers={"If-Match": '"1"'}).status_code
        == 200
    )
    stale = patch(as_staff, ticket.id, {"priority": "low"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert as_staff.get(f"{TICKETS}/{ticket.id}").json["priority"] == "high"


def test_stale_version_field_is_a_conflict(as_staff, ticket):
    assert patch(as_staff, ticket.id, {"priority": "high", "version": 1}).status_code == 200
    stale = patch(as_staff, ticket.id, {"priority": "low", "version": 1})
    assert stale.status_code == 409


def test_current_if_match_succeeds(as_staff, ticket):
    etag = as_staff.get(f"{TICKETS}/{ticket.id}").headers["ETag"]
    response = patch(as_staff, ticket.id, {"status": "waiting"}, headers={"If-Match": etag})
    assert response.status_code == 200
    assert response.headers["ETag"] == '"2"'


def test_garbage_if_match_is_a_failed_precondition(as_staff, ticket):
    response = patch(as_staff, ticket.id, {"status": "waiting"}, headers={"If-Match": "nope"})
    assert response.status_code == 412


def test_a_weak_if_match_never_matches(as_staff, ticket):
    response = patch(as_staff, ticket.id, {"status": "waiting"}, headers={"If-Match": 'W/"1"'})
    assert response.status_code == 412


def test_if_match_and_a_body_version_that_disagree_are_refused(as_staff, ticket):
    assert patch(as_staff, ticket.id, {"priority": "high"}).status_code == 200
    both = {"priority": "low", "version": 1}
    response = patch(as_staff, ticket.id, both, headers={"If-Match": '"2"'})
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "version"
    assert as_staff.get(f"{TICKETS}/{ticket.id}").json["priority"] == "high"
    agreeing = {"priority": "low", "version": 2}
    assert patch(as_staff, ticket.id, agreeing, headers={"If-Match": '"2"'}).status_code == 200


def test_a_comment_does_not_make_an_edit_stale(as_staff, as_customer, ticket):
    as_customer.post(f"{TICKETS}/{ticket.id}/comments", json={"body": "any news?"})
    response = patch(as_staff, ticket.id, {"status": "waiting"}, headers={"If-Match": '"1"'})
    assert response.status_code == 200


def test_concurrent_writers_with_same_version_never_both_win(app, factory, staff, ticket):
    """Two agents PATCH the same version at the same moment: one wins, one gets 412."""
    import threading

    token = factory.token(staff)
    barrier = threading.Barrier(2)
    results: list[int] = []

    def write(priority: str) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.patch(
            f"{TICKETS}/{ticket.id}",
            json={"priority": priority},
            headers={"Authorization": f"Bearer {token}", "If-Match": '"1"'},
        )
        results.append(response.status_code)

    threads = [threading.Thread(target=write, args=(p,)) for p in ("high", "low")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200, 412]
    with app.app_context():
        events = db.session.query(TicketEvent).filter_by(ticket_id=ticket.id, kind="priority")
        assert events.count() == 1


# --- a queue deleted meanwhile ---------------------------------------------------


@pytest.fixture
def queue_deleted_once_read(app, monkeypatch, as_admin, admin):
    """A new queue that an admin deletes, in a transaction of their own, as soon as a
    ticket change has read it: the moment between a change's read and its write."""
    queue_id = as_admin.post("/api/v1/queues", json={"name": "Short-lived"}).json["id"]
    read_queue = ticket_values.queue_for

    def read_then_lose(session, wanted, **kwargs):
        found = read_queue(session, wanted, **kwargs)
        if wanted == queue_id:
            with Session(db.engine) as session:
                QueueManager(session).delete_queue(session.get(User, admin.id), queue_id)
        return found

    monkeypatch.setattr(ticket_values, "queue_for", read_then_lose)
    return queue_id


def test_a_ticket_filed_in_a_queue_deleted_meanwhile_is_a_field_error(
    app, as_customer, queue_deleted_once_read
):
    response = as_customer.post(
        TICKETS, json={"title": "t", "description": "d", "queue_id": queue_deleted_once_read}
    )
    assert response.status_code == 422
    assert response.json["errors"][0] == {
        "field": "queue_id",
        "location": "json",
        "detail": "That queue was deleted: choose another.",
    }
    assert count_rows(app, Ticket) == 0


# Only PostgreSQL: SQLite's writers take turns, and a change reads the queue inside its write.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_ticket_moved_to_a_queue_deleted_meanwhile_is_a_field_error(
    as_staff, ticket, queue_deleted_once_read
):
    response = as_staff.patch(f"{TICKETS}/{ticket.id}", json={"queue_id": queue_deleted_once_read})
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "queue_id"
    assert as_staff.get(f"{TICKETS}/{ticket.id}").json["version"] == ticket.version


# --- comments ---------------------------------------------------------------


def test_customer_replies_on_own_ticket(as_customer, customer, ticket):
    response = as_customer.post(f"{TICKETS}/{ticket.id}/comments", json={"body": "More info"})
    assert response.status_code == 201
    assert response.json["author"]["id"] == customer.id
    assert response.json["internal"] is False


def test_a_comment_may_be_only_files(as_customer, ticket):
    sent = {"file": [(io.BytesIO(b"trace"), "trace.log")]}
    path = f"{TICKETS}/{ticket.id}/comments"
    response = as_customer.post(path, data=sent, content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    assert response.json["body"] == ""
    files = as_customer.get(f"{TICKETS}/{ticket.id}/attachments").json["items"]
    assert [(f["filename"], f["comment_id"]) for f in files] == [("trace.log", response.json["id"])]


MULTIPART_WITHOUT_FILES = {"data": {"body": ""}, "content_type": "multipart/form-data"}


@pytest.mark.parametrize("sent", [{"json": {}}, {"json": {"body": " "}}, MULTIPART_WITHOUT_FILES])
def test_a_comment_with_neither_words_nor_files_is_refused(as_customer, ticket, sent):
    response = as_customer.post(f"{TICKETS}/{ticket.id}/comments", **sent)
    assert response.status_code == 422
    errors = [(error["field"], error["detail"]) for error in response.json["errors"]]
    assert errors == [("body", "Write a message or attach a file.")]


def _pages(client, path: str, limit: int) -> list[list[str]]:
    """The bodies (or kinds) of each page of a conversation or history, following cursors."""
    pages, cursor = [], None
    while True:
        query = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        page = client.get(path, query_string=query).json
        pages.append([item.get("body") or item["kind"] for item in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages


def test_the_conversation_comes_a_page_at_a_time(as_staff, as_customer, ticket):
    for body in ("one", "two", "three"):
        as_staff.post(f"{TICKETS}/{ticket.id}/comments", json={"body": body})
    as_staff.post(f"{TICKETS}/{ticket.id}/comments", json={"body": "note", "internal": True})
    as_customer.post(f"{TICKETS}/{ticket.id}/comments", json={"body": "four"})
    path = f"{TICKETS}/{ticket.id}/comments"

    assert _pages(as_staff, path, 2) == [["one", "two"], ["three", "note"], ["four"]]
    assert _pages(as_customer, path, 2) == [["one", "two"], ["three", "four"]]


def test_the_history_comes_a_page_at_a_time(as_staff, ticket):
    for priority in ("high", "low", "urgent"):
        patch(as_staff, ticket.id, {"priority": priority})

    pages = _pages(as_staff, f"{TICKETS}/{ticket.id}/events", 3)

    assert pages == [["created", "priority", "priority"], ["priority"]]


def test_a_ticket_read_carries_the_first_page_of_its_conversation(monkeypatch, as_staff, ticket):
    monkeypatch.setattr("ticketdesk.api.tickets.CONVERSATION_PAGE", 2)
    for body in ("one", "two", "three"):
        as_staff.post(f"{TICKETS}/{ticket.id}/comments", json={"body": body})

    detail = as_staff.get(f"{TICKETS}/{ticket.id}").json
    rest = as_staff.get(
        f"{TICKETS}/{ticket.id}/comments", query_string={"cursor": detail["comments_next_cursor"]}
    ).json

    assert [c["body"] for c in detail["comments"]] == ["one", "two"]
    assert [c["body"] for c in rest["items"]] == ["three"]
    assert rest["next_cursor"] is None


@pytest.mark.parametrize(
    "query",
    ["cursor=abc", "cursor=0", f"cursor={2**31}", "limit=0", "limit=101", "cursor=1&cursor=2"],
)
@pytest.mark.parametrize("listing", ["comments", "events"])
def test_a_page_of_conversation_or_history_refuses_a_bad_cursor_or_limit(
    as_staff, ticket, listing, query
):
    response = as_staff.get(f"{TICKETS}/{ticket.id}/{listing}?{query}")

    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"


def test_customer_cannot_write_internal_note(app, as_customer, ticket):
    response = as_customer.post(
        f"{TICKETS}/{ticket.id}/comments", json={"body": "x", "internal": True}
    )
    assert response.status_code == 403
    assert as_customer.get(f"{TICKETS}/{ticket.id}/comments").json["items"] == []


def test_other_customer_cannot_comment(as_other_customer, ticket):
    response = as_other_customer.post(f"{TICKETS}/{ticket.id}/comments", json={"body": "hi"})
    assert response.status_code == 404


@pytest.mark.parametrize("payload", [{}, {"body": ""}, {"body": "x" * 50_001}, {"body": 3}])
def test_invalid_comment_is_rejected(as_customer, ticket, payload):
    response = as_customer.post(f"{TICKETS}/{ticket.id}/comments", json=payload)
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "body"


def test_comment_moves_ticket_up_recently_updated(as_customer, factory, customer, ticket):
    newer = factory.ticket(customer, title="newer")
    as_customer.post(f"{TICKETS}/{ticket.id}/comments", json={"body": "bump"})
    listed = as_customer.get(f"{TICKETS}?sort=-updated_at").json["items"]
    assert [t["id"] for t in listed] == [ticket.id, newer.id]


@pytest.mark.parametrize("status", ["waiting", "resolved", "closed"])
def test_a_customer_reply_brings_the_ticket_back_to_the_team(as_customer, as_staff, ticket, status):
    assert patch(as_staff, ticket.id, {"status": status}).status_code == 200
    reply = as_customer.post(f"{TICKETS}/{ticket.id}/comments", json={"body": "Still broken."})
    assert reply.status_code == 201
    now = as_staff.get(f"{TICKETS}/{ticket.id}").json
    assert (now["status"], now["resolved_at"], now["closed_at"]) == ("open", None, None)
    events = as_staff.get(f"{TICKETS}/{ticket.id}/events").json["items"]
    assert [(e["kind"], e["old_value"], e["new_value"]) for e in events[-2:]] == [
        ("comment", None, str(reply.json["id"])),
        ("status", status, "open"),
    ]


@pytest.mark.parametrize(("status", "internal"), [("waiting", False), ("waiting", True)])
def test_a_staff_reply_or_note_leaves_the_status_alone(as_staff, ticket, status, internal):
    patch(as_staff, ticket.id, {"status": status})
    body = {"body": "Any news?", "internal": internal}
    assert as_staff.post(f"{TICKETS}/{ticket.id}/comments", json=body).status_code == 201
    assert as_staff.get(f"{TICKETS}/{ticket.id}").json["status"] == status


def test_a_customer_reply_in_progress_stays_in_progress(as_customer, as_staff, ticket):
    patch(as_staff, ticket.id, {"status": "in_progress"})
    as_customer.post(f"{TICKETS}/{ticket.id}/comments", json={"body": "Thanks."})
    assert as_staff.get(f"{TICKETS}/{ticket.id}").json["status"] == "in_progress"
