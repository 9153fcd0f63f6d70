"""Issued documents on both backends: every PDF downloaded from the exports is
recorded in the ledger (kind, subject, file name, SHA-256, size, who, when) and shows
in the audit trail; an auditor learns from its SHA-256, pasted or computed from the
uploaded file, whether and when it was issued; a bad SHA-256 is refused in French."""

from __future__ import annotations

import hashlib
import io

import pytest

from ledger.commands.documents import ISSUANCES, may_issue
from projections import queries as q
from tests.web.demo_site import (
    AUDITOR,
    CHAIR,
    REFERENT,
    field_error,
    page,
    shared_site,
    token,
)
from tests.web.ui_client import Site, text

SESSION = "COPIL-2021-11-16"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest) -> Site:
    return shared_site(request, str(request.param))


def _issued(site: Site, sha256: str) -> dict:
    found = q.issued_document(site.read_model.store, sha256)
    assert found is not None
    return found


def test_a_downloaded_pdf_is_recorded_with_its_sha256_and_shows_in_the_audit_trail(
    site: Site,
) -> None:
    head = site.head()
    response = site.client(CHAIR).get(f"/exports/minutes.pdf?session={SESSION}")
    assert response.status_code == 200
    content = response.get_data()
    digest = hashlib.sha256(content).hexdigest()
    assert response.headers["X-SDSI-SHA256"] == digest
    site.caught_up()
    assert site.events_since(head) in (
        ["IssuedDocument.Issued"],
        ["IssuedDocument.Reissued"],  # the other test module downloaded it first
    )
    found = _issued(site, digest)
    assert found["kind"] == "minutes"
    assert found["subject"] == f"séance {SESSION}"
    assert found["size"] == len(content)
    last = found["issuances"][-1]
    assert last["actor"] == CHAIR
    assert last["origin"] == "web"
    assert last["filename"] == f"minutes-{SESSION.lower()}.pdf"
    trail = q.audit_trail(
        site.read_model.store, aggregate=digest, event_type="IssuedDocument"
    )
    assert trail["total"] == len(found["issuances"])
    assert trail["events"][0]["command"] == "issue_document"
    audit = page(site.client(AUDITOR).get(f"/audit?aggregate={digest}"))
    assert "IssuedDocument.Issued" in audit and digest in audit


def test_the_same_pdf_downloaded_again_is_one_document_issued_twice(site: Site) -> None:
    first = site.client(REFERENT).get("/exports/plan.pdf")
    second = site.client(CHAIR).get("/exports/plan.pdf")
    assert first.status_code == second.status_code == 200
    assert first.get_data() == second.get_data()  # deterministic PDF/A
    digest = hashlib.sha256(first.get_data()).hexdigest()
    site.caught_up()
    found = _issued(site, digest)
    assert found["kind"] == "plan" and found["subject"] == ""
    actors = [i["actor"] for i in found["issuances"]]
    assert actors[-2:] == [REFERENT, CHAIR]


def test_csv_downloads_are_not_recorded(site: Site) -> None:
    head = site.head()
    response = site.client(AUDITOR).get("/exports/opendata-decisions.csv")
    assert response.status_code == 200
    assert site.head() == head


def test_an_auditor_checks_a_pasted_sha256_or_an_uploaded_pdf(site: Site) -> None:
    content = site.client(REFERENT).get("/exports/plan.pdf").get_data()
    digest = hashlib.sha256(content).hexdigest()
    site.caught_up()
    auditor = site.client(AUDITOR)
    count = len(_issued(site, digest)["issuances"])
    shown = auditor.get(f"/audit/documents?sha256={digest.upper()}")
    assert shown.status_code == 200
    body = text(shown)
    assert f"délivré par le registre {count} fois" in body
    assert REFERENT in body and "plan.pdf" in body
    uploaded = auditor.post(
        "/audit/documents",
        data={"document": (io.BytesIO(content), "copie.pdf")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 200
    assert digest in text(uploaded)
    assert f"délivré par le registre {count} fois" in text(uploaded)
    forged = auditor.post(
        "/audit/documents",
        data={"document": (io.BytesIO(content + b"\n%forged"), "copie.pdf")},
        content_type="multipart/form-data",
    )
    assert "Aucun document de cette empreinte n'a été délivré par le registre." in (
        text(forged)
    )


def test_a_bad_sha256_is_refused_in_french_naming_the_field(site: Site) -> None:
    head = site.head()
    auditor = site.client(AUDITOR)
    response = auditor.get("/audit/documents?sha256=abc")
    assert response.status_code == 422
    assert field_error(page(response), "f-sha256") == (
        "« Empreinte SHA-256 » : 64 chiffres hexadécimaux attendus (0-9, a-f), "
        "comme l'affiche « sha256sum fichier.pdf »."
    )
    empty = auditor.post("/audit/documents", data={})
    assert empty.status_code == 422
    assert field_error(page(empty), "f-sha256") == (
        "Donnez l'empreinte SHA-256 du document ou choisissez le fichier PDF."
    )
    assert site.head() == head


def test_only_the_audit_role_may_check_documents(site: Site) -> None:
    assert site.client(REFERENT).get("/audit/documents").status_code == 403
    assert site.client(AUDITOR).get("/audit/documents").status_code == 200


def test_the_api_tells_whether_a_sha256_was_issued(site: Site) -> None:
    content = site.client(REFERENT).get("/exports/plan.pdf").get_data()
    digest = hashlib.sha256(content).hexdigest()
    site.caught_up()
    client = site.app.test_client()
    auditor = token(site, AUDITOR)
    found = client.get(f"/api/v1/audit/documents/{digest}", headers=auditor)
    assert found.status_code == 200
    body = found.get_json()
    assert (body["sha256"], body["kind"], body["size"]) == (
        digest,
        "plan",
        len(content),
    )
    assert body["issuances"][-1]["actor"] == REFERENT
    assert body["issuances"][-1]["filename"] == "plan.pdf"
    unknown = client.get(f"/api/v1/audit/documents/{'0' * 64}", headers=auditor)
    assert unknown.status_code == 404
    bad = client.get("/api/v1/audit/documents/abc", headers=auditor)
    assert bad.status_code == 422
    assert bad.get_json()["error"]["code"] == "invalid_value"
    assert (
        "empreinte SHA-256 de 64 chiffres hexadécimaux"
        in (bad.get_json()["error"]["message"])
    )
    refused = client.get(
        f"/api/v1/audit/documents/{digest}", headers=token(site, REFERENT)
    )
    assert refused.status_code == 403


def test_a_reader_cannot_fill_the_ledger_with_downloads(site: Site) -> None:
    """Sixty PDFs an hour per account are recorded; the next one is refused (429,
    ``Retry-After``, a French message) and writes nothing; other accounts go on."""
    counters = site.app.extensions["sdsi"].extra["throttle"].counters
    running, now = counters.clock, [3_000_000_000.0]
    counters.clock = lambda: now[0]
    try:
        for _ in range(ISSUANCES.free):
            assert may_issue(counters, REFERENT) == 0
        head = site.head()
        refused = site.client(REFERENT).get("/exports/plan.pdf")
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "1"
        assert (
            "Trop de documents PDF émis pour votre compte dans l'heure : réessayez "
            "dans 1 s. Aucun document n'a été émis." in text(refused)
        )
        assert site.head() == head
        assert site.client(CHAIR).get("/exports/plan.pdf").status_code == 200
        now[0] += 3601  # the window has passed
        assert site.client(REFERENT).get("/exports/plan.pdf").status_code == 200
    finally:
        counters.clock = running
