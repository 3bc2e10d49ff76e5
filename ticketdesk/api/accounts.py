"""API: registration, tokens, the caller, users and queues."""

from __future__ import annotations

from apiflask import EmptySchema
from flask import url_for

from ticketdesk.api.blueprint import (
    auth,
    bp,
    caller_account_key,
    current_token_id,
    current_user,
)
from ticketdesk.api.paging import id_page
from ticketdesk.api.schemas import (
    Accepted,
    EmailChangeIn,
    EmailConfirmIn,
    MePatch,
    NoticesOut,
    NoticesPatch,
    PasswordChangeIn,
    QueueIn,
    QueueOut,
    QueuePatch,
    RegisterIn,
    ResetConfirmIn,
    ResetRequestIn,
    SecurityEventPage,
    SecurityEventQuery,
    TokenIn,
    TokenOut,
    TokenPage,
    TokenQuery,
    UserIn,
    UserOut,
    UserPage,
    UserPatch,
    UserQuery,
)
from ticketdesk.extensions import limiter
from ticketdesk.security.limits import (
    account_key,
    address_key,
    current_password_limit,
    mail_to_account_limit,
    sign_in_limit,
    sign_up_limit,
)
from ticketdesk.services import (
    api_tokens,
    email_changes,
    notice_choices,
    password_resets,
    queue_manager,
    registrations,
    security_log,
    user_manager,
)

REGISTRATION_SENT = "Check your inbox: we sent a link to set your password."


@bp.post("/auth/register")
@limiter.limit(sign_up_limit, key_func=address_key)
@mail_to_account_limit()
@bp.input(RegisterIn, arg_name="body")
@bp.output(Accepted, status_code=202, description="The same answer for every address")
@bp.doc(tags=["Accounts"], responses={403: "Registration is closed"})
def register(body: RegisterIn):
    """Ask for a customer account: a link to choose its password is mailed.

    The answer is the same whatever the address, and no session or token comes with it.
    A new address gets a customer account with no password and a welcome link, valid
    for `TICKETDESK_WELCOME_LINK_HOURS` (24). An address with an account gets a reset
    link instead, valid for an hour (the welcome link, if the account has no password
    yet), and the account is left as it is; a deactivated account gets nothing. Set the
    password with the link's token at `POST /api/v1/auth/password-reset/confirm` (or on
    the link's page), then create a token.
    """
    registrations().register(name=body.name, email=body.email)
    return {"detail": REGISTRATION_SENT}, 202


@bp.post("/auth/tokens")
@limiter.limit(sign_in_limit, key_func=address_key)
@limiter.limit(sign_in_limit, key_func=account_key)
@bp.input(TokenIn, arg_name="body")
@bp.output(TokenOut, status_code=201)
@bp.doc(tags=["Accounts"], responses={401: "Wrong email or password"})
def create_token(body: TokenIn):
    """Exchange an email and password for a bearer token (its secret is shown once)."""
    token, secret = api_tokens().create_token(
        email=body.email,
        password=body.password,
        name=body.name,
        expires_in_days=body.expires_in_days,
    )
    return {
        "id": token.id,
        "name": token.name,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "expires_at": token.expires_at,
        "token": secret,
    }, 201


@bp.get("/auth/tokens")
@bp.auth_required(auth)
@bp.input(TokenQuery, location="query", arg_name="query")
@bp.output(TokenPage)
@bp.doc(tags=["Accounts"])
def list_tokens(query: TokenQuery):
    """Your own live tokens, newest first: neither revoked nor expired (never a secret)."""
    tokens = api_tokens().list_tokens(current_user(), limit=query.limit + 1, before_id=query.cursor)
    return id_page(tokens, query.limit)


@bp.post("/auth/password-reset")
@limiter.limit(sign_up_limit, key_func=address_key)
@mail_to_account_limit()
@bp.input(ResetRequestIn, arg_name="body")
@bp.output(Accepted, status_code=202)
@bp.doc(tags=["Accounts"])
def request_password_reset(body: ResetRequestIn):
    """Mail a single-use reset link, valid for an hour; the answer is the same for any address."""
    password_resets().request_reset(body.email)
    return {"detail": "If an account has this address, a reset link is on its way."}, 202


