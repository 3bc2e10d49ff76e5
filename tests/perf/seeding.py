"""`ticketdesk seed N` run on a test's app, as the bench seeds its database."""

from __future__ import annotations

from click.testing import CliRunner
from flask.cli import ScriptInfo

from ticketdesk.seed import seed_command

PASSWORD = "seed password"


def seed(app, tickets: int) -> None:
    result = CliRunner().invoke(
        seed_command, [str(tickets), "--password", PASSWORD], obj=ScriptInfo(create_app=lambda: app)
    )
    assert result.exit_code == 0, result.output
