"""Bad requests get a clear problem+json answer and write nothing."""

from __future__ import annotations

import io
import json

import pytest

from ticketdesk.extensions import db
from ticketdesk.models import Ticket
from ticketdesk.text_input import NUL_REFUSED

TICKETS = "/api/v1/tickets"


def assert_problem(response, status: int) -> None:
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body["status"] == status
    assert body["title"] and body["type"] == "about:blank"
    assert "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize("data", ["{bad json", "", "[1,", "\xff\xfe"])
def test_malformed_json_is_a_bad_request(as_customer, data):
    response = as_customer.post(TICKETS, data=data, content_type="application/json")
    assert_problem(response, 400)
    assert response.json["detail"].startswith("The body is not valid JSON: ")


@pytest.mark.parametrize("body", ["[]", "3", '"text"', "null"])
def test_json_that_is_not_an_object_is_unprocessable(as_customer, body):
    response = as_customer.post(TICKETS, data=body, content_type="application/json")
    assert response.status_code in (400, 422)
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_wrong_content_type_is_unsupported(app, as_customer, content_type):
    response = as_customer.post(
        TICKETS, data='{"title": "t", "description": "d"}', content_type=content_type
    )
    assert_problem(response, 415)
    with app.app_context():
        assert db.session.query(Ticket).count() == 0


def test_oversized_body_is_refused(app, as_customer):
    huge = '{"title": "t", "description": "' + "x" * (app.config["MAX_CONTENT_LENGTH"] + 1) + '"}'
    response = as_customer.post(TICKETS, data=huge, content_type="application/json")
    assert_problem(response, 413)


def _chunked(body: bytes) -> dict:
    """A body sent in chunks: no Content-Length, its end told by the server (as gunicorn)."""
    return {
        "input_stream": io.BytesIO(body),
        "content_type": "application/json",
        "headers": {"Transfer-Encoding": "chunked"},
        "environ_overrides": {"wsgi.input_terminated": True},
    }


def test_oversized_chunked_body_is_too_large_not_malformed(app, as_customer):
    size = app.config["MAX_CONTENT_LENGTH"]
    huge = json.dumps({"title": "t", "description": "x" * size}).encode()
    response = as_customer.post(TICKETS, **_chunked(huge))
    assert_problem(response, 413)
    with app.app_context():
        assert db.session.query(Ticket).count() == 0


def test_chunked_body_within_the_limit_is_read_whole(as_customer):
    body = json.dumps({"title": "Printer", "description": "jam"}).encode()
    response = as_customer.post(TICKETS, **_chunked(body))
    assert response.status_code == 201
    assert response.json["description"] == "jam"


def test_unknown_path_is_a_problem(as_customer):
    assert_problem(as_customer.get("/api/v1/nothing-here"), 404)


def test_wrong_method_is_a_problem(as_customer):
    response = as_customer.delete(TICKETS)
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


@pytest.mark.parametrize("ticket_id", ["abc", "-1", "1.5", "99999999999999999999999"])
def test_malformed_ids_are_not_found(as_customer, ticket_id):
    assert_problem(as_customer.get(f"{TICKETS}/{ticket_id}"), 404)


def test_deeply_nested_body_is_rejected_cleanly(as_customer):
    nested = "[" * 5000 + "]" * 5000
    response = as_customer.post(
        TICKETS,
        data='{"title": "t", "description": ' + nested + "}",
        content_type="application/json",
    )
    assert response.status_code in (400, 422)


def test_html_pages_get_html_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/admin/outbox?cursor=190524840195513300720925803401969664",
        "/api/v1/admin/security-events?cursor=190524840195513300720925803401969664",
        "/api/v1/users?cursor=190524840195513300720925803401969664",
        "/api/v1/tickets?queue_id=190524840195513300720925803401969664",
    ],
)
def test_huge_numbers_in_queries_are_refused_not_crashes(as_admin, path):
    """Found by the long fuzz run: a number past 64 bits once reached SQLite and gave a 500."""
    assert_problem(as_admin.get(path), 422)


