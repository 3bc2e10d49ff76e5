"""No N+1: a list or detail request runs the same few SQL statements whatever its size."""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import func, select

from tests.perf.statements import watching_statements
from ticketdesk.extensions import db
from ticketdesk.models import OutboxMessage, Role
from ticketdesk.services import ticket_manager

# Counted on top of what authentication costs (GET /api/v1/me), which these tests leave
# to the authentication tests: the page, tickets with requester and assignee joined.
LIST_QUERIES = 1
# A search adds one: the highlighted snippets of the page's tickets.
SEARCH_QUERIES = LIST_QUERIES + 1
# Ranked by relevance, SQLite first finds where the window of newest matches starts;
# PostgreSQL reads the newest id, then ranks the newest matches one id-block window at
# a time (one window here; a few past 10,000 tickets, however long the page).
RANKED_SEARCH_QUERIES = {"sqlite": SEARCH_QUERIES + 1, "postgresql": SEARCH_QUERIES + 2}
# In an order, SQLite first asks whether the words are in many tickets, to walk the
# order for them (see search_sqlite.SqliteSearch.sorted_rows).
SORTED_SEARCH_QUERIES = {"sqlite": SEARCH_QUERIES + 1, "postgresql": SEARCH_QUERIES}
# The ticket with its people, the comments with their authors.
DETAIL_QUERIES = 2
# A new ticket: its queue, the ticket, its history entry, the acknowledgement, the staff
# who chose to hear of it, their notices (one statement for all), its search entry.
NEW_TICKET_STATEMENTS = 7
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@contextlib.contextmanager
def count_queries(app):
    """Count the statements sent to the database inside the block."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many):
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            statements.append(statement)

    with watching_statements(app, record):
        yield statements


@pytest.fixture(autouse=True)
def quiet_tokens(app):
    """Stamp a token's last use once an hour, as in production, not on every request."""
    app.config["TOKEN_TOUCH_INTERVAL"] = 3600


@pytest.fixture
def busy_helpdesk(app, factory, customer, staff):
    """60 tickets from several customers, assigned to several staff, each with replies."""
    customers = [customer] + [factory.user(Role.CUSTOMER) for _ in range(3)]
    agents = [staff] + [factory.user(Role.STAFF) for _ in range(3)]
    for n in range(60):
        requester = customers[n % len(customers)]
        ticket = factory.ticket(requester, title=f"Printer problem {n}")
        with app.app_context():
            manager, agent = ticket_manager(), factory.load(agents[n % len(agents)])
            manager.assign_ticket_to_staff(agent, ticket.id, agent.id)
            manager.add_comment(agent, ticket.id, body="Looking into it.")
            db.session.remove()
    return agents


def _statements_for(app, client, path):
    """Statements of one request beyond those of authenticating it."""
    client.get(path)  # warm up: a new connection's settings and the token's stamp
    with count_queries(app) as baseline:
        assert client.get("/api/v1/me").status_code == 200
    with count_queries(app) as statements:
        response = client.get(path)
    assert response.status_code == 200, response.json
    return statements[len(baseline) :]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", LIST_QUERIES),
        ("&status=open", LIST_QUERIES),
        ("&sort=-updated_at", LIST_QUERIES),
        ("&q=printer", RANKED_SEARCH_QUERIES),
        ("&q=printer&sort=-priority", SORTED_SEARCH_QUERIES),
    ],
)
def test_list_query_count_does_not_grow_with_page_size(
    app, as_staff, busy_helpdesk, query, expected
):
    counts = {
        limit: len(_statements_for(app, as_staff, f"/api/v1/tickets?limit={limit}{query}"))
        for limit in (1, 10, 50)
    }

    if isinstance(expected, dict):
        with app.app_context():
            expected = expected[db.engine.dialect.name]
    assert counts == dict.fromkeys(counts, expected), counts


def test_customer_list_query_count_does_not_grow(app, as_customer, busy_helpdesk):
    counts = {
        limit: len(_statements_for(app, as_customer, f"/api/v1/tickets?limit={limit}"))
        for limit in (1, 5, 15)
    }

    assert counts == dict.fromkeys(counts, LIST_QUERIES), counts


def test_detail_query_count_does_not_grow_with_comments(app, as_staff, factory, customer):
    authors = [factory.user(Role.STAFF) for _ in range(4)] + [customer]
    counts = {}
    for replies in (0, 5, 30):
        ticket = factory.ticket(customer)
        for n in range(replies):
            with app.app_context():
                ticket_manager().add_comment(
                    factory.load(authors[n % len(authors)]), ticket.id, body=f"Reply {n}"
                )
                db.session.remove()
        detail = _statements_for(app, as_staff, f"/api/v1/tickets/{ticket.id}")
        counts[replies] = len(detail)

    assert counts == dict.fromkeys(counts, DETAIL_QUERIES), counts


def test_new_ticket_statements_do_not_grow_with_the_staff(app, factory, customer):
    """Each new ticket tells every staff member who chose to hear of it: one statement
    finds them (by their choices) and one writes their notices, however many they are."""
    app.config["MAIL_NOTIFY_STAFF_ON_NEW_TICKET"] = True
    team: list = []
    counts = {}
    for size in (1, 5, 20):
        while len(team) < size:
            team.append(factory.user(Role.STAFF))
        with app.app_context():
            requester = factory.load(customer)
            with count_queries(app) as statements:
                ticket = ticket_manager().create_ticket(requester, title="t", description="d")
            told = db.session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(
                    OutboxMessage.ticket_id == ticket.id, OutboxMessage.kind == "new_ticket_staff"
                )
            )
            db.session.remove()
        assert told == size
        counts[size] = len(statements)

    assert counts == dict.fromkeys(counts, NEW_TICKET_STATEMENTS), counts
