"""Budget: envelopes per year and section (BP, DM), AP/CP per project, commitments, payments.

Allocations never exceed the year's envelope, commitments never exceed the project's CP
of the year, payments never exceed their commitment — unless an override with a reason
is recorded by someone allowed to (the chair for allocations, finance for commitments
and payments); the override is then on the event, so it shows everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain import dates, m57
from domain.accounts import SYSTEM, has_role, require
from domain.arbitration import Conflict, envelope_conflict
from domain.base import LedgerAggregate, current_context, natural_id
from domain.entities import MAIN, whole
from domain.errors import (
    AlreadyExists,
    BudgetAlreadyVoted,
    CommitmentExceeded,
    CPBelowCommitted,
    CPExceeded,
    DateOutsideYear,
    DecisionAmountsInvalid,
    EnvelopeBelowAllocated,
    EnvelopeExceeded,
    InvalidValue,
    NotFound,
    OverrideNotAllowed,
    ReasonRequired,
)
from domain.values import (
    Role,
    Section,
    ValueObject,
    as_dict,
    as_list,
    code,
    enum_value,
    field_names,
    money,
    text,
    year,
)

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class CPLine(ValueObject):
    """Payment credits (CP) of one year in one section."""

    year: int
    section: Section
    amount: Decimal


def parse_cp(value: Any, field: str = "cp") -> tuple[CPLine, ...]:
    """A CP schedule: one positive line per (year, section)."""
    lines = []
    for i, raw in enumerate(as_list(value, field)):
        d = as_dict(raw, f"{field}[{i}]", field_names(CPLine))
        lines.append(
            CPLine(
                year=year(d.get("year"), f"{field}[{i}].year"),
                section=enum_value(Section, d.get("section"), f"{field}[{i}].section"),
                amount=money(d.get("amount"), f"{field}[{i}].amount"),
            )
        )
    keys = [(c.year, c.section) for c in lines]
    if len(set(keys)) != len(keys):
        raise InvalidValue(
            field, [f"{y} {s.value}" for y, s in keys], "une ligne par année et section"
        )
    return tuple(sorted(lines, key=lambda c: (c.year, c.section.value)))


def cp_key(cp_year: int, section: Section | str) -> str:
    return f"{cp_year}/{section.value if isinstance(section, Section) else section}"


def envelope_key(cp_year: int, section: Section | str, entity: str = MAIN) -> str:
    """``2026/investment`` for the main entity, ``ccas:2026/investment`` otherwise."""
    key = cp_key(cp_year, section)
    return key if entity == MAIN else f"{entity}:{key}"


def section_label(section: str, entity: str = MAIN) -> str:
    """A section as messages name it, with its entity when not the main one."""
    return section if entity == MAIN else f"{section}, entité {entity}"


def allocation_conflict(
    year: int,
    section: str,
    entity: str,
    total: Decimal,
    allocated: Decimal,
    previous: Decimal,
    amount: Decimal,
) -> Conflict | None:
    """Allocating ``amount`` to a project on ``entity``'s envelope of ``year`` and
    ``section`` (``total`` voted, ``allocated`` in all, ``previous`` of it to this
    project) exceeds it: only an increase can (lowering an allocation of an
    overdrawn envelope is allowed). The approval's rule, on the write side
    (:meth:`Envelope.conflict`) and on the decision form's envelope panel."""
    if amount <= previous:
        return None
    return envelope_conflict(
        year, section_label(section, entity), total, allocated - previous, amount
    )


def check_schedule(proposal: str, ap: Decimal, cp: tuple[CPLine, ...]) -> None:
    """The CP schedule of an AP totals the AP exactly."""
    if ap <= 0:
        raise DecisionAmountsInvalid(
            field="ap_amount", proposal=proposal, reason="l'AP doit être positive"
        )
    total = sum((c.amount for c in cp), ZERO)
    if total != ap:
        raise DecisionAmountsInvalid(
            field="cp",
            proposal=proposal,
            reason=f"le total des CP ({total} €) diffère de l'AP ({ap} €)",
        )


def check_override(override_reason: str | None, role: Role, what: str) -> str | None:
    """Validate an override request: a reason, and the role allowed to override."""
    if override_reason is None:
        return None
    reason = text(override_reason, "override_reason", max_len=2000, required=False)
    if not reason:
        raise ReasonRequired("un forçage", field="override_reason")
    ctx = current_context()
    if ctx.actor != SYSTEM and not has_role(ctx.roles, role):
        raise OverrideNotAllowed(actor=ctx.actor, what=what, role=role.value)
    return reason


