"""What each phase of the SDSI produces: its expected deliverables.

One aggregate per phase of a plan (``PhaseDeliverables``, keyed ``N/phase``: plan
number and phase). It is opened with the phase's default deliverables (``DEFAULTS``)
the first time someone touches the phase's list; until then the defaults are
expected. The DSI or the chair adds, renames or drops (reason required) expected
deliverables. A deliverable is either a **document** (a file attached with its
SHA-256, ``domain.attachments``, subject ``deliverable``) or a **record** of the
product (a kind — axes, diagnosis, portfolio… — and an optional reference). Its
owner (a drafting role: the DSI or the consultant) submits it; the COPIL's chair
validates it or sends it back (reason required); the DSI may record either when it
names the COPIL decision that took it. Each is an event carrying the decision, its
author (and, as every event, its date and reason).

A phase completes only when every expected deliverable is validated, or with a
recorded reason (``domain.plan.Plan.complete_phase``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.accounts import has_role, require
from domain.base import LedgerAggregate, current_context, natural_id
from domain.errors import AlreadyExists, DeliverableRefused, InvalidValue, NotFound
from domain.plan import Phase
from domain.records import reason_for
from domain.values import DomainEnum, Role, code, enum_value, text


class DeliverableKind(DomainEnum):
    """A file attached, or a record kept in the product."""

    DOCUMENT = "document"
    RECORD = "record"


class DeliverableStatus(DomainEnum):
    """Expected → submitted → validated, or sent back (then submitted again)."""

    EXPECTED = "expected"
    SUBMITTED = "submitted"
    VALIDATED = "validated"
    RETURNED = "returned"


STATUS_LABELS = {
    "expected": "attendu",
    "submitted": "soumis",
    "validated": "validé",
    "returned": "renvoyé",
}

# Who submits deliverables (their owners); who keeps the list; who validates.
DRAFTING_ROLES = (Role.DSI, Role.CONSULTANT)
LIST_EDITORS = (Role.DSI, Role.CHAIR)
REVIEWERS = (Role.CHAIR, Role.DSI)  # the DSI only naming a COPIL decision

# The records of the product a deliverable may point to (kind → French label).
RECORD_KINDS = {
    "axes": "axes et indicateurs",
    "diagnosis": "diagnostic SI",
    "inventory": "inventaire applicatif",
    "findings": "constats du diagnostic",
    "portfolio": "portefeuille des demandes",
    "grid": "grille d'évaluation adoptée",
    "plan": "plan et feuille de route",
    "committee": "composition du COPIL",
}

# The default expected deliverables of a French SDSI, per phase: (key, label, kind).
DEFAULTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "cadrage": (
        ("note_cadrage", "Note de cadrage", "document"),
        ("lettre_mission", "Lettre de mission et gouvernance du projet", "document"),
    ),
    "revue_documentaire": (
        ("inventaire_documents", "Inventaire des documents existants", "document"),
    ),
    "alignement_strategique": (
        ("axes_indicateurs", "Axes stratégiques et indicateurs", "record"),
    ),
    "diagnostic_si": (
        ("rapport_diagnostic", "Rapport de diagnostic", "document"),
        ("inventaire_applicatif", "Inventaire applicatif", "record"),
    ),
    "evolutions_demandees": (
        ("demandes_consolidees", "Demandes consolidées (portefeuille)", "record"),
    ),
    "plan_strategique_numerique": (
        ("plan_feuille_de_route", "Plan stratégique numérique", "document"),
    ),
}


def default_items(phase: str) -> list[dict[str, Any]]:
    """The phase's default deliverables, none submitted."""
    return [_item(k, label, kind) for k, label, kind in DEFAULTS[phase]]


def _item(key: str, label: str, kind: str) -> dict[str, Any]:
    return {
        "key": key,
        "label": label,
        "kind": kind,
        "status": DeliverableStatus.EXPECTED.value,
        "dropped": False,
        "owner": None,
        "sha256": None,
        "filename": None,
        "attachment": None,
        "record_kind": None,
        "record_ref": None,
        "decision": None,
        "reviewed_by": None,
    }