@bp.post("/auth/password-reset/confirm")
@limiter.limit(sign_in_limit, key_func=address_key)
@bp.input(ResetConfirmIn, arg_name="body")
@bp.output(EmptySchema, status_code=204)
@bp.doc(tags=["Accounts"])
def confirm_password_reset(body: ResetConfirmIn):
    """Set a password with the token from a mailed link; every session of the account ends,
    and every API token of it is revoked.

    The link is a reset link, or the one mailed on registering. With a first password,
    `name` corrects the name typed when the account was asked for (422 with a reset).
    """
    password_resets().reset_password(body.token, body.new_password, name=body.name)
    return ""


@bp.delete("/auth/tokens/<int:token_id>")
@bp.auth_required(auth)
@bp.output(EmptySchema, status_code=204)
@bp.doc(tags=["Accounts"], responses={404: "Not one of your tokens"})
def revoke_token(token_id: int):
    """Revoke one of your own tokens."""
    api_tokens().revoke_token(current_user(), token_id)
    return ""


@bp.get("/me")
@bp.auth_required(auth)
@bp.output(UserOut)
@bp.doc(tags=["Accounts"])
def get_me():
    """The account the token belongs to."""
    return current_user()


@bp.patch("/me")
@bp.auth_required(auth)
@bp.input(MePatch, arg_name="body")
@bp.output(UserOut)
@bp.doc(tags=["Accounts"])
def update_me(body: MePatch):
    """Change your own name (one line, 1 to 120 characters), as anyone may."""
    if body.name is None:
        return current_user()
    return user_manager().change_own_name(current_user(), body.name)


# Their own resource, not fields of /me: they are staff's alone, and /me answers with
# the account as admins see it in /users (UserOut), which would then differ by role.
@bp.get("/me/notifications")
@bp.auth_required(auth)
@bp.output(NoticesOut)
@bp.doc(tags=["Accounts"], responses={403: "Staff only"})
def get_my_notices():
    """Which notices you are mailed (staff and admins)."""
    return notice_choices().choice_of(current_user())


@bp.patch("/me/notifications")
@bp.auth_required(auth)
@bp.input(NoticesPatch, arg_name="body")
@bp.output(NoticesOut)
@bp.doc(tags=["Accounts"], responses={403: "Staff only", 422: "No such queue, or none chosen"})
def update_my_notices(body: NoticesPatch):
    """Choose which notices you are mailed (staff and admins). A customer is always
    mailed about their own tickets: they have no such choice (403)."""
    return notice_choices().choose(
        current_user(),
        new_tickets=body.new_tickets,
        queue_ids=body.queue_ids,
        assigned_to_me=body.assigned_to_me,
    )


@bp.post("/me/email")
@limiter.limit(sign_in_limit, key_func=address_key)
@current_password_limit(caller_account_key)
@mail_to_account_limit()
@bp.auth_required(auth)
@bp.input(EmailChangeIn, arg_name="body")
@bp.output(Accepted, status_code=202, description="The same answer for every new address")
@bp.doc(
    tags=["Accounts"],
    responses={409: "Your account has no password yet", 422: "Wrong password, or a bad address"},
)
def request_email_change(body: EmailChangeIn):
    """Ask to change your address: a link to confirm it is mailed there.

    Your current password is needed (an account without one yet is refused: 409). A
    notice, without the link, goes to the old address. The address changes only when
    the link's page (or `POST /api/v1/auth/email-change/confirm`) is used, within
    `TICKETDESK_WELCOME_LINK_HOURS` (24); then every web session ends and every token of
    the account is revoked, this one too. A newer request voids the older ones.

    The answer does not say whether the new address has an account: one that has is
    refused to whoever confirms (409), as signing up tells only its mailbox.
    """
    address = email_changes().request_change(
        current_user(), new_email=body.email, current_password=body.current_password
    )
    return {"detail": f"Check {address}: we sent a link there to confirm it."}, 202


@bp.post("/auth/email-change/confirm")
@limiter.limit(sign_in_limit, key_func=address_key)
@bp.input(EmailConfirmIn, arg_name="body")
@bp.output(EmptySchema, status_code=204)
@bp.doc(tags=["Accounts"], responses={409: "Email taken"})
def confirm_email_change(body: EmailConfirmIn):
    """Confirm a change of address with the token from the link mailed to it.

    Every session of the account ends, and every API token of it is revoked. An address
    that another account has taken since it was asked for is refused (409)."""
    email_changes().confirm_change(body.token)
    return ""


