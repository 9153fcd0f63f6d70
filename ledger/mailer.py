"""The mail worker: sends the outbox's due messages through SMTP (``sdsi mail work``).

A pass **claims** a few due rows with a lease (``lease_owner``, ``lease_until``) in one
statement — ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, SQLite's single writer
otherwise — so concurrent workers never take the same row; sends each; and only
after the server accepted a message marks its row ``sent``. A refused or failed send
keeps the row ``queued`` with ``attempts``, ``last_error`` and a later
``next_attempt_at`` (exponential backoff), so nothing is lost; after
:data:`MAX_ATTEMPTS`, or when the server refuses the recipient for good (5xx), the row
becomes ``failed`` (kept, counted by ``sdsi mail status``). A worker that dies between
the server's acceptance and the mark leaves a lease that expires: the message is sent
again, with the same Message-ID (derived from its key) so that it is recognisable.
"""

from __future__ import annotations

import os
import secrets
import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from ledger.mail_config import MailSettings, SmtpSettings
from ledger.outbox import COLUMNS, TABLE, QueuedMail, message_id, row_to_mail
from ledger.storage import LedgerStorage

MAX_ATTEMPTS = 12  # about three days of retries with the backoff below
BACKOFF_FIRST = 60.0  # seconds before the second attempt, doubled each time
BACKOFF_MAX = 6 * 3600.0
LEASE = 300.0  # seconds a claim holds a row; a send takes at most the SMTP timeout
BATCH = 20


