"""Configuration: the only place that reads the environment (and ``.env``).

Variables are those of the specification's "Environment Configuration":
``DB_HOST``, ``DB_PORT``, ``DB_NAME``, ``DB_USER``, ``DB_PASSWORD``, ``DB_SSL``,
``DB_POOL_MIN``, ``DB_POOL_MAX``, ``DB_POOL_IDLE_TIMEOUT`` (milliseconds),
``BACKUP_SCHEDULE`` (cron) and ``BACKUP_RETENTION_DAYS``, plus ``DATABASE_URL``
as an alternative to the ``DB_*`` connection set, ``RETENTION_OVERRIDES``
(``kind=days,kind=days``: retention periods that win over retention_policies),
the field-encryption keys (see ``ikenei.security.encryption``): ``PII_ENCRYPTION_KEY``
(the current key, ``<key_id>:<base64 of 32 bytes>``) and
``PII_ENCRYPTION_OLD_KEYS`` (a comma list of older keys still readable),
``SUBJECT_REFERENCE_SALT`` (the secret that turns an email into the reference
data_processing_log keeps for an exported or erased person), and
``DB_APP_ROLE``: the role ``Database.connect`` makes every pooled connection
work as, so that row-level security keeps organizations apart (``ikenei_app``,
made by the migrations; unset: the login role itself).

Which server is used:

1. ``DATABASE_URL`` if set (used as given, its own ``sslmode`` included);
2. else ``DB_HOST`` with the other ``DB_*`` parts;
3. else the embedded server under ``.ikenei/``, started by ``ikenei.embedded.started``
   (never by reading the settings).

Secrets (``DB_PASSWORD``, ``DATABASE_URL``, the encryption keys, the salt) never appear
in ``repr``, ``str``, ``target`` or an error message; only ``dsn()`` spells the
password out, because a driver needs it to connect. Whether a key is required
is decided where it is used (``Database.connect``): the embedded server can do
without one, any other server cannot.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from croniter import croniter
from pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ikenei.config.key_format import parse_key, parse_key_list
from ikenei.errors import ConfigError, ConnectionFailed

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
_SSL_WORDS = {
    "false": "disable",
    "no": "disable",
    "off": "disable",
    "0": "disable",
    "true": "require",
    "yes": "require",
    "on": "require",
    "1": "require",
}
_SECRET_FIELDS = frozenset(
    {
        "db_password",
        "database_url",
        "pii_encryption_key",
        "pii_encryption_old_keys",
        "subject_reference_salt",
        "backup_encryption_key",
        "backup_encryption_old_keys",
        "monitor_webhook_url",
    }
)
_URL_SCHEMES = ("postgres", "postgresql")
# PostgreSQL silently truncates longer identifiers, so a longer name would
# create a database other than the one asked for.
_MAX_IDENTIFIER_BYTES = 63
EMBEDDED_DESCRIPTION = "embedded server (.ikenei/)"
#: The kinds of retention_policies (seeded by their migration); RETENTION_OVERRIDES names only these.
RETENTION_KINDS = (
    "analytics_events",
    "audit_log",
    "data_access_log",
    "expired_feedback_invitations",
    "data_processing_log",
    "erased_person_leftovers",
)


class Settings(BaseSettings):
    """Validated configuration; build it with :func:`load_settings`.

    Constructing it with bad values raises :class:`ikenei.errors.ConfigError`
    naming every variable at fault, one line each.
    """

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        validate_default=True,
        frozen=True,
    )

    # The embedded server's URL once started (ikenei.embedded.started): never
    # read from the environment.
    _embedded_url: str | None = PrivateAttr(default=None)

    db_host: str | None = None
    db_port: int = Field(default=5432, ge=1, le=65535)
    db_name: str = "360planner_dev"
    db_user: str = "postgres"
    db_password: SecretStr | None = None
    db_ssl: str = "disable"
    db_pool_min: int = Field(default=2, ge=0)
    db_pool_max: int = Field(default=10, ge=1)
    db_pool_idle_timeout: int = Field(default=30000, ge=0)
    # The role the application's pool works as (see ikenei.db.database): by
    # default ikenei_app, which row-level security binds. With "none" the pool
    # works as DB_USER itself, the tables' owner: maintenance and tests only.
    db_app_role: str | None = "ikenei_app"
    # bcrypt's work factor for new password hashes; stored hashes of another
    # cost are re-hashed at the next successful sign-in. Below 12 is too weak.
    bcrypt_cost: int = Field(default=12, ge=12, le=31)
    backup_schedule: str = "0 2 * * *"
    backup_retention_days: int = Field(default=30, ge=1)
    # The primary backup repository, a directory (relative: to the working
    # directory); the embedded server archives its WAL into <it>/wal.
    backup_repository: Path = Path(".ikenei/backups")
    # Seconds after which the server closes a WAL segment that has changes, so
    # that the archive is never further behind: the data at risk.
    backup_archive_timeout: int = Field(default=60, ge=1, le=86400)
    # An existing server's WAL reaches the repository through
    # `ikenei backup receive-wal` and this physical replication slot; the
    # server keeps WAL for it until it is received, so `ikenei backup status`
    # (and `ikenei monitor check`) flag a slot that holds more than this.
    backup_slot_name: str = "ikenei_backup"
    backup_slot_max_retained_mb: int = Field(default=1024, ge=1)
    # The off-site repository: s3://bucket/prefix (any S3-compatible store;
    # BACKUP_REMOTE_ENDPOINT for one that is not AWS). Encrypted with
    # BACKUP_ENCRYPTION_KEY, PII_ENCRYPTION_KEY's format and rotation rules.
    backup_remote_url: str | None = None
    backup_remote_endpoint: str | None = None
    backup_encryption_key: SecretStr | None = None
    backup_encryption_old_keys: SecretStr | None = None
    database_url: SecretStr | None = None
    # RETENTION_OVERRIDES=kind=days,kind=days: periods that win over
    # retention_policies for `ikenei retention run` (NoDecode: not JSON).
    retention_overrides: Annotated[dict[str, int], NoDecode] = Field(default_factory=dict)
    # <key_id>:<base64 of 32 bytes>; the old keys a comma list of those.
    pii_encryption_key: SecretStr | None = None
    pii_encryption_old_keys: SecretStr | None = None
    # The secret of ikenei.repositories.privacy.subject_reference (see ikenei.privacy.gdpr):
    # it must stay the same for the life of the database, or an erased person
    # can no longer be recognised. At least 16 characters.
    subject_reference_salt: SecretStr | None = None
    # `ikenei monitor` (ikenei.monitoring): alert thresholds, the advisor's
    # bounds and the webhook alerts are POSTed to (a secret: it may carry a token).
    monitor_regression_factor: float = Field(default=2.0, gt=1)
    monitor_regression_min_calls: int = Field(default=50, ge=1)
    monitor_pool_max_utilization: float = Field(default=90.0, gt=0, le=100)
    monitor_cache_hit_min: float = Field(default=99.0, ge=0, le=100)
    monitor_growth_max_mb_per_day: float = Field(default=1024.0, gt=0)
    monitor_unused_index_min_mb: float = Field(default=10.0, ge=0)
    monitor_xid_headroom_min: int = Field(default=1_000_000_000, ge=0)
    monitor_large_table_rows: int = Field(default=10_000, ge=1)
    monitor_advisor_min_rows: int = Field(default=500, ge=0)
    monitor_advisor_max_table_mb: int = Field(default=1024, ge=1)
    monitor_webhook_url: SecretStr | None = None

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise ConfigError(_describe(exc)) from None

    # -- validation -----------------------------------------------------------

    @field_validator("db_host", mode="before")
    @classmethod
    def _blank_host_is_none(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @field_validator("db_app_role", mode="before")
    @classmethod
    def _blank_role_is_none(cls, value: Any) -> Any:
        # DB_APP_ROLE=none: the login role itself (an empty variable is ignored).
        if isinstance(value, str):
            value = value.strip()
            return None if value.lower() in ("", "none") else value
        return value

    @field_validator("db_name", "db_user", "db_app_role")
    @classmethod
    def _identifier(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value:
            raise ValueError("must not be empty")
        if len(value.encode()) > _MAX_IDENTIFIER_BYTES:
            raise ValueError(f"longer than PostgreSQL's {_MAX_IDENTIFIER_BYTES}-byte limit")
        return value

    @field_validator("db_ssl", mode="before")
    @classmethod
    def _ssl_mode(cls, value: Any) -> str:
        if isinstance(value, bool):
            return "require" if value else "disable"
        text = str(value).strip().lower()
        mode = _SSL_WORDS.get(text, text)
        if mode not in SSL_MODES:
            raise ValueError(
                f"unknown SSL mode {str(value)!r}; use true/false, yes/no, 1/0 "
                f"or one of {', '.join(SSL_MODES)}"
            )
        return mode

    @field_validator("backup_schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        value = " ".join(value.split())
        if not croniter.is_valid(value):
            raise ValueError(f"not a valid cron expression: {value!r}")
        return value

    @field_validator("backup_slot_name")
    @classmethod
    def _slot_name(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9_]{1,63}", value):
            raise ValueError(
                "a replication slot name: lower-case letters, digits and _ (at most 63)"
            )
        return value

    @field_validator("backup_repository", mode="before")
    @classmethod
    def _repository(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("backup_remote_url", "backup_remote_endpoint", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @field_validator("backup_remote_url")
    @classmethod
    def _remote_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme != "s3" or not parts.netloc or "@" in parts.netloc:
            raise ValueError(
                "must be s3://bucket/prefix (credentials come from AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY, never from the URL)"
            )
        if parts.query or parts.fragment:
            raise ValueError("must be s3://bucket/prefix, without ? or #")
        return value.rstrip("/")

    @field_validator("backup_remote_endpoint")
    @classmethod
    def _remote_endpoint(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
            raise ValueError("must be an http:// or https:// URL of the S3-compatible store")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        text = value.get_secret_value().strip()
        if not text:
            return None
        try:
            parts = urlsplit(text)
        except ValueError:
            raise ValueError("is not a valid URL") from None
        if parts.scheme not in _URL_SCHEMES:
            raise ValueError("must be a postgresql:// (or postgres://) URL")
        try:
            parts.port  # noqa: B018 - raises on a non-numeric port
        except ValueError:
            raise ValueError("has an invalid port") from None
        return SecretStr(text)

    @field_validator("retention_overrides", mode="before")
    @classmethod
    def _retention_overrides(cls, value: Any) -> dict[str, int]:
        return parse_retention_overrides(value)

    @field_validator("pii_encryption_key", "backup_encryption_key")
    @classmethod
    def _pii_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        parse_key(value.get_secret_value())
        return SecretStr(value.get_secret_value().strip())

    @field_validator("subject_reference_salt")
    @classmethod
    def _salt(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if len(value.get_secret_value().strip()) < 16:
            raise ValueError("must be at least 16 characters (a random secret)")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("pii_encryption_old_keys", "backup_encryption_old_keys")
    @classmethod
    def _pii_old_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not parse_key_list(value.get_secret_value()):
            return None
        return value

    @model_validator(mode="after")
    def _pii_key_ids_differ(self) -> Settings:
        current = self.pii_current_key()
        if current is not None and any(key_id == current[0] for key_id, _ in self.pii_old_keys()):
            raise ValueError(
                f"PII_ENCRYPTION_OLD_KEYS: key id {current[0]!r} is the current key "
                "(PII_ENCRYPTION_KEY) too; an old key needs an id of its own"
            )
        return self

    @model_validator(mode="after")
    def _remote_needs_key(self) -> Settings:
        if self.backup_remote_url is not None and self.backup_encryption_key is None:
            raise ValueError(
                "BACKUP_REMOTE_URL needs BACKUP_ENCRYPTION_KEY: backups hold every "
                "person's data and leave the machine only encrypted"
            )
        current = self.backup_current_key()
        if current is not None and any(k == current[0] for k, _ in self.backup_old_keys()):
            raise ValueError(
                f"BACKUP_ENCRYPTION_OLD_KEYS: key id {current[0]!r} is the current key "
                "(BACKUP_ENCRYPTION_KEY) too; an old key needs an id of its own"
            )
        return self

    @model_validator(mode="after")
    def _pool_bounds(self) -> Settings:
        if self.db_pool_min > self.db_pool_max:
            raise ValueError(
                f"DB_POOL_MIN ({self.db_pool_min}) must not exceed "
                f"DB_POOL_MAX ({self.db_pool_max})"
            )
        return self

    # -- what callers use -----------------------------------------------------

    @property
    def uses_embedded(self) -> bool:
        """True when neither ``DB_HOST`` nor ``DATABASE_URL`` is set."""
        return self.db_host is None and self.database_url is None

    @property
    def database(self) -> str:
        """Name of the configured database."""
        if self.database_url is not None:
            return _url_database(self.database_url.get_secret_value())
        return self.db_name

    @property
    def server(self) -> str:
        """Where the server is, without any secret: ``host:port`` or the embedded one."""
        if self.database_url is not None:
            return _url_server(self.database_url.get_secret_value())
        if self.db_host is not None:
            return f"{self.db_host}:{self.db_port}"
        return EMBEDDED_DESCRIPTION

    @property
    def target(self) -> str:
        """Short description of the configured database, never with a secret."""
        if self.uses_embedded:
            return f"{EMBEDDED_DESCRIPTION} /{self.database}"
        return f"{self.server}/{self.database}"

    @property
    def pool_idle_seconds(self) -> float:
        """``DB_POOL_IDLE_TIMEOUT`` in seconds, as asyncpg's pool expects."""
        return self.db_pool_idle_timeout / 1000.0

    def dsn(self, database: str | None = None, *, include_password: bool = True) -> str:
        """A libpq URL that asyncpg and psycopg both accept.

        ``database`` replaces the configured database name (for instance
        ``"postgres"`` to reach the maintenance database). ``include_password=False``
        gives a URL fit to show a person.

        Reading settings never starts a server: for the embedded server this
        needs the settings ``ikenei.embedded.started(settings)`` returns
        (``ConnectionFailed`` otherwise); ``Database.connect`` and the
        ``ikenei`` commands take that step themselves.
        """
        if self.database_url is not None:
            return _replace_database(
                self.database_url.get_secret_value(), database, include_password
            )
        name = database or self.db_name
        if self.db_host is not None:
            return self._parts_dsn(name, include_password)
        if self._embedded_url is None:
            raise ConnectionFailed(
                f"{EMBEDDED_DESCRIPTION}: not started by this process; start it with "
                "ikenei.embedded.started(settings) (or `make db-start`)"
            )
        return _replace_database(self._embedded_url, name, include_password)

    def with_embedded_server(self, url: str) -> Settings:
        """These settings, reaching the embedded server at ``url`` (as ``ikenei.embedded`` gives it)."""
        started = self.model_copy()
        started._embedded_url = url
        return started

    def _parts_dsn(self, database: str, include_password: bool) -> str:
        userinfo = quote(self.db_user, safe="")
        if include_password and self.db_password is not None:
            userinfo += ":" + quote(self.db_password.get_secret_value(), safe="")
        query: dict[str, str] = {}
        host = self.db_host or ""
        if host.startswith("/"):
            # A directory: libpq's Unix-socket form, which cannot sit in the netloc.
            netloc = f"{userinfo}@"
            query["host"] = host
            query["port"] = str(self.db_port)
        else:
            if ":" in host and not host.startswith("["):
                host = f"[{host}]"  # IPv6 literal
            netloc = f"{userinfo}@{host}:{self.db_port}"
        query["sslmode"] = self.db_ssl
        path = "/" + quote(database, safe="")
        return urlunsplit(("postgresql", netloc, path, urlencode(query, safe="/"), ""))

    def pii_current_key(self) -> tuple[str, bytes] | None:
        """``(key_id, key)`` of ``PII_ENCRYPTION_KEY``, or None when it is not set."""
        if self.pii_encryption_key is None:
            return None
        return parse_key(self.pii_encryption_key.get_secret_value())

    def pii_old_keys(self) -> list[tuple[str, bytes]]:
        """``(key_id, key)`` of each of ``PII_ENCRYPTION_OLD_KEYS``."""
        if self.pii_encryption_old_keys is None:
            return []
        return parse_key_list(self.pii_encryption_old_keys.get_secret_value())

    @property
    def backup_repository_path(self) -> Path:
        """``BACKUP_REPOSITORY`` as an absolute path."""
        return Path(self.backup_repository).expanduser().resolve()

    def backup_current_key(self) -> tuple[str, bytes] | None:
        """``(key_id, key)`` of ``BACKUP_ENCRYPTION_KEY``, or None when it is not set."""
        if self.backup_encryption_key is None:
            return None
        return parse_key(self.backup_encryption_key.get_secret_value())

    def backup_old_keys(self) -> list[tuple[str, bytes]]:
        """``(key_id, key)`` of each of ``BACKUP_ENCRYPTION_OLD_KEYS``."""
        if self.backup_encryption_old_keys is None:
            return []
        return parse_key_list(self.backup_encryption_old_keys.get_secret_value())

    def __str__(self) -> str:
        return f"Settings({self.target})"


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and ``.env``; ``overrides`` (by field name) win.

    Raises :class:`ikenei.errors.ConfigError` with one line per invalid variable.
    """
    unknown = sorted(set(overrides) - set(Settings.model_fields))
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(unknown)}")
    return Settings(**overrides)


# -- helpers ------------------------------------------------------------------


def parse_retention_overrides(value: Any) -> dict[str, int]:
    """``{kind: days}`` from ``"kind=days,kind=days"`` (or a mapping); ValueError saying what is wrong."""
    if value is None:
        return {}
    if isinstance(value, str):
        pairs = []
        for item in value.split(","):
            if not item.strip():
                continue
            kind, sep, days = item.partition("=")
            if not sep:
                raise ValueError(f"{item.strip()!r} is not kind=days")
            pairs.append((kind.strip(), days.strip()))
    elif isinstance(value, dict):
        pairs = list(value.items())
    else:
        # pydantic reports a ValueError as a validation error, a TypeError not.
        raise ValueError("must be kind=days,kind=days")  # noqa: TRY004
    overrides: dict[str, int] = {}
    for kind, days in pairs:
        if kind not in RETENTION_KINDS:
            raise ValueError(f"unknown retention kind {kind!r}; known: {', '.join(RETENTION_KINDS)}")
        if kind in overrides:
            raise ValueError(f"retention kind {kind!r} is given twice")
        text = str(days).strip()
        if isinstance(days, bool) or not (text.isascii() and text.isdigit()) or int(text) <= 0:
            raise ValueError(f"{kind}: the period must be a positive whole number of days, not {days!r}")
        overrides[kind] = int(text)
    return overrides


def _describe(exc: ValidationError) -> str:
    """One short line per problem, each naming the environment variable."""
    lines = []
    for error in exc.errors(include_url=False):
        loc = error.get("loc") or ()
        field = str(loc[0]) if loc else ""
        message = str(error.get("msg", "is invalid"))
        for prefix in ("Value error, ", "Assertion failed, "):
            message = message.removeprefix(prefix)
        message = message.replace("Input should be", "must be")
        if not field:
            lines.append(message)
            continue
        line = f"{field.upper()}: {message}"
        if field not in _SECRET_FIELDS and "input" in error and error["type"] != "value_error":
            line += f" (got {error['input']!r})"
        lines.append(line)
    return "invalid configuration: " + "; ".join(lines) if len(lines) == 1 else (
        "invalid configuration:\n  " + "\n  ".join(lines)
    )


def _url_database(url: str) -> str:
    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    if name:
        return name
    query = parse_qs(parts.query)
    if query.get("dbname"):
        return query["dbname"][0]
    # libpq's default: the database named after the user.
    return unquote(parts.username or "") or query.get("user", ["postgres"])[0]


def _url_server(url: str) -> str:
    parts = urlsplit(url)
    hostport = parts.netloc.rpartition("@")[2]
    if not hostport:
        query = parse_qs(parts.query)
        host = query.get("host", ["localhost"])[0]
        port = query.get("port", ["5432"])[0]
        return f"{host}:{port}"
    if parts.port is None and "," not in hostport:
        return f"{hostport}:5432"
    return hostport


def _replace_database(url: str, database: str | None, include_password: bool) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc
    if not include_password:
        userinfo, at, hostport = netloc.rpartition("@")
        if at:
            netloc = userinfo.partition(":")[0] + "@" + hostport
    query = parts.query
    if not include_password and "password=" in query:
        pairs = [(k, v) for k, v in _query_pairs(query) if k != "password"]
        query = urlencode(pairs, safe="/")
    path = parts.path
    if database is not None:
        path = "/" + quote(database, safe="")
        pairs = _query_pairs(query)
        if any(k == "dbname" for k, _ in pairs):
            query = urlencode([(k, v) for k, v in pairs if k != "dbname"], safe="/")
    return urlunsplit(("postgresql", netloc, path, query, parts.fragment))


def _query_pairs(query: str) -> list[tuple[str, str]]:
    return parse_qsl(query, keep_blank_values=True)
