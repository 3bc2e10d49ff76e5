"""Parsing one inbound message into the few facts the intake needs.

Built on the standard library's `email` package with `policy.default`, which
decodes RFC 2047 headers and MIME bodies, taught to read raw UTF-8 headers
(RFC 6532). Everything here is a pure function of the message bytes.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass, field
from email.errors import NonASCIILocalPartDefect
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from email.policy import EmailPolicy
from email.utils import getaddresses
from itertools import islice

from email_validator import EmailNotValidError, validate_email

from ticketdesk.mail.text import html_to_text
from ticketdesk.models.base import EMAIL_MAX
from ticketdesk.models.mail import SUBJECT_MAX

MESSAGE_ID_MAX = 250
HEADER_BLOCK_MAX = 256 * 1024
_MESSAGE_ID = re.compile(r"<([^<>\s]{1,250})>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # C0, DEL, C1
ATTACHMENTS_LISTED = 50
FILENAME_LISTED = 200
_EXTENSION_MAX = 16
# Charset labels that Windows mailers put on Windows-1252 text (codec names).
_READ_AS_WINDOWS_1252 = {"iso8859-1", "ascii"}
# The charset of an RFC 2047 encoded word (=?iso-8859-1?q?…?=) and of an RFC 2231
# parameter (filename*=iso-8859-1''…).
_ENCODED_WORD_CHARSET = re.compile(r"(=\?)([^?*\s]+)(?=(\*[^?\s]*)?\?[bBqQ]\?[^?\s]*\?=)")
_PARAMETER_CHARSET = re.compile(r"(\*\s*=\s*\"?)([^'\"\s;]+)(?='[^'\"\s;]*')")
# Signatures of signed mail: bytes that only a signature checker can use, which we are not.
SIGNATURE_TYPES = {
    "application/pkcs7-signature",
    "application/x-pkcs7-signature",
    "application/pgp-signature",
}


class _MailPolicy(EmailPolicy):
    """`policy.default`, reading raw 8-bit header bytes as UTF-8 (RFC 6532, SMTPUTF8), and
    ISO-8859-1 and US-ASCII labels in encoded words and parameters as Windows-1252."""

    def header_fetch_parse(self, name, value):
        """The header as `policy.default` reads it, after decoding raw UTF-8 bytes."""
        if isinstance(value, str):
            value = _windows_1252_labels(_utf8_header(value))
        return super().header_fetch_parse(name, value)


_POLICY = _MailPolicy()


def _utf8_header(value: str) -> str:
    """The parser holds raw header bytes as surrogates; read them as UTF-8 when they are."""
    try:
        value.encode("utf-8")
        return value  # no raw bytes
    except UnicodeEncodeError:
        pass
    try:
        return value.encode("utf-8", "surrogateescape").decode("utf-8")
    except UnicodeDecodeError:
        return value  # not UTF-8 either: left for the parser to flag


def _windows_1252_labels(value: str) -> str:
    """Relabel what Windows mailers call ISO-8859-1 while writing Windows-1252 (€ ’ “ ” –),
    as browsers do (WHATWG Encoding): else those bytes are read as C1 control characters."""

    def relabel(match: re.Match) -> str:
        label = match.group(2)
        windows = _codec_name(label) in _READ_AS_WINDOWS_1252
        return match.group(1) + ("windows-1252" if windows else label)

    value = _ENCODED_WORD_CHARSET.sub(relabel, value)
    return _PARAMETER_CHARSET.sub(relabel, value)


def _codec_name(label: str | None) -> str | None:
    """Python's name for a charset label, or None when it names none."""
    try:
        return codecs.lookup(label).name if label else None
    except LookupError:
        return None


