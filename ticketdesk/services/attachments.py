"""AttachmentManager: files on tickets and comments, with the ticket's access rules.

Bytes are written to storage under a generated key first, then the row is
committed; if the commit fails the file is deleted again. A crash between the
two leaves only a file no row points at, which `cleanup` removes: there is
never a row without its file. Removing a file goes the other way round, for the
same reason: the row first, then the bytes.
"""

from __future__ import annotations

import hashlib
import io
import logging
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from typing import BinaryIO

from sqlalchemy import event, func, or_, select, update
from sqlalchemy.orm import Session

from ticketdesk.models import Attachment, Comment, EventKind, User, utcnow
from ticketdesk.models.attachments import FILENAME_MAX
from ticketdesk.services.errors import NotFound, PermissionDenied, TooLarge, ValidationFailed
from ticketdesk.services.file_links import FileLinks
from ticketdesk.services.previews import make_preview
from ticketdesk.services.search_index import index_ticket
from ticketdesk.services.tickets import TicketManager
from ticketdesk.services.transactions import begin_write
from ticketdesk.sizes import readable_size
from ticketdesk.storage import CHUNK, FileMissing, Storage, StorageUnavailable, new_key

log = logging.getLogger(__name__)

# Raster formats browsers decode without running anything; by their magic bytes.
SAFE_IMAGES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
# Those, and WebP (see sniff_content_type): what may show inline, and have a preview.
IMAGES = frozenset({*(content_type for _, content_type in SAFE_IMAGES), "image/webp"})
OCTET_STREAM = "application/octet-stream"


# Room for the multipart framing and the small form fields around the files.
MULTIPART_OVERHEAD = 64 * 1024


@dataclass(frozen=True)
class AttachmentLimits:
    max_file_size: int = 25 * 1024 * 1024
    max_files: int = 10
    max_ticket_total: int = 100 * 1024 * 1024

    @property
    def body_limit(self) -> int:
        """The largest request body an upload within these limits can need."""
        return self.max_file_size * self.max_files + MULTIPART_OVERHEAD


@dataclass(frozen=True)
class Upload:
    """A file as received: the client's filename (metadata only) and a byte stream."""

    filename: str
    stream: BinaryIO


@dataclass
class StoredFiles:
    """Files already in storage, waiting to be recorded with the change they belong to."""

    items: list[Attachment]
    storage: Storage
    limits: AttachmentLimits
    # Set when the transaction that recorded them commits: from then on rows point here.
    recorded: bool = False

    def attach(
        self, session: Session, *, ticket_id: int, comment_id: int | None, actor: User
    ) -> None:
        """Record the files inside the caller's write transaction, within the ticket's total."""
        if not self.items:
            return
        used = session.scalar(
            select(func.coalesce(func.sum(Attachment.size), 0)).where(
                Attachment.ticket_id == ticket_id
            )
        )
        if used + sum(item.size for item in self.items) > self.limits.max_ticket_total:
            total = readable_size(self.limits.max_ticket_total)
            raise TooLarge.field("file", f"A ticket's files may come to at most {total} in all.")
        for item in self.items:
            item.ticket_id, item.comment_id, item.uploader_id = ticket_id, comment_id, actor.id
            session.add(item)
        event.listen(session, "after_commit", self._recorded, once=True)

    def _recorded(self, _session: Session) -> None:
        self.recorded = True

    def discard(self) -> None:
        """Delete the stored bytes, unless a committed row points at them."""
        if self.recorded:
            return
        for item in self.items:
            for key in stored_keys(item):
                self.storage.delete(key)


def stored_keys(attachment: Attachment) -> list[str]:
    """The keys under which a file's bytes are stored: its own, and its preview's."""
    return [key for key in (attachment.storage_key, attachment.preview_key) if key]


