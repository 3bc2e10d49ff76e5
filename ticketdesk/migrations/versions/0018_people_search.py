"""people are found by the words of their name and email address

Revision ID: 0018_people_search
Revises: 0017_search_file_names
Create Date: 2026-12-06

SQLite: an FTS5 table over `users`, kept by triggers, built from the accounts there
are. PostgreSQL: a generated column of the words of each account's name and address,
under a GIN index (adding it rewrites `users`: 2 s for 200,000 accounts). The
DDL is the same as ticketdesk/models/people_search.py (which serves create_all),
written out so that this migration never changes when the models do.
"""
from alembic import op


revision = '0018_people_search'
down_revision = '0017_search_file_names'
branch_labels = None
depends_on = None

INDEX = "INSERT INTO people_search (rowid, name, email) VALUES (new.id, new.name, new.email)"
UNINDEX = (
    "INSERT INTO people_search (people_search, rowid, name, email)"
    " VALUES ('delete', old.id, old.name, old.email)"
)
SQLITE_UPGRADE = [
    "CREATE VIRTUAL TABLE people_search USING fts5(name, email,"
    " content = 'users', content_rowid = 'id',"
    " tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')",
    f"CREATE TRIGGER people_search_insert AFTER INSERT ON users BEGIN {INDEX}; END",
    "CREATE TRIGGER people_search_update AFTER UPDATE OF name, email ON users"
    f" BEGIN {UNINDEX}; {INDEX}; END",
    f"CREATE TRIGGER people_search_delete AFTER DELETE ON users BEGIN {UNINDEX}; END",
    "INSERT INTO people_search (people_search) VALUES ('rebuild')",
]
SQLITE_DOWNGRADE = [
    "DROP TRIGGER people_search_insert",
    "DROP TRIGGER people_search_update",
    "DROP TRIGGER people_search_delete",
    "DROP TABLE people_search",
]
POSTGRESQL_UPGRADE = [
    "ALTER TABLE users ADD COLUMN search_words tsvector GENERATED ALWAYS AS ("
    "to_tsvector('simple'::regconfig, translate(name || ' ' || email, "
    "'@.-_+/:''', '        '))) STORED",
    "CREATE INDEX ix_users_search_words ON users USING gin (search_words)",
    "ALTER TABLE users ALTER COLUMN search_words SET STATISTICS 1000",
    # A new column has no statistics until autovacuum's next look, which a rewrite
    # does not prompt: the planner's guesses come from them (see 0015).
    "ANALYZE users",
]
POSTGRESQL_DOWNGRADE = ["ALTER TABLE users DROP COLUMN search_words"]


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_UPGRADE if sqlite else POSTGRESQL_UPGRADE:
        op.execute(statement)


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_DOWNGRADE if sqlite else POSTGRESQL_DOWNGRADE:
        op.execute(statement)
