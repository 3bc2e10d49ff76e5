"""Contacts: someone staff open a ticket for by email address (a phone call, a visit).

The account with that address becomes the requester. When there is none, a
passwordless customer account is made inside the ticket's own write, so that a
ticket that fails leaves no account behind; `UserManager.contact_for` makes it.
`requester_for` settles, before that write, whom a new ticket is for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from ticketdesk.models import User
from ticketdesk.services.errors import PermissionDenied, ValidationFailed


@dataclass(frozen=True)
class Contact:
    """An email address, and a name for the account if it is new (else made from the address)."""

    email: str
    name: str | None = None

    @classmethod
    def from_fields(cls, email: str | None, name: str | None) -> Contact | None:
        """The contact a form's or a request's two requester fields name; None if both are empty."""
        email, name = (email or "").strip(), (name or "").strip()
        return cls(email, name or None) if email or name else None


class ContactAccounts(Protocol):
    """Finds or makes a contact's account in the caller's open write (services.users)."""

    def contact_for(self, actor: User, *, email: str, name: str | None = None) -> User: ...


def is_the_actor(actor: User, contact: Contact, *, requester_id: int | None) -> bool:
    """Whether a contact names the actor's own address and nothing else: anyone may name
    themselves, by address as by id (a customer's client may always send its own)."""
    return requester_id is None and contact.email.lower() == actor.email


def check_contact(actor: User, contact: Contact, *, requester_id: int | None) -> None:
    """Before the write: only staff name a contact, by address, and in one way only."""
    if not actor.is_staff:
        raise PermissionDenied("Only staff can open tickets for someone else.")
    if requester_id is not None:
        raise ValidationFailed.field(
            "requester_email", "Name the requester by id or by email address, not both."
        )
    if not contact.email:
        raise ValidationFailed.field("requester_email", "The requester's email address, please.")


def contact_account(accounts: ContactAccounts | None, actor: User, contact: Contact) -> User:
    """Inside the write: the active account a ticket is opened for, made if it is new."""
    if accounts is None:  # a TicketManager built outside an app (a script)
        raise PermissionDenied("Tickets cannot be opened for contacts here.")
    try:
        user = accounts.contact_for(actor, email=contact.email, name=contact.name)
    except ValidationFailed as error:  # it names `email` and `name`: here they are the requester's
        raise ValidationFailed(
            {f"requester_{field}": messages for field, messages in error.errors.items()}
        ) from None
    if not user.active:
        raise ValidationFailed.field(
            "requester_email", "This person's account is deactivated; an admin can reactivate it."
        )
    return user


def requester_for(
    session: Session, actor: User, requester_id: int | None, contact: Contact | None
) -> User | None:
    """Before the write: whom a new ticket is for (the actor, or a user named by id), or
    None when `contact` names them (found inside the write by `contact_account`)."""
    if contact is not None and is_the_actor(actor, contact, requester_id=requester_id):
        return actor
    if contact is not None:
        check_contact(actor, contact, requester_id=requester_id)
        return None
    if requester_id is None or requester_id == actor.id:
        return actor
    if not actor.is_staff:
        raise PermissionDenied("Only staff can open tickets for someone else.")
    requester = session.get(User, requester_id)
    if requester is None or not requester.active:
        raise ValidationFailed.field("requester_id", "No such active user.")
    return requester
