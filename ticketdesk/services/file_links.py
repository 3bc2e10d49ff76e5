"""Links to a ticket's file that work without signing in, made for one notification's reader.

A customer who only writes by email has no password, yet an agent's reply may come with
a file. So a notification links the files of the message it is about, each link naming
the file and the person it was sent to, signed with the secret key (itsdangerous) and
good for a configured number of days. Opening one runs the same access check as the
ticket page, as that person: a deactivated account, or a file they may not see, gets
nothing. Like any link in a mail, it works for whoever the mail is forwarded to until
it expires; changing the secret key ends every link at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer

_SALT = "ticketdesk.file-link"


@dataclass(frozen=True)
class FileLinks:
    secret_key: str
    lifetime: timedelta = timedelta(days=30)

    def token(self, attachment_id: int, user_id: int) -> str:
        """The signed part of a link to this file for this user."""
        return self._serializer().dumps([attachment_id, user_id])

    def holder(self, token: str, attachment_id: int) -> int | None:
        """The id of the user a genuine, unexpired link to this file was made for."""
        try:
            named, user_id = self._serializer().loads(
                token, max_age=int(self.lifetime.total_seconds())
            )
        except (BadSignature, TypeError, ValueError):
            return None
        if named != attachment_id or not isinstance(user_id, int):
            return None
        return user_id

    def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret_key, salt=_SALT)


def file_links(config) -> FileLinks:
    """The file links of an app's config."""
    return FileLinks(config["SECRET_KEY"], timedelta(days=int(config["FILE_LINK_DAYS"])))
