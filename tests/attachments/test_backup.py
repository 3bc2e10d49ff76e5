"""`ticketdesk backup`: a copy taken while the app serves, which an app can run from.

Each test runs on both databases and both storages (see conftest.py); a backup is
always restored and read back through the API, as an operator would after a loss.
"""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess

import pytest
from sqlalchemy import make_url

from tests.attachments.test_attachments import PNG, fetch, upload
from tests.conftest import scratch_postgres_database
from tests.factories import ApiClient, Factory
from ticketdesk import backup
from ticketdesk.app import create_app
from ticketdesk.cli import backup_command
from ticketdesk.extensions import db
from ticketdesk.models import Attachment
from ticketdesk.storage import storage_for


def back_up(app, destination):
    return app.test_cli_runner().invoke(backup_command, [str(destination)])


@pytest.fixture
def restore(app):
    """Restores a backup as an operator would, into an app of its own running from it."""
    with contextlib.ExitStack() as cleanup:

        def restore_from(backup):
            if make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "sqlite":
                database = f"sqlite:///{backup / 'ticketdesk.sqlite3'}"
            else:
                database = cleanup.enter_context(scratch_postgres_database("ticketdesk_restored"))
                libpq = make_url(database).set(drivername="postgresql")
                subprocess.run(
                    ["pg_restore", "--no-owner", "--dbname", libpq.render_as_string(False)]
                    + [str(backup / "ticketdesk.pgdump")],
                    check=True,
                    capture_output=True,
                )
            restored = create_app(
                {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database, "BCRYPT_ROUNDS": 4}
            )
            restored.instance_path = str(backup)
            cleanup.callback(_dispose_engine, restored)
            return restored

        yield restore_from


def _dispose_engine(app) -> None:
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def secret_key_file(app):
    """The app's generated secret key, as `ticketdesk init` leaves it in the instance."""
    path = os.path.join(app.instance_path, "secret_key")
    os.makedirs(app.instance_path, exist_ok=True)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as handle:
        handle.write("generated-secret")
    return path


def test_a_restored_backup_serves_the_tickets_and_their_files(
    app, as_customer, customer, ticket, tmp_path, secret_key_file, restore
):
    attachment_id = upload(as_customer, ticket.id, ("tray.png", PNG, "image/png")).json[0]["id"]
    backup = tmp_path / "backup"

    result = back_up(app, backup)

    assert result.exit_code == 0, result.output
    assert "copied 1 file(s)" in result.output
    assert stat.S_IMODE((backup / "secret_key").stat().st_mode) == 0o600
    assert (backup / "secret_key").read_text() == "generated-secret"
    restored = restore(backup)
    api = ApiClient(restored.test_client(), Factory(restored).token(customer))
    assert api.get(f"/api/v1/tickets/{ticket.id}").json["title"] == "Printer on fire"
    # The file comes from the backup's own folder, whichever storage held it before.
    assert fetch(api, attachment_id).data == PNG


def test_a_second_backup_copies_only_new_files(app, as_customer, ticket, tmp_path):
    upload(as_customer, ticket.id, ("one.txt", b"one", "text/plain"))
    backup = tmp_path / "backup"
    assert back_up(app, backup).exit_code == 0
    first_file = next((backup / "attachments").glob("??/*"))
    first_written = first_file.stat().st_mtime_ns
    upload(as_customer, ticket.id, ("two.txt", b"two", "text/plain"))

    result = back_up(app, backup)

    assert result.exit_code == 0, result.output
    assert "copied 1 file(s), 1 were there already" in result.output
    assert first_file.stat().st_mtime_ns == first_written


def test_a_file_missing_from_storage_fails_the_backup_but_keeps_the_rest(
    app, as_customer, ticket, tmp_path
):
    upload(as_customer, ticket.id, ("kept.txt", b"kept", "text/plain"))
    upload(as_customer, ticket.id, ("lost.txt", b"lost", "text/plain"))
    with app.app_context():
        lost = db.session.query(Attachment).filter_by(filename="lost.txt").one().storage_key
        storage_for(app).delete(lost)

    result = back_up(app, tmp_path / "backup")

    assert result.exit_code != 0
    assert f"1 file(s) that attachments name are not in the storage (the first: {lost})" in (
        result.output
    )
    assert len(list((tmp_path / "backup" / "attachments").glob("??/*"))) == 1


def test_a_file_removed_while_the_backup_runs_is_not_missing(
    app, as_customer, as_staff, ticket, tmp_path, monkeypatch
):
    upload(as_customer, ticket.id, ("kept.txt", b"kept", "text/plain"))
    removed = upload(as_customer, ticket.id, ("gone.txt", b"gone", "text/plain")).json[0]["id"]
    copy_files = backup._copy_files

    def removed_after_the_snapshot(*args):
        assert as_staff.delete(f"/api/v1/attachments/{removed}").status_code == 204
        copy_files(*args)

    monkeypatch.setattr(backup, "_copy_files", removed_after_the_snapshot)

    result = back_up(app, tmp_path / "backup")

    assert result.exit_code == 0, result.output
    assert "1 file(s) were removed while the backup ran" in result.output


@pytest.mark.parametrize("folder", ["instance", "instance/backups"])
def test_a_backup_in_the_instance_folder_is_refused(app, ticket, tmp_path, folder):
    result = back_up(app, tmp_path / folder)

    assert result.exit_code != 0
    assert "which the app runs from: choose a folder elsewhere" in result.output
    assert not (tmp_path / "instance" / "backups").exists()


@pytest.mark.parametrize("app_config", ["local"], indirect=True)
def test_a_backup_among_the_attachment_files_is_refused(app, ticket, tmp_path):
    app.config["ATTACHMENT_DIR"] = str(tmp_path / "files")

    result = back_up(app, tmp_path / "files" / "copy")

    assert result.exit_code != 0
    assert f"is in {tmp_path / 'files'}, which the app runs from" in result.output


def test_a_folder_that_cannot_be_made_is_a_clear_error(app, ticket, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")

    result = back_up(app, tmp_path / "a-file" / "backup")

    assert result.exit_code != 0
    assert result.output.startswith(f"Error: Cannot make {tmp_path / 'a-file' / 'backup'}: ")


def test_the_database_copy_is_for_its_owner_alone(app, ticket, tmp_path):
    assert back_up(app, tmp_path / "backup").exit_code == 0

    (copy,) = [p for p in (tmp_path / "backup").iterdir() if p.name.startswith("ticketdesk.")]
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