def missing_for(phase: str, deliverables: PhaseDeliverables | None) -> list[str]:
    """The labels of the phase's expected deliverables not validated (the defaults
    when its list was never opened)."""
    if deliverables is None:
        return [label for _k, label, _kind in DEFAULTS[phase]]
    return deliverables.missing()


def deliverables_code(plan_number: int, phase: str) -> str:
    return f"{plan_number}/{phase}"


class PhaseDeliverables(LedgerAggregate):
    """The expected deliverables of one phase of one plan, and where each stands."""

    def __init__(self) -> None:
        self.code = ""
        self.phase = ""
        self.items: dict[str, dict[str, Any]] = {}

    @staticmethod
    def id_for(plan_number: int, phase: str) -> UUID:
        return natural_id("deliverables", str(plan_number), phase)

    class Listed(LedgerAggregate.Created):
        code: str
        plan_number: int
        phase: Phase
        items: list[dict[str, Any]]

        def apply(self, agg: PhaseDeliverables) -> None:
            agg.code, agg.phase = self.code, self.phase.value
            agg.items = {i["key"]: dict(i) for i in self.items}

    class Added(LedgerAggregate.Event):
        key: str
        label: str
        kind: str

        def apply(self, agg: PhaseDeliverables) -> None:
            agg.items[self.key] = _item(self.key, self.label, self.kind)

    class Relabelled(LedgerAggregate.Event):
        key: str
        label: str

        def apply(self, agg: PhaseDeliverables) -> None:
            agg.items[self.key]["label"] = self.label

    class Dropped(LedgerAggregate.Event):
        key: str

        def apply(self, agg: PhaseDeliverables) -> None:
            agg.items[self.key]["dropped"] = True

    class Submitted(LedgerAggregate.Event):
        key: str
        owner: str
        sha256: str | None
        filename: str | None
        attachment: str | None
        record_kind: str | None
        record_ref: str | None

        def apply(self, agg: PhaseDeliverables) -> None:
            agg.items[self.key].update(
                status=DeliverableStatus.SUBMITTED.value,
                owner=self.owner,
                sha256=self.sha256,
                filename=self.filename,
                attachment=self.attachment,
                record_kind=self.record_kind,
                record_ref=self.record_ref,
                decision=None,
                reviewed_by=None,
            )

    class Validated(LedgerAggregate.Event):
        key: str
        by: str
        decision: str | None

        def apply(self, agg: PhaseDeliverables) -> None:
            agg.items[self.key].update(
                status=DeliverableStatus.VALIDATED.value,
                reviewed_by=self.by,
                decision=self.decision,
            )

    class Returned(LedgerAggregate.Event):
        key: str
        by: str
        decision: str | None

        def apply(self, agg: PhaseDeliverables) -> None:
            agg.items[self.key].update(
                status=DeliverableStatus.RETURNED.value,
                reviewed_by=self.by,
                decision=self.decision,
            )

    @classmethod
    def open(cls, plan_number: int, phase: Any) -> PhaseDeliverables:
        """The phase's list, with its default deliverables."""
        value = enum_value(Phase, phase, "phase")
        return cls._create(
            cls.Listed,
            id=cls.id_for(plan_number, value.value),
            code=deliverables_code(plan_number, value.value),
            plan_number=plan_number,
            phase=value,
            items=default_items(value.value),
        )

    # --- the list ------------------------------------------------------------------

    def add(self, key: Any, label: Any, kind: Any) -> None:
        require("ajouter un livrable attendu", *LIST_EDITORS)
        k = code(key, "key")
        title = text(label, "label")
        nature = enum_value(DeliverableKind, kind, "kind")
        if k in self.items:
            raise AlreadyExists(kind="Livrable", id=k)
        self.trigger_event(self.Added, key=k, label=title, kind=nature.value)

    def relabel(self, key: Any, label: Any) -> None:
        require("renommer un livrable attendu", *LIST_EDITORS)
        item = self.item(key)
        title = text(label, "label")
        if title != item["label"]:
            self.trigger_event(self.Relabelled, key=item["key"], label=title)

    def drop(self, key: Any) -> None:
        require("retirer un livrable attendu", *LIST_EDITORS)
        item = self.item(key)
        if item["status"] == DeliverableStatus.VALIDATED.value:
            raise DeliverableRefused(
                field="key", label=item["label"], why="validé, il ne se retire plus"
            )
        reason_for("retirer un livrable attendu")
        self.trigger_event(self.Dropped, key=item["key"])

    # --- submission and review ---------------------------------------------------

    def submit(
        self,
        key: Any,
        *,
        document: dict[str, Any] | None = None,
        record_kind: Any = None,
        record_ref: Any = None,
    ) -> None:
        """The owner submits the deliverable: ``document`` (the attachment's id,
        SHA-256 and file name) for a document, a record kind and reference else."""
        require("soumettre un livrable", *DRAFTING_ROLES)
        item = self.item(key)
        if item["status"] == DeliverableStatus.VALIDATED.value:
            raise DeliverableRefused(
                field="key", label=item["label"], why="déjà validé"
            )
        fields: dict[str, Any] = dict.fromkeys(
            ("sha256", "filename", "attachment", "record_kind", "record_ref")
        )
        if item["kind"] == DeliverableKind.DOCUMENT.value:
            if not document:
                raise InvalidValue(
                    "file", "", "un fichier est attendu pour ce livrable"
                )
            fields.update(
                sha256=document["sha256"],
                filename=document["filename"],
                attachment=document["attachment"],
            )
        else:
            if record_kind not in RECORD_KINDS:
                raise InvalidValue(
                    "record_kind",
                    record_kind,
                    "type d'enregistrement attendu : " + ", ".join(RECORD_KINDS),
                )
            ref = text(record_ref, "record_ref", max_len=120, required=False)
            fields.update(record_kind=record_kind, record_ref=ref or None)
        self.trigger_event(
            self.Submitted, key=item["key"], owner=current_context().actor, **fields
        )

    def validate(self, key: Any, decision: Any = None) -> None:
        """The chair validates (or the DSI, naming the COPIL decision)."""
        item, by, ref = self._review(key, decision, "valider un livrable")
        self.trigger_event(self.Validated, key=item["key"], by=by, decision=ref)

    def send_back(self, key: Any, decision: Any = None) -> None:
        """The chair sends the deliverable back to its owner (reason required)."""
        item, by, ref = self._review(key, decision, "renvoyer un livrable")
        reason_for("renvoyer un livrable")
        self.trigger_event(self.Returned, key=item["key"], by=by, decision=ref)

    def missing(self) -> list[str]:
        """The labels of the expected deliverables not validated yet."""
        return [
            i["label"]
            for i in self.items.values()
            if not i["dropped"] and i["status"] != DeliverableStatus.VALIDATED.value
        ]

    def _review(
        self, key: Any, decision: Any, action: str
    ) -> tuple[dict[str, Any], str, str | None]:
        ctx = current_context()
        require(action, *REVIEWERS)
        ref = text(decision, "copil_decision", max_len=120, required=False) or None
        if not has_role(ctx.roles, Role.CHAIR) and ref is None:
            raise InvalidValue(
                "copil_decision",
                "",
                "hors présidence du COPIL, citez la décision du COPIL",
            )
        item = self.item(key)
        if item["status"] != DeliverableStatus.SUBMITTED.value:
            raise DeliverableRefused(
                field="key",
                label=item["label"],
                why=f"{STATUS_LABELS[item['status']]} : impossible de {action}",
            )
        return item, ctx.actor, ref

    def item(self, key: Any) -> dict[str, Any]:
        item = self.items.get(key) if isinstance(key, str) else None
        if item is None or item["dropped"]:
            raise NotFound(kind="Livrable", id=str(key)[:60])
        return item
