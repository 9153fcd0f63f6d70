"""The outbox: e-mails waiting to be sent by the mail worker (``sdsi mail work``).

Whatever must reach someone by e-mail (a password-reset link, a COPIL convocation, a
notification) is queued here, in a plain table of the ledger database (schema version
8), in the same database as the fact that caused it; the worker
(:mod:`ledger.mailer`) sends due rows through SMTP, retries a failed send later, and
marks a row sent only once the server accepted it. Rows are not events: an e-mail is
no act of the plan's governance, and it holds an address that must be erasable.

Each message has a caller-chosen ``key`` (e.g. ``"reset:<token hash>"``): queuing the
same key twice keeps the first message only, so a retried command never sends twice.
The e-mail's Message-ID is derived from the key, so that a message resent after a
crash between the server's acceptance and the row's update is recognisable as the
same one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from domain.errors import InvalidValue
from domain.values import EMAIL_MAX, email_address
from ledger.storage import LedgerStorage

TABLE = "mail_outbox"
KEY_MAX = 200
RECIPIENT_MAX = EMAIL_MAX
SUBJECT_MAX = 300
TEXT_MAX = 200_000
ATTACHMENTS_MAX = 5_000_000  # bytes, all attachments of one message


class InvalidMail(ValueError):
    """A message that cannot be queued (header injection, oversize, no address)."""


@dataclass(frozen=True)
class MailAttachment:
    """One file attached to a message."""

    filename: str
    media_type: str  # e.g. "text/calendar; method=REQUEST"
    content: bytes


@dataclass(frozen=True)
class QueuedMail:
    """One row of the outbox."""

    id: int
    key: str
    recipient: str
    subject: str
    text: str
    attachments: tuple[MailAttachment, ...]
    status: str  # queued | sent | failed
    attempts: int
    queued_at: float
    next_attempt_at: float
    last_error: str
    sent_at: float | None

    @property
    def message_id(self) -> str:
        return message_id(self.key)


def message_id(key: str, domain: str = "sdsi-ledger.invalid") -> str:
    """The Message-ID of the message queued under ``key`` (the same on every send)."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]
    return f"<{digest}@{domain}>"


# What Python's e-mail headers also take for line breaks (it raises on them).
_LINE_BREAKS = "\r\n\x00\x85\u2028\u2029"


def _encodable(value: str, field: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidMail(f"{field}: not valid Unicode (lone surrogate)") from None


def _header_safe(value: str, field: str, maximum: int) -> str:
    if not value or not value.strip():
        raise InvalidMail(f"{field}: empty")
    _encodable(value, field)
    if any(ch in value for ch in _LINE_BREAKS) or any(
        ord(ch) < 32 and ch != "\t" for ch in value
    ):
        raise InvalidMail(f"{field}: line breaks and control characters are refused")
    if len(value) > maximum:
        raise InvalidMail(f"{field}: longer than {maximum} characters")
    return value


def check_recipient(recipient: str) -> str:
    """``recipient`` if it is one plain address (``domain.values.email_address``,
    the rule accounts' addresses follow), else InvalidMail."""
    _header_safe(recipient, "recipient", RECIPIENT_MAX)
    try:
        return email_address(recipient, "recipient", required=True)
    except InvalidValue:
        raise InvalidMail(f"recipient: not one e-mail address: {recipient!r}") from None


def _encode_attachments(attachments: Sequence[MailAttachment]) -> str:
    total = 0
    items = []
    for a in attachments:
        _header_safe(a.filename, "attachment filename", 200)
        _header_safe(a.media_type, "attachment media type", 200)
        if "/" not in a.media_type.split(";")[0]:
            raise InvalidMail(f"attachment media type: {a.media_type!r}")
        total += len(a.content)
        items.append(
            {
                "filename": a.filename,
                "media_type": a.media_type,
                "content": base64.b64encode(a.content).decode("ascii"),
            }
        )
    if total > ATTACHMENTS_MAX:
        raise InvalidMail(f"attachments: more than {ATTACHMENTS_MAX} bytes")
    return json.dumps(items, separators=(",", ":"))


def _decode_attachments(stored: str) -> tuple[MailAttachment, ...]:
    return tuple(
        MailAttachment(i["filename"], i["media_type"], base64.b64decode(i["content"]))
        for i in json.loads(stored or "[]")
    )


COLUMNS = (
    "id, key, recipient, subject, body, attachments, status, attempts, queued_at,"
    " next_attempt_at, last_error, sent_at"
)


def row_to_mail(r: Sequence[object]) -> QueuedMail:
    return QueuedMail(
        id=int(r[0]),  # type: ignore[call-overload]
        key=str(r[1]),
        recipient=str(r[2]),
        subject=str(r[3]),
        text=str(r[4]),
        attachments=_decode_attachments(str(r[5])),
        status=str(r[6]),
        attempts=int(r[7]),  # type: ignore[call-overload]
        queued_at=float(r[8]),  # type: ignore[arg-type]
        next_attempt_at=float(r[9]),  # type: ignore[arg-type]
        last_error=str(r[10] or ""),
        sent_at=None if r[11] is None else float(r[11]),  # type: ignore[arg-type]
    )


class Outbox:
    """The e-mails queued for the mail worker."""

    def __init__(
        self, storage: LedgerStorage, clock: Callable[[], float] = time.time
    ) -> None:
        self.storage = storage
        self.clock = clock

    def add(
        self,
        *,
        key: str,
        recipient: str,
        subject: str,
        text: str,
        attachments: Sequence[MailAttachment] = (),
    ) -> bool:
        """Queue one message; False (and nothing written) if `key` was queued before."""
        _header_safe(key, "key", KEY_MAX)
        check_recipient(recipient)
        _header_safe(subject, "subject", SUBJECT_MAX)
        if len(text) > TEXT_MAX or "\x00" in text:
            raise InvalidMail(f"text: longer than {TEXT_MAX} characters or binary")
        _encodable(text, "text")
        encoded = _encode_attachments(attachments)
        now = self.clock()
        with self.storage.cursor(commit=True) as c:
            c.execute(
                self.storage.sql(
                    f"INSERT INTO {{t:{TABLE}}} (key, recipient, subject, body,"
                    " attachments, status, attempts, queued_at, next_attempt_at,"
                    " last_error) VALUES (?, ?, ?, ?, ?, 'queued', 0, ?, ?, '')"
                    " ON CONFLICT (key) DO NOTHING RETURNING id"
                ),
                (key, recipient, subject, text, encoded, now, now),
            )
            return c.fetchone() is not None

    def get(self, key: str) -> QueuedMail | None:
        """The message queued under ``key``, if any."""
        row = self.storage.fetchone(
            f"SELECT {COLUMNS} FROM {{t:{TABLE}}} WHERE key = ?", (key,)
        )
        return None if row is None else row_to_mail(row)

    def counts(self) -> dict[str, int]:
        """How many messages are queued, sent and failed."""
        rows = self.storage.fetchall(
            f"SELECT status, count(*) FROM {{t:{TABLE}}} GROUP BY status"
        )
        counts = {"queued": 0, "sent": 0, "failed": 0}
        counts.update({str(s): int(n) for s, n in rows})
        return counts

    def newest(self, limit: int = 50) -> list[QueuedMail]:
        rows = self.storage.fetchall(
            f"SELECT {COLUMNS} FROM {{t:{TABLE}}} ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [row_to_mail(r) for r in rows]
