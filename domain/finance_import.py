"""Import of commitments (engagements) and payments (mandats) from the finance software.

A file's lines become :class:`SourceLine` values keyed by their source identifiers
(exercice + engagement number + line for an engagement, exercice + bordereau + pièce +
line for a mandat): the key is the reference of the recorded commitment or payment, so
the same line imported twice is found already there. Each import is one
:class:`FinanceImports.Imported` event (file name, SHA-256, profile, counts, totals of
the file per project and year). Profiles saved by users and the mapping of the finance
software's AP numbers and operation codes to projects are kept in the ledger too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from domain.accounts import require
from domain.base import LedgerAggregate, natural_id
from domain.errors import DomainError, InvalidValue, NotFound
from domain.values import Role, Section, code, text

ENGAGEMENT, MANDAT = "engagement", "mandat"
KINDS = (ENGAGEMENT, MANDAT)

# The fields a profile maps to the file's columns; the required ones first.
REQUIRED_FIELDS = ("exercice", "section", "ligne", "date", "montant")
OPTIONAL_FIELDS = (
    "type",
    "budget",
    "sens",
    "chapitre",
    "nature",
    "fonction",
    "operation",
    "ap",
    "engagement",
    "ligne_engagement",
    "exercice_engagement",
    "bordereau",
    "piece",
    "tiers",
)
FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS
_PART = re.compile(r"[A-Za-z0-9_.]{1,12}", re.ASCII)
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}", re.ASCII)


class LineRefused(DomainError):
    """A line of an import file broke a budget rule when it was recorded."""

    status = 409
    code = "finance_line_refused"
    template = "Ligne {line} ({key}) refusée : {reason}"


class ImportPartlyWritten(DomainError):
    """A concurrent command made a later batch of an import fail after its lines
    were checked: the earlier batches stay written; importing the same file again
    records the rest (the lines already recorded are recognised by their key)."""

    status = 409
    code = "finance_import_partly_written"
    template = (
        "Import interrompu au lot {batch} sur {batches} : {reason} Les lots 1 à "
        "{done} sont enregistrés ({written}) ; rien d'autre n'a été écrit. "
        "Réimportez le même fichier pour compléter l'import : les lignes déjà "
        "enregistrées sont reconnues à leur clé et ne le seront pas deux fois."
    )


@dataclass(frozen=True)
class Profile:
    """How a finance software's export is laid out: which column holds which field."""

    name: str
    label: str
    columns: dict[str, str]
    kind: str | None = None  # fixed kind, or None: read from the ``type`` column
    kind_values: dict[str, str] | None = None  # column value -> engagement/mandat
    section_values: dict[str, str] | None = None  # column value -> I/F
    delimiter: str = ";"
    decimal: str = ","
    date_format: str = "%d/%m/%Y"

    def definition(self) -> str:
        """The profile as canonical JSON (what a saved profile event holds)."""
        return json.dumps(
            {
                "name": self.name,
                "label": self.label,
                "columns": self.columns,
                "kind": self.kind,
                "kind_values": self.kind_values,
                "section_values": self.section_values,
                "delimiter": self.delimiter,
                "decimal": self.decimal,
                "date_format": self.date_format,
            },
            ensure_ascii=False,
            sort_keys=True,
        )


def _mapping(value: Any, field: str) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise InvalidValue(field, value, "table de correspondance texte → texte")
    return dict(value)


