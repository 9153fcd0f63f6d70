"""Attachments through the pages and the API: upload with the "Pièces jointes"
form, list, download with safe headers, replace (both files kept), hostile uploads
refused in French with nothing written, and the OpenAPI document. On SQLite: the
commands run on both backends in tests/ledger/test_attachments.py, and the access
matrix (tests/web/test_access_matrix.py) walks these routes on both."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest

from tests.web.ui_client import Site, text
from tests.web.world import OTHER, OWN, bearer, login, open_world

PDF = b"%PDF-1.4\n% business case\n%%EOF\n"
CSV = b"poste;montant\nlicences;1 200,00\n"


@pytest.fixture(scope="module", params=["sqlite"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Any:
    running = open_world(request, tmp_path_factory, request.param)
    yield running
    running.close()


def _upload(client: Any, url: str, content: bytes, name: str, **form: str) -> Any:
    return client.post(
        url,
        data={"file": (io.BytesIO(content), name), **form},
        content_type="multipart/form-data",
    )


def _stored(site: Site) -> list[str]:
    root = site.ledger.settings.attachments_dir / "sha256"
    return (
        sorted(
            p.name for p in root.rglob("*") if p.is_file() and p.parent.name != "tmp"
        )
        if root.exists()
        else []
    )


def test_a_referent_attaches_a_file_and_anyone_who_reads_the_proposal_downloads_it(
    site: Site,
) -> None:
    referent = site.client(login("referent"))
    done = _upload(
        referent,
        f"/fiches/{OWN}/pieces-jointes",
        PDF,
        "Étude d'opportunité.pdf",
        description="Étude",
    )
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/fiches/{OWN}#pieces-jointes")
    site.caught_up()
    page = referent.get(f"/fiches/{OWN}")
    shown = text(page)
    digest = hashlib.sha256(PDF).hexdigest()
    assert "Pièces jointes" in shown
    assert "Étude d'opportunité.pdf" in shown
    assert f"{len(PDF)} octets" in shown
    assert digest[:12] in shown
    link = page.get_data(as_text=True).split('href="')
    url = next(
        part.split('"')[0]
        for part in link
        if "/pieces-jointes/" in part and digest in part.split('"')[0]
    )
    got = site.client(login("auditor")).get(url)
    assert got.status_code == 200
    assert got.get_data() == PDF
    assert got.headers["Content-Type"] == "application/pdf"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in got.headers["Content-Security-Policy"]
    assert got.headers["Content-Disposition"] == (
        'attachment; filename="Etude d_opportunite.pdf"; '
        "filename*=UTF-8''%C3%89tude%20d%27opportunit%C3%A9.pdf"
    )


def test_hostile_uploads_are_refused_in_french_and_write_nothing(site: Site) -> None:
    dsi = site.client(login("dsi"))
    before, stored = site.head(), _stored(site)
    cases = [
        (b"MZ\x90\x00" + b"\x00" * 40, "devis.pdf", "type de fichier non accepté"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 8, "devis.pdf", "image PNG"),
        (PDF, "../../../etc/devis.pdf", "ne doit pas contenir de chemin"),
        (b"", "vide.pdf", "le fichier est vide"),
    ]
    for content, name, words in cases:
        refused = _upload(dsi, f"/fiches/{OTHER}/pieces-jointes", content, name)
        assert refused.status_code == 422, name
        assert words in text(refused), name
        assert 'aria-invalid="true"' in refused.get_data(as_text=True)
    assert site.head() == before
    assert _stored(site) == stored


def test_the_api_lists_replaces_and_serves_both_versions(site: Site) -> None:
    headers = bearer(site, login("dsi"))
    client = site.app.test_client()
    first = client.post(
        f"/api/v1/proposals/{OTHER}/attachments",
        data={"file": (io.BytesIO(CSV), "budget.csv"), "description": "Devis"},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert first.status_code == 201, first.get_json()
    result = first.get_json()["result"]
    assert (result["media_type"], result["size"]) == ("text/csv", len(CSV))
    second = client.post(
        f"/api/v1/proposals/{OTHER}/attachments/{result['id']}/replace",
        data={"file": (io.BytesIO(PDF), "budget.pdf")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert second.status_code == 201, second.get_json()
    listed = client.get(f"/api/v1/proposals/{OTHER}/attachments", headers=headers)
    (item,) = [a for a in listed.get_json()["attachments"] if a["id"] == result["id"]]
    assert item["current"]["filename"] == "budget.pdf"
    assert [h["event"] for h in item["history"]] == ["replaced", "attached"]
    assert item["history"][0]["previous"] == result["sha256"]
    old = client.get(item["history"][1]["url"], headers=headers)
    assert old.get_data() == CSV
    assert old.headers["Content-Type"] == "text/csv; charset=utf-8"
    # a referent of another direction neither lists nor downloads it
    other = bearer(site, login("referent"))
    assert client.get(item["current"]["url"], headers=other).status_code == 403
    oversize = client.post(
        f"/api/v1/proposals/{OTHER}/attachments",
        data={"file": (io.BytesIO(b"%PDF" + b"0" * (20 * 1024 * 1024)), "gros.pdf")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert oversize.status_code == 422
    assert (
        "dépasse la taille maximale de 20 Mo" in oversize.get_json()["error"]["message"]
    )


def test_every_attachment_operation_is_in_the_openapi_document(site: Site) -> None:
    spec = site.app.test_client().get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    for prefix in ("/proposals/{code}", "/sessions/{code}", "/decisions/{position}"):
        base = f"/api/v1{prefix}/attachments"
        assert set(paths[base]) >= {"get", "post"}
        assert "multipart/form-data" in paths[base]["post"]["requestBody"]["content"]
        assert "post" in paths[base + "/{attachment}/replace"]
        assert "post" in paths[base + "/{attachment}/remove"]
        assert "get" in paths[base + "/{attachment}/files/{sha256}"]


def test_a_malformed_upload_is_refused_in_french_naming_fields_by_label(
    site: Site,
) -> None:
    client = site.app.test_client()
    headers = bearer(site, login("dsi"))
    before = site.head()
    refused = client.post(
        f"/api/v1/proposals/{OTHER}/attachments",
        data={"description": "x" * 501},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["message"] == "Champs invalides : Description."
    english = client.post(
        f"/api/v1/proposals/{OTHER}/attachments",
        data={"file": (io.BytesIO(b""), "vide.pdf")},
        headers={**headers, "Accept-Language": "en"},
        content_type="multipart/form-data",
    )
    assert english.status_code == 422
    assert english.get_json()["error"]["message"] == (
        "Invalid value for “File”: “vide.pdf” (the file is empty)."
    )
    assert site.head() == before


def test_a_body_past_the_upload_limit_is_refused_naming_the_limit(site: Site) -> None:
    settings = site.app.extensions["sdsi"].settings
    limit = settings.attachment_max_bytes
    object.__setattr__(settings, "attachment_max_bytes", 1024)
    try:
        before = site.head()
        big = b"%PDF-1.4\n" + b"0" * (400 * 1024)
        api = site.app.test_client().post(
            f"/api/v1/proposals/{OTHER}/attachments",
            data={"file": (io.BytesIO(big), "gros.pdf")},
            headers=bearer(site, login("dsi")),
            content_type="multipart/form-data",
        )
        assert api.status_code == 413
        assert api.get_json()["error"]["message"] == (
            "« Fichier » : le fichier dépasse la taille maximale de 1 Ko. "
            "Rien n'a été enregistré."
        )
        page = _upload(
            site.client(login("dsi")), f"/fiches/{OTHER}/pieces-jointes", big, "g.pdf"
        )
        assert page.status_code == 413
        assert "dépasse la taille maximale de 1 Ko" in text(page)
        assert site.head() == before
    finally:
        object.__setattr__(settings, "attachment_max_bytes", limit)


def test_a_refused_upload_summarises_its_one_error_not_the_help_text(
    site: Site,
) -> None:
    """The file field's help ("PDF, PNG… 20 Mo au plus") describes it, but is not an
    error: the summary counts one error and links to it alone."""
    from tests.web.test_form_errors import summary

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    refused = _upload(
        site.client(login("referent")), f"/fiches/{OWN}/pieces-jointes", png, "a.pdf"
    )
    assert refused.status_code == 422
    heading, links, _at = summary(refused.get_data(as_text=True))
    assert heading == "Le formulaire contient 1 erreur"
    assert links == [
        (
            "pj-file",
            "Fichier : Valeur invalide pour « Fichier » : « a.pdf » (le contenu est "
            "un fichier image PNG, l'extension doit être .png).",
        )
    ]


def test_a_removed_file_attached_again_is_listed_again(
    site: Site,
) -> None:
    url = f"/api/v1/proposals/{OWN}/attachments"
    auth = bearer(site, login("referent"))
    content = b"%PDF-1.4\n% retire puis remis\n%%EOF\n"

    def send() -> Any:
        return site.app.test_client().post(
            url,
            data={"file": (io.BytesIO(content), "remis.pdf")},
            content_type="multipart/form-data",
            headers=auth,
        )

    first = send().get_json()["result"]["id"]
    removed = site.app.test_client().post(
        f"{url}/{first}/remove", json={"reason": "mauvaise fiche"}, headers=auth
    )
    assert removed.status_code == 201
    again = send()
    assert again.status_code == 201, again.get_json()
    site.caught_up()
    listed = site.app.test_client().get(url, headers=auth).get_json()["attachments"]
    mine = [
        (a["id"], a["removed"])
        for a in listed
        if a["current"]["sha256"] == hashlib.sha256(content).hexdigest()
    ]
    assert mine == [(again.get_json()["result"]["id"], False)]  # the removed one: off
