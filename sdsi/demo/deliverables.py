"""The demo's phase deliverables: before each phase completes, its expected
deliverables are submitted by the consultant (AMO) — a PDF for the documents, the
record of the product for the others — and validated by the COPIL's chair (the
cadrage note once sent back, then validated). Deterministic, like the rest of the
demo."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from domain.deliverables import DEFAULTS

AMO = "amo.bonnet"
CHAIR = "dgs.lefebvre"
# The record each record deliverable designates (kind, reference).
RECORDS = {
    "axes_indicateurs": ("axes", ""),
    "inventaire_applicatif": ("inventory", ""),
    "demandes_consolidees": ("portfolio", ""),
}


def pdf(title: str) -> bytes:
    """A one-page PDF showing ``title`` (ASCII text)."""
    line = title.encode("ascii", "replace").replace(b"(", b"").replace(b")", b"")
    stream = b"BT /F1 14 Tf 72 770 Td (" + line + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def _ascii(text: str) -> str:
    plain = {"é": "e", "è": "e", "ê": "e", "à": "a", "ç": "c", "ô": "o", "É": "E"}
    return "".join(plain.get(c, c) for c in text)


def deliver(loader: Any, phase: str, on: date) -> None:
    """Submit and validate every expected deliverable of ``phase`` (the loader's
    clock already at ``on``)."""
    amo, chair = loader.as_(AMO), loader.as_(CHAIR)
    for key, label, kind in DEFAULTS[phase]:
        if kind == "document":
            content = pdf(f"{_ascii(label)} - SDSI - {on.isoformat()}")
            loader.ledger.submit_deliverable(
                amo,
                phase,
                key,
                filename=f"{key}.pdf",
                content=content,
                sha256=hashlib.sha256(content).hexdigest(),
            )
        else:
            record_kind, ref = RECORDS[key]
            loader.ledger.submit_deliverable(
                amo, phase, key, record_kind=record_kind, record_ref=ref
            )
        if key == "note_cadrage":
            loader.ledger.return_deliverable(
                loader.as_(CHAIR, "préciser le périmètre : CCAS inclus"), phase, key
            )
            content = pdf(f"{_ascii(label)} v2 - {on.isoformat()}")
            loader.ledger.submit_deliverable(
                amo,
                phase,
                key,
                filename=f"{key}-v2.pdf",
                content=content,
                sha256=hashlib.sha256(content).hexdigest(),
            )
        loader.ledger.validate_deliverable(chair, phase, key)
