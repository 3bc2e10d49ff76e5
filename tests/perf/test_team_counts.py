"""The staff sidebar's counts, kept by triggers, always equal a count of the tickets:
every ticket per status, the active ones per queue and per assignee."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event, func, select, text

from ticketdesk.extensions import db
from ticketdesk.models import ACTIVE_STATUSES, Ticket, TicketStatus
from ticketdesk.services import queue_manager, ticket_manager
from ticketdesk.services.errors import PermissionDenied
from ticketdesk.services.stats import QueueLoad, TeamCounts, queue_loads, team_counts


def _counts(app, factory, person) -> tuple[TeamCounts, TeamCounts]:
    """The counts the sidebar reads, and the same counted from the tickets."""
    with app.app_context():
        counts = team_counts(factory.load(person))
        active = Ticket.status.in_(ACTIVE_STATUSES)
        truth = TeamCounts(
            by_status=dict.fromkeys(TicketStatus, 0)
            | dict(
                db.session.execute(
                    select(Ticket.status, func.count()).group_by(Ticket.status)
                ).all()
            ),
            active_by_queue=dict(
                db.session.execute(
                    select(Ticket.queue_id, func.count()).where(active).group_by(Ticket.queue_id)
                ).all()
            ),
            active_by_assignee=dict(
                db.session.execute(
                    select(Ticket.assignee_id, func.count())
                    .where(active)
                    .group_by(Ticket.assignee_id)
                ).all()
            ),
        )
        db.session.remove()
    return counts, truth


def _without_zeros(counts: TeamCounts) -> TeamCounts:
    """The counts with the keys whose count went back to 0 left out, as a recount would."""
    return TeamCounts(
        counts.by_status,
        {queue: n for queue, n in counts.active_by_queue.items() if n},
        {person: n for person, n in counts.active_by_assignee.items() if n},
    )


def test_counts_follow_creates_status_changes_moves_and_assignments(
    app, factory, customer, staff, admin
):
    tickets = [factory.ticket(customer) for _ in range(5)]
    with app.app_context():
        manager, agent = ticket_manager(), factory.load(staff)
        billing = queue_manager().create_queue(factory.load(admin), name="Billing").id
        manager.update_ticket_status(agent, tickets[0].id, "in_progress")
        manager.update_ticket_status(agent, tickets[1].id, "closed")
        manager.update_ticket_status(agent, tickets[1].id, "open")
        manager.update_ticket_status(agent, tickets[2].id, "resolved")
        manager.update_ticket(agent, tickets[3].id, {"assignee_id": staff.id})
        manager.update_ticket(agent, tickets[4].id, {"queue_id": billing, "assignee_id": staff.id})
        # Resolved while assigned and in Billing: it leaves both active counts.
        manager.update_ticket(agent, tickets[4].id, {"status": "resolved"})
        # Open again, in another queue, and given back: it joins them as it is now.
        manager.update_ticket(agent, tickets[2].id, {"status": "open", "queue_id": billing})
        general = manager.get_ticket(agent, tickets[0].id).queue_id
        db.session.remove()

    counts, truth = _counts(app, factory, staff)

    assert counts.by_status == {
        TicketStatus.OPEN: 3,
        TicketStatus.IN_PROGRESS: 1,
        TicketStatus.WAITING: 0,
        TicketStatus.RESOLVED: 1,
        TicketStatus.CLOSED: 0,
    }
    assert counts.active_by_queue == {general: 3, billing: 1}
    assert _without_zeros(counts).active_by_assignee == {None: 3, staff.id: 1}
    assert _without_zeros(counts) == truth


def test_counts_follow_deletes(app, factory, customer, staff):
    kept, gone = factory.ticket(customer), factory.ticket(customer)
    with app.app_context():
        db.session.execute(text("DELETE FROM tickets WHERE id = :id"), {"id": gone.id})
        db.session.commit()
        db.session.remove()

    counts, truth = _counts(app, factory, staff)

    assert counts.by_status[TicketStatus.OPEN] == 1 and kept.id != gone.id
    assert _without_zeros(counts) == truth


def test_only_staff_see_the_counts(app, factory, customer):
    with app.app_context(), pytest.raises(PermissionDenied):
        team_counts(factory.load(customer))


def _statements_of(app, factory, person, read):
    """What `read(person)` returns, and the statements it sent."""
    statements = []

    def record(_conn, _cursor, statement, *_):
        statements.append(statement)

    with app.app_context():
        agent = factory.load(person)
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            result = read(agent)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        db.session.remove()
    return result, statements


def test_counts_read_no_tickets(app, factory, customer, staff):
    factory.ticket(customer)
    _, statements = _statements_of(app, factory, staff, team_counts)
    assert len(statements) == 1 and "FROM tickets" not in statements[0]


def test_queue_loads_come_from_the_counters_and_count_no_tickets(
    app, factory, customer, staff, admin
):
    with app.app_context():
        manager = queue_manager()
        billing = manager.create_queue(factory.load(admin), name="Billing").id
        empty = manager.create_queue(factory.load(admin), name="Empty").id
        general = next(
            q.id for q in manager.list_queues(factory.load(admin)) if q.slug == "general"
        )
        db.session.remove()
    factory.ticket(customer), factory.ticket(customer)
    done = factory.ticket(customer, queue_id=billing)
    with app.app_context():
        ticket_manager().update_ticket_status(factory.load(staff), done.id, TicketStatus.CLOSED)
        db.session.remove()
    loads, statements = _statements_of(app, factory, staff, queue_loads)
    assert loads == {
        general: QueueLoad(active=2, holds_any=True),
        billing: QueueLoad(active=0, holds_any=True),
        empty: QueueLoad(active=0, holds_any=False),
    }
    assert len(statements) == 1 and "count(" not in statements[0].lower()


def test_only_staff_see_the_queue_loads(app, factory, customer):
    with app.app_context(), pytest.raises(PermissionDenied):
        queue_loads(factory.load(customer))


def test_counts_stay_exact_under_concurrent_writers(app, factory, customer, staff, admin):
    """Eight threads open tickets, assign them, move them between queues and statuses at
    once (on PostgreSQL in parallel, over shards): no deadlock, and the sums are exact."""
    moves = ["in_progress", "waiting", "resolved", "open", "closed"]
    with app.app_context():
        other_queue = queue_manager().create_queue(factory.load(admin), name="Other").id
        db.session.remove()

    def work(n: int) -> None:
        with app.app_context():
            manager = ticket_manager()
            ticket = manager.create_ticket(factory.load(customer), title=f"t{n}", description="x")
            agent = factory.load(staff)
            if n % 2:
                manager.update_ticket(agent, ticket.id, {"assignee_id": staff.id})
            for status in moves[n % 3 :]:
                manager.update_ticket_status(agent, ticket.id, status)
                if n % 4 == 0:
                    manager.update_ticket(agent, ticket.id, {"queue_id": other_queue})
            db.session.remove()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(24)))

    counts, truth = _counts(app, factory, staff)
    assert sum(counts.by_status.values()) == 24
    assert _without_zeros(counts) == truth
