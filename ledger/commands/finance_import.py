"""Commands of the import from the finance software: plan (dry run, with every line
checked against the budget rules), batches, profiles and mappings. The reports on the
imports are in :mod:`ledger.commands.finance_reports`."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from domain import dates, m57
from domain.base import command_context
from domain.budget import ProjectBudget
from domain.errors import DomainError
from domain.finance_import import (
    ENGAGEMENT,
    FinanceImports,
    FinanceSettings,
    ImportPartlyWritten,
    LineRefused,
    SourceLine,
)
from domain.plan import Plan
from domain.values import CommandContext, Origin, Role
from ledger.commands.organisation import Lookups
from ledger.commands.sessions import SessionCommands
from ledger.core import Caller, CommandResult, Unit
from ledger.idempotency import command

BATCH = 5000
ZERO = Decimal("0.00")
IMPORT_REASON = "Importé du logiciel financier (source de vérité)"
CREATE, EXISTS, CONFLICT, UNMATCHED = "create", "exists", "conflict", "unmatched"
ORPHAN = (
    "no_commitment"  # a mandat whose engagement is neither recorded nor in the file
)
STATUSES = (CREATE, EXISTS, CONFLICT, UNMATCHED, ORPHAN)
# The fate of an engagement line's M57 imputation (``ImportPlan.imputations``).
IMPUTE, IMPUTED, IMPUTE_CONFLICT = "impute", "imputed", "imputation_conflict"


@dataclass
class ImportPlan:
    """What an import would do, line by line (nothing written)."""

    lines: list[tuple[SourceLine, str, str]] = field(default_factory=list)
    # (line, project or "", status)
    imputations: dict[int, str] = field(default_factory=dict)
    # line number -> IMPUTE / IMPUTED / IMPUTE_CONFLICT (lines giving M57 codes)
    errors: list[str] = field(default_factory=list)
    # lines to create that no command could record (a year outside the plan's
    # execution years, or no plan): the file is refused whole
    refused: list[LineRefused] = field(default_factory=list)
    # the lines to record that a budget rule refuses (checked before any write)

    def count(self, status: str) -> int:
        return sum(1 for _, _, s in self.lines if s == status)

    @property
    def counts(self) -> dict[str, int]:
        return {s: self.count(s) for s in STATUSES}

    def imputation_count(self, status: str) -> int:
        return sum(1 for s in self.imputations.values() if s == status)

    def to_create(self) -> list[tuple[SourceLine, str]]:
        """The lines to record, and the recorded engagements to impute only."""
        out = [
            (ln, p)
            for ln, p, s in self.lines
            if s == CREATE or self.imputations.get(ln.number) == IMPUTE
        ]
        # commitments first, so a mandat may pay one created by the same file
        return sorted(out, key=lambda lp: (lp[0].kind != ENGAGEMENT, lp[0].number))

    def totals(self) -> list[dict[str, str]]:
        """The file's committed and paid per project and year (matched lines)."""
        sums: dict[tuple[str, int], list[Decimal]] = {}
        for line, project, status in self.lines:
            if status in (UNMATCHED, ORPHAN):
                continue
            s = sums.setdefault((project, line.budget_year), [ZERO, ZERO])
            s[0 if line.kind == ENGAGEMENT else 1] += line.amount
        return [
            {"project": p, "year": str(y), "committed": str(c), "paid": str(d)}
            for (p, y), (c, d) in sorted(sums.items())
        ]


def record_line(
    budget: ProjectBudget,
    line: SourceLine,
    status: str,
    imputations: dict[int, str],
) -> bool:
    """Record one line of the plan on its project's budget (the commitment or
    payment when it is to create, then the engagement's imputation when the plan
    says so); whether it imputed. A broken rule is :class:`LineRefused`."""
    try:
        if status != CREATE:
            pass
        elif line.kind == ENGAGEMENT:
            budget.commit(
                line.key,
                line.exercice,
                line.section,
                line.amount,
                line.on,
                line.tiers or "non renseigné",
                IMPORT_REASON,
            )
        else:
            budget.pay(line.key, line.commitment, line.amount, line.on, IMPORT_REASON)
        if imputations.get(line.number) == IMPUTE:
            budget.impute(commitment=line.key, imputation=line.m57)
            return True
    except DomainError as exc:
        raise LineRefused(line=line.number, key=line.key, reason=str(exc)) from exc
    return False


def line_ranges(numbers: Sequence[int]) -> str:
    """File line numbers as ranges: ``2-5, 9``."""
    out: list[str] = []
    ordered = sorted(set(numbers))
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        out.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ", ".join(out)


def written_summary(
    lines: Sequence[SourceLine], status: dict[int, str], imputations: dict[int, str]
) -> str:
    """What the batches recorded, in French: counts, then the file's lines."""
    created = [ln for ln in lines if status[ln.number] == CREATE]
    engagements = sum(1 for ln in created if ln.kind == ENGAGEMENT)
    imputed = sum(1 for ln in lines if imputations.get(ln.number) == IMPUTE)
    return (
        f"{engagements} engagement(s), {len(created) - engagements} mandat(s) et "
        f"{imputed} imputation(s) M57, lignes {line_ranges([ln.number for ln in lines])}"
    )


