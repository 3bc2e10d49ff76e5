"""Each setting's type and form, as data: `config.load_config` checks and converts them
all once, so a bad value stops the app at start-up with one line, not a traceback later.

`description` is the form an operator reads in that line ("expected …").
"""

from __future__ import annotations

import re
from email.utils import getaddresses
from typing import Annotated, Any, Literal
from urllib.parse import SplitResult, urlsplit

from limits import parse_many
from limits.storage import SCHEMES
from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _address(value: str) -> str:
    """`local@domain`, with nothing around it: one `@`, no empty part of the domain."""
    local, at, domain = value.partition("@")
    if (
        not at
        or not local
        or "@" in domain
        or "" in domain.split(".")
        or re.search(r"[\s<>,;:()\[\]\\\"]", value)
    ):
        raise ValueError("not an address")
    return value


def _named_address(value: str) -> str:
    """`local@domain`, or `Name <local@domain>`: one address, nothing after it."""
    found = getaddresses([value])
    if len(found) != 1:
        raise ValueError("not one address")
    _address(found[0][1])
    if "<" in value and not value.rstrip().endswith(">"):
        raise ValueError("text after the address")
    if "<" not in value and found[0][1] != value.strip():
        raise ValueError("not an address")
    return value


def _url(value: str) -> SplitResult:
    """The URL's parts, with its port read (ValueError when it is not a port)."""
    parts = urlsplit(value)
    parts.port  # noqa: B018 -- urllib checks the port only when it is read
    return parts


