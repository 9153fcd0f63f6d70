"""Configuration: every ``SDSI_*`` environment variable is read here, and only here."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from domain.errors import InvalidValue
from domain.localtime import DEFAULT_TIMEZONE, zone
from domain.publication import published_fields
from ledger.directory_config import (
    LdapSettings,
    OidcSettings,
    ldap_settings,
    oidc_settings,
)
from ledger.errors import ConfigError
from ledger.mail_config import MailSettings, mail_settings
from ledger.witness_config import WitnessConfig, witnesses_settings

DEFAULT_DATA_DIR = "./sdsi-data"
DEFAULT_LEDGER_ORIGIN = "sdsi-ledger.local/ledger"
_SCHEMA_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


@dataclass(frozen=True)
class DatabaseConfig:
    """Where the ledger lives: an embedded SQLite file or a PostgreSQL database."""

    kind: str  # "sqlite" or "postgres"
    sqlite_path: Path | None = None
    host: str = ""
    port: int = 5432
    user: str = ""
    password: str = ""
    dbname: str = ""
    schema: str = "public"
    pool_size: int = 5
    max_overflow: int = 10
    lock_timeout: int = 5

    @property
    def is_postgres(self) -> bool:
        return self.kind == "postgres"

    def describe(self) -> str:
        """A printable location without the password."""
        if self.kind == "sqlite":
            return f"sqlite:///{self.sqlite_path}"
        schema = "" if self.schema == "public" else f"?schema={self.schema}"
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}{schema}"

    def eventsourcing_env(self, *, create_table: bool) -> dict[str, str]:
        """The environment the ``eventsourcing`` library reads for this database."""
        env = {
            "CREATE_TABLE": "y" if create_table else "n",
            "AGGREGATE_CACHE_MAXSIZE": "2000",
        }
        if self.kind == "sqlite":
            assert self.sqlite_path is not None
            env.update(
                PERSISTENCE_MODULE="eventsourcing.sqlite",
                SQLITE_DBNAME=str(self.sqlite_path),
                SQLITE_LOCK_TIMEOUT="10",
                APPLICATION_RECORDER_TOPIC="ledger.storage:SQLiteLedgerRecorder",
            )
        else:
            env.update(
                PERSISTENCE_MODULE="eventsourcing.postgres",
                POSTGRES_DBNAME=self.dbname,
                POSTGRES_HOST=self.host,
                POSTGRES_PORT=str(self.port),
                POSTGRES_USER=self.user,
                POSTGRES_PASSWORD=self.password,
                POSTGRES_SCHEMA=self.schema,
                POSTGRES_POOL_SIZE=str(self.pool_size),
                POSTGRES_MAX_OVERFLOW=str(self.max_overflow),
                POSTGRES_LOCK_TIMEOUT=str(self.lock_timeout),
                # How long a request waits for a pooled connection: during an outage the
                # pool has none, and a 503 should come in seconds, not tens of them.
                POSTGRES_CONNECT_TIMEOUT="3",
                # No ping per checkout: it costs a round trip on every query, and the
                # library (and LedgerStorage) retry a query whose connection dropped.
                POSTGRES_PRE_PING="n",
                # Never POSTGRES_ENABLE_DB_FUNCTIONS: its insert skips the table lock
                # and followers would miss events committed out of order.
                POSTGRES_ENABLE_DB_FUNCTIONS="n",
                APPLICATION_RECORDER_TOPIC="ledger.storage:PostgresLedgerRecorder",
            )
        return env

    def libpq_kwargs(self) -> dict[str, object]:
        """Keyword arguments for ``psycopg.connect``."""
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "dbname": self.dbname,
            "connect_timeout": 5,
        }


def parse_database_url(url: str, data_dir: Path) -> DatabaseConfig:
    """Parse ``sqlite:///PATH`` or ``postgresql://user:pass@host:port/db``."""
    if not url:
        return DatabaseConfig(kind="sqlite", sqlite_path=data_dir / "ledger.db")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise ConfigError(f"SDSI_DATABASE_URL is not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        path = unquote(parts.path)
        if parts.netloc or not path.startswith("/") or path == "/":
            raise ConfigError(
                "SDSI_DATABASE_URL: a SQLite URL is sqlite:///relative/path.db "
                f"or sqlite:////absolute/path.db, not {url!r}"
            )
        if ":memory:" in path or "mode=memory" in url:
            raise ConfigError(
                "SDSI_DATABASE_URL: in-memory SQLite is not supported "
                "(each connection would see its own empty database); use a file"
            )
        return DatabaseConfig(kind="sqlite", sqlite_path=Path(path[1:]))
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return _parse_postgres(parts, url)
    raise ConfigError(
        f"SDSI_DATABASE_URL: unsupported scheme {parts.scheme!r} "
        "(expected sqlite:///PATH or postgresql://user:pass@host:port/db)"
    )


def _parse_postgres(parts, url: str) -> DatabaseConfig:  # type: ignore[no-untyped-def]
    dbname = unquote(parts.path.lstrip("/"))
    if not dbname:
        raise ConfigError(
            "SDSI_DATABASE_URL: the PostgreSQL URL names no database "
            "(postgresql://user:pass@host:port/DATABASE)"
        )
    try:
        port = parts.port or 5432
    except ValueError:
        raise ConfigError(f"SDSI_DATABASE_URL: invalid port in {url!r}") from None
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    schema = query.pop("schema", "public")
    if not schema or not set(schema) <= _SCHEMA_CHARS:
        raise ConfigError(
            f"SDSI_DATABASE_URL: schema {schema!r} must be lower-case letters, "
            "digits and underscores"
        )
    ints: dict[str, int] = {}
    for name, default in (("pool_size", 5), ("max_overflow", 10), ("lock_timeout", 5)):
        raw = query.pop(name, str(default))
        if not raw.isdigit():
            raise ConfigError(
                f"SDSI_DATABASE_URL: {name} must be an integer, not {raw!r}"
            )
        ints[name] = int(raw)
    if query:
        raise ConfigError(
            "SDSI_DATABASE_URL: unknown parameter(s) "
            + ", ".join(sorted(query))
            + " (known: schema, pool_size, max_overflow, lock_timeout)"
        )
    return DatabaseConfig(
        kind="postgres",
        host=parts.hostname or "127.0.0.1",
        port=port,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or ""),
        dbname=dbname,
        schema=schema,
        **ints,
    )


