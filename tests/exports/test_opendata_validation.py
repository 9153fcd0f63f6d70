"""Every open-data dataset, from the demo and from an empty ledger, validates against
its shipped Table Schema with frictionless; the SCDL deliberations follow the pinned
national schema; no e-mail, no evaluator, no individual score is published."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import frictionless
import pytest
from hypothesis import given
from hypothesis import strategies as st

from exports.base import ExportRequest, ExportSource
from exports.open_tables import SCHEMAS, MissingSiret, budget_years, shipped_schema
from exports.opendata import DATASETS, PINNED, schema_bytes, table_for
from exports.registry import exporter
from exports.rows import Names
from ledger.app import Ledger
from ledger.config import Settings
from projections import queries as q
from projections.service import ReadModel, init_views
from sdsi.demo import data as D
from tests.exports.conftest import DemoEnv

SCDL_FIELDS = [
    "COLL_NOM",
    "COLL_SIRET",
    "DELIB_ID",
    "DELIB_DATE",
    "DELIB_MATIERE_CODE",
    "DELIB_MATIERE_NOM",
    "DELIB_OBJET",
    "BUDGET_ANNEE",
    "BUDGET_NOM",
    "PREF_ID",
    "PREF_DATE",
    "VOTE_EFFECTIF",
    "VOTE_REEL",
    "VOTE_POUR",
    "VOTE_CONTRE",
    "VOTE_ABSTENTION",
    "DELIB_URL",
]


def _valid(tmp: Path, dataset: str, data: bytes) -> frictionless.Report:
    path = tmp / f"{dataset}.csv"
    path.write_bytes(data)
    schema = frictionless.Schema.from_descriptor(shipped_schema(dataset))
    resource = frictionless.Resource(path=path.name, basepath=str(tmp), schema=schema)
    return frictionless.validate(resource)


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def test_the_pinned_scdl_schema_has_the_national_fields_in_order() -> None:
    schema = shipped_schema("deliberations")
    assert [f["name"] for f in schema["fields"]] == SCDL_FIELDS
    assert schema["version"] == "2.1.5"
    assert "schema.data.gouv.fr/scdl/deliberations/2.1.5" in schema["path"]
    required = [f["name"] for f in schema["fields"] if f["constraints"]["required"]]
    assert required == SCDL_FIELDS[:7]
    types = {f["name"]: f["type"] for f in schema["fields"]}
    assert types["DELIB_DATE"] == types["PREF_DATE"] == "date"
    assert {types[k] for k in SCDL_FIELDS[11:16]} == {"integer"}
    assert types["DELIB_URL"] == "string" and schema["fields"][-1]["format"] == "uri"
    for name in DATASETS:
        report = frictionless.Schema.validate_descriptor(shipped_schema(name))
        assert report.valid, (name, report.flatten(["message"]))


def test_every_dataset_of_the_demo_validates_against_its_schema(
    demo_env: DemoEnv, tmp_path: Path
) -> None:
    source = ExportSource(demo_env.read_model)
    snapshot = source.snapshot(None)
    names = Names.read(snapshot.store)
    for dataset in DATASETS:
        if dataset not in PINNED:  # ours: the shipped file is the columns' schema
            table = table_for(dataset, source, snapshot, names)
            expected = schema_bytes(table)
            shipped = SCHEMAS / f"{dataset}.schema.json"
            if os.environ.get("SDSI_WRITE_SCHEMAS") == "1":
                shipped.write_bytes(expected)
            assert shipped.read_bytes() == expected, dataset
        data = demo_env.render(f"opendata-{dataset}", "csv")
        assert data.count(b"\r\n") > 1, dataset  # a header and rows
        report = _valid(tmp_path, dataset, data)
        assert report.valid, (dataset, report.flatten(["rowNumber", "message"])[:5])
        assert report.stats["errors"] == 0
        records = json.loads(demo_env.render(f"opendata-{dataset}", "json"))["data"]
        schema = frictionless.Schema.from_descriptor(shipped_schema(dataset))
        report = frictionless.validate(
            frictionless.Resource(data=records, schema=schema)
        )
        assert report.valid, (dataset, report.flatten(["rowNumber", "message"])[:5])
        assert report.stats["errors"] == 0 and len(records) == len(_rows(data))


def test_a_known_demo_decision_is_an_exact_scdl_row(demo_env: DemoEnv) -> None:
    rows = _rows(demo_env.render("opendata-deliberations", "csv"))
    decisions = q.decision_history(demo_env.read_model.store)
    assert len(rows) == len(decisions)
    assert len({r["DELIB_ID"] for r in rows}) == len(rows)
    assert rows[0] == {  # the demo's first decision, as the national schema wants
        "COLL_NOM": "Ville de Saint-Aubin-sur-Loire",
        "COLL_SIRET": "21450999400015",
        "DELIB_ID": "COPIL-2021-03-18-SALLES",
        "DELIB_DATE": "2021-03-18",
        "DELIB_MATIERE_CODE": "7.1",
        "DELIB_MATIERE_NOM": "finances locales/décisions budgétaires",
        "DELIB_OBJET": "Projet SALLES « Réservation en ligne des salles municipales » "
        "du schéma directeur des systèmes d'information : approuvé",
        "BUDGET_ANNEE": "2022/2023",
        "BUDGET_NOM": "",
        "PREF_ID": "",
        "PREF_DATE": "",
        "VOTE_EFFECTIF": "7",
        "VOTE_REEL": "6",
        "VOTE_POUR": "3",
        "VOTE_CONTRE": "0",
        "VOTE_ABSTENTION": "3",
        "DELIB_URL": "",
    }
    assert (decisions[0]["session"], decisions[0]["proposal"]) == (
        "COPIL-2021-03-18",
        "SALLES",
    )
    (injected,) = [r for r in rows if r["DELIB_ID"] == "COPIL-2026-12-01-INJECT"]
    assert injected == {
        "COLL_NOM": "Ville de Saint-Aubin-sur-Loire",
        "COLL_SIRET": "21450999400015",
        "DELIB_ID": "COPIL-2026-12-01-INJECT",
        "DELIB_DATE": "2026-12-01",
        "DELIB_MATIERE_CODE": "7.1",
        "DELIB_MATIERE_NOM": "finances locales/décisions budgétaires",
        "DELIB_OBJET": 'Projet INJECT « =HYPERLINK("https://example.org";"Cliquer '
        "ici\") » du schéma directeur des systèmes d'information : approuvé",
        "BUDGET_ANNEE": "2026",
        "BUDGET_NOM": "",
        "PREF_ID": "",
        "PREF_DATE": "",
        "VOTE_EFFECTIF": "7",
        "VOTE_REEL": "7",
        "VOTE_POUR": "7",
        "VOTE_CONTRE": "0",
        "VOTE_ABSTENTION": "0",
        "DELIB_URL": "",
    }


def test_without_a_siret_the_deliberations_are_refused_not_invented(
    demo_env: DemoEnv,
) -> None:
    """The demo enters its identifiers last: just before, decisions and no SIRET."""
    head = ExportSource(demo_env.read_model).snapshot(None)
    before = _position_before_municipality(demo_env)
    with pytest.raises(MissingSiret) as refused:
        demo_env.render("opendata-deliberations", "csv", as_of=f"position:{before}")
    assert "SIRET" in str(refused.value) and "inventé" in str(refused.value)
    archive = demo_env.render("opendata", "csv", as_of=f"position:{before}")
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        names = zf.namelist()
    assert "deliberations.csv" not in names and "decisions.csv" in names
    assert head.position > before


def _position_before_municipality(env: DemoEnv) -> int:
    """The last position before the demo's municipality was defined."""
    found = q.audit_trail(env.read_model.store, event_type="Municipality", limit=5)
    (record,) = found["events"]
    return int(record["position"]) - 1