class Envelope(LedgerAggregate):
    """The budget envelope of one year and section: BP, DMs, and allocations to projects."""

    def __init__(self) -> None:
        self.year = 0
        self.section = Section.INVESTMENT
        self.voted = ZERO
        self.adjustments = ZERO
        self.allocations: dict[str, Decimal] = {}
        self.overrides = 0
        self.voted_on: date | None = None
        self.entity = MAIN

    @staticmethod
    def id_for(envelope_year: int, section: Section | str, entity: str = MAIN) -> UUID:
        """The main entity's envelopes keep the ids they had before entities."""
        return natural_id("envelope", envelope_key(envelope_year, section, entity))

    @property
    def total(self) -> Decimal:
        return self.voted + self.adjustments

    @property
    def allocated(self) -> Decimal:
        return sum(self.allocations.values(), ZERO)

    @property
    def available(self) -> Decimal:
        return self.total - self.allocated

    def conflict(self, proposal: str, amount: Decimal) -> Conflict | None:
        """Allocating ``amount`` to ``proposal`` here exceeds the envelope (only an
        increase can: lowering an allocation of an overdrawn envelope is allowed)."""
        return allocation_conflict(
            self.year,
            self.section.value,
            self.entity,
            self.total,
            self.allocated,
            self.allocations.get(proposal, ZERO),
            amount,
        )

    class BudgetVoted(LedgerAggregate.Created):
        year: int
        section: Section
        amount: Decimal
        deliberation: str
        on: date
        entity: str

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Envelopes voted before entities are the municipality's."""
            state["entity"] = MAIN

        def apply(self, agg: Envelope) -> None:
            agg.year, agg.section, agg.voted = self.year, self.section, self.amount
            agg.voted_on, agg.entity = self.on, self.entity

    class Adjusted(LedgerAggregate.Event):
        delta: Decimal
        deliberation: str
        on: date

        def apply(self, agg: Envelope) -> None:
            agg.adjustments += self.delta

    class Allocated(LedgerAggregate.Event):
        proposal: str
        amount: Decimal
        previous: Decimal
        override_reason: str | None

        def apply(self, agg: Envelope) -> None:
            if self.amount:
                agg.allocations[self.proposal] = self.amount
            else:
                agg.allocations.pop(self.proposal, None)
            agg.overrides += self.override_reason is not None

    def carry_in(self, proposal: str, amount: Decimal, reason: str) -> None:
        """Allocate CP carried over from a plan that ended: the ledger's own move,
        flagged with ``reason`` when it goes beyond what is available."""
        previous = self.allocations.get(proposal, ZERO)
        if amount == previous:
            return
        exceeds = amount > previous and amount > self.available + previous
        self.trigger_event(
            self.Allocated,
            proposal=proposal,
            amount=amount,
            previous=previous,
            override_reason=reason if exceeds else None,
        )

    @classmethod
    def vote(
        cls,
        envelope_year: int,
        section: Any,
        amount: Any,
        deliberation: str,
        on: Any,
        exists: bool,
        entity: str = MAIN,
    ) -> Envelope:
        """``entity``: the code of an open entity (checked by the command)."""
        require("voter le budget primitif", Role.FINANCE)
        y = year(envelope_year, "year")
        s = enum_value(Section, section, "section")
        if exists:
            raise BudgetAlreadyVoted(year=y, section=section_label(s.value, entity))
        day = dates.fact(on, "on", "un budget primitif voté")
        return cls._create(
            cls.BudgetVoted,
            id=cls.id_for(y, s, entity),
            year=y,
            section=s,
            amount=money(amount, "amount"),
            deliberation=text(deliberation, "deliberation", max_len=120),
            on=day,
            entity=entity,
        )

    def adjust(self, delta: Any, deliberation: str, on: Any) -> None:
        """A DM (décision modificative): positive or negative, never below what is allocated."""
        require("ajuster une enveloppe (DM)", Role.FINANCE)
        d = money(delta, "delta", allow_negative=True)
        if d == 0:
            raise InvalidValue("delta", d, "une DM modifie le montant")
        day = dates.fact(on, "on", "une décision modificative votée")
        dates.not_before(
            day, self.voted_on, "on", "le vote du budget primitif", "une DM"
        )
        # Only a cut must respect what is allocated: raising an envelope that an
        # override overdrew reduces the overrun, and is how the overrun is compensated.
        if d < 0 and self.total + d < self.allocated:
            raise EnvelopeBelowAllocated(
                field="delta",
                year=self.year,
                section=section_label(self.section.value, self.entity),
                total=self.total + d,
                allocated=self.allocated,
            )
        self.trigger_event(
            self.Adjusted,
            delta=d,
            deliberation=text(deliberation, "deliberation", max_len=120),
            on=day,
        )

    def allocate(
        self, proposal: str, amount: Decimal, override_reason: str | None = None
    ) -> None:
        """Set the project's allocation on this envelope (its CP of this year and section)."""
        previous = self.allocations.get(proposal, ZERO)
        if amount == previous:
            return
        reason = check_override(
            override_reason, Role.CHAIR, "une allocation au-delà de l'enveloppe"
        )
        available = self.available + previous
        # Only an increase can overdraw the envelope: lowering the allocation of an
        # envelope that an earlier override overdrew needs no new override.
        exceeds = amount > previous and amount > available
        if exceeds and reason is None:
            raise EnvelopeExceeded(
                field="cp",
                year=self.year,
                section=section_label(self.section.value, self.entity),
                proposal=proposal,
                requested=amount,
                available=available,
            )
        self.trigger_event(
            self.Allocated,
            proposal=proposal,
            amount=amount,
            previous=previous,
            override_reason=reason if exceeds else None,
        )


