"""The content-addressed attachment store: bytes or a stream in, their SHA-256 out;
the same content stored once, read-only, at sha256/ab/cdef…; nothing left behind;
no path accepted but a SHA-256."""

from __future__ import annotations

import hashlib
import io
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.attachment_store import FileAttachmentStore, hash_stream


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_put_returns_the_sha256_and_stores_the_bytes_once(tmp_path: Path) -> None:
    store = FileAttachmentStore(tmp_path)
    data = b"%PDF-1.4 devis"
    digest = hashlib.sha256(data).hexdigest()
    assert store.put(data) == digest
    assert store.put(io.BytesIO(data)) == digest  # a stream, the same content
    assert _files(tmp_path) == [f"sha256/{digest[:2]}/{digest[2:]}"]
    path = tmp_path / "sha256" / digest[:2] / digest[2:]
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert store.exists(digest) and not store.exists("0" * 64)
    with store.open(digest) as f:
        assert f.read() == data
    assert store.digest(digest) == digest


def test_a_file_altered_or_removed_on_disk_is_told(tmp_path: Path) -> None:
    store = FileAttachmentStore(tmp_path)
    digest = store.put(b"contenu")
    path = tmp_path / "sha256" / digest[:2] / digest[2:]
    path.chmod(0o644)
    path.write_bytes(b"contenu modifie")
    assert store.digest(digest) == hashlib.sha256(b"contenu modifie").hexdigest()
    path.unlink()
    assert store.digest(digest) is None
    with pytest.raises(FileNotFoundError):
        store.open(digest)


@pytest.mark.parametrize(
    "bad", ["../../etc/passwd", "ab/cd", "A" * 64, "0" * 63, "", "0" * 64 + "/.."]
)
def test_only_a_sha256_names_a_file(tmp_path: Path, bad: str) -> None:
    store = FileAttachmentStore(tmp_path)
    for call in (store.open, store.exists, store.digest):
        with pytest.raises(ValueError):
            call(bad)


def test_a_failed_write_leaves_nothing(tmp_path: Path) -> None:
    class Broken(io.BytesIO):
        def read(self, *args: object) -> bytes:
            raise OSError("disque plein")

    store = FileAttachmentStore(tmp_path)
    with pytest.raises(OSError):
        store.put(Broken(b"x"))
    assert _files(tmp_path) == []


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=3000), min_size=1, max_size=5))
def test_what_is_put_is_read_back_whatever_the_bytes(
    tmp_path_factory: pytest.TempPathFactory, contents: list[bytes]
) -> None:
    root = tmp_path_factory.mktemp("store")
    store = FileAttachmentStore(root)
    digests = [store.put(c) for c in contents]
    for content, digest in zip(contents, digests, strict=True):
        assert digest == hashlib.sha256(content).hexdigest()
        with store.open(digest) as f:
            assert hash_stream(f) == digest
    assert len(_files(root)) == len(set(digests))
