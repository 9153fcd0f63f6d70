"""Attachments on both backends: the file stored once by SHA-256 and an event per
attachment; replacement keeps the previous file; every hostile upload is refused in
French with neither file nor event written."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from domain.errors import InvalidValue, NotAllowed, NotFound, NotReferentOfDirection
from ledger.core import Caller
from ledger.queries import iter_events
from tests.web.world import OTHER, OWN, login, populate

PDF = b"%PDF-1.4\n% devis\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
REFERENT = Caller(actor=login("referent"), reason="pièce du dossier")
DSI = Caller(actor=login("dsi"), reason="pièce du dossier")


@pytest.fixture
def world(ledger):  # type: ignore[no-untyped-def]
    populate(ledger)
    return ledger


def _attach(led, content: bytes = PDF, name: str = "devis.pdf", **kw):  # type: ignore[no-untyped-def]
    caller = kw.pop("caller", REFERENT)
    subject, ref = kw.pop("subject", "proposal"), kw.pop("ref", OWN)
    return led.attach_file(
        caller,
        subject,
        ref,
        filename=name,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        **kw,
    )


def _stored(led) -> list[Path]:  # type: ignore[no-untyped-def]
    root = led.settings.attachments_dir / "sha256"
    if not root.exists():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file())


def _docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def test_an_attachment_is_recorded_and_its_file_stored_once_by_sha256(world) -> None:  # type: ignore[no-untyped-def]
    result = _attach(world, description="Devis de l'éditeur")
    digest = hashlib.sha256(PDF).hexdigest()
    assert {
        k: result.data[k] for k in ("sha256", "size", "media_type", "filename")
    } == {
        "sha256": digest,
        "size": len(PDF),
        "media_type": "application/pdf",
        "filename": "devis.pdf",
    }
    # the same bytes on another subject: a second attachment, one stored file
    _attach(world, caller=DSI, ref=OTHER, name="copie.pdf")
    assert _stored(world) == [
        world.settings.attachments_dir / "sha256" / digest[:2] / digest[2:]
    ]
    with world.attachment_store.open(digest) as f:
        assert f.read() == PDF
    events = [type(e).__qualname__ for _n, e in iter_events(world)][-2:]
    assert events == ["Attachment.Attached", "Attachment.Attached"]


def test_a_replaced_attachment_keeps_the_previous_file(world) -> None:  # type: ignore[no-untyped-def]
    first = _attach(world).data
    docx = _docx()
    replaced = world.replace_attachment(
        REFERENT,
        first["id"],
        filename="devis-v2.docx",
        content=docx,
        sha256=hashlib.sha256(docx).hexdigest(),
    ).data
    assert replaced["media_type"].endswith("wordprocessingml.document")
    assert world.attachment_store.exists(first["sha256"])
    assert world.attachment_store.exists(replaced["sha256"])
    last = [e for _n, e in iter_events(world)][-1]
    assert type(last).__qualname__ == "Attachment.Replaced"
    assert last.replaces == first["sha256"]
    removed = world.remove_attachment(REFERENT, first["id"]).data
    assert removed["removed"] is True
    head = world.head()
    with pytest.raises(InvalidValue) as refused:
        world.remove_attachment(REFERENT, first["id"])
    assert "pièce jointe retirée" in str(refused.value)
    assert world.head() == head


@pytest.mark.parametrize(
    ("content", "name", "field", "words"),
    [
        (
            b"MZ\x90\x00\x03" + b"\x00" * 60,
            "devis.pdf",
            "file",
            "type de fichier non accepté",
        ),
        (PNG, "devis.pdf", "file", "le contenu est un fichier image PNG"),
        (b"<html><script>alert(1)</script></html>", "note.txt", "file", "non accepté"),
        (b"PK\x03\x04 not a zip", "tableau.xlsx", "file", "non accepté"),
        (b"", "vide.pdf", "file", "le fichier est vide"),
        (PDF, "../../etc/passwd.pdf", "filename", "ne doit pas contenir de chemin"),
        (PDF, "..\\devis.pdf", "filename", "ne doit pas contenir de chemin"),
        (PDF, "devis\x00.pdf", "filename", "caractère de contrôle"),
        (PDF + b"x" * 2048, "gros.pdf", "file", "dépasse la taille maximale de 2 Ko"),
    ],
)
def test_hostile_uploads_write_neither_file_nor_event(
    ledger, content: bytes, name: str, field: str, words: str
) -> None:  # type: ignore[no-untyped-def]
    populate(ledger)
    object.__setattr__(ledger.settings, "attachment_max_bytes", 2048)
    head = ledger.head()
    with pytest.raises(InvalidValue) as refused:
        _attach(ledger, content, name)
    assert refused.value.field == field
    assert words in str(refused.value)
    assert ledger.head() == head
    assert _stored(ledger) == []


def test_who_may_attach_follows_the_subject(world) -> None:  # type: ignore[no-untyped-def]
    head = world.head()
    with pytest.raises(NotReferentOfDirection):
        _attach(world, ref=OTHER)
    with pytest.raises(NotAllowed):
        _attach(world, caller=Caller(actor=login("evaluator")))
    with pytest.raises(NotFound):
        _attach(world, caller=DSI, ref="P-NONE")
    with pytest.raises(NotFound):
        _attach(world, caller=DSI, subject="session", ref="COPIL-NONE")
    with pytest.raises(InvalidValue):
        _attach(world, caller=DSI, subject="budget", ref=OWN)
    assert world.head() == head
    assert _stored(world) == []


def test_the_sha256_given_must_be_the_contents(world) -> None:  # type: ignore[no-untyped-def]
    head = world.head()
    with pytest.raises(InvalidValue) as refused:
        world.attach_file(
            REFERENT, "proposal", OWN, filename="d.pdf", content=PDF, sha256="0" * 64
        )
    assert refused.value.field == "sha256"
    assert world.head() == head


def test_a_file_removed_or_replaced_away_can_be_attached_again(world) -> None:  # type: ignore[no-untyped-def]
    """Only a file that is current on an attachment of the subject is "already
    attached here": once removed (or replaced by another file), it can be joined
    again, as a new attachment with its own history."""
    first = _attach(world).data
    world.remove_attachment(REFERENT, first["id"])
    again = _attach(world).data
    assert again["id"] != first["id"]
    assert (again["sha256"], again["removed"]) == (first["sha256"], False)
    head = world.head()
    with pytest.raises(InvalidValue) as refused:
        _attach(world)
    assert "déjà joint ici" in str(refused.value)
    assert world.head() == head
    world.replace_attachment(
        REFERENT, again["id"], filename="devis.png", content=PNG,
        sha256=hashlib.sha256(PNG).hexdigest(),
    )  # fmt: skip
    third = _attach(world).data
    assert third["id"] not in (first["id"], again["id"])
    assert third["sha256"] == first["sha256"]
