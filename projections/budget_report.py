"""The budget page's report, computed from the budget view's document (the page
only renders it): rows per year and section with the year's subtotal, per pôle or
axis, the lines grouped with their subtotals, AP/CP per project, the envelopes'
totals, the series of the charts, and whether every breakdown adds up."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from projections import queries as q

MONEY = q.MONEY_FIELDS
SECTIONS = ("investissement", "fonctionnement")
ENVELOPE_FIELDS = ("bp", "dm", "total", "allocated", "available")
ZERO = Decimal("0.00")
DETAIL_INLINE = 300  # lines shown without asking


def _zero() -> dict[str, Decimal]:
    return {f: ZERO for f in MONEY}


def _add(into: dict[str, Decimal], row: dict[str, Any]) -> None:
    for f in MONEY:
        into[f] += row[f]


def by_year_section(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Per year: a row per section (with its envelope), then the year's subtotal."""
    envelopes = {(e["year"], e["section"]): e["total"] for e in data["envelopes"]}
    sums = {
        (int(k.split("/")[0]), k.split("/")[1]): v
        for k, v in data["totals"]["year_section"].items()
    }
    out = []
    for y in sorted({y for y, _s in envelopes} | {y for y, _s in sums}):
        subtotal, envelope = _zero(), ZERO
        for section in SECTIONS:
            if (y, section) not in envelopes and (y, section) not in sums:
                continue
            row = {"year": y, "section": section, **sums.get((y, section), _zero())}
            row["envelope"] = envelopes.get((y, section))
            out.append({**row, "kind": "line"})
            _add(subtotal, row)
            envelope += row["envelope"] or ZERO
        out.append({"kind": "subtotal", "year": y, **subtotal, "envelope": envelope})
    return out


def by_key(
    totals: dict[str, dict[str, Decimal]], names: dict[str, str]
) -> list[dict[str, Any]]:
    """One row per pôle (or axis), with its name."""
    return [{"key": k, "name": names.get(k, k), **v} for k, v in sorted(totals.items())]


def reconciled(data: dict[str, Any], *, every_line: bool = True) -> bool:
    """Whether every breakdown adds up, to the cent, to the overall total (and, if
    ``data`` holds every line, the lines too)."""
    total = data["total"]
    for level in ("year_section", "pole", "axis", "direction"):
        sums = _zero()
        for bucket in data["totals"][level].values():
            _add(sums, bucket)
        if sums != total:
            return False
    if not every_line:
        return True
    lines = _zero()
    for line in data["lines"]:
        _add(lines, line)
    return lines == total


def grouped_lines(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The lines, year × section by year × section, each group with its subtotal."""
    out: list[dict[str, Any]] = []
    current: tuple[int, str] | None = None
    for line in data["lines"]:
        key = (line["year"], line["section"])
        if key != current:
            if current is not None:
                out.append(_subtotal(data, current))
            current = key
            out.append({"kind": "group", "year": key[0], "section": key[1]})
        out.append({**line, "kind": "line"})
    if current is not None:
        out.append(_subtotal(data, current))
    return out


def _subtotal(data: dict[str, Any], key: tuple[int, str]) -> dict[str, Any]:
    sums = data["totals"]["year_section"][f"{key[0]}/{key[1]}"]
    return {"kind": "subtotal", "year": key[0], "section": key[1], **sums}


def projects(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """AP/CP per project: AP voted and current, CP, committed, paid, overrides."""
    out: dict[str, dict[str, Any]] = {}
    for line in lines:
        p = out.get(line["proposal"])
        if p is None:
            p = out[line["proposal"]] = {
                "proposal": line["proposal"],
                "title": line["title"],
                "status": line["status"],
                "pole": line["pole"],
                "direction": line["direction"],
                "ap_voted": line["ap_voted"],
                "ap_current": line["ap_current"],
                "overrides": set(),
                **_zero(),
            }
        _add(p, line)
        for kind in ("allocation", "commitment", "payment"):
            if line[f"override_{kind}"]:
                p["overrides"].add(kind)
    return sorted(out.values(), key=lambda p: p["proposal"])


def envelope_totals(data: dict[str, Any]) -> dict[str, Decimal]:
    """The envelopes' amounts added up (BP, DM, total, allocated, available)."""
    return {k: sum((e[k] for e in data["envelopes"]), ZERO) for k in ENVELOPE_FIELDS}


def year_series(data: dict[str, Any], section: str) -> list[tuple[int, list[Decimal]]]:
    """Per year of one section, in order: [envelope, allocated, committed, paid]."""
    years: dict[int, list[Decimal]] = {}
    for e in data["envelopes"]:
        if e["section"] == section:
            years[e["year"]] = [e["total"], e["allocated"], ZERO, ZERO]
    for key, sums in data["totals"]["year_section"].items():
        y, sct = key.split("/")
        if sct == section:
            row = years.setdefault(int(y), [ZERO, ZERO, ZERO, ZERO])
            row[2], row[3] = sums["committed"], sums["paid"]
    return [(y, years[y]) for y in sorted(years)]
