"""A minimal municipality, built through ledger commands, so rule tests stay short.

``Town(ledger)`` defines a 2024–2028 plan, one pôle with two directions (FIN, EDU), a
DSI team, one strategic axis with an indicator and one account per persona. Everything
else (the adopted grid, budget envelopes, proposals at a given status, sessions) is
built on demand by the methods below, each through the same commands a user sends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from eventsourcing.domain import DomainEventProtocol

from domain.errors import DomainError
from ledger.app import Ledger
from ledger.core import Caller

PASSWORD = "town-password-1"
FIRST_YEAR, LAST_YEAR = 2024, 2028
YEAR = 2025
INV, OPE = "investissement", "fonctionnement"
VOTING = ["chair", "m1", "m2", "m3"]  # four voting members: the quorum is three
NON_VOTING = ["fin"]

# login -> roles (``referent`` roles are scoped to a direction)
PEOPLE: dict[str, list[tuple[str, str | None]]] = {
    "dsi": [("dsi", None)],
    "chair": [("chair", None), ("member", None)],
    "chair2": [("chair", None), ("member", None)],
    "m1": [("member", None)],
    "m2": [("member", None)],
    "m3": [("member", None)],
    "eval1": [("evaluator", None)],
    "eval2": [("evaluator", None)],
    "fin": [("finance", None)],
    "ref.fin": [("referent", "FIN")],
    "ref.edu": [("referent", "EDU")],
    "audit": [("auditor", None)],
}
REFERENT = {"FIN": "ref.fin", "EDU": "ref.edu"}


def by(actor: str, reason: str | None = None) -> Caller:
    """A caller acting as ``actor`` (with a reason when the action is a judgement)."""
    return Caller(actor=actor, reason=reason)


ADMIN = by("admin", "tests")
DSI = by("dsi")
CHAIR = by("chair")
FIN = by("fin")


def criterion(
    code: str, family: str = "value", weight: str = "50", levels: int = 4
) -> dict[str, Any]:
    """A criterion as a form sends it, with an integer scale 1..``levels``."""
    return {
        "code": code,
        "label": f"Critère {code}",
        "family": family,
        "weight": weight,
        "scale": [
            {"level": n, "descriptor": f"niveau {n}"} for n in range(1, levels + 1)
        ],
    }


GRID = [
    criterion("VAL1", "value", "60"),
    criterion("VAL2", "value", "40"),
    criterion("RISK1", "risk", "100"),
]


def cp(*lines: tuple[int, str, str]) -> list[dict[str, Any]]:
    """A CP schedule: ``(year, section, amount)`` lines."""
    return [{"year": y, "section": s, "amount": a} for y, s, a in lines]


def events_since(ledger: Ledger, head: int) -> list[DomainEventProtocol[Any]]:
    """The events written after notification id ``head``, in log order."""
    notifications = ledger.recorder.select_notifications(
        start=head, limit=10_000, inclusive_of_start=False
    )
    return [ledger.mapper.to_domain_event(n) for n in notifications]


def names_since(ledger: Ledger, head: int) -> list[str]:
    """Class names of the events written after ``head``."""
    return [type(e).__qualname__ for e in events_since(ledger, head)]


@contextmanager
def refused(
    ledger: Ledger, error: type[DomainError]
) -> Iterator[pytest.ExceptionInfo[DomainError]]:
    """Expect exactly ``error`` from the block, and nothing written to the ledger."""
    head = ledger.head()
    with pytest.raises(DomainError) as info:
        yield info
    assert type(info.value) is error, f"{type(info.value).__name__}: {info.value}"
    assert ledger.head() == head, "a refused command wrote events"


class Town:
    """The minimal municipality, and builders for what a rule test needs next."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        ledger.define_plan(
            ADMIN, "SDSI de test", "Ville de test", FIRST_YEAR, LAST_YEAR
        )
        ledger.create_pole(ADMIN, "PRS", "Pôle Ressources")
        ledger.create_direction(ADMIN, "FIN", "Direction des finances", "PRS")
        ledger.create_direction(ADMIN, "EDU", "Éducation", "PRS")
        ledger.create_team(ADMIN, "DSI-APPS", "DSI applications", "dsi")
        for login, roles in PEOPLE.items():
            ledger.add_user(ADMIN, login, login.upper(), PASSWORD, roles=roles)
        ledger.create_axis(DSI, "A1", "Services en ligne")
        ledger.create_indicator(
            DSI, "A1-I1", "A1", "Démarches en ligne", "%", 35, 90, 2028
        )
        self.grid_adopted = False
        self.envelopes: set[tuple[int, str]] = set()
        self.sessions = 0

    # --- grid and budget --------------------------------------------------------------

    def adopt_grid(self) -> int:
        """Grid v1 (VAL1 60 %, VAL2 40 %, RISK1 100 %, levels 1–4), adopted."""
        if not self.grid_adopted:
            self.ledger.draft_grid(DSI, 1, "Grille 1", criteria=GRID)
            self.ledger.adopt_grid(CHAIR, 1, f"{YEAR}-01-10")
            self.grid_adopted = True
        return 1

    def envelope(
        self, year: int = YEAR, section: str = INV, amount: str = "500000.00"
    ) -> None:
        """Vote the BP of ``year`` and ``section`` (once)."""
        if (year, section) not in self.envelopes:
            self.ledger.vote_budget(
                FIN, year, section, amount, f"BP {year}", f"{min(year, YEAR) - 1}-12-15"
            )
            self.envelopes.add((year, section))

    # --- proposals --------------------------------------------------------------------

    @staticmethod
    def content(**changes: Any) -> dict[str, Any]:
        """A valid proposal content (one 100 k€ investment line in YEAR)."""
        content: dict[str, Any] = {
            "title": "Portail citoyen",
            "description": "Démarches en ligne pour les usagers.",
            "costs": [{"year": YEAR, "section": INV, "amount": "100000.00"}],
        }
        content.update(changes)
        return content

    def draft(self, code: str = "P1", direction: str = "FIN", **content: Any) -> str:
        self.ledger.draft_proposal(
            by(REFERENT[direction]), code, direction, self.content(**content)
        )
        return code

    def submitted(self, code: str = "P1", direction: str = "FIN") -> str:
        self.draft(code, direction)
        self.ledger.submit_proposal(by(REFERENT[direction]), code)
        return code

    def qualified(self, code: str = "P1", direction: str = "FIN") -> str:
        self.submitted(code, direction)
        self.ledger.qualify_proposal(DSI, code, self.qualification())
        return code

    @staticmethod
    def qualification(**changes: Any) -> dict[str, Any]:
        q: dict[str, Any] = {
            "costs": [{"year": YEAR, "section": INV, "amount": "100000.00"}],
            "note": "chiffrage DSI",
        }
        q.update(changes)
        return q

    def on_agenda(self, code: str = "P1", session: str | None = None) -> str:
        """``code`` qualified and on the agenda of a convened session; returns it."""
        self.qualified(code)
        session = session or self.convene()
        self.ledger.add_agenda_item(CHAIR, session, code)
        return session

    def on_agenda_only(self, code: str, session: str) -> str:
        """``code`` (already qualified or deferred) put on ``session``; returns it."""
        self.ledger.add_agenda_item(CHAIR, session, code)
        return session

    def decided(
        self,
        code: str = "P1",
        outcome: str = "approved",
        ap: str = "100000.00",
        schedule: list[dict[str, Any]] | None = None,
    ) -> str:
        """``code`` decided in its own session (all present, no vote); returns it."""
        session = self.on_agenda(code)
        self.open(session)
        kwargs: dict[str, Any] = {}
        if outcome.startswith("approved"):
            schedule = schedule if schedule is not None else cp((YEAR, INV, ap))
            for line in schedule:
                self.envelope(line["year"], line["section"])
            kwargs = {"ap_amount": ap, "cp": schedule}
        if outcome == "approved_with_conditions":
            kwargs["conditions"] = "cadrage détaillé au prochain COPIL"
        self.ledger.record_decision(
            CHAIR, session, code, outcome, "arbitrage du COPIL", **kwargs
        )
        return session

    def planned(self, code: str = "P1") -> str:
        self.decided(code)
        self.ledger.plan_project(DSI, code, f"{YEAR}-02-01", f"{YEAR}-12-15")
        return code

    def in_progress(self, code: str = "P1") -> str:
        self.planned(code)
        self.ledger.start_project(DSI, code, f"{YEAR}-02-03")
        return code

    def at_status(self, status: str, code: str = "P1") -> str:
        """Bring ``code`` to ``status`` along the lifecycle."""
        if status == "draft":
            self.draft(code)
        elif status == "submitted":
            self.submitted(code)
        elif status == "qualified":
            self.qualified(code)
        elif status == "on_agenda":
            self.on_agenda(code)
        elif status in ("approved", "approved_with_conditions", "deferred", "rejected"):
            self.decided(code, status)
        elif status == "planned":
            self.planned(code)
        elif status == "in_progress":
            self.in_progress(code)
        elif status == "done":
            self.in_progress(code)
            self.ledger.complete_project(DSI, code, f"{YEAR}-12-10")
        elif status == "withdrawn":
            self.draft(code)
            self.ledger.withdraw_proposal(by("ref.fin", "abandon"), code)
        elif status == "cancelled":
            self.decided(code)
            self.ledger.cancel_project(by("chair", "abandon"), code)
        else:
            raise ValueError(status)
        return code

    # --- sessions ---------------------------------------------------------------------

    def convene(self, code: str | None = None, **kwargs: Any) -> str:
        """A convened session chaired by ``chair``: four voting members, one not."""
        self.sessions += 1
        code = code or f"S{self.sessions}"
        kwargs.setdefault("voting", VOTING)
        kwargs.setdefault("non_voting", NON_VOTING)
        self.ledger.convene_session(
            CHAIR, code, f"COPIL {code}", f"{YEAR}-03-1{self.sessions % 10}", **kwargs
        )
        return code

    def open(self, session: str, present: list[str] | None = None) -> str:
        self.ledger.open_session(
            CHAIR, session, [*VOTING, *NON_VOTING] if present is None else present
        )
        return session

    def approved_budget(
        self, code: str = "P1", ap: str = "100000.00", envelope: str = "500000.00"
    ) -> str:
        """An approved project: ``ap`` of investment CP in YEAR, on its envelope."""
        self.envelope(YEAR, INV, envelope)
        self.decided(code, "approved", ap)
        return code

    def commitment(
        self, code: str = "P1", reference: str = "EJ1", amount: str = "60000.00"
    ) -> str:
        self.ledger.record_commitment(
            FIN, code, reference, YEAR, INV, amount, f"{YEAR}-04-02", "Titulaire"
        )
        return reference