def parse_profile(raw: Any) -> Profile:
    """A profile from its JSON/TOML form, every field checked."""
    if not isinstance(raw, dict):
        raise InvalidValue("profile", type(raw).__name__, "objet attendu")
    unknown = set(raw) - {
        "name",
        "label",
        "columns",
        "kind",
        "kind_values",
        "section_values",
        "delimiter",
        "decimal",
        "date_format",
    }
    if unknown:
        raise InvalidValue("profile", sorted(unknown), "champs inconnus")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidValue("name", name, "nom de 1 à 40 caractères : a-z, 0-9, _ -")
    columns = _mapping(raw.get("columns"), "columns") or {}
    bad = sorted(set(columns) - set(FIELDS))
    if bad:
        raise InvalidValue("columns", bad, "champs inconnus")
    missing = [f for f in REQUIRED_FIELDS if f not in columns]
    if missing:
        raise InvalidValue("columns", missing, "colonnes obligatoires manquantes")
    headers = list(columns.values())
    if any(not h.strip() for h in headers) or len(set(headers)) != len(headers):
        raise InvalidValue("columns", headers, "en-têtes non vides et distincts")
    kind = raw.get("kind")
    if kind is not None and kind not in KINDS:
        raise InvalidValue("kind", kind, "engagement ou mandat")
    kind_values = _mapping(raw.get("kind_values"), "kind_values")
    if kind is None:
        if "type" not in columns or not kind_values:
            raise InvalidValue(
                "kind", None, "un type fixe, ou une colonne type et ses valeurs"
            )
        if set(kind_values.values()) - set(KINDS):
            raise InvalidValue("kind_values", kind_values, "engagement ou mandat")
    section_values = _mapping(raw.get("section_values"), "section_values")
    if section_values and set(section_values.values()) - {"I", "F"}:
        raise InvalidValue("section_values", section_values, "I ou F")
    delimiter = raw.get("delimiter", ";")
    if delimiter not in (";", ",", "\t", "|"):
        raise InvalidValue("delimiter", delimiter, "; , tabulation ou |")
    decimal = raw.get("decimal", ",")
    if decimal not in (",", "."):
        raise InvalidValue("decimal", decimal, "virgule ou point")
    date_format = raw.get("date_format", "%d/%m/%Y")
    if date_format not in ("%d/%m/%Y", "%Y-%m-%d"):
        raise InvalidValue("date_format", date_format, "%d/%m/%Y ou %Y-%m-%d")
    return Profile(
        name=name,
        label=text(raw.get("label", name), "label", max_len=120),
        columns=columns,
        kind=kind,
        kind_values=kind_values,
        section_values=section_values,
        delimiter=delimiter,
        decimal=decimal,
        date_format=date_format,
    )


def key_part(value: str, field: str) -> str:
    """One part of a line's key: a short code (so the key is a valid reference)."""
    if not _PART.fullmatch(value):
        raise InvalidValue(field, value, "1 à 12 caractères : lettres, chiffres, _ .")
    return value


@dataclass(frozen=True)
class SourceLine:
    """One valid line of an import file."""

    number: int  # line number in the file (header = 1)
    kind: str
    exercice: int
    section: Section
    on: date
    amount: Decimal
    ligne: str
    engagement: str = ""
    ligne_engagement: str = "1"
    exercice_engagement: int = 0
    bordereau: str = ""
    piece: str = ""
    operation: str = ""
    ap: str = ""
    tiers: str = ""
    imputation: tuple[str, ...] = ()  # budget, sens, chapitre, nature, fonction
    # The line's M57 codes, validated by domain.m57 (engagement lines that give them).
    m57: dict[str, str | None] | None = None
    m57_warnings: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The line's source key: the reference it is recorded under."""
        if self.kind == ENGAGEMENT:
            return f"E-{self.exercice}-{self.engagement}-{self.ligne}"
        return f"M-{self.exercice}-{self.bordereau}-{self.piece}-{self.ligne}"

    @property
    def commitment(self) -> str:
        """The commitment an engagement line is, or a mandat line pays."""
        y = self.exercice_engagement or self.exercice
        line = self.ligne if self.kind == ENGAGEMENT else self.ligne_engagement
        return f"E-{y}-{self.engagement}-{line}"

    @property
    def budget_year(self) -> int:
        """The year of the CP the line consumes (the commitment's)."""
        return self.exercice_engagement or self.exercice


