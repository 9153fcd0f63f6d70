"""Random sequences over the phases and their deliverables keep the rule "a phase
never completes without its deliverables validated or a recorded reason", on SQLite
and PostgreSQL.

A hypothesis state machine starts phases, adds, drops, submits (files and records),
validates and sends back deliverables, and tries to complete phases — by actors who
may or may not be allowed, with or without a reason. A small model says what each
command should do; after every step the machine checks that a refused command wrote
nothing, and, from the ledger's stored events, that every phase completion was
either a ``PhaseCompleted`` with every expected deliverable of the phase validated,
or a ``PhaseCompletedWithReason`` carrying a reason in its command context.

Sized for CI (a few examples of short sequences, well under 30 s on both backends).
"""

from __future__ import annotations

import hashlib
import shutil
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from domain.deliverables import DEFAULTS, PhaseDeliverables
from domain.errors import DomainError
from domain.plan import Plan
from ledger.app import open_ledger
from ledger.core import Caller
from tests.conftest import make_settings
from tests.domain.builders import events_since
from tests.domain.throwaway import databases

PHASES = ("cadrage", "alignement_strategique", "diagnostic_si")
ACTORS = ("dsi", "chair", "amo", "fin")
TODAY = date.today().isoformat()
EXTRA = ("annexe", "planning")
PROFILE = settings(
    max_examples=4,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


class PhaseMachine(RuleBasedStateMachine):
    database: Callable[[], tuple[str, Callable[[], None]]]

    def __init__(self) -> None:
        super().__init__()
        url, self.drop_db = type(self).database()
        self.tmp = Path(f"/tmp/sdsi-pm-{uuid.uuid4().hex[:8]}")
        self.ledger = open_ledger(make_settings(self.tmp, url), create=True)
        self.ledger.bootstrap_admin("admin", "Administrateur", "admin-password-1")
        admin = Caller(actor="admin", reason="tests")
        for login, role in (
            ("dsi", "dsi"),
            ("chair", "chair"),
            ("amo", "consultant"),
            ("fin", "finance"),
        ):
            self.ledger.add_user(
                admin, login, login, "pw-password-1", roles=[(role, None)]
            )
        self.ledger.define_plan(Caller(actor="dsi"), "SDSI", "Ville", 2024, 2030)
        # the model: phase -> status; phase -> key -> (kind, status)
        self.status = dict.fromkeys(PHASES, "planned")
        self.items = {
            p: {k: [kind, "expected"] for k, _label, kind in DEFAULTS[p]}
            for p in PHASES
        }
        self.files = 0

    def teardown(self) -> None:
        self.ledger.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.drop_db()

    def send(self, expected: bool, command: Callable[[], Any]) -> bool:
        head = self.ledger.head()
        try:
            command()
        except DomainError:
            assert self.ledger.head() == head, "a refused command wrote events"
            assert not expected, "the model expected this command to go through"
            return False
        assert expected, "the model expected this command to be refused"
        return True

    def caller(self, actor: str, reason: bool) -> Caller:
        return Caller(actor=actor, reason="parce que" if reason else None)

    def missing(self, phase: str) -> list[str]:
        return [k for k, (_kind, s) in self.items[phase].items() if s != "validated"]

    def open(self, phase: str) -> bool:
        return self.status[phase] != "done"

    @rule(phase=st.sampled_from(PHASES))
    def start(self, phase: str) -> None:
        ok = self.status[phase] == "planned"
        if self.send(
            ok, lambda: self.ledger.start_phase(Caller(actor="dsi"), phase, TODAY)
        ):
            self.status[phase] = "in_progress"

    @rule(
        phase=st.sampled_from(PHASES),
        key=st.sampled_from(EXTRA),
        actor=st.sampled_from(ACTORS),
    )
    def add(self, phase: str, key: str, actor: str) -> None:
        ok = self.open(phase) and actor in ("dsi", "chair")
        ok = ok and key not in self.items[phase]
        send = self.ledger.add_deliverable
        if self.send(ok, lambda: send(Caller(actor=actor), phase, key, key, "record")):
            self.items[phase][key] = ["record", "expected"]

    @rule(phase=st.sampled_from(PHASES), data=st.data(), reason=st.booleans())
    def drop(self, phase: str, data: st.DataObject, reason: bool) -> None:
        key = data.draw(st.sampled_from([*self.items[phase], "inconnu"]))
        item = self.items[phase].get(key)
        ok = self.open(phase) and item is not None and item[1] != "validated"
        ok = ok and reason
        send = self.ledger.drop_deliverable
        if self.send(ok, lambda: send(self.caller("chair", reason), phase, key)):
            del self.items[phase][key]

    @rule(
        phase=st.sampled_from(PHASES),
        data=st.data(),
        actor=st.sampled_from(ACTORS),
        right_kind=st.booleans(),
    )
    def submit(
        self, phase: str, data: st.DataObject, actor: str, right_kind: bool
    ) -> None:
        key = data.draw(st.sampled_from([*self.items[phase], "inconnu"]))
        item = self.items[phase].get(key)
        ok = self.open(phase) and item is not None and actor in ("dsi", "amo")
        ok = ok and item is not None and item[1] != "validated" and right_kind
        as_document = (item is not None and item[0] == "document") == right_kind
        self.files += 1
        content = f"%PDF-1.4\n% fichier {self.files}\n".encode()

        def command() -> Any:
            if as_document:
                return self.ledger.submit_deliverable(
                    Caller(actor=actor),
                    phase,
                    key,
                    filename="livrable.pdf",
                    content=content,
                    sha256=hashlib.sha256(content).hexdigest(),
                )
            return self.ledger.submit_deliverable(
                Caller(actor=actor), phase, key, record_kind="portfolio"
            )

        if self.send(ok, command):
            self.items[phase][key][1] = "submitted"

    @rule(
        phase=st.sampled_from(PHASES),
        data=st.data(),
        actor=st.sampled_from(ACTORS),
        validate=st.booleans(),
        reason=st.booleans(),
    )
    def review(
        self, phase: str, data: st.DataObject, actor: str, validate: bool, reason: bool
    ) -> None:
        key = data.draw(st.sampled_from([*self.items[phase], "inconnu"]))
        item = self.items[phase].get(key)
        ok = self.open(phase) and item is not None and item[1] == "submitted"
        ok = ok and actor == "chair" and (validate or reason)
        method = (
            self.ledger.validate_deliverable
            if validate
            else self.ledger.return_deliverable
        )
        if self.send(ok, lambda: method(self.caller(actor, reason), phase, key)):
            self.items[phase][key][1] = "validated" if validate else "returned"

    @rule(phase=st.sampled_from(PHASES), override=st.booleans(), reason=st.booleans())
    def complete(self, phase: str, override: bool, reason: bool) -> None:
        ok = self.status[phase] == "in_progress" and (
            not self.missing(phase) or (override and reason)
        )
        caller = self.caller("dsi", reason)
        if self.send(
            ok,
            lambda: self.ledger.complete_phase(caller, phase, TODAY, override=override),
        ):
            self.status[phase] = "done"

    @invariant()
    def no_phase_completes_without_its_deliverables_or_a_reason(self) -> None:
        plan = self.ledger.load(Plan, Plan.id_for())
        assert plan is not None
        for event in events_since(self.ledger, 0):
            if isinstance(event, Plan.PhaseCompletedWithReason):
                assert (event.context.reason or "").strip()
                assert event.missing
            elif isinstance(event, Plan.PhaseCompleted):
                found = self.ledger.load(
                    PhaseDeliverables, PhaseDeliverables.id_for(1, event.phase.value)
                )
                assert found is not None and found.missing() == []
        for phase in PHASES:
            assert plan.phases[phase]["status"] == self.status[phase]


def test_phases_never_complete_without_their_deliverables_or_a_reason(
    backend: str, request: pytest.FixtureRequest
) -> None:
    database = databases(backend, request, "pm")
    machine = type(
        f"PhaseMachine_{backend}", (PhaseMachine,), {"database": staticmethod(database)}
    )
    run_state_machine_as_test(machine, settings=PROFILE)