class FinanceImportCommands(SessionCommands):
    """Import of engagements and mandats; profiles and code mappings."""

    def _settings(self, unit: Unit) -> FinanceSettings:
        found = unit.find(FinanceSettings, FinanceSettings.ID)
        return found or unit.add(FinanceSettings.open())

    def finance_settings(self) -> FinanceSettings | None:
        return self.load(FinanceSettings, FinanceSettings.ID)

    def finance_imports(self) -> FinanceImports | None:
        return self.load(FinanceImports, FinanceImports.ID)

    def _match(self, line: SourceLine, mappings: dict[str, str]) -> str:
        for source in (line.ap, line.operation):
            if not source:
                continue
            project = mappings.get(source, source)
            if self._budget(project) is not None:
                return project
        return ""

    def _budget(self, project: str) -> ProjectBudget | None:
        cache = self.__dict__.setdefault("_plan_cache", {})
        if project not in cache:
            cache[project] = self.load(ProjectBudget, ProjectBudget.id_for(project))
        return cache[project]  # type: ignore[no-any-return]

    def _paid_amounts(self, project: str) -> dict[str, Decimal]:
        cache = self.__dict__.setdefault("_paid_cache", {})
        if project not in cache:
            cache[project] = {
                e.reference: e.amount
                for e in self.events.get(ProjectBudget.id_for(project))
                if isinstance(e, ProjectBudget.Paid)
            }
        return cache[project]  # type: ignore[no-any-return]

    def plan_finance_import(self, lines: Sequence[SourceLine]) -> ImportPlan:
        """Each line matched to a project and compared with the ledger."""
        self.__dict__["_plan_cache"], self.__dict__["_paid_cache"] = {}, {}
        self.__dict__["_imputed_cache"] = {}
        settings = self.finance_settings()
        mappings = settings.mappings if settings else {}
        plan = ImportPlan()
        horizon = self.load(Plan, Plan.id_for())
        in_file = {
            (self._match(ln, mappings), ln.key) for ln in lines if ln.kind == ENGAGEMENT
        }
        for line in lines:
            project = self._match(line, mappings)
            if not project:
                plan.lines.append((line, "", UNMATCHED))
                continue
            budget = self._budget(project)
            assert budget is not None
            if line.kind == ENGAGEMENT:
                have = budget.commitments.get(line.key)
                amount = have["amount"] if have else None
            else:
                amount = self._paid_amounts(project).get(line.key)
            if amount is None:
                status = CREATE
                if (
                    line.kind != ENGAGEMENT
                    and line.commitment not in budget.commitments
                    and (project, line.commitment) not in in_file
                ):
                    status = ORPHAN
            else:
                status = EXISTS if amount == line.amount else CONFLICT
            plan.lines.append((line, project, status))
            if status == CREATE:
                self._check_year(line, horizon, plan.errors)
            if line.m57 is not None and status in (CREATE, EXISTS):
                had = self._imputed(project).get(f"engagement:{line.key}")
                plan.imputations[line.number] = (
                    IMPUTE if had is None else IMPUTED if had == line.m57 else
                    IMPUTE_CONFLICT
                )  # fmt: skip
        plan.refused = self._check_rules(plan)
        return plan

    @staticmethod
    def _check_year(line: SourceLine, horizon: Plan | None, errors: list[str]) -> None:
        """A line to create is recorded as a commitment or payment is: on a year of
        the plan's execution (``Plan.check_executable_year``), a plan being defined."""
        column = "exercice_engagement" if line.exercice_engagement else "exercice"
        if horizon is None:
            errors.append(
                f"ligne {line.number} : aucun plan n'est défini, rien ne peut être "
                "engagé ni mandaté (définir le plan et son horizon : Référentiel)"
            )
            return
        try:
            horizon.check_executable_year(line.budget_year)
        except DomainError:
            errors.append(
                f"ligne {line.number}, colonne « {column} » : exercice "
                f"{line.budget_year} hors des années d'exécution du plan "
                f"({horizon.first_executable_year} à {horizon.last_year})"
            )

    def _check_rules(self, plan: ImportPlan) -> list[LineRefused]:
        """Every line to record, applied in memory to copies of its project's budget
        in the order the batches write them, as the write side would: the budget
        rules a line breaks (a mandat dated before its engagement, a date in the
        future…) are found before anything is written, so a refused file writes
        nothing. Role checks are left to the write (the same actor for every batch,
        so its first batch refuses)."""
        ctx = CommandContext(
            actor="finance-import-check",
            roles=(Role.FINANCE.value,),
            at=self.clock(),
            origin=Origin.IMPORT.value,
            command="import_finance_batch",
            key="check",
        )
        budgets: dict[str, ProjectBudget] = {}
        status = {ln.number: s for ln, _, s in plan.lines}
        refused = []
        with command_context(ctx):
            for line, project in plan.to_create():
                budget = budgets.get(project)
                if budget is None:
                    budget = budgets[project] = copy.deepcopy(self._budget(project))
                try:
                    record_line(budget, line, status[line.number], plan.imputations)
                except LineRefused as exc:
                    refused.append(exc)
        return sorted(refused, key=lambda e: int(e.params["line"]))

    def _imputed(self, project: str) -> dict[str, dict[str, Any]]:
        """The project's last imputation per target (its four codes)."""
        cache = self.__dict__.setdefault("_imputed_cache", {})
        if project not in cache:
            cache[project] = {
                e.target: {f: getattr(e, f) for f in m57.FIELDS}
                for e in self.events.get(ProjectBudget.id_for(project))
                if isinstance(e, ProjectBudget.Imputed)
            }
        return cache[project]  # type: ignore[no-any-return]

    def import_finance(
        self,
        caller: Caller,
        file_name: str,
        sha256: str,
        profile: str,
        plan: ImportPlan,
        key: str,
    ) -> list[CommandResult]:
        """Write the plan's new lines in batches, the last one with the import event.

        A plan with refused lines writes nothing. If a concurrent command makes a
        later batch fail all the same, :class:`ImportPartlyWritten` says which lines
        the earlier batches recorded (importing the file again completes it)."""
        if plan.refused:
            raise plan.refused[0]
        todo = plan.to_create()
        batches = [todo[i : i + BATCH] for i in range(0, len(todo), BATCH)] or [[]]
        summary = {
            "key": key,
            "file_name": file_name,
            "sha256": sha256,
            "profile": profile,
            "counts": plan.counts,
            "totals": plan.totals(),
            "batches": len(batches),
        }
        results = []
        status = {ln.number: s for ln, _, s in plan.lines}
        for n, batch in enumerate(batches, 1):
            final = summary if n == len(batches) else None
            digest = hashlib.sha256(
                "\n".join(
                    f"{ln.key}:{p}:{ln.amount}:{ln.m57}" for ln, p in batch
                ).encode()
            ).hexdigest()
            try:
                results.append(
                    self.import_finance_batch(
                        caller.with_key(f"{key}:{n}"),
                        digest,
                        [
                            (
                                ln,
                                p,
                                (
                                    status[ln.number],
                                    plan.imputations.get(ln.number, ""),
                                ),
                            )
                            for ln, p in batch
                        ],
                        final,
                    )
                )
            except DomainError as exc:
                if n == 1:
                    raise
                written = [lp[0] for b in batches[: n - 1] for lp in b]
                raise ImportPartlyWritten(
                    batch=n,
                    batches=len(batches),
                    reason=str(exc),
                    done=n - 1,
                    written=written_summary(written, status, plan.imputations),
                ) from exc
        return results

    @command(exclude=("batch",))
    def import_finance_batch(
        self,
        caller: Caller,
        digest: str,
        batch: list[tuple[SourceLine, str, tuple[str, str]]],
        final: dict[str, Any] | None,
    ) -> CommandResult:
        """Record one batch of imported engagements and mandats (one transaction),
        each engagement with its M57 imputation when the plan says to."""

        def body(unit: Unit) -> dict[str, Any]:
            imputed = 0
            horizon = Lookups.plan(unit)
            for line, project, (status, imputation) in batch:
                budget = unit.get(
                    ProjectBudget,
                    ProjectBudget.id_for(project),
                    kind="AP du projet",
                    label=project,
                )
                if status == CREATE:
                    try:
                        dates.required_plan(
                            horizon, "importer une ligne"
                        ).check_executable_year(line.budget_year)
                    except DomainError as exc:
                        raise LineRefused(
                            line=line.number, key=line.key, reason=str(exc)
                        ) from exc
                imputed += record_line(budget, line, status, {line.number: imputation})
            if final is not None:
                register = unit.find(FinanceImports, FinanceImports.ID) or unit.add(
                    FinanceImports.open()
                )
                register.record(**final)
            recorded = sum(1 for _, _, (s, _) in batch if s == CREATE)
            return {"recorded": recorded, "imputed": imputed}

        return self.execute("import_finance_batch", caller, body)

    @command()
    def save_finance_profile(
        self, caller: Caller, definition: dict[str, Any]
    ) -> CommandResult:
        """Save (or replace) an import profile, validated."""

        def body(unit: Unit) -> dict[str, Any]:
            profile = self._settings(unit).save_profile(definition)
            return {"name": profile.name}

        return self.execute("save_finance_profile", caller, body)

    @command()
    def add_finance_mapping(
        self, caller: Caller, source: str, project: str
    ) -> CommandResult:
        """Map a finance code (AP number, operation code) to a project."""

        def body(unit: Unit) -> dict[str, Any]:
            unit.get(
                ProjectBudget,
                ProjectBudget.id_for(str(project)),
                kind="AP du projet",
                label=project,
            )
            self._settings(unit).add_mapping(source, project)
            return {"source": source, "project": project}

        return self.execute("add_finance_mapping", caller, body)

    @command()
    def remove_finance_mapping(self, caller: Caller, source: str) -> CommandResult:
        """Remove a finance code's mapping."""

        def body(unit: Unit) -> dict[str, Any]:
            self._settings(unit).remove_mapping(source)
            return {"source": source}

        return self.execute("remove_finance_mapping", caller, body)
