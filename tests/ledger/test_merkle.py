"""The Merkle tree: published Certificate Transparency vectors, and corrupted proofs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof_from,
    consistency_ranges,
    hash_leaf,
    inclusion_ranges,
    list_leaves,
    range_hashes,
    root_of,
    verify_consistency,
    verify_inclusion,
)

# Test vectors of Certificate Transparency (RFC 6962), as published in
# github.com/transparency-dev/merkle, proof/verify_test.go (itself from
# google/certificate-transparency): the 8 leaves, the roots of the trees of 1..8 of
# them, and the inclusion and consistency proofs listed there (1-based leaf numbers).
CT_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = [
    bytes.fromhex(h)
    for h in (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]
CT_INCLUSION = [  # (leaf number, tree size, proof)
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        2,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CT_CONSISTENCY = [  # (size 1, size 2, proof)
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
SOME_HASH = bytes.fromhex(
    "abacaba000000000000000000000000000000000000000000060061e00123456"
)

LEAF_HASHES = [hash_leaf(leaf) for leaf in CT_LEAVES]


def ct_proof(hexes: list[str]) -> list[bytes]:
    return [bytes.fromhex(h) for h in hexes]


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_of_trees_of_1_to_8_leaves_match_the_ct_vectors(size: int) -> None:
    assert root_of(LEAF_HASHES[:size]) == CT_ROOTS[size - 1]
    compact = CompactRange()
    compact.extend(LEAF_HASHES[:size])
    assert compact.root() == CT_ROOTS[size - 1]
    restored = CompactRange.from_bytes(size, compact.to_bytes())
    assert restored.root() == CT_ROOTS[size - 1]


def test_empty_tree_root_is_the_hash_of_nothing() -> None:
    assert (
        root_of([])
        == EMPTY_ROOT
        == bytes.fromhex(
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        )
    )


@pytest.mark.parametrize(("leaf", "size", "proof"), CT_INCLUSION)
def test_inclusion_proofs_match_and_verify_against_the_ct_vectors(
    leaf: int, size: int, proof: list[str]
) -> None:
    ours = range_hashes(inclusion_ranges(leaf - 1, size), list_leaves(LEAF_HASHES))
    assert ours == ct_proof(proof)
    assert verify_inclusion(
        leaf - 1, size, LEAF_HASHES[leaf - 1], ours, CT_ROOTS[size - 1]
    )


@pytest.mark.parametrize(("first", "second", "proof"), CT_CONSISTENCY)
def test_consistency_proofs_match_and_verify_against_the_ct_vectors(
    first: int, second: int, proof: list[str]
) -> None:
    ours = range_hashes(consistency_ranges(first, second), list_leaves(LEAF_HASHES))
    assert ours == ct_proof(proof)
    assert verify_consistency(
        first, second, CT_ROOTS[first - 1], CT_ROOTS[second - 1], ours
    )
    old = CompactRange()
    old.extend(LEAF_HASHES[:first])
    assert consistency_proof_from(old, LEAF_HASHES[first:second]) == ours


def _inclusion_corruptions(
    index: int, size: int, proof: list[bytes], root: bytes, leaf: bytes
) -> list[tuple[str, tuple[object, ...]]]:
    """The corruptions of transparency-dev/merkle's corruptInclusionProof, and more."""
    cases: list[tuple[str, tuple[object, ...]]] = [
        ("index - 1", (index - 1, size, leaf, proof, root)),
        ("index + 1", (index + 1, size, leaf, proof, root)),
        ("index ^ 2", (index ^ 2, size, leaf, proof, root)),
        ("size * 2", (index, size * 2, leaf, proof, root)),
        ("size / 2", (index, size // 2, leaf, proof, root)),
        ("wrong leaf", (index, size, b"WrongLeaf", proof, root)),
        ("other leaf", (index, size, SOME_HASH, proof, root)),
        ("empty root", (index, size, leaf, proof, EMPTY_ROOT)),
        ("random root", (index, size, leaf, proof, SOME_HASH)),
        ("trailing garbage", (index, size, leaf, [*proof, b""], root)),
        ("trailing root", (index, size, leaf, [*proof, root], root)),
        ("preceding garbage", (index, size, leaf, [b"", *proof], root)),
        ("preceding root", (index, size, leaf, [root, *proof], root)),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([proof[i][0] ^ 8]) + proof[i][1:]
        cases.append((f"flipped bit in node {i}", (index, size, leaf, flipped, root)))
    if proof:
        cases.append(("removed node", (index, size, leaf, proof[:-1], root)))
        cases.append(("added node", (index, size, leaf, [*proof, SOME_HASH], root)))
    if len(proof) > 1:
        cases.append(
            (
                "inserted node",
                (index, size, leaf, [proof[0], SOME_HASH, *proof[1:]], root),
            )
        )
        cases.append(
            (
                "swapped nodes",
                (index, size, leaf, [proof[1], proof[0], *proof[2:]], root),
            )
        )
    return cases


@pytest.mark.parametrize(("leaf", "size", "proof"), CT_INCLUSION[1:])
def test_every_corruption_of_an_inclusion_proof_is_rejected(
    leaf: int, size: int, proof: list[str]
) -> None:
    args = (leaf - 1, size, ct_proof(proof), CT_ROOTS[size - 1], LEAF_HASHES[leaf - 1])
    accepted = [
        name for name, case in _inclusion_corruptions(*args) if verify_inclusion(*case)
    ]  # type: ignore[arg-type]
    assert accepted == []


def _consistency_corruptions(
    m: int, n: int, root_m: bytes, root_n: bytes, proof: list[bytes]
) -> list[tuple[str, tuple[object, ...]]]:
    cases: list[tuple[str, tuple[object, ...]]] = [
        ("size1 - 1", (m - 1, n, root_m, root_n, proof)),
        ("size1 + 1", (m + 1, n, root_m, root_n, proof)),
        ("size1 ^ 2", (m ^ 2, n, root_m, root_n, proof)),
        ("size2 * 2", (m, n * 2, root_m, root_n, proof)),
        ("size2 / 2", (m, n // 2, root_m, root_n, proof)),
        ("wrong root1", (m, n, b"WrongRoot", root_n, proof)),
        ("wrong root2", (m, n, root_m, b"WrongRoot", proof)),
        ("other root1", (m, n, SOME_HASH, root_n, proof)),
        ("swapped roots", (m, n, root_n, root_m, proof)),
        ("empty proof", (m, n, root_m, root_n, [])),
        ("trailing garbage", (m, n, root_m, root_n, [*proof, b""])),
        ("trailing root1", (m, n, root_m, root_n, [*proof, root_m])),
        ("trailing root2", (m, n, root_m, root_n, [*proof, root_n])),
        ("preceding garbage", (m, n, root_m, root_n, [b"", *proof])),
        ("preceding root1", (m, n, root_m, root_n, [root_m, *proof])),
        ("preceding root2", (m, n, root_m, root_n, [root_n, *proof])),
        ("preceding node 0", (m, n, root_m, root_n, [proof[0], *proof])),
        ("removed node", (m, n, root_m, root_n, proof[:-1])),
        ("added node", (m, n, root_m, root_n, [*proof, SOME_HASH])),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([proof[i][0] ^ 16]) + proof[i][1:]
        cases.append((f"flipped bit in node {i}", (m, n, root_m, root_n, flipped)))
    if len(proof) > 1:
        cases.append(
            ("swapped nodes", (m, n, root_m, root_n, [proof[1], proof[0], *proof[2:]]))
        )
    return cases


@pytest.mark.parametrize(("first", "second", "proof"), CT_CONSISTENCY[1:])
def test_every_corruption_of_a_consistency_proof_is_rejected(
    first: int, second: int, proof: list[str]
) -> None:
    args = (first, second, CT_ROOTS[first - 1], CT_ROOTS[second - 1], ct_proof(proof))
    accepted = [
        name
        for name, case in _consistency_corruptions(*args)
        if verify_consistency(*case)
    ]  # type: ignore[arg-type]
    assert accepted == []


def test_degenerate_consistency_cases_follow_rfc_9162() -> None:
    a, b = CT_ROOTS[0], CT_ROOTS[1]
    assert verify_consistency(0, 5, a, b, [])  # the empty tree precedes every tree
    assert not verify_consistency(0, 5, a, b, [EMPTY_ROOT])
    assert verify_consistency(3, 3, a, a, [])
    assert not verify_consistency(3, 3, a, b, [])
    assert not verify_consistency(3, 3, a, a, [EMPTY_ROOT])
    assert not verify_consistency(4, 2, a, b, [])  # time travel


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=70), st.data())
def test_generated_proofs_verify_for_every_tree_shape(
    size: int, data: st.DataObject
) -> None:
    leaves = [hash_leaf(i.to_bytes(4, "big")) for i in range(size)]
    root = root_of(leaves)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    proof = range_hashes(inclusion_ranges(index, size), list_leaves(leaves))
    assert verify_inclusion(index, size, leaves[index], proof, root)
    assert not verify_inclusion(index, size, hash_leaf(b"other"), proof, root)
    first = data.draw(st.integers(min_value=1, max_value=size))
    old = CompactRange()
    old.extend(leaves[:first])
    consistency = consistency_proof_from(old, leaves[first:])
    assert consistency == range_hashes(
        consistency_ranges(first, size), list_leaves(leaves)
    )
    assert verify_consistency(first, size, old.root(), root, consistency)
    if first < size:
        assert not verify_consistency(first, size, root, old.root(), consistency)


def test_a_compact_range_refuses_a_wrong_number_of_hashes() -> None:
    with pytest.raises(ValueError, match="compact range of size 3 has 2 hashes"):
        CompactRange(3, [EMPTY_ROOT])
