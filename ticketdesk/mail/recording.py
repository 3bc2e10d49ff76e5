"""What mail wrote on a ticket is recorded with it: the InboundMessage row, and a history
entry naming the rule that threaded the mail, in the ticket change's own transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketdesk.models import EventKind, InboundMessage, TicketEvent, User
from ticketdesk.services.errors import PermissionDenied
from ticketdesk.services.tickets import TicketManager


class RecordingNotifier:
    """Adds the InboundMessage row to the ticket change's own transaction, then notifies."""

    def __init__(self, inner, session: Session, record: InboundMessage) -> None:
        self.inner, self.session, self.record = inner, session, record

    def ticket_created(self, actor, ticket) -> None:
        self.record.ticket_id = ticket.id
        self.session.add(self.record)
        self._record_in_history(actor, ticket)
        self.inner.ticket_created(actor, ticket)

    def ticket_changed(self, actor, ticket, changed) -> None:
        self.inner.ticket_changed(actor, ticket, changed)

    def comment_added(self, actor, ticket, comment, *, reopened=False, finished=False) -> None:
        self.record.ticket_id, self.record.comment_id = ticket.id, comment.id
        self.session.add(self.record)
        self._record_in_history(actor, ticket)
        self.inner.comment_added(actor, ticket, comment, reopened=reopened, finished=finished)

    def _record_in_history(self, actor, ticket) -> None:
        """The ticket's history says which rule threaded this mail (staff see it)."""
        self.session.add(
            TicketEvent(
                ticket_id=ticket.id,
                actor_id=actor.id,
                kind=EventKind.MAIL,
                new_value=f"{self.record.rule}: {self.record.message_key}"[:1000],
            )
        )


def ticket_mail_log(
    session: Session, tickets: TicketManager, actor: User, ticket_id: int
) -> list[InboundMessage]:
    """Mail received on a ticket, oldest first, with the rule that threaded it (staff only)."""
    if not actor.is_staff:
        raise PermissionDenied("Only staff can read a ticket's mail log.")
    ticket = tickets.get_ticket(actor, ticket_id)
    query = (
        select(InboundMessage)
        .where(InboundMessage.ticket_id == ticket.id)
        .order_by(InboundMessage.id)
    )
    return list(session.scalars(query))