@dataclass(frozen=True)
class Settings:
    """All settings of one deployment, from ``SDSI_*`` environment variables."""

    data_dir: Path
    database: DatabaseConfig
    secret_key: str | None = None
    signing_key_path: Path | None = None
    redis_url: str | None = None
    https: bool = False  # served over HTTPS (behind a TLS proxy): Secure cookies, HSTS
    password_hashing: str = "standard"
    checkpoint_every_events: int = 1000
    checkpoint_every_seconds: int = 3600
    # Size of each web worker's cache of read responses (web.cache); 0 turns it off.
    page_cache_mb: int = 32
    # Name of the log in its signed checkpoints (C2SP origin line and key name).
    ledger_origin: str = DEFAULT_LEDGER_ORIGIN
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed
    # (addresses or CIDR networks, normalised); nobody's by default (web.proxies).
    trusted_proxies: tuple[str, ...] = ()
    # Directory sign-in (ledger.directory_config): off unless configured.
    ldap: LdapSettings | None = None
    oidc: OidcSettings | None = None
    # The municipality's time zone (IANA name): pages and PDFs show local times, a
    # session's day is reckoned in it; storage, machine exports and proofs stay UTC.
    timezone: str = DEFAULT_TIMEZONE
    # Largest attachment accepted, in bytes (SDSI_ATTACHMENT_MAX_BYTES, 20 MB).
    attachment_max_bytes: int = 20 * 1024 * 1024
    # The fields the citizens' pages withhold (domain.publication.FIELDS names).
    public_hidden: frozenset[str] = frozenset()
    # E-mail (ledger.mail_config): the outbox's SMTP server, sender and site URL.
    mail: MailSettings = field(default_factory=MailSettings)
    # The local hour (0-23, in ``timezone``) from which the daily notification digests
    # are queued (``projections.notification_mail``).
    digest_hour: int = 7
    # The witnesses the checkpoints are sent to (SDSI_WITNESSES, ledger.witness_config).
    witnesses: tuple[WitnessConfig, ...] = ()
    # Extra settings for the eventsourcing library (tests inject recorders with it).
    library_env: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the configuration from the environment (``os.environ`` by default)."""
        env = os.environ if environ is None else environ
        data_dir = Path(env.get("SDSI_DATA_DIR") or DEFAULT_DATA_DIR)
        database = parse_database_url(env.get("SDSI_DATABASE_URL", ""), data_dir)
        hashing = env.get("SDSI_PASSWORD_HASHING", "standard")
        if hashing not in ("standard", "fast"):
            raise ConfigError(
                f"SDSI_PASSWORD_HASHING must be 'standard' or 'fast', not {hashing!r}"
            )
        return cls(
            data_dir=data_dir,
            database=database,
            secret_key=env.get("SDSI_SECRET_KEY") or None,
            signing_key_path=Path(env["SDSI_SIGNING_KEY"])
            if env.get("SDSI_SIGNING_KEY")
            else None,
            redis_url=env.get("SDSI_REDIS_URL") or None,
            https=env.get("SDSI_HTTPS", "").lower() in ("1", "true", "yes"),
            password_hashing=hashing,
            checkpoint_every_events=_int(env, "SDSI_CHECKPOINT_EVERY_EVENTS", 1000),
            checkpoint_every_seconds=_int(env, "SDSI_CHECKPOINT_EVERY_SECONDS", 3600),
            page_cache_mb=_int(env, "SDSI_PAGE_CACHE_MB", 32, minimum=0),
            ledger_origin=_origin(
                env.get("SDSI_LEDGER_ORIGIN") or DEFAULT_LEDGER_ORIGIN
            ),
            trusted_proxies=_networks(env.get("SDSI_TRUSTED_PROXIES", "")),
            ldap=ldap_settings(env),
            oidc=oidc_settings(env),
            timezone=_timezone(env.get("SDSI_TIMEZONE") or DEFAULT_TIMEZONE),
            attachment_max_bytes=_int(
                env, "SDSI_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024
            ),
            public_hidden=_hidden(env.get("SDSI_PUBLIC_HIDE", "")),
            mail=mail_settings(env),
            digest_hour=_hour(env, "SDSI_DIGEST_HOUR", 7),
            witnesses=witnesses_settings(env.get("SDSI_WITNESSES", "")),
        )

    @property
    def secret_key_path(self) -> Path:
        return self.data_dir / "secret_key"

    @property
    def signing_key_file(self) -> Path:
        return self.signing_key_path or self.data_dir / "signing_key.pem"

    @property
    def public_key_file(self) -> Path:
        return self.signing_key_file.with_name(self.signing_key_file.stem + ".pub")

    @property
    def attachments_dir(self) -> Path:
        """Where attachments are stored, by SHA-256 (``ledger.attachment_store``)."""
        return self.data_dir / "attachments"

    @property
    def trusted_keys_dir(self) -> Path:
        """Public keys of earlier signers, accepted for imported checkpoints."""
        return self.data_dir / "trusted-keys"


def _timezone(name: str) -> str:
    """``SDSI_TIMEZONE``: an IANA time zone name (``Europe/Paris``,
    ``America/Cayenne``, ``Indian/Reunion``…) or ``UTC``."""
    try:
        zone(name)
    except ValueError:
        raise ConfigError(
            f"SDSI_TIMEZONE: unknown time zone {name!r} (an IANA name such as "
            "Europe/Paris, America/Cayenne, Indian/Reunion, or UTC)"
        ) from None
    return name


def _hidden(raw: str) -> frozenset[str]:
    """``SDSI_PUBLIC_HIDE``: comma-separated fields the citizens' pages withhold."""
    names = [n.strip() for n in raw.split(",") if n.strip()]
    try:
        published_fields(names)
    except InvalidValue as exc:
        raise ConfigError(
            f"SDSI_PUBLIC_HIDE: unknown field {exc.params['value']!r} "
            f"({exc.params['reason']})"
        ) from None
    return frozenset(names)


def _origin(name: str) -> str:
    """A C2SP origin and key name: non-empty, printable, no spaces, no ``+``."""
    if "+" in name or not name.isprintable() or any(ch.isspace() for ch in name):
        raise ConfigError(
            f"SDSI_LEDGER_ORIGIN {name!r} must be printable, without spaces or '+' "
            "(e.g. mairie.example.fr/sdsi)"
        )
    return name


def _networks(raw: str) -> tuple[str, ...]:
    """``SDSI_TRUSTED_PROXIES``: comma-separated addresses or CIDR networks."""
    found: list[str] = []
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        try:
            network = ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ConfigError(
                f"SDSI_TRUSTED_PROXIES: {item!r} is not an IP address or a CIDR "
                "network (e.g. 127.0.0.1, 10.0.0.0/24, ::1)"
            ) from None
        found.append(str(network))
    return tuple(dict.fromkeys(found))


def _hour(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default, minimum=0)
    if value > 23:
        raise ConfigError(f"{name} must be an hour from 0 to 23, not {value}")
    return value


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < minimum:
        kind = "a positive integer" if minimum == 1 else f"an integer ≥ {minimum}"
        raise ConfigError(f"{name} must be {kind}, not {raw!r}")
    return int(raw)
