"""RFC 6962 / RFC 9162 Merkle trees: hashing, compact ranges, proofs and their checks.

Leaves are hashed ``SHA-256(0x00 || data)`` and interior nodes
``SHA-256(0x01 || left || right)``; a tree of ``n > 1`` leaves splits at the largest
power of two smaller than ``n``. A :class:`CompactRange` holds the roots of the perfect
subtrees that make up the first ``n`` leaves (one per set bit of ``n``): enough to
append leaves and compute the root without keeping the leaves themselves.

Proofs are produced as lists of leaf ranges ``(start, end)`` whose subtree hashes form
the proof (:func:`inclusion_ranges`, :func:`consistency_ranges`), so the caller decides
where the hashes come from: leaves streamed from storage, or nodes already known from a
stored compact range.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()

Range = tuple[int, int]


def hash_leaf(data: bytes) -> bytes:
    """The RFC 6962 hash of one leaf's data."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    """The RFC 6962 hash of an interior node."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """Root of the tree over ``leaf_hashes`` (already hashed with :func:`hash_leaf`)."""
    compact = CompactRange()
    for leaf in leaf_hashes:
        compact.append(leaf)
    return compact.root()


class CompactRange:
    """The Merkle frontier of the first ``size`` leaves: a hash per set bit of size."""

    __slots__ = ("_hashes", "size")

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()) -> None:
        self.size = size
        self._hashes = list(hashes)
        if size < 0 or len(self._hashes) != size.bit_count():
            raise ValueError(
                f"a compact range of size {size} has {size.bit_count()} hashes, "
                f"not {len(self._hashes)}"
            )
        if any(len(h) != HASH_SIZE for h in self._hashes):
            raise ValueError("compact range hashes must be 32 bytes")

    def append(self, leaf_hash: bytes) -> None:
        """Add the next leaf (its hash)."""
        hashes = self._hashes
        hashes.append(leaf_hash)
        self.size += 1
        n = self.size
        # Each trailing zero bit of the new size completes a perfect subtree.
        while not n & 1:
            right = hashes.pop()
            hashes[-1] = hash_children(hashes[-1], right)
            n >>= 1

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Add several leaves in order."""
        for leaf in leaf_hashes:
            self.append(leaf)

    def root(self) -> bytes:
        """The root hash of the tree of ``size`` leaves."""
        if not self._hashes:
            return EMPTY_ROOT
        it = reversed(self._hashes)
        node = next(it)
        for left in it:
            node = hash_children(left, node)
        return node

    def nodes(self) -> dict[Range, bytes]:
        """The frontier as ``{(start, end): hash}`` leaf ranges."""
        out: dict[Range, bytes] = {}
        start = 0
        hashes = iter(self._hashes)
        for bit in reversed(range(self.size.bit_length())):
            width = 1 << bit
            if self.size & width:
                out[(start, start + width)] = next(hashes)
                start += width
        return out

    def copy(self) -> CompactRange:
        return CompactRange(self.size, self._hashes)

    def to_bytes(self) -> bytes:
        """The frontier hashes, concatenated (left to right)."""
        return b"".join(self._hashes)

    @classmethod
    def from_bytes(cls, size: int, blob: bytes) -> CompactRange:
        """Inverse of :meth:`to_bytes`."""
        blob = bytes(blob)
        if len(blob) % HASH_SIZE:
            raise ValueError("a stored compact range is a multiple of 32 bytes")
        hashes = [blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE)]
        return cls(size, hashes)


# --- proofs (RFC 9162 section 2.1.3 and 2.1.4) ---------------------------------------


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """Leaf ranges whose hashes prove leaf ``index`` in the tree of ``size`` leaves."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    out: list[Range] = []

    def path(m: int, lo: int, hi: int) -> None:
        n = hi - lo
        if n == 1:
            return
        k = split_point(n)
        if m < k:
            path(m, lo, lo + k)
            out.append((lo + k, hi))
        else:
            path(m - k, lo + k, hi)
            out.append((lo, lo + k))

    path(index, 0, size)
    return out


def consistency_ranges(first: int, second: int) -> list[Range]:
    """Leaf ranges whose hashes prove size ``first`` a prefix of size ``second``."""
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    out: list[Range] = []
    if first in (0, second):
        return out

    def subproof(m: int, lo: int, hi: int, whole: bool) -> None:
        n = hi - lo
        if m == n:
            if not whole:
                out.append((lo, hi))
            return
        k = split_point(n)
        if m <= k:
            subproof(m, lo, lo + k, whole)
            out.append((lo + k, hi))
        else:
            subproof(m - k, lo + k, hi, False)
            out.append((lo, lo + k))

    subproof(first, 0, second, True)
    return out


def range_hashes(
    ranges: Sequence[Range],
    leaves: Callable[[int, int], Iterable[bytes]],
    known: Mapping[Range, bytes] | None = None,
) -> list[bytes]:
    """The subtree hash of each range: from ``known`` nodes, else from its leaves.

    ``leaves(start, end)`` yields the leaf hashes of positions ``start+1 .. end``.
    """
    known = known or {}
    out = []
    for start, end in ranges:
        node = known.get((start, end))
        if node is None:
            compact = CompactRange()
            count = 0
            for leaf in leaves(start, end):
                compact.append(leaf)
                count += 1
            if count != end - start:
                raise ValueError(f"leaves {start + 1}..{end} are not all available")
            node = compact.root()
        out.append(node)
    return out


def list_leaves(leaf_hashes: Sequence[bytes]) -> Callable[[int, int], Iterable[bytes]]:
    """A leaf source for :func:`range_hashes` over an in-memory list."""
    return lambda start, end: leaf_hashes[start:end]


def _valid_hashes(*hashes: bytes) -> bool:
    return all(isinstance(h, bytes) and len(h) == HASH_SIZE for h in hashes)


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows ``leaf_hash`` at ``index`` in the tree ``root``."""
    if not 0 <= index < size or not _valid_hashes(leaf_hash, root, *proof):
        return False
    fn, sn = index, size - 1
    node = leaf_hash
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            node = hash_children(sibling, node)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            node = hash_children(node, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and node == root


def verify_consistency(
    first: int,
    second: int,
    first_root: bytes,
    second_root: bytes,
    proof: Sequence[bytes],
) -> bool:
    """Whether ``proof`` shows the tree ``first_root`` a prefix of ``second_root``."""
    if not 0 <= first <= second or not _valid_hashes(*proof):
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof
    if not proof or not _valid_hashes(first_root, second_root):
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the old root is a node of the new
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for node in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = hash_children(node, fr)
            sr = hash_children(node, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = hash_children(sr, node)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root


def consistency_proof_from(
    old: CompactRange, new_leaves: Sequence[bytes]
) -> list[bytes]:
    """Consistency proof from ``old`` to ``old`` + ``new_leaves``, without older leaves.

    Every node of such a proof left of ``old.size`` is in ``old``'s compact range.
    """
    first = old.size

    def leaves(start: int, end: int) -> Sequence[bytes]:
        return new_leaves[start - first : end - first] if start >= first else ()

    ranges = consistency_ranges(first, first + len(new_leaves))
    return range_hashes(ranges, leaves, old.nodes())
