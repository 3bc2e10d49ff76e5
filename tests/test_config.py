"""Settings are checked and converted once, as the app loads: a bad one stops it with one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from ticketdesk.app import create_app
from ticketdesk.config import DEFAULTS, ConfigError
from ticketdesk.settings import Settings

# Read by APIFlask and Flask-SQLAlchemy, which check them themselves.
FRAMEWORK_SETTINGS = {"OPENAPI_VERSION", "SPEC_FORMAT", "DOCS_FAVICON", "INFO"}
FRAMEWORK_SETTINGS |= {"SQLALCHEMY_ENGINE_OPTIONS"}


@pytest.fixture
def make_app(tmp_path, monkeypatch):
    """An app built from the environment the test sets, as an operator's would be."""
    monkeypatch.setenv("TICKETDESK_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("TICKETDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")

    def make(**environ: str):
        for name, value in environ.items():
            monkeypatch.setenv(f"TICKETDESK_{name}", value)
        return create_app()

    return make


def test_every_setting_has_a_type_and_form():
    assert set(DEFAULTS) - FRAMEWORK_SETTINGS <= set(Settings.model_fields)
    Settings.model_validate(DEFAULTS)


@pytest.mark.parametrize("text", ["false", "False", "FALSE", "no", "off", "0", "n"])
def test_a_false_flag_in_any_usual_spelling_is_false(make_app, text):
    app = make_app(REGISTRATION_ENABLED=text, MAIL_AUTO_CREATE_CUSTOMERS=text, IMAP_TLS=text)
    assert app.config["REGISTRATION_ENABLED"] is False
    assert app.config["MAIL_AUTO_CREATE_CUSTOMERS"] is False
    assert app.config["IMAP_TLS"] is False


@pytest.mark.parametrize("text", ["true", "True", "yes", "on", "1"])
def test_a_true_flag_in_any_usual_spelling_is_true(make_app, text):
    assert make_app(SMTP_STARTTLS=text).config["SMTP_STARTTLS"] is True


def test_registration_disabled_as_False_closes_sign_up(make_app):
    client = make_app(REGISTRATION_ENABLED="False").test_client()
    assert client.get("/register").status_code == 404


def test_numbers_and_text_are_converted_from_the_environment(make_app):
    app = make_app(SMTP_PORT="2525", MAIL_KEEP_SENT_DAYS="0.5", SMTP_PASSWORD="12345")
    assert app.config["SMTP_PORT"] == 2525
    assert app.config["MAIL_KEEP_SENT_DAYS"] == 0.5
    assert app.config["SMTP_PASSWORD"] == "12345"  # a password of digits stays text


def test_json_settings_are_read_from_the_environment(make_app):
    app = make_app(
        CORS_ORIGINS='["https://portal.example"]',
        MAIL_QUEUE_ADDRESSES='{"sales@example.com": "sales"}',
        MAIL_STAFF_ADDRESSES='{"*": ["Team <team@example.com>"]}',
    )
    assert app.config["CORS_ORIGINS"] == ["https://portal.example"]
    assert app.config["MAIL_QUEUE_ADDRESSES"] == {"sales@example.com": "sales"}
    assert app.config["MAIL_STAFF_ADDRESSES"] == {"*": ["Team <team@example.com>"]}


BAD_SETTINGS = [
    ("REGISTRATION_ENABLED", "nah", "true or false"),
    ("LMTP_PORT", "abc", "a port number from 1 to 65535"),
    ("SMTP_PORT", "70000", "a port number from 1 to 65535"),
    ("MAIL_RETRY_BASE_SECONDS", "abc", "a whole number of seconds from 1 to 86400"),
    ("ATTACHMENT_SWEEP_SECONDS", "daily", "a whole number of seconds"),
    ("BCRYPT_ROUNDS", "abc", "a whole number 4 to 31"),
    ("BCRYPT_ROUNDS", "99", "a whole number 4 to 31"),
    ("DATABASE_URL", "nonsense", "sqlite:///"),
    ("DATABASE_URL", "mysql://ann@db/helpdesk", "postgresql://"),
    ("MAIL_STAFF_ADDRESSES", '["a@b.c"]', '{"*": ["team@example.com"]}'),
    ("MAIL_STAFF_ADDRESSES", '{"*": "team@example.com"}', '{"*": ["team@example.com"]}'),
    ("MAIL_QUEUE_ADDRESSES", "sales@example.com=sales", '{"sales@example.com": "sales"}'),
    ("MAIL_QUEUE_ADDRESSES", '{"sales": "sales"}', '{"sales@example.com": "sales"}'),
    ("CORS_ORIGINS", "https://a.example", "a JSON list of origins, each https://host"),
    ("CORS_ORIGINS", '["a.example"]', "a JSON list of origins"),
    ("MAIL_FROM", "Support Team", "Support <support@example.com>"),
    ("MAIL_REPLY_ADDRESS", "helpdesk", "an address: name@domain"),
    ("BASE_URL", "helpdesk.example.com", "an address with its scheme"),
    ("MAIL_STRANGER_REPLY", "bogus", "new_ticket or reject"),
    ("RATELIMIT_API", "lots", "a limit: 10 per minute"),
    ("RATELIMIT_STORAGE_URL", "redis//cache", "memory:// or redis://"),
    ("ATTACHMENT_STORAGE", "S3", "local or s3"),
]

# Values the start-up check once let through, each failing later (a traceback, a 500 on
# every request of a kind, links or headers that never work).
UNPARSABLE_URLS = [
    ("RATELIMIT_STORAGE_URL", "redis://localhost:notaport/0", "redis://host:6379/0"),
    ("RATELIMIT_STORAGE_URL", "redis://cache:6379/zero", "redis://host:6379/0"),
    ("S3_ENDPOINT_URL", "https://s3.example:x", "https://s3.example.com"),
    ("BASE_URL", "https://help.example:99999", "an address with its scheme"),
    ("DATABASE_URL", "postgresql://ann@db:x/helpdesk", "postgresql://"),
    ("DATABASE_URL", "postgresql://ann@db:99999/helpdesk", "postgresql://"),
]
OUT_OF_RANGE = [
    ("PASSWORD_RESET_MINUTES", "99999999999999", "minutes from 1 to 5256000 (10 years)"),
    ("WELCOME_LINK_HOURS", "87601", "hours from 1 to 87600 (10 years)"),
    ("FILE_LINK_DAYS", "3651", "days from 1 to 3650 (10 years)"),
    ("MAIL_KEEP_SENT_DAYS", "inf", "days above 0, up to 3650"),
    ("MAIL_KEEP_SENT_DAYS", "nan", "days above 0, up to 3650"),
    ("SMTP_TIMEOUT", "inf", "seconds above 0, up to 3600 (an hour)"),
    ("SMTP_TIMEOUT", "3601", "seconds above 0, up to 3600 (an hour)"),
    ("IMAP_POLL_SECONDS", "99999999999", "seconds from 1 to 86400 (a day)"),
    ("MAIL_MAX_ATTEMPTS", "31", "a whole number 1 to 30"),
    ("ATTACHMENT_ORPHAN_SECONDS", "1e30", "seconds from 0 to 315360000 (10 years)"),
    ("MAX_CONTENT_LENGTH", str(2**41), "bytes from 1 to 1099511627776 (1 TiB)"),
    ("TRUSTED_PROXIES", "11", "a whole number 0 to 10"),
]
UNWORKABLE = [
    ("MAIL_FROM", "Support <support@example.com> junk", "Support <support@example.com>"),
    ("MAIL_FROM", "Smith, John <support@example.com>", "Support <support@example.com>"),
    ("MAIL_REPLY_ADDRESS", "a@b@c", "an address: name@domain"),
    ("MAIL_REPLY_ADDRESS", "support@example..com", "an address: name@domain"),
    ("MAIL_QUEUE_ADDRESSES", '{"a@b@c": "sales"}', '{"sales@example.com": "sales"}'),
    ("CORS_ORIGINS", '["https://portal.example/"]', "https://host[:port] with nothing after"),
    ("CORS_ORIGINS", '["https://portal.example/app"]', "https://host[:port] with nothing after"),
    ("CORS_ORIGINS", '["https://portal.example?a=1"]', "https://host[:port] with nothing after"),
    ("CORS_ORIGINS", '["https://ann@portal.example"]', "https://host[:port] with nothing after"),
    ("BASE_URL", "https://help.example.com/?lang=en", "without query, fragment or credentials"),
    ("BASE_URL", "https://help.example.com/#top", "without query, fragment or credentials"),
    ("BASE_URL", "https://ann@help.example.com", "without query, fragment or credentials"),
    ("LMTP_HOST", " ", "a host name or address"),
    ("SMTP_HOST", " ", "a host name or address"),
    ("IMAP_HOST", "mail.example.com/INBOX", "a host name or address"),
]


@pytest.mark.parametrize(
    ("name", "value", "form"), BAD_SETTINGS + UNPARSABLE_URLS + OUT_OF_RANGE + UNWORKABLE
)
def test_a_bad_setting_stops_the_app_naming_variable_value_and_form(make_app, name, value, form):
    with pytest.raises(ConfigError) as refused:
        make_app(**{name: value})
    line = str(refused.value)
    assert line.startswith(f"TICKETDESK_{name}={value!r} is not valid: expected ")
    assert form in line and "\n" not in line


def test_an_empty_secret_key_stops_the_app(make_app):
    """Read as unset, each app server made a key of its own: sessions and mail links
    broke across them behind one balancer."""
    with pytest.raises(ConfigError) as refused:
        make_app(SECRET_KEY="")
    assert str(refused.value).startswith("TICKETDESK_SECRET_KEY=(hidden) is not valid")


def test_a_secret_is_not_repeated_in_the_message(make_app):
    with pytest.raises(ConfigError) as refused:
        make_app(DATABASE_URL="mysql://ann:hunter2@db/helpdesk")
    assert "hunter2" not in str(refused.value) and "ann:***@" in str(refused.value)


NUMERIC = [
    name for name, field in Settings.model_fields.items() if field.annotation in (int, float)
]


@pytest.mark.parametrize("name", NUMERIC)
def test_every_number_has_an_upper_bound(name):
    with pytest.raises(ValidationError) as refused:
        Settings.model_validate({**DEFAULTS, name: 10**20})
    assert refused.value.errors()[0]["loc"] == (name,)


@pytest.mark.parametrize("value", ["inf", "-inf", "nan"])
@pytest.mark.parametrize(
    "name", [name for name in NUMERIC if Settings.model_fields[name].annotation is float]
)
def test_no_number_is_infinite_or_nan(name, value):
    with pytest.raises(ValidationError):
        Settings.model_validate({**DEFAULTS, name: value})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RATELIMIT_STORAGE_URL", "redis://:hun/ter2@cache:1/0"),
        ("RATELIMIT_STORAGE_URL", "redis://ann:hun@ter2@cache:x/0"),
        ("DATABASE_URL", "mysql://ann:hun@ter2@db/helpdesk"),
        ("DATABASE_URL", "mysql://ann:hun#ter2@db/helpdesk"),
        ("DATABASE_URL", "mysql://ann:hun?ter2@db/helpdesk"),
        ("BASE_URL", "https://ann:hun/ter2@help.example.com"),
        ("CORS_ORIGINS", '["https://ann:hun@ter2@portal.example"]'),
    ],
)
def test_no_part_of_a_url_password_is_shown(make_app, name, value):
    with pytest.raises(ConfigError) as refused:
        make_app(**{name: value})
    line = str(refused.value)
    assert "hun" not in line and "ter2" not in line
    assert line.startswith(f"TICKETDESK_{name}=") and ":***@" in line and "\n" not in line


