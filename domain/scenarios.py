"""Optimisation scenarios: a proposed selection with its inputs, kept for ever.

A scenario is recorded once, with everything it rested on: the optimiser's inputs as
plain data and their SHA-256 (canonical JSON), the solver and its version, the status
and remaining gap, the selection with start years and the greedy fill beside it. There
is no event to change or delete one: a new computation is a new scenario.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any
from uuid import UUID

from domain.accounts import require
from domain.base import LedgerAggregate, natural_id
from domain.errors import InvalidValue
from domain.values import Role, code, text

STATUSES = ("optimal", "time_limit", "infeasible", "no_solution")
WITH_PLAN = ("optimal", "time_limit")
MAY_COMPUTE = (Role.DSI, Role.CHAIR)
_SHA256 = re.compile(r"[0-9a-f]{64}")


def input_hash(inputs: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the inputs (sorted keys, no spaces, UTF-8)."""
    canonical = json.dumps(
        inputs, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class Scenario(LedgerAggregate):
    """An optimiser's proposed selection under budget, capacity and dependencies."""

    def __init__(self) -> None:
        self.code = ""
        self.label = ""
        self.status = ""
        self.input_hash = ""
        # sorted: a set's order (and so its repr) may differ between equal copies
        self.candidates: tuple[str, ...] = ()
        self.selection: dict[str, int] = {}
        self.inputs: dict[str, Any] = {}
        self.result: dict[str, Any] = {}

    @staticmethod
    def id_for(scenario_code: str) -> UUID:
        return natural_id("scenario", scenario_code)

    class Computed(LedgerAggregate.Created):
        code: str
        label: str
        parameters: dict[str, Any]
        source: dict[str, Any]
        inputs: dict[str, Any]
        input_hash: str
        solver: str
        solver_version: str
        status: str
        gap: str | None
        objective: str | None
        result: dict[str, Any]
        greedy: dict[str, Any]

        def apply(self, agg: Scenario) -> None:
            agg.code, agg.label, agg.status = self.code, self.label, self.status
            agg.input_hash = self.input_hash
            agg.candidates = tuple(
                sorted({c["code"] for c in self.inputs["candidates"]})
            )
            agg.selection = {s["code"]: s["start"] for s in self.result["selection"]}
            agg.inputs, agg.result = self.inputs, self.result

    @classmethod
    def compute(
        cls,
        scenario_code: str,
        label: str,
        *,
        parameters: dict[str, Any],
        source: dict[str, Any],
        inputs: dict[str, Any],
        digest: str,
        result: dict[str, Any],
        greedy: dict[str, Any],
    ) -> Scenario:
        """Record a computed scenario (DSI or chair): the result of a computation on
        the views, which the ledger does not read; it checks what it can without them
        (who records, the hash of the inputs, the shape of both selections)."""
        require("lancer un scénario d'optimisation", *MAY_COMPUTE)
        scenario_code = code(scenario_code, "code")
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            raise InvalidValue("input_hash", digest, "empreinte SHA-256 attendue")
        if not isinstance(inputs, dict) or not isinstance(
            inputs.get("candidates"), list
        ):
            raise InvalidValue(
                "inputs", type(inputs).__name__, "entrées sans candidats"
            )
        if digest != input_hash(inputs):
            raise InvalidValue("input_hash", digest, "ne correspond pas aux entrées")
        candidates = {
            c.get("code") for c in inputs["candidates"] if isinstance(c, dict)
        }
        status = _selection(result, "result", candidates).get("status")
        if status not in STATUSES:
            raise InvalidValue("status", status, "statut de résolution inconnu")
        _selection(greedy, "greedy", candidates)
        return cls._create(
            cls.Computed,
            id=cls.id_for(scenario_code),
            code=scenario_code,
            label=text(label, "label", max_len=200, required=False),
            parameters=parameters,
            source=source,
            inputs=inputs,
            input_hash=digest,
            solver=str(result.get("solver", "")),
            solver_version=str(result.get("solver_version", "")),
            status=status,
            gap=result.get("gap"),
            objective=result.get("objective"),
            result=result,
            greedy=greedy,
        )

    def recommends(self, proposal: str) -> bool | None:
        """Whether the scenario retains ``proposal`` (None if it was no candidate)."""
        if proposal not in self.candidates:
            return None
        return proposal in self.selection

    @property
    def has_plan(self) -> bool:
        return self.status in WITH_PLAN


def _selection(doc: Any, field: str, candidates: set[Any]) -> dict[str, Any]:
    """``doc`` is a result: a selection of candidates, each once, with a start year."""
    if not isinstance(doc, dict) or not isinstance(doc.get("selection"), list):
        raise InvalidValue(field, type(doc).__name__, "résultat sans sélection")
    seen: set[str] = set()
    for line in doc["selection"]:
        if not isinstance(line, dict) or not isinstance(line.get("start"), int):
            raise InvalidValue(f"{field}.selection", line, "code et année attendus")
        if line.get("code") not in candidates:
            raise InvalidValue(
                f"{field}.selection",
                line.get("code"),
                "projet absent des entrées du scénario",
            )
        if line["code"] in seen:
            raise InvalidValue(f"{field}.selection", line["code"], "projet en double")
        seen.add(line["code"])
    return doc
