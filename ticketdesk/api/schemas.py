"""Request and response bodies of the API, named by direction (In, Out, Patch, Page).

Constraints and descriptions here become the OpenAPI document. The services
check every rule again: these models describe the wire format, they do not
decide who may do what.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator

from ticketdesk.models import (
    EMAIL_MAX,
    ID_MAX,
    NAME_MAX,
    TEXT_MAX,
    TITLE_MAX,
    EventKind,
    NewTicketNotices,
    Priority,
    Role,
    TicketStatus,
)
from ticketdesk.services.pagination import TicketSort
from ticketdesk.services.users import PASSWORD_MAX, PASSWORD_MIN
from ticketdesk.text_input import NUL_REFUSED, holds_nul

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=TEXT_MAX)]
Password = Annotated[str, StringConstraints(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)]
Email = Annotated[EmailStr, Field(max_length=EMAIL_MAX)]
Id = Annotated[int, Field(ge=1, le=ID_MAX)]
# Replies (or history entries) per page, and in a ticket's own answer.
CONVERSATION_PAGE = 100
NextCursor = Annotated[
    str | None, Field(description="Pass as `cursor` for the next page; null at the end.")
]


def optional(**kwargs):
    """A field that may be left out but, when sent, must not be null.

    The default (None, meaning "not sent") stays out of the schema, where it would
    contradict the field's own type.
    """
    return Field(
        default=None, json_schema_extra=lambda schema: schema.pop("default", None), **kwargs
    )


class In(BaseModel):
    """Incoming bodies and queries: unknown fields are an error, never silently dropped,
    and no text may hold a NUL (see `ticketdesk.text_input`)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _refuse_nul(cls, value):
        if holds_nul(value):
            raise ValueError(NUL_REFUSED)
        return value


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- accounts -------------------------------------------------------------


class RegisterIn(In):
    """No password: it is chosen from the link mailed to `email`, which proves the address."""

    name: Name = Field(description="Kept only if the address has no account yet.")
    email: Email = Field(description="Where the link to choose a password is mailed.")


class TokenIn(In):
    email: Annotated[str, Field(max_length=EMAIL_MAX)]
    password: Annotated[str, Field(max_length=1024)]
    name: Name | None = Field(default=None, description="A label to recognise the token by.")
    expires_in_days: int | None = Field(
        default=None, ge=1, le=3650, description="Leave out for a token that lives until revoked."
    )


class TokenOut(Out):
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    token: str = Field(description="The bearer secret. Shown only in this response: store it now.")


class TokenSummaryOut(Out):
    """A live token as its owner sees it: never its secret, nor the secret's hash."""

    id: int
    name: str = Field(description="The label given when it was made.")
    created_at: datetime
    last_used_at: datetime | None = Field(description="Recorded at most once a minute.")
    expires_at: datetime | None


class TokenQuery(In):
    limit: int = Field(default=50, ge=1, le=100)
    cursor: Id | None = Field(default=None, description="From a previous page.")


class TokenPage(Out):
    items: list[TokenSummaryOut]
    next_cursor: NextCursor


class UserSummary(Out):
    id: int
    name: str
    role: Role


class UserOut(Out):
    id: int
    name: str
    email: str
    role: Role
    active: bool
    created_at: datetime


class UserIn(In):
    name: Name
    email: Email
    role: Role = Role.CUSTOMER
    password: Password | None = Field(
        default=None,
        description="Leave out for an account that signs in only once a password is set.",
    )


class UserPatch(In):
    """Only the fields present are changed; none may be null."""

    name: Name = optional()
    email: Email = optional(
        description="Unique, whatever its case. Reset links mailed to the old address stop "
        "working; sessions and tokens go on."
    )
    role: Role = optional()
    active: bool = optional()


class UserQuery(In):
    role: Role | None = None
    q: str | None = Field(
        default=None,
        max_length=200,
        description="Words that start words of the name or email address: `carl` finds "
        "Carla, `example` finds ann@example.com. Any other characters are plain text.",
    )
    limit: int = Field(default=100, ge=1, le=100)
    cursor: Id | None = Field(default=None, description="From a previous page.")


class UserPage(Out):
    items: list[UserOut]
    next_cursor: str | None


class ResetRequestIn(In):
    email: Annotated[str, Field(max_length=EMAIL_MAX)]


