"""The operations `make bench` measures, and the setup they need (tokens, ids, a session)."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from bench.load import Request
from ticketdesk.seed import BENCH_CUSTOMER_EMAIL, BENCH_STAFF_EMAIL, RARE_WORD

NAMES = [
    "create_ticket",
    "list_newest",
    "list_filtered",
    "get_ticket",
    "update_status",
    "search",
    "html_list",
]
# One request: (method, path, headers=…, body=…) -> (status, headers, body).
Send = Callable[..., tuple[int, dict, bytes]]
# Statuses that may follow each other freely, so concurrent updates never conflict.
TOGGLE = ("in_progress", "waiting")


def prepare(send: Send, password: str, tickets: int) -> dict:
    """Sign in as the seeded staff member and customer; pick tickets to update.

    `send` makes one request: over HTTP (`functools.partial(load.call, port)`) or
    in-process (bench.instructions).
    """
    staff_token = _token(send, BENCH_STAFF_EMAIL, password)
    customer_token = _token(send, BENCH_CUSTOMER_EMAIL, password)
    staff = _json(send("GET", "/api/v1/me", headers=_bearer(staff_token)))
    context = {
        "tickets": tickets,
        "staff_token": staff_token,
        "customer_token": customer_token,
        "staff_id": staff["id"],
        "open_ids": _open_ticket_ids(send, staff_token, 800),
        "skipped": {},
    }
    cookie = _web_session(send, password)
    if cookie:
        context["cookie"] = cookie
    else:
        context["skipped"]["html_list"] = "no web UI sign-in page in this build"
    return context


def factory(name: str, context: dict):
    """A picklable request maker for the operation, or None when it cannot run here."""
    if name == "html_list" and "cookie" not in context:
        return None
    return Operation(name, context)


@dataclass(frozen=True)
class Operation:
    name: str
    context: dict

    def __call__(self, rng: random.Random, worker: int, i: int) -> Request:
        return getattr(self, "_" + self.name)(rng, worker, i)

    def _staff(self) -> dict[str, str]:
        return _bearer(self.context["staff_token"])

    def _ceiling(self, rng, worker, i) -> Request:
        return "GET", "/ceiling", {}, None

    def _create_ticket(self, rng, worker, i) -> Request:
        body = {
            "title": f"Bench ticket {worker}-{i}",
            "description": "The printer on the second floor prints blank pages again.",
        }
        headers = {**_bearer(self.context["customer_token"]), "Content-Type": "application/json"}
        return "POST", "/api/v1/tickets", headers, json.dumps(body).encode()

    def _list_newest(self, rng, worker, i) -> Request:
        return "GET", "/api/v1/tickets?limit=25", self._staff(), None

    def _list_filtered(self, rng, worker, i) -> Request:
        query = urlencode({"status": "in_progress", "assignee_id": self.context["staff_id"]})
        return "GET", f"/api/v1/tickets?{query}&limit=25", self._staff(), None

    def _get_ticket(self, rng, worker, i) -> Request:
        ticket_id = rng.randint(1, self.context["tickets"])
        return "GET", f"/api/v1/tickets/{ticket_id}", self._staff(), None

    def _update_status(self, rng, worker, i) -> Request:
        # Each worker owns a slice of open tickets and walks it round after round,
        # so no two workers touch one ticket and every change is allowed.
        mine = self.context["open_ids"][worker::8] or self.context["open_ids"]
        ticket_id = mine[i % len(mine)]
        status = TOGGLE[(i // len(mine)) % 2]
        headers = {**self._staff(), "Content-Type": "application/json"}
        body = json.dumps({"status": status}).encode()
        return "PATCH", f"/api/v1/tickets/{ticket_id}", headers, body

    def _search(self, rng, worker, i) -> Request:
        return "GET", f"/api/v1/tickets?q={RARE_WORD}&limit=25", self._staff(), None

    def _html_list(self, rng, worker, i) -> Request:
        return "GET", "/tickets", {"Cookie": self.context["cookie"]}, None


def _token(send: Send, email: str, password: str) -> str:
    body = {"email": email, "password": password, "name": "bench"}
    return _json(send("POST", "/api/v1/auth/tokens", body=body))["token"]


def _open_ticket_ids(send: Send, token: str, wanted: int) -> list[int]:
    ids: list[int] = []
    cursor = None
    while len(ids) < wanted:
        query = {"status": ["open", "in_progress", "waiting"], "limit": 100}
        if cursor:
            query["cursor"] = cursor
        page = _json(
            send(
                "GET",
                f"/api/v1/tickets?{urlencode(query, doseq=True)}",
                headers=_bearer(token),
            )
        )
        ids += [ticket["id"] for ticket in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    return ids[:wanted]


def _web_session(send: Send, password: str) -> str | None:
    """Sign in through the web form (CSRF token included); the session cookie, or None."""
    status, headers, page = send("GET", "/login")
    if status != 200:
        return None
    match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
    cookie = _cookie(headers)
    if not match:
        return None
    form = urlencode(
        {"csrf_token": match.group(1).decode(), "email": BENCH_STAFF_EMAIL, "password": password}
    ).encode()
    status, headers, _ = send(
        "POST",
        "/login",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie or ""},
        body=form,
    )
    session = _cookie(headers)
    if status not in (302, 303) or not session:
        return None
    # The first page shows the welcome message and stores the form token in the session:
    # a browser keeps the cookie that comes back, and so do the clients.
    status, headers, _ = send("GET", "/tickets", headers={"Cookie": session})
    return (_cookie(headers) or session) if status == 200 else None


def _cookie(headers: dict[str, str]) -> str | None:
    value = headers.get("Set-Cookie") or headers.get("set-cookie")
    return value.split(";", 1)[0] if value else None


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _json(answer) -> dict:
    status, _, body = answer
    if status >= 400:
        raise SystemExit(f"Setup request failed with {status}: {body[:300]!r}")
    return json.loads(body)
