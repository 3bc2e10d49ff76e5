"""Flask extensions, created unbound and bound to an app in `create_app`."""

from __future__ import annotations

import contextlib
import time

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Select, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, InvalidatePoolError

from ticketdesk.models import Base
from ticketdesk.models.schema_version import MIGRATIONS_DIR  # noqa: F401 (where it was)

# Set on a connection at BEGIN; cleared once the transaction runs anything but a SELECT.
_ONLY_READ = "ticketdesk_only_read"
# A pooled server connection idle this long is tested before use (ping_idle_connections).
IDLE_SECONDS_BEFORE_PING = 1.0
_IDLE_SINCE = "ticketdesk_idle_since"

# A request's session ends with the request, so what it just committed stays usable:
# no reload of every object after each commit (services refresh what they change).
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)


def discard_session() -> None:
    """End the current session, even over a connection the database has just dropped.

    A plain rollback on a dead connection raises; invalidating instead lets an
    error page (or the end of a request) go out as answered, not as a 500.
    """
    try:
        db.session.close()
    except DBAPIError:
        db.session().invalidate()


def end_read_only_transaction() -> None:
    """Commit the current transaction if it has only read, rather than roll it back.

    psycopg forgets every prepared statement on ROLLBACK, and a request ended with
    one made PostgreSQL parse and plan each of its statements afresh: a ticket read
    went from 535-540 to 621/s at a million tickets when reads end with COMMIT instead.
    Anything that wrote, or holds unflushed changes, is left to `discard_session`, as
    is a commit the database refused (nothing written is lost).
    """
    session = db.session()
    transaction = session.get_transaction()
    if transaction is None or not transaction.is_active:
        return
    if session.new or session.dirty or session.deleted:
        return
    if session.connection().info.get(_ONLY_READ):
        with contextlib.suppress(DBAPIError):
            session.commit()


def track_read_only_transactions(engine: Engine) -> None:
    """Note whether each PostgreSQL transaction has only read (see `end_read_only_transaction`).

    Only a compiled SELECT counts as a read (none of ours writes through a CTE); any
    other statement, SQL text included, counts as a write, so a doubt ends in
    ROLLBACK. SQLite keeps its statements across a rollback, so its transactions are
    left untracked, and roll back.
    """
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.info[_ONLY_READ] = True

    @event.listens_for(engine, "before_cursor_execute")
    def _on_execute(connection, cursor, statement, parameters, context, executemany):
        if not isinstance(getattr(context.compiled, "statement", None), Select):
            connection.info[_ONLY_READ] = False


def configure_sqlite(engine: Engine) -> None:
    """Give every SQLite connection WAL, foreign keys and a busy timeout.

    The driver's own transaction handling is switched off so that we issue
    BEGIN ourselves: writes then queue on the busy timeout instead of failing
    with "database is locked" when a read transaction tries to upgrade.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def ping_idle_connections(engine: Engine) -> None:
    """Test a pooled server connection before use if it has waited a second or more.

    A server drops connections while they wait in the pool (a restart, a failover, an
    idle timeout); a failed test renews the whole pool, as `pool_pre_ping` does. That
    tested every checkout: a round trip and a statement for the server on every request
    of a busy app, whose connections come back within milliseconds. If the server has
    dropped a connection used that recently, its request fails with a 503 and renews
    the pool, as do the requests the server was running when it went down.
    """
    if engine.dialect.name == "sqlite":
        return  # a file cannot drop a connection
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection, record):
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, proxy):
        idle_since = record.info.pop(_IDLE_SINCE, None)
        if idle_since is None or time.monotonic() - idle_since < IDLE_SECONDS_BEFORE_PING:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            raise InvalidatePoolError(f"a pooled connection failed its test: {error}") from error