class ResetConfirmIn(In):
    token: Annotated[str, Field(min_length=1, max_length=200, description="From the mailed link.")]
    new_password: Password
    name: Name | None = Field(
        default=None,
        description="With a first password only (the account has none yet): the name to "
        "keep instead of the one typed when the account was asked for.",
    )


class Accepted(BaseModel):
    detail: str


class PasswordChangeIn(In):
    current_password: Annotated[str, Field(max_length=1024)]
    new_password: Password


class MePatch(In):
    """Your own account: only the fields present are changed; none may be null. The
    address is changed with `POST /api/v1/me/email`, confirmed from the new mailbox."""

    name: Name = optional(description="As staff and the people you write to see it.")


class EmailChangeIn(In):
    email: Annotated[str, Field(max_length=EMAIL_MAX)] = Field(
        description="The new address: a link to confirm it is mailed there."
    )
    current_password: Annotated[str, Field(max_length=1024)]


class EmailConfirmIn(In):
    token: Annotated[str, Field(min_length=1, max_length=200, description="From the mailed link.")]


NEW_TICKETS = (
    "Which new tickets you are mailed about: `all`, those in your chosen `queues`, or"
    " `none`. `TICKETDESK_MAIL_NOTIFY_STAFF_ON_NEW_TICKET` off (or team addresses in"
    " `TICKETDESK_MAIL_STAFF_ADDRESSES`) mails staff none. Replies to unassigned tickets"
    " follow the same choice."
)
WATCHED = "Your chosen queues, kept whatever `new_tickets` says."
ASSIGNED_TO_ME = (
    "Whether you are mailed when a ticket is assigned to you, and when its customer"
    " replies to it or reopens it."
)


class NoticesOut(Out):
    new_tickets: NewTicketNotices = Field(description=NEW_TICKETS)
    queue_ids: list[int] = Field(description=WATCHED)
    assigned_to_me: bool = Field(description=ASSIGNED_TO_ME)


class NoticesPatch(In):
    """Only the fields present are changed; none may be null. `queues` needs at least
    one queue chosen."""

    new_tickets: NewTicketNotices = optional(description=NEW_TICKETS)
    queue_ids: Annotated[list[Id], Field(max_length=1000)] = optional(
        description=WATCHED + " Replaces them all."
    )
    assigned_to_me: bool = optional(description=ASSIGNED_TO_ME)


# --- queues ---------------------------------------------------------------


Slug = Annotated[str, StringConstraints(max_length=NAME_MAX)]


class QueueIn(In):
    name: Name
    slug: Slug | None = None


class QueuePatch(In):
    """Only the fields present are changed; none may be null."""

    name: Name = optional()
    slug: Slug = optional(
        description="Empty: made from the name. The default queue's slug, and a slug the "
        "mail settings name, cannot change."
    )


class QueueOut(Out):
    id: int
    name: str
    slug: str


# --- tickets --------------------------------------------------------------


class TicketIn(In):
    title: Title
    description: Text
    priority: Priority = Priority.NORMAL
    queue_id: Id | None = Field(default=None, description="Defaults to the General queue.")
    requester_id: Id | None = Field(
        default=None, description="Staff only: open the ticket on behalf of this user."
    )
    requester_email: Email | None = Field(
        default=None,
        description="Staff only, instead of `requester_id`: open the ticket for the person"
        " with this address (a phone call). An unknown address gets a new customer account"
        " without a password, made with the ticket; a deactivated one is refused. The"
        " requester is mailed the ticket's number and can reply to that mail.",
    )
    requester_name: Name | None = Field(
        default=None,
        description="With `requester_email`: the name of a new customer account (made from"
        " the address when left out); an existing account keeps its own.",
    )


class TicketPatch(In):
    """Only the fields present are changed; `assignee_id: null` unassigns."""

    title: Title = optional()
    description: Text = optional()
    status: TicketStatus = optional()
    priority: Priority = optional()
    queue_id: Id = optional()
    assignee_id: Id | None = None
    version: Id | None = Field(
        default=None, description="The version you read; alternative to the If-Match header."
    )


class TicketOut(Out):
    id: int
    title: str
    description: str
    status: TicketStatus
    priority: Priority
    queue_id: int
    requester_id: int
    assignee_id: int | None
    requester: UserSummary
    assignee: UserSummary | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    version: int


class CommentIn(In):
    body: Annotated[str, StringConstraints(max_length=TEXT_MAX)] = Field(
        default="",
        description="Markdown. May be left out when files come with it (multipart/form-data);"
        " a comment needs words or files.",
    )
    internal: bool = Field(default=False, description="Staff only: a note customers never see.")


