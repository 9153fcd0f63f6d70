"""Round-trips of every shipped finance import profile with generated files: any valid
file imports exactly its lines; any invalid line refuses the whole file."""

from __future__ import annotations

import csv
import io
import itertools
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from domain.budget import ProjectBudget
from domain.errors import InvalidValue
from domain.finance_import import ENGAGEMENT, MANDAT, Profile, parse_profile
from domain.values import Origin
from ledger.app import Ledger
from ledger.core import Caller
from setupfile.finance_file import parse_file, run_import, shipped_profiles
from tests.domain.builders import YEAR, Town

PROFILES = shipped_profiles()
FIN = Caller(actor="fin", origin=Origin.IMPORT, reason="import financier")
COUNTER = itertools.count()

amounts = st.decimals(
    min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2
).map(lambda d: d.quantize(Decimal("0.01")))


def row_of(profile: Profile, kind: str, number: str, amount: Decimal) -> dict[str, str]:
    """A valid line as the profile's file holds it."""
    dec = format(amount, "f").replace(".", profile.decimal)
    day = f"03/04/{YEAR}" if profile.date_format == "%d/%m/%Y" else f"{YEAR}-04-03"
    values = {
        "type": next(
            k for k, v in (profile.kind_values or {kind: kind}).items() if v == kind
        ),
        "exercice": str(YEAR),
        "budget": "principal",
        "section": "I",
        "sens": "réel",
        "chapitre": "20",
        "nature": "2051",
        "fonction": "020",
        "operation": "P1",
        "ap": "",
        "engagement": f"EJ{number}",
        "ligne_engagement": "1",
        "exercice_engagement": "",
        "bordereau": f"B{number}",
        "piece": f"M{number}",
        "ligne": "1",
        "date": day,
        "montant": dec,
        "tiers": 'Société =Test; "guillemets"',
    }
    return {profile.columns[f]: v for f, v in values.items() if f in profile.columns}


def file_of(profile: Profile, rows: list[dict[str, str]], fmt: str) -> bytes:
    header = list(profile.columns.values())
    if fmt == "xlsx":
        wb = Workbook()
        ws = wb.active
        ws.append(header)
        for r in rows:
            ws.append([r[h] for h in header])
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=profile.delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for r in rows:
        writer.writerow([r[h] for h in header])
    return ("\ufeff" + buf.getvalue()).encode()


def kinds(profile: Profile) -> tuple[str, ...]:
    return (profile.kind,) if profile.kind else (ENGAGEMENT, MANDAT)


@pytest.mark.parametrize("name", sorted(PROFILES))
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_any_valid_file_parses_to_exactly_its_lines(
    name: str, fmt: str, data: st.DataObject
) -> None:
    profile = PROFILES[name]
    specs = data.draw(
        st.lists(st.tuples(st.sampled_from(kinds(profile)), amounts), max_size=8)
    )
    rows = [row_of(profile, k, str(i), a) for i, (k, a) in enumerate(specs)]
    parsed = parse_file(file_of(profile, rows, fmt), f"f.{fmt}", profile)
    assert parsed.errors == []
    assert [(ln.number, ln.kind, ln.amount) for ln in parsed.lines] == [
        (i + 2, k, a) for i, (k, a) in enumerate(specs)
    ]
    # an engagement's M57 codes, when its profile maps them, are read and checked
    mapped = {"chapitre", "nature"} <= set(profile.columns)
    imputation = {
        "chapter": "20",
        "nature": "2051",
        "fonction": None,
        "operation": None,
    }
    if "fonction" in profile.columns:
        imputation["fonction"] = "020"
    if "operation" in profile.columns:
        imputation["operation"] = "P1"
    assert [ln.m57 for ln in parsed.lines] == [
        imputation if mapped and k == ENGAGEMENT else None for k, _ in specs
    ]


@pytest.mark.parametrize("name", sorted(PROFILES))
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_any_invalid_line_refuses_the_whole_file(
    name: str, data: st.DataObject
) -> None:
    profile = PROFILES[name]
    specs = data.draw(
        st.lists(st.tuples(st.sampled_from(kinds(profile)), amounts), min_size=1)
    )
    rows = [row_of(profile, k, str(i), a) for i, (k, a) in enumerate(specs)]
    bad = data.draw(st.integers(0, len(rows) - 1))
    fld = data.draw(st.sampled_from(["exercice", "section", "date", "montant"]))
    rows[bad][profile.columns[fld]] = data.draw(st.sampled_from(["", "x?", "-1"]))
    parsed = parse_file(file_of(profile, rows, "csv"), "f.csv", profile)
    assert parsed.lines == []
    assert any(
        e.startswith(f"ligne {bad + 2}, colonne « {profile.columns[fld]} »")
        for e in parsed.errors
    )


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(specs=st.lists(st.tuples(amounts, st.lists(amounts, max_size=2)), max_size=4))
def test_a_valid_generic_file_imports_exactly_its_lines(
    ledger: Ledger, specs: list[tuple[Decimal, list[Decimal]]]
) -> None:
    if ledger.load(ProjectBudget, ProjectBudget.id_for("P1")) is None:
        Town(ledger).approved_budget("P1", "100000.00")
    profile = PROFILES["generique"]
    rows: list[dict[str, Any]] = []
    expected = {}
    for amount, payments in specs:
        n = str(next(COUNTER))
        rows.append(row_of(profile, ENGAGEMENT, n, amount))
        for j, paid in enumerate(payments):
            row = row_of(profile, MANDAT, f"{n}x{j}", paid)
            row["engagement"] = f"EJ{n}"
            rows.append(row)
        expected[f"E-{YEAR}-EJ{n}-1"] = (amount, sum(payments, Decimal("0.00")))
    data = file_of(profile, rows, "csv")
    run_import(ledger, data, "f.csv", "generique", FIN, dry_run=False)
    budget = ledger.load(ProjectBudget, ProjectBudget.id_for("P1"))
    assert budget is not None
    got = {
        k: (c["amount"], c["paid"])
        for k, c in budget.commitments.items()
        if k in expected
    }
    assert got == expected
    head = ledger.head()
    again = run_import(ledger, data, "f.csv", "generique", FIN, dry_run=False)
    assert (again.written, ledger.head()) == (False, head)


def test_a_saved_profile_is_validated_and_used(ledger: Ledger) -> None:
    Town(ledger)
    with pytest.raises(InvalidValue) as err:
        ledger.save_finance_profile(FIN, {"name": "x", "columns": {"exercice": "A"}})
    assert err.value.field == "columns"
    mine = {**_definition(PROFILES["generique"]), "name": "maison", "delimiter": ","}
    ledger.save_finance_profile(FIN, mine)
    settings_ = ledger.finance_settings()
    assert settings_ is not None
    assert parse_profile(__import__("json").loads(settings_.profiles["maison"])) == (
        parse_profile(mine)
    )


def _definition(profile: Profile) -> dict[str, Any]:
    import json

    return dict(json.loads(profile.definition()))
