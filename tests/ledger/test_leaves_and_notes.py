"""Leaf records, canonical JSON, signed checkpoints, and the verifier's independence."""

from __future__ import annotations

import ast
import base64
import hashlib
import json
import sys
from pathlib import Path
from uuid import UUID

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

import verifier
from ledger.leaf import LeafError, canonical, flatten, leaf_hash_of, leaf_record
from ledger.merkle import hash_leaf
from ledger.notes import Checkpoint, NoteError, NoteVerifier, open_note, sign_note

ORIGIN = "mairie.example.fr/sdsi"
STATE = (
    b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-03-02T09:15:00+00:00"},'
    b'"context":{"_type_":"vo:CommandContext","_data_":{"actor":"admin","roles":["admin"],'
    b'"at":{"_type_":"datetime_iso","_data_":"2026-03-02T09:15:00+00:00"},"origin":"cli",'
    b'"command":"grant_role","key":"k-1","reason":"renfort \\u00e9t\\u00e9"}},'
    b'"role":"dsi","scope":null}'
)
OID = UUID("e21bf97f-abd9-561b-89a2-f66cc7d78f86")


def test_the_leaf_record_holds_exactly_the_documented_fields() -> None:
    record = leaf_record(3, OID, 2, "domain.accounts:Account.RoleGranted", STATE)
    assert record == {
        "position": 3,
        "originator_id": "e21bf97f-abd9-561b-89a2-f66cc7d78f86",
        "originator_version": 2,
        "topic": "domain.accounts:Account.RoleGranted",
        "recorded": "2026-03-02T09:15:00+00:00",
        "context": {
            "actor": "admin",
            "roles": ["admin"],
            "at": "2026-03-02T09:15:00+00:00",
            "origin": "cli",
            "command": "grant_role",
            "key": "k-1",
            "reason": "renfort été",
        },
        "state_sha256": hashlib.sha256(STATE).hexdigest(),
    }
    assert (
        canonical(record)
        == (
            '{"context":{"actor":"admin","at":"2026-03-02T09:15:00+00:00","command":'
            '"grant_role","key":"k-1","origin":"cli","reason":"renfort été","roles":'
            '["admin"]},"originator_id":"e21bf97f-abd9-561b-89a2-f66cc7d78f86",'
            '"originator_version":2,"position":3,"recorded":"2026-03-02T09:15:00+00:00",'
            f'"state_sha256":"{hashlib.sha256(STATE).hexdigest()}",'
            '"topic":"domain.accounts:Account.RoleGranted"}'
        ).encode()
    )


def test_the_leaf_of_the_documented_example_never_changes() -> None:
    """docs/integrity.md shows this example: sealed ledgers depend on the format."""
    leaf = leaf_hash_of(3, OID, 2, "domain.accounts:Account.RoleGranted", STATE)
    assert leaf.hex() == (
        "4ffc637ffb7a5da849f636cbab9b847c15df1bdc82225f164fbb77b1f888694b"
    )


def test_the_verifier_computes_the_same_leaf_as_the_ledger() -> None:
    ours = leaf_hash_of(3, OID, 2, "domain.accounts:Account.RoleGranted", STATE)
    event = {
        "originator_id": str(OID),
        "originator_version": 2,
        "topic": "domain.accounts:Account.RoleGranted",
        "state": base64.b64encode(STATE).decode(),
    }
    assert verifier.event_leaf(3, event) == ours


def test_a_leaf_depends_on_its_position() -> None:
    topic = "domain.accounts:Account.RoleGranted"
    assert leaf_hash_of(3, OID, 2, topic, STATE) != leaf_hash_of(
        4, OID, 2, topic, STATE
    )


@pytest.mark.parametrize("state", [b"not json", b"[1, 2]", b'{"context": {"x": 1.5}}'])
def test_unsealable_states_are_refused_with_a_reason(state: bytes) -> None:
    with pytest.raises(LeafError):
        leaf_hash_of(1, OID, 1, "t:T", state)


def test_transcoded_values_are_flattened_to_their_data() -> None:
    nested = {
        "a": {"_type_": "x", "_data_": {"b": {"_type_": "y", "_data_": [1, "z"]}}},
        "keep": {"_type_": "x", "_data_": 1, "extra": True},
    }
    assert flatten(nested) == {
        "a": {"b": [1, "z"]},
        "keep": {"_type_": "x", "_data_": 1, "extra": True},
    }


