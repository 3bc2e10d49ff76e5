"""ApiTokens: the bearer tokens of the API, from their making to their revoking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session

from ticketdesk.models import NAME_MAX, ApiToken, SecurityEventKind, User, utcnow
from ticketdesk.services.audit import SecurityLog
from ticketdesk.services.errors import NotFound, ValidationFailed
from ticketdesk.services.secrets import hash_token, new_token_secret
from ticketdesk.services.ticket_fields import refuse_nul
from ticketdesk.services.transactions import begin_write

if TYPE_CHECKING:
    from ticketdesk.services.users import UserManager

# Every API call runs this: built once, so its cache key is computed once too. Only
# the owner becomes an object; the token's own fields are read as plain columns.
_OWNER_OF_TOKEN = (
    select(User, ApiToken.id, ApiToken.revoked, ApiToken.expires_at, ApiToken.last_used_at)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.secret_hash == bindparam("secret_hash"))
)
_TOUCH_TOKEN = (
    update(ApiToken.__table__)
    .where(ApiToken.__table__.c.id == bindparam("token_id"))
    .values(last_used_at=bindparam("now"))
)


@dataclass(frozen=True)
class TokenCaller:
    """Whom an API request comes from: a token's owner, and which of their tokens it is."""

    user: User
    token_id: int


class ApiTokens:
    """Every rule about API tokens: who gets one, whose they are, when they stop working."""

    def __init__(
        self,
        session: Session,
        accounts: UserManager,
        *,
        log: SecurityLog,
        touch_interval: timedelta,
    ) -> None:
        """`accounts` checks the credentials a token is made with; a token's "last used" time
        is written at most once every `touch_interval`."""
        self.session = session
        self.accounts = accounts
        self.log = log
        self.touch_interval = touch_interval

    def create_token(
        self, *, email: str, password: str, name: str | None, expires_in_days: int | None = None
    ) -> tuple[ApiToken, str]:
        """Exchange credentials for a bearer token; the secret is returned only here."""
        user = self.accounts.authenticate(email=email, password=password)
        secret = new_token_secret()
        begin_write(self.session)
        token = ApiToken(
            user_id=user.id,
            name=check_token_name(name),
            secret_hash=hash_token(secret),
            expires_at=utcnow() + timedelta(days=expires_in_days) if expires_in_days else None,
        )
        self.session.add(token)
        self.log.record(
            SecurityEventKind.TOKEN_CREATED, actor=user, subject=user, detail=token.name
        )
        self.session.commit()
        return token, secret

    def revoke_token(self, actor: User, token_id: int) -> None:
        """Revoke one of the actor's own tokens; anyone else's is not found."""
        begin_write(self.session)
        token = self.session.get(ApiToken, token_id)
        if token is None or token.user_id != actor.id:
            raise NotFound("No such token.")
        token.revoked = True
        self.log.record(
            SecurityEventKind.TOKEN_REVOKED, actor=actor, subject=actor, detail=token.name
        )
        self.session.commit()

    def list_tokens(
        self, actor: User, *, limit: int = 50, before_id: int | None = None
    ) -> list[ApiToken]:
        """The actor's own live tokens (neither revoked nor expired), newest first."""
        now = utcnow()
        query = (
            select(ApiToken)
            .where(ApiToken.user_id == actor.id, ApiToken.revoked.is_(False))
            .where(or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now))
            .order_by(ApiToken.id.desc())
            .limit(limit)
        )
        if before_id is not None:
            query = query.where(ApiToken.id < before_id)
        return list(self.session.scalars(query))

    def caller_for_token(self, secret: str) -> TokenCaller | None:
        """The active owner of a live token and the token's id, recording its use now and
        then."""
        found = self.session.execute(_OWNER_OF_TOKEN, {"secret_hash": hash_token(secret)}).first()
        if found is None:
            return None
        owner, token_id, revoked, expires_at, last_used_at = found
        now = utcnow()
        if revoked or not owner.active or (expires_at is not None and expires_at <= now):
            return None
        if last_used_at is None or now - last_used_at > self.touch_interval:
            begin_write(self.session)
            self.session.execute(_TOUCH_TOKEN, {"token_id": token_id, "now": now})
            self.session.commit()
        return TokenCaller(owner, token_id)


def revoke_tokens(
    session: Session,
    user: User,
    *,
    keep_id: int | None = None,
    log: SecurityLog | None = None,
    reason: str = "with the password",
) -> int:
    """Revoke every live API token of a user but `keep_id` (after a password change or
    reset, a change of address, or a deactivation), noting how many and `reason` in the
    `log` if given; returns how many."""
    query = update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))
    if keep_id is not None:
        query = query.where(ApiToken.id != keep_id)
    revoked = session.execute(query.values(revoked=True)).rowcount or 0
    if revoked and log is not None:
        detail = f"{revoked} token(s), {reason}"
        log.record(SecurityEventKind.TOKEN_REVOKED, actor=user, subject=user, detail=detail)
    return revoked


def check_token_name(name: str | None) -> str:
    name = (name or "API token").strip() or "API token"
    if len(name) > NAME_MAX:
        raise ValidationFailed.field("name", f"At most {NAME_MAX} characters.")
    refuse_nul("name", name)
    return name
