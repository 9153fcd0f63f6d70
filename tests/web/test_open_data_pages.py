"""``/donnees-ouvertes``: the open-data page and files answer anyone, without signing
in, from the response cache, with an ETag and Last-Modified; nothing is written."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from exports.open_tables import SCHEMAS
from exports.opendata import DATASETS
from tests.web.ui_client import Site, text
from tests.web.world import open_world
from web.cache import response_cache


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(request, tmp_path_factory, request.param)
    yield running
    running.close()


def test_the_page_lists_every_dataset_with_schema_licence_date_and_formats(
    site: Site,
) -> None:
    page = site.app.test_client().get("/donnees-ouvertes")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    for dataset in DATASETS:
        assert f'href="/donnees-ouvertes/schemas/{dataset}.schema.json"' in body
        for fmt in ("csv", "json"):
            assert f'href="/donnees-ouvertes/{dataset}.{fmt}"' in body
    shown = text(page)
    assert "Licence Ouverte / Open Licence version 2.0" in shown
    assert "schéma national SCDL Délibérations, version 2.1.5" in shown
    assert "Mise à jour" in shown and "/public" in shown
    assert 'href="/public"' not in body  # named in the text only


def test_every_file_is_served_to_anyone_and_revalidated_by_its_etag(
    site: Site,
) -> None:
    client = site.app.test_client()
    head = site.head()
    for dataset in DATASETS:
        for fmt, media in (("csv", "text/csv"), ("json", "application/json")):
            url = f"/donnees-ouvertes/{dataset}.{fmt}"
            got = client.get(url)
            assert got.status_code == 200, url
            assert got.mimetype == media
            assert got.headers["Content-Disposition"] == (
                f'attachment; filename="{dataset}.{fmt}"'
            )
            assert got.headers["Cache-Control"] == "public, no-cache"
            etag = got.headers["ETag"]
            # no checkpoint signed yet in this world: no date for the checkpoints
            dated = dataset != "points-de-controle"
            assert ("Last-Modified" in got.headers) == dated, url
            again = client.get(url, headers={"If-None-Match": etag})
            assert again.status_code == 304 and again.data == b""
        schema = client.get(f"/donnees-ouvertes/schemas/{dataset}.schema.json")
        assert schema.status_code == 200
        assert schema.data == (SCHEMAS / f"{dataset}.schema.json").read_bytes()
    rows = list(csv.reader(io.StringIO(client.get("/donnees-ouvertes/votes.csv").text)))
    assert rows == [
        [
            "seance",
            "seance_date",
            "projet",
            "membre",
            "vote",
            "remplace",
            "horodatage",
            "position_registre",
        ]
    ]
    archive = client.get("/donnees-ouvertes/donnees-ouvertes-csv.zip")
    assert archive.status_code == 200 and archive.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.data)) as zf:
        assert "datapackage.json" in zf.namelist()
    assert site.head() == head  # nothing recorded for an anonymous download


def test_a_file_comes_from_the_cache_until_the_ledger_moves(site: Site) -> None:
    client = site.app.test_client()
    with site.app.app_context():
        cache = response_cache()
    first = client.get("/donnees-ouvertes/projets.csv")
    hits = cache.hits
    second = client.get("/donnees-ouvertes/projets.csv")
    assert cache.hits == hits + 1 and second.data == first.data
    assert second.headers["ETag"] == first.headers["ETag"]


def test_unknown_datasets_and_formats_are_404(site: Site) -> None:
    client = site.app.test_client()
    for url in (
        "/donnees-ouvertes/inconnu.csv",
        "/donnees-ouvertes/decisions.xlsx",
        "/donnees-ouvertes/schemas/inconnu.schema.json",
        "/donnees-ouvertes/donnees-ouvertes-pdf.zip",
    ):
        assert client.get(url).status_code == 404, url
