"""Findings of the diagnosis, and what proposals cite of it.

A **finding** (*constat*: force, faiblesse, risque, opportunité) is recorded by the DSI
with the evidence it rests on: the applications concerned and, for each, the
assessments read (``APP:dsi:2`` — the DSI's second assessment of ``APP``;
``APP:DRH:1`` — the first one of the direction DRH). A finding that confirms an
automatic suggestion (``domain.diagnosis``) names it (``suggestion``), so the
suggestion is no longer offered. A finding is withdrawn (reason required), never
deleted; its code (``CST-001``…) is what proposals cite. A finding may itself cite
documents of the review register (``DocumentsCited``, ``domain.reviewed_documents``).

A proposal's **links** (``ProposalLinks``, one aggregate per proposal) name the
applications it replaces or changes, the findings it answers and the documents of
the review register it cites; setting them again replaces the whole set (the history
keeps every set). They are what tells which
obsolescence risks no proposal covers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.accounts import require
from domain.base import LedgerAggregate, natural_id
from domain.errors import FindingWithdrawn, InvalidValue, UnknownEvidence
from domain.inventory import Application
from domain.records import reason_for
from domain.reviewed_documents import cited
from domain.values import DomainEnum, Role, as_list, code, enum_value, text

AUTHORS = (Role.DSI, Role.CONSULTANT)  # who records findings: the DSI and its AMO
MAX_EVIDENCE = 50


class FindingKind(DomainEnum):
    """The four kinds of finding of a SWOT-like diagnosis."""

    STRENGTH = "strength"
    WEAKNESS = "weakness"
    RISK = "risk"
    OPPORTUNITY = "opportunity"


KIND_LABELS = {
    "strength": "force",
    "weakness": "faiblesse",
    "risk": "risque",
    "opportunity": "opportunité",
}


class LinkEffect(DomainEnum):
    """What a proposal does to an application."""

    REPLACES = "replaces"
    CHANGES = "changes"


def finding_code(number: int) -> str:
    return f"CST-{number:03d}"


def assessment_ref(value: Any, applications: dict[str, Application]) -> str:
    """``APP:dsi:N`` or ``APP:DIRECTION:N``: the N-th assessment (from 1) of that
    assessor, on one of the finding's ``applications``."""
    parts = value.split(":") if isinstance(value, str) else []
    if len(parts) != 3 or not parts[2].isdigit():
        raise InvalidValue(
            "assessments",
            value,
            "référence APPLICATION:dsi:N ou APPLICATION:DIRECTION:N",
        )
    app_code, assessor, number = parts[0], parts[1], int(parts[2])
    app = applications.get(app_code)
    if app is None:
        raise UnknownEvidence(
            field="assessments", what="application non citée par le constat", id=value
        )
    made = (
        app.dsi_assessments
        if assessor == "dsi"
        else app.direction_assessments.get(assessor, [])
    )
    if not 1 <= number <= len(made):
        raise UnknownEvidence(field="assessments", what="évaluation", id=value)
    return f"{app_code}:{assessor}:{number}"


