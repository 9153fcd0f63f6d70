"""The outbox (schema version 8): one row per key, hostile headers refused."""

from __future__ import annotations

import pytest

from ledger.app import Ledger
from ledger.outbox import InvalidMail, MailAttachment, Outbox, message_id


def test_a_key_is_queued_once_with_its_attachments(ledger: Ledger) -> None:
    outbox = Outbox(ledger.storage, clock=lambda: 1000.0)
    ics = MailAttachment(
        "copil.ics", "text/calendar; method=REQUEST", b"BEGIN:\x00\xff"
    )
    assert outbox.add(
        key="k1",
        recipient="a@ville.fr",
        subject="Sujet é",
        text="Bonjour",
        attachments=[ics],
    )
    assert not outbox.add(
        key="k1", recipient="b@ville.fr", subject="Autre", text="Autre"
    )
    mail = outbox.get("k1")
    assert mail is not None
    assert (mail.recipient, mail.subject, mail.text, mail.attachments) == (
        "a@ville.fr",
        "Sujet é",
        "Bonjour",
        (ics,),
    )
    assert (mail.status, mail.attempts, mail.queued_at, mail.sent_at) == (
        "queued",
        0,
        1000.0,
        None,
    )
    assert mail.message_id == message_id("k1")
    assert outbox.counts() == {"queued": 1, "sent": 0, "failed": 0}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("recipient", "a@ville.fr\r\nBcc: x@evil.com"),
        ("recipient", "a@ville.fr, x@evil.com"),
        ("recipient", "pas-une-adresse"),
        ("recipient", ""),
        ("subject", "Bonjour\nBcc: x@evil.com"),
        ("subject", "Bonjour\r"),
        ("subject", " "),
        ("key", "k\n"),
        # what the e-mail library also takes for line breaks (it raises on them)
        ("subject", "Bonjour\u2028Bcc: x@evil.com"),
        ("subject", "Bonjour\x85Bcc: x@evil.com"),
        ("subject", "Bonjour\u2029"),
        ("subject", "Bonjour \ud800"),  # a lone surrogate (JSON allows "\ud800")
        ("text", "Bonjour \udfff"),
    ],
)
def test_header_injection_is_refused_and_nothing_written(
    ledger: Ledger, field: str, value: str
) -> None:
    outbox = Outbox(ledger.storage)
    fields = {"key": "k", "recipient": "a@ville.fr", "subject": "S", "text": "T"}
    with pytest.raises(InvalidMail):
        outbox.add(**{**fields, field: value})
    assert outbox.counts() == {"queued": 0, "sent": 0, "failed": 0}