class AttachmentManager:
    """Attach, list, fetch and clean up files, as a given user is allowed to."""

    def __init__(self, session: Session, storage: Storage, limits: AttachmentLimits) -> None:
        self.session = session
        self.storage = storage
        self.limits = limits
        self.tickets = TicketManager(session)

    def add_attachments(
        self, actor: User, ticket_id: int, uploads: list[Upload], *, comment_id: int | None = None
    ) -> list[Attachment]:
        """Store the files on a ticket the actor may see (or on their own comment on it)."""
        if not uploads:
            raise ValidationFailed.field("file", "Attach at least one file.")
        ticket = self.tickets.get_ticket(actor, ticket_id)
        if comment_id is not None:
            self._own_comment(actor, ticket.id, comment_id)
        with self.store(uploads) as files:
            begin_write(self.session)
            ticket = self.tickets.get_ticket(actor, ticket_id)
            files.attach(self.session, ticket_id=ticket.id, comment_id=comment_id, actor=actor)
            index_ticket(self.session, ticket.id)
            self.session.commit()
        return files.items

    @contextmanager
    def store(self, uploads: list[Upload]) -> Iterator[StoredFiles]:
        """Put the files in storage for a change made inside the `with` block.

        The change records them with `StoredFiles.attach` in its own transaction. If
        anything in the block fails, or the block ends without the change having
        recorded them (a retried request answered with what the first one made), the
        stored bytes are deleted again.
        """
        if len(uploads) > self.limits.max_files:
            raise TooLarge.field("file", f"At most {self.limits.max_files} files at once.")
        files = StoredFiles([], self.storage, self.limits)
        try:
            for upload in uploads:
                files.items.append(self._store(upload))
            yield files
        except BaseException:
            # The failed change never commits these rows; make sure nothing later can.
            for item in files.items:
                if item in self.session:
                    self.session.expunge(item)
            files.discard()
            raise
        files.discard()

    def get_attachments(
        self, actor: User, ticket_id: int, *, limit: int, after_id: int = 0
    ) -> list[Attachment]:
        """`limit` of the ticket's files the actor may see after `after_id`, oldest first."""
        query = self._visible_files(actor, ticket_id).where(Attachment.id > after_id)
        return list(self.session.scalars(query.order_by(Attachment.id).limit(limit)))

    def get_attachments_on(
        self, actor: User, ticket_id: int, comment_ids: Iterable[int]
    ) -> list[Attachment]:
        """The files the actor may see on the ticket's description and on these replies
        (those a page shows), oldest first."""
        on = or_(Attachment.comment_id.is_(None), Attachment.comment_id.in_(list(comment_ids)))
        query = self._visible_files(actor, ticket_id).where(on)
        return list(self.session.scalars(query.order_by(Attachment.id)))

    def _visible_files(self, actor: User, ticket_id: int):
        """The ticket's files the actor may see: files on internal notes for staff only."""
        ticket = self.tickets.visible_ticket(actor, ticket_id)
        query = select(Attachment).where(Attachment.ticket_id == ticket.id)
        if not actor.is_staff:
            query = query.outerjoin(Comment, Attachment.comment_id == Comment.id).where(
                Comment.internal.is_not(True)
            )
        return query

    def get_attachment(self, actor: User, attachment_id: int) -> Attachment:
        """One file, after the same check as its ticket; internal notes' files for staff only."""
        attachment = self.session.get(Attachment, attachment_id)
        missing = NotFound(f"Attachment {attachment_id} was not found.")
        if attachment is None:
            raise missing
        try:
            self.tickets.visible_ticket(actor, attachment.ticket_id)
        except NotFound:
            raise missing from None
        if attachment.comment is not None and attachment.comment.internal and not actor.is_staff:
            raise missing
        return attachment

    def get_image(self, actor: User, attachment_id: int) -> Attachment:
        """As `get_attachment`, for a file that is an image (one a page may show)."""
        attachment = self.get_attachment(actor, attachment_id)
        if attachment.content_type not in IMAGES:
            raise NotFound(f"Attachment {attachment_id} is not an image.")
        return attachment

    def get_linked_attachment(self, links: FileLinks, token: str, attachment_id: int) -> Attachment:
        """A file opened from a notification's link, as the user the link was made for
        (see `services.file_links`): the same check as `get_attachment`, as them."""
        user = links.reader(self.session, token, attachment_id)
        if user is None:
            raise NotFound("This link to a file is not valid or has expired: sign in to get it.")
        return self.get_attachment(user, attachment_id)

    def open(self, attachment: Attachment) -> BinaryIO:
        return self.storage.open(attachment.storage_key)

    def open_preview(self, attachment: Attachment) -> BinaryIO:
        """The preview's bytes: call only for a file that has one."""
        assert attachment.preview_key is not None
        return self.storage.open(attachment.preview_key)

    def attachment_to_remove(self, actor: User, attachment_id: int) -> Attachment:
        """The file, if the actor may remove it: staff, on a ticket they may see."""
        attachment = self.get_attachment(actor, attachment_id)
        if not actor.is_staff:
            raise PermissionDenied("Only staff can remove files.")
        return attachment

    def remove_attachment(self, actor: User, attachment_id: int) -> Attachment:
        """Take a file off its ticket for everyone (staff only): a password in a
        screenshot, a file sent to the wrong ticket.

        The row goes, with a history entry naming the file, in one transaction; the
        bytes after it commits. Should deleting them fail, no row points at them any
        more, and `cleanup` removes them as it removes any orphan.
        """
        self.attachment_to_remove(actor, attachment_id)
        begin_write(self.session)
        attachment = self.get_attachment(actor, attachment_id)
        ticket = self.tickets.visible_ticket(actor, attachment.ticket_id)
        self.session.delete(attachment)
        self.tickets.record(ticket, actor, EventKind.FILE_REMOVED, attachment.filename, None)
        index_ticket(self.session, ticket.id)
        self.session.commit()
        try:
            for key in stored_keys(attachment):
                self.storage.delete(key)
        except (StorageUnavailable, OSError) as error:
            log.warning("Removed file %s kept in storage until cleanup: %s", attachment.id, error)
        return attachment

    def remove_orphans(self, *, older_than: timedelta) -> int:
        """Delete stored files no row points at, written before `older_than` ago."""
        cutoff: datetime = utcnow() - older_than
        candidates = (key for key, written in self.storage.list() if written < cutoff)
        removed = 0
        # A batch at a time as the store lists them: a million keys held at once came to
        # some 200 MB.
        for batch in _chunks(candidates, 500):
            named = or_(Attachment.storage_key.in_(batch), Attachment.preview_key.in_(batch))
            rows = self.session.execute(
                select(Attachment.storage_key, Attachment.preview_key).where(named)
            )
            known = {key for row in rows for key in row}
            for key in batch:
                if key not in known:
                    self.storage.delete(key)
                    removed += 1
        return removed

    def _store(self, upload: Upload) -> Attachment:
        """Copy the stream to storage, measuring, hashing and sniffing it on the way."""
        key = new_key()
        meter = _Meter(upload.stream, self.limits.max_file_size)
        self.storage.save(key, meter)
        content_type = sniff_content_type(meter.head)
        return Attachment(
            filename=clean_filename(upload.filename),
            content_type=content_type,
            size=meter.size,
            sha256=meter.digest.hexdigest(),
            storage_key=key,
            preview_key=self._store_preview(upload.stream) if content_type in IMAGES else None,
            created_at=utcnow(),
        )

    def add_missing_previews(self, *, batch: int = 100) -> tuple[int, int]:
        """Previews for the images stored before previews were made (migration 0021), a
        batch at a time: (images read, previews made). Small images need none and are read
        again on the next run."""
        read = made = after = 0
        while images := self._images_without_preview(after, batch):
            after = images[-1].id
            for image_id, storage_key in images:
                read += 1
                try:
                    with closing(self.storage.open(storage_key)) as stored:
                        key = self._store_preview(io.BytesIO(stored.read()))
                except FileMissing:
                    continue
                if key is None:
                    continue
                begin_write(self.session)
                set_preview = (
                    update(Attachment)
                    .where(Attachment.id == image_id, Attachment.preview_key.is_(None))
                    .values(preview_key=key)
                )
                if self.session.execute(set_preview).rowcount:
                    made += 1
                    self.session.commit()
                else:  # removed, or given one by another run, meanwhile
                    self.session.rollback()
                    self.storage.delete(key)
        return read, made

    def _images_without_preview(self, after: int, limit: int) -> list:
        """(id, storage key) of up to `limit` images after `after` that have no preview."""
        query = (
            select(Attachment.id, Attachment.storage_key)
            .where(Attachment.id > after, Attachment.preview_key.is_(None))
            .where(Attachment.content_type.in_(sorted(IMAGES)))
            .order_by(Attachment.id)
            .limit(limit)
        )
        images = self.session.execute(query).all()
        self.session.commit()  # no transaction held while the files are read
        return images

    def _store_preview(self, stream: BinaryIO) -> str | None:
        """Store a preview of the image just read from `stream`, if it wants one; its key.

        Every upload's stream goes back to its start (a form's file is spooled, a mail's
        part is in memory); one that could not would have its image shown whole.
        """
        if not stream.seekable():
            return None
        stream.seek(0)
        preview = make_preview(stream)
        if preview is None:
            return None
        preview_key = new_key()
        self.storage.save(preview_key, io.BytesIO(preview))
        return preview_key

    def _own_comment(self, actor: User, ticket_id: int, comment_id: int) -> None:
        comment = self.session.get(Comment, comment_id)
        if comment is None or comment.ticket_id != ticket_id or comment.author_id != actor.id:
            raise ValidationFailed.field("comment_id", "Not one of your comments on this ticket.")


