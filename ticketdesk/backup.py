"""`ticketdesk backup DEST`: a copy of the helpdesk, taken while it serves.

The backup is laid out as an instance folder, so restoring is pointing an app at it
(or copying it back): the database (`ticketdesk.sqlite3`, or `ticketdesk.pgdump` made
by pg_dump on PostgreSQL), the files its attachments point at (`attachments/`, from
whichever storage holds them) and the generated secret key, which signs the reply
addresses in mail already sent.

The database is copied first, as one snapshot (SQLite's online backup; pg_dump in a
snapshot exported for it), and the files its rows point at are read from that same
snapshot: a file is stored before its row commits, so every file the backup's rows
name is there to copy. Stored files never change, so a second backup into the same
folder copies only the new ones.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from sqlalchemy import Engine, select, text

from ticketdesk.extensions import db
from ticketdesk.models import Attachment
from ticketdesk.storage import FileMissing, LocalStorage, Storage, storage_for

SQLITE_FILE = "ticketdesk.sqlite3"
PG_DUMP_FILE = "ticketdesk.pgdump"
SECRET_KEY_FILE = "secret_key"
_KEYS = select(Attachment.storage_key, Attachment.preview_key)


class BackupRefused(Exception):
    """The backup cannot be taken as asked (a folder the app lives in, no pg_dump, …)."""


@dataclass
class BackupReport:
    database: Path
    copied: int = 0
    already_there: int = 0
    removed_meanwhile: int = 0  # files deleted with their rows after the snapshot
    missing: list[str] = field(default_factory=list)  # keys a row still names, not in storage


def back_up(app: Flask, destination: Path) -> BackupReport:
    """Copy the database, the files its attachments name, and the secret key into
    `destination` (created if need be)."""
    destination = destination.resolve()
    _refuse_live_folders(app, destination)
    try:
        destination.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BackupRefused(f"Cannot make {destination}: {error.strerror}.") from None
    engine = db.engine
    if engine.dialect.name == "sqlite":
        database, keys = _copy_sqlite(engine, destination)
    else:
        database, keys = _dump_postgres(engine, destination)
    report = BackupReport(database)
    _copy_files(storage_for(app), LocalStorage(destination / "attachments"), keys, report)
    if report.missing:
        _set_aside_removed(report)
    secret_key = Path(app.instance_path) / SECRET_KEY_FILE
    if secret_key.exists():
        _private_file(destination / SECRET_KEY_FILE).write_bytes(secret_key.read_bytes())
    return report


def _refuse_live_folders(app: Flask, destination: Path) -> None:
    """A backup written over the live database or among the live files would ruin both;
    one anywhere in the instance folder would live and die with it."""
    folders = [Path(app.instance_path).resolve()]
    storage = storage_for(app)
    if isinstance(storage, LocalStorage):
        folders.append(storage.root.resolve())
    inside = next((f for f in folders if f == destination or f in destination.parents), None)
    if db.engine.dialect.name == "sqlite" and db.engine.url.database:
        database_folder = Path(db.engine.url.database).resolve().parent
        inside = inside or (database_folder if destination == database_folder else None)
    if inside is not None:
        raise BackupRefused(
            f"{destination} is in {inside}, which the app runs from: choose a folder"
            " elsewhere, ideally on another disk."
        )


def _copy_sqlite(engine: Engine, destination: Path) -> tuple[Path, list[str]]:
    """SQLite's online backup of the whole file in one step: a consistent snapshot,
    taken while other connections go on writing (WAL)."""
    target = destination / SQLITE_FILE
    partial = _private_file(destination / f".{SQLITE_FILE}.partial")
    source = engine.raw_connection()
    try:
        with contextlib.closing(sqlite3.connect(partial)) as copy:
            source.driver_connection.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
            keys = _keys(copy.execute(_sql(_KEYS)))
    finally:
        source.close()
    _sync(partial)
    os.replace(partial, target)
    return target, keys


def _dump_postgres(engine: Engine, destination: Path) -> tuple[Path, list[str]]:
    """pg_dump's custom format, in a snapshot this connection exports and reads the
    attachments' keys in."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupRefused("pg_dump is not on PATH: install PostgreSQL's client tools.")
    target = destination / PG_DUMP_FILE
    partial = _private_file(destination / f".{PG_DUMP_FILE}.partial")
    url = engine.url.set(drivername="postgresql")
    environment = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
        snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
        keys = _keys(connection.execute(_KEYS))
        command = [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={partial}"]
        done = subprocess.run(
            [*command, url.set(password=None).render_as_string(hide_password=False)],
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        connection.rollback()
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupRefused(f"pg_dump failed: {done.stderr.strip()[-500:]}")
    _sync(partial)
    os.replace(partial, target)
    return target, keys


def _copy_files(source: Storage, target: LocalStorage, keys: Iterable[str], report) -> None:
    for key in keys:
        if target.holds(key):
            report.already_there += 1
            continue
        try:
            with contextlib.closing(source.open(key)) as stream:
                target.save(key, stream)
        except FileMissing:
            report.missing.append(key)
        else:
            report.copied += 1


def _set_aside_removed(report: BackupReport) -> None:
    """Files deleted with their attachments since the snapshot are not missing: only the
    keys the live database still names are."""
    named = set(report.missing)
    still = {
        key
        for row in db.session.execute(
            _KEYS.where(Attachment.storage_key.in_(named) | Attachment.preview_key.in_(named))
        )
        for key in row
        if key in named
    }
    db.session.rollback()
    report.removed_meanwhile = len(named - still)
    report.missing = [key for key in report.missing if key in still]


def _private_file(path: Path) -> Path:
    """A new empty file only its owner may read: the database holds password hashes and
    every conversation."""
    path.unlink(missing_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return path


def _keys(rows) -> list[str]:
    return [key for row in rows for key in row if key]


def _sql(statement) -> str:
    return str(statement.compile(compile_kwargs={"literal_binds": True}))


def _sync(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())
