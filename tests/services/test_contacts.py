"""Contacts: the account of someone staff open a ticket for stands or falls with it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ticketdesk.extensions import db
from ticketdesk.models import User
from ticketdesk.services import user_manager
from ticketdesk.services.contacts import Contact
from ticketdesk.services.errors import PermissionDenied
from ticketdesk.services.notifications import NullNotifier
from ticketdesk.services.tickets import TicketManager

CALLER = "caller@example.com"


class FailingNotifier(NullNotifier):
    """Fails the way any last step of a ticket's write could: after the account is made."""

    def ticket_created(self, actor, ticket) -> None:
        raise RuntimeError("the outbox refused the row")


def test_account_made_for_a_ticket_is_rolled_back_with_it(app, factory, staff):
    with app.app_context():
        tickets = TicketManager(db.session(), notifier=FailingNotifier(), accounts=user_manager())
        with pytest.raises(RuntimeError):
            tickets.create_ticket(
                factory.load(staff), title="t", description="d", contact=Contact(CALLER)
            )
        db.session.rollback()
        assert db.session.scalar(select(User).where(User.email == CALLER)) is None


def test_only_staff_make_accounts_for_contacts(app, factory, customer):
    with app.app_context(), pytest.raises(PermissionDenied):
        user_manager().contact_for(factory.load(customer), email=CALLER)


def test_an_account_made_meanwhile_is_taken_not_made_twice(
    app, factory, staff, customer, monkeypatch
):
    """Another transaction (the customer's own mail) makes the account between this one's
    lookup and its insert: the lookup is made to miss, as it would have then."""
    with app.app_context():
        session = db.session()
        lookup = session.scalar
        missed = []

        def miss_once(statement, *args, **kwargs):
            if not missed:
                missed.append(statement)
                return None
            return lookup(statement, *args, **kwargs)

        monkeypatch.setattr(session, "scalar", miss_once)
        found = user_manager().contact_for(factory.load(staff), email=customer.email)
        assert missed and found.id == customer.id
        session.commit()  # the write goes on: only the insert's savepoint was rolled back
