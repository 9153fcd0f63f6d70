"""The demo's decisions: an evidence file for each kind, accepted by the independent
verifier; the minutes print each decision's evidence fingerprint beside its position."""

from __future__ import annotations

import json
import re

from ledger.evidence_file import evidence_file
from projections import queries as q
from tests.exports.conftest import DemoEnv, raw_text
from tests.ledger.evidence_helpers import OUTCOMES, load_verifier

VERIFIER = load_verifier()
SESSION = "COPIL-2021-11-16"  # has a superseded vote and an absent member


def test_every_kind_of_demo_decision_has_an_evidence_file_that_verifies(
    demo_env: DemoEnv,
) -> None:
    decisions = q.decision_history(demo_env.read_model.store)
    keys = VERIFIER.load_keys(str(demo_env.settings.public_key_file))
    kinds: dict[tuple[str, bool], int] = {}
    for d in decisions:  # the first of each outcome, with and without an override
        kinds.setdefault((d["outcome"], bool(d["override"])), d["position"])
    assert {outcome for outcome, _ in kinds} == set(OUTCOMES)
    assert ("approved", True) in kinds  # a mandatory project approved by override
    for (outcome, _), position in sorted(kinds.items()):
        doc = json.loads(evidence_file(demo_env.ledger, position, seal=False))
        report = VERIFIER.verify_evidence(doc, keys)
        assert report["problems"] == [], (outcome, position)
        assert doc["decision"]["outcome"] == outcome
    # the last decision too: on the grid built with the directions (criteria taken
    # from accepted propositions), which the verifier must read as the ledger does
    last = max(d["position"] for d in decisions)
    doc = json.loads(evidence_file(demo_env.ledger, last, seal=False))
    grid = [e["topic"] for e in doc["events"] if ":GridVersion." in e["topic"]]
    assert "domain.grids:GridVersion.PropositionAccepted" in grid
    assert VERIFIER.verify_evidence(doc, keys)["problems"] == []


def test_the_minutes_fingerprints_are_those_of_the_evidence_files(
    demo_env: DemoEnv,
) -> None:
    session = q.session(demo_env.read_model.store, SESSION)
    assert session is not None
    text = re.sub(
        r"\s+", " ", raw_text(demo_env.render("minutes", "pdf", session=SESSION))
    )
    printed = re.findall(
        r"Position dans le registre (\d+) \(décision enregistrée le .*? Empreinte de "
        r"la preuve ([0-9a-f]{16})",
        text,
    )
    expected = []
    for code in session["agenda"]:
        position = next(
            d["position"] for d in session["decision_records"] if d["proposal"] == code
        )
        doc = json.loads(evidence_file(demo_env.ledger, position, seal=False))
        expected.append((str(position), doc["fingerprint"][:16]))
    assert printed == expected
    assert (
        "python verifier.py evidence preuve-decision-N.json --key signing_key.pub"
        in (text.replace("\u202f", " ").replace("\u00a0", " "))
    )
