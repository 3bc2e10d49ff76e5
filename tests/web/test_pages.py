"""Every page for every role: who gets the page, who is asked to sign in, who is refused."""

from __future__ import annotations

import pytest
from flask import url_for
from sqlalchemy import event

from tests.web.conftest import WebUser
from ticketdesk.extensions import db
from ticketdesk.web.display import ticket_link_prefix

PAGES = ["/tickets", "/tickets/new", "/tickets/1", "/account", "/account/password",
         "/admin/users", "/admin/queues"]  # fmt: skip
# The status each role gets for each page above.
EXPECTED = {
    "customer": [200, 200, 200, 200, 200, 403, 403],
    "staff": [200, 200, 200, 200, 200, 403, 403],
    "admin": [200, 200, 200, 200, 200, 200, 200],
}


@pytest.mark.parametrize("path", PAGES)
def test_visitors_are_asked_to_sign_in(visitor, ticket, path):
    response = visitor.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_role_gets_the_pages_it_may_see(app, factory, ticket, role, request):
    person = request.getfixturevalue(role)
    web = WebUser(app.test_client())
    web.sign_in(person)
    got = [web.get(path).status_code for path in PAGES]
    assert got == EXPECTED[role]


@pytest.mark.parametrize("path", ["/login", "/register"])
def test_public_pages_have_a_title_and_one_heading(visitor, path):
    html = visitor.html(path)
    assert html.count("<h1>") == 1
    assert "· Ticketdesk</title>" in html


def test_ticket_page_queries_do_not_grow_with_the_conversation(app, staff_web, staff, ticket,
                                                               factory):  # fmt: skip
    from ticketdesk.services import ticket_manager

    def add_comments(count: int) -> None:
        with app.app_context():
            actor = factory.factory.load(staff)
            for number in range(count):
                ticket_manager().add_comment(actor, ticket.id, body=f"c{number}", internal=True)
            db.session.remove()

    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    add_comments(2)
    event.listen(engine, "before_cursor_execute", count)
    try:
        staff_web.html(f"/tickets/{ticket.id}")
        few = len(statements)
        add_comments(10)
        statements.clear()
        staff_web.html(f"/tickets/{ticket.id}")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == few


@pytest.mark.parametrize("script_root", ["", "/helpdesk"])
def test_ticket_links_are_the_ticket_pages_route(app, script_root):
    """Lists write each ticket's link as a prefix and the id; it must be the route's."""
    with app.test_request_context("/tickets", base_url=f"http://localhost{script_root}"):
        prefix = ticket_link_prefix()
        for ticket_id in (1, 10, 99999):
            assert f"{prefix}{ticket_id}" == url_for("web.ticket_detail", ticket_id=ticket_id)
        assert prefix == f"{script_root}/tickets/"


@pytest.mark.parametrize("action", ["comments", "status", "update", "assign-to-me"])
def test_opening_the_address_a_ticket_form_posts_to_leads_to_the_ticket(staff_web, ticket, action):
    response = staff_web.get(f"/tickets/{ticket.id}/{action}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/tickets/{ticket.id}"
