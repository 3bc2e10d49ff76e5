"""Signing up and asking for a reset take as long whatever the address: a mail with a link
is built for every request, and dropped where nobody is to get one.

Without that an unknown or deactivated address answered a millisecond sooner than one
with an account (`python -m bench.account_timing` measures them); what is left is the
storing of the link and its mail.
"""

from __future__ import annotations

import pytest

from tests.mailbox import mails_to
from ticketdesk.services import password_reset

REQUESTS = {
    "sign-up": ("/api/v1/auth/register", {"name": "N"}),
    "reset": ("/api/v1/auth/password-reset", {}),
}


@pytest.fixture
def composed(monkeypatch) -> list[str]:
    """The subject of every mail with a link composed, whether it is sent or not."""
    subjects: list[str] = []
    compose = password_reset.compose

    def recording(from_address, envelope, text, html):
        subjects.append(envelope.subject)
        return compose(from_address, envelope, text, html)

    monkeypatch.setattr(password_reset, "compose", recording)
    return subjects


@pytest.mark.parametrize("request_", REQUESTS)
@pytest.mark.parametrize("address", ["unknown", "active", "deactivated"])
def test_every_address_costs_one_mail_built(app, client, factory, composed, request_, address):
    gone = factory.user()
    factory.deactivate(gone)
    email = {"unknown": "nobody@example.com", "active": factory.user().email}.get(
        address, gone.email
    )
    path, fields = REQUESTS[request_]
    assert client.post(path, json={**fields, "email": email}).status_code == 202
    assert len(composed) == 1
    # A new address gets a welcome, an active account a link; the others nothing.
    gets_one = address == "active" or (address == "unknown" and request_ == "sign-up")
    assert len(mails_to(app, email)) == int(gets_one)
