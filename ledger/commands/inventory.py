"""Commands of the diagnosis: the inventory of the information system, the
assessments of its applications, the findings, and what proposals cite of them."""

from __future__ import annotations

from typing import Any

from domain.accounts import require
from domain.errors import InvalidValue
from domain.findings import AUTHORS as FINDING_AUTHORS
from domain.findings import Finding, ProposalLinks, finding_code
from domain.inventory import Application
from domain.organisation import Direction
from domain.values import as_dict, as_list, code
from ledger.commands.organisation import Lookups
from ledger.commands.reviewed_documents import current_documents
from ledger.core import Caller, CommandResult, LedgerCore, Unit
from ledger.idempotency import command

MAX_IMPORT = 2000  # lines of one inventory import


def _application(unit: Unit, application_code: str) -> Application:
    return unit.get(
        Application,
        Application.id_for(str(application_code)),
        kind="Composant de l'inventaire",
        label=application_code,
    )


def _owner(unit: Unit, values: dict[str, Any], field: str = "direction") -> None:
    """The owner direction, when given, exists and is open (guarded: closed
    meanwhile, the command runs again, refused)."""
    if values.get("direction"):
        unit.guard(Lookups.direction(unit, values["direction"])).check_open(
            "posséder une application", field
        )


def _summary(app: Application) -> dict[str, Any]:
    return {"code": app.code, "name": app.name, "product_version": app.product_version}


