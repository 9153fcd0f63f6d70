"""Reading a finance software export (CSV or XLSX) through a profile.

Every error is named by line and column, in French; a file with any error gives no
line at all (it is refused whole).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from typing import Any
from uuid import uuid4
from xml.etree.ElementTree import ParseError

from openpyxl.utils.exceptions import InvalidFileException

from domain import m57
from domain.errors import DomainError, InvalidValue
from domain.finance_import import (
    ENGAGEMENT,
    MANDAT,
    OPTIONAL_FIELDS,
    Profile,
    SourceLine,
    key_part,
    parse_profile,
)
from domain.values import MAX_AMOUNT, Section, code, text
from setupfile.finance_rows import UnreadableFile, read_rows

SECTIONS = {"I": Section.INVESTMENT, "F": Section.OPERATING}


class ProfileNotFound(Exception):
    """No shipped or saved profile of that name."""


def shipped_profiles() -> dict[str, Profile]:
    """The profiles shipped in the package."""
    out = {}
    folder = resources.files("setupfile") / "finance_profiles"
    for entry in folder.iterdir():
        if entry.name.endswith(".json"):
            profile = parse_profile(json.loads(entry.read_text(encoding="utf-8")))
            out[profile.name] = profile
    return out


def find_profile(name: str, saved: dict[str, str] | None = None) -> Profile:
    """A saved profile (ledger) or else a shipped one."""
    if saved and name in saved:
        return parse_profile(json.loads(saved[name]))
    shipped = shipped_profiles()
    if name not in shipped:
        known = sorted({*shipped, *(saved or {})})
        raise ProfileNotFound(f"profil inconnu : {name} (profils : {', '.join(known)})")
    return shipped[name]


def profile_list(ledger: Any) -> list[dict[str, Any]]:
    """The shipped and saved profiles by name: each with its ``origin``
    (``shipped``, ``saved``, or ``replaces_shipped`` for a saved one that takes the
    place of the shipped profile of its name) and its definition."""
    settings = ledger.finance_settings()
    saved = settings.profiles if settings else {}
    shipped = shipped_profiles()
    out = []
    for name in sorted({*shipped, *saved}):
        profile = find_profile(name, saved)
        origin = (
            "shipped"
            if name not in saved
            else "replaces_shipped"
            if name in shipped
            else "saved"
        )
        definition = json.loads(profile.definition())
        out.append(
            {
                "name": name,
                "label": profile.label,
                "origin": origin,
                "definition": definition,
            }
        )
    return out


def mapping_list(ledger: Any) -> list[dict[str, str]]:
    """The finance codes mapped to projects, by code."""
    settings = ledger.finance_settings()
    mappings = settings.mappings if settings else {}
    return [{"source": k, "project": mappings[k]} for k in sorted(mappings)]


@dataclass
class ParsedFile:
    """The valid lines of a file, or its errors (never both)."""

    sha256: str
    lines: list[SourceLine] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_file(
    data: bytes, file_name: str, profile: Profile, today: date | None = None
) -> ParsedFile:
    """Check every line of ``data`` against ``profile`` (and, given ``today``, that
    no line is dated after it): every rule the recording of a line would enforce on
    its own values is checked here, so a file that passes is not refused half way."""
    parsed = ParsedFile(hashlib.sha256(data).hexdigest())
    try:
        rows = read_rows(data, profile, file_name)
    except UnreadableFile as exc:
        parsed.errors.append(f"fichier illisible : {exc}")
        return parsed
    except (
        csv.Error,
        OSError,
        ValueError,
        KeyError,
        IndexError,
        TypeError,
        zipfile.BadZipFile,
        InvalidFileException,
        ParseError,  # a damaged sheet's XML (a SyntaxError, none of the above)
    ) as exc:
        parsed.errors.append(
            f"fichier illisible : CSV ou XLSX attendu ({type(exc).__name__} : {exc})"
        )
        return parsed
    if not rows:
        parsed.errors.append("fichier vide : une ligne d'en-têtes est attendue")
        return parsed
    header = [h.strip() for h in rows[0]]
    where: dict[str, int] = {}
    for fld, col in profile.columns.items():
        if col not in header:
            parsed.errors.append(f"ligne 1 : colonne « {col} » ({fld}) absente")
        else:
            where[fld] = header.index(col)
    if parsed.errors:
        return parsed
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], 2):
        if not any(c.strip() for c in row):
            continue
        line = _line(number, row, where, profile, parsed.errors, today)
        if line is None:
            continue
        if line.key in seen:
            parsed.errors.append(
                f"ligne {number} : clé {line.key} déjà présente ligne {seen[line.key]}"
            )
        seen.setdefault(line.key, number)
        parsed.lines.append(line)
    if parsed.errors:
        parsed.lines = []
    return parsed


def _line(
    number: int,
    row: list[str],
    where: dict[str, int],
    profile: Profile,
    errors: list[str],
    today: date | None,
) -> SourceLine | None:
    count = len(errors)

    def cell(fld: str) -> str:
        i = where.get(fld)
        return row[i].strip() if i is not None and i < len(row) else ""

    def bad(fld: str, reason: str) -> None:
        errors.append(
            f"ligne {number}, colonne « {profile.columns.get(fld, fld)} » : {reason}"
            f" (valeur : « {cell(fld)} »)"
        )

    kind = profile.kind
    if kind is None:
        kind = (profile.kind_values or {}).get(cell("type"))
        if kind is None:
            bad("type", "type inconnu")
    exercice = _year(cell("exercice"))
    if not exercice:
        bad("exercice", "année attendue (2000 à 2100)")
    section_code = (profile.section_values or {"I": "I", "F": "F"}).get(cell("section"))
    if section_code is None:
        bad("section", "section inconnue (I ou F)")
    try:
        on = datetime.strptime(cell("date"), profile.date_format).date()
        if exercice and on.year != exercice and kind == ENGAGEMENT:
            bad("date", f"date hors de l'exercice {exercice}")
        elif today is not None and on > today:
            bad("date", f"date postérieure au jour de l'import ({today:%d/%m/%Y})")
    except ValueError:
        on = date.min
        bad("date", f"date attendue au format {profile.date_format}")
    amount = Decimal(0)
    amount, reason = _amount(cell("montant"), profile.decimal)
    if reason:
        bad("montant", reason)
    parts: dict[str, str] = {}
    needed = {
        ENGAGEMENT: ("engagement", "ligne"),
        MANDAT: ("engagement", "bordereau", "piece", "ligne"),
    }.get(kind or "", ())
    for fld in needed:
        if fld not in where:
            errors.append(f"ligne {number} : le profil n'indique pas la colonne {fld}")
            continue
        try:
            parts[fld] = key_part(cell(fld), fld)
        except DomainError:
            bad(fld, "1 à 12 caractères : lettres, chiffres, _ .")
    ligne_engagement = cell("ligne_engagement") or "1"
    if kind == MANDAT and "ligne_engagement" in where:
        try:
            key_part(ligne_engagement, "ligne_engagement")
        except DomainError:
            bad("ligne_engagement", "1 à 12 caractères : lettres, chiffres, _ .")
    ex_eng = 0
    if cell("exercice_engagement"):
        ex_eng = _year(cell("exercice_engagement"))
        if not ex_eng:
            bad("exercice_engagement", "année attendue (2000 à 2100)")
    tiers = cell("tiers")[:200]
    try:
        text(tiers, "tiers", max_len=200, required=False)
    except InvalidValue as exc:
        bad("tiers", str(exc.params.get("reason", exc)))
    if not cell("ap") and not cell("operation"):
        errors.append(
            f"ligne {number} : ni numéro d'AP ni opération pour rattacher la ligne"
        )
    m57_codes, m57_warnings = None, ()
    if kind == ENGAGEMENT and section_code is not None:
        m57_codes, m57_warnings = _m57(cell, bad, SECTIONS[section_code].value)
    if len(errors) > count or kind is None or section_code is None:
        return None
    line = SourceLine(
        number=number,
        kind=kind,
        exercice=exercice,
        section=SECTIONS[section_code],
        on=on,
        amount=amount,
        ligne=parts["ligne"],
        engagement=parts.get("engagement", ""),
        ligne_engagement=ligne_engagement,
        exercice_engagement=ex_eng,
        bordereau=parts.get("bordereau", ""),
        piece=parts.get("piece", ""),
        operation=cell("operation"),
        ap=cell("ap"),
        tiers=tiers,
        imputation=tuple(
            cell(f) for f in ("budget", "sens", "chapitre", "nature", "fonction")
        ),
        m57=m57_codes,
        m57_warnings=m57_warnings,
    )
    for ref in (line.key, line.commitment):
        try:
            code(ref, "reference")  # the rule of a recorded reference
        except InvalidValue:
            errors.append(
                f"ligne {number} : clé {ref} trop longue ({len(ref)} caractères, "
                "au plus 40) : bordereau, pièce et lignes trop longs ensemble"
            )
            return None
    return line


_YEAR = re.compile(r"[0-9]{4}", re.ASCII)


# Thousands separators French software writes: space, no-break space, narrow
# no-break space (the French locale's), thin space.
_GROUPING = str.maketrans("", "", " \u00a0\u202f\u2009")
# ASCII digits and one decimal mark: ``Decimal()`` alone would also take "1e3",
# "1_000", "+5", "Infinity" or other scripts' digits ("١٢٣").
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?", re.ASCII)


def _amount(value: str, decimal: str) -> tuple[Decimal, str]:
    """An amount cell as euros, or the reason it is not one."""
    raw = value.translate(_GROUPING)
    if decimal == ",":
        raw = raw.replace(",", ".") if "." not in raw else "x"
    if not _NUMBER.fullmatch(raw):
        return Decimal(0), "montant attendu"
    amount = Decimal(raw)
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        return Decimal(0), "montant positif en euros, au centime"
    if amount > MAX_AMOUNT:
        return Decimal(0), "montant démesuré (au plus 10¹² €)"
    return amount.quantize(Decimal("0.01")), ""


def _year(value: str) -> int:
    """A year from 2000 to 2100 written in ASCII digits, else 0."""
    if not _YEAR.fullmatch(value) or not 2000 <= int(value) <= 2100:
        return 0
    return int(value)


M57_COLUMNS = {"chapter": "chapitre", "nature": "nature", "fonction": "fonction"}


def _m57(
    cell: Callable[[str], str], bad: Callable[[str, str], None], section: str
) -> tuple[dict[str, str | None] | None, tuple[str, ...]]:
    """An engagement line's M57 codes checked by ``domain.m57``: ``None`` when the
    file gives none; a malformed code is an error naming its column. The operation
    column is an M57 operation only when it has that shape (it also names projects)."""
    codes: dict[str, str | None] = {f: cell(c) or None for f, c in M57_COLUMNS.items()}
    if not any(codes.values()):
        return None, ()
    op = cell("operation")
    codes["operation"] = op if m57.SHAPES["operation"][0].match(op) else None
    try:
        imp = m57.parse(codes, section)
    except InvalidValue as exc:
        fld = M57_COLUMNS.get(str(exc.field), "chapitre")
        bad(fld, str(exc.params.get("reason", exc)))
        return None, ()
    event = imp.as_event()
    return {f: event[f] for f in m57.FIELDS}, imp.warnings


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")


def recorded_name(file_name: str) -> str:
    """The file name the import event keeps: control characters replaced and at most
    255 characters (the end kept, with the extension). An uploaded name is the
    browser's: a longer one, or one with a control character, was refused by the
    event after every batch of lines before it was written."""
    name = _UNPRINTABLE.sub("?", file_name).strip() or "?"
    return name if len(name) <= 255 else "…" + name[-254:]


@dataclass
class ImportOutcome:
    """A parsed file, its plan, and whether it was written."""

    parsed: ParsedFile
    plan: Any = None  # ledger.commands.finance_import.ImportPlan
    written: bool = False
    dry_run: bool = True

    def report(self) -> list[str]:
        """The preview, in French: errors, or each line's fate, then the counts."""
        if not self.parsed.ok:
            return [*self.parsed.errors, f"{len(self.parsed.errors)} erreur(s) : "
                    "fichier refusé, rien n'a été écrit"]  # fmt: skip
        labels = {"create": "à créer", "exists": "déjà présente",
                  "conflict": "CONFLIT (même clé, autre montant)",
                  "unmatched": "sans projet (non rattachée)",
                  "no_commitment": "engagement inconnu (non rattachée)"}  # fmt: skip
        out = []
        for line, project, status in self.plan.lines:
            imp = self.plan.imputations.get(line.number)
            if status != "exists" or imp in ("impute", "imputation_conflict"):
                out.append(f"ligne {line.number} {line.key} {line.amount} "
                           f"{project or '-'} : {labels[status]}"
                           + _imputation(line, imp))  # fmt: skip
        n = {s: self.plan.imputation_count(s)
             for s in ("impute", "imputed", "imputation_conflict")}  # fmt: skip
        if any(n.values()):
            out.append(f"imputations M57 : {n['impute']} à enregistrer, "
                       f"{n['imputed']} déjà enregistrées, "
                       f"{n['imputation_conflict']} en conflit")  # fmt: skip
        c = self.plan.counts
        out.append(
            f"{c['create']} à créer, {c['exists']} déjà présentes, "
            f"{c['conflict']} en conflit, {c['unmatched']} sans projet, "
            f"{c['no_commitment']} sans engagement connu"
            + (
                ""
                if self.written
                else " (aperçu : rien n'a été écrit)"
                if self.dry_run
                else " (aucune ligne à enregistrer : rien n'a été écrit)"
            )
        )
        return out


