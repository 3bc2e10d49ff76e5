"""Every route of the app, tried by every kind of caller, against a written policy.

The policy table below is the source of truth: a route added without an entry
fails `test_every_route_has_a_policy` (deny by default), and each entry is
checked by sending a real request as each role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from tests.factories import PASSWORD, Factory, Person
from ticketdesk.models import Role

ROLES = ("anonymous", "deactivated", "revoked", "other_customer", "customer", "staff", "admin")
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

# Outcomes. ALLOW: served (2xx, a redirect elsewhere than sign-in, or a 4xx about the
# input itself: 409/412/422); UNAUTH: 401; LOGIN: redirect to sign-in; FORBID: 403; HIDDEN: 404.
ALLOW, UNAUTH, LOGIN, FORBID, HIDDEN = "allow", "unauth", "login", "forbid", "hidden"


def api(customer, other_customer, staff, admin):
    """A bearer-token route: no valid token is 401."""
    return {
        "anonymous": UNAUTH,
        "deactivated": UNAUTH,
        "revoked": UNAUTH,
        "customer": customer,
        "other_customer": other_customer,
        "staff": staff,
        "admin": admin,
    }


def web(customer, other_customer, staff, admin):
    """A signed-in page: no live session is a redirect to sign-in."""
    return {
        "anonymous": LOGIN,
        "deactivated": LOGIN,
        "revoked": LOGIN,
        "customer": customer,
        "other_customer": other_customer,
        "staff": staff,
        "admin": admin,
    }


def everyone(outcome):
    return dict.fromkeys(ROLES, outcome)


A, F, H = ALLOW, FORBID, HIDDEN

# (method, endpoint) -> outcome per role. The ticket and attachment belong to `customer`.
POLICY: dict[tuple[str, str], dict] = {
    # --- public -------------------------------------------------------------
    ("GET", "health.healthz"): everyone(A),
    ("GET", "openapi.spec"): everyone(A),
    ("GET", "docs_assets.docs_page"): everyone(A),
    ("GET", "docs_assets.docs_script"): everyone(A),
    ("GET", "docs_assets.swagger_asset"): everyone(A),
    ("GET", "static"): everyone(H),
    ("GET", "web.static"): everyone(A),
    ("POST", "api.register"): everyone(A),
    ("POST", "api.create_token"): {**everyone(A), "anonymous": UNAUTH, "deactivated": UNAUTH},
    ("GET", "web.login"): everyone(A),
    ("POST", "web.login"): everyone(A),
    ("POST", "web.logout"): everyone(LOGIN),
    ("GET", "web.register"): everyone(A),
    ("POST", "web.register"): everyone(A),
    ("GET", "web.registration_sent"): everyone(A),
    ("GET", "web.forgot_password"): everyone(A),
    ("POST", "web.forgot_password"): everyone(LOGIN),
    # A link that does not work (this one is forged) is 404 for anyone, form or no form.
    ("GET", "web.reset_password"): everyone(H),
    ("POST", "web.reset_password"): everyone(H),
    ("POST", "api.request_password_reset"): everyone(A),
    ("POST", "api.confirm_password_reset"): everyone(A),
    ("POST", "api.confirm_email_change"): everyone(A),
    # A forged link to confirm a new address: 404 for anyone, signed in or not.
    ("GET", "web.confirm_email_change"): everyone(H),
    ("POST", "web.confirm_email_change"): everyone(H),
    # A notification's file link: the signed token decides, never the caller (a forged
    # one here); tests/mail/test_file_links.py tries genuine ones.
    ("GET", "web.linked_file"): everyone(H),
    # --- API: own account -----------------------------------------------------
    ("GET", "api.get_me"): api(A, A, A, A),
    ("PATCH", "api.update_me"): api(A, A, A, A),
    ("GET", "api.get_my_notices"): api(F, F, A, A),
    ("PATCH", "api.update_my_notices"): api(F, F, A, A),
    ("POST", "api.request_email_change"): api(A, A, A, A),
    ("POST", "api.change_password"): api(A, A, A, A),
    ("DELETE", "api.revoke_token"): api(A, H, H, H),
    ("GET", "api.list_tokens"): api(A, A, A, A),
    # --- API: people, queues, logs ------------------------------------------
    ("GET", "api.list_users"): api(F, F, A, A),
    ("POST", "api.create_user"): api(F, F, F, A),
    ("GET", "api.get_user"): api(A, F, F, A),
    ("PATCH", "api.update_user"): api(F, F, F, A),
    ("GET", "api.list_user_tickets"): api(A, H, A, A),
    ("GET", "api.list_queues"): api(A, A, A, A),
    ("POST", "api.create_queue"): api(F, F, F, A),
    ("PATCH", "api.update_queue"): api(F, F, F, A),
    ("DELETE", "api.delete_queue"): api(F, F, F, A),
    ("GET", "api.list_security_events"): api(F, F, F, A),
    ("GET", "api.list_outbox"): api(F, F, F, A),
    ("GET", "api.get_outbox_message"): api(F, F, F, H),
    ("POST", "api.retry_outbox_message"): api(F, F, F, H),
    ("POST", "api.retry_dead_mail"): api(F, F, F, A),
    ("GET", "api.list_dropped_mail"): api(F, F, F, A),
    ("GET", "api.download_failed_mail"): api(F, F, F, H),
    ("POST", "api.retry_failed_mail"): api(F, F, F, H),
    # --- API: tickets ---------------------------------------------------------
    ("POST", "api.create_ticket"): api(A, A, A, A),
    ("GET", "api.list_tickets"): api(A, A, A, A),
    ("GET", "api.ticket_counts"): api(F, F, A, A),
    ("GET", "api.get_ticket"): api(A, H, A, A),
    ("PATCH", "api.update_ticket"): api(A, H, A, A),
    ("GET", "api.list_comments"): api(A, H, A, A),
    ("POST", "api.add_comment"): api(A, H, A, A),
    ("GET", "api.list_events"): api(A, H, A, A),
    ("GET", "api.list_ticket_mail"): api(F, F, A, A),
    ("GET", "attachments.list_attachments"): api(A, H, A, A),
    ("POST", "attachments.upload_attachments"): api(A, H, A, A),
    ("GET", "attachments.download_attachment"): api(A, H, A, A),
    ("GET", "attachments.attachment_preview"): api(A, H, A, A),
    ("DELETE", "attachments.remove_attachment"): api(F, H, A, A),
    # --- web: pages for anyone signed in --------------------------------------
    ("GET", "web.home"): web(A, A, A, A),
    ("GET", "web.account"): web(A, A, A, A),
    ("GET", "web.account_form_address"): web(A, A, A, A),
    ("POST", "web.change_name"): web(A, A, A, A),
    ("POST", "web.choose_notices"): web(F, F, A, A),
    ("POST", "web.request_email_change"): web(A, A, A, A),
    ("GET", "web.change_password"): web(A, A, A, A),
    ("POST", "web.change_password"): web(A, A, A, A),
    ("GET", "web.ticket_list"): web(A, A, A, A),
    ("GET", "web.new_ticket"): web(A, A, A, A),
    ("POST", "web.new_ticket"): web(A, A, A, A),
    ("GET", "web.ticket_detail"): web(A, H, A, A),
    # The address a ticket page's form posts to, opened: a redirect to the ticket page,
    # which decides (another customer's is 404 there).
    ("GET", "web.ticket_form_address"): web(A, A, A, A),
    ("GET", "web.download_attachment"): web(A, H, A, A),
    ("GET", "web.attachment_preview"): web(A, H, A, A),
    ("POST", "web.add_comment"): web(A, H, A, A),
    ("POST", "web.set_status"): web(A, H, A, A),
    # --- web: staff controls ----------------------------------------------------
    ("POST", "web.update_ticket"): web(F, H, A, A),
    ("GET", "web.confirm_remove_attachment"): web(F, H, A, A),
    ("POST", "web.remove_attachment"): web(F, H, A, A),
    ("POST", "web.assign_to_me"): web(F, H, A, A),
    ("POST", "web.bulk_update"): web(F, F, A, A),
    # --- web: admin -----------------------------------------------------------
    ("GET", "web.admin_users"): web(F, F, F, A),
    ("POST", "web.admin_users"): web(F, F, F, A),
    ("POST", "web.admin_user_role"): web(F, F, F, A),
    ("POST", "web.admin_user_active"): web(F, F, F, A),
    ("POST", "web.admin_user_welcome"): web(F, F, F, A),
    ("GET", "web.admin_user"): web(F, F, F, A),
    ("POST", "web.admin_user"): web(F, F, F, A),
    ("GET", "web.admin_queues"): web(F, F, F, A),
    ("POST", "web.admin_queues"): web(F, F, F, A),
    ("GET", "web.admin_queue"): web(F, F, F, A),
    ("POST", "web.admin_queue"): web(F, F, F, A),
    ("GET", "web.confirm_delete_queue"): web(F, F, F, A),
    ("GET", "web.confirm_deactivate_user"): web(F, F, F, A),
    ("POST", "web.delete_queue"): web(F, F, F, A),
    ("GET", "web.admin_outbox"): web(F, F, F, A),
    ("POST", "web.admin_outbox_retry"): web(F, F, F, A),
    ("POST", "web.admin_outbox_retry_dead"): web(F, F, F, A),
    ("GET", "web.admin_dropped_mail"): web(F, F, F, A),
    ("GET", "web.admin_failed_mail_raw"): web(F, F, F, H),
    # An unknown failed message is a flash on the list, as for the outbox.
    ("POST", "web.admin_failed_mail_retry"): web(F, F, F, A),
}


def routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, rule


def test_every_route_has_a_policy(app):
    missing = [
        f"{method} {rule.rule} ({rule.endpoint})"
        for method, rule in routes(app)
        if (method, rule.endpoint) not in POLICY
    ]
    assert not missing, "routes with no access policy (deny by default):\n" + "\n".join(missing)


@dataclass
class World:
    """The people and things every request in the matrix refers to."""

    people: dict[str, Person]
    tokens: dict[str, str]
    ticket_id: int
    attachment_id: int
    token_ids: dict[str, int]
    browsers: dict[str, object]


@pytest.fixture
def world(app, client) -> World:
    factory = Factory(app)
    people = {
        "customer": factory.user(Role.CUSTOMER, name="Owner"),
        "other_customer": factory.user(Role.CUSTOMER, name="Other"),
        "staff": factory.user(Role.STAFF, name="Staff"),
        "admin": factory.user(Role.ADMIN, name="Admin"),
        "deactivated": factory.user(Role.STAFF, name="Gone"),
        "revoked": factory.user(Role.CUSTOMER, name="Revoked"),
    }
    tokens = {role: factory.token(person) for role, person in people.items()}
    ticket = factory.ticket(people["customer"], title="Owner's ticket")
    upload = client.post(
        f"/api/v1/tickets/{ticket.id}/attachments",
        data={"file": (_png(), "shot.png")},
        headers={"Authorization": f"Bearer {tokens['customer']}"},
    )
    assert upload.status_code == 201, upload.get_json()
    token_ids = {}
    for role, secret in tokens.items():
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
        token_ids[role] = me.json["id"] if me.status_code == 200 else 0
    revoked_owner = {"Authorization": f"Bearer {tokens['revoked']}"}
    client.delete(f"/api/v1/auth/tokens/{_token_id(app, people['revoked'])}", headers=revoked_owner)
    # Signed-in browsers, one per person; "revoked" stands for a browser with no session.
    browsers = {role: app.test_client() for role in ROLES}
    for role, person in people.items():
        if role != "revoked":
            _sign_in(browsers[role], person)
    factory.deactivate(people["deactivated"])
    return World(people, tokens, ticket.id, upload.json[0]["id"], token_ids, browsers)


def _token_id(app, person: Person) -> int:
    from ticketdesk.extensions import db
    from ticketdesk.models import ApiToken

    with app.app_context():
        return db.session.query(ApiToken.id).filter_by(user_id=person.id).scalar()


def _png() -> object:
    import io
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    raw += chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")
    return io.BytesIO(raw)


# --- sending one request as one role -------------------------------------------

# queue_id: the default queue, which no one may delete (admins are answered 409).
PATH_VALUES = {
    "filename": "swagger-ui.css",
    "message_id": 999999,
    "failed_id": 999999,
    "token": "not-a-token",
    "queue_id": 1,
}
# Routes that remove the file they name: each request is given a file of its own.
REMOVING = {"attachments.remove_attachment", "web.remove_attachment"}
FORM_BODIES = {
    "web.login": lambda w, role: {"email": _email(w, role), "password": PASSWORD},
    "web.forgot_password": lambda w, role: {"email": _email(w, role)},
    "web.register": lambda w, role: {
        "name": "New",
        "email": f"{role}-web@example.com",
    },
    "web.change_password": lambda w, role: {
        "current_password": PASSWORD,
        "new_password": "a brand new secret",
        "confirm": "a brand new secret",
    },
    "web.change_name": lambda w, role: {"name": f"Renamed {role}"},
    "web.choose_notices": lambda w, role: {"new_tickets": "none"},
    "web.request_email_change": lambda w, role: {
        "email": f"{role}-moved@example.com",
        "current_password": PASSWORD,
    },
    "web.new_ticket": lambda w, role: {
        "title": "From the web",
        "description": "d",
        "priority": "normal",
        "queue_id": "1",
    },
    "web.add_comment": lambda w, role: {"body": "hello", "reply": "Send reply"},
    "web.set_status": lambda w, role: {"status": "closed", "version": "1"},
    "web.update_ticket": lambda w, role: {
        "status": "open",
        "priority": "high",
        "queue_id": "1",
        "assignee_id": "",
        "version": "1",
    },
    "web.assign_to_me": lambda w, role: {"version": "1"},
    "web.bulk_update": lambda w, role: {
        "ticket_ids": str(w.ticket_id),
        "status": "waiting",
        "assignee": "",
    },
    "web.admin_users": lambda w, role: {
        "name": "N",
        "email": f"{role}-adm@example.com",
        "role": "staff",
    },
    "web.admin_user_role": lambda w, role: {"role": "staff"},
    "web.admin_user_active": lambda w, role: {"active": "0"},
    "web.admin_user": lambda w, role: {"name": "Renamed", "email": f"{role}-edit@example.com"},
    "web.admin_queues": lambda w, role: {"name": f"Queue {role}"},
    "web.admin_queue": lambda w, role: {"name": f"Queue {role}", "slug": "general"},
}
JSON_BODIES = {
    "api.register": lambda w, role: {"name": "N", "email": f"{role}-api@example.com"},
    "api.create_token": lambda w, role: {"email": _email(w, role), "password": PASSWORD},
    "api.change_password": lambda w, role: {
        "current_password": PASSWORD,
        "new_password": "a brand new secret",
    },
    "api.update_me": lambda w, role: {"name": f"Renamed {role}"},
    "api.update_my_notices": lambda w, role: {"new_tickets": "none"},
    "api.request_email_change": lambda w, role: {
        "email": f"{role}-moved-api@example.com",
        "current_password": PASSWORD,
    },
    "api.confirm_email_change": lambda w, role: {"token": "nope"},
    "api.create_user": lambda w, role: {"name": "N", "email": f"{role}-user@example.com"},
    "api.update_user": lambda w, role: {"name": "Renamed"},
    "api.request_password_reset": lambda w, role: {"email": _email(w, role)},
    "api.confirm_password_reset": lambda w, role: {"token": "nope", "new_password": "x" * 12},
    "api.create_queue": lambda w, role: {"name": f"Queue {role}"},
    "api.update_queue": lambda w, role: {"name": f"Queue {role}"},
    "api.create_ticket": lambda w, role: {"title": "t", "description": "d"},
    "api.update_ticket": lambda w, role: {"title": f"edited by {role}"},
    "api.add_comment": lambda w, role: {"body": "hello"},
}


def _email(world: World, role: str) -> str:
    person = world.people.get(role)
    return person.email if person else "nobody@example.com"


def _path(rule, world: World, attachment_id: int) -> str:
    values = {}
    for name in rule.arguments:
        if name == "ticket_id":
            values[name] = world.ticket_id
        elif name == "user_id":
            values[name] = world.people["customer"].id
        elif name == "token_id":
            values[name] = world.token_ids["customer"]
        elif name == "attachment_id":
            values[name] = attachment_id
        elif name == "filename" and rule.endpoint == "web.static":
            values[name] = "app.css"
        else:
            values[name] = PATH_VALUES[name]
    return rule.build(values, append_unknown=False)[1]


def send(app, world: World, role: str, method: str, rule):
    fresh = rule.endpoint in REMOVING
    path = _path(rule, world, _new_file(app, world) if fresh else world.attachment_id)
    headers = {}
    if rule.rule.startswith("/api/"):
        client = app.test_client()
        if role in world.tokens:
            headers["Authorization"] = f"Bearer {world.tokens[role]}"
    else:
        client = world.browsers[role]
    # Each role calls from its own (documentation-range) address, so per-address
    # abuse limits stay out of this test.
    kwargs = {"headers": headers, "environ_base": {"REMOTE_ADDR": f"192.0.2.{ROLES.index(role)}"}}
    if rule.endpoint in JSON_BODIES:
        kwargs["json"] = JSON_BODIES[rule.endpoint](world, role)
    elif rule.endpoint == "attachments.upload_attachments":
        kwargs["data"] = {"file": (_png(), "shot.png")}
    elif method == "POST" and not rule.rule.startswith("/api/"):
        body = FORM_BODIES.get(rule.endpoint, lambda w, r: {})(world, role)
        kwargs["data"] = {"csrf_token": _csrf(client), **body}
    response = client.open(path, method=method, **kwargs)
    response.close()
    return response


def _new_file(app, world: World) -> int:
    """Another file on the customer's ticket, uploaded by them."""
    upload = app.test_client().post(
        f"/api/v1/tickets/{world.ticket_id}/attachments",
        data={"file": (_png(), "another.png")},
        headers={"Authorization": f"Bearer {world.tokens['customer']}"},
    )
    assert upload.status_code == 201, upload.get_json()
    return upload.json[0]["id"]


