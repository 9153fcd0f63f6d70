"""``SDSI_PUBLIC_HIDE`` is the one rule for the citizens' pages, their JSON and the
open data served without login: on the demo, on both backends, a withheld field's
values appear nowhere (its columns stay, empty, and the files still match their
pinned schemas), a withheld dataset answers 404 in French, and the signed-in exports
are unchanged."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import frictionless
import pytest

from domain.publication import FIELDS, withheld_columns, withheld_datasets
from exports.open_tables import shipped_schema
from tests.web.demo_site import DSI, shared_site
from tests.web.test_public_pages import pages, response_cache_of
from tests.web.ui_client import Site, text
from web import publication as pubw

PROJECT = "SALLES"  # a demo decision with a rationale and counted votes
HIDDEN = frozenset({"decision.rationale", "decision.votes", "project.direction"})
VOTES = ("votes_pour", "votes_contre", "abstentions", "ecart_majorite")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest) -> Site:
    return shared_site(request, str(request.param))


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def _valid(tmp: Path, dataset: str, data: bytes) -> None:
    path = tmp / f"{dataset}.csv"
    path.write_bytes(data)
    schema = frictionless.Schema.from_descriptor(shipped_schema(dataset))
    resource = frictionless.Resource(path=path.name, basepath=str(tmp), schema=schema)
    report = frictionless.validate(resource)
    assert report.valid, (dataset, report.flatten(["type", "message"])[:3])


def _decision(site: Site) -> dict[str, str]:
    """The demo decision on ``PROJECT`` as the open data publishes it by default."""
    response_cache_of(site).clear()
    rows = _rows(site.client().get("/donnees-ouvertes/decisions.csv").get_data())
    return next(r for r in rows if r["projet"] == PROJECT)


def test_every_withheld_column_is_optional_in_its_schema() -> None:
    for name in FIELDS:
        for dataset in ("decisions", "projets", "budget", "deliberations"):
            columns = withheld_columns({name}, dataset)
            fields = {f["name"]: f for f in shipped_schema(dataset)["fields"]}
            for column in columns:
                assert column in fields, (name, dataset, column)
                required = fields[column].get("constraints", {}).get("required")
                assert not required, (name, dataset, column)
    assert withheld_datasets(HIDDEN) == {"votes"}
    assert withheld_datasets(FIELDS) == {"votes", "budget", "points-de-controle"}


def test_hidden_fields_appear_neither_in_pages_nor_in_open_data(
    site: Site, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shown = _decision(site)
    rationale = shown["motif"]
    assert len(rationale) > 20 and shown["direction"]
    counts = (shown["votes_pour"], shown["votes_contre"], shown["abstentions"])
    assert counts[0] not in ("", "0")
    monkeypatch.setattr(pubw, "hidden", lambda: HIDDEN)
    response_cache_of(site).clear()
    client = site.client()
    for url in pages(site):
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert rationale not in answer.get_data(as_text=True), url
    body = client.get(f"/api/v1/public/projects/{PROJECT}").get_json()
    assert all("votes" not in d for d in body["decisions"])

    data = client.get("/donnees-ouvertes/decisions.csv").get_data()
    assert rationale.encode() not in data
    rows = _rows(data)
    assert list(rows[0]) == [f["name"] for f in shipped_schema("decisions")["fields"]]
    for row in rows:
        blank = {"motif", "justification_ecart", *VOTES, "direction", "pole"}
        assert {row[k] for k in blank} == {""}, row["projet"]
    _valid(tmp_path, "decisions", data)
    as_json = client.get("/donnees-ouvertes/decisions.json").get_json()
    mine = next(r for r in as_json["data"] if r["projet"] == PROJECT)
    assert (mine["motif"], mine["votes_pour"], mine["direction"]) == (None,) * 3
    assert rationale not in json.dumps(as_json, ensure_ascii=False)
    projects = client.get("/donnees-ouvertes/projets.csv").get_data()
    assert {r["direction"] for r in _rows(projects)} == {""}
    _valid(tmp_path, "projets", projects)
    scdl = client.get("/donnees-ouvertes/deliberations.csv")
    if scdl.status_code == 200:  # the demo may have no SIRET (then 409)
        for row in _rows(scdl.get_data()):
            assert row["VOTE_POUR"] == row["VOTE_CONTRE"] == ""
        _valid(tmp_path, "deliberations", scdl.get_data())

    for fmt in ("csv", "json"):
        refused = client.get(f"/donnees-ouvertes/votes.{fmt}")
        assert refused.status_code == 404
        assert "Le jeu « votes » n'est pas publié" in text(refused)
    archive = client.get("/donnees-ouvertes/donnees-ouvertes-csv.zip").get_data()
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        names = zf.namelist()
        assert "votes.csv" not in names and "decisions.csv" in names
        assert zf.read("decisions.csv") == data
        package = json.loads(zf.read("datapackage.json"))
        assert "votes" not in [r["name"] for r in package["resources"]]
        for name in names:
            assert rationale.encode() not in zf.read(name), name

    page = text(client.get("/donnees-ouvertes"))
    assert "Informations non publiées" in page
    assert "decision.rationale — le motif de chaque décision du COPIL" in page
    assert "Non publié : la collectivité a choisi" in page


def test_signed_in_exports_keep_every_field(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    rationale = _decision(site)["motif"]
    monkeypatch.setattr(pubw, "hidden", lambda: HIDDEN)
    response_cache_of(site).clear()
    got = site.client(DSI).get("/exports/opendata-decisions.csv")
    assert got.status_code == 200
    assert rationale.encode() in got.get_data()
    response_cache_of(site).clear()