class UnparseableMail(Exception):
    """The message is too broken to read; it goes to the failed-mail store."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int
    payload: bytes = field(default=b"", repr=False)

    def describe(self) -> dict:
        """What the mail log keeps of it: never the bytes."""
        return {"filename": self.filename, "content_type": self.content_type, "size": self.size}


@dataclass(frozen=True)
class ParsedMail:
    message_key: str  # the Message-ID, or "sha256:<hex>" of the content
    message_id: str | None
    sender: str | None  # one validated, lower-cased addr-spec; None when not acceptable
    sender_name: str
    sender_problem: str | None  # why `sender` is None
    subject: str
    recipients: tuple[str, ...]
    references: tuple[str, ...]  # In-Reply-To first, then References newest first
    body: str  # the whole text; the intake trims a reply (mail.text.trim_reply)
    attachments: tuple[Attachment, ...] = field(default=())


def parse_mail(raw: bytes, *, envelope_recipients=()) -> ParsedMail:
    """Read one message; raises UnparseableMail when there is nothing sensible to read."""
    try:
        message = BytesParser(policy=_POLICY).parsebytes(raw)
    except Exception as error:  # the parser is lenient; anything it raises is a broken message
        raise UnparseableMail(f"cannot parse message: {type(error).__name__}") from None
    if not message.keys():
        raise UnparseableMail("no headers")
    try:
        subject = _header(message, "Subject")
        sender, sender_name, problem = _sender(message)
        message_id = _message_id(_header(message, "Message-ID"))
        body, attachments = _body(message)
    except UnparseableMail:
        raise
    except Exception as error:
        raise UnparseableMail(f"cannot read message: {type(error).__name__}") from None
    return ParsedMail(
        message_key=message_id or _content_key(message, body, attachments),
        message_id=message_id,
        sender=sender,
        sender_name=clean_text(sender_name),
        sender_problem=problem,
        subject=clean_text(" ".join(subject.split())),
        recipients=_recipients(message, envelope_recipients),
        references=_references(message),
        body=clean_text(body),
        attachments=tuple(attachments),
    )


def header_summary(raw: bytes) -> tuple[str | None, str | None]:
    """The From address and subject of a message that may be broken, or None for each
    that cannot be read: only its header block is parsed, however large the message."""
    end = min((i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0), default=None)
    try:
        message = BytesHeaderParser(policy=_POLICY).parsebytes(raw[:end][:HEADER_BLOCK_MAX])
        address = getaddresses([_header(message, "From")])
        subject = clean_text(" ".join(_header(message, "Subject").split()))
    except Exception:  # a broken message is why it is kept: its headers may be too
        return None, None
    sender = clean_text(address[0][1]).lower() if len(address) == 1 else ""
    return sender[:EMAIL_MAX] or None, subject[:SUBJECT_MAX] or None


def clean_text(text: str) -> str:
    """Text safe to store: no NUL or other control characters, no lone surrogates."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return _CONTROL.sub("", text)


def _header(message: EmailMessage, name: str) -> str:
    value = message.get(name)
    return "" if value is None else str(value)


def _sender(message: EmailMessage) -> tuple[str | None, str, str | None]:
    """Exactly one From with exactly one address, read the same by two parsers, or a reason."""
    headers = message.get_all("From") or []
    if len(headers) != 1:
        return None, "", f"expected one From header, found {len(headers)}"
    header = headers[0]
    addresses = getattr(header, "addresses", ())
    # RFC 6532 allows a non-ASCII local part; any other defect makes the address unclear.
    defects = [
        d for d in getattr(header, "defects", ()) if not isinstance(d, NonASCIILocalPartDefect)
    ]
    if len(addresses) != 1 or defects:
        return None, "", "From must hold exactly one well-formed address"
    address = addresses[0]
    # A second, independent reading must agree: ambiguous headers read differently.
    legacy = getaddresses([str(header)])
    if len(legacy) != 1 or legacy[0][1].lower() != address.addr_spec.lower():
        return None, "", "From is ambiguous"
    try:
        checked = validate_email(address.addr_spec, check_deliverability=False)
    except EmailNotValidError as error:
        return None, "", f"From address is not valid: {error}"
    return checked.normalized.lower(), address.display_name or "", None


def _message_id(value: str) -> str | None:
    match = _MESSAGE_ID.search(value)
    return match.group(1) if match else None


def _references(message: EmailMessage) -> tuple[str, ...]:
    found: list[str] = []
    for name in ("In-Reply-To", "References"):
        ids = _MESSAGE_ID.findall(_header(message, name))
        found.extend(reversed(ids) if name == "References" else ids)
    return tuple(dict.fromkeys(found))[:50]


def _recipients(message: EmailMessage, envelope_recipients) -> tuple[str, ...]:
    values = [
        str(value)
        for name in ("Delivered-To", "X-Original-To", "To", "Cc")
        for value in message.get_all(name) or []
    ]
    addresses = [address for _, address in getaddresses(values) if "@" in address]
    addresses = list(envelope_recipients) + addresses
    return tuple(dict.fromkeys(address.lower() for address in addresses))


def _body(message: EmailMessage) -> tuple[str, list[Attachment]]:
    part, text = _body_text(message)
    files = (p for p in _attached_parts(message) if p is not part)
    attachments = [_describe(p) for p in islice(files, ATTACHMENTS_LISTED)]
    return text, attachments