class FinanceImports(LedgerAggregate):
    """The register of imports from the finance software (one, for the ledger)."""

    ID = natural_id("finance-imports", "register")

    def __init__(self) -> None:
        self.count = 0
        self.last: dict[str, Any] | None = None
        # every import by key, oldest first (a few per month: kept in the aggregate)
        self.imports: dict[str, dict[str, Any]] = {}

    class Opened(LedgerAggregate.Created):
        def apply(self, agg: FinanceImports) -> None:
            pass

    class Imported(LedgerAggregate.Event):
        """An import: its file, its profile, what it created and the file's totals
        per project and year (amounts as decimal text)."""

        key: str
        file_name: str
        sha256: str
        profile: str
        counts: dict[str, int]
        totals: list[dict[str, str]]
        batches: int

        def apply(self, agg: FinanceImports) -> None:
            agg.count += 1
            agg.last = {
                "key": self.key,
                "file_name": self.file_name,
                "sha256": self.sha256,
                "profile": self.profile,
                "counts": dict(self.counts),
                "totals": [dict(t) for t in self.totals],
                "at": self.timestamp,
                "actor": self.context.actor,
            }
            agg.imports[self.key] = agg.last

    def find(self, key: str) -> dict[str, Any]:
        """One import by its key, or :class:`NotFound`."""
        found = self.imports.get(key)
        if found is None:
            raise NotFound(kind="Import financier", id=key)
        return found

    @classmethod
    def open(cls) -> FinanceImports:
        return cls._create(cls.Opened, id=cls.ID)

    def record(self, **fields: Any) -> None:
        require("importer des engagements et mandats", Role.FINANCE)
        sha = fields["sha256"]
        if not isinstance(sha, str) or not re.fullmatch(r"[0-9a-f]{64}", sha):
            raise InvalidValue("sha256", sha, "empreinte SHA-256 hexadécimale")
        self.trigger_event(
            self.Imported,
            key=fields["key"],
            file_name=text(fields["file_name"], "file_name", max_len=255),
            sha256=sha,
            profile=code(fields["profile"], "profile"),
            counts=dict(fields["counts"]),
            totals=list(fields["totals"]),
            batches=int(fields["batches"]),
        )


class FinanceSettings(LedgerAggregate):
    """Saved import profiles and the mapping of finance codes to projects."""

    ID = natural_id("finance-settings", "register")

    def __init__(self) -> None:
        self.profiles: dict[str, str] = {}
        self.mappings: dict[str, str] = {}

    class Opened(LedgerAggregate.Created):
        def apply(self, agg: FinanceSettings) -> None:
            pass

    class ProfileSaved(LedgerAggregate.Event):
        name: str
        definition: str

        def apply(self, agg: FinanceSettings) -> None:
            agg.profiles[self.name] = self.definition

    class MappingAdded(LedgerAggregate.Event):
        """A finance code (AP number or operation code) now means a project."""

        source: str
        project: str

        def apply(self, agg: FinanceSettings) -> None:
            agg.mappings[self.source] = self.project

    class MappingRemoved(LedgerAggregate.Event):
        source: str

        def apply(self, agg: FinanceSettings) -> None:
            agg.mappings.pop(self.source, None)

    @classmethod
    def open(cls) -> FinanceSettings:
        return cls._create(cls.Opened, id=cls.ID)

    def save_profile(self, raw: Any) -> Profile:
        require("enregistrer un profil d'import", Role.FINANCE, Role.ADMIN)
        profile = parse_profile(raw)
        self.trigger_event(
            self.ProfileSaved, name=profile.name, definition=profile.definition()
        )
        return profile

    def add_mapping(self, source: Any, project: str) -> None:
        require("associer un code financier à un projet", Role.FINANCE, Role.ADMIN)
        src = code(source, "source")
        self.trigger_event(self.MappingAdded, source=src, project=project)

    def remove_mapping(self, source: Any) -> None:
        require("retirer une association de code financier", Role.FINANCE, Role.ADMIN)
        src = code(source, "source")
        if src not in self.mappings:
            raise NotFound(kind="Association de code financier", id=src)
        self.trigger_event(self.MappingRemoved, source=src)
