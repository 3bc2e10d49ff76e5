"""Links to a ticket's file that work without signing in, made for one notification's reader.

A customer who only writes by email has no password, yet an agent's reply may come with
a file. So a notification links the files of the message it is about, each link naming
the file, the person it was sent to and (as a keyed digest) the address it was sent to,
signed with the secret key (itsdangerous) and good for a configured number of days.
Opening one runs the same access check as the ticket page, as that person: a deactivated
account, a file they may not see, or an account whose address has changed since (an
admin corrected it: the mail may have gone to someone else's mailbox) gets nothing. Like
any link in a mail, it works for whoever the mail is forwarded to until it expires;
changing the secret key ends every link at once.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketdesk.models import SecurityEvent, SecurityEventKind, User

_SALT = "ticketdesk.file-link"


@dataclass(frozen=True)
class FileLinks:
    secret_key: str
    lifetime: timedelta = timedelta(days=30)

    def token(self, attachment_id: int, user_id: int, address: str) -> str:
        """The signed part of a link to this file for this user, mailed to this address."""
        return self._serializer().dumps([attachment_id, user_id, self._digest(address)])

    def reader(self, session: Session, token: str, attachment_id: int) -> User | None:
        """The active user a genuine, unexpired link to this file was made for, while their
        address is still the one it was mailed to."""
        try:
            claim, signed_at = self._serializer().loads(
                token, max_age=int(self.lifetime.total_seconds()), return_timestamp=True
            )
            named, user_id, *digest = claim
        except (BadSignature, TypeError, ValueError):
            return None
        if named != attachment_id or not isinstance(user_id, int):
            return None
        user = session.get(User, user_id)
        if user is None or not user.active:
            return None
        if not digest:  # made before links named their address: see _changed_address_since
            return None if _changed_address_since(session, user, signed_at) else user
        return user if digest == [self._digest(user.email)] else None

    def _digest(self, address: str) -> str:
        """The address, keyed: tells addresses apart without showing one in a link."""
        message = f"{_SALT}.address:{address}".encode()
        return hmac.new(self.secret_key.encode(), message, hashlib.sha256).hexdigest()[:16]

    def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret_key, salt=_SALT)


def _changed_address_since(session: Session, user: User, moment: datetime) -> bool:
    """Whether the user's address changed at or after `moment`.

    For links mailed before they named their address (until FILE_LINK_DAYS after that
    change, when the last of them expires): they keep working, as their readers may have
    no other way in, unless an admin changed the address since. Every change of address
    is in the security log, written with it.
    """
    changed = select(SecurityEvent.id).where(
        SecurityEvent.subject_id == user.id,
        SecurityEvent.kind == SecurityEventKind.EMAIL_CHANGED,
        SecurityEvent.at >= moment,
    )
    return session.scalar(changed.limit(1)) is not None


def file_links(config) -> FileLinks:
    """The file links of an app's config."""
    return FileLinks(config["SECRET_KEY"], timedelta(days=int(config["FILE_LINK_DAYS"])))
