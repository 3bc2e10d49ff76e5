"""Migrations: an empty database upgrades to a schema equal to the models, keeping data."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from ticketdesk.app import create_app
from ticketdesk.cli import initialise_database
from ticketdesk.extensions import MIGRATIONS_DIR, db
from ticketdesk.models import (
    Base,
    EventKind,
    NewTicketNotices,
    Priority,
    Queue,
    Role,
    SecurityEventKind,
    Ticket,
    TicketStatus,
    User,
)
from ticketdesk.services import ticket_manager, user_manager
from ticketdesk.services.listing import TicketFilter
from ticketdesk.services.search_index import index_all
from ticketdesk.services.stats import team_counts

FIRST_REVISION = "7277a9f9b094"
NOW = "2026-01-02 03:04:05+00:00"


def insert_old_rows(*statements: str) -> None:
    """Rows as an earlier release wrote them, straight into its schema (`:now` bound)."""
    with db.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), {"now": NOW})


def not_search_index(name, type_, parent_names) -> bool:
    """The full-text indexes (FTS5 and its shadow tables, the people's words on
    PostgreSQL) are made by their own DDL, not the models."""
    if type_ == "table":
        return not name.startswith(("ticket_search", "people_search"))
    if type_ == "column":
        return not (parent_names["table_name"] == "users" and name == "search_words")
    return not (type_ == "index" and name == "ix_users_search_words")


@pytest.fixture
def bare_app(empty_database_url, tmp_path):
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x", "BCRYPT_ROUNDS": 4}
    )
    app.instance_path = str(tmp_path)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


# SQLAlchemy cannot reflect SQLite's index on an expression (the queues' lower(name)),
# so there autogenerate compares it not; test_upgrade_renames_the_later_of_queues_named_alike
# shows it is there.
@pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index uq_queues_name_folded",
    "ignore:autogenerate skipping metadata-specified expression-based index "
    "'uq_queues_name_folded'",
)
def test_empty_database_migrates_to_the_models(bare_app):
    assert initialise_database() is True
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": not_search_index})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
    assert db.session.scalar(select(Queue.slug)) == "general"


def test_init_is_idempotent(bare_app):
    initialise_database()
    assert initialise_database() is False
    assert db.session.query(Queue).count() == 1


def test_upgrade_keeps_existing_data(bare_app):
    """A database made by the first release, with data in it, upgrades without loss."""
    upgrade(directory=str(MIGRATIONS_DIR), revision=FIRST_REVISION)
    insert_old_rows(
        "INSERT INTO users (name, email, password_hash, role, active, created_at) "
        "VALUES ('Early Adopter', 'early@example.com', NULL, 'admin', true, :now)",
        "INSERT INTO queues (name, slug, created_at) VALUES ('General', 'general', :now)",
        "INSERT INTO tickets (title, description, status, priority, queue_id, "
        "requester_id, created_at, updated_at, version) "
        "VALUES ('Old ticket', 'from v1 for ann@acme.com', 'open', 2, 1, 1, :now, :now, 1)",
    )
    initialise_database()
    kept = db.session.scalar(select(User).where(User.email == "early@example.com"))
    assert kept is not None and kept.role == Role.ADMIN and kept.session_generation == 1
    ticket = db.session.scalar(select(Ticket))
    assert (ticket.title, ticket.priority) == ("Old ticket", Priority.HIGH)
    counts = team_counts(kept)  # counted from the tickets by the migrations that add them
    assert counts.by_status[TicketStatus.OPEN] == 1
    assert (counts.active_by_queue, counts.active_by_assignee) == ({1: 1}, {None: 1})
    assert db.session.query(Queue).count() == 1
    assert [user.id for user in user_manager().list_users(kept, text="adopt")] == [kept.id]
    if db.engine.dialect.name == "sqlite":  # a filtered search asks for these tokens
        # and the planner has statistics of the tickets, which a SQLite file grown by
        # use never had (services/statistics.py)
        analyzed = "SELECT stat FROM sqlite_stat1 WHERE idx = 'ix_tickets_created'"
        assert db.session.scalar(text(analyzed)).split()[0] == "1"  # one ticket
        facets = "SELECT facets FROM ticket_search WHERE rowid = :id"
        assert db.session.scalar(text(facets), {"id": ticket.id}).split() == [
            f"\ue002u{kept.id}",
            "\ue002a0",
            "\ue002sopen",
            "\ue002p2",
            "\ue002q1",
        ]
    else:  # each word and each part of an address again with its id block
        words = "SELECT tsvector_to_array(document) FROM ticket_search WHERE ticket_id = :id"
        plain = {"old", "ticket", "v1", "ann@acme.com", "ann", "acm", "com"}
        assert set(db.session.scalar(text(words), {"id": ticket.id})) == plain | {
            word + "#0" for word in plain
        }
        # The rewritten documents keep statistics for the planner's guesses at `@@`.
        analyzed = "SELECT count(*) FROM pg_stats WHERE tablename = 'ticket_search'"
        assert db.session.scalar(text(analyzed + " AND attname = 'document'")) == 1


def test_upgrade_makes_the_names_of_files_searchable(bare_app):
    upgrade(directory=str(MIGRATIONS_DIR), revision="0016_file_removed_event")
    insert_old_rows(
        "INSERT INTO users (name, email, role, active, created_at, session_generation) "
        "VALUES ('Ann', 'ann@example.com', 'customer', true, :now, 1)",
        "INSERT INTO queues (name, slug, created_at) VALUES ('General', 'general', :now)",
        "INSERT INTO tickets (title, description, status, priority, queue_id, "
        "requester_id, created_at, updated_at, version) "
        "VALUES ('Billing', 'See attached', 'open', 1, 1, 1, :now, :now, 1)",
        "INSERT INTO attachments (ticket_id, filename, content_type, size, sha256, "
        "storage_key, created_at) VALUES (1, 'invoice-4711.pdf', 'application/pdf', 4, "
        "'0', 'k1', :now)",
    )
    initialise_database()
    if db.engine.dialect.name == "sqlite":
        found = "SELECT rowid FROM ticket_search WHERE ticket_search MATCH '4711'"
    else:
        found = "SELECT ticket_id FROM ticket_search WHERE document @@ to_tsquery('4711')"
    assert db.session.scalars(text(found)).all() == [1]


def test_upgrade_folds_accents_in_what_was_indexed_and_downgrade_keeps_them(bare_app):
    upgrade(directory=str(MIGRATIONS_DIR), revision=FIRST_REVISION)
    insert_old_rows(
        "INSERT INTO users (name, email, role, active, created_at) "
        "VALUES ('José Núñez', 'jose@example.com', 'staff', true, :now)",
        "INSERT INTO queues (name, slug, created_at) VALUES ('General', 'general', :now)",
        "INSERT INTO tickets (title, description, status, priority, queue_id, "
        "requester_id, created_at, updated_at, version) "
        "VALUES ('Café machine', 'Señor Müller', 'open', 1, 1, 1, :now, :now, 1)",
    )
    initialise_database()
    jose = db.session.scalar(select(User))
    searched = TicketFilter(text="cafe muller senor")

    assert [user.name for user in user_manager().list_users(jose, text="nunez")] == ["José Núñez"]
    assert [ticket.title for ticket in ticket_manager().get_tickets(jose, searched).items] == [
        "Café machine"
    ]
    if db.engine.dialect.name == "postgresql":
        # Most tickets were indexed again, so the GIN index was built again, as it was.
        [(query, tuning), *_] = SEARCH_INDEX_SETTINGS["postgresql"]
        assert db.session.scalar(text(query)) == tuning
        db.session.remove()  # else the downgrade waits for its read of `users` to end
        downgrade(directory=str(MIGRATIONS_DIR), revision="0019_staff_by_name")
        words = "SELECT tsvector_to_array(document) FROM ticket_search"
        assert {"café", "señor", "müller"} <= set(db.session.scalar(text(words)))
        people = "SELECT tsvector_to_array(search_words) FROM users"
        assert {"josé", "núñez"} <= set(db.session.scalar(text(people)))


def test_upgraded_index_follows_each_ticket_and_downgrade_gives_back_the_requester_token(
    bare_app,
):
    upgrade(directory=str(MIGRATIONS_DIR), revision="0021_attachment_previews")
    insert_old_rows(
        "INSERT INTO users (name, email, role, active, created_at, session_generation) "
        "VALUES ('Ann', 'ann@example.com', 'customer', true, :now, 1)",
        "INSERT INTO users (name, email, role, active, created_at, session_generation) "
        "VALUES ('Sam', 'sam@example.com', 'staff', true, :now, 1)",
        "INSERT INTO queues (name, slug, created_at) VALUES ('General', 'general', :now)",
        "INSERT INTO tickets (title, description, status, priority, queue_id, "
        "requester_id, created_at, updated_at, version) "
        "VALUES ('Scanner jams', 'Again', 'open', 1, 1, 1, :now, :now, 1)",
    )
    if db.engine.dialect.name == "sqlite":  # its entry as 0021's code wrote it
        insert_old_rows(
            "INSERT INTO ticket_search (rowid, title, body, internal, requester) "
            "VALUES (1, 'Scanner jams', 'Again', '', char(57346) || 'u1')"
        )
    else:  # the same index before and after
        with db.engine.begin() as connection:
            index_all(connection)
    initialise_database()
    ann, sam = db.session.scalars(select(User).order_by(User.id)).all()

    def found(actor, **filters):
        page = ticket_manager().get_tickets(actor, TicketFilter(text="scanner", **filters))
        return [ticket.title for ticket in page.items]

    assert found(sam, statuses=(TicketStatus.OPEN,)) == ["Scanner jams"]
    ticket_manager().update_ticket_status(sam, 1, "in_progress")
    assert found(sam, statuses=(TicketStatus.OPEN,)) == []
    assert found(sam, statuses=(TicketStatus.IN_PROGRESS,)) == ["Scanner jams"]
    db.session.remove()
    downgrade(directory=str(MIGRATIONS_DIR), revision="0021_attachment_previews")
    if db.engine.dialect.name == "sqlite":
        owner = "SELECT requester FROM ticket_search WHERE rowid = 1"
        assert db.session.scalar(text(owner)) == f"\ue002u{ann.id}"
        triggers = "SELECT count(*) FROM sqlite_master WHERE name = 'ticket_search_facets'"
        assert db.session.scalar(text(triggers)) == 0


def test_upgraded_history_accepts_mail_events(bare_app):
    """The event kinds the models know are the ones the migrated CHECK constraint allows."""
    initialise_database()
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (name, email, role, active, created_at, session_generation) "
                "VALUES ('A', 'a@example.com', 'staff', true, '2026-01-01', 1)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO tickets (title, description, status, priority, queue_id, "
                "requester_id, created_at, updated_at, version) "
                "VALUES ('t', 'd', 'open', 1, 1, 1, '2026-01-01', '2026-01-01', 1)"
            )
        )
        for kind in EventKind:
            connection.execute(
                text("INSERT INTO ticket_events (ticket_id, kind, at) VALUES (1, :kind, :at)"),
                {"kind": kind.value, "at": "2026-01-01"},
            )
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO ticket_events (ticket_id, kind, at) VALUES (1, 'bogus', '2026-01-01')"
            )
        )


def test_upgraded_security_log_accepts_address_changes_and_every_other_kind(bare_app):
    """The security event kinds the models know are the ones the migrated CHECK allows."""
    initialise_database()
    record = text("INSERT INTO security_events (kind, at) VALUES (:kind, :now)")
    with db.engine.begin() as connection:
        connection.execute(record, {"kind": SecurityEventKind.EMAIL_CHANGED.value, "now": NOW})
        for kind in SecurityEventKind:
            connection.execute(record, {"kind": kind.value, "now": NOW})
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(record, {"kind": "bogus", "now": NOW})


# Each engine's index is tuned by its own DDL (models/search.py): SQLite's FTS5 merges
# segments eight to a level, PostgreSQL's GIN takes each write at once, no pending list,
# and its documents stay in their rows; its people's words keep more statistics
# (models/people_search.py).
SEARCH_INDEX_SETTINGS = {
    "sqlite": [("SELECT v FROM ticket_search_config WHERE k = 'automerge'", 8)],
    "postgresql": [
        (
            "SELECT reloptions FROM pg_class WHERE relname = 'ix_ticket_search_document'",
            ["fastupdate=off"],
        ),
        (
            "SELECT attstorage FROM pg_attribute"
            " WHERE attrelid = 'ticket_search'::regclass AND attname = 'document'",
            "m",
        ),
        # Enough statistics of people's words for the planner to tell a word nobody's
        # name holds (most words typed into the search box) from a common one.
        (
            "SELECT attstattarget FROM pg_attribute"
            " WHERE attrelid = 'users'::regclass AND attname = 'search_words'",
            1000,
        ),
    ],
}


@pytest.mark.parametrize("make_schema", ["migrations", "models"])
def test_search_index_is_tuned_however_the_schema_is_made(bare_app, make_schema):
    if make_schema == "migrations":
        initialise_database()
    else:
        Base.metadata.create_all(db.engine)
    settings = SEARCH_INDEX_SETTINGS[db.engine.dialect.name]
    with db.engine.connect() as connection:
        assert [connection.scalar(text(query)) for query, _ in settings] == [
            expected for _, expected in settings
        ]


def test_upgraded_database_never_gives_a_deleted_queues_id_to_another(bare_app):
    """Ticket history names queues by id; SQLite gave the newest id out again."""
    upgrade(directory=str(MIGRATIONS_DIR), revision="0022_search_facets")
    insert_old_rows(
        "INSERT INTO queues (name, slug, created_at) VALUES ('General', 'general', :now)",
        "INSERT INTO queues (name, slug, created_at) VALUES ('Billing', 'billing', :now)",
        "INSERT INTO users (name, email, role, active, created_at, session_generation) "
        "VALUES ('Ann', 'ann@example.com', 'customer', true, :now, 1)",
        "INSERT INTO tickets (title, description, status, priority, queue_id, "
        "requester_id, created_at, updated_at, version) "
        "VALUES ('Kept', 'd', 'open', 1, 1, 1, :now, :now, 1)",
    )
    initialise_database()
    insert_old_rows(
        "DELETE FROM queues WHERE slug = 'billing'",
        "INSERT INTO queues (name, slug, created_at) VALUES ('Sales', 'sales', :now)",
    )
    queues = db.session.execute(select(Queue.slug, Queue.id).order_by(Queue.id)).all()
    assert [tuple(row) for row in queues] == [("general", 1), ("sales", 3)]
    assert db.session.scalar(select(Ticket.queue_id)) == 1


def test_upgrade_renames_the_later_of_queues_named_alike_and_then_refuses_such_names(
    bare_app, capsys
):
    """Names were unique only by their exact case; 0025 makes them unique whatever their
    case, renaming the later of two queues named alike rather than failing."""
    upgrade(directory=str(MIGRATIONS_DIR), revision="0024_email_changed_event")
    insert_old_rows(
        *(
            f"INSERT INTO queues (name, slug, created_at) VALUES ('{name}', '{slug}', :now)"
            for name, slug in [
                ("General", "general"),
                ("Billing", "billing"),
                ("GENERAL", "general-upper"),
                ("billing", "billing-lower"),
                ("Billing (2)", "billing-2"),
                ("BILLING", "billing-upper"),
            ]
        ),
        "INSERT INTO users (name, email, role, active, created_at, session_generation) "
        "VALUES ('Ann', 'ann@example.com', 'customer', true, :now, 1)",
        "INSERT INTO tickets (title, description, status, priority, queue_id, "
        "requester_id, created_at, updated_at, version) "
        "VALUES ('Filed in GENERAL', 'd', 'open', 1, 3, 1, :now, :now, 1)",
    )
    initialise_database()
    queues = db.session.execute(select(Queue.id, Queue.name, Queue.slug).order_by(Queue.id))
    assert [tuple(row) for row in queues] == [
        (1, "General", "general"),
        (2, "Billing", "billing"),
        (3, "GENERAL (2)", "general-upper"),
        (4, "billing (3)", "billing-lower"),
        (5, "Billing (2)", "billing-2"),
        (6, "BILLING (4)", "billing-upper"),
    ]
    assert db.session.scalar(select(Ticket.queue_id)) == 3
    assert capsys.readouterr().err.splitlines() == [
        f"Queue {queue_id} renamed from {old!r} to {new!r}: an older queue has that name in "
        "another case."
        for queue_id, old, new in [
            (3, "GENERAL", "GENERAL (2)"),
            (4, "billing", "billing (3)"),
            (6, "BILLING", "BILLING (4)"),
        ]
    ]
    db.session.remove()
    with pytest.raises(IntegrityError):
        insert_old_rows("INSERT INTO queues (name, slug, created_at) VALUES ('gEnErAl', 'g', :now)")
    downgrade(directory=str(MIGRATIONS_DIR), revision="0024_email_changed_event")
    insert_old_rows("INSERT INTO queues (name, slug, created_at) VALUES ('gEnErAl', 'g', :now)")


def test_upgrade_empties_password_links_already_sent_or_given_up_on(bare_app):
    """Links mailed before the worker emptied them are emptied by the upgrade; mail still
    to send, and notifications, keep their content."""
    upgrade(directory=str(MIGRATIONS_DIR), revision="0026_failed_mail_listed")
    rows = [
        ("password_reset", "sent"),
        ("welcome", "dead"),
        ("account_exists", "sent"),
        ("password_reset", "pending"),
        ("ticket_created", "sent"),
    ]
    insert_old_rows(
        *(
            "INSERT INTO outbox_messages (kind, recipient, subject, message_id, content, "
            "status, attempts, next_attempt_at, created_at) VALUES "
            f"('{kind}', 'a@example.com', 's', 'm{n}@x', 'link /reset-password/secret', "
            f"'{status}', 1, :now, :now)"
            for n, (kind, status) in enumerate(rows)
        )
    )
    initialise_database()
    kept = db.session.execute(text("SELECT content FROM outbox_messages ORDER BY id")).scalars()
    assert [content is not None for content in kept] == [False, False, False, True, True]


def test_upgraded_staff_keep_every_notice_and_may_choose_queues(bare_app):
    """People from before 0029 are mailed what they were (every new ticket, their own
    tickets' notices); only the three choices are taken, and a deleted queue leaves no
    choice behind; downgrading takes the choices away again."""
    upgrade(directory=str(MIGRATIONS_DIR), revision="0028_email_changes")
    insert_old_rows(
        "INSERT INTO users (name, email, role, active, created_at, session_generation) "
        "VALUES ('Sam Staff', 'sam@example.com', 'staff', true, :now, 1)",
        "INSERT INTO queues (name, slug, created_at) VALUES ('General', 'general', :now)",
        "INSERT INTO queues (name, slug, created_at) VALUES ('Sales', 'sales', :now)",
    )
    initialise_database()
    sam = db.session.scalar(select(User).where(User.email == "sam@example.com"))
    assert (sam.new_ticket_notices, sam.assigned_notices) == (NewTicketNotices.ALL, True)
    sales = db.session.scalar(select(Queue.id).where(Queue.slug == "sales"))
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE users SET new_ticket_notices = 'queues'"))
        connection.execute(text(f"INSERT INTO watched_queues VALUES ({sam.id}, {sales})"))
        connection.execute(text(f"DELETE FROM queues WHERE id = {sales}"))
        assert connection.scalar(text("SELECT count(*) FROM watched_queues")) == 0
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(text("UPDATE users SET new_ticket_notices = 'some'"))
    db.session.remove()
    downgrade(directory=str(MIGRATIONS_DIR), revision="0028_email_changes")
    with db.engine.connect() as connection:
        columns = set(connection.execute(text("SELECT * FROM users")).keys())
    assert not columns & {"new_ticket_notices", "assigned_notices"}
