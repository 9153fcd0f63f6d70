"""Where attachments' bytes live: content-addressed, behind a small interface.

The ledger records an attachment's SHA-256 (``domain.attachments``); the bytes are
kept by an :class:`AttachmentStore`, which knows files only by that SHA-256: ``put``
returns it, ``open``/``exists``/``size`` take it, and no path leaves the store, so an
object store can replace the directory later without touching the callers.

:class:`FileAttachmentStore` keeps each file under the data directory at
``attachments/sha256/ab/cdef…`` (the first two hexadecimal digits as a folder). A file
is written to a temporary file in the same folder, flushed to disk, then renamed into
place (atomic on POSIX): a reader never sees half a file, and the same content is
stored once whoever sends it again.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, Protocol

_CHUNK = 1 << 16
_SHA256 = re.compile(r"[0-9a-f]{64}")


class AttachmentStore(Protocol):
    """Files by SHA-256 (lowercase hexadecimal)."""

    def put(self, data: bytes | BinaryIO) -> str:
        """Store ``data`` (bytes or a binary stream) and return its SHA-256."""

    def open(self, sha256: str) -> BinaryIO:
        """The stored bytes of ``sha256`` (``FileNotFoundError`` if absent)."""

    def exists(self, sha256: str) -> bool:
        """Whether a file of that SHA-256 is stored (not checked against it)."""


class FileAttachmentStore:
    """Attachments in a directory, one file per SHA-256, written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        return self.root / "sha256" / sha256[:2] / sha256[2:]

    def put(self, data: bytes | BinaryIO) -> str:
        folder = self.root / "sha256" / "tmp"
        folder.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        fd, tmp = tempfile.mkstemp(dir=folder, prefix="put-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in _chunks(data):
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha256 = digest.hexdigest()
            final = self._path(sha256)
            if final.exists():
                os.unlink(tmp)  # the same content is stored once
                return sha256
            final.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(tmp, 0o444)
            os.replace(tmp, final)
            _fsync_dir(final.parent)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return sha256

    def open(self, sha256: str) -> BinaryIO:
        return self._path(sha256).open("rb")

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()

    def digest(self, sha256: str) -> str | None:
        """The SHA-256 of the bytes stored under ``sha256`` now (None if absent):
        differs from ``sha256`` when the file was altered on disk."""
        try:
            with self.open(sha256) as stored:
                return hash_stream(stored)
        except FileNotFoundError:
            return None


def hash_stream(stream: BinaryIO) -> str:
    """The SHA-256 (hex) of what ``stream`` holds, read in chunks."""
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(_CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


def _chunks(data: bytes | BinaryIO) -> Iterable[bytes]:
    if isinstance(data, bytes | bytearray | memoryview):
        yield bytes(data)
        return
    yield from iter(lambda: data.read(_CHUNK), b"")


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