PAST_INT = 2**31  # one more than any id column holds (PostgreSQL's INTEGER)


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("get", f"{TICKETS}/{PAST_INT}", None, 404),
        ("patch", f"/api/v1/queues/{2**53}", {"name": "Big"}, 404),
        ("delete", f"/api/v1/queues/{PAST_INT}", None, 404),
        ("patch", f"/api/v1/users/{PAST_INT}", {"name": "Big"}, 404),
        ("get", f"{TICKETS}?queue_id={PAST_INT}", None, 422),
        ("get", f"/api/v1/users?cursor={PAST_INT}", None, 422),
        ("post", TICKETS, {"title": "t", "description": "d", "queue_id": PAST_INT}, 422),
        ("patch", f"{TICKETS}/1", {"assignee_id": PAST_INT}, 422),
    ],
)
def test_ids_past_what_a_column_holds_name_nothing(as_admin, ticket, method, path, body, status):
    """PostgreSQL's ids are 32 bits: a bigger one reached it, which refused it (a 500)."""
    response = getattr(as_admin, method)(path, **({"json": body} if body else {}))
    assert_problem(response, status)


# PostgreSQL cannot store a NUL in text (psycopg refused it, and the request was a 500);
# SQLite kept it silently. Both now refuse it where the request is read.
NUL_BODIES = [
    ("/api/v1/auth/tokens", {"email": "ann@example.com\x00", "password": "x"}, "email"),
    ("/api/v1/auth/register", {"name": "A\x00n", "email": "a@b.co"}, "name"),
    (TICKETS, {"title": "Printer\x00", "description": "d"}, "title"),
    (TICKETS, {"title": "Printer", "description": "jam\x00"}, "description"),
]


@pytest.mark.parametrize(("path", "body", "field"), NUL_BODIES)
def test_a_nul_in_json_text_is_refused_naming_the_field(app, as_customer, path, body, field):
    response = as_customer.post(path, json=body)
    assert_problem(response, 422)
    assert [error["field"] for error in response.json["errors"]] == [field]
    assert response.json["errors"][0]["detail"] == NUL_REFUSED
    with app.app_context():
        assert db.session.query(Ticket).count() == 0


def test_a_nul_in_a_multipart_field_is_refused(app, as_customer):
    form = {"title": "Printer", "description": "jam\x00"}
    response = as_customer.post(TICKETS, data=form, content_type="multipart/form-data")
    assert_problem(response, 422)
    assert response.json["errors"][0]["field"] == "description"


@pytest.mark.parametrize("query", ["q=print%00er", "status=open&q=%00", "cursor=%00"])
def test_a_nul_in_a_query_string_is_a_bad_request(as_customer, query):
    response = as_customer.get(f"{TICKETS}?{query}")
    assert_problem(response, 400)
    assert "NUL" in response.json["detail"]


@pytest.mark.parametrize("value", [True, "1", 1.0])
def test_json_numbers_must_be_json_numbers(app, as_customer, value):
    body = {"title": "Printer", "description": "jam", "queue_id": value}
    response = as_customer.post(TICKETS, json=body)
    assert_problem(response, 422)
    assert [error["field"] for error in response.json["errors"]] == ["queue_id"]
    with app.app_context():
        assert db.session.query(Ticket).count() == 0


def test_json_flags_must_be_json_booleans(as_admin, customer):
    response = as_admin.patch(f"/api/v1/users/{customer.id}", json={"active": "false"})
    assert_problem(response, 422)
    assert as_admin.get(f"/api/v1/users/{customer.id}").json["active"] is True


def test_multipart_fields_are_text_read_as_their_types(as_customer):
    form = {"title": "Printer", "description": "jam", "priority": "high", "queue_id": "1"}
    response = as_customer.post(TICKETS, data=form, content_type="multipart/form-data")
    assert response.status_code == 201
    assert (response.json["priority"], response.json["queue_id"]) == ("high", 1)
