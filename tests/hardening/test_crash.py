"""Crashes: SIGKILL the server mid-traffic, restart it, and find nothing lost or half-written."""

from __future__ import annotations

import os
import random
import threading
import time
from http.client import HTTPException

from sqlalchemy import create_engine, func, select, text

from ticketdesk.models import EventKind, Ticket, TicketEvent

TRIALS = int(os.environ.get("TICKETDESK_CRASH_TRIALS", "3"))
CLIENTS = 4


def drive(server, stop: threading.Event, answered: list[int], replies: list[int]) -> None:
    """Open tickets and reply on them until told to stop; remember what was answered 201."""
    while not stop.is_set():
        try:
            code, ticket, _ = server.call(
                "POST",
                "/api/v1/tickets",
                {"title": "crash", "description": "x"},
                role="customer",
                timeout=3,
            )
            if code == 201:
                answered.append(ticket["id"])
                code, comment, _ = server.call(
                    "POST", f"/api/v1/tickets/{ticket['id']}/comments", {"body": "r"}, timeout=3
                )
                if code == 201:
                    replies.append(comment["id"])
        except (OSError, HTTPException):
            time.sleep(0.02)  # the server is down: keep knocking until the trial ends


def test_sigkill_loses_nothing_that_was_acknowledged(live_server):
    rng = random.Random(20261126)
    answered: list[int] = []
    replies: list[int] = []
    for _ in range(TRIALS):
        stop = threading.Event()
        clients = [
            threading.Thread(target=drive, args=(live_server, stop, answered, replies))
            for _ in range(CLIENTS)
        ]
        for client in clients:
            client.start()
        time.sleep(rng.uniform(0.3, 1.2))
        live_server.kill()
        stop.set()
        for client in clients:
            client.join()
        live_server.start()

    assert answered, "no request was answered before the kills"
    engine = create_engine(live_server.database_url)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        stored = set(connection.scalars(select(Ticket.id)))
        assert set(answered) <= stored, "an acknowledged ticket is missing"
        created = set(
            connection.scalars(
                select(TicketEvent.ticket_id).where(TicketEvent.kind == EventKind.CREATED)
            )
        )
        assert stored <= created, "a ticket lacks its first event"
        comments = connection.scalar(text("SELECT count(*) FROM comments"))
        assert comments >= len(replies)
        orphans = connection.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(~Ticket.id.in_(select(TicketEvent.ticket_id)))
        )
        assert orphans == 0
    engine.dispose()