def _body_text(message: EmailMessage) -> tuple[EmailMessage | None, str]:
    """The part read as the body, and its text: the plain text, or the HTML when the
    plain part is blank (web forms and some phones send an empty one)."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None and message.get_content_maintype() == "text":
        part = message  # a single text part sent as an attachment: still its text
    if part is None:
        return None, ""
    text = _decoded(part)
    if part.get_content_type() == "text/plain" and not text.strip():
        html = message.get_body(preferencelist=("html",))
        if html is not None:
            part, text = html, _decoded(html)
    if part.get_content_type() == "text/html":
        text = html_to_text(text)
    return part, text


def _attached_parts(part: EmailMessage, *, in_alternative: bool = False):
    """Every file in the MIME tree, however deeply nested (Apple Mail puts them inside
    multipart/alternative), in order; not the body text nor a signature (S/MIME, PGP)."""
    if part.get_content_maintype() != "multipart":
        if part.get_content_type() not in SIGNATURE_TYPES:
            yield part
        return
    if not part.is_multipart():  # a multipart without a boundary: nothing to take apart
        return
    in_alternative = in_alternative or part.get_content_subtype() == "alternative"
    # The stdlib names the non-body parts of this level; below an alternative, every
    # unnamed text part is a rendering of the body (Apple Mail splits the HTML in pieces).
    attached = [id(child) for child in part.iter_attachments()]
    for child in part.iter_parts():
        if child.get_content_maintype() == "multipart":
            yield from _attached_parts(child, in_alternative=in_alternative)
        elif not (_is_body_text(child) and (in_alternative or id(child) not in attached)):
            yield from _attached_parts(child)


def _is_body_text(part: EmailMessage) -> bool:
    return (
        part.get_content_type() in ("text/plain", "text/html")
        and not part.is_attachment()
        and part.get_filename() is None
    )


def _decoded(part: EmailMessage) -> str:
    """The text of a part in its declared charset; undeclared, unknown or wrong ones fall
    back. ISO-8859-1 and US-ASCII are read as Windows-1252, as browsers do, unless the
    bytes are UTF-8 (mislabelled web-form mail)."""
    payload = part.get_payload(decode=True) or b""
    declared = _codec_name(part.get_content_charset())
    tries = ["utf-8"] if declared in (None, *_READ_AS_WINDOWS_1252) else [declared, "utf-8"]
    for codec in tries:
        try:
            return payload.decode(codec)
        except UnicodeDecodeError:
            continue
    return payload.decode("cp1252", errors="replace")


def _describe(part: EmailMessage) -> Attachment:
    if part.get_content_type() == "message/rfc822":
        return _forwarded(part)
    payload = part.get_payload(decode=True) or b""
    name = _filename(part.get_filename() or "unnamed")
    return Attachment(name, part.get_content_type(), len(payload), payload)


def _forwarded(part: EmailMessage) -> Attachment:
    """A mail forwarded as an attachment, kept whole as an .eml file: its part holds the
    message itself, of which `get_payload(decode=True)` gives nothing."""
    inner = part.get_payload()
    message = inner[0] if isinstance(inner, list) and inner else None
    try:
        payload = message.as_bytes() if message is not None else b""
    except Exception:  # a forwarded message too broken to write out is listed, not stored
        payload = b""
    subject = _header(message, "Subject").strip() if message is not None else ""
    name = _filename(part.get_filename() or f"{subject or 'Forwarded message'}.eml")
    return Attachment(name, "message/rfc822", len(payload), payload)


def _filename(filename: str) -> str:
    """A filename on one line, shortened to FILENAME_LISTED keeping its extension."""
    name = clean_text(" ".join(filename.split()))
    if len(name) <= FILENAME_LISTED:
        return name
    stem, dot, extension = name.rpartition(".")
    if not (stem and dot and len(extension) <= _EXTENSION_MAX and " " not in extension):
        return name[:FILENAME_LISTED]
    return f"{stem[: FILENAME_LISTED - len(extension) - 1].rstrip()}.{extension}"


def _content_key(message: EmailMessage, body: str, attachments: list[Attachment]) -> str:
    """A stand-in Message-ID from what stays the same between deliveries of one message:
    its headers, text and files (the same words sent with another file are another
    message). Mail without files keeps the key it had before files counted."""
    digest = hashlib.sha256()
    for name in ("From", "To", "Cc", "Date", "Subject"):
        digest.update(f"{name}:{_header(message, name)}\n".encode("utf-8", "replace"))
    digest.update(body.encode("utf-8", "replace"))
    for attachment in attachments:
        file_digest = hashlib.sha256(attachment.payload).hexdigest()
        digest.update(f"\nfile:{attachment.filename}:{file_digest}".encode("utf-8", "replace"))
    return "sha256:" + digest.hexdigest()
