"""Values PostgreSQL refuses (a NUL, a number past a column's range) that reach it past the
checks at the door are a 400, not a 500."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ticketdesk.extensions import db
from ticketdesk.models import User

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.mark.parametrize(
    ("path", "kind"), [("/api/v1/probe", "application/problem+json"), ("/probe", "text/html")]
)
def test_postgresql_refusing_a_nul_is_a_bad_request(app, client, path, kind):
    @app.get(path)
    def probe():
        # Text from somewhere no schema or form reads: a header, say.
        name = "ann\x00" + path
        return {"found": db.session.scalar(select(User.id).where(User.name == name))}

    response = client.get(path)
    assert response.status_code == 400
    assert response.mimetype == kind
    assert "NUL character" in response.get_data(as_text=True)


def test_postgresql_refusing_a_number_out_of_range_is_a_bad_request(app, client):
    @app.get("/api/v1/probe")
    def probe():
        # A number from somewhere no schema or form bounds.
        return {"found": db.session.scalar(select(User.id).where(User.id == 2**40))}

    response = client.get("/api/v1/probe")
    assert response.status_code == 400
    assert response.json["detail"] == "A number in the request is out of range."
