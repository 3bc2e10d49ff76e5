"""Property-based fuzzing of the whole API from its own OpenAPI document, as three roles.

Bounded for CI (TICKETDESK_FUZZ_EXAMPLES examples per operation and role); `make soak`
raises the bound.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.failures import FailureGroup

from tests.factories import Factory
from ticketdesk.app import create_app
from ticketdesk.extensions import db
from ticketdesk.models import Base, Role
from ticketdesk.services import queue_manager

EXAMPLES = int(os.environ.get("TICKETDESK_FUZZ_EXAMPLES", "25"))


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    """One app and database for the whole fuzz run, with a token per role."""
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite3"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "fuzz",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "BCRYPT_ROUNDS": 4,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        Base.metadata.create_all(db.engine)
        queue_manager().ensure_default_queue()
        db.session.remove()
    factory = Factory(app)
    customer = factory.user(Role.CUSTOMER, name="Fuzz Customer")
    tokens = {
        "customer": factory.token(customer),
        "staff": factory.token(factory.user(Role.STAFF, name="Fuzz Staff")),
        "admin": factory.token(factory.user(Role.ADMIN, name="Fuzz Admin")),
    }
    for _ in range(3):
        factory.ticket(customer, title="Fuzz target")
    app.config["FUZZ_TOKENS"] = tokens
    return app


def test_api_never_breaks_its_contract(fuzz_app):
    """Every operation, with generated requests sent as a customer, a staff member, an admin."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", fuzz_app)
    tokens = fuzz_app.config["FUZZ_TOKENS"].values()
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def exercise(case) -> None:
            for token in tokens:
                case.call_and_validate(headers={"Authorization": f"Bearer {token}"})

        try:
            exercise()
        except (Exception, FailureGroup) as failure:  # noqa: BLE001 - collect them all
            failures[operation.label] = _describe(failure)
    report = "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
    assert not failures, report


def _describe(failure: BaseException) -> str:
    parts = [str(failure)]
    for inner in getattr(failure, "exceptions", ()):
        parts.append(f"  - {type(inner).__name__}: {str(inner)[:600]}")
    return "\n".join(parts)[:3000]
