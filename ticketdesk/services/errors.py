"""Domain errors: what went wrong in the language of the helpdesk, not of HTTP.

Each surface maps them to its own answer (problem+json in the API, a flash or an
error page in the web UI, a bounce reason for mail).
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every rule the services enforce."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    """The thing does not exist, or the actor may not know that it does."""


class PermissionDenied(DomainError):
    """The actor may see the thing but not do this to it."""


class AuthenticationFailed(DomainError):
    """Credentials did not identify an active user (never says which part was wrong)."""


class ValidationFailed(DomainError):
    """Input broke a rule; `errors` maps each field to its messages."""

    def __init__(
        self, errors: dict[str, list[str]], detail: str = "Some fields are invalid."
    ) -> None:
        super().__init__(detail)
        self.errors = errors

    @classmethod
    def field(cls, name: str, message: str) -> ValidationFailed:
        return cls({name: [message]})


class TooLarge(ValidationFailed):
    """Input over a configured size or count limit (the API answers 413)."""


class Conflict(DomainError):
    """The request clashes with existing data (an address already taken, say); `field`
    names the input that clashed, when one did."""

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.field = field


class InvalidTransition(Conflict):
    """The workflow does not allow this status change."""

    def __init__(self, old: str, new: str) -> None:
        super().__init__(f"A ticket cannot go from '{old}' to '{new}'.")
        self.old, self.new = old, new


class StaleVersion(Conflict):
    """Someone else changed the ticket since the actor read it."""

    def __init__(self, current_version: int | None = None) -> None:
        super().__init__("The ticket was changed by someone else; reload it and try again.")
        self.current_version = current_version