def backoff(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt."""
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


@dataclass
class PassReport:
    """What one pass of the worker did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def claimed(self) -> int:
        return self.sent + self.retried + self.failed


class PermanentFailure(Exception):
    """The server refused the message for good (5xx): retrying will not help."""


def build_message(mail: QueuedMail, settings: MailSettings) -> EmailMessage:
    """The RFC 5322 message of ``mail``, the same on every send."""
    msg = EmailMessage()
    msg["From"] = settings.sender
    msg["To"] = mail.recipient
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(mail.queued_at, usegmt=True)
    msg["Message-ID"] = message_id(mail.key, settings.domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(mail.text, charset="utf-8")
    for a in mail.attachments:
        media, *params = (p.strip() for p in a.media_type.split(";"))
        maintype, _, subtype = media.partition("/")
        extra = dict(p.split("=", 1) for p in params if "=" in p)
        msg.add_attachment(
            a.content, maintype, subtype, filename=a.filename, params=extra
        )
    return msg


class MailWorker:
    """Sends the outbox's due messages through the configured SMTP server."""

    def __init__(
        self,
        storage: LedgerStorage,
        settings: MailSettings,
        clock: Callable[[], float] = time.time,
        owner: str | None = None,
    ) -> None:
        self.storage = storage
        self.settings = settings
        self.clock = clock
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:" + (
            secrets.token_hex(4)
        )

    def claim(self, limit: int = BATCH) -> list[QueuedMail]:
        """Lease up to ``limit`` due rows to this worker (none another one holds)."""
        now = self.clock()
        skip_locked = " FOR UPDATE SKIP LOCKED" if self.storage.is_postgres else ""
        statement = self.storage.sql(
            f"UPDATE {{t:{TABLE}}} SET lease_owner = ?, lease_until = ?"
            f" WHERE id IN (SELECT id FROM {{t:{TABLE}}} WHERE status = 'queued'"
            " AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)"
            f" ORDER BY id LIMIT ?{skip_locked}) RETURNING {COLUMNS}"
        )
        with self.storage.cursor(commit=True) as c:
            c.execute(statement, (self.owner, now + LEASE, now, now, limit))
            rows = c.fetchall()
        mails = [
            row_to_mail(tuple(r.values()) if isinstance(r, dict) else tuple(r))
            for r in rows
        ]
        return sorted(mails, key=lambda m: m.id)

    def _mark_sent(self, mail: QueuedMail) -> None:
        self.storage.execute(
            f"UPDATE {{t:{TABLE}}} SET status = 'sent', sent_at = ?,"
            " attempts = attempts + 1, last_error = '', lease_owner = NULL,"
            " lease_until = NULL WHERE id = ? AND lease_owner = ?",
            (self.clock(), mail.id, self.owner),
        )

    def _mark_failed(self, mail: QueuedMail, error: str, permanent: bool) -> str:
        attempts = mail.attempts + 1
        status = "failed" if permanent or attempts >= MAX_ATTEMPTS else "queued"
        self.storage.execute(
            f"UPDATE {{t:{TABLE}}} SET status = ?, attempts = ?, last_error = ?,"
            " next_attempt_at = ?, lease_owner = NULL, lease_until = NULL"
            " WHERE id = ? AND lease_owner = ?",
            (
                status,
                attempts,
                error[:1000],
                self.clock() + backoff(attempts),
                mail.id,
                self.owner,
            ),
        )
        return status

    @contextmanager
    def _connection(self, smtp: SmtpSettings) -> Iterator[smtplib.SMTP]:
        context = ssl.create_default_context()
        server: smtplib.SMTP
        if smtp.tls:
            server = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=smtp.timeout, context=context
            )
        else:
            server = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        try:
            server.ehlo_or_helo_if_needed()
            if smtp.starttls:
                server.starttls(context=context)
                server.ehlo()
            if smtp.user:
                server.login(smtp.user, smtp.password)
            yield server
        finally:
            try:
                server.quit()
            except (smtplib.SMTPException, OSError):
                server.close()

    def _send(self, server: smtplib.SMTP, mail: QueuedMail) -> None:
        try:
            message = build_message(mail, self.settings)
        except (ValueError, TypeError, LookupError) as exc:
            # a row the outbox's checks did not stop: it will never build
            raise PermanentFailure(_describe(exc)) from exc
        try:
            refused = server.send_message(
                message, from_addr=self.settings.sender, to_addrs=[mail.recipient]
            )
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            error = f"{code} {text.decode('utf-8', 'replace')}"
            if 500 <= code < 600:
                raise PermanentFailure(error) from exc
            raise smtplib.SMTPException(error) from exc
        except smtplib.SMTPResponseException as exc:
            error = f"{exc.smtp_code} {exc.smtp_error.decode('utf-8', 'replace')}"
            if 500 <= exc.smtp_code < 600 and not isinstance(
                exc, smtplib.SMTPSenderRefused
            ):
                raise PermanentFailure(error) from exc
            raise
        if refused:  # one recipient only: refused means not accepted
            raise PermanentFailure(str(refused))

    def run_pass(self, limit: int = BATCH) -> PassReport:
        """Claim due messages and send them; nothing when SMTP is not configured."""
        report = PassReport()
        smtp = self.settings.smtp
        if smtp is None:
            return report
        mails = self.claim(limit)
        if not mails:
            return report
        pending = list(mails)
        try:
            with self._connection(smtp) as server:
                while pending:
                    mail = pending[0]
                    try:
                        self._send(server, mail)
                    except PermanentFailure as exc:
                        pending.pop(0)
                        self._mark_failed(mail, str(exc), permanent=True)
                        report.failed += 1
                        continue
                    except smtplib.SMTPServerDisconnected:
                        raise
                    except (smtplib.SMTPException, OSError) as exc:
                        pending.pop(0)
                        status = self._mark_failed(
                            mail, _describe(exc), permanent=False
                        )
                        report.retried += status == "queued"
                        report.failed += status == "failed"
                        continue
                    pending.pop(0)
                    self._mark_sent(mail)
                    report.sent += 1
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            # the server is down or dropped us: every message not sent is retried
            for mail in pending:
                status = self._mark_failed(mail, _describe(exc), permanent=False)
                report.retried += status == "queued"
                report.failed += status == "failed"
        return report

    def drain(self) -> PassReport:
        """Passes until no due message is left to claim (``sdsi mail work --once``)."""
        total = PassReport()
        while True:
            report = self.run_pass()
            total.sent += report.sent
            total.retried += report.retried
            total.failed += report.failed
            if report.claimed == 0:  # a failed row is due later, not now
                return total


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {text}"