@bp.post("/me/password")
@bp.auth_required(auth)
@bp.input(PasswordChangeIn, arg_name="body")
@bp.output(EmptySchema, status_code=204)
@bp.doc(tags=["Accounts"])
def change_password(body: PasswordChangeIn):
    """Change your password; the current one is required. Every other token of yours is
    revoked, and every web session ends: only the token you send this with goes on."""
    user_manager().change_password(
        current_user(),
        current_password=body.current_password,
        new_password=body.new_password,
        keep_token_id=current_token_id(),
    )
    return ""


@bp.get("/users")
@bp.auth_required(auth)
@bp.input(UserQuery, location="query", arg_name="query")
@bp.output(UserPage)
@bp.doc(tags=["Users"], responses={403: "Staff only"})
def list_users(query: UserQuery):
    """List accounts, optionally by role or by words of their name or address (staff
    and admins)."""
    users = user_manager().list_users(
        current_user(),
        role=query.role,
        text=query.q,
        limit=query.limit + 1,
        after_id=query.cursor,
    )
    return id_page(users, query.limit)


@bp.post("/users")
@bp.auth_required(auth)
@bp.input(UserIn, arg_name="body")
@bp.output(UserOut, status_code=201)
@bp.doc(tags=["Users"], responses={403: "Admins only", 409: "Email taken"})
def create_user(body: UserIn):
    """Create an account of any role (admins)."""
    user = user_manager().create_user(
        current_user(), name=body.name, email=body.email, password=body.password, role=body.role
    )
    return user, 201, {"Location": url_for("api.get_user", user_id=user.id)}


@bp.get("/users/<int:user_id>")
@bp.auth_required(auth)
@bp.output(UserOut)
@bp.doc(tags=["Users"], responses={403: "Admins only (or yourself)", 404: "No such user"})
def get_user(user_id: int):
    """One account (admins, or your own)."""
    return user_manager().get_user(current_user(), user_id)


@bp.patch("/users/<int:user_id>")
@bp.auth_required(auth)
@bp.input(UserPatch, arg_name="body")
@bp.output(UserOut)
@bp.doc(
    tags=["Users"],
    responses={403: "Admins only", 404: "No such user", 409: "Email taken; not on yourself"},
)
def update_user(user_id: int, body: UserPatch):
    """Change a name, email address, role or active flag (admins)."""
    return user_manager().update_user(current_user(), user_id, body.model_dump(exclude_unset=True))


@bp.get("/queues")
@bp.auth_required(auth)
@bp.output(list[QueueOut])
@bp.doc(tags=["Queues"])
def list_queues():
    """Every queue a ticket can be filed in."""
    return queue_manager().list_queues(current_user())


@bp.post("/queues")
@bp.auth_required(auth)
@bp.input(QueueIn, arg_name="body")
@bp.output(QueueOut, status_code=201)
@bp.doc(tags=["Queues"], responses={403: "Admins only", 409: "Name or slug taken"})
def create_queue(body: QueueIn):
    """Add a queue (admins)."""
    return queue_manager().create_queue(current_user(), name=body.name, slug=body.slug)


# What an admin's change to one queue may be answered with, besides success.
_ONE_QUEUE = {403: "Admins only", 404: "No such queue"}


@bp.patch("/queues/<int:queue_id>")
@bp.auth_required(auth)
@bp.input(QueuePatch, arg_name="body")
@bp.output(QueueOut)
@bp.doc(tags=["Queues"], responses={**_ONE_QUEUE, 409: "Name or slug taken, or the slug kept"})
def update_queue(queue_id: int, body: QueuePatch):
    """Rename a queue or change its slug (admins)."""
    return queue_manager().rename_queue(current_user(), queue_id, name=body.name, slug=body.slug)


@bp.delete("/queues/<int:queue_id>")
@bp.auth_required(auth)
@bp.output(EmptySchema, status_code=204)
@bp.doc(tags=["Queues"], responses={**_ONE_QUEUE, 409: "It holds tickets, or a setting names it"})
def delete_queue(queue_id: int):
    """Delete a queue that holds no tickets (admins); never the default queue."""
    queue_manager().delete_queue(current_user(), queue_id)
    return ""


@bp.get("/admin/security-events")
@bp.auth_required(auth)
@bp.input(SecurityEventQuery, location="query", arg_name="query")
@bp.output(SecurityEventPage)
@bp.doc(tags=["Users"], responses={403: "Admins only"})
def list_security_events(query: SecurityEventQuery):
    """The security log, newest first: sign-ins, denials, role and token changes (admins)."""
    events = security_log().list_events(
        current_user(), limit=query.limit + 1, before_id=query.cursor
    )
    return id_page(events, query.limit)
