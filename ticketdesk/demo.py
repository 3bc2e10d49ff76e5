"""Demo data: a small helpdesk with people, queues and tickets, made through the services."""

from __future__ import annotations

from collections.abc import Callable

from ticketdesk.models import Priority, Role, TicketStatus
from ticketdesk.services import queue_manager, ticket_manager, user_manager

DEMO_ADMIN_EMAIL = "admin@example.com"

PEOPLE = [
    (Role.ADMIN, "Ada Admin", DEMO_ADMIN_EMAIL),
    (Role.STAFF, "Sam Support", "sam@example.com"),
    (Role.STAFF, "Kim Agent", "kim@example.com"),
    (Role.CUSTOMER, "Carla Customer", "carla@example.com"),
    (Role.CUSTOMER, "Dev Customer", "dev@example.com"),
]

# (requester index, title, description, priority, status, assignee index or None, replies)
TICKETS = [
    (
        3,
        "Cannot sign in after password reset",
        "I reset my password but the new one is refused.",
        Priority.HIGH,
        TicketStatus.IN_PROGRESS,
        1,
        ["Which browser are you using?", "Firefox 128."],
    ),
    (
        3,
        "Invoice for October is missing",
        "The October invoice does not show in my account.",
        Priority.NORMAL,
        TicketStatus.OPEN,
        None,
        [],
    ),
    (
        4,
        "Export to CSV times out",
        "Exporting 20k rows stops after a minute.",
        Priority.URGENT,
        TicketStatus.WAITING,
        2,
        ["Could you send the export settings you used?"],
    ),
    (
        4,
        "Feature request: dark mode",
        "Would love a dark theme for late shifts.",
        Priority.LOW,
        TicketStatus.RESOLVED,
        1,
        ["Added to our roadmap, thanks!"],
    ),
    (
        3,
        "Typo on the pricing page",
        '"Anual" should be "Annual".',
        Priority.LOW,
        TicketStatus.CLOSED,
        2,
        ["Fixed, thank you."],
    ),
]


def create_demo_data(*, password_factory: Callable[[], str]) -> list[tuple[str, str, str]]:
    """Create the demo people and tickets; returns (role, email, password) for each person."""
    users = user_manager()
    people, credentials = [], []
    for role, name, email in PEOPLE:
        password = password_factory()
        people.append(
            users.create_user_unchecked(name=name, email=email, password=password, role=role)
        )
        credentials.append((role.value, email, password))
    queues = queue_manager()
    billing = queues.create_queue(people[0], name="Billing")
    tickets = ticket_manager()
    for requester, title, description, priority, status, assignee, replies in TICKETS:
        queue_id = billing.id if "nvoice" in title else None
        ticket = tickets.create_ticket(
            people[requester],
            title=title,
            description=description,
            priority=priority,
            queue_id=queue_id,
        )
        if assignee is not None:
            tickets.assign_ticket_to_staff(people[1], ticket.id, people[assignee].id)
        for index, body in enumerate(replies):
            author = people[assignee] if index % 2 == 0 else people[requester]
            tickets.add_comment(author, ticket.id, body=body)
        if assignee is not None:
            tickets.add_comment(
                people[assignee], ticket.id, body="Looked into this.", internal=True
            )
        if status != TicketStatus.OPEN:
            tickets.update_ticket_status(people[1], ticket.id, status)
    return credentials