# The verifier implements RFC 8785 for the values records can hold (no floats): it must
# produce byte-identical output to the rfc8785 package used by the ledger.
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.text(),
    st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.text(max_size=8), children, max_size=5),
    ),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_the_verifier_canonical_json_is_byte_identical_to_rfc8785(
    value: object,
) -> None:
    assert verifier.canonical_json(value) == rfc8785.dumps(value)


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.text(alphabet=st.characters(min_codepoint=0xE000), max_size=3),
        st.integers(0, 9),
        min_size=2,
        max_size=6,
    )
)
def test_keys_are_sorted_by_utf16_code_units_like_rfc8785(
    value: dict[str, int],
) -> None:
    # Characters above U+FFFF sort before U+E000..U+FFFF in UTF-16, not in code points.
    assert verifier.canonical_json(value) == rfc8785.dumps(value)


@pytest.mark.parametrize("value", [1.5, 2**53, {"a": float("nan")}, "\ud800"])
def test_the_verifier_refuses_what_records_never_hold(value: object) -> None:
    with pytest.raises(ValueError):
        verifier.canonical_json(value)


def test_the_verifier_imports_only_the_standard_library_and_cryptography() -> None:
    tree = ast.parse(Path(verifier.__file__).read_text())
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            modules.add((node.module or "").split(".")[0])
    third_party = modules - set(sys.stdlib_module_names) - {"__future__"}
    assert third_party == {"cryptography"}


# --- signed checkpoints -----------------------------------------------------------


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def note_for(key: Ed25519PrivateKey, size: int = 12, root: bytes = b"\x07" * 32) -> str:
    return sign_note(Checkpoint(ORIGIN, size, root).text(), ORIGIN, key)


def test_a_checkpoint_is_a_c2sp_signed_note(key: Ed25519PrivateKey) -> None:
    note = note_for(key)
    text, signature = note.split("\n\n")
    root64 = base64.b64encode(b"\x07" * 32).decode()
    assert text + "\n" == f"{ORIGIN}\n12\n{root64}\n"
    assert signature.startswith(f"— {ORIGIN} ")
    blob = base64.b64decode(signature.split(" ")[2])
    verifier_key = NoteVerifier(ORIGIN, key.public_key())
    assert blob[:4] == verifier_key.key_id and len(blob) == 68
    assert Checkpoint.parse(open_note(note, [verifier_key])) == Checkpoint(
        ORIGIN, 12, b"\x07" * 32
    )
    assert verifier.open_checkpoint(note, verifier.load_keys(verifier_key.vkey())) == (
        ORIGIN,
        12,
        b"\x07" * 32,
    )


def test_a_checkpoint_signed_by_another_key_is_refused(key: Ed25519PrivateKey) -> None:
    note = note_for(Ed25519PrivateKey.generate())
    with pytest.raises(NoteError) as err:
        open_note(note, [NoteVerifier(ORIGIN, key.public_key())])
    assert err.value.kind == "unknown key"
    pinned = verifier.load_keys(NoteVerifier(ORIGIN, key.public_key()).vkey())
    with pytest.raises(verifier.NoteError, match="unknown key"):
        verifier.open_checkpoint(note, pinned)


@pytest.mark.parametrize(
    "edit",
    [
        lambda n: n.replace("\n12\n", "\n13\n"),
        lambda n: n.replace(ORIGIN + "\n", "evil.example/log\n", 1),
        lambda n: n[:-10] + ("A" if n[-10] != "A" else "B") + n[-9:],
    ],
)
def test_an_altered_checkpoint_does_not_verify(
    key: Ed25519PrivateKey, edit: object
) -> None:
    note = edit(note_for(key))  # type: ignore[operator]
    trusted = NoteVerifier(ORIGIN, key.public_key())
    with pytest.raises(NoteError):
        open_note(note, [trusted])
    with pytest.raises((verifier.NoteError, ValueError)):
        verifier.open_checkpoint(note, verifier.load_keys(trusted.vkey()))


def test_the_vkey_names_the_key_and_its_id(key: Ed25519PrivateKey) -> None:
    trusted = NoteVerifier(ORIGIN, key.public_key())
    name, key_id, blob = trusted.vkey().split("+", 2)
    assert (name, key_id) == (ORIGIN, trusted.key_id.hex())
    assert base64.b64decode(blob)[0] == 1
    assert (
        hashlib.sha256(
            ORIGIN.encode() + b"\n\x01" + base64.b64decode(blob)[1:]
        ).digest()[:4]
        == trusted.key_id
    )


def test_a_leaf_hash_is_rfc6962() -> None:
    assert hash_leaf(b"") == bytes.fromhex(
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )
    assert json.loads(canonical({"b": 1, "a": [None, True]})) == {
        "a": [None, True],
        "b": 1,
    }
