"""The staff sidebar's counts per status, kept by triggers, always equal a full recount."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import event, func, select, text

from ticketdesk.extensions import db
from ticketdesk.models import Ticket, TicketStatus
from ticketdesk.services import ticket_manager
from ticketdesk.services.stats import count_by_status


def _counts(app, factory, person):
    with app.app_context():
        counts = count_by_status(factory.load(person))
        truth = dict(
            db.session.execute(select(Ticket.status, func.count()).group_by(Ticket.status)).all()
        )
        db.session.remove()
    return counts, truth


def test_counts_follow_creates_and_status_changes(app, factory, customer, staff):
    tickets = [factory.ticket(customer) for _ in range(4)]
    with app.app_context():
        manager, agent = ticket_manager(), factory.load(staff)
        manager.update_ticket_status(agent, tickets[0].id, "in_progress")
        manager.update_ticket_status(agent, tickets[1].id, "closed")
        manager.update_ticket_status(agent, tickets[1].id, "open")
        manager.update_ticket_status(agent, tickets[2].id, "resolved")
        db.session.remove()

    counts, truth = _counts(app, factory, staff)

    assert counts == {
        TicketStatus.OPEN: 2,
        TicketStatus.IN_PROGRESS: 1,
        TicketStatus.WAITING: 0,
        TicketStatus.RESOLVED: 1,
        TicketStatus.CLOSED: 0,
    }
    assert {status: total for status, total in counts.items() if total} == truth


def test_counts_follow_deletes(app, factory, customer, staff):
    kept, gone = factory.ticket(customer), factory.ticket(customer)
    with app.app_context():
        db.session.execute(text("DELETE FROM tickets WHERE id = :id"), {"id": gone.id})
        db.session.commit()
        db.session.remove()

    counts, _ = _counts(app, factory, staff)

    assert counts[TicketStatus.OPEN] == 1 and kept.id != gone.id


def test_customer_counts_only_own_tickets(app, factory, customer, other_customer):
    factory.ticket(customer)
    factory.ticket(other_customer)
    factory.ticket(other_customer)

    counts, _ = _counts(app, factory, customer)

    assert counts[TicketStatus.OPEN] == 1


def test_staff_counts_read_no_tickets(app, factory, customer, staff):
    factory.ticket(customer)
    statements = []

    def record(_conn, _cursor, statement, *_):
        statements.append(statement)

    with app.app_context():
        agent = factory.load(staff)
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            count_by_status(agent)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        db.session.remove()

    assert statements and not any("FROM tickets" in statement for statement in statements)


def test_counts_stay_exact_under_concurrent_writers(app, factory, customer, staff):
    """Eight threads open tickets and move them between statuses at once (on PostgreSQL
    in parallel, over shards picked at random): no deadlock, and the sums are exact."""
    moves = ["in_progress", "waiting", "resolved", "open", "closed"]

    def work(n: int) -> None:
        with app.app_context():
            manager = ticket_manager()
            ticket = manager.create_ticket(factory.load(customer), title=f"t{n}", description="x")
            agent = factory.load(staff)
            for status in moves[n % 3 :]:
                manager.update_ticket_status(agent, ticket.id, status)
            db.session.remove()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(24)))

    counts, truth = _counts(app, factory, staff)
    assert sum(counts.values()) == 24
    assert counts == {status: truth.get(status, 0) for status in TicketStatus}
