"""How a stored file (or a kept message) goes out, to the API and the web UI alike: never
rendered in our origin.

Always a download, except PNG, JPEG, GIF and WebP (recognised from their bytes
when stored) which may show inline; `nosniff` and a sandboxing CSP make sure
the browser never treats the bytes as a page or a script.
"""

from __future__ import annotations

import hashlib
import io
from urllib.parse import quote

from flask import Response, send_file

from ticketdesk.models import Attachment
from ticketdesk.services.attachments import IMAGES, OCTET_STREAM, AttachmentManager
from ticketdesk.services.previews import PREVIEW_TYPE


def shows_inline(attachment: Attachment) -> bool:
    """Whether a browser may show the file in place: a raster image, known by its bytes."""
    return attachment.content_type in IMAGES


def send_attachment(manager: AttachmentManager, attachment: Attachment) -> Response:
    """The file's bytes with the headers that keep them inert."""
    inline = shows_inline(attachment)
    mimetype = attachment.content_type if inline else OCTET_STREAM
    stream = manager.open(attachment)
    return _inert(stream, mimetype, attachment.sha256, attachment.filename, inline=inline)


def send_preview(manager: AttachmentManager, attachment: Attachment) -> Response:
    """A picture for the file's place on a page: its preview, or the image itself when it
    has none (it is small, it moves, or it was stored before previews were made)."""
    if attachment.preview_key is None:
        return send_attachment(manager, attachment)
    stream = manager.open_preview(attachment)
    name = f"{attachment.filename.rsplit('.', 1)[0]} (preview).webp"
    # The preview's key is as unique as its bytes, which never change.
    return _inert(stream, PREVIEW_TYPE, attachment.preview_key, name, inline=True)


def send_raw_mail(raw: bytes, filename: str) -> Response:
    """A received message, whole, as a `.eml` download: hostile input, never shown."""
    etag = hashlib.sha256(raw).hexdigest()
    return _inert(io.BytesIO(raw), "message/rfc822", etag, filename, inline=False)


def _inert(stream, mimetype: str, etag: str, filename: str, *, inline: bool) -> Response:
    """Bytes sent so that a browser never takes them for a page or a script, revalidated
    (ETag) before each use from its cache."""
    response = send_file(stream, mimetype=mimetype, max_age=0, etag=etag, conditional=True)
    response.headers["Content-Disposition"] = content_disposition(filename, inline=inline)
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
