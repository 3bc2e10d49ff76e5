"""How a stored file goes out, to the API and the web UI alike: never rendered in our origin.

Always a download, except PNG, JPEG, GIF and WebP (recognised from their bytes
when stored) which may show inline; `nosniff` and a sandboxing CSP make sure
the browser never treats the bytes as a page or a script.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, send_file

from ticketdesk.models import Attachment
from ticketdesk.services.attachments import OCTET_STREAM, AttachmentManager

INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def shows_inline(attachment: Attachment) -> bool:
    """Whether a browser may show the file in place: a raster image, known by its bytes."""
    return attachment.content_type in INLINE_TYPES


def send_attachment(manager: AttachmentManager, attachment: Attachment) -> Response:
    """The file's bytes with the headers that keep them inert."""
    inline = shows_inline(attachment)
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