class ProjectBudget(LedgerAggregate):
    """The AP of an approved project, its CP schedule, commitments and payments."""

    def __init__(self) -> None:
        self.proposal = ""
        self.ap = ZERO
        self.cp: dict[str, Decimal] = {}
        self.commitments: dict[str, dict[str, Any]] = {}
        self.revisions = 0
        self.imputations: dict[str, str] = {}
        # entity -> percent: how its amounts count against each entity's envelopes
        self.shares: dict[str, Decimal] = whole(MAIN)

    @staticmethod
    def id_for(proposal_code: str) -> UUID:
        return natural_id("project-budget", proposal_code)

    def cp_of(self, cp_year: int, section: Section) -> Decimal:
        """The project's CP of a year and section."""
        return self.cp.get(cp_key(cp_year, section), ZERO)

    def committed(self, cp_year: int, section: Section) -> Decimal:
        return self._committed_sums().get((cp_year, section.value), ZERO)

    # Running indexes of the commitments, so that recording one more commitment or
    # payment does not scan them all (an import of 100,000 lines in one project
    # would be quadratic). Built from ``commitments`` on first use, then kept up to
    # date by the events' ``apply``: not part of the events, nothing to migrate.

    def _committed_sums(self) -> dict[tuple[int, str], Decimal]:
        sums = self.__dict__.get("_sums")
        if sums is None:
            sums = {}
            for c in self.commitments.values():
                k = (c["year"], c["section"])
                sums[k] = sums.get(k, ZERO) + c["amount"]
            self.__dict__["_sums"] = sums
        return sums  # type: ignore[no-any-return]

    def _payment_references(self) -> set[str]:
        refs = self.__dict__.get("_paid_refs")
        if refs is None:
            refs = {r for c in self.commitments.values() for r in c["payments"]}
            self.__dict__["_paid_refs"] = refs
        return refs  # type: ignore[no-any-return]

    class APVoted(LedgerAggregate.Created):
        proposal: str
        amount: Decimal
        cp: list[CPLine]
        session: str

        def apply(self, agg: ProjectBudget) -> None:
            agg.proposal, agg.ap = self.proposal, self.amount
            agg.cp = {cp_key(c.year, c.section): c.amount for c in self.cp}

    class APRevised(LedgerAggregate.Event):
        amount: Decimal
        cp: list[CPLine]
        deliberation: str

        def apply(self, agg: ProjectBudget) -> None:
            agg.ap = self.amount
            agg.cp = {cp_key(c.year, c.section): c.amount for c in self.cp}
            agg.revisions += 1

    class SharesSet(LedgerAggregate.Event):
        """The entities the project's amounts count against, set at its approval
        (a project without this event is wholly the municipality's)."""

        shares: dict[str, Decimal]

        def apply(self, agg: ProjectBudget) -> None:
            agg.shares = dict(self.shares)

    class CarriedOver(LedgerAggregate.Event):
        """The project carried over into plan ``plan``: its CP not consumed
        (not committed) in the years before ``first_year`` moved to that year."""

        plan: int
        first_year: int
        cp: list[CPLine]
        moved: list[CPLine]

        def apply(self, agg: ProjectBudget) -> None:
            agg.cp = {cp_key(c.year, c.section): c.amount for c in self.cp}

    class Committed(LedgerAggregate.Event):
        reference: str
        year: int
        section: Section
        amount: Decimal
        on: date
        supplier: str
        override_reason: str | None

        def apply(self, agg: ProjectBudget) -> None:
            agg.commitments[self.reference] = {
                "year": self.year,
                "section": self.section.value,
                "amount": self.amount,
                "paid": ZERO,
                "payments": [],
                "on": self.on,
            }
            sums = agg.__dict__.get("_sums")
            if sums is not None:
                k = (self.year, self.section.value)
                sums[k] = sums.get(k, ZERO) + self.amount

    class Imputed(LedgerAggregate.Event):
        """The M57 imputation of the project's AP/CP of a section (``target`` is the
        section) or of a commitment (``engagement:REF``; its payments follow it).
        ``warnings`` name the codes outside the shipped nomenclature."""

        target: str
        chapter: str
        nature: str
        fonction: str | None
        operation: str | None
        warnings: list[str]

        def apply(self, agg: ProjectBudget) -> None:
            # Aggregates rebuilt before imputations existed lack the attribute.
            agg.__dict__.setdefault("imputations", {})[self.target] = self.chapter

    class Paid(LedgerAggregate.Event):
        reference: str
        commitment: str
        amount: Decimal
        on: date
        override_reason: str | None

        def apply(self, agg: ProjectBudget) -> None:
            c = agg.commitments[self.commitment]
            c["paid"] += self.amount
            c["payments"].append(self.reference)
            refs = agg.__dict__.get("_paid_refs")
            if refs is not None:
                refs.add(self.reference)

    @classmethod
    def vote_ap(
        cls, proposal: str, amount: Decimal, cp: tuple[CPLine, ...], session: str
    ) -> ProjectBudget:
        check_schedule(proposal, amount, cp)
        return cls._create(
            cls.APVoted,
            id=cls.id_for(proposal),
            proposal=proposal,
            amount=amount,
            cp=list(cp),
            session=session,
        )

    def share(self, shares: dict[str, Decimal]) -> None:
        """Record the approval's split (the main entity's whole share is implied)."""
        if shares != self.__dict__.get("shares", whole(MAIN)):
            self.trigger_event(self.SharesSet, shares=shares)

    def entity_shares(self) -> dict[str, Decimal]:
        """The project's split (aggregates rebuilt before splits lack it)."""
        return self.__dict__.get("shares") or whole(MAIN)

    def revise(self, amount: Any, cp: tuple[CPLine, ...], deliberation: str) -> None:
        require("réviser une AP", Role.FINANCE, Role.CHAIR)
        if not current_context().reason:
            raise ReasonRequired("réviser une AP")
        ap = money(amount, "ap_amount")
        check_schedule(self.proposal, ap, cp)
        new = {cp_key(c.year, c.section): c for c in cp}
        for ref in self.commitments.values():
            key = cp_key(ref["year"], ref["section"])
            section = Section(ref["section"])
            committed = self.committed(ref["year"], section)
            line = new.get(key)
            if (line.amount if line else ZERO) < committed:
                raise CPBelowCommitted(
                    field="cp",
                    year=ref["year"],
                    section=section.value,
                    proposal=self.proposal,
                    cp=line.amount if line else ZERO,
                    committed=committed,
                )
        self.trigger_event(
            self.APRevised,
            amount=ap,
            cp=list(cp),
            deliberation=text(deliberation, "deliberation", max_len=120),
        )

    def remaining(self, before: int) -> list[CPLine]:
        """The CP of the years before ``before`` not consumed yet: a year's CP is
        consumed by what is committed on it."""
        out = []
        for key, amount in sorted(self.cp.items()):
            y, s = key.split("/")
            if int(y) >= before:
                continue
            section = Section(s)
            left = amount - min(amount, self.committed(int(y), section))
            if left > 0:
                out.append(CPLine(int(y), section, left))
        return out

    def carry_over(self, plan: int, first_year: int) -> list[CPLine]:
        """Carry the project into plan ``plan`` starting in ``first_year``: what
        is left of each earlier year's CP moves, by section, to ``first_year``; the
        AP is unchanged. A year not over yet (the current calendar year, when the
        next plan is adopted before it ends) keeps its CP: it is still executed,
        and what is left of it is reported with an AP revision once it closes.
        Returns the lines moved (their year is where they left)."""
        moved = self.remaining(min(first_year, dates.today().year))
        if not moved:
            return []
        cp = dict(self.cp)
        for line in moved:
            key = cp_key(line.year, line.section)
            cp[key] -= line.amount
            if cp[key] == 0:
                del cp[key]
            target = cp_key(first_year, line.section)
            cp[target] = cp.get(target, ZERO) + line.amount
        schedule = []
        for key, amount in sorted(cp.items()):
            y, s = key.split("/")
            schedule.append(CPLine(int(y), Section(s), amount))
        self.trigger_event(
            self.CarriedOver,
            plan=plan,
            first_year=first_year,
            cp=schedule,
            moved=moved,
        )
        return moved

    def commit(
        self,
        reference: str,
        cp_year: Any,
        section: Any,
        amount: Any,
        on: Any,
        supplier: str,
        override_reason: str | None = None,
    ) -> None:
        require("engager une dépense", Role.FINANCE)
        ref = code(reference, "reference")
        if ref in self.commitments:
            raise AlreadyExists(kind="Engagement", id=ref)
        y = year(cp_year, "year")
        s = enum_value(Section, section, "section")
        value = money(amount, "amount")
        if value <= 0:
            raise InvalidValue("amount", value, "montant positif attendu")
        day = dates.fact(on, "on", "un engagement")
        if day.year != y:
            raise DateOutsideYear(field="on", date=day.isoformat(), year=y)
        reason = check_override(
            override_reason, Role.FINANCE, "un engagement au-delà des CP"
        )
        available = self.cp.get(cp_key(y, s), ZERO) - self.committed(y, s)
        if value > available and reason is None:
            raise CPExceeded(
                field="amount",
                year=y,
                section=s.value,
                proposal=self.proposal,
                requested=value,
                available=available,
            )
        self.trigger_event(
            self.Committed,
            reference=ref,
            year=y,
            section=s,
            amount=value,
            on=day,
            supplier=text(supplier, "supplier", max_len=200),
            override_reason=reason if value > available else None,
        )

    def pay(
        self,
        reference: str,
        commitment: str,
        amount: Any,
        on: Any,
        override_reason: str | None = None,
    ) -> None:
        require("mandater un paiement", Role.FINANCE)
        ref = code(reference, "reference")
        if ref in self._payment_references():
            raise AlreadyExists(kind="Mandat", id=ref)
        commitment = code(commitment, "commitment")
        c = self.commitments.get(commitment)
        if c is None:
            raise NotFound(kind="Engagement", id=f"{self.proposal}/{commitment}")
        value = money(amount, "amount")
        if value <= 0:
            raise InvalidValue("amount", value, "montant positif attendu")
        day = dates.fact(on, "on", "un mandat")
        dates.not_before(day, c.get("on"), "on", "son engagement", "un mandat")
        reason = check_override(
            override_reason, Role.FINANCE, "un mandat au-delà de l'engagement"
        )
        remaining = c["amount"] - c["paid"]
        if value > remaining and reason is None:
            raise CommitmentExceeded(
                field="amount",
                commitment=commitment,
                requested=value,
                available=remaining,
            )
        self.trigger_event(
            self.Paid,
            reference=ref,
            commitment=commitment,
            amount=value,
            on=day,
            override_reason=reason if value > remaining else None,
        )

    def impute(
        self, section: Any = None, commitment: Any = None, imputation: Any = None
    ) -> None:
        """Record the M57 imputation of a section's AP/CP or of a commitment."""
        require("imputer une dépense (M57)", Role.FINANCE)
        if (section is None) == (commitment is None):
            raise InvalidValue(
                "section", section, "une section ou un engagement, l'un des deux"
            )
        if commitment is not None:
            ref = code(commitment, "commitment")
            c = self.commitments.get(ref)
            if c is None:
                raise NotFound(kind="Engagement", id=f"{self.proposal}/{ref}")
            target, sec = f"engagement:{ref}", c["section"]
        else:
            sec = enum_value(Section, section, "section").value
            if not any(k.endswith(f"/{sec}") for k in self.cp):
                raise InvalidValue(
                    "section", sec, "le projet n'a aucun CP dans cette section"
                )
            target = sec
        imp = m57.parse(imputation, sec)
        self.trigger_event(self.Imputed, target=target, **imp.as_event())
