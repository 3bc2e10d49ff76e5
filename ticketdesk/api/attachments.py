"""API: files on tickets. Uploads are multipart/form-data; downloads never render in our origin.

These routes live on their own blueprint (same /api/v1 prefix and bearer tokens)
because the main API blueprint accepts JSON bodies only.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from apiflask import APIBlueprint
from flask import current_app, request, send_file
from pydantic import BaseModel, ConfigDict

from ticketdesk.api.blueprint import auth, current_user
from ticketdesk.api.problems import domain_problem, problem
from ticketdesk.services.attachments import OCTET_STREAM, TooLarge, Upload, attachment_manager
from ticketdesk.services.errors import ValidationFailed

bp = APIBlueprint("attachments", __name__, url_prefix="/api/v1")
# Room for the multipart framing and the small form fields around the files.
MULTIPART_OVERHEAD = 64 * 1024
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


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


@bp.before_request
def _refuse_oversized_bodies():
    """413 from the Content-Length alone, before any byte of the body is read."""
    if request.method != "POST":
        return None
    config = current_app.config
    limit = (
        int(config["ATTACHMENT_MAX_FILE_SIZE"]) * int(config["ATTACHMENT_MAX_FILES"])
        + MULTIPART_OVERHEAD
    )
    # Also caps bodies without a length (chunked): reading past it raises 413.
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        return problem(413, "The upload is larger than the attachment limits allow.")
    if request.mimetype != "multipart/form-data":
        return problem(415, "Send files as multipart/form-data.")
    return None


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
    comment_id = request.form.get("comment_id")
    if comment_id is not None and (not comment_id.isdigit() or len(comment_id) > 15):
        raise ValidationFailed.field("comment_id", "Must be a comment id.")
    uploads = [Upload(item.filename or "", item.stream) for item in request.files.getlist("file")]
    try:
        return attachment_manager().add_attachments(
            current_user(),
            ticket_id,
            uploads,
            comment_id=int(comment_id) if comment_id is not None else None,
        ), 201
    except TooLarge as error:
        response = domain_problem(error)
        response.status_code = 413
        return response


@bp.get("/tickets/<int:ticket_id>/attachments")
@bp.auth_required(auth)
@bp.output(list[AttachmentOut])
@bp.doc(tags=["Attachments"], responses={404: "No such ticket (or not yours)"})
def list_attachments(ticket_id: int):
    """The ticket's files you may see (files on internal notes for staff only)."""
    return attachment_manager().get_attachments(current_user(), ticket_id)


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
    attachment = manager.get_attachment(current_user(), attachment_id)
    inline = attachment.content_type in INLINE_TYPES
    response = send_file(
        manager.open(attachment),
        mimetype=attachment.content_type if inline else OCTET_STREAM,
        max_age=0,
        etag=attachment.sha256,
        conditional=True,
    )
    response.headers["Content-Disposition"] = content_disposition(
        attachment.filename, inline=inline
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def content_disposition(filename: str, *, inline: bool) -> str:
    """RFC 6266: an ASCII fallback `filename` and the exact name as UTF-8 `filename*`."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\%' else "_" for c in filename
    )
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