def _web_address(value: str) -> str:
    parts = _url(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("not an http(s) address")
    return value


def _base_url(value: str) -> str:
    """An http(s) address that every mailed link starts with: no query, fragment or
    credentials, which would end up in (or break) each link."""
    parts = urlsplit(_web_address(value))
    if "?" in value or "#" in value or parts.username is not None:
        raise ValueError("a query, fragment or credentials")
    return value


def _origin(value: str) -> str:
    """`*`, or what a browser sends as Origin: scheme, host and port, nothing else."""
    if value == "*":
        return value
    parts = _url(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or value != f"{parts.scheme}://{parts.netloc}"
    ):
        raise ValueError("not an origin")
    return value


def _limit(value: str) -> str:
    parse_many(value)  # ValueError on anything Flask-Limiter could not read
    return value


def _storage_url(value: str) -> str:
    parts = _url(value)
    if parts.scheme not in SCHEMES:
        raise ValueError("unknown storage")
    if parts.scheme in ("redis", "rediss") and not re.fullmatch(r"/?\d*", parts.path):
        raise ValueError("not a database number")  # redis-py reads the path as one
    return value


# Upper bounds an operator never needs to pass: past them a value is a typo, and some
# (a date ten thousand years away, an infinite wait) would only fail later, at run time.
TEN_YEARS_DAYS = 3650
TEN_YEARS_SECONDS = TEN_YEARS_DAYS * 24 * 3600
DAY_SECONDS = 24 * 3600
HOUR_SECONDS = 3600
TIB = 1024**4

Flag = Annotated[bool, Field(description="true or false (or yes/no, on/off, 1/0)")]
Port = Annotated[int, Field(ge=1, le=65535, description="a port number from 1 to 65535")]
Bytes = Annotated[
    int, Field(ge=1, le=TIB, description=f"a number of bytes from 1 to {TIB} (1 TiB)")
]
Count = Annotated[int, Field(ge=1, le=1000, description="a whole number from 1 to 1000")]
Seconds = Annotated[
    int,
    Field(
        ge=0,
        le=TEN_YEARS_SECONDS,
        description=f"a whole number of seconds from 0 to {TEN_YEARS_SECONDS} (10 years)",
    ),
]
DaySeconds = Annotated[
    int,
    Field(
        ge=1,
        le=DAY_SECONDS,
        description=f"a whole number of seconds from 1 to {DAY_SECONDS} (a day)",
    ),
]
Text = Annotated[str, Field(min_length=1, description="a non-empty text")]
Host = Annotated[
    str, Field(pattern=r"^[^\s/@]+$", description="a host name or address: mail.example.com")
]
# Left empty, the service it names is off.
OptionalHost = Annotated[
    Annotated[str, Field(pattern=r"^([^\s/@]+)?$")] | None,
    Field(description="a host name or address: mail.example.com"),
]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", description="a queue slug")]
Address = Annotated[str, AfterValidator(_address), Field(description="an address: name@domain")]
NamedAddress = Annotated[
    str,
    AfterValidator(_named_address),
    Field(description="an address, alone or with a name: Support <support@example.com>"),
]
Limit = Annotated[str, AfterValidator(_limit), Field(description="a limit: 10 per minute")]


class Settings(BaseModel):
    """Every setting the app reads; `None` where a setting may be left out."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    # Checked as it is resolved (config._check_database_url).
    DATABASE_URL: Annotated[
        str | None,
        Field(description="sqlite:///path/file.sqlite3 or postgresql://user@host/database"),
    ] = None
    # Set, it is the same on every app server: empty would have each make its own.
    SECRET_KEY: Text | None = None
    BCRYPT_ROUNDS: Annotated[int, Field(ge=4, le=31, description="a whole number 4 to 31")]
    REGISTRATION_ENABLED: Flag
    DEFAULT_QUEUE_SLUG: Slug
    MAX_CONTENT_LENGTH: Bytes
    ATTACHMENT_MAX_FILE_SIZE: Bytes
    ATTACHMENT_MAX_FILES: Count
    ATTACHMENT_MAX_TICKET_TOTAL: Bytes
    ATTACHMENT_ORPHAN_SECONDS: Seconds
    ATTACHMENT_SWEEP_SECONDS: Seconds
    ATTACHMENT_STORAGE: Annotated[Literal["local", "s3"], Field(description="local or s3")]
    ATTACHMENT_DIR: str | None = None
    S3_BUCKET: str | None = None
    S3_PREFIX: str
    S3_ENDPOINT_URL: Annotated[
        Annotated[str, AfterValidator(_web_address)] | None,
        Field(description="an address with its scheme: https://s3.example.com"),
    ] = None
    S3_REGION: str | None = None
    S3_ACCESS_KEY_ID: str | None = None
    S3_SECRET_ACCESS_KEY: str | None = None
    BASE_URL: Annotated[
        str,
        AfterValidator(_base_url),
        Field(
            description="an address with its scheme, without query, fragment or credentials: "
            "https://help.example.com"
        ),
    ]
    PASSWORD_RESET_MINUTES: Annotated[
        int,
        Field(
            ge=1,
            le=TEN_YEARS_SECONDS // 60,
            description=f"a whole number of minutes from 1 to {TEN_YEARS_SECONDS // 60} (10 years)",
        ),
    ]
    WELCOME_LINK_HOURS: Annotated[
        int,
        Field(
            ge=1,
            le=TEN_YEARS_DAYS * 24,
            description=f"a whole number of hours from 1 to {TEN_YEARS_DAYS * 24} (10 years)",
        ),
    ]
    FILE_LINK_DAYS: Annotated[
        int,
        Field(
            ge=1,
            le=TEN_YEARS_DAYS,
            description=f"a whole number of days from 1 to {TEN_YEARS_DAYS} (10 years)",
        ),
    ]
    CORS_ORIGINS: Annotated[
        list[Annotated[str, AfterValidator(_origin)]],
        Field(
            description="a JSON list of origins, each https://host[:port] with nothing after: "
            '["https://portal.example.com"]'
        ),
    ]
    TRUSTED_PROXIES: Annotated[int, Field(ge=0, le=10, description="a whole number 0 to 10")]
    RATELIMIT_STORAGE_URL: Annotated[
        str,
        AfterValidator(_storage_url),
        Field(description="memory:// or redis://host:6379/0"),
    ]
    RATELIMIT_ENABLED: Flag
    RATELIMIT_SIGN_IN: Limit
    RATELIMIT_SIGN_UP: Limit
    RATELIMIT_API: Limit
    TOKEN_TOUCH_INTERVAL: Seconds
    DATABASE_PREPARED_STATEMENTS: Flag
    SESSION_COOKIE_SECURE: Flag = False
    MAIL_FROM: NamedAddress
    MAIL_REPLY_ADDRESS: Address
    SMTP_HOST: OptionalHost = None
    SMTP_PORT: Port
    SMTP_STARTTLS: Flag
    SMTP_TLS: Flag
    SMTP_USER: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_TIMEOUT: Annotated[
        float,
        Field(
            gt=0,
            le=HOUR_SECONDS,
            allow_inf_nan=False,
            description=f"a number of seconds above 0, up to {HOUR_SECONDS} (an hour)",
        ),
    ]
    SMTP_CA_FILE: str | None = None
    MAIL_OUTBOX_DIR: str | None = None
    # The wait doubles from MAIL_RETRY_BASE_SECONDS on each attempt (outbox.MAX_BACKOFF
    # caps it): a day times 2**29 is still a time Python can hold.
    MAIL_MAX_ATTEMPTS: Annotated[int, Field(ge=1, le=30, description="a whole number 1 to 30")]
    MAIL_RETRY_BASE_SECONDS: DaySeconds
    MAIL_CLAIM_SECONDS: DaySeconds
    MAIL_KEEP_SENT_DAYS: Annotated[
        float,
        Field(
            gt=0,
            le=TEN_YEARS_DAYS,
            allow_inf_nan=False,
            description=f"a number of days above 0, up to {TEN_YEARS_DAYS} (10 years)",
        ),
    ]
    MAIL_NOTIFY_STAFF_ON_NEW_TICKET: Flag
    MAIL_STAFF_ADDRESSES: Annotated[
        dict[Annotated[str, Field(pattern=r"^(\*|[a-z0-9]+(-[a-z0-9]+)*)$")], list[NamedAddress]],
        Field(description='a JSON object, queue slug or * to a list: {"*": ["team@example.com"]}'),
    ]
    MAIL_QUEUE_ADDRESSES: Annotated[
        dict[Address, Slug],
        Field(description='a JSON object, address to queue slug: {"sales@example.com": "sales"}'),
    ]
    MAIL_AUTO_CREATE_CUSTOMERS: Flag
    MAIL_STRANGER_REPLY: Annotated[
        Literal["new_ticket", "reject"], Field(description="new_ticket or reject")
    ]
    MAIL_MAX_MESSAGE_BYTES: Bytes
    IMAP_HOST: OptionalHost = None
    IMAP_PORT: Port
    IMAP_TLS: Flag
    IMAP_USER: str | None = None
    IMAP_PASSWORD: str | None = None
    IMAP_FOLDER: Text
    IMAP_POLL_SECONDS: DaySeconds
    LMTP_HOST: Host
    LMTP_PORT: Port


# Not PASSWORD_RESET_MINUTES, which is no secret and whose value a fix needs shown.
SECRET = re.compile(r"(SECRET|PASSWORD)(_KEY|_ACCESS_KEY)?$")


def is_container(name: str) -> bool:
    """Whether a setting holds a list or a mapping: written as JSON in the environment."""
    annotation: Any = Settings.model_fields[name].annotation
    return getattr(annotation, "__origin__", None) in (list, dict)
