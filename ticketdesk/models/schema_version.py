"""Which schema a database holds: Alembic's revision in `alembic_version`, one row.

`ticketdesk init` writes it as it migrates; a schema made from the models
(`create_all`, in tests) is the newest, and is stamped so, as Alembic's
"building an up to date database from scratch" recipe does. /healthz and the
CLI compare it with the newest revision this code ships (its head).
"""

from __future__ import annotations

import functools
import sqlite3
from enum import StrEnum
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ticketdesk.models.base import Base

# Migrations ship inside the package, so an installed wheel can upgrade its database.
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

# PostgreSQL's undefined_table and undefined_column.
_UNDEFINED = {"42P01", "42703"}
_SQLITE_UNDEFINED = ("no such table", "no such column", "has no column named")


class SchemaState(StrEnum):
    CURRENT = "ok"
    MISSING = "uninitialised"  # no tables: `ticketdesk init` never ran here
    OUTDATED = "outdated"  # another release's schema: `ticketdesk init` upgrades it


@functools.cache
def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config)


def code_heads() -> frozenset[str]:
    """The newest revision(s) this code's migrations reach (read once per process)."""
    return frozenset(_scripts().get_heads())


def schema_state(session: Session) -> SchemaState:
    """Whether the database holds this code's schema: one read of `alembic_version`.
    A database that does not answer raises, as any statement would."""
    try:
        found = set(session.scalars(text("SELECT version_num FROM alembic_version")))
    except DBAPIError as error:
        if not schema_missing(error):
            raise
        session.rollback()
        return SchemaState.MISSING
    if not found:
        return SchemaState.MISSING
    return SchemaState.CURRENT if found == code_heads() else SchemaState.OUTDATED


def schema_missing(error: DBAPIError) -> bool:
    """Whether a statement failed on a table or column the database lacks: the schema was
    never made (`ticketdesk init`), or is an older release's."""
    if getattr(error.orig, "sqlstate", None) in _UNDEFINED:
        return True
    message = str(error.orig)
    return isinstance(error.orig, sqlite3.OperationalError) and any(
        words in message for words in _SQLITE_UNDEFINED
    )


@event.listens_for(Base.metadata, "after_create")
def _stamp_newest(target, connection: Connection, **kwargs) -> None:
    MigrationContext.configure(connection).stamp(_scripts(), "heads")
