"""E-mail settings, parsed from the ``SDSI_SMTP_URL`` / ``SDSI_MAIL_FROM`` /
``SDSI_BASE_URL`` variables ``ledger.config`` hands over. Unset ``SDSI_SMTP_URL``:
messages are queued in the outbox but nothing is sent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from ledger.errors import ConfigError
from ledger.outbox import InvalidMail, check_recipient

DEFAULT_FROM = "sdsi@localhost.localdomain"


@dataclass(frozen=True)
class SmtpSettings:
    """Where the worker sends: ``smtp://user:pass@host:port`` (``?starttls=1``) or
    ``smtps://…`` (TLS from the first byte)."""

    host: str
    port: int
    tls: bool  # smtps: implicit TLS
    starttls: bool
    user: str = ""
    password: str = ""
    timeout: float = 30.0

    def describe(self) -> str:
        """Printable, without the password."""
        scheme = "smtps" if self.tls else "smtp"
        who = f"{self.user}@" if self.user else ""
        extra = "?starttls=1" if self.starttls else ""
        return f"{scheme}://{who}{self.host}:{self.port}{extra}"


@dataclass(frozen=True)
class MailSettings:
    """Sending e-mail: the SMTP server (None: not sent), the sender, the site's URL."""

    smtp: SmtpSettings | None = None
    sender: str = DEFAULT_FROM
    base_url: str = ""  # e.g. https://sdsi.mairie.fr (links in messages); "" = request

    @property
    def domain(self) -> str:
        return self.sender.rpartition("@")[2] or "localhost"


def smtp_settings(url: str) -> SmtpSettings | None:
    """Parse ``SDSI_SMTP_URL`` (empty: None)."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError(
            f"SDSI_SMTP_URL must look like smtp://user:password@host:587?starttls=1"
            f" or smtps://host:465, not {parts.scheme or url!r}://…"
        )
    try:
        port = parts.port
    except ValueError:
        raise ConfigError("SDSI_SMTP_URL: the port must be a number") from None
    query = parse_qs(parts.query)
    starttls = query.get("starttls", ["0"])[-1].lower() in ("1", "true", "yes")
    tls = parts.scheme == "smtps"
    if tls and starttls:
        raise ConfigError("SDSI_SMTP_URL: smtps:// and ?starttls=1 exclude each other")
    try:
        timeout = float(query.get("timeout", ["30"])[-1])
    except ValueError:
        raise ConfigError("SDSI_SMTP_URL: ?timeout= takes seconds") from None
    return SmtpSettings(
        host=parts.hostname,
        port=port or (465 if tls else 587 if starttls else 25),
        tls=tls,
        starttls=starttls,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        timeout=timeout,
    )


def mail_settings(env: Mapping[str, str]) -> MailSettings:
    """The e-mail settings of ``env``."""
    sender = env.get("SDSI_MAIL_FROM") or DEFAULT_FROM
    try:
        check_recipient(sender)
    except InvalidMail:
        raise ConfigError(
            f"SDSI_MAIL_FROM must be one e-mail address, not {sender!r}"
        ) from None
    base = (env.get("SDSI_BASE_URL") or "").rstrip("/")
    if base and urlsplit(base).scheme not in ("http", "https"):
        raise ConfigError(
            f"SDSI_BASE_URL must start with https:// (or http://), not {base!r}"
        )
    return MailSettings(
        smtp=smtp_settings(env.get("SDSI_SMTP_URL", "")), sender=sender, base_url=base
    )