def _sign_in(client, person: Person) -> None:
    response = client.post(
        "/login", data={"csrf_token": _csrf(client), "email": person.email, "password": PASSWORD}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def _csrf(client) -> str:
    """A CSRF token of this browser's session, from a form it can see."""
    for page in ("/login", "/account/password"):
        match = CSRF_INPUT.search(client.get(page).get_data(as_text=True))
        if match:
            return match.group(1)
    raise AssertionError("no form with a CSRF token")


def outcome(response) -> str:
    status = response.status_code
    location = response.headers.get("Location", "")
    if status in (301, 302, 303) and "/login" in location.split("?")[0]:
        return LOGIN
    if status < 400 or status in (409, 412, 422):
        return ALLOW
    return {401: UNAUTH, 403: FORBID, 404: HIDDEN}.get(status, f"unexpected {status}")


ROUTE_KEYS = sorted(POLICY)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("method", "endpoint"), ROUTE_KEYS, ids=[f"{m} {e}" for m, e in ROUTE_KEYS]
)
def test_route_obeys_its_policy(app, world, method, endpoint):
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint]
    assert rules, f"{endpoint} is in the policy but not in the app"
    actual = {}
    for role in ROLES:
        rule = next(r for r in rules if method in r.methods)
        actual[role] = outcome(send(app, world, role, method, rule))
    assert actual == POLICY[(method, endpoint)]
