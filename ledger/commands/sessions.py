"""Commands of the steering committee: sessions, agenda, attendance, votes, decisions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain import dates
from domain.arbitration import Conflict, dependency_conflicts
from domain.base import current_context
from domain.budget import CPLine, Envelope, ProjectBudget, parse_cp, section_label
from domain.committee import check_seat
from domain.entities import MAIN, split_amount, whole
from domain.errors import (
    AccountDisabled,
    BudgetNotVoted,
    EvidenceChanged,
    InvalidValue,
)
from domain.evidence import fingerprint, shown_evidence
from domain.grids import GridVersion
from domain.localtime import local_date
from domain.proposals import APPROVED, Proposal
from domain.scenarios import Scenario
from domain.scores import ScoreSheet
from domain.sessions import Decision, Session
from domain.values import money
from ledger.commands.organisation import Lookups
from ledger.core import Caller, CommandResult, LedgerCore, Unit
from ledger.idempotency import command


class SessionCommands(LedgerCore):
    """COPIL sessions, from convening to closing, and the effects of decisions."""

    def _session(self, unit: Unit, session_code: str) -> Session:
        return unit.get(
            Session,
            Session.id_for(str(session_code)),
            kind="Séance",
            label=session_code,
        )

    @command()
    def convene_session(
        self,
        caller: Caller,
        session_code: str,
        title: str,
        on: Any,
        voting: list[str],
        non_voting: list[str] | None = None,
        quorum: Any = None,
    ) -> CommandResult:
        """Convene a session (the caller chairs it) with its voting and non-voting members."""

        def body(unit: Unit) -> dict[str, Any]:
            self._check_seats(unit, voting, non_voting)
            day = dates.planned(on, "on", Lookups.plan(unit))
            Lookups.new(
                unit, Session, Session.id_for(str(session_code)), "Séance", session_code
            )
            session = unit.add(
                Session.convene(
                    session_code,
                    title,
                    day,
                    caller.actor,
                    list(voting),
                    list(non_voting or []),
                    quorum,
                    Lookups.adopted_grid(unit),
                )
            )
            return {
                "code": session.code,
                "quorum_required": session.quorum_required,
                "grid_version": session.grid_version,
            }

        return self.execute("convene_session", caller, body)

    @staticmethod
    def _check_active(unit: Unit, present: list[str]) -> None:
        """A disabled account (someone who left) is never counted present: it would
        make a quorum no one can vote in."""
        for name in present:
            account = Lookups.account(unit, name)
            unit.guard(account)  # disabled meanwhile: again
            if not account.active:
                raise AccountDisabled(field="present", username=name)

    def _check_seats(
        self, unit: Unit, voting: Any, non_voting: list[str] | None
    ) -> None:
        """Who may be convened: once the COPIL's composition is recorded, its
        members (voting seats for its voting members only); before, any account
        holding a committee role (a member or the chair to vote; also the DSI or
        finance without a vote). A voting seat always needs the member's or chair's
        role."""
        committee = Lookups.committee(unit)
        if committee is not None:
            unit.guard(committee)  # a concurrent change of the composition: again
        for field, members in (("voting", voting), ("non_voting", non_voting or [])):
            if not isinstance(members, list | tuple):
                raise InvalidValue(field, members, "liste d'identifiants")
            for name in members:
                account = Lookups.account(unit, str(name))
                unit.guard(account)  # a role revoked meanwhile: again
                check_seat(committee, field, str(name), account.grants)

    @command()
    def add_agenda_item(
        self, caller: Caller, session_code: str, proposal_code: str
    ) -> CommandResult:
        """Put a qualified (or deferred) proposal on a session's agenda."""

        def body(unit: Unit) -> dict[str, Any]:
            session = self._session(unit, session_code)
            proposal = Lookups.proposal(unit, proposal_code)
            session.add_item(proposal.code)
            proposal.put_on_agenda(session.code)
            return {"session": session.code, "agenda": session.agenda}

        return self.execute("add_agenda_item", caller, body)

    @command()
    def remove_agenda_item(
        self, caller: Caller, session_code: str, proposal_code: str
    ) -> CommandResult:
        """Take a proposal off the agenda of a session not yet open."""

        def body(unit: Unit) -> dict[str, Any]:
            session = self._session(unit, session_code)
            proposal = Lookups.proposal(unit, proposal_code)
            session.remove_item(proposal.code)
            proposal.take_off_agenda(session.code)
            return {"session": session.code, "agenda": session.agenda}

        return self.execute("remove_agenda_item", caller, body)

    @command()
    def open_session(
        self,
        caller: Caller,
        session_code: str,
        present: list[str],
        early_reason: str | None = None,
    ) -> CommandResult:
        """Open a session with the attendance. Before the session's day (in the
        municipality's time zone, ``SDSI_TIMEZONE``) only with an ``early_reason``,
        which the event records."""

        def body(unit: Unit) -> dict[str, Any]:
            session = self._session(unit, session_code)
            today = local_date(current_context().at, self.settings.timezone)
            session.open(
                list(present) if isinstance(present, list | tuple) else present,
                today,
                early_reason,
            )
            self._check_active(unit, session.present)
            return {
                "session": session.code,
                "present_voting": session.present_voting,
                "quorum_met": session.quorum_met,
                "early_reason": session.early_reason,
            }

        return self.execute("open_session", caller, body)

    @command()
    def set_attendance(
        self, caller: Caller, session_code: str, member: str, present: bool
    ) -> CommandResult:
        """A member arrives or leaves during the session."""

        def body(unit: Unit) -> dict[str, Any]:
            session = self._session(unit, session_code)
            if not isinstance(present, bool):
                raise InvalidValue("present", present, "vrai ou faux")
            session.set_attendance(member, present)
            if present:
                self._check_active(unit, [str(member)])
            return {
                "session": session.code,
                "present_voting": session.present_voting,
                "quorum_met": session.quorum_met,
            }

        return self.execute("set_attendance", caller, body)

    @command()
    def cast_vote(
        self, caller: Caller, session_code: str, proposal_code: str, choice: str
    ) -> CommandResult:
        """A present voting member votes on an item (a changed vote supersedes; both kept)."""

        def body(unit: Unit) -> dict[str, Any]:
            session = self._session(unit, session_code)
            session.vote(proposal_code, choice)
            votes_for, against, abstain = session.tally(proposal_code)
            return {
                "session": session.code,
                "proposal": proposal_code,
                "for": votes_for,
                "against": against,
                "abstain": abstain,
            }

        return self.execute("cast_vote", caller, body)

    @command()
    def record_decision(
        self,
        caller: Caller,
        session_code: str,
        proposal_code: str,
        outcome: str,
        rationale: str,
        *,
        ap_amount: Any = None,
        cp: Any = None,
        conditions: str = "",
        justification: str = "",
        scenario: str | None = None,
        override_reason: str | None = None,
        evidence: str | None = None,
    ) -> CommandResult:
        """The chair's decision on an item; an approval votes the AP and allocates the CP.

        ``evidence`` is the fingerprint of the evidence the chair was shown
        (``domain.evidence``): when given, the decision is refused if what it would
        record differs (``EvidenceChanged``)."""

        def body(unit: Unit) -> dict[str, Any]:
            session = self._session(unit, session_code)
            proposal = Lookups.proposal(unit, proposal_code)
            schedule = parse_cp(cp or [])
            if schedule:
                plan = dates.required_plan(
                    Lookups.plan(unit), "accorder des crédits de paiement", "cp"
                )
                for i, line in enumerate(schedule):
                    plan.check_year(line.year, f"cp[{i}].year")
            recommends = self._scenario_recommendation(unit, scenario, proposal.code)
            approval = str(getattr(outcome, "value", outcome)) in {
                s.value for s in APPROVED
            }
            decision = session.decide(
                proposal.code,
                proposal.revision,
                outcome,
                rationale,
                ap_amount=ap_amount,
                cp=schedule,
                conditions=conditions,
                justification_text=justification,
                scenario=scenario,
                scenario_recommends=recommends,
                grid=self._session_grid(unit, session),
                sheets=self._score_sheets(unit, proposal),
                conflicts=self._conflicts(unit, proposal, schedule) if approval else (),
                override_reason=override_reason,
            )
            if evidence is not None:
                self._check_evidence(unit, session, proposal, decision, evidence)
            proposal.decide(session.code, decision.outcome)
            if decision.outcome in APPROVED:
                reason = decision.override_reason  # set only when a rule was broken
                shares = Lookups.shares(unit, proposal)
                self._allocate(unit, proposal.code, {}, schedule, reason, shares)
                ap = decision.ap_amount or money(
                    0, "ap_amount"
                )  # always set for approvals
                unit.add(
                    ProjectBudget.vote_ap(proposal.code, ap, schedule, session.code)
                ).share(shares)
                for line in proposal.estimates[1]:
                    Lookups.team(unit, line.team).reserve(
                        proposal.code, line.year, line.days, reason
                    )
            recorded = decision.evidence
            return {
                "session": session.code,
                "proposal": proposal.code,
                "outcome": decision.outcome,
                "votes_for": decision.votes_for,
                "votes_against": decision.votes_against,
                "grid_version": decision.grid_version,
                "value": recorded.value if recorded else None,
                "conflicts": [
                    c.rule.value + ":" + c.target for c in decision.conflicts
                ],
            }

        return self.execute("record_decision", caller, body)

    @command()
    def close_session(self, caller: Caller, session_code: str) -> CommandResult:
        """Close a session once every item has a decision."""

        def body(unit: Unit) -> dict[str, Any]:
            session = self._session(unit, session_code)
            session.close()
            return {"session": session.code, "decisions": len(session.decisions)}

        return self.execute("close_session", caller, body)

    # --- the evidence and the rules of an approval -------------------------------------

    def _check_evidence(
        self,
        unit: Unit,
        session: Session,
        proposal: Proposal,
        decision: Decision,
        seen: Any,
    ) -> None:
        """The evidence the decision records (with the votes, the standing conflicts
        and the costs) is what the chair was shown: same fingerprint."""
        now = fingerprint(
            shown_evidence(decision.evidence),
            session.tally(proposal.code),
            self._conflicts(unit, proposal, ()),
            [
                (c.year, c.section.value, int(c.amount * 100))
                for c in proposal.estimates[0]
            ],
        )
        if not isinstance(seen, str) or seen != now:
            raise EvidenceChanged(
                field="evidence", proposal=proposal.code, session=session.code
            )

    def _session_grid(self, unit: Unit, session: Session) -> GridVersion | None:
        """The session's grid version (for a session convened before sessions kept
        it, the one in force when it was convened)."""
        if session.grid_version is not None:
            return Lookups.grid(unit, session.grid_version)
        return Lookups.adopted_grid(unit, at=session.created_on)

    def _score_sheets(self, unit: Unit, proposal: Proposal) -> list[ScoreSheet]:
        """Every evaluator's score sheet on ``proposal``, guarded: a score landing
        while the decision is recorded makes it start again on the new evidence.
        (A proposal drafted before proposals listed their evaluators: every account
        is looked at.)"""
        evaluators = (
            proposal.evaluators
            if proposal.evaluators is not None
            else self.storage.usernames()
        )
        sheets = []
        for evaluator in sorted(evaluators):
            sheet = unit.find(ScoreSheet, ScoreSheet.id_for(proposal.code, evaluator))
            if sheet is not None:
                sheets.append(unit.guard(sheet))
        return sheets

    def _conflicts(
        self, unit: Unit, proposal: Proposal, schedule: tuple[CPLine, ...]
    ) -> list[Conflict]:
        """The rules approving ``proposal`` with ``schedule`` would break: its
        dependencies (the other proposals guarded, so that a concurrent decision on
        one of them makes this one start again), the capacity of its teams (they are
        written by the approval, so concurrent approvals serialise) and its envelopes."""
        workloads = proposal.estimates[1]
        others = {
            code: unit.guard(Lookups.proposal(unit, code))
            for code in sorted(
                {d.proposal for d in proposal.dependencies} | set(proposal.excluded_by)
            )
        }
        out = dependency_conflicts(
            proposal.code,
            proposal.dependencies,
            {code: other.status for code, other in others.items()},
            {code: others[code].dependencies for code in proposal.excluded_by},
        )
        for w in workloads:
            conflict = Lookups.team(unit, w.team).conflict(
                proposal.code, w.year, w.days
            )
            if conflict is not None:
                out.append(conflict)
        shares = Lookups.shares(unit, proposal)
        for line in schedule:
            for envelope, part in entity_envelopes(unit, line, shares):
                conflict = envelope.conflict(proposal.code, part) if envelope else None
                if conflict is not None:
                    out.append(conflict)
        return out

    def _scenario_recommendation(
        self, unit: Unit, scenario: str | None, proposal_code: str
    ) -> bool | None:
        """Whether a cited scenario selects the proposal (None: no recommendation,
        the proposal was not among its candidates); a scenario without a plan cannot
        be cited."""
        if scenario is None:
            return None
        found = unit.find(Scenario, Scenario.id_for(str(scenario)))
        if found is None:
            raise InvalidValue("scenario", scenario, "aucun scénario de ce nom")
        if not found.has_plan:
            raise InvalidValue(
                "scenario", scenario, f"scénario sans plan (statut {found.status})"
            )
        return found.recommends(proposal_code)

    # --- budget effects ---------------------------------------------------------------

    def _envelope(
        self, unit: Unit, year: int, section: Any, entity: str = MAIN
    ) -> Envelope:
        envelope = unit.find(Envelope, Envelope.id_for(year, section, entity))
        if envelope is None:
            raise BudgetNotVoted(
                field="cp",
                year=year,
                section=section_label(getattr(section, "value", section), entity),
            )
        return envelope

    def _allocate(
        self,
        unit: Unit,
        proposal_code: str,
        old: dict[str, CPLine],
        schedule: tuple[CPLine, ...],
        override_reason: str | None,
        shares: dict[str, Decimal] | None = None,
    ) -> None:
        """Set the project's allocation on every envelope its old or new CP touches:
        each entity's envelope receives the entity's share of the line."""
        shares = shares or whole(MAIN)
        new = {f"{c.year}/{c.section.value}": c for c in schedule}
        for key in sorted(set(old) | set(new)):
            line = new.get(key) or old[key]
            amount = new[key].amount if key in new else money(0, "amount")
            for entity, part in split_amount(amount, shares).items():
                envelope_id = Envelope.id_for(line.year, line.section, entity)
                if not part and unit.find(Envelope, envelope_id) is None:
                    continue  # a share of nothing needs no envelope
                self._envelope(unit, line.year, line.section, entity).allocate(
                    proposal_code, part, override_reason
                )


def entity_envelopes(
    unit: Unit, line: CPLine, shares: dict[str, Decimal]
) -> list[tuple[Envelope | None, Decimal]]:
    """Each entity's envelope of ``line``'s year and section (None: not voted) with
    the entity's share of the line's amount."""
    return [
        (unit.find(Envelope, Envelope.id_for(line.year, line.section, entity)), part)
        for entity, part in split_amount(line.amount, shares).items()
    ]
