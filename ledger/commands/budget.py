"""Commands of finance: envelopes (BP, DM), AP revisions, commitments and payments."""

from __future__ import annotations

from typing import Any

from domain import dates
from domain.budget import Envelope, ProjectBudget, parse_cp
from domain.entities import MAIN, split_amount
from domain.values import Section, enum_value, year
from ledger.commands.organisation import Lookups
from ledger.commands.sessions import SessionCommands
from ledger.core import Caller, CommandResult, Unit
from ledger.idempotency import command

# The reason flagged on an allocation of CP carried over beyond its envelope.
CARRY_REASON = "CP reportés du plan n° {number} (dernière année {last_year})"


class BudgetCommands(SessionCommands):
    """Budget envelopes and the execution of approved projects' AP/CP."""

    def _project_budget(self, unit: Unit, proposal_code: str) -> ProjectBudget:
        return unit.get(
            ProjectBudget,
            ProjectBudget.id_for(str(proposal_code)),
            kind="AP du projet",
            label=proposal_code,
        )

    @command()
    def vote_budget(
        self,
        caller: Caller,
        budget_year: int,
        section: str,
        amount: Any,
        deliberation: str,
        on: Any,
        entity: str | None = None,
    ) -> CommandResult:
        """Record the primitive budget (BP) envelope of a year and section of an
        entity (default: the municipality)."""

        def body(unit: Unit) -> dict[str, Any]:
            y = year(budget_year, "year")
            s = enum_value(Section, section, "section")
            owner = Lookups.entity(unit, entity)
            dates.required_plan(Lookups.plan(unit), "voter un budget").check_year(y)
            exists = unit.find(Envelope, Envelope.id_for(y, s, owner)) is not None
            env = unit.add(Envelope.vote(y, s, amount, deliberation, on, exists, owner))
            self._vote_carried(unit, env)
            return _envelope_result(env)

        return self.execute("vote_budget", caller, body)

    def _vote_carried(self, unit: Unit, envelope: Envelope) -> None:
        """A BP voted for a year the current plan's carried projects have CP in:
        the envelope receives them."""
        plan = Lookups.plan(unit)
        if plan is None or not plan.carried:
            return
        previous = plan.previous[-1]
        reason = CARRY_REASON.format(
            number=previous["number"], last_year=previous["last_year"]
        )
        for code in plan.carried:
            budget = unit.find(ProjectBudget, ProjectBudget.id_for(code))
            if budget is None:
                continue
            amount = budget.cp_of(envelope.year, envelope.section)
            part = split_amount(amount, budget.entity_shares()).get(envelope.entity)
            if part:
                envelope.carry_in(code, part, reason)

    @command()
    def adjust_budget(
        self,
        caller: Caller,
        budget_year: int,
        section: str,
        delta: Any,
        deliberation: str,
        on: Any,
        entity: str | None = None,
    ) -> CommandResult:
        """Record a DM (décision modificative) on an envelope, with its deliberation."""

        def body(unit: Unit) -> dict[str, Any]:
            y = year(budget_year, "year")
            s = enum_value(Section, section, "section")
            owner = Lookups.entity(unit, entity)  # a closed entity: no DM
            dates.required_plan(
                Lookups.plan(unit), "ajuster un budget"
            ).check_executable_year(y)
            env = self._envelope(unit, y, s, owner)
            env.adjust(delta, deliberation, on)
            return _envelope_result(env)

        return self.execute("adjust_budget", caller, body)

    @command()
    def revise_ap(
        self,
        caller: Caller,
        proposal_code: str,
        ap_amount: Any,
        cp: Any,
        deliberation: str,
        override_reason: str | None = None,
    ) -> CommandResult:
        """Revise a project's AP and CP schedule (reason required); envelopes follow."""

        def body(unit: Unit) -> dict[str, Any]:
            budget = self._project_budget(unit, proposal_code)
            schedule = parse_cp(cp)
            plan = dates.required_plan(Lookups.plan(unit), "réviser une AP", "cp")
            for i, line in enumerate(schedule):
                plan.check_executable_year(line.year, f"cp[{i}].year")
            old = {key: _line(key, amount) for key, amount in budget.cp.items()}
            before = budget.ap
            budget.revise(ap_amount, schedule, deliberation)
            if budget.ap > before:  # more money: every entity sharing it still open
                for entity, share in budget.entity_shares().items():
                    if share:
                        Lookups.entity(unit, entity, "ap_amount")
            self._allocate(
                unit,
                budget.proposal,
                old,
                schedule,
                override_reason,
                budget.entity_shares(),
            )
            return {"proposal": budget.proposal, "ap": budget.ap}

        return self.execute("revise_ap", caller, body)

    @command()
    def record_commitment(
        self,
        caller: Caller,
        proposal_code: str,
        reference: str,
        commitment_year: int,
        section: str,
        amount: Any,
        on: Any,
        supplier: str,
        override_reason: str | None = None,
    ) -> CommandResult:
        """Record a commitment (engagement) against a year's CP of a project."""

        def body(unit: Unit) -> dict[str, Any]:
            plan = dates.required_plan(Lookups.plan(unit), "engager une dépense")
            plan.check_executable_year(year(commitment_year, "year"))
            budget = self._project_budget(unit, proposal_code)
            budget.commit(
                reference,
                commitment_year,
                section,
                amount,
                on,
                supplier,
                override_reason,
            )
            return {"proposal": budget.proposal, "reference": reference}

        return self.execute("record_commitment", caller, body)

    @command()
    def record_payment(
        self,
        caller: Caller,
        proposal_code: str,
        reference: str,
        commitment: str,
        amount: Any,
        on: Any,
        override_reason: str | None = None,
    ) -> CommandResult:
        """Record a payment (mandat) against a commitment."""

        def body(unit: Unit) -> dict[str, Any]:
            dates.required_plan(Lookups.plan(unit), "mandater un paiement", "on")
            budget = self._project_budget(unit, proposal_code)
            budget.pay(reference, commitment, amount, on, override_reason)
            return {"proposal": budget.proposal, "reference": reference}

        return self.execute("record_payment", caller, body)

    @command()
    def impute(
        self,
        caller: Caller,
        proposal_code: str,
        imputation: Any,
        section: str | None = None,
        commitment: str | None = None,
    ) -> CommandResult:
        """Record the M57 imputation of a project's AP/CP of a section, or of one of
        its commitments; codes outside the shipped nomenclature come back as
        ``warnings`` (recorded on the event)."""

        def body(unit: Unit) -> dict[str, Any]:
            budget = self._project_budget(unit, proposal_code)
            budget.impute(section, commitment, imputation)
            event = budget.pending_events[-1]
            return {
                "proposal": budget.proposal,
                "target": event.target,
                "warnings": list(event.warnings),
            }

        return self.execute("impute", caller, body)


def _envelope_result(env: Envelope) -> dict[str, Any]:
    out = {"year": env.year, "section": env.section, "total": env.total}
    if env.entity != MAIN:
        out["entity"] = env.entity
    return out


def _line(key: str, amount: Any) -> Any:
    from domain.budget import CPLine

    y, s = key.split("/")
    return CPLine(int(y), Section(s), amount)
