"""The mail worker against a real SMTP sink: each queued message arrives once,
an outage is retried later, concurrent workers never send a row twice."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from ledger.app import Ledger
from ledger.mail_config import MailSettings, smtp_settings
from ledger.mailer import MailWorker, backoff
from ledger.outbox import MailAttachment, Outbox, message_id
from tests.smtp_sink import SmtpSink

SENDER = "sdsi@mairie.example.fr"


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink().start()
    try:
        yield server
    finally:
        server.stop()


def settings_for(sink: SmtpSink) -> MailSettings:
    return MailSettings(smtp=smtp_settings(sink.url + "?timeout=5"), sender=SENDER)


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_each_queued_key_is_received_exactly_once(
    ledger: Ledger, sink: SmtpSink
) -> None:
    clock = Clock()
    outbox = Outbox(ledger.storage, clock)
    ics = MailAttachment("invitation.ics", "text/calendar; method=REQUEST", b"ICS")
    for n in range(3):
        assert outbox.add(
            key=f"k{n}", recipient=f"p{n}@ville.fr", subject=f"Séance n°{n}",
            text=f"Bonjour {n}\n", attachments=[ics] if n == 0 else [],
        )  # fmt: skip
    assert not outbox.add(key="k1", recipient="x@ville.fr", subject="S", text="T")
    worker = MailWorker(ledger.storage, settings_for(sink), clock)
    report = worker.drain()
    assert (report.sent, report.retried, report.failed) == (3, 0, 0)
    assert worker.drain().claimed == 0
    domain = "mairie.example.fr"
    assert sink.message_ids() == [message_id(f"k{n}", domain) for n in range(3)]
    assert sink.envelopes == [(SENDER, [f"p{n}@ville.fr"]) for n in range(3)]
    first = sink.messages[0]
    assert (first["Subject"], first["To"], first["From"]) == (
        "Séance n°0", "p0@ville.fr", SENDER,
    )  # fmt: skip
    body = first.get_body(("plain",))
    assert body is not None and body.get_content() == "Bonjour 0\r\n"
    (part,) = list(first.iter_attachments())
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "REQUEST"
    assert part.get_filename() == "invitation.ics"
    assert part.get_payload(decode=True) == b"ICS"
    assert outbox.counts() == {"queued": 0, "sent": 3, "failed": 0}
    sent = outbox.get("k2")
    assert sent is not None and (sent.status, sent.attempts, sent.sent_at) == (
        "sent", 1, clock.now,
    )  # fmt: skip


def test_a_send_while_the_server_is_down_is_retried_later_and_arrives_once(
    ledger: Ledger, sink: SmtpSink
) -> None:
    clock = Clock()
    outbox = Outbox(ledger.storage, clock)
    outbox.add(key="reset:1", recipient="a@ville.fr", subject="Lien", text="T")
    worker = MailWorker(ledger.storage, settings_for(sink), clock)
    sink.stop()
    report = worker.drain()
    assert (report.sent, report.retried, report.failed) == (0, 1, 0)
    mail = outbox.get("reset:1")
    assert mail is not None
    assert (mail.status, mail.attempts, mail.next_attempt_at) == (
        "queued", 1, clock.now + backoff(1),
    )  # fmt: skip
    assert "Connection refused" in mail.last_error or "Errno" in mail.last_error
    sink.start()
    assert worker.drain().claimed == 0  # not due yet
    assert sink.messages == []
    clock.now += backoff(1)
    assert worker.drain().sent == 1
    assert worker.drain().claimed == 0
    assert sink.message_ids() == [message_id("reset:1", "mairie.example.fr")]
    mail = outbox.get("reset:1")
    assert mail is not None and (mail.status, mail.attempts, mail.last_error) == (
        "sent", 2, "",
    )  # fmt: skip


def test_two_workers_at_once_send_each_message_once(
    ledger: Ledger, sink: SmtpSink
) -> None:
    outbox = Outbox(ledger.storage)
    keys = [f"n:{n}" for n in range(24)]
    for key in keys:
        outbox.add(key=key, recipient="a@ville.fr", subject=key, text="T")
    workers = [
        MailWorker(ledger.storage, settings_for(sink), owner=f"w{n}") for n in (1, 2)
    ]
    start = threading.Barrier(2)
    reports = []

    def run(worker: MailWorker) -> None:
        start.wait()
        while True:
            report = worker.run_pass(limit=3)
            reports.append(report)
            if report.claimed == 0:
                return

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    received = sink.message_ids()
    assert sorted(received) == sorted(message_id(k, "mairie.example.fr") for k in keys)
    assert sum(r.sent for r in reports) == 24
    assert outbox.counts() == {"queued": 0, "sent": 24, "failed": 0}


def test_without_smtp_nothing_is_claimed_nor_sent(ledger: Ledger) -> None:
    outbox = Outbox(ledger.storage)
    outbox.add(key="k", recipient="a@ville.fr", subject="S", text="T")
    report = MailWorker(ledger.storage, MailSettings()).drain()
    assert report.claimed == 0
    mail = outbox.get("k")
    assert mail is not None and (mail.status, mail.attempts) == ("queued", 0)


def test_a_recipient_refused_for_good_is_failed_not_retried(ledger: Ledger) -> None:
    class Refusing(SmtpSink):
        async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
            return "550 5.1.1 no such user"

    sink = Refusing().start()
    try:
        outbox = Outbox(ledger.storage)
        outbox.add(key="k", recipient="nobody@ville.fr", subject="S", text="T")
        report = MailWorker(ledger.storage, settings_for(sink)).drain()
    finally:
        sink.stop()
    assert (report.sent, report.retried, report.failed) == (0, 0, 1)
    mail = outbox.get("k")
    assert mail is not None and mail.status == "failed"
    assert mail.last_error.startswith("550")
    assert sink.messages == []


def test_a_message_that_cannot_be_built_fails_alone(
    ledger: Ledger, sink: SmtpSink
) -> None:
    """A row the e-mail library refuses to build (written before the outbox's
    checks, or by hand) is failed for good; the worker goes on with the others."""
    clock = Clock()
    outbox = Outbox(ledger.storage, clock)
    for n in range(3):
        assert outbox.add(
            key=f"k{n}", recipient=f"p{n}@ville.fr", subject="S", text="T"
        )
    ledger.storage.execute(
        "UPDATE {t:mail_outbox} SET subject = ? WHERE key = ?",
        ("Bonjour\u2028Bcc: x@evil.com", "k1"),
    )
    worker = MailWorker(ledger.storage, settings_for(sink), clock)
    report = worker.drain()
    assert (report.sent, report.retried, report.failed) == (2, 0, 1)
    assert sink.envelopes == [(SENDER, ["p0@ville.fr"]), (SENDER, ["p2@ville.fr"])]
    bad = outbox.get("k1")
    assert bad is not None and bad.status == "failed"
    assert bad.last_error.startswith("ValueError: ")
