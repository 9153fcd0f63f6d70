"""Every PDF is PDF/A-2b, checked by parsing it back with pikepdf (veraPDF is not
installable here): every font embedded, an sRGB output intent, the XMP ``pdfaid``
declaration and ``dc:title`` matching the document information, no encryption, a
document ID; and the same data give the same bytes."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pikepdf
import pytest

from exports.pdfa import ICC_PROFILE
from tests.exports.conftest import TEST_SESSION, DemoEnv

DOCUMENTS = [
    ("plan", {}),
    ("minutes", {"session": TEST_SESSION}),
    ("certificate", {}),
]


def _fonts(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """Every font dictionary of the file, wherever it is used (pages, forms)."""
    return [
        obj
        for obj in pdf.objects
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font"
    ]


def _embedded(font: pikepdf.Dictionary) -> bool:
    if font.Subtype == "/Type0":
        return all(_embedded(d) for d in font.DescendantFonts)
    if font.Subtype == "/Type3":
        return True  # glyphs drawn by the file itself
    descriptor = font.get("/FontDescriptor")
    return descriptor is not None and any(
        k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
    )


@pytest.mark.parametrize(("name", "kw"), DOCUMENTS, ids=[d[0] for d in DOCUMENTS])
def test_every_pdf_is_pdfa_2b(demo_env: DemoEnv, name: str, kw: dict[str, Any]) -> None:
    content = demo_env.render(name, "pdf", **kw)
    assert content.startswith(b"%PDF-1.")
    with pikepdf.open(io.BytesIO(content)) as pdf:
        assert not pdf.is_encrypted
        assert "/Encrypt" not in pdf.trailer
        ids = pdf.trailer.ID
        assert len(ids) == 2 and len(bytes(ids[0])) == 16

        fonts = _fonts(pdf)
        names = sorted({str(f.BaseFont) for f in fonts})
        assert names and all(_embedded(f) for f in fonts), names
        assert all(n.split("+", 1)[-1].startswith("DejaVuSans") for n in names)
        assert "/FontFile2" in fonts[0].FontDescriptor

        (intent,) = pdf.Root.OutputIntents
        assert intent.S == "/GTS_PDFA1"
        assert str(intent.OutputConditionIdentifier) == "sRGB IEC61966-2.1"
        profile = intent.DestOutputProfile
        assert profile.N == 3
        assert profile.read_bytes() == ICC_PROFILE.read_bytes()
        assert profile.read_bytes()[36:40] == b"acsp"

        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "2"
        assert meta["pdfaid:conformance"] == "B"
        title = str(pdf.docinfo.Title)
        assert title and meta["dc:title"] == title
        assert meta["pdf:Producer"] == str(pdf.docinfo.Producer)
        assert meta["xmp:CreateDate"] == "2000-01-01T00:00:00+00:00"
        assert pdf.docinfo.CreationDate == "D:20000101000000+00'00"
        assert pdf.Root.Lang == "fr-FR"


@pytest.mark.parametrize(("name", "kw"), DOCUMENTS[:2], ids=["plan", "minutes"])
def test_the_same_data_give_the_same_bytes(
    demo_env: DemoEnv, name: str, kw: dict[str, Any]
) -> None:
    """Not the certificate: it prints the time of the verification it runs."""
    first = demo_env.render(name, "pdf", **kw)
    second = demo_env.render(name, "pdf", **kw)
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()