def _imputation(line: SourceLine, status: str | None) -> str:
    """The M57 imputation of a line of the preview, with its warnings."""
    if line.m57 is None or status is None:
        return ""
    codes = "/".join(line.m57[f] or "-" for f in m57.FIELDS)
    fate = {"impute": "à enregistrer", "imputed": "déjà enregistrée",
            "imputation_conflict": "CONFLIT (autre imputation déjà enregistrée, "
            "non modifiée)"}[status]  # fmt: skip
    warn = "".join(f" ; avertissement : {w}" for w in line.m57_warnings)
    return f" ; imputation M57 {codes} : {fate}{warn}"


def run_import(
    ledger: Any,
    data: bytes,
    file_name: str,
    profile_name: str,
    caller: Any,
    *,
    dry_run: bool,
) -> ImportOutcome:
    """Parse, plan and (unless ``dry_run`` or refused) write an import."""
    settings = ledger.finance_settings()
    profile = find_profile(profile_name, settings.profiles if settings else None)
    parsed = parse_file(data, file_name, profile, ledger.clock().date())
    outcome = ImportOutcome(parsed, dry_run=dry_run)
    if not parsed.ok:
        return outcome
    outcome.plan = ledger.plan_finance_import(parsed.lines)
    if outcome.plan.errors or outcome.plan.refused:
        # Lines no command could record (a year outside the plan's execution, no
        # plan) or a budget rule broken by any line refuse the whole file, as a
        # malformed line does: every such line named, nothing written.
        parsed.errors = outcome.plan.errors + [str(e) for e in outcome.plan.refused]
        parsed.lines, outcome.plan = [], None
        return outcome
    todo = outcome.plan.count("create") + outcome.plan.imputation_count("impute")
    if dry_run or not todo:
        return outcome
    key = caller.key or f"finance-import-{parsed.sha256[:16]}-{uuid4().hex[:8]}"
    ledger.import_finance(
        caller, recorded_name(file_name), parsed.sha256, profile.name, outcome.plan, key
    )
    outcome.written = True
    return outcome


__all__ = ["OPTIONAL_FIELDS", "ParsedFile", "find_profile", "parse_file", "run_import"]
