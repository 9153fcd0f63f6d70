"""Per-decision evidence files: a decision, the events it rests on, their proofs.

One JSON file per COPIL decision (``Session.DecisionRecorded``) that an auditor checks
offline with ``verifier.py evidence FILE --key …``, without the rest of the ledger.
It holds, sorted by position:

- the decision event;
- every earlier event of its session (convening, agenda, opening, attendance, every
  vote, the other decisions): the whole history up to the decision, versions 1 …
  v - 1, so that no vote or attendance change can be left out unseen;
- every event of the grid version it was decided on (drafting, criteria, adoption);
- every event, before the decision, of each evaluator's score sheet on the proposal;

each with its stored state bytes (the leaf is recomputed from them) and its inclusion
proof in the C2SP ``tlog-proof`` shape against one signed checkpoint: the first one
covering the decision (signed now if there is none yet), so the file is the same bytes
whenever it is asked for. The checkpoint note goes through
:func:`checkpoint_note_for_evidence`, where witness cosignatures join it.

The **fingerprint** names the evidence independently of the checkpoint:
``SHA-256("sdsi-evidence-v1\\n" + "POSITION LEAFHEX\\n" for each event)``; the COPIL
minutes print its first 16 hex digits. Format: docs/integrity.md, "Evidence files".
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from domain.grids import GridVersion
from domain.proposals import Proposal
from domain.scores import ScoreSheet
from ledger.errors import ConfigError
from ledger.integrity import IntegrityBroken, ProofError, _known_nodes, _signed
from ledger.leaf import LeafError, canonical, leaf_record
from ledger.merkle import (
    Range,
    hash_leaf,
    inclusion_ranges,
    list_leaves,
    range_hashes,
    verify_inclusion,
)
from ledger.notes import trusted_verifiers
from ledger.sealstore import CheckpointRow, SealRow, SealStore

FORMAT = "sdsi-evidence"
VERSION = 1
FINGERPRINT_PREFIX = b"sdsi-evidence-v1\n"
TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"
DECISION_TOPIC = "domain.sessions:Session.DecisionRecorded"
ROLES = ("decision", "session", "grid", "scores")


class EvidenceError(ProofError):
    """No evidence file for this position: no event there, or not a decision."""


class NotADecision(EvidenceError):
    """The event at this position is not a COPIL decision."""


class NotCovered(ProofError):
    """The decision is not covered by a signed checkpoint yet (and none can be signed
    here: no signing key)."""


@dataclass(frozen=True)
class _Entry:
    role: str
    seal: SealRow
    topic: str
    state: bytes


# --- which events ---------------------------------------------------------------------


def _stored(ledger: Any, originator_id: str, version: int) -> Any:
    rows = ledger.recorder.select_events(
        UUID(originator_id), gt=version - 1, lte=version, limit=1
    )
    if not rows:
        raise IntegrityBroken(
            f"event {originator_id} version {version} is sealed but no longer "
            "stored; run `sdsi verify`"
        )
    return rows[0]


def decision_at(ledger: Any, position: int) -> tuple[SealRow, Any]:
    """The seal and stored event of the decision at ``position``."""
    store = SealStore(ledger.storage)
    seals = store.seals(position - 1, 1) if 1 <= position < 2**63 else []
    if not seals or seals[0].position != position:
        raise EvidenceError(f"no sealed event at position {position}")
    seal = seals[0]
    stored = _stored(ledger, seal.originator_id, seal.originator_version)
    if stored.topic != DECISION_TOPIC:
        raise NotADecision(
            f"the event at position {position} is not a COPIL decision ({stored.topic})"
        )
    return seal, stored


def _aggregate_before(
    ledger: Any, store: SealStore, role: str, originator_id: UUID, before: int
) -> list[_Entry]:
    """The events of one aggregate sealed before position ``before``."""
    seals = store.seals_of(str(originator_id), before)
    if not seals:
        return []
    stored = ledger.recorder.select_events(
        originator_id, lte=seals[-1].originator_version
    )
    by_version = {s.originator_version: s for s in stored}
    out = []
    for seal in seals:
        event = by_version.get(seal.originator_version)
        if event is None:
            raise IntegrityBroken(
                f"the event sealed at position {seal.position} is no longer stored; "
                "run `sdsi verify`"
            )
        out.append(_Entry(role, seal, event.topic, bytes(event.state)))
    return out


def rested_on(ledger: Any, position: int) -> list[_Entry]:
    """The decision at ``position`` and the events it rests on, by position."""
    store = SealStore(ledger.storage)
    seal, stored = decision_at(ledger, position)
    decision = ledger.mapper.to_domain_event(stored).decision
    session_id = UUID(seal.originator_id)
    entries = [_Entry("decision", seal, stored.topic, bytes(stored.state))]
    entries += _aggregate_before(ledger, store, "session", session_id, position)
    if decision.grid_version is not None:
        grid_id = GridVersion.id_for(decision.grid_version)
        entries += _aggregate_before(ledger, store, "grid", grid_id, position)
    for evaluator in _evaluators(ledger, decision.proposal):
        sheet_id = ScoreSheet.id_for(decision.proposal, evaluator)
        entries += _aggregate_before(ledger, store, "scores", sheet_id, position)
    return sorted(entries, key=lambda e: e.seal.position)


def _evaluators(ledger: Any, proposal_code: str) -> list[str]:
    """Whose score sheets on the proposal may exist (as the decision looked them up:
    the proposal's evaluators, or every account for a proposal drafted before it
    listed them)."""
    proposal = ledger.load(Proposal, Proposal.id_for(proposal_code))
    if proposal is not None and proposal.evaluators is not None:
        return sorted(set(proposal.evaluators))
    return sorted(ledger.storage.usernames())


# --- the checkpoint -------------------------------------------------------------------


def checkpoint_for_evidence(
    ledger: Any, position: int, *, seal: bool = True
) -> CheckpointRow:
    """The first signed checkpoint covering ``position`` (sealing and signing one
    first if there is none yet and ``seal``)."""
    store = SealStore(ledger.storage)
    row = store.first_checkpoint_covering(position)
    if row is None and seal:
        from ledger.sealing import Sealer

        try:
            Sealer(ledger).checkpoint_now("evidence")
        except ConfigError as exc:
            raise NotCovered(
                f"position {position} is not covered by a signed checkpoint yet, "
                f"and none can be signed here ({exc})"
            ) from None
        row = store.first_checkpoint_covering(position)
    if row is None:
        head = store.head()[0]
        if position > head:
            raise EvidenceError(
                f"no event at position {position} (the log holds {head} sealed events)"
            )
        raise NotCovered(f"no signed checkpoint covers position {position} yet")
    return row


def checkpoint_note_for_evidence(ledger: Any, row: CheckpointRow) -> str:
    """The signed note of ``row`` as evidence files carry it: with the witnesses'
    cosignature lines stored for that checkpoint (C2SP tlog-cosignature), so that
    ``verifier.py evidence --witness … --quorum K`` can apply its policy offline.
    Verifiers ignore signature lines of keys they do not trust (C2SP signed-note)."""
    from ledger.witness_store import WitnessStore

    lines = sorted(c.line for c in WitnessStore(ledger.storage).cosignatures(row.seq))
    return row.note + "".join(f"{line}\n" for line in lines)


# --- proofs and the file --------------------------------------------------------------


def tlog_proof(index: int, hashes: list[bytes], note: str) -> str:
    """A C2SP ``tlog-proof`` text: header, index, the audit path, the checkpoint."""
    lines = [TLOG_PROOF_HEADER, f"index {index}"]
    lines += [base64.b64encode(h).decode() for h in hashes]
    return "\n".join(lines) + "\n\n" + note


def fingerprint_of(leaves: list[tuple[int, bytes]]) -> str:
    """The evidence fingerprint: SHA-256 of the prefix and one ``POSITION LEAFHEX``
    line per event, in position order."""
    digest = hashlib.sha256(FINGERPRINT_PREFIX)
    for position, leaf in sorted(leaves):
        digest.update(f"{position} {leaf.hex()}\n".encode())
    return digest.hexdigest()


# Up to this tree size, a file's audit paths are computed from the leaves read in
# one pass (32 bytes each: 32 MiB at most); beyond, range by range from the seals.
LEAVES_IN_MEMORY = 1 << 20


class _Proofs:
    """Audit paths in one tree, sharing the subtree hashes they have in common."""

    def __init__(self, store: SealStore, size: int) -> None:
        self.size = size
        self.nodes: dict[Range, bytes] = dict(_known_nodes(store))
        self.leaves: Callable[[int, int], Iterable[bytes]] = store.iter_leaves
        if size <= LEAVES_IN_MEMORY:
            self.leaves = list_leaves(list(store.iter_leaves(0, size)))

    def path(self, index: int) -> list[bytes]:
        out = []
        for r in inclusion_ranges(index, self.size):
            if r not in self.nodes:
                try:
                    self.nodes[r] = range_hashes([r], self.leaves)[0]
                except ValueError as exc:
                    raise IntegrityBroken(f"{exc}; run `sdsi verify`") from None
            out.append(self.nodes[r])
        return out


def _record(entry: _Entry) -> dict[str, Any]:
    seal = entry.seal
    try:
        record = leaf_record(
            seal.position,
            seal.originator_id,
            seal.originator_version,
            entry.topic,
            entry.state,
        )
    except LeafError as exc:
        raise IntegrityBroken(
            f"the event at position {seal.position}: {exc}; run `sdsi verify`"
        ) from None
    if hash_leaf(canonical(record)) != seal.leaf:
        raise IntegrityBroken(
            f"the event at position {seal.position} no longer matches its seal; "
            "run `sdsi verify`"
        )
    return record


def build_evidence(ledger: Any, position: int, *, seal: bool = True) -> dict[str, Any]:
    """The evidence file of the decision at ``position``, as a JSON-able dict."""
    if not 1 <= position < 2**63:  # no database holds it (SQLite: OverflowError)
        raise EvidenceError(f"no sealed event at position {position}")
    if seal:
        checkpoint_for_evidence(ledger, position, seal=True)  # seals up to the head
    entries = rested_on(ledger, position)
    row = checkpoint_for_evidence(ledger, position, seal=False)
    store = SealStore(ledger.storage)
    signed = _signed(row, trusted_verifiers(ledger.settings))
    note = checkpoint_note_for_evidence(ledger, row)
    proofs = _Proofs(store, row.tree_size)
    events = []
    for entry in entries:
        record = _record(entry)
        s = entry.seal
        path = proofs.path(s.position - 1)
        if not verify_inclusion(
            s.position - 1, row.tree_size, s.leaf, path, signed.root
        ):
            raise IntegrityBroken(
                f"the event at position {s.position} no longer matches checkpoint "
                f"#{row.seq}; run `sdsi verify`"
            )
        events.append(
            {
                "role": entry.role,
                "position": s.position,
                "originator_id": record["originator_id"],
                "originator_version": s.originator_version,
                "topic": entry.topic,
                "state": base64.b64encode(entry.state).decode(),
                "leaf_hash": s.leaf.hex(),
                "tlog_proof": tlog_proof(s.position - 1, path, note),
            }
        )
    decision = _domain_event(ledger, entries[-1]).decision
    convened = next((e for e in entries if e.role == "session"), None)
    if convened is None or convened.seal.originator_version != 1:
        raise IntegrityBroken(
            f"the session of the decision at position {position} has no convening "
            "before it; run `sdsi verify`"
        )
    session_code = str(_domain_event(ledger, convened).code)
    return {
        "format": FORMAT,
        "version": VERSION,
        "leaf_format": "sdsi-leaf-v1",
        "log": signed.origin,
        "decision": {
            "position": position,
            "session": session_code,
            "proposal": decision.proposal,
            "outcome": decision.outcome.value,
            "revision": decision.revision,
            "grid_version": decision.grid_version,
            "votes": [decision.votes_for, decision.votes_against, decision.abstentions],
        },
        "fingerprint": fingerprint_of(
            [(e.seal.position, e.seal.leaf) for e in entries]
        ),
        "checkpoint": note,
        "events": events,
    }


def _domain_event(ledger: Any, entry: _Entry) -> Any:
    """The domain event of an entry (upcast as the write side reads it)."""
    return ledger.mapper.to_domain_event(
        StoredEvent(
            originator_id=UUID(entry.seal.originator_id),
            originator_version=entry.seal.originator_version,
            topic=entry.topic,
            state=entry.state,
        )
    )


def render_evidence(doc: dict[str, Any]) -> bytes:
    """The file's bytes: UTF-8 JSON, members in a fixed order, one event per line
    group (deterministic: the same ledger state gives the same bytes)."""
    return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode()


def evidence_file(ledger: Any, position: int, *, seal: bool = True) -> bytes:
    """The evidence file (bytes) of the decision at ``position``."""
    return render_evidence(build_evidence(ledger, position, seal=seal))


def evidence_filename(position: int) -> str:
    return f"preuve-decision-{position}.json"


def evidence_fingerprint(ledger: Any, position: int) -> str | None:
    """The fingerprint of the decision at ``position``'s evidence, read only (``None``
    while the decision is not sealed yet)."""
    try:
        entries = rested_on(ledger, position)
    except EvidenceError:
        return None
    return fingerprint_of([(e.seal.position, e.seal.leaf) for e in entries])
