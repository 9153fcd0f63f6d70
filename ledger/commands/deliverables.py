"""Commands on the phases' deliverables (``domain.deliverables``): keep the expected
list (add, rename, drop with a reason), submit a deliverable (a file attached with
its SHA-256, or a record of the product), validate it or send it back, and complete
a phase — refused while deliverables are not validated unless ``override`` with a
reason.

A phase's list is opened with its defaults by the first command that touches it;
a phase done stays as it is (``PhaseClosed``).
"""

from __future__ import annotations

from typing import Any

from domain.attachments import Attachment
from domain.deliverables import PhaseDeliverables, missing_for
from domain.errors import InvalidValue, NotFound, PhaseClosed
from domain.plan import Phase, PhaseStatus, Plan
from domain.sessions import Session
from domain.values import enum_value
from ledger.commands.attachments import AttachmentCommands
from ledger.commands.organisation import Lookups
from ledger.core import Caller, CommandResult, Unit
from ledger.idempotency import command


def deliverable_ref(plan_number: int, phase: str, key: str) -> str:
    """The attachments' subject reference of a deliverable: ``N/phase/key``."""
    return f"{plan_number}/{phase}/{key}"


class DeliverableCommands(AttachmentCommands):
    """The phases' expected deliverables and the phase checklist's actions."""

    @command()
    def add_deliverable(
        self, caller: Caller, phase: str, key: str, label: str, kind: str
    ) -> CommandResult:
        """Add an expected deliverable to a phase (``kind``: document or record)."""
        return self._on_list("add_deliverable", caller, phase, "add", key, label, kind)

    @command()
    def rename_deliverable(
        self, caller: Caller, phase: str, key: str, label: str
    ) -> CommandResult:
        """Give an expected deliverable a new label."""
        return self._on_list("rename_deliverable", caller, phase, "relabel", key, label)

    @command()
    def drop_deliverable(self, caller: Caller, phase: str, key: str) -> CommandResult:
        """No longer expect a deliverable (reason required)."""
        return self._on_list("drop_deliverable", caller, phase, "drop", key)

    @command(exclude=("content",))
    def submit_deliverable(
        self,
        caller: Caller,
        phase: str,
        key: str,
        *,
        record_kind: str | None = None,
        record_ref: str | None = None,
        filename: str = "",
        content: bytes = b"",
        sha256: str = "",
    ) -> CommandResult:
        """Submit a deliverable: a file (``filename``, ``content``, ``sha256``, attached
        to subject ``deliverable`` ``N/phase/key``) for a document, a record kind and
        reference for a record."""

        def body(unit: Unit) -> dict[str, Any]:
            plan, agg = self._list(unit, phase)
            item = agg.item(key)
            document = None
            if item["kind"] == "document" and content:
                ref = deliverable_ref(plan.number, agg.phase, item["key"])
                file = self._checked(content, filename, sha256)
                generation = self._generation(unit, "deliverable", ref, file)
                attached = Attachment.attach(
                    "deliverable", ref, generation=generation, **file
                )
                document = {
                    "attachment": str(attached.id),
                    "sha256": attached.sha256,
                    "filename": attached.filename,
                }
                agg.submit(item["key"], document=document)
                unit.add(attached)
                self.attachment_store.put(content)
            else:
                agg.submit(
                    item["key"],
                    document=document,
                    record_kind=record_kind,
                    record_ref=record_ref,
                )
            return _item_result(agg, item["key"])

        return self.execute("submit_deliverable", caller, body)

    @command()
    def validate_deliverable(
        self, caller: Caller, phase: str, key: str, decision: str | None = None
    ) -> CommandResult:
        """The chair validates a submitted deliverable (the DSI, naming the COPIL
        decision that did)."""
        return self._on_list(
            "validate_deliverable", caller, phase, "validate", key, decision
        )

    @command()
    def return_deliverable(
        self, caller: Caller, phase: str, key: str, decision: str | None = None
    ) -> CommandResult:
        """Send a submitted deliverable back to its owner (reason required)."""
        return self._on_list(
            "return_deliverable", caller, phase, "send_back", key, decision
        )

    @command()
    def complete_phase(
        self, caller: Caller, phase: str, on: Any, override: bool = False
    ) -> CommandResult:
        """Mark a phase done: every expected deliverable validated, or ``override``
        with a reason."""

        def body(unit: Unit) -> dict[str, Any]:
            plan = _plan(unit)
            value = enum_value(Phase, phase, "phase").value
            found = unit.find(
                PhaseDeliverables, PhaseDeliverables.id_for(plan.number, value)
            )
            if found is not None:  # changed meanwhile: completing runs again
                unit.guard(found)
            missing = missing_for(value, found)
            plan.complete_phase(value, on, missing=missing, override=bool(override))
            return {"phase": value, "missing": missing}

        return self.execute("complete_phase", caller, body)

    def _on_list(
        self, name: str, caller: Caller, phase: str, method: str, *args: Any
    ) -> CommandResult:
        def body(unit: Unit) -> dict[str, Any]:
            agg = self._list(unit, phase)[1]
            getattr(agg, method)(*args)
            if method in REVIEWS:
                # after the domain's checks (role, status): a refusal here still
                # writes nothing, the unit is not saved
                cited_session(unit, agg.items[str(args[0])]["decision"])
            return _item_result(agg, str(args[0]))

        return self.execute(name, caller, body)

    @staticmethod
    def _list(unit: Unit, phase: str) -> tuple[Plan, PhaseDeliverables]:
        """The plan and the phase's list (opened with its defaults when new); a phase
        done refuses any change — the plan is guarded: a phase completed meanwhile
        runs the change again, refused."""
        plan = unit.guard(_plan(unit))
        value = enum_value(Phase, phase, "phase").value
        if plan.phases[value]["status"] == PhaseStatus.DONE.value:
            raise PhaseClosed(field="phase", phase=value)
        agg = unit.find(PhaseDeliverables, PhaseDeliverables.id_for(plan.number, value))
        if agg is None:
            agg = unit.add(PhaseDeliverables.open(plan.number, value))
        return plan, agg


REVIEWS = ("validate", "send_back")


def cited_session(unit: Unit, ref: str | None) -> None:
    """The COPIL session a review cites (``copil_decision``: a session's code)
    exists and has been held (opened at least once: open now, or closed); none
    cited is left to the domain's rule (only the chair may review without one)."""
    if ref is None:
        return
    session = unit.find(Session, Session.id_for(ref))
    if session is None:
        raise InvalidValue("copil_decision", ref, "aucune séance du COPIL de ce code")
    if not session.held:
        raise InvalidValue(
            "copil_decision",
            ref,
            f"la séance du {session.on:%d/%m/%Y} n'a pas encore été ouverte : "
            "citez une séance tenue (ouverte ou close)",
        )


def _plan(unit: Unit) -> Plan:
    plan = Lookups.plan(unit)
    if plan is None:
        raise NotFound(kind="Plan", id="SDSI")
    return plan


def _item_result(agg: PhaseDeliverables, key: str) -> dict[str, Any]:
    item = agg.items.get(key)
    return {"list": agg.code, "deliverable": dict(item) if item else None}
