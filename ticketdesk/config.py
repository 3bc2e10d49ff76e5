"""Configuration: defaults here, `TICKETDESK_*` environment overrides, a mapping from tests.

Nothing is read at import time; `load_config` runs inside `create_app`.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from pydantic import ValidationError
from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

from ticketdesk.settings import SECRET, Settings, is_container

ENV_PREFIX = "TICKETDESK"
SQLITE_CONNECTION_SECONDS = 3600

DEFAULTS: dict[str, Any] = {
    # A file in the instance folder unless TICKETDESK_DATABASE_URL says otherwise.
    "DATABASE_URL": None,
    "SECRET_KEY": None,
    "BCRYPT_ROUNDS": 12,
    "REGISTRATION_ENABLED": True,
    "DEFAULT_QUEUE_SLUG": "general",
    # Largest request body accepted anywhere; bigger bodies get 413 before they are read.
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    # --- attachments (see README "Attachments") ---
    # Over any limit the upload is refused with 413 before its body is read.
    "ATTACHMENT_MAX_FILE_SIZE": 25 * 1024 * 1024,
    "ATTACHMENT_MAX_FILES": 10,
    "ATTACHMENT_MAX_TICKET_TOTAL": 100 * 1024 * 1024,
    # Stored files no row points at (an upload that died mid-way, a removed file the store
    # could not delete just then) older than this are removed by `ticketdesk cleanup`,
    # and by `ticketdesk worker` every ATTACHMENT_SWEEP_SECONDS (0: never).
    "ATTACHMENT_ORPHAN_SECONDS": 3600,
    "ATTACHMENT_SWEEP_SECONDS": 24 * 3600,
    # "local" (ATTACHMENT_DIR, default <instance>/attachments) or "s3" (needs boto3).
    "ATTACHMENT_STORAGE": "local",
    "ATTACHMENT_DIR": None,
    "S3_BUCKET": None,
    "S3_PREFIX": "attachments/",
    "S3_ENDPOINT_URL": None,
    "S3_REGION": None,
    "S3_ACCESS_KEY_ID": None,
    "S3_SECRET_ACCESS_KEY": None,
    # Links in mail (password resets, files) are built from this, never from a request's Host.
    "BASE_URL": "http://127.0.0.1:8000",
    "PASSWORD_RESET_MINUTES": 60,
    # A welcome link, mailed on sign-up, opens an account with nothing in it yet; people
    # often read it hours later, so it lives longer than a reset link.
    "WELCOME_LINK_HOURS": 24,
    # How long the file links in a notification work without signing in.
    "FILE_LINK_DAYS": 30,
    # Browser origins allowed to call the API cross-site (CORS); none by default.
    "CORS_ORIGINS": [],
    # Security: how many reverse proxies set X-Forwarded-*; none are trusted by default.
    "TRUSTED_PROXIES": 0,
    # Rate limits (Flask-Limiter syntax); memory:// per process, redis://host:6379 shared.
    "RATELIMIT_STORAGE_URL": "memory://",
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_SIGN_IN": "10 per minute",
    "RATELIMIT_SIGN_UP": "5 per minute",
    "RATELIMIT_API": "600 per minute",
    # How often (seconds) a token's last_used_at is written: not on every request.
    "TOKEN_TOUCH_INTERVAL": 60,
    # Engine options. A server database's pooled connections are tested after they idle
    # (extensions.ping_idle_connections), not with pool_pre_ping on every checkout.
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    # PostgreSQL: each connection keeps the statements it runs often prepared; false for
    # a pooler that cannot pass prepared statements on (PgBouncer before 1.21).
    "DATABASE_PREPARED_STATEMENTS": True,
    # --- email (see README "Email") ---
    # Outbound: with no SMTP host, messages are written as .eml files to MAIL_OUTBOX_DIR
    # (default <instance>/outbox).
    "MAIL_FROM": "Ticketdesk <support@localhost>",
    # Replies come back here, plus-addressed with a signed ticket token.
    "MAIL_REPLY_ADDRESS": "support@localhost",
    "SMTP_HOST": None,
    "SMTP_PORT": 587,
    "SMTP_STARTTLS": False,
    "SMTP_TLS": False,
    "SMTP_USER": None,
    "SMTP_PASSWORD": None,
    "SMTP_TIMEOUT": 30,
    "SMTP_CA_FILE": None,
    "MAIL_OUTBOX_DIR": None,
    "MAIL_MAX_ATTEMPTS": 8,
    "MAIL_RETRY_BASE_SECONDS": 60,
    "MAIL_CLAIM_SECONDS": 300,
    "MAIL_KEEP_SENT_DAYS": 90,
    # New-ticket notices to staff: queue slug (or "*") -> addresses; empty means every
    # active staff member; set MAIL_NOTIFY_STAFF_ON_NEW_TICKET false for none.
    "MAIL_NOTIFY_STAFF_ON_NEW_TICKET": True,
    "MAIL_STAFF_ADDRESSES": {},
    # Inbound: recipient address -> queue slug (unknown addresses use the default queue).
    "MAIL_QUEUE_ADDRESSES": {},
    "MAIL_AUTO_CREATE_CUSTOMERS": True,
    # A reply from someone who is neither requester nor staff: "new_ticket" or "reject".
    "MAIL_STRANGER_REPLY": "new_ticket",
    "MAIL_MAX_MESSAGE_BYTES": 25 * 1024 * 1024,
    "IMAP_HOST": None,
    "IMAP_PORT": 993,
    "IMAP_TLS": True,
    "IMAP_USER": None,
    "IMAP_PASSWORD": None,
    "IMAP_FOLDER": "INBOX",
    "IMAP_POLL_SECONDS": 60,
    "LMTP_HOST": "127.0.0.1",
    "LMTP_PORT": 8024,
    # APIFlask: where the OpenAPI document and its docs page live.
    "OPENAPI_VERSION": "3.1.0",
    "SPEC_FORMAT": "json",
    "DOCS_FAVICON": None,
    "INFO": {
        "description": "Ticketdesk REST API. Authenticate with `Authorization: Bearer <token>`; "
        "create a token with POST /api/v1/auth/tokens. Errors are RFC 9457 problem+json.",
    },
}


class ConfigError(ValueError):
    """A setting the app cannot start with; its message is one line for the operator."""


def load_config(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    """Fill `app.config` from defaults, then the environment, then `overrides`, and check
    and convert every setting (ConfigError on the first that is wrong)."""
    app.config.from_mapping(DEFAULTS)
    # Any Flask setting may come from the environment (nested with `__`); those we know
    # are read again from their text below, so that `False` or `no` is not a true string.
    app.config.from_prefixed_env(ENV_PREFIX)
    from_env = _settings_from_env(os.environ)
    app.config.update(from_env)
    if overrides:
        app.config.from_mapping(overrides)
    app.config.update(_checked(app.config, from_env=set(from_env) - set(overrides or {})))
    _settle_database_url(app)
    _check_attachment_storage(app.config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path))


def _settings_from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    """The known settings set in the environment, as text (lists and mappings as JSON)."""
    found = {}
    for name in Settings.model_fields:
        text = environ.get(f"{ENV_PREFIX}_{name}")
        if text is None:
            continue
        if is_container(name):
            try:
                found[name] = json.loads(text)
            except ValueError:
                raise ConfigError(_bad(f"{ENV_PREFIX}_{name}", text, name)) from None
        else:
            found[name] = text
    return found


def _checked(config: Mapping[str, Any], *, from_env: set[str]) -> dict[str, Any]:
    """Every known setting, checked and converted (`"no"` is False, `"25"` is 25)."""
    known = {name: config[name] for name in Settings.model_fields if name in config}
    try:
        settings = Settings.model_validate(known)
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0])
        shown = f"{ENV_PREFIX}_{name}" if name in from_env else name
        raise ConfigError(_bad(shown, known.get(name), name, first)) from None
    return settings.model_dump(exclude_unset=True)


def _bad(shown: str, value: Any, name: str, detail: Mapping[str, Any] | None = None) -> str:
    """One line: the variable, its value, and the form it should have."""
    form = Settings.model_fields[name].description
    if not form:
        form = detail["msg"].lower() if detail else "another value"
    if detail and len(detail["loc"]) > 1:
        form += (
            f" (at {'/'.join(str(part) for part in detail['loc'][1:])}: {detail['msg'].lower()})"
        )
    return f"{shown}={_shown_value(name, value)} is not valid: expected {form}."


def _shown_value(name: str, value: Any) -> str:
    if SECRET.search(name):
        return "(hidden)"
    masked = _without_passwords(value)
    return repr(masked if isinstance(masked, str) else json.dumps(masked, default=str))


def _without_passwords(value: Any) -> Any:
    """`value` with the password of each URL in it masked, whatever characters it holds."""
    if isinstance(value, dict):
        return {_without_passwords(key): _without_passwords(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_without_passwords(item) for item in value]
    if not isinstance(value, str):
        return value
    # urllib ends the host part at the first `/`, `?` or `#` and the userinfo at the last
    # `@` in it; a password holding one of the first three ends the host part early, so
    # the userinfo runs to the last `@` of the whole text (hiding more, never less).
    scheme, sep, rest = value.partition("://")
    userinfo, at, after = rest.rpartition("@")
    user, colon, _password = userinfo.partition(":")
    if not (sep and at and colon) or "/" in user:
        return value
    return f"{scheme}://{user}:***@{after}"


def instance_path_from_env() -> str | None:
    """The instance folder named by TICKETDESK_INSTANCE_PATH, made absolute."""
    value = os.environ.get(f"{ENV_PREFIX}_INSTANCE_PATH")
    return os.path.abspath(value) if value else None


def _settle_database_url(app: Flask) -> None:
    """Resolve the database URL (instance-folder SQLite by default) for Flask-SQLAlchemy."""
    url = app.config.get("SQLALCHEMY_DATABASE_URI") or app.config.get("DATABASE_URL")
    if not url:
        os.makedirs(app.instance_path, exist_ok=True)
        url = "sqlite:///" + os.path.join(app.instance_path, "ticketdesk.sqlite3")
    _check_database_url(url)
    if url.startswith("postgres://") or url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; plain URLs would ask for psycopg2.
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("sqlite"):
        # A SQLite connection reads the planner's statistics as it opens: reopened about
        # hourly, each plans with those `ticketdesk worker` remakes (services/statistics).
        # Not a database in memory, which lives as long as its one connection.
        if make_url(url).database not in (None, "", ":memory:"):
            options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
            options.setdefault("pool_recycle", SQLITE_CONNECTION_SECONDS)
            app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    elif not app.config["DATABASE_PREPARED_STATEMENTS"]:
        # psycopg's switch: with no threshold it never prepares a statement.
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {**options.get("connect_args", {}), "prepare_threshold": None}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _check_database_url(url: str) -> None:
    """SQLite or PostgreSQL, in a form SQLAlchemy reads: the two databases the schema serves."""
    try:
        parsed = make_url(url)
        backend, port = parsed.get_backend_name(), parsed.port
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        backend, port = None, None
    if backend not in ("sqlite", "postgresql") or not 1 <= (port or 1) <= 65535:
        raise ConfigError(_bad(f"{ENV_PREFIX}_DATABASE_URL", url, "DATABASE_URL"))


def _check_attachment_storage(config: Mapping[str, Any]) -> None:
    """Refuse to start with a storage that cannot work, rather than fail on the first file."""
    storage = config["ATTACHMENT_STORAGE"]
    if storage == "s3" and not config["S3_BUCKET"]:
        raise ConfigError(f"{ENV_PREFIX}_ATTACHMENT_STORAGE=s3 needs {ENV_PREFIX}_S3_BUCKET.")


def _instance_secret_key(instance: Path) -> str:
    """Read the instance's secret key, creating it once (mode 0600) when absent.

    Several gunicorn workers may start at once: the key is written to a private
    temporary file and hard-linked into place, so exactly one value wins.
    """
    instance.mkdir(parents=True, exist_ok=True)
    key_file = instance / "secret_key"
    if not key_file.exists():
        tmp = instance / f".secret_key.{secrets.token_hex(8)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(tmp, key_file)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return key_file.read_text().strip()