def test_reset_minutes_are_shown_since_they_are_no_secret(make_app):
    with pytest.raises(ConfigError, match="^TICKETDESK_PASSWORD_RESET_MINUTES='0' is not valid"):
        make_app(PASSWORD_RESET_MINUTES="0")


def test_workable_forms_are_still_accepted(make_app):
    app = make_app(
        CORS_ORIGINS='["https://portal.example:8443", "http://localhost:3000", "*"]',
        BASE_URL="https://help.example.com/desk/",
        MAIL_FROM='"Smith, John" <support@example.com>',
        RATELIMIT_STORAGE_URL="redis://:p%40ss@cache:6379/0",
        SMTP_HOST="",
        IMAP_HOST="[::1]",
        MAIL_KEEP_SENT_DAYS="3650",
        SMTP_TIMEOUT="0.5",
    )
    assert app.config["CORS_ORIGINS"][0] == "https://portal.example:8443"


def test_settings_passed_as_a_mapping_are_checked_too(tmp_path):
    database = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    with pytest.raises(ConfigError, match="^BCRYPT_ROUNDS='abc' is not valid"):
        create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database, "BCRYPT_ROUNDS": "abc"})
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database, "IMAP_TLS": "off"})
    assert app.config["IMAP_TLS"] is False


def test_a_mapping_overrides_a_bad_environment_value(make_app, monkeypatch, tmp_path):
    monkeypatch.setenv("TICKETDESK_LMTP_PORT", "abc")
    database = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database, "LMTP_PORT": 8024})
    assert app.config["LMTP_PORT"] == 8024


def ticketdesk(*args: str, environ: dict[str, str]) -> subprocess.CompletedProcess:
    """The console script, as an operator runs it."""
    script = Path(sys.executable).with_name("ticketdesk")
    return subprocess.run(
        [str(script), *args],
        env={**os.environ, **environ},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("command", [["init"], ["lmtp"], ["serve", "--port", "8951"], ["--help"]])
def test_the_command_refuses_a_bad_setting_in_one_line(tmp_path, command):
    environ = {"TICKETDESK_INSTANCE_PATH": str(tmp_path), "TICKETDESK_LMTP_PORT": "abc"}
    result = ticketdesk(*command, environ=environ)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "Error: TICKETDESK_LMTP_PORT='abc' is not valid: expected a port number from 1 to 65535."
    )
