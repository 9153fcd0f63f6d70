"""M57 imputation (chapter, nature, fonction, operation) and its nomenclature.

The nomenclature shipped in ``domain/data/m57.json`` is a documented subset of the M57
chart of accounts (its source and version are in the file and in ``docs/m57.md``). A
malformed code is refused naming its field; a well-formed code outside the subset is
accepted with a warning that is recorded on the event, so it is never silent.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from domain.errors import InvalidValue

NOMENCLATURE = Path(__file__).with_name("data") / "m57.json"

# Shapes of the codes, as a finance software writes them: ASCII digits only (``\d``
# would take "２０" or "٢٠", look-alikes of a chapter that no account has).
SHAPES = {
    "chapter": (re.compile(r"^[0-9]{2,3}\Z"), "chapitre M57 : 2 ou 3 chiffres"),
    "nature": (re.compile(r"^[0-9]{3,7}\Z"), "article M57 : 3 à 7 chiffres"),
    "fonction": (re.compile(r"^[0-9]{1,5}\Z"), "fonction M57 : 1 à 5 chiffres"),
    "operation": (
        re.compile(r"^[0-9A-Z]{1,10}\Z"),
        "opération : 1 à 10 chiffres ou lettres majuscules",
    ),
}
FIELDS = tuple(SHAPES)


@dataclass(frozen=True)
class Nomenclature:
    """The shipped subset: chapters (with their section), natures and fonctions."""

    source: str
    version: str
    chapters: dict[str, dict[str, str]]
    natures: dict[str, str]
    fonctions: dict[str, str]

    def label(self, field: str, value: str) -> str | None:
        """The label of a known code, ``None`` when outside the subset."""
        if field == "chapter":
            entry = self.chapters.get(value)
            return entry["label"] if entry else None
        if field == "nature":
            return self.natures.get(value)
        if field == "fonction":
            return self.fonctions.get(value)
        return None


@cache
def nomenclature() -> Nomenclature:
    """The shipped M57 subset, read once."""
    data = json.loads(NOMENCLATURE.read_text(encoding="utf-8"))
    return Nomenclature(
        source=data["source"],
        version=data["version"],
        chapters=data["chapters"],
        natures=data["natures"],
        fonctions=data["fonctions"],
    )


def _code(value: Any, field: str, prefix: str) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise InvalidValue(f"{prefix}{field}", value, SHAPES[field][1])
    value = value.strip()
    pattern, rule = SHAPES[field]
    if not pattern.match(value):
        raise InvalidValue(f"{prefix}{field}", value[:40], rule)
    return value


@dataclass(frozen=True)
class Imputation:
    """An M57 imputation; ``warnings`` name the codes outside the shipped subset."""

    chapter: str
    nature: str
    fonction: str | None = None
    operation: str | None = None
    warnings: tuple[str, ...] = ()

    def as_event(self) -> dict[str, Any]:
        return {
            "chapter": self.chapter,
            "nature": self.nature,
            "fonction": self.fonction,
            "operation": self.operation,
            "warnings": list(self.warnings),
        }


def parse(value: Any, section: str | None = None, prefix: str = "") -> Imputation:
    """Validate an imputation (a mapping of the four fields); chapter and nature are
    required. ``section`` (``investissement``/``fonctionnement``), when given, is checked
    against the chapter's section: a mismatch is a warning, as is any unknown code."""
    if not isinstance(value, dict):
        raise InvalidValue(prefix.rstrip(".") or "imputation", value, "objet attendu")
    unknown = set(value) - set(FIELDS)
    if unknown:
        raise InvalidValue(
            f"{prefix}{sorted(unknown)[0]}", sorted(unknown), "champ inconnu"
        )
    codes = {f: _code(value.get(f), f, prefix) for f in FIELDS}
    for required in ("chapter", "nature"):
        if codes[required] is None:
            raise InvalidValue(f"{prefix}{required}", "", "obligatoire")
    warnings = check(codes, section)
    return Imputation(
        chapter=str(codes["chapter"]),
        nature=str(codes["nature"]),
        fonction=codes["fonction"],
        operation=codes["operation"],
        warnings=tuple(warnings),
    )


WHAT = {"chapter": "chapitre", "nature": "article", "fonction": "fonction"}


def check(codes: dict[str, str | None], section: str | None) -> list[str]:
    """The warnings of well-formed codes: outside the subset, or the wrong section."""
    n = nomenclature()
    out = []
    for field in ("chapter", "nature", "fonction"):
        value = codes.get(field)
        if value is not None and n.label(field, value) is None:
            out.append(
                f"{WHAT[field]} {value} hors de la nomenclature M57 livrée "
                f"({n.version})"
            )
    chapter = n.chapters.get(codes.get("chapter") or "")
    if chapter and section and chapter["section"] != section:
        out.append(f"chapitre {codes['chapter']} de la section {chapter['section']}")
    return out
