"""Files sent to the API: the body's limit, and the files as the services take them.

Files come as multipart/form-data `file` parts: on their own
(`POST /tickets/{id}/attachments`), or with the fields of a new ticket or reply,
which are then made with their files in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Response, current_app, request

from ticketdesk.api.problems import problem
from ticketdesk.services.attachments import (
    StoredFiles,
    Upload,
    attachment_limits,
    attachment_manager,
)
from ticketdesk.services.errors import ValidationFailed

MULTIPART = "multipart/form-data"
FILE_PART = "file"


def refuse_oversized_upload() -> Response | None:
    """413 from the Content-Length alone, before any byte of the body is read.

    Otherwise lets this request's body be as large as the attachment limits, and no
    larger: a body without a length (chunked) gets 413 once reading passes it.
    """
    limit = attachment_limits(current_app.config).body_limit
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        return problem(413, "The upload is larger than the attachment limits allow.")
    return None


def sent_files() -> list[Upload]:
    """The request's `file` parts (none for a JSON body).

    A file under any other name is refused rather than left behind: the client meant to
    send it, and a ticket made without it would say nothing of the loss.
    """
    if request.mimetype != MULTIPART:
        return []
    if misnamed := sorted(set(request.files) - {FILE_PART}):
        raise ValidationFailed(
            {name: [f"Send each file as a `{FILE_PART}` part."] for name in misnamed}
        )
    return [Upload(item.filename or "", item.stream) for item in request.files.getlist(FILE_PART)]


@contextmanager
def stored(uploads: list[Upload]) -> Iterator[StoredFiles | None]:
    """The files in storage for the change made inside the block (None when there are
    none); deleted again unless that change records them."""
    if not uploads:
        yield None
        return
    with attachment_manager().store(uploads) as files:
        yield files
