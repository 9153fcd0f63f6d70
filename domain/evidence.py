"""The fingerprint of what a decision rests on, as the chair was shown it.

The decision form shows the chair the evidence read from the views: the consolidated
scores, value and risk on the session's grid version, the current votes, the rules an
approval would break (dependencies, team capacity) and the estimated costs. If the
views lag, or someone scores, votes or decides between the page and the submission,
the decision would record evidence the chair never saw. The form therefore carries a
fingerprint of the evidence as shown; the ledger computes it again from the write side
(the decision's own recorded evidence) and refuses a decision whose fingerprint
differs (``EvidenceChanged``). Both sides build the same canonical form with the
functions below, so the same evidence always gives the same fingerprint.

The envelope conflicts are not part of it: they depend on the CP schedule submitted
with the decision itself, and the ledger checks them on submission.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from domain.arbitration import Conflict, Rule, ordered
from domain.scoring import Evidence


def hundredths(value: Decimal | int | None) -> int | None:
    """A two-decimal score as integer hundredths (how the views keep it)."""
    return None if value is None else int(Decimal(value) * 100)


def shown_evidence(evidence: Evidence | None) -> dict[str, Any] | None:
    """The canonical form of the domain's evidence."""
    if evidence is None:
        return None
    return {
        "grid_version": evidence.grid_version,
        "revision": evidence.revision,
        "evaluators": evidence.evaluators,
        "criteria": {
            c.criterion: [
                c.family.value,
                c.evaluators,
                c.total,
                c.lowest,
                c.highest,
                hundredths(c.mean),
            ]
            for c in evidence.criteria
        },
        "value": hundredths(evidence.value),
        "risk": hundredths(evidence.risk),
    }


def shown_evidence_doc(doc: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The same canonical form from the views' evidence document (``evidence_doc``)."""
    if doc is None:
        return None
    return {
        "grid_version": doc["grid_version"],
        "revision": doc["revision"],
        "evaluators": doc["evaluators"],
        "criteria": {
            code: [c["family"], c["n"], c["sum"], c["min"], c["max"], c["mean_x100"]]
            for code, c in doc["criteria"].items()
        },
        "value": doc["value_x100"],
        "risk": doc["risk_x100"],
    }


def fingerprint(
    evidence: Mapping[str, Any] | None,
    votes: tuple[int, int, int],
    conflicts: Iterable[Conflict],
    costs: Iterable[tuple[int, str, int]],
) -> str:
    """The SHA-256 of the evidence (canonical form), the current votes (for,
    against, abstain), the standing conflicts of an approval (dependencies and
    capacity) and the estimated costs (year, section, cents)."""
    canonical = {
        "evidence": evidence,
        "votes": list(votes),
        "conflicts": [
            c.as_plain() for c in ordered(conflicts) if c.rule is not Rule.ENVELOPE
        ],
        "costs": sorted([int(y), str(s), int(a)] for y, s, a in costs),
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