class Finding(LedgerAggregate):
    """A finding of the diagnosis and the evidence it rests on."""

    def __init__(self) -> None:
        self.code = ""
        self.kind = FindingKind.RISK
        self.title = ""
        self.statement = ""
        self.applications: list[str] = []
        self.assessments: list[str] = []
        self.suggestion: str | None = None
        self.documents: list[str] = []  # of the review register (DOC-NNN)
        self.withdrawn_at: datetime | None = None

    @staticmethod
    def id_for(finding: str) -> UUID:
        return natural_id("finding", finding)

    class Recorded(LedgerAggregate.Created):
        code: str
        kind: FindingKind
        title: str
        statement: str
        applications: list[str]
        assessments: list[str]
        suggestion: str | None

        def apply(self, agg: Finding) -> None:
            agg.code, agg.kind, agg.title = self.code, self.kind, self.title
            agg.statement, agg.suggestion = self.statement, self.suggestion
            agg.applications = list(self.applications)
            agg.assessments = list(self.assessments)

    class Withdrawn(LedgerAggregate.Event):
        def apply(self, agg: Finding) -> None:
            agg.withdrawn_at = self.timestamp

    class DocumentsCited(LedgerAggregate.Event):
        documents: list[str]

        def apply(self, agg: Finding) -> None:
            agg.documents = list(self.documents)

    @classmethod
    def record(
        cls,
        finding: str,
        *,
        kind: Any,
        title: Any,
        statement: Any,
        applications: dict[str, Application],
        assessments: Any = (),
        suggestion: Any = None,
    ) -> Finding:
        """A new finding resting on ``applications`` (already loaded) and the
        ``assessments`` of them it cites."""
        require("enregistrer un constat du diagnostic", *AUTHORS)
        refs = as_list(assessments, "assessments")
        if len(applications) > MAX_EVIDENCE or len(refs) > MAX_EVIDENCE:
            raise InvalidValue(
                "applications", len(applications), f"au plus {MAX_EVIDENCE}"
            )
        checked = list(dict.fromkeys(assessment_ref(r, applications) for r in refs))
        return cls._create(
            cls.Recorded,
            id=cls.id_for(finding),
            code=finding,
            kind=enum_value(FindingKind, kind, "kind"),
            title=text(title, "title"),
            statement=text(statement, "statement", max_len=4000, required=False),
            applications=sorted(applications),
            assessments=checked,
            suggestion=text(suggestion, "suggestion", max_len=120, required=False)
            or None,
        )

    def withdraw(self) -> None:
        """The finding no longer holds (reason required)."""
        require("retirer un constat du diagnostic", *AUTHORS)
        self.check_current("assessments")
        reason_for("retirer un constat")
        self.trigger_event(self.Withdrawn)

    def cite(self, documents: list[str]) -> bool:
        """The documents of the review register the finding rests on (the caller
        checked each is in the register and current); replaces the previous set,
        nothing if unchanged."""
        require("citer des documents dans un constat", *AUTHORS)
        self.check_current("documents")
        found = cited(documents)
        if found == self.documents:
            return False
        self.trigger_event(self.DocumentsCited, documents=found)
        return True

    def check_current(self, field: str = "findings") -> None:
        if self.withdrawn_at is not None:
            raise FindingWithdrawn(field=field, finding=self.code)


class ProposalLinks(LedgerAggregate):
    """The applications a proposal replaces or changes and the findings it answers."""

    def __init__(self) -> None:
        self.proposal = ""
        self.applications: dict[str, LinkEffect] = {}
        self.findings: list[str] = []
        self.documents: list[str] = []

    @staticmethod
    def id_for(proposal: str) -> UUID:
        return natural_id("proposal-links", proposal)

    class Started(LedgerAggregate.Created):
        proposal: str

        def apply(self, agg: ProposalLinks) -> None:
            agg.proposal = self.proposal

    class LinksSet(LedgerAggregate.Event):
        applications: dict[str, LinkEffect]
        findings: list[str]

        def apply(self, agg: ProposalLinks) -> None:
            agg.applications = dict(self.applications)
            agg.findings = list(self.findings)

    class DocumentsCited(LedgerAggregate.Event):
        documents: list[str]

        def apply(self, agg: ProposalLinks) -> None:
            agg.documents = list(self.documents)

    @classmethod
    def start(cls, proposal: str) -> ProposalLinks:
        return cls._create(cls.Started, id=cls.id_for(proposal), proposal=proposal)

    def set(self, applications: dict[str, Any], findings: list[str]) -> bool:
        """The new set of links (the caller checked who may act on the proposal and
        that every application and finding exists); nothing if unchanged."""
        apps = {
            code(k, "applications"): enum_value(LinkEffect, v, "applications")
            for k, v in applications.items()
        }
        found = sorted(set(findings))
        if apps == self.applications and found == self.findings:
            return False
        self.trigger_event(self.LinksSet, applications=apps, findings=found)
        return True

    def cite(self, documents: list[str]) -> bool:
        """The documents of the review register the proposal cites (the caller
        checked who may act and that each document is current); nothing if
        unchanged."""
        found = cited(documents)
        if found == self.documents:
            return False
        self.trigger_event(self.DocumentsCited, documents=found)
        return True
