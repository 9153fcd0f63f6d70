"""What every export shares: the request, the source it reads, the exporter contract.

An exporter (pretix-style) is one class per document with a ``name``, a French
``label``, the ``formats`` it writes, the ``roles`` allowed to download it, and
``filename()``, ``mime_type()`` and ``render()``. It reads only the views, through
``projections.queries`` on the store that ``ReadModel.at(as_of)`` gives, so every
export can be produced as of any past moment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Any, ClassVar

from domain.localtime import DEFAULT_TIMEZONE, zone
from domain.values import Role
from projections import plan_scope
from projections import queries as q
from projections import reference_queries as rq
from projections.store import ViewStore

MIME_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "json": "application/json",
    "zip": "application/zip",
}

ALL_ROLES = Role.names()


class ExportError(Exception):
    """An export that cannot be produced as asked (bad usage: exit code 2, HTTP 4xx)."""


class UnknownExport(ExportError):
    """No exporter has this name."""


class UnsupportedFormat(ExportError):
    """The exporter does not write this format."""


class MissingParameter(ExportError):
    """A required parameter (e.g. the session of the minutes) is missing."""


class NotFound(ExportError):
    """The thing to export (e.g. a session) does not exist at that moment."""


class UnknownEntity(ExportError):
    """The entity asked for (``--entity``, ``entity=``) is unknown at that moment:
    no empty budget passed off as its own."""

    def __init__(self, entity: str) -> None:
        self.entity = entity
        super().__init__(f"Entité inconnue à ce moment du registre : {entity}.")


@dataclass(frozen=True)
class ExportRequest:
    """What to export: the format, the moment (``as_of``), for minutes a session,
    the plan (``None``: the plan in force; a plan that ended as it was at its end)."""

    format: str
    as_of: str | None = None
    session: str | None = None
    plan: int | None = None
    # Open data only: the published fields withheld (``SDSI_PUBLIC_HIDE``, the names of
    # ``domain.publication.FIELDS``): their columns are emptied, their datasets left out.
    hidden: frozenset[str] = frozenset()
    # Budget and AP/CP annex: one entity's share (its code), or None for the
    # consolidated figures.
    entity: str | None = None


@dataclass(frozen=True)
class Snapshot:
    """The views as of one moment: ``position`` and ``at`` are those of the last event
    that is data of the documents — not a record of a document issued
    (``IssuedDocument``), so that handing a PDF out does not change the next copy of
    it (the same data, the same bytes, the same SHA-256); ``ledger_position`` is the
    moment's position in the ledger itself."""

    store: ViewStore
    position: int
    at: str | None
    ledger_position: int | None = None
    # The municipality's time zone (SDSI_TIMEZONE): documents for people show local
    # times; machine exports and proofs keep the stored UTC.
    zone: tzinfo = UTC

    @property
    def municipality(self) -> str:
        """The municipality's name (as defined, else the plan's), or a placeholder."""
        town = rq.municipality(self.store)
        if town is not None:
            return str(town["name"])
        plan = q.plan(self.store)
        return str(plan["municipality"]) if plan else "Collectivité"

    @property
    def identifiers(self) -> dict[str, str]:
        """The municipality's SIREN, SIRET and INSEE code, those defined."""
        town = rq.municipality(self.store) or {}
        return {k: town[k] for k in ("siren", "siret", "insee") if town.get(k)}


class ExportSource:
    """Where exports read: the read model (views as of any moment) and its ledger."""

    def __init__(self, read_model: Any) -> None:
        self.read_model = read_model

    @property
    def ledger(self) -> Any:
        return self.read_model.ledger

    @property
    def settings(self) -> Any:
        return self.read_model.settings

    def snapshot(self, as_of: str | None) -> Snapshot:
        """The views as of ``as_of`` (``None``: as they stand), with their position."""
        rm = self.read_model
        position = rm.position_of(as_of) if as_of else rm.current_position()
        store = rm.at(as_of) if as_of else rm.store
        latest = q.latest_data_event(store)
        if latest is None:
            return Snapshot(store, position, None, position, self.zone)
        return Snapshot(
            store, min(position, latest["position"]), latest["at"], position, self.zone
        )

    @property
    def zone(self) -> tzinfo:
        """The municipality's time zone (``SDSI_TIMEZONE``, Europe/Paris by default)."""
        return zone(getattr(self.settings, "timezone", None) or DEFAULT_TIMEZONE)


@dataclass(frozen=True)
class Rendered:
    """A rendered export: bytes, file name, MIME type; ``ok`` False if it reports a
    failure (a certificate of a broken ledger)."""

    content: bytes
    filename: str
    mime_type: str
    ok: bool = True


def slug(text: str) -> str:
    """A file-name-safe fragment (ASCII letters, digits, dashes)."""
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "export"


class Exporter:
    """One exported document, in one or more formats."""

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    description: ClassVar[str] = ""
    formats: ClassVar[tuple[str, ...]] = ()
    roles: ClassVar[frozenset[str]] = ALL_ROLES
    needs_session: ClassVar[bool] = False

    def filename(self, request: ExportRequest, snapshot: Snapshot) -> str:
        """The file name to offer: name, session, position and extension."""
        parts = [self.name]
        if request.session:
            parts.append(slug(request.session))
        if request.plan is not None:
            parts.append(f"plan-{request.plan}")
        if request.entity:
            parts.append(f"entite-{slug(request.entity)}")
        if request.as_of or request.plan is not None:
            parts.append(f"position-{snapshot.position}")
        return "-".join(parts) + f".{self.extension(request.format)}"

    def extension(self, fmt: str) -> str:
        return fmt

    def mime_type(self, fmt: str) -> str:
        return MIME_TYPES[self.extension(fmt)]

    def check(self, request: ExportRequest) -> None:
        """Refuse a format or a missing parameter before reading anything."""
        if request.format not in self.formats:
            raise UnsupportedFormat(
                f"l'export {self.name!r} ne propose pas le format {request.format!r} "
                f"(formats : {', '.join(self.formats)})"
            )
        if self.needs_session and not request.session:
            raise MissingParameter(
                f"l'export {self.name!r} demande une séance (--session CODE)"
            )

    def render(self, source: ExportSource, request: ExportRequest) -> Rendered:
        """Check the request, take the snapshot, write the bytes."""
        self.check(request)
        snapshot = source.snapshot(
            plan_scope.as_of_for(source.read_model, request.as_of, request.plan)
        )
        content = self.write(source, snapshot, request)
        return Rendered(
            content, self.filename(request, snapshot), self.mime_type(request.format)
        )

    def write(
        self, source: ExportSource, snapshot: Snapshot, request: ExportRequest
    ) -> bytes:  # pragma: no cover - abstract
        """The document's bytes in ``request.format``."""
        raise NotImplementedError
