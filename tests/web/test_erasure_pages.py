"""Erasure on the demo municipality, through the web (issue 19 part 3): the API and
the account page's confirmed button erase a person; then their name is in no API
answer, public page, export (CSV, XLSX, JSON, PDF text), view table, database file
or bundle, and every seal still verifies. Refusals write nothing. Both backends."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from exports.registry import available, render
from ledger.app import open_ledger
from ledger.bundle import export_bundle
from projections import queries as q
from tests.conftest import make_settings
from tests.demo_template import demo_copy
from tests.ledger.integrity_helpers import sdsi_verify, verifier_report
from tests.ledger.test_erasure import bundle_bytes, database_bytes, leaks, view_dump
from tests.web.ui_client import Site, open_site, text
from tests.web.world import bearer

PERSON, LOGIN = "Fatou Diallo", "ref.ccas"
VOTER = "elu.dubois"
READERS = ("admin", "dsi.martin", "dgs.lefebvre", "fin.garnier")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp(f"erasure-{request.param}")
    url = demo_copy(request, str(request.param), tmp, "sealed")
    settings = make_settings(tmp / "data", url)
    led = open_ledger(settings)
    running = open_site(settings, led)
    running.caught_up()
    running.url = url  # type: ignore[attr-defined]
    yield running
    running.close()


def export_text(content: bytes, fmt: str) -> str:
    if fmt == "pdf":
        import pypdf

        return "\n".join(
            p.extract_text() for p in pypdf.PdfReader(io.BytesIO(content)).pages
        )
    if fmt == "xlsx":
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(
            repr(row) for sheet in book for row in sheet.iter_rows(values_only=True)
        )
    if content.startswith(b"PK"):  # an archive (e.g. open data): every member
        import zipfile

        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "\n".join(
                archive.read(n).decode("utf-8-sig", "replace")
                for n in archive.namelist()
            )
    return content.decode("utf-8-sig")


def every_export(site: Site) -> str:
    """The text of every export in every format (the minutes of every session)."""
    rm = site.read_model
    sessions = [s["code"] for s in q.sessions(rm.store)]
    out = []
    for info in available():
        for fmt in info.formats:
            for session in sessions if info.needs_session else [None]:
                content = render(rm, info.name, fmt, session=session).content
                out.append(export_text(content, fmt))
    return "\n".join(out)


def api_answers(site: Site) -> str:
    """Every GET of the API without path parameters, as the administrator, the
    DSI, the chair and the finance officer (between them, every read)."""
    api = site.app.test_client()
    paths = api.get("/api/v1/openapi.json").get_json()["paths"]
    out = []
    for path, ops in sorted(paths.items()):
        if "get" not in ops or "{" in path or "openapi" in path:
            continue
        url = path if path.startswith("/api") else "/api/v1" + path
        for who in READERS:
            answer = api.get(url, headers=bearer(site, who))
            out.append(answer.get_data(as_text=True))
    out.append(
        api.get(f"/api/v1/accounts/{LOGIN}", headers=bearer(site, "admin")).get_data(
            as_text=True
        )
    )
    return "\n".join(out)


def public_pages(site: Site) -> str:
    browser = site.client()
    first = browser.get("/public").get_data(as_text=True)
    links = sorted(set(re.findall(r'href="(/public[^"#?]*)"', first)))
    return "\n".join(
        [first, *(browser.get(link).get_data(as_text=True) for link in links)]
    )


def test_refusals_write_nothing(site: Site) -> None:
    api = site.app.test_client()
    head = site.head()
    for who, body, status in (
        ("ref.dsn", {"reason": "r"}, 403),
        ("admin", {}, 422),
    ):
        answer = api.post(
            f"/api/v1/accounts/{LOGIN}/erase", json=body, headers=bearer(site, who)
        )
        assert answer.status_code == status, answer.get_json()
    unknown = api.post(
        "/api/v1/accounts/personne.inconnue/erase",
        json={"reason": "r"},
        headers=bearer(site, "admin"),
    )
    assert unknown.status_code == 404
    voter = api.post(
        f"/api/v1/accounts/{VOTER}/erase",
        json={"reason": "demande"},
        headers=bearer(site, "admin"),
    )
    assert voter.status_code == 409
    assert voter.get_json()["error"]["code"] == "official_record_kept"
    page = site.client("admin").post(
        f"/admin/comptes/{LOGIN}/effacer", data={"reason": "demande RGPD"}
    )
    assert page.status_code == 422
    assert "cochez la case pour confirmer" in text(page)
    assert site.head() == head


def test_an_erased_person_is_in_no_page_answer_export_file_or_bundle(
    site: Site, tmp_path: Path
) -> None:
    led = site.ledger
    assert PERSON in api_answers(site)
    sent = site.client("admin").post(
        f"/admin/comptes/{LOGIN}/effacer",
        data={"reason": "demande RGPD n° 12", "confirm": "on"},
    )
    assert sent.status_code == 302
    site.caught_up()
    assert q.account(site.read_model.store, LOGIN)["display_name"] == "personne effacée"
    again = site.app.test_client().post(
        f"/api/v1/accounts/{LOGIN}/erase",
        json={"reason": "encore"},
        headers=bearer(site, "admin"),
    )
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "account_erased"
    account_page = text(site.client("admin").get(f"/admin/comptes/{LOGIN}"))
    assert "personne effacée" in account_page and "Effacé (RGPD)" in account_page

    secrets = [PERSON]
    assert leaks(api_answers(site).encode(), secrets) == []
    assert leaks(public_pages(site).encode(), secrets) == []
    assert leaks(every_export(site).encode(), secrets) == []
    assert leaks(view_dump(site.read_model.store).encode(), secrets) == []
    assert leaks(database_bytes(led.settings), secrets) == []
    code, verified = sdsi_verify(led.settings, site.url)  # type: ignore[attr-defined]
    assert (code, verified["ok"]) == (0, True), verified
    bundle = tmp_path / "bundle"
    export_bundle(led, bundle)
    assert leaks(bundle_bytes(bundle), secrets) == []
    code, theirs = verifier_report(bundle, led.settings.public_key_file)
    assert (code, theirs["ok"]) == (0, True), theirs
