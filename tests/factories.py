"""Small test factories: real rows made through the real services."""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

from sqlalchemy import select

from ticketdesk.extensions import db
from ticketdesk.models import Role, User
from ticketdesk.services import api_tokens, ticket_manager, user_manager

PASSWORD = "correct horse battery"
_serial = itertools.count(1)


@dataclass(frozen=True)
class Person:
    """What a test needs to know about a user, usable outside any session."""

    id: int
    email: str
    role: Role
    password: str = PASSWORD


@dataclass(frozen=True)
class TicketRef:
    id: int
    version: int


def in_app_context(method):
    """Run a factory method in its own app context, as a request would: no session outlives it."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self.app.app_context():
            return method(self, *args, **kwargs)

    return wrapper


class Factory:
    """Creates data through the services, each call in a fresh app context."""

    def __init__(self, app) -> None:
        self.app = app

    @in_app_context
    def user(self, role: Role = Role.CUSTOMER, *, name: str = "Test User", email=None) -> Person:
        email = email or f"user{next(_serial)}@example.com"
        user = user_manager().create_user_unchecked(
            name=name, email=email, password=PASSWORD, role=role
        )
        person = Person(user.id, user.email, user.role)
        db.session.remove()
        return person

    @in_app_context
    def token(self, person: Person) -> str:
        _, secret = api_tokens().create_token(
            email=person.email, password=person.password, name="test"
        )
        db.session.remove()
        return secret

    @in_app_context
    def ticket(self, requester: Person, *, title: str = "Something broke", **fields) -> TicketRef:
        ticket = ticket_manager().create_ticket(
            self.load(requester),
            title=title,
            description=fields.pop("description", "Details."),
            **fields,
        )
        ref = TicketRef(ticket.id, ticket.version)
        db.session.remove()
        return ref

    @in_app_context
    def deactivate(self, person: Person) -> None:
        self.load(person).active = False
        db.session.commit()
        db.session.remove()

    @in_app_context
    def account(self, email: str) -> User | None:
        """The stored account with this address (detached, its columns loaded), or None."""
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.remove()
        return user

    @in_app_context
    def email_of(self, person: Person) -> str:
        """The address the person's account has now."""
        email = self.load(person).email
        db.session.remove()
        return email

    @in_app_context
    def load_name(self, person: Person) -> str:
        """The name the person's account has now."""
        name = self.load(person).name
        db.session.remove()
        return name

    @staticmethod
    def load(person: Person) -> User:
        return db.session.get(User, person.id)


class ApiClient:
    """A test client that sends one user's bearer token with every request."""

    def __init__(self, client, token: str | None) -> None:
        self.client = client
        self.token = token

    def request(self, method: str, path: str, *, headers=None, **kwargs):
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.request("PATCH", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)
