"""API: tickets, their comments and their history."""

from __future__ import annotations

from flask import request, url_for
from pydantic import TypeAdapter

from ticketdesk.api.blueprint import auth, bp, current_user
from ticketdesk.api.paging import id_page
from ticketdesk.api.schemas import (
    CONVERSATION_PAGE,
    CommentIn,
    CommentOut,
    CommentPage,
    ConversationQuery,
    EventPage,
    PageQuery,
    TicketCountsOut,
    TicketDetailOut,
    TicketIn,
    TicketOut,
    TicketPage,
    TicketPatch,
    TicketQuery,
)
from ticketdesk.api.uploads import sent_files, stored
from ticketdesk.jsonio import EncodedJSON
from ticketdesk.services import ticket_manager
from ticketdesk.services.attachments import StoredFiles
from ticketdesk.services.contacts import Contact
from ticketdesk.services.errors import StaleVersion, ValidationFailed
from ticketdesk.services.idempotency import IdempotencyKey
from ticketdesk.services.listing import TicketSummary
from ticketdesk.services.pagination import Page
from ticketdesk.services.stats import team_counts
from ticketdesk.services.tickets import TicketFilter

WITH_FILES = (
    "multipart/form-data: the same fields as form fields, and one `file` part per file,"
    " stored with it in one transaction (limits as for attachments)."
)

# A page of tickets is encoded straight from its summaries (dataclasses with the schema's
# fields, `TicketPage`'s): validating them into models first cost more than the encoding
# (290 against 120 µs a page of 25). tests/api/test_ticket_list.py holds the two alike.
_encode_page = TypeAdapter(Page[TicketSummary]).dump_json


@bp.post("/tickets")
@bp.auth_required(auth)
@bp.input(TicketIn, location="json_or_form", arg_name="body")
@bp.output(TicketOut, status_code=201)
@bp.doc(
    tags=["Tickets"],
    description=f"JSON, or {WITH_FILES}",
    responses={403: "Not allowed", 413: "Files over a limit", 422: "Invalid fields"},
)
def create_ticket(body: TicketIn):
    """Open a ticket, with files if any; staff may pass `requester_id` or `requester_email`
    to open one for a customer."""
    with stored(sent_files()) as files:
        ticket = ticket_manager().create_ticket(
            current_user(),
            title=body.title,
            description=body.description,
            priority=body.priority,
            queue_id=body.queue_id,
            requester_id=body.requester_id,
            contact=Contact.from_fields(body.requester_email, body.requester_name),
            idempotency=_idempotency(body, files),
            files=files,
        )
    return ticket, 201, _ticket_headers(ticket)


@bp.get("/tickets")
@bp.auth_required(auth)
@bp.input(TicketQuery, location="query", arg_name="query")
@bp.output(TicketPage)
@bp.doc(tags=["Tickets"])
def list_tickets(query: TicketQuery):
    """Tickets you may see, newest first by default, one keyset page at a time."""
    filters = TicketFilter(
        statuses=tuple(query.status),
        priority=query.priority,
        queue_id=query.queue_id,
        assignee_id=None if query.assignee_id == "none" else query.assignee_id,
        unassigned=query.assignee_id == "none",
        requester_id=query.requester_id,
        text=query.q,
    )
    page = ticket_manager().get_tickets(
        current_user(), filters, sort=query.sort, limit=query.limit, cursor=query.cursor
    )
    return EncodedJSON(_encode_page(page))


@bp.get("/tickets/counts")
@bp.auth_required(auth)
@bp.output(TicketCountsOut)
@bp.doc(tags=["Tickets"], responses={403: "Staff only"})
def ticket_counts():
    """The staff sidebar's numbers: tickets per status, active ones per queue and assignee."""
    counts = team_counts(current_user())
    return {
        "by_status": counts.by_status,
        "active_by_queue": [
            {"queue_id": queue_id, "active": active}
            for queue_id, active in counts.active_by_queue.items()
        ],
        "active_by_assignee": [
            {"assignee_id": assignee_id, "active": active}
            for assignee_id, active in counts.active_by_assignee.items()
        ],
    }


@bp.get("/users/<int:user_id>/tickets")
@bp.auth_required(auth)
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(TicketPage)
@bp.doc(tags=["Tickets"], responses={404: "No such user (or not you)"})
def list_user_tickets(user_id: int, query: PageQuery):
    """Tickets requested by or assigned to a user; customers may ask only about themselves."""
    page = ticket_manager().get_user_tickets(
        current_user(), user_id, sort=query.sort, limit=query.limit, cursor=query.cursor
    )
    return EncodedJSON(_encode_page(page))


