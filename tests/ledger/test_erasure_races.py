"""Erasure racing other commands (issue 19 attack review): a command that read an
account before its erasure committed, and saves after, is refused with the domain's
« compte effacé » (a 409 on the web), never a PersonalDataError (a 500). The erase
runs on a second ledger instance (as another server process would) between the
command's rule and its save. Both backends."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from domain.accounts import Account
from domain.errors import AccountErased
from ledger.app import Ledger, open_ledger
from ledger.config import Settings
from ledger.convocation import ICS_MEDIA_TYPE, _fold
from ledger.core import Caller
from ledger.outbox import MailAttachment, Outbox
from tests.conftest import ADMIN

ERASE = Caller(actor="admin", reason="demande RGPD art. 17 n° 2026-21")


@pytest.fixture
def other(settings: Settings) -> Iterator[Ledger]:
    led = open_ledger(settings)
    try:
        yield led
    finally:
        led.close()


def erase_before_the_save(led: Ledger, other: Ledger, login: str) -> None:
    """``led``'s first save waits for ``other`` to erase ``login``."""
    save = led.save
    done: list[bool] = []

    def save_after_the_erasure(*args: Any, **kwargs: Any) -> Any:
        if not done:
            done.append(True)
            other.erase_user(ERASE, login)
        return save(*args, **kwargs)

    led.save = save_after_the_erasure  # type: ignore[method-assign]


def test_an_email_change_racing_the_erasure_is_refused_not_a_crash(
    ledger: Ledger, other: Ledger
) -> None:
    ledger.add_user(ADMIN, "zoe", "Zoé Course", "zoe-password-1", email="z@x.fr")
    erase_before_the_save(ledger, other, "zoe")
    before = ledger.recorder.max_notification_id()
    with pytest.raises(AccountErased):
        ledger.change_email(ADMIN, "zoe", "nouvelle@ville.example.fr")
    # only the erasure landed; nothing of the new e-mail was written
    events = ledger.recorder.select_events(Account.id_for("zoe"))
    assert [e.topic.rsplit(".", 1)[-1] for e in events][-1] == "Erased"
    assert ledger.recorder.max_notification_id() == before + 1
    assert ledger.account("zoe").erased is True
    assert ledger.personal_keys.key_of(Account.id_for("zoe")) is None


def test_the_outbox_forgets_old_addresses_and_names_in_folded_ics_attachments(
    ledger: Ledger,
) -> None:
    """A mail to the address the person had before a change, and a convocation's
    ``.ics`` (base64 in the outbox, its lines folded at 75 octets, the name cut in
    two) naming them: neither keeps the name nor an address after the erasure."""
    name = "Zoé Lefèvre-Ünal de la Grande-Motte-sur-Mer"
    old, new = "zoe.ancienne@ville.example.fr", "zoe.nouvelle@ville.example.fr"
    ledger.add_user(ADMIN, "zoe", name, "zoe-password-1", email=old)
    outbox = Outbox(ledger.storage)
    outbox.add(key="reset:zoe", recipient=old, subject="Mot de passe", text="Bonjour")
    ics = b"BEGIN:VCALENDAR\r\n" + _fold(
        f'ATTENDEE;CN="{name}";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;'
        f"RSVP=TRUE:mailto:{new}"
    )
    assert new.encode() not in ics  # folded: the address is cut across two lines
    outbox.add(
        key="convocation:zoe",
        recipient="autre@ville.example.fr",
        subject="Convocation",
        text="Bonjour",
        attachments=[MailAttachment("convocation.ics", ICS_MEDIA_TYPE, ics)],
    )
    ledger.change_email(ADMIN, "zoe", new)
    ledger.erase_user(ERASE, "zoe")
    rows = ledger.storage.fetchall(
        "SELECT recipient, subject, body, attachments FROM {t:mail_outbox}"
    )
    seen = repr(rows)
    for row in rows:
        for item in json.loads(str(row[3]) or "[]"):
            seen += base64.b64decode(item["content"]).decode()
    assert [v for v in (name, old, new, "Zoé", "Lefèvre") if v in seen] == []
    assert seen.count("personne effacée") >= 3
    # the mails to the old address (the change notice, a reset) are not sent to
    # « personne effacée »: failed, saying why
    status = ledger.storage.fetchall(
        "SELECT key, recipient, status, last_error FROM {t:mail_outbox} ORDER BY key"
    )
    gone = ("personne effacée", "failed", "destinataire effacé (RGPD art. 17)")
    assert [(str(r[0]).split(":")[0], *r[1:]) for r in status] == [
        ("convocation", "autre@ville.example.fr", "queued", ""),
        ("email-changed", *gone),
        ("reset", *gone),
    ]


def test_an_smtp_refusal_naming_the_address_is_scrubbed_from_the_outbox_error(
    ledger: Ledger,
) -> None:
    """The mail server's refusal (``SMTPRecipientsRefused``: the address and its
    reply) is kept in ``last_error`` of a mail that failed or waits for a retry: the
    erasure replaces the address there too (it stayed)."""
    import smtplib

    from ledger.mailer import _describe

    address = "zoe.refusee@ville.example.fr"
    ledger.add_user(ADMIN, "zoe", "Zoé Refusée", "zoe-password-1", email=address)
    Outbox(ledger.storage).add(
        key="notice:zoe", recipient=address, subject="Avis", text="Bonjour"
    )
    refused = smtplib.SMTPRecipientsRefused(
        {address: (550, f"5.1.1 <{address}>: Recipient address rejected".encode())}
    )
    ledger.storage.execute(
        "UPDATE {t:mail_outbox} SET status = 'failed', last_error = ?",
        (_describe(refused),),
    )
    assert address in _describe(refused)
    ledger.erase_user(ERASE, "zoe")
    rows = ledger.storage.fetchall("SELECT recipient, last_error FROM {t:mail_outbox}")
    assert [address in str(v) for row in rows for v in row] == [False, False]
    assert "personne effacée" in str(rows[0][1])
