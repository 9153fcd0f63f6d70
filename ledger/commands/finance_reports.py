"""Reports on the imports from the finance software: the past imports, and the
reconciliation of the ledger with the file of the last one or of a chosen one."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.budget import ProjectBudget
from domain.errors import NotFound
from ledger.commands.finance_import import ZERO, FinanceImportCommands


class FinanceReportCommands(FinanceImportCommands):
    """The imports register read: past imports, reconciliation."""

    def finance_import_list(self) -> list[dict[str, Any]]:
        """Every import, newest first: key, date, file, SHA-256, profile, counts,
        actor (and the file's totals)."""
        register = self.finance_imports()
        return list(reversed(register.imports.values())) if register else []

    def finance_import(self, key: str) -> dict[str, Any]:
        """One import by its key, or :class:`NotFound`."""
        register = self.finance_imports()
        if register is None:
            raise NotFound(kind="Import financier", id=key)
        return register.find(key)

    def finance_reconciliation(
        self, totals: list[dict[str, str]] | None = None, import_key: str | None = None
    ) -> list[dict[str, Any]]:
        """Per project and year: CP, committed and paid in the ledger now, against a
        file's totals: ``totals``, or the import ``import_key``'s, or else the last
        import's."""
        if totals is None and import_key is not None:
            totals = self.finance_import(import_key)["totals"]
        if totals is None:
            register = self.finance_imports()
            totals = register.last["totals"] if register and register.last else []
        rows = []
        for t in totals:
            budget = self.load(ProjectBudget, ProjectBudget.id_for(t["project"]))
            y = int(t["year"])
            cp = committed = paid = ZERO
            if budget is not None:
                cp = sum(
                    (a for k, a in budget.cp.items() if k.startswith(f"{y}/")), ZERO
                )
                for c in budget.commitments.values():
                    if c["year"] == y:
                        committed += c["amount"]
                        paid += c["paid"]
            file_c, file_p = Decimal(t["committed"]), Decimal(t["paid"])
            rows.append(
                {
                    "project": t["project"],
                    "year": y,
                    "cp": cp,
                    "committed": committed,
                    "paid": paid,
                    "file_committed": file_c,
                    "file_paid": file_p,
                    "diff_committed": committed - file_c,
                    "diff_paid": paid - file_p,
                }
            )
        return rows