@bp.get("/tickets/<int:ticket_id>")
@bp.auth_required(auth)
@bp.output(TicketDetailOut)
@bp.doc(tags=["Tickets"], responses={404: "No such ticket (or not yours)"})
def get_ticket(ticket_id: int):
    """One ticket with the first page of the comments you may see; its ETag is the version
    for If-Match."""
    manager = ticket_manager()
    ticket = manager.get_ticket(current_user(), ticket_id)
    comments = manager.get_comments(current_user(), ticket_id, limit=CONVERSATION_PAGE + 1)
    page = id_page(comments, CONVERSATION_PAGE)
    detail = TicketDetailOut.model_validate(
        {
            **TicketOut.model_validate(ticket).model_dump(),
            "comments": page["items"],
            "comments_next_cursor": page["next_cursor"],
        },
        from_attributes=True,
    )
    return detail, 200, _ticket_headers(ticket)


@bp.patch("/tickets/<int:ticket_id>")
@bp.auth_required(auth)
@bp.input(TicketPatch, arg_name="body")
@bp.output(TicketOut)
@bp.doc(
    tags=["Tickets"],
    responses={
        403: "Not allowed to change that field",
        404: "No such ticket (or not yours)",
        409: "Status change not allowed, or stale `version`",
        412: "Stale If-Match",
    },
)
def update_ticket(ticket_id: int, body: TicketPatch):
    """Change fields of a ticket; send If-Match (or `version`) to refuse lost updates."""
    changes = body.model_dump(exclude_unset=True)
    body_version = changes.pop("version", None)
    ticket = ticket_manager().update_ticket(
        current_user(), ticket_id, changes, expected_version=_expected_version(body_version)
    )
    return ticket, 200, _ticket_headers(ticket)


@bp.get("/tickets/<int:ticket_id>/comments")
@bp.auth_required(auth)
@bp.input(ConversationQuery, location="query", arg_name="query")
@bp.output(CommentPage)
@bp.doc(tags=["Comments"], responses={404: "No such ticket (or not yours)"})
def list_comments(ticket_id: int, query: ConversationQuery):
    """The conversation, oldest first, a page at a time; internal notes only for staff."""
    comments = ticket_manager().get_comments(
        current_user(), ticket_id, limit=query.limit + 1, after_id=query.cursor or 0
    )
    return id_page(comments, query.limit)


@bp.post("/tickets/<int:ticket_id>/comments")
@bp.auth_required(auth)
@bp.input(CommentIn, location="json_or_form", arg_name="body")
@bp.output(CommentOut, status_code=201)
@bp.doc(
    tags=["Comments"],
    description=f"JSON, or {WITH_FILES}",
    responses={
        403: "Internal notes are for staff",
        404: "No such ticket",
        413: "Files over a limit",
    },
)
def add_comment(ticket_id: int, body: CommentIn):
    """Reply on a ticket, or (staff) add an internal note, with files if any."""
    with stored(sent_files()) as files:
        comment = ticket_manager().add_comment(
            current_user(),
            ticket_id,
            body=body.body,
            internal=body.internal,
            idempotency=_idempotency(body, files),
            files=files,
        )
    return comment, 201


@bp.get("/tickets/<int:ticket_id>/events")
@bp.auth_required(auth)
@bp.input(ConversationQuery, location="query", arg_name="query")
@bp.output(EventPage)
@bp.doc(tags=["Tickets"], responses={404: "No such ticket (or not yours)"})
def list_events(ticket_id: int, query: ConversationQuery):
    """The ticket's history, oldest first, a page at a time: every change, who, when."""
    events = ticket_manager().get_events(
        current_user(), ticket_id, limit=query.limit + 1, after_id=query.cursor or 0
    )
    return id_page(events, query.limit)


def _idempotency(body, files: StoredFiles | None = None) -> IdempotencyKey | None:
    """The request's Idempotency-Key, fingerprinted with its body and files, if the client
    sent one."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    sent = body.model_dump(mode="json")
    if files is not None:
        sent["files"] = [[item.filename, item.sha256] for item in files.items]
    return IdempotencyKey.for_request(key, sent)


def _ticket_headers(ticket) -> dict[str, str]:
    return {
        "ETag": f'"{ticket.version}"',
        "Location": url_for("api.get_ticket", ticket_id=ticket.id),
    }


def _expected_version(body_version: int | None) -> int | None:
    """The version the client read, from If-Match or the body's `version`; sent both
    ways, the two must agree."""
    header = request.headers.get("If-Match")
    if header is None:
        return body_version
    value = header.strip()
    if value == "*":
        return body_version
    if value.startswith("W/"):  # If-Match compares strongly: a weak tag never matches
        raise StaleVersion()
    value = value.strip('"')
    if not value.isdigit() or len(value) > 15:
        raise StaleVersion()
    if body_version is not None and body_version != int(value):
        raise ValidationFailed.field("version", "If-Match names another version.")
    return int(value)
