"""What an attachment may be: its type read from its bytes, and a safe file name.

The type a browser or a client announces is never believed: the first bytes (and,
for office documents, the zip container's entries) say what a file is. Only PDF,
PNG, JPEG, OpenDocument text and spreadsheet, Word and Excel (OOXML), CSV and plain
UTF-8 text are accepted; the file name's extension must agree with the content, so
a program renamed ``devis.pdf`` is refused. Each refusal names its rule in French.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile

from domain.errors import InvalidValue

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
TXT = "text/plain"

# media type → (label shown to users, extensions its files may have)
TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    PDF: ("PDF", (".pdf",)),
    PNG: ("image PNG", (".png",)),
    JPEG: ("image JPEG", (".jpg", ".jpeg")),
    ODT: ("texte OpenDocument", (".odt",)),
    ODS: ("classeur OpenDocument", (".ods",)),
    DOCX: ("document Word", (".docx",)),
    XLSX: ("classeur Excel", (".xlsx",)),
    CSV: ("CSV", (".csv",)),
    TXT: ("texte", (".txt",)),
}
ALLOWED = "PDF, PNG, JPEG, ODT, ODS, DOCX, XLSX, CSV, TXT"
MAX_NAME = 120
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_UNSAFE = re.compile(r'[<>:"|?*\x00-\x1f\x7f]')


def sniff(content: bytes, filename: str) -> str:
    """The media type of ``content`` (one of :data:`TYPES`), checked against the
    extension of ``filename``; :class:`InvalidValue` on ``file`` otherwise."""
    kind = _kind(content, filename)
    if kind is None:
        raise InvalidValue(
            "file", filename, f"type de fichier non accepté (acceptés : {ALLOWED})"
        )
    label, extensions = TYPES[kind]
    ext = _extension(filename)
    if ext not in extensions:
        raise InvalidValue(
            "file",
            filename,
            f"le contenu est un fichier {label}, l'extension doit être "
            + " ou ".join(extensions),
        )
    return kind


def _kind(content: bytes, filename: str) -> str | None:
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"PK\x03\x04"):
        return _office(content)
    if _is_text(content):
        return CSV if _extension(filename) == ".csv" else TXT
    return None


def _office(content: bytes) -> str | None:
    """ODT/ODS by their ``mimetype`` entry, DOCX/XLSX by their main part."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size > 100:
                    return None
                declared = archive.read("mimetype").decode("ascii", "replace").strip()
                return declared if declared in (ODT, ODS) else None
            if "[Content_Types].xml" in names:
                if "word/document.xml" in names:
                    return DOCX
                if "xl/workbook.xml" in names:
                    return XLSX
    except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError):
        return None
    return None


def _is_text(content: bytes) -> bool:
    """UTF-8 text without control characters, and not a web page or script."""
    try:
        decoded = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    if _CONTROL.search(decoded):
        return False
    head = decoded[:1024].lstrip().lower()
    return not head.startswith(("<!doctype", "<html", "<script", "<svg", "<?xml"))


def _extension(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:].lower() if dot > 0 else ""


def safe_filename(value: object) -> str:
    """The file name as given by the uploader, refused if it holds a path (``/``,
    ``\\``, ``..``) or control characters; normalised (NFC, trimmed), characters
    unsafe on common systems replaced by ``_``, at most :data:`MAX_NAME` characters
    (the extension kept)."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue("filename", value, "nom de fichier obligatoire")
    name = unicodedata.normalize("NFC", value.strip())
    if "/" in name or "\\" in name or name.startswith(".") or ".." in name:
        raise InvalidValue(
            "filename", value[:60], "le nom de fichier ne doit pas contenir de chemin"
        )
    if _CONTROL.search(name) or "\n" in name or "\r" in name or "\t" in name:
        raise InvalidValue("filename", value[:60], "caractère de contrôle interdit")
    name = _UNSAFE.sub("_", name)
    if len(name) > MAX_NAME:
        ext = _extension(name)[:16]
        name = name[: MAX_NAME - len(ext)] + ext
    return name