def test_nothing_personal_beyond_officials_in_office(demo_env: DemoEnv) -> None:
    """No account's e-mail, no evaluator (but officials sitting on the COPIL, named
    in office), no score justification in any file, CSV or JSON, nor in a schema."""
    blob = b""
    for fmt in ("csv", "json"):
        with zipfile.ZipFile(io.BytesIO(demo_env.render("opendata", fmt))) as zf:
            assert f"deliberations.{fmt}" in zf.namelist()
            blob += b"\n".join(zf.read(n) for n in zf.namelist())
    blob += b"\n".join(p.read_bytes() for p in SCHEMAS.glob("*.json"))
    text = blob.decode("utf-8")
    store = demo_env.read_model.store
    accounts = q.accounts(store)
    emails = [a["email"] for a in accounts if a.get("email")]
    officials = {n for _, n, roles in D.PEOPLE if {"member", "chair"} & set(roles)}
    evaluators = {n for _, n, roles in D.PEOPLE if "evaluator" in roles} - officials
    assert evaluators and "Lucas Petit" in evaluators
    for secret in [*emails, *evaluators]:
        assert secret not in text, secret
    assert "@" not in text.replace("@SOMME", "")  # the injected rationale aside
    for score in q.proposal(store, "RDV")["score_history"]:
        assert score["justification"] not in text


@pytest.fixture
def empty_env(ledger: Ledger, settings: Settings) -> Iterator[tuple[ReadModel, Ledger]]:
    """A ledger just after ``sdsi init``: an administrator, nothing else."""
    init_views(settings, ledger)
    rm = ReadModel(ledger, settings)
    rm.projector().catch_up()
    yield rm, ledger
    rm.close()


def test_an_empty_ledger_publishes_valid_header_only_files(
    empty_env: tuple[ReadModel, Ledger], tmp_path: Path
) -> None:
    rm, _ = empty_env
    source = ExportSource(rm)
    for dataset in DATASETS:
        data = exporter(f"opendata-{dataset}").render(source, ExportRequest("csv"))
        header = ",".join(f["name"] for f in shipped_schema(dataset)["fields"])
        assert data.content == (header + "\r\n").encode(), dataset
        report = _valid(tmp_path, dataset, data.content)
        assert report.valid and report.stats["errors"] == 0, dataset
        records = json.loads(
            exporter(f"opendata-{dataset}")
            .render(source, ExportRequest("json"))
            .content
        )
        assert records["data"] == []


@given(st.lists(st.integers(min_value=1000, max_value=9999), max_size=8))
def test_budget_years_match_the_scdl_pattern(years: list[int]) -> None:
    shown = budget_years(years)
    if not years:
        assert shown == ""
        return
    assert re.fullmatch(r"[0-9]{4}(/[0-9]{4})?", shown)
    assert shown.split("/")[0] == str(min(years))
    assert shown.split("/")[-1] == str(max(years))
    assert ("/" in shown) == (min(years) != max(years))