class _Meter:
    """A read-through stream that counts, hashes, keeps the first bytes, and enforces a cap."""

    def __init__(self, stream: BinaryIO, limit: int) -> None:
        self.stream, self.limit = stream, limit
        self.size, self.head, self.digest = 0, b"", hashlib.sha256()

    def read(self, size: int = CHUNK) -> bytes:
        chunk = self.stream.read(size if size and size > 0 else CHUNK)
        self.size += len(chunk)
        if self.size > self.limit:
            raise TooLarge.field("file", f"Each file may be at most {readable_size(self.limit)}.")
        if len(self.head) < 16:
            self.head += chunk[: 16 - len(self.head)]
        self.digest.update(chunk)
        return chunk


def sniff_content_type(head: bytes) -> str:
    """A safe raster image type recognised from the first bytes, or octet-stream."""
    for magic, content_type in SAFE_IMAGES:
        if head.startswith(magic):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return OCTET_STREAM


def clean_filename(name: str | None) -> str:
    """The uploader's filename as safe metadata: NFKC, no controls or paths, bounded."""
    name = unicodedata.normalize("NFKC", name or "")
    name = "".join(char for char in name if unicodedata.category(char) not in ("Cc", "Cf", "Cs"))
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip().lstrip(".").strip()
    return name[:FILENAME_MAX] or "attachment"


def _chunks(items: Iterable[str], size: int) -> Iterator[list[str]]:
    items = iter(items)
    while batch := list(islice(items, size)):
        yield batch


def attachment_manager() -> AttachmentManager:
    """An AttachmentManager for the current app's session, storage and limits."""
    from flask import current_app

    from ticketdesk.extensions import db
    from ticketdesk.storage import storage_for

    limits = attachment_limits(current_app.config)
    return AttachmentManager(db.session(), storage_for(current_app), limits)


def attachment_limits(config) -> AttachmentLimits:
    """The attachment limits held in an app's config."""
    return AttachmentLimits(
        max_file_size=int(config["ATTACHMENT_MAX_FILE_SIZE"]),
        max_files=int(config["ATTACHMENT_MAX_FILES"]),
        max_ticket_total=int(config["ATTACHMENT_MAX_TICKET_TOTAL"]),
    )
