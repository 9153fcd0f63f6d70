"""M57 columns of the budget export and the AP/CP annex (XLSX and PDF), to the cent."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import frictionless
import openpyxl

from exports.apcp_annex import TITLE, TOTAL, columns
from exports.open_tables import shipped_schema
from exports.rows import BUDGET_COLUMNS, LINE
from projections import queries as q
from projections import reference_queries as rq
from tests.exports.conftest import INJECTED_CODE, DemoEnv, fr_money, pdf_lines

INDEX = {c.key: i for i, c in enumerate(BUDGET_COLUMNS)}


def _cent(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_budget_csv_carries_the_m57_imputation_of_each_line(
    demo_env: DemoEnv,
) -> None:
    text = demo_env.render("budget", "csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0][-4:] == [
        "Chapitre M57",
        "Article M57 (nature)",
        "Fonction M57",
        "Opération",
    ]
    imps = q.imputations(demo_env.read_model.store)
    lines = [r for r in rows[1:] if r[0] == LINE]
    imputed = 0
    for row in lines:
        imp = imps.get(row[INDEX["proposal"]], {}).get(row[INDEX["section"]], {})
        expected = [imp.get(f) or "" for f in ("chapter", "nature", "fonction")]
        assert row[INDEX["chapter"] : INDEX["operation"]] == expected
        assert row[INDEX["operation"]] == (imp.get("operation") or "")
        imputed += bool(imp)
    assert imputed > 50
    investment = [r for r in lines if r[INDEX["section"]] == "investissement"]
    # unimputed: the injected line, and the territory's shared project (approved in
    # its own COPIL after the demo's imputations were set: sdsi/demo/entities.py)
    unimputed = {INJECTED_CODE, "PORTAIL-TERR"}
    assert {
        r[INDEX["proposal"]] for r in investment if not r[INDEX["chapter"]]
    } == unimputed
    assert {r[INDEX["chapter"]] for r in investment} == {"20", "21", "23", ""}
    assert all(
        r[INDEX["operation"]].isdigit()
        for r in investment
        if r[INDEX["proposal"]] not in unimputed
    )


def test_the_demo_shows_one_recorded_warning(demo_env: DemoEnv) -> None:
    imps = q.imputations(demo_env.read_model.store)
    warned = [
        (code, target, imp["warnings"])
        for code, targets in imps.items()
        for target, imp in targets.items()
        if imp["warnings"]
    ]
    assert len(warned) == 1
    _code, target, warnings = warned[0]
    assert target.startswith("engagement:")
    assert warnings[0].startswith("article 6288 hors de la nomenclature M57")


def test_apcp_annex_xlsx_equals_the_budget_view_to_the_cent(
    demo_env: DemoEnv,
) -> None:
    annex = q.apcp_annex(demo_env.read_model.store)
    wb = openpyxl.load_workbook(io.BytesIO(demo_env.render("apcp", "xlsx")))
    ws = wb.worksheets[0]
    values = list(ws.iter_rows(values_only=True))
    cols = columns(annex["years"])
    assert list(values[0]) == [c.header for c in cols]
    body = values[1:]
    assert len(body) == len(annex["rows"]) + 1
    for row, ap in zip(body, annex["rows"], strict=False):
        assert row[0] == ap["proposal"]
        assert _cent(row[5]) == ap["ap_voted"]
        assert _cent(row[7]) == ap["ap_revised"]
        for i, y in enumerate(annex["years"]):
            cell = row[8 + i]
            assert (None if cell is None else _cent(cell)) == ap["cp"].get(y)
        assert _cent(row[-2]) == ap["paid"]
        assert _cent(row[-1]) == ap["remaining"] == ap["ap_revised"] - ap["paid"]
    total = body[-1]
    assert total[0] == TOTAL
    t = annex["total"]
    assert _cent(total[5]) == t["ap_voted"] == sum(r["ap_voted"] for r in annex["rows"])
    assert _cent(total[-2]) == t["paid"]
    assert _cent(total[-1]) == t["remaining"]
    # The annex's paid total is the ledger's: every payment of every project.
    consumption = q.budget_consumption(demo_env.read_model.store)
    assert t["paid"] >= consumption["total"]["paid"] > 0


def test_apcp_annex_pdf_prints_each_ap_and_the_total(demo_env: DemoEnv) -> None:
    annex = q.apcp_annex(demo_env.read_model.store)
    content = demo_env.render("apcp", "pdf")
    assert content.startswith(b"%PDF-")
    text = "\n".join(pdf_lines(content, "", TITLE))
    for ap in annex["rows"]:
        assert ap["proposal"] in text
        for amount in (ap["ap_revised"], ap["paid"], ap["remaining"]):
            assert fr_money(amount) in text, (ap["proposal"], amount)
        for amount in ap["cp"].values():
            assert fr_money(amount) in text, (ap["proposal"], amount)
    t = annex["total"]
    for amount in (t["ap_voted"], t["paid"], t["remaining"], *t["cp"].values()):
        assert fr_money(amount) in text


SCDL_BUDGET_FIELDS = [
    "BGT_NATDEC",
    "BGT_ANNEE",
    "BGT_SIRET",
    "BGT_NOM",
    "BGT_CONTNAT",
    "BGT_CONTNAT_LABEL",
    "BGT_NATURE",
    "BGT_NATURE_LABEL",
    "BGT_FONCTION",
    "BGT_FONCTION_LABEL",
    "BGT_OPERATION",
    "BGT_SECTION",
    "BGT_OPBUDG",
    "BGT_CODRD",
    "BGT_MTREAL",
    "BGT_MTBUDGPREC",
    "BGT_MTRARPREC",
    "BGT_MTPROPNOUV",
    "BGT_MTPREV",
    "BGT_CREDOUV",
    "BGT_MTRAR3112",
    "BGT_ARTSPE",
]


def test_the_pinned_scdl_budget_schema_has_the_national_fields_in_order() -> None:
    schema = shipped_schema("budget-scdl")
    assert [f["name"] for f in schema["fields"]] == SCDL_BUDGET_FIELDS
    assert schema["version"] == "0.8.1"
    assert schema["path"] == "https://schema.data.gouv.fr/scdl/budget/0.8.1/"
    required = [f["name"] for f in schema["fields"] if f["constraints"]["required"]]
    assert required == SCDL_BUDGET_FIELDS[:8] + SCDL_BUDGET_FIELDS[11:14]
    types = {f["name"]: f["type"] for f in schema["fields"]}
    assert types["BGT_ANNEE"] == "year"
    assert {types[k] for k in SCDL_BUDGET_FIELDS[14:21]} == {"number"}


def test_scdl_budget_of_the_demo_is_valid_and_exact(
    demo_env: DemoEnv, tmp_path: Path
) -> None:
    data = demo_env.render("opendata-budget-scdl", "csv")
    path = tmp_path / "budget-scdl.csv"
    path.write_bytes(data)
    schema = frictionless.Schema.from_descriptor(shipped_schema("budget-scdl"))
    report = frictionless.validate(
        frictionless.Resource(path=path.name, basepath=str(tmp_path), schema=schema)
    )
    assert report.valid, report.flatten(["rowNumber", "message"])[:5]
    assert report.stats["errors"] == 0
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
    store = demo_env.read_model.store
    imps = q.imputations(store)
    lines = [
        ln
        for ln in q.budget_lines(store)
        if imps.get(ln["proposal"], {}).get(ln["section"])
    ]
    assert len(rows) == len(lines) > 50
    siret = rq.municipality(store)["siret"]
    for row, ln in zip(rows, lines, strict=True):
        imp = imps[ln["proposal"]][ln["section"]]
        assert row["BGT_SIRET"] == siret
        assert (row["BGT_ANNEE"], row["BGT_SECTION"]) == (
            str(ln["year"]),
            ln["section"],
        )
        assert (row["BGT_CONTNAT"], row["BGT_NATURE"]) == (
            imp["nature"],
            imp["chapter"],
        )
        assert row["BGT_FONCTION"] == (imp["fonction"] or "")
        assert row["BGT_OPERATION"] == (imp["operation"] or "")
        assert Decimal(row["BGT_MTPREV"]) == Decimal(row["BGT_CREDOUV"]) == ln["cp"]
        assert Decimal(row["BGT_MTREAL"]) == ln["paid"]
        assert (row["BGT_NATDEC"], row["BGT_OPBUDG"], row["BGT_CODRD"]) == (
            "budget primitif",
            "réel",
            "dépense",
        )
    first = next(r for r in rows if r["BGT_CONTNAT"] == "2183")
    assert first["BGT_CONTNAT_LABEL"] == "Matériel de bureau et matériel informatique"
    assert first["BGT_NATURE_LABEL"] == "Immobilisations corporelles"


def test_sdsi_export_writes_the_apcp_annex(demo_env: DemoEnv, tmp_path: Path) -> None:
    from tests.exports.test_registry_and_cli import _cli

    target = tmp_path / "apcp.pdf"
    code, out = _cli(demo_env, "apcp", "--format", "pdf", "-o", str(target))
    assert code == 0, out
    assert target.read_bytes() == demo_env.render("apcp", "pdf")
    code, out = _cli(demo_env, "apcp", "--format", "csv")
    assert code == 2 and "ne propose pas le format 'csv'" in out


def _fr(value: str) -> Decimal:
    return Decimal(value.replace("\u202f", "").replace(" ", "").replace(",", "."))


def test_budget_export_apcp_annex_and_scdl_dataset_agree_to_the_cent(
    demo_env: DemoEnv,
) -> None:
    """The three finance outputs, each read back from its file: the budget export's
    lines summed per AP equal the annex's CP per year, AP and paid; the SCDL rows'
    CP and paid equal those of the imputed budget lines (and the annex's total)."""
    text = demo_env.render("budget", "csv").decode("utf-8-sig")
    lines = [
        r
        for r in csv.reader(io.StringIO(text, newline=""), delimiter=";")
        if r[0] == LINE
    ]
    cp: dict[tuple[str, int], Decimal] = {}
    paid: dict[str, Decimal] = {}
    ap: dict[str, Decimal] = {}
    for r in lines:
        code, year = r[INDEX["proposal"]], int(r[INDEX["year"]])
        cp[code, year] = cp.get((code, year), Decimal(0)) + _fr(r[INDEX["cp"]])
        paid[code] = paid.get(code, Decimal(0)) + _fr(r[INDEX["paid"]])
        ap[code] = _fr(r[INDEX["ap_current"]])
    ws = openpyxl.load_workbook(io.BytesIO(demo_env.render("apcp", "xlsx"))).active
    header, *body, total = list(ws.iter_rows(values_only=True))
    years = {i: int(h[3:]) for i, h in enumerate(header) if h.startswith("CP ")}
    assert {row[0] for row in body} == set(ap)
    for row in body:
        code = row[0]
        assert _cent(row[7]) == ap[code], code
        assert _cent(row[-2]) == paid[code], code
        for i, y in years.items():
            assert _cent(row[i] or 0) == cp.get((code, y), Decimal(0)), (code, y)
    assert _cent(total[-2]) == sum(paid.values())
    assert sum(_cent(total[i]) for i in years) == sum(cp.values())
    scdl = list(
        csv.DictReader(
            io.StringIO(demo_env.render("opendata-budget-scdl", "csv").decode("utf-8"))
        )
    )
    imputed = [r for r in lines if r[INDEX["chapter"]]]
    assert len(scdl) == len(imputed) > 50
    assert sum(Decimal(r["BGT_MTPREV"]) for r in scdl) == sum(
        _fr(r[INDEX["cp"]]) for r in imputed
    )
    assert sum(Decimal(r["BGT_MTREAL"]) for r in scdl) == sum(
        _fr(r[INDEX["paid"]]) for r in imputed
    )


def test_the_demo_s_annex_reads_by_entity_and_adds_up_to_the_consolidated(
    demo_env: DemoEnv,
) -> None:
    """The territory's demo: PORTAIL-TERR (120 000 € in 2026, shared 45 / 20 / 35 %)
    in each entity's annex; the consolidated annex's recap, read back, sums to its
    total line to the cent."""
    consolidated = demo_env.render("apcp", "xlsx")
    book = openpyxl.load_workbook(io.BytesIO(consolidated))
    annex_header, *_aps, total = list(book.worksheets[0].iter_rows(values_only=True))
    header, *recap = list(book["AP-CP par entité"].iter_rows(values_only=True))
    by = {r[0]: r for r in recap}
    assert list(by) == ["principale", "CALA", "CCAS-SAL", "Consolidé"]
    assert header[3:5] == ("AP votée", "AP révisée")
    entities = ("principale", "CALA", "CCAS-SAL")
    for col in range(3, len(header)):
        assert sum(_cent(by[e][col]) for e in entities) == _cent(by["Consolidé"][col])
    assert _cent(by["Consolidé"][3]) == _cent(total[5])  # AP voted
    assert _cent(by["Consolidé"][-2]) == _cent(total[-2])  # paid
    assert _cent(by["Consolidé"][-1]) == _cent(total[-1])  # remaining
    years = [h for h in header if h.startswith("CP ")]
    for h in years:
        assert _cent(by["Consolidé"][header.index(h)]) == _cent(
            total[annex_header.index(h)] or 0
        ), h
    for code, share in (
        ("principale", "54000"),
        ("CCAS-SAL", "24000"),
        ("CALA", "42000"),
    ):
        rows = list(
            openpyxl.load_workbook(
                io.BytesIO(demo_env.render("apcp", "xlsx", entity=code))
            )
            .worksheets[0]
            .iter_rows(values_only=True)
        )
        portal = next(r for r in rows if r[0] == "PORTAIL-TERR")
        assert (_cent(portal[5]), _cent(portal[7])) == (Decimal(share), Decimal(share))
        cp_2026 = rows[0].index("CP 2026")
        assert _cent(portal[cp_2026]) == Decimal(share)
        assert _cent(rows[-1][5]) == _cent(by[code][3]), code
