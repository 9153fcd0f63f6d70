"""PDF/A-2b: what turns reportlab's output into an archivable act.

The acts of a municipality are published in a durable, non-editable format. Reportlab
already embeds the DejaVu TrueType subsets (``FontFile2``) and writes no encryption;
:func:`archival` adds, with pikepdf, what PDF/A-2b asks on top of that:

* an output intent ``GTS_PDFA1`` carrying an sRGB ICC profile (``exports/icc/sRGB.icc``,
  version 2 from Debian's ``icc-profiles-free``, zlib licence in ``exports/icc/LICENSE``);
* XMP metadata that repeat the document information (``dc:title``, ``dc:creator``,
  ``pdf:Producer``, dates) and declare ``pdfaid:part=2``, ``pdfaid:conformance=B``;
* a document ``/ID`` computed from the content (``deterministic_id``).

Reportlab writes with ``invariant=True`` (fixed dates, no random id) and the XMP carry
no clock: the same data give the same bytes, so the same SHA-256, which is what lets a
printed copy be checked against the ledger's record of issued documents.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import pikepdf
from pikepdf import Dictionary, Name, Pdf, Stream

ICC_PROFILE = Path(__file__).with_name("icc") / "sRGB.icc"
OUTPUT_CONDITION = "sRGB IEC61966-2.1"
PDFA_PART = "2"
PDFA_CONFORMANCE = "B"


@cache
def _icc() -> bytes:
    return ICC_PROFILE.read_bytes()


def archival(data: bytes) -> bytes:
    """``data`` (a reportlab PDF) as PDF/A-2b, deterministically."""
    with Pdf.open(io.BytesIO(data)) as pdf:
        profile = Stream(pdf, _icc())
        profile[Name.N] = 3
        intent = Dictionary(
            Type=Name.OutputIntent,
            S=Name.GTS_PDFA1,
            OutputConditionIdentifier=OUTPUT_CONDITION,
            Info=OUTPUT_CONDITION,
            RegistryName="http://www.color.org",
            DestOutputProfile=profile,
        )
        pdf.Root[Name.OutputIntents] = pikepdf.Array([pdf.make_indirect(intent)])
        if Name.Trapped in pdf.docinfo:  # not an XMP property of PDF/A-2
            del pdf.docinfo[Name.Trapped]
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta.load_from_docinfo(pdf.docinfo)
            meta["pdfaid:part"] = PDFA_PART
            meta["pdfaid:conformance"] = PDFA_CONFORMANCE
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, fix_metadata_version=False)
        return out.getvalue()
