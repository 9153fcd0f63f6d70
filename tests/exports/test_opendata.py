"""Open data: datasets, schemas (SCDL budget names), figures, no personal data."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from decimal import Decimal
from typing import Any

from exports.french import OUTCOMES
from projections import queries as q
from sdsi.demo import data as D
from tests.exports.conftest import (
    INJECTED_CODE,
    INJECTED_RATIONALE,
    INJECTED_TITLE,
    DemoEnv,
)

SCDL = {
    "BGT_ANNEE",
    "BGT_NOM",
    "BGT_SECTION",
    "BGT_CODRD",
    "BGT_OPBUDG",
    "BGT_OPERATION",
    "BGT_MTPREV",
    "BGT_CREDOUV",
    "BGT_MTREAL",
    "BGT_MTRAR3112",
}


def _zip(env: DemoEnv, fmt: str) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(env.render("opendata", fmt))) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _csv(data: bytes) -> list[dict[str, str]]:
    assert not data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def _json(data: bytes) -> dict[str, Any]:
    return json.loads(data, parse_float=Decimal)  # type: ignore[no-any-return]


def test_each_dataset_comes_with_a_schema_describing_every_column(
    demo_env: DemoEnv,
) -> None:
    files = _zip(demo_env, "csv")
    datasets = [
        "deliberations",
        "decisions",
        "decisions-grille",
        "projets",
        "budget",
        "budget-scdl",
        "votes",
        "points-de-controle",
    ]
    assert sorted(files) == sorted(
        ["datapackage.json"]
        + [f"{d}.csv" for d in datasets]
        + [f"{d}.schema.json" for d in datasets]
    )
    package = json.loads(files["datapackage.json"])
    assert [r["path"] for r in package["resources"]] == [f"{d}.csv" for d in datasets]
    jsons = _zip(demo_env, "json")
    for dataset in ("decisions", "decisions-grille", "budget", "votes"):
        schema = json.loads(files[f"{dataset}.schema.json"])
        names = [f["name"] for f in schema["fields"]]
        header = files[f"{dataset}.csv"].split(b"\r\n", 1)[0].decode().split(",")
        assert header == names
        records = _json(jsons[f"{dataset}.json"])["data"]
        assert records and list(records[0]) == names
        for field in schema["fields"]:
            assert field["description"] and field["title"]
            assert field["type"] in (
                "string",
                "integer",
                "number",
                "boolean",
                "date",
                "datetime",
                "array",
            )
    budget = json.loads(files["budget.schema.json"])
    assert {f["name"] for f in budget["fields"] if "scdl" in f} == SCDL
    assert "schema.data.gouv.fr/scdl/budget" in budget["sources"][0]["path"]


def test_budget_dataset_equals_the_projection_to_the_cent(demo_env: DemoEnv) -> None:
    """One row per entity's share of each line (the entity's own budget lines), in
    the consolidated lines' order; summed over the entities, each consolidated
    line to the cent."""
    store = demo_env.read_model.store
    lines = q.budget_lines(store)
    entities = q.entities(store)
    shares = {
        e["code"]: {
            (ln["year"], ln["section"], ln["proposal"]): ln
            for ln in q.budget_lines(store, entity=e["code"])
        }
        for e in entities
    }
    expected = [
        (e, shares[e["code"]][key])
        for key in ((ln["year"], ln["section"], ln["proposal"]) for ln in lines)
        for e in entities
        if key in shares[e["code"]]
    ]
    files = _zip(demo_env, "csv")
    rows = _csv(files["budget.csv"])
    records = _json(_zip(demo_env, "json")["budget.json"])["data"]
    assert len(rows) == len(records) == len(expected) > len(lines)
    money = (
        ("BGT_MTPREV", "cp_initial"),
        ("BGT_CREDOUV", "cp"),
        ("engage", "committed"),
        ("BGT_MTREAL", "paid"),
        ("disponible", "available"),
        ("ap_votee", "ap_voted"),
    )
    summed: dict[tuple[int, str, str], dict[str, Decimal]] = {}
    for row, rec, (entity, line) in zip(rows, records, expected, strict=True):
        assert (int(row["BGT_ANNEE"]), row["BGT_SECTION"], row["BGT_OPERATION"]) == (
            line["year"],
            line["section"],
            line["proposal"],
        )
        assert (row["entite"], row["entite_nom"], row["entite_siren"]) == (
            entity["code"],
            entity["name"],
            entity["siren"],
        )
        assert row["BGT_CODRD"] == "dépense" and row["BGT_OPBUDG"] == "réel"
        bucket = summed.setdefault(
            (line["year"], line["section"], line["proposal"]), {}
        )
        for key, field in money:
            assert Decimal(row[key]) == line[field], (key, line["proposal"])
            assert rec[key] == line[field]
            bucket[field] = bucket.get(field, Decimal(0)) + Decimal(row[key])
        assert Decimal(row["BGT_MTRAR3112"]) == line["committed"] - line["paid"]
        assert row["derogation_engagement"] == str(line["override_commitment"]).lower()
    for line in lines:
        bucket = summed[line["year"], line["section"], line["proposal"]]
        for _key, field in money[:-1]:
            assert bucket[field] == line[field], (line["proposal"], field)
    # the territory's shared project: one row per entity, 45 / 20 / 35 %
    portal = [r for r in rows if r["BGT_OPERATION"] == "PORTAIL-TERR"]
    assert [r["entite"] for r in portal[:3]] == ["principale", "CALA", "CCAS-SAL"]
    assert portal[1]["entite_siren"] == "200045615"


def test_decisions_and_votes_datasets_equal_the_projection(demo_env: DemoEnv) -> None:
    store = demo_env.read_model.store
    decisions = q.decision_history(store)
    files = _zip(demo_env, "csv")
    rows = _csv(files["decisions.csv"])
    records = _json(_zip(demo_env, "json")["decisions.json"])["data"]
    assert len(rows) == len(records) == len(decisions) > 80
    for row, rec, d in zip(rows, records, decisions, strict=True):
        assert (row["seance"], row["projet"], row["decision"]) == (
            d["session"],
            d["proposal"],
            d["outcome"],
        )
        assert row["decision_libelle"] == OUTCOMES[d["outcome"]]
        assert int(row["position_registre"]) == d["position"]
        assert (
            int(row["votes_pour"]),
            int(row["votes_contre"]),
            int(row["abstentions"]),
        ) == (d["votes_for"], d["votes_against"], d["abstentions"])
        assert rec["ap_accordee"] == d["ap"]
        assert [
            (c["annee"], c["section"], c["montant"]) for c in rec["cp_accordes"]
        ] == [(c["year"], c["section"], Decimal(c["amount"])) for c in d["cp"]]
        assert (
            json.loads(row["cp_accordes"] or "[]", parse_float=Decimal)
            == rec["cp_accordes"]
        )
    votes = _csv(files["votes.csv"])
    assert len(votes) == len(q.votes(store))
    assert sum(1 for v in votes if v["remplace"] == "true") == sum(
        1 for v in q.votes(store) if not v["current"]
    )


def test_open_data_holds_no_personal_data_beyond_officials_in_office(
    demo_env: DemoEnv,
) -> None:
    store = demo_env.read_model.store
    blob = b"\n".join(_zip(demo_env, "csv").values()) + b"\n".join(
        _zip(demo_env, "json").values()
    )
    text = blob.decode("utf-8")
    officials = {
        name for login, name, roles in D.PEOPLE if {"member", "chair"} & set(roles)
    }
    others = {a["display_name"] for a in q.accounts(store)} - officials
    assert others, "referents, evaluators, finance and DSI staff exist"
    for name in others:
        assert name not in text, name
    assert "Hélène Lefebvre" in text  # the chair, acting in office
    for account in q.accounts(store):
        assert f'"{account["username"]}"' not in text
    justification = q.proposal(store, "RDV")["score_history"][0]["justification"]
    assert justification and justification not in text


def test_open_data_escapes_formula_like_text_in_csv_only(demo_env: DemoEnv) -> None:
    rows = _csv(_zip(demo_env, "csv")["decisions.csv"])
    (row,) = [r for r in rows if r["projet"] == INJECTED_CODE]
    assert row["motif"] == "'" + INJECTED_RATIONALE
    assert row["projet_libelle"] == "'" + INJECTED_TITLE
    records = _json(demo_env.render("opendata-decisions", "json"))["data"]
    (rec,) = [r for r in records if r["projet"] == INJECTED_CODE]
    assert rec["motif"] == INJECTED_RATIONALE
