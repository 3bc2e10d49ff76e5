"""API: files on tickets. Uploads are multipart/form-data; downloads never render in our origin.

These routes live on their own blueprint (same /api/v1 prefix and bearer tokens)
because the main API blueprint takes JSON bodies, multipart only where a new ticket
or reply comes with its files (see `ticketdesk.api.uploads`).
"""

from __future__ import annotations

from datetime import datetime

from apiflask import APIBlueprint, EmptySchema
from flask import request
from pydantic import BaseModel, ConfigDict

from ticketdesk.api.blueprint import auth, current_user
from ticketdesk.api.paging import id_page
from ticketdesk.api.problems import problem
from ticketdesk.api.schemas import ConversationQuery, NextCursor
from ticketdesk.api.uploads import MULTIPART, refuse_oversized_upload, sent_files
from ticketdesk.security.downloads import send_attachment, send_preview
from ticketdesk.services.attachments import attachment_manager
from ticketdesk.services.errors import ValidationFailed

bp = APIBlueprint("attachments", __name__, url_prefix="/api/v1")


class AttachmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ticket_id: int
    comment_id: int | None
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime


class AttachmentPage(BaseModel):
    items: list[AttachmentOut]
    next_cursor: NextCursor


@bp.before_request
def _refuse_oversized_bodies():
    """413 from the Content-Length alone, before any byte of the body is read."""
    if request.method != "POST":
        return None
    refused = refuse_oversized_upload()
    if refused is None and request.mimetype != MULTIPART:
        return problem(415, "Send files as multipart/form-data.")
    return refused


@bp.post("/tickets/<int:ticket_id>/attachments")
@bp.auth_required(auth)
@bp.output(list[AttachmentOut], status_code=201)
@bp.doc(
    tags=["Attachments"],
    description="multipart/form-data with one or more `file` parts and, to attach them to "
    "one of your replies, a `comment_id` field. Files over the limits get 413.",
    responses={404: "No such ticket (or not yours)", 413: "Over a size or count limit"},
)
def upload_attachments(ticket_id: int):
    """Attach files to a ticket, or to your comment on it."""
    if unknown := sorted(set(request.form) - {"comment_id"}):
        raise ValidationFailed({name: ["Not a field of this request."] for name in unknown})
    comment_id = request.form.get("comment_id")
    if comment_id is not None and (not comment_id.isdigit() or len(comment_id) > 15):
        raise ValidationFailed.field("comment_id", "Must be a comment id.")
    return attachment_manager().add_attachments(
        current_user(),
        ticket_id,
        sent_files(),
        comment_id=int(comment_id) if comment_id is not None else None,
    ), 201


@bp.get("/tickets/<int:ticket_id>/attachments")
@bp.auth_required(auth)
@bp.input(ConversationQuery, location="query", arg_name="query")
@bp.output(AttachmentPage)
@bp.doc(tags=["Attachments"], responses={404: "No such ticket (or not yours)"})
def list_attachments(ticket_id: int, query: ConversationQuery):
    """The ticket's files you may see, oldest first, a page at a time (files on internal
    notes for staff only)."""
    files = attachment_manager().get_attachments(
        current_user(), ticket_id, limit=query.limit + 1, after_id=query.cursor or 0
    )
    return id_page(files, query.limit)


@bp.get("/attachments/<int:attachment_id>/content")
@bp.auth_required(auth)
@bp.doc(
    tags=["Attachments"],
    description="The file's bytes. Always a download, except PNG, JPEG, GIF and WebP "
    "(recognised from the bytes) which may show inline; never rendered as HTML or SVG.",
    responses={200: "The file", 404: "No such file (or not yours)"},
)
def download_attachment(attachment_id: int):
    """Download a file, after the same access check as its ticket."""
    manager = attachment_manager()
    return send_attachment(manager, manager.get_attachment(current_user(), attachment_id))


@bp.get("/attachments/<int:attachment_id>/preview")
@bp.auth_required(auth)
@bp.doc(
    tags=["Attachments"],
    description="For an image (PNG, JPEG, GIF or WebP): a WebP of at most 640 x 480 "
    "pixels, turned upright and without metadata, when the image is larger (and still); "
    "else the image itself. Revalidate with `If-None-Match`.",
    responses={200: "The picture", 404: "No such image (or not yours)"},
)
def attachment_preview(attachment_id: int):
    """A picture of an attached image for showing in place."""
    manager = attachment_manager()
    return send_preview(manager, manager.get_image(current_user(), attachment_id))


@bp.delete("/attachments/<int:attachment_id>")
@bp.auth_required(auth)
@bp.output(EmptySchema, status_code=204)
@bp.doc(
    tags=["Attachments"],
    description="Staff only. The ticket's history records who removed which file.",
    responses={403: "Customers cannot remove files", 404: "No such file (or not yours)"},
)
def remove_attachment(attachment_id: int):
    """Remove a file from its ticket, for everyone."""
    attachment_manager().remove_attachment(current_user(), attachment_id)
    return ""
