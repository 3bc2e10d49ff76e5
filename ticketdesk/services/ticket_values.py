"""The values a ticket change brings, checked and converted to the model's types: against
the database where they name a row (a queue, an assignee)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from ticketdesk.models import HelpdeskStaff, Priority, Queue, TicketStatus, User
from ticketdesk.services import ticket_fields as fields
from ticketdesk.services import ticket_queries as queries
from ticketdesk.services.errors import ValidationFailed


def validated_changes(
    session: Session, changes: Mapping[str, Any], *, default_queue_slug: str
) -> dict[str, Any]:
    """Check each value on its own terms and convert it to the model's type; every field
    that fails is named in one ValidationFailed."""
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    checks = {
        "title": fields.check_title,
        "description": fields.check_description,
        "status": lambda value: TicketStatus(value),
        "priority": lambda value: Priority(value),
        "queue_id": lambda value: queue_for(session, value, default_slug=default_queue_slug).id,
        "assignee_id": lambda value: _assignee_id(session, value),
    }
    for field, value in changes.items():
        try:
            values[field] = checks[field](value)
        except ValidationFailed as error:
            errors.update(error.errors)
        except (ValueError, TypeError):
            errors[field] = ["Not an allowed value."]
    if errors:
        raise ValidationFailed(errors)
    return values


def queue_for(session: Session, queue_id: int | None, *, default_slug: str) -> Queue:
    """The queue a ticket goes in: the one named, or (None) the default one."""
    if queue_id is None:
        queue = session.scalar(queries.QUEUE_BY_SLUG, {"slug": default_slug})
    else:
        queue = session.get(Queue, queue_id)
    if queue is None:
        raise ValidationFailed.field("queue_id", "No such queue.")
    return queue


def refuse_deleted_queue(session: Session, queue_id: int) -> None:
    """After the foreign key refused a write: a field error if the queue is gone (an
    admin deleted it after this change read it), else nothing to say."""
    session.rollback()
    if session.scalar(queries.QUEUE_EXISTS, {"queue_id": queue_id}) is None:
        raise ValidationFailed.field("queue_id", "That queue was deleted: choose another.")


def _assignee_id(session: Session, staff_id: int | None) -> int | None:
    if staff_id is None:
        return None
    staff = session.get(User, staff_id)
    if staff is None or not HelpdeskStaff.can_hold_tickets(staff):
        raise ValidationFailed.field(
            "assignee_id", "Tickets can be assigned only to active staff members."
        )
    return staff.id
