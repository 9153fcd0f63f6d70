"""The issued-document command on both backends: one record per SHA-256, one event
per issuance, bad values refused with nothing written."""

from __future__ import annotations

import hashlib

import pytest

from domain.documents import IssuedDocument
from domain.errors import InvalidValue
from ledger.queries import iter_events
from tests.conftest import ADMIN

DIGEST = hashlib.sha256(b"%PDF-1.4 minutes").hexdigest()


def _issue(ledger, digest: str = DIGEST, **kw):  # type: ignore[no-untyped-def]
    args = {"kind": "minutes", "subject": "séance S1", "filename": "m.pdf", "size": 16}
    return ledger.issue_document(ADMIN, digest, **{**args, **kw})


def test_the_first_issuance_creates_the_record_and_later_ones_add_to_it(
    ledger,
) -> None:  # type: ignore[no-untyped-def]
    first = _issue(ledger, DIGEST.upper())
    assert first.data == {"sha256": DIGEST, "kind": "minutes", "issuances": 1}
    again = _issue(ledger, filename="copie.pdf")
    assert again.data == {"sha256": DIGEST, "kind": "minutes", "issuances": 2}
    doc = ledger.repository.get(IssuedDocument.id_for(DIGEST))
    assert (doc.sha256, doc.kind, doc.subject, doc.size, doc.issuances) == (
        DIGEST,
        "minutes",
        "séance S1",
        16,
        2,
    )
    events = [type(ev).__qualname__ for _n, ev in iter_events(ledger)][-2:]
    assert events == ["IssuedDocument.Issued", "IssuedDocument.Reissued"]


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"digest": "abc"}, "sha256"),
        ({"digest": "g" * 64}, "sha256"),
        ({"size": 0}, "size"),
        ({"filename": ""}, "filename"),
        ({"kind": ""}, "kind"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(
    ledger, kw: dict, field: str
) -> None:  # type: ignore[no-untyped-def]
    head = ledger.head()
    with pytest.raises(InvalidValue) as refused:
        _issue(ledger, **kw)
    assert refused.value.field == field
    assert ledger.head() == head


def test_the_same_sha256_with_another_size_is_refused(ledger) -> None:  # type: ignore[no-untyped-def]
    _issue(ledger)
    head = ledger.head()
    with pytest.raises(InvalidValue) as refused:
        _issue(ledger, size=17)
    assert refused.value.field == "size"
    assert "la taille enregistrée est 16" in str(refused.value)
    assert ledger.head() == head
