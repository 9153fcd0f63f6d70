"""The registry of exporters: what the CLI and the web list, check and render.

The web lists :func:`available` for the roles of the signed-in user (name, French
label, formats, whether a session is needed) and calls :func:`render` to get bytes, a
file name and a MIME type; the CLI does the same for ``sdsi export``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from exports.apcp_annex import APCPAnnexExporter
from exports.base import (
    Exporter,
    ExportRequest,
    ExportSource,
    Rendered,
    UnknownExport,
)
from exports.budget import BudgetExporter
from exports.certificate import CertificateExporter
from exports.minutes import MinutesExporter
from exports.opendata import (
    OpenDataBudgetExporter,
    OpenDataCheckpointsExporter,
    OpenDataDecisionsExporter,
    OpenDataDeliberationsExporter,
    OpenDataExporter,
    OpenDataGridDecisionsExporter,
    OpenDataProjectsExporter,
    OpenDataSCDLBudgetExporter,
    OpenDataVotesExporter,
)
from exports.plan import PlanExporter

EXPORTERS: dict[str, Exporter] = {
    e.name: e
    for e in (
        BudgetExporter(),
        APCPAnnexExporter(),
        MinutesExporter(),
        PlanExporter(),
        CertificateExporter(),
        OpenDataExporter(),
        OpenDataDeliberationsExporter(),
        OpenDataDecisionsExporter(),
        OpenDataGridDecisionsExporter(),
        OpenDataProjectsExporter(),
        OpenDataBudgetExporter(),
        OpenDataSCDLBudgetExporter(),
        OpenDataVotesExporter(),
        OpenDataCheckpointsExporter(),
    )
}


@dataclass(frozen=True)
class ExportInfo:
    """What a page lists about an export: name, label, formats, roles, parameters."""

    name: str
    label: str
    description: str
    formats: tuple[str, ...]
    roles: frozenset[str]
    needs_session: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "description": self.description,
            "formats": list(self.formats),
            "roles": sorted(self.roles),
            "needs_session": self.needs_session,
        }


def _info(e: Exporter) -> ExportInfo:
    return ExportInfo(
        e.name, e.label, e.description, e.formats, e.roles, e.needs_session
    )


def exporter(name: str) -> Exporter:
    """The exporter called ``name`` (:class:`UnknownExport` otherwise)."""
    try:
        return EXPORTERS[name]
    except KeyError:
        raise UnknownExport(
            f"export inconnu : {name!r} (exports : {', '.join(EXPORTERS)})"
        ) from None


def available(roles: Iterable[str] | None = None) -> list[ExportInfo]:
    """Every export, or those that one of ``roles`` may download."""
    wanted = None if roles is None else set(roles)
    return [_info(e) for e in EXPORTERS.values() if wanted is None or wanted & e.roles]


def allowed(name: str, roles: Iterable[str]) -> bool:
    """Whether one of ``roles`` may download export ``name``."""
    return bool(set(roles) & exporter(name).roles)


def render(
    read_model: Any,
    name: str,
    fmt: str,
    *,
    as_of: str | None = None,
    session: str | None = None,
    plan: int | None = None,
    hidden: frozenset[str] = frozenset(),
    entity: str | None = None,
) -> Rendered:
    """Render export ``name`` in ``fmt`` as of ``as_of``, of plan ``plan`` (bytes,
    file name, MIME); the budget of one ``entity`` or consolidated."""
    request = ExportRequest(fmt, as_of, session, plan, hidden, entity)
    return exporter(name).render(ExportSource(read_model), request)
