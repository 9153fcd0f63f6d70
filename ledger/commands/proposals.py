"""Commands on proposals: drafting, revisions, qualification, lifecycle, execution, scores."""

from __future__ import annotations

from typing import Any

from domain.errors import InvalidDependency, InvalidValue
from domain.proposals import (
    CostLine,
    Dependency,
    DependencyKind,
    Proposal,
    ProposalContent,
    Qualification,
    WorkloadLine,
    parse_costs,
    parse_dependencies,
    parse_risks,
    parse_workloads,
)
from domain.scores import ScoreSheet
from domain.values import as_dict, text
from ledger.commands.organisation import Lookups
from ledger.core import Caller, CommandResult, LedgerCore, Unit
from ledger.idempotency import command

# What the DSI sends to qualify a proposal (the revision is the current one).
QUALIFICATION_KEYS = ("costs", "workloads", "risks", "dependencies", "note")


class ProposalCommands(LedgerCore):
    """Proposals through their lifecycle, and the evaluators' scores."""

    def _proposal(self, unit: Unit, proposal_code: str) -> Proposal:
        return Lookups.proposal(unit, proposal_code)

    def _check_references(
        self,
        unit: Unit,
        proposal_code: str,
        costs: tuple[CostLine, ...],
        workloads: tuple[WorkloadLine, ...],
        dependencies: tuple[Dependency, ...],
    ) -> None:
        """Years inside the plan's horizon; teams and dependency targets exist; a
        proposal this one excludes notes it (approving either checks the other)."""
        plan = Lookups.plan(unit)
        if plan is not None:
            for i, c in enumerate(costs):
                plan.check_year(c.year, f"costs[{i}].year")
            for i, w in enumerate(workloads):
                plan.check_year(w.year, f"workloads[{i}].year")
        for i, w in enumerate(workloads):
            Lookups.team(unit, w.team).check_open(
                "recevoir une charge de travail", f"workloads[{i}].team"
            )
        for d in dependencies:
            target = unit.find(Proposal, Proposal.id_for(d.proposal))
            if target is None:
                raise InvalidDependency(
                    field="dependencies",
                    proposal=proposal_code,
                    target=d.proposal,
                    reason="fiche inconnue",
                )
            if d.kind is DependencyKind.EXCLUDES:
                target.note_excluded_by(proposal_code)

    def _content(self, unit: Unit, proposal_code: str, raw: Any) -> ProposalContent:
        content = ProposalContent.parse(raw, proposal_code)
        for i, link in enumerate(content.axes):
            Lookups.axis(unit, link.axis).check_open(
                "être lié à une fiche", f"axes[{i}].axis"
            )
            if link.indicator:
                ind = Lookups.indicator(unit, link.indicator)
                ind.check_open("être lié à une fiche", f"axes[{i}].indicator")
                if ind.axis != link.axis:
                    raise InvalidValue(
                        "axes",
                        link.indicator,
                        f"l'indicateur appartient à l'axe {ind.axis}",
                    )
        self._check_references(
            unit, proposal_code, content.costs, content.workloads, content.dependencies
        )
        return content

    @command()
    def draft_proposal(
        self, caller: Caller, proposal_code: str, direction_code: str, content: Any
    ) -> CommandResult:
        """Draft a proposal for a direction (its referent, or the DSI)."""

        def body(unit: Unit) -> dict[str, Any]:
            direction = Lookups.direction(unit, direction_code)
            direction.check_open("recevoir une nouvelle fiche", "direction")
            Lookups.new(
                unit,
                Proposal,
                Proposal.id_for(str(proposal_code)),
                "Fiche projet",
                proposal_code,
            )
            proposal = unit.add(
                Proposal.draft(
                    proposal_code,
                    direction.code,
                    self._content(unit, str(proposal_code), content),
                )
            )
            return {
                "code": proposal.code,
                "revision": proposal.revision,
                "status": proposal.status,
            }

        return self.execute("draft_proposal", caller, body)

    @command()
    def amend_proposal(
        self, caller: Caller, proposal_code: str, content: Any
    ) -> CommandResult:
        """Amend a proposal: a new revision (reason required); scores on older ones go stale."""

        def body(unit: Unit) -> dict[str, Any]:
            proposal = self._proposal(unit, proposal_code)
            proposal.amend(self._content(unit, proposal.code, content))
            return {
                "code": proposal.code,
                "revision": proposal.revision,
                "status": proposal.status,
            }

        return self.execute("amend_proposal", caller, body)

    @command()
    def submit_proposal(self, caller: Caller, proposal_code: str) -> CommandResult:
        """Submit a draft proposal."""
        return self._transition(
            "submit_proposal", caller, proposal_code, lambda p: p.submit()
        )

    @command()
    def qualify_proposal(
        self, caller: Caller, proposal_code: str, qualification: Any
    ) -> CommandResult:
        """The DSI's estimates: costs per year and section, workload per team, risks, dependencies."""

        def body(unit: Unit) -> dict[str, Any]:
            proposal = self._proposal(unit, proposal_code)
            data = as_dict(qualification, "qualification", QUALIFICATION_KEYS)
            q = Qualification(
                revision=proposal.revision,
                costs=parse_costs(data.get("costs")),
                workloads=parse_workloads(data.get("workloads")),
                risks=parse_risks(data.get("risks")),
                dependencies=parse_dependencies(
                    data.get("dependencies"), proposal.code
                ),
                note=text(data.get("note"), "note", max_len=4000, required=False),
            )
            self._check_references(
                unit, proposal.code, q.costs, q.workloads, q.dependencies
            )
            proposal.qualify(q)
            return {
                "code": proposal.code,
                "revision": proposal.revision,
                "status": proposal.status,
            }

        return self.execute("qualify_proposal", caller, body)

    @command()
    def withdraw_proposal(self, caller: Caller, proposal_code: str) -> CommandResult:
        """Withdraw a proposal (reason required)."""
        return self._transition(
            "withdraw_proposal", caller, proposal_code, lambda p: p.withdraw()
        )

    @command()
    def cancel_project(self, caller: Caller, proposal_code: str) -> CommandResult:
        """Cancel an approved, planned or running project (reason required); its
        teams get back the workload its approval reserved."""

        def body(unit: Unit) -> dict[str, Any]:
            proposal = self._proposal(unit, proposal_code)
            proposal.cancel()
            for team in sorted({w.team for w in proposal.estimates[1]}):
                Lookups.team(unit, team).release(proposal.code)
            return {
                "code": proposal.code,
                "revision": proposal.revision,
                "status": proposal.status,
            }

        return self.execute("cancel_project", caller, body)

    @command()
    def plan_project(
        self, caller: Caller, proposal_code: str, start: Any, end: Any
    ) -> CommandResult:
        """Plan an approved project (planned start and end)."""

        def body(unit: Unit) -> dict[str, Any]:
            proposal = self._proposal(unit, proposal_code)
            proposal.plan(start, end, Lookups.plan(unit))
            return {
                "code": proposal.code,
                "revision": proposal.revision,
                "status": proposal.status,
            }

        return self.execute("plan_project", caller, body)

    @command()
    def start_project(
        self, caller: Caller, proposal_code: str, on: Any
    ) -> CommandResult:
        """A planned project starts."""
        return self._transition(
            "start_project", caller, proposal_code, lambda p: p.start(on)
        )

    @command()
    def complete_project(
        self, caller: Caller, proposal_code: str, on: Any
    ) -> CommandResult:
        """A running project is done."""
        return self._transition(
            "complete_project", caller, proposal_code, lambda p: p.complete(on)
        )

    @command()
    def set_milestone(
        self,
        caller: Caller,
        proposal_code: str,
        milestone: str,
        label: str,
        planned: Any,
        actual: Any = None,
    ) -> CommandResult:
        """Plan (or re-plan) a milestone of a project."""

        def body(unit: Unit) -> dict[str, Any]:
            proposal = self._proposal(unit, proposal_code)
            proposal.set_milestone(
                milestone, label, planned, actual, Lookups.plan(unit)
            )
            return {
                "code": proposal.code,
                "revision": proposal.revision,
                "status": proposal.status,
            }

        return self.execute("set_milestone", caller, body)

    @command()
    def reach_milestone(
        self, caller: Caller, proposal_code: str, milestone: str, on: Any
    ) -> CommandResult:
        """Record the actual date of a milestone."""
        return self._transition(
            "reach_milestone",
            caller,
            proposal_code,
            lambda p: p.reach_milestone(milestone, on),
        )

    @command()
    def report_progress(
        self, caller: Caller, proposal_code: str, percent: Any
    ) -> CommandResult:
        """Report a project's progress (0–100 %)."""
        return self._transition(
            "report_progress",
            caller,
            proposal_code,
            lambda p: p.report_progress(percent),
        )

    def _transition(
        self, command: str, caller: Caller, proposal_code: str, action: Any
    ) -> CommandResult:
        def body(unit: Unit) -> dict[str, Any]:
            proposal = self._proposal(unit, proposal_code)
            action(proposal)
            return {
                "code": proposal.code,
                "revision": proposal.revision,
                "status": proposal.status,
            }

        return self.execute(command, caller, body)

    # --- scores ---------------------------------------------------------------------------

    @command()
    def score_proposal(
        self,
        caller: Caller,
        proposal_code: str,
        revision: int,
        grid_version: int,
        scores: dict[str, Any],
    ) -> CommandResult:
        """Score criteria of an adopted grid version: ``{criterion: {level, justification}}``."""

        def body(unit: Unit) -> dict[str, Any]:
            proposal = self._proposal(unit, proposal_code)
            grid = Lookups.grid(unit, grid_version)
            sheet = unit.find(
                ScoreSheet, ScoreSheet.id_for(proposal.code, caller.actor)
            )
            if sheet is None:
                sheet = unit.add(ScoreSheet.open(proposal))
            changed = sheet.score(proposal, revision, grid, scores)
            if changed:  # the decision's evidence reads every evaluator's sheet
                proposal.add_evaluator(sheet.evaluator)
            return {
                "code": proposal.code,
                "revision": revision,
                "grid_version": grid.number,
                "changed": changed,
            }

        return self.execute("score_proposal", caller, body)