class InventoryCommands(LedgerCore):
    """The inventory, its assessments, the findings and the proposals' links."""

    # --- inventory -------------------------------------------------------------------

    @command()
    def register_application(
        self, caller: Caller, application_code: str, values: dict[str, Any]
    ) -> CommandResult:
        """Add a component to the inventory (DSI)."""

        def body(unit: Unit) -> dict[str, Any]:
            key = code(application_code, "code")
            Lookups.new(unit, Application, Application.id_for(key), "Composant", key)
            _owner(unit, as_dict(values, "values"))
            return _summary(unit.add(Application.register(key, values)))

        return self.execute("register_application", caller, body)

    @command()
    def change_application(
        self, caller: Caller, application_code: str, values: dict[str, Any]
    ) -> CommandResult:
        """Record a new description of a component (reason required)."""

        def body(unit: Unit) -> dict[str, Any]:
            app = _application(unit, application_code)
            _owner(unit, as_dict(values, "values"))
            changed = app.change(values)
            return {**_summary(app), "changed": changed}

        return self.execute("change_application", caller, body)

    @command()
    def retire_application(
        self, caller: Caller, application_code: str
    ) -> CommandResult:
        """The component left the information system (reason required)."""

        def body(unit: Unit) -> dict[str, Any]:
            app = _application(unit, application_code)
            app.retire()
            return _summary(app)

        return self.execute("retire_application", caller, body)

    @command()
    def import_inventory(
        self, caller: Caller, lines: list[dict[str, Any]]
    ) -> CommandResult:
        """Register or change many components at once, all or nothing: each line
        is ``{"code", **description}``; a line equal to the inventory writes nothing."""

        def body(unit: Unit) -> dict[str, Any]:
            rows = as_list(lines, "lines")
            if len(rows) > MAX_IMPORT:
                raise InvalidValue("lines", len(rows), f"au plus {MAX_IMPORT} lignes")
            created, changed = [], []
            seen: set[str] = set()
            for i, line in enumerate(rows):
                values = as_dict(line, f"lines[{i}]")
                key = code(values.get("code"), f"lines[{i}].code")
                if key in seen:  # would register then change it: never idempotent
                    raise InvalidValue(
                        f"lines[{i}].code", key, "figure deux fois dans l'import"
                    )
                seen.add(key)
                _owner(unit, values, f"lines[{i}].direction")
                app = unit.find(Application, Application.id_for(key))
                if app is None:
                    unit.add(Application.register(key, values))
                    created.append(key)
                elif app.change(values):
                    changed.append(key)
            return {"created": created, "changed": changed}

        return self.execute("import_inventory", caller, body)

    # --- assessments -----------------------------------------------------------------

    @command()
    def assess_application(
        self,
        caller: Caller,
        application_code: str,
        *,
        technical_state: Any,
        risk: Any,
        obsolescence: Any,
        comment: str = "",
    ) -> CommandResult:
        """The DSI's assessment of an application (supersedes its previous one)."""

        def body(unit: Unit) -> dict[str, Any]:
            app = _application(unit, application_code)
            app.assess_technically(technical_state, risk, obsolescence, comment)
            return {**_summary(app), "number": len(app.dsi_assessments)}

        return self.execute("assess_application", caller, body)

    @command()
    def assess_application_use(
        self,
        caller: Caller,
        application_code: str,
        direction: str,
        *,
        satisfaction: Any,
        coverage: Any,
        comment: str = "",
    ) -> CommandResult:
        """A using direction's assessment, by its referent (supersedes that
        direction's previous one)."""

        def body(unit: Unit) -> dict[str, Any]:
            app = _application(unit, application_code)
            d: Direction = Lookups.direction(unit, code(direction, "direction"))
            unit.guard(d).check_open("évaluer une application", "direction")
            app.assess_for_direction(d.code, satisfaction, coverage, comment)
            made = app.direction_assessments[d.code]
            return {**_summary(app), "direction": d.code, "number": len(made)}

        return self.execute("assess_application_use", caller, body)

    # --- findings --------------------------------------------------------------------

    @command()
    def record_finding(
        self,
        caller: Caller,
        *,
        kind: str,
        title: str,
        statement: str = "",
        applications: list[str] | None = None,
        assessments: list[str] | None = None,
        suggestion: str | None = None,
        documents: list[str] | None = None,
    ) -> CommandResult:
        """A finding of the diagnosis with its evidence (``documents``: codes of the
        review register it rests on); its code is the next free ``CST-NNN``."""

        def body(unit: Unit) -> dict[str, Any]:
            apps = {
                a: _application(unit, a)
                for a in (
                    code(x, "applications")
                    for x in as_list(applications or [], "applications")
                )
            }
            number = 1
            while unit.find(Finding, Finding.id_for(finding_code(number))):
                number += 1
            found = unit.add(
                Finding.record(
                    finding_code(number),
                    kind=kind,
                    title=title,
                    statement=statement,
                    applications=apps,
                    assessments=assessments or [],
                    suggestion=suggestion,
                )
            )
            if documents:
                found.cite(current_documents(unit, documents))
            return {"code": found.code, "kind": found.kind.value}

        return self.execute("record_finding", caller, body)

    @command()
    def withdraw_finding(self, caller: Caller, finding: str) -> CommandResult:
        """A finding no longer holds (reason required)."""

        def body(unit: Unit) -> dict[str, Any]:
            found = finding_of(unit, finding)
            found.withdraw()
            return {"code": found.code}

        return self.execute("withdraw_finding", caller, body)

    @command()
    def cite_documents_in_finding(
        self, caller: Caller, finding: str, documents: list[str]
    ) -> CommandResult:
        """Set the documents of the review register a finding rests on (replaces
        the previous set; the history keeps it)."""

        def body(unit: Unit) -> dict[str, Any]:
            require("citer des documents dans un constat", *FINDING_AUTHORS)
            found = finding_of(unit, finding)
            changed = found.cite(current_documents(unit, documents))
            return {
                "code": found.code,
                "documents": found.documents,
                "changed": changed,
            }

        return self.execute("cite_documents_in_finding", caller, body)

    # --- proposals -------------------------------------------------------------------

    @command()
    def link_proposal(
        self,
        caller: Caller,
        proposal_code: str,
        *,
        applications: dict[str, str] | None = None,
        findings: list[str] | None = None,
        documents: list[str] | None = None,
    ) -> CommandResult:
        """Set the applications a proposal replaces or changes (``{code: "replaces"
        | "changes"}``), the findings it answers and — unless ``documents`` is None,
        which keeps them — the documents of the review register it cites (its
        referent or the DSI)."""

        def body(unit: Unit) -> dict[str, Any]:
            proposal = Lookups.proposal(unit, proposal_code)
            proposal.check_may_link()
            apps = as_dict(applications or {}, "applications")
            for a in apps:
                _application(unit, a)
            cited = [code(f, "findings") for f in as_list(findings or [], "findings")]
            for f in cited:  # guarded: withdrawn meanwhile, the command runs again
                unit.guard(finding_of(unit, f)).check_current()
            docs = None if documents is None else current_documents(unit, documents)
            links = unit.find(ProposalLinks, ProposalLinks.id_for(proposal.code))
            if links is None:
                if not apps and not cited and not docs:
                    return {"proposal": proposal.code, "changed": False}
                links = unit.add(ProposalLinks.start(proposal.code))
            changed = links.set(apps, cited)
            if docs is not None:
                changed = links.cite(docs) or changed
            return {"proposal": proposal.code, "changed": changed}

        return self.execute("link_proposal", caller, body)


def finding_of(unit: Unit, finding: str) -> Finding:
    return unit.get(
        Finding, Finding.id_for(str(finding)), kind="Constat", label=finding
    )