class CommentOut(Out):
    id: int
    ticket_id: int
    author: UserSummary
    body: str
    internal: bool
    created_at: datetime


class TicketDetailOut(TicketOut):
    comments: list[CommentOut] = Field(
        description=f"The conversation's first {CONVERSATION_PAGE} replies, oldest first."
    )
    comments_next_cursor: str | None = Field(
        description="More replies: pass as `cursor` to GET /tickets/{ticket_id}/comments."
    )


class CommentPage(Out):
    items: list[CommentOut]
    next_cursor: NextCursor


class TicketListOut(TicketOut):
    snippet: str | None = Field(
        default=None,
        description=(
            "With `q`: where the words are in the description, replies or (staff) notes, as"
            " HTML, words found in `<mark>`, the rest escaped; the description's start when"
            " only the title holds them."
        ),
    )


class TicketPage(Out):
    items: list[TicketListOut]
    next_cursor: NextCursor
    ignored_words: list[str] = Field(
        default_factory=list,
        description=(
            "With `q`: its words too common to search for (English stop words such as"
            " `the`, `is`, `not`), left out of the search. When every word is one, SQLite"
            " searches them as typed; PostgreSQL, whose index holds none of them, finds"
            " nothing and lists them all here."
        ),
    )


class QueueCount(Out):
    queue_id: int
    active: int


class AssigneeCount(Out):
    assignee_id: int | None = Field(description="null: the unassigned tickets.")
    active: int


class TicketCountsOut(Out):
    """Every ticket per status; per queue and per assignee, the active ones (open, in
    progress, waiting). Read from counters kept with each write, never by counting."""

    by_status: dict[TicketStatus, int]
    active_by_queue: list[QueueCount]
    active_by_assignee: list[AssigneeCount]


class EventOut(Out):
    id: int
    ticket_id: int
    actor_id: int | None
    kind: EventKind
    old_value: str | None
    new_value: str | None
    at: datetime


class EventPage(Out):
    items: list[EventOut]
    next_cursor: NextCursor


class ConversationQuery(In):
    """A page of a ticket's replies or history, oldest first."""

    limit: int = Field(default=CONVERSATION_PAGE, ge=1, le=CONVERSATION_PAGE)
    cursor: Id | None = Field(default=None, description="From a previous page.")


class TicketQuery(In):
    """Filters of the ticket list; `status` may be given more than once."""

    status: list[TicketStatus] = Field(default_factory=list)
    priority: Priority | None = None
    queue_id: Id | None = None
    assignee_id: Id | Literal["none"] | None = Field(
        default=None, description="A staff member's id, or `none` for unassigned tickets."
    )
    requester_id: Id | None = None
    q: str | None = Field(
        default=None,
        max_length=500,
        description="Words to find in title, description, replies and file names; "
        '"words in double quotes" only as that phrase. Any other characters are plain '
        "text. Without `sort`, best matches come first.",
    )
    sort: TicketSort | None = Field(
        default=None, description="Default: best matches first with `q`, else `-created_at`."
    )
    limit: int = Field(default=25, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=500)


class PageQuery(In):
    sort: TicketSort = TicketSort.NEWEST
    limit: int = Field(default=25, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=500)


class Health(BaseModel):
    status: Literal["ok", "degraded", "unavailable"] = Field(
        description="ok; degraded while the rate-limit store does not answer (the app serves,"
        " counting limits in each process); unavailable while the database does not, or"
        " lacks this code's schema (503)"
    )
    database: Literal["ok", "unreachable", "uninitialised", "outdated"] = Field(
        description="uninitialised: no schema; outdated: another release's schema (503 for"
        " both: `ticketdesk init` makes or upgrades it)"
    )
    rate_limit_store: Literal["ok", "unreachable", "off"] = Field(
        description="off when rate limits are turned off (RATELIMIT_ENABLED)"
    )


class SecurityEventOut(Out):
    id: int
    kind: str
    actor_id: int | None
    subject_id: int | None
    ip: str | None
    detail: str | None
    at: datetime


class SecurityEventQuery(In):
    limit: int = Field(default=50, ge=1, le=200)
    cursor: int | None = Field(default=None, ge=1, le=2**62, description="From a previous page.")


class SecurityEventPage(Out):
    items: list[SecurityEventOut]
    next_cursor: str | None
