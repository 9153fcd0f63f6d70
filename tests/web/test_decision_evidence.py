"""A decision's evidence file from the web: the decision page's download, the API,
who may read it; the COPIL minutes print each decision's position and evidence
fingerprint, and the minutes handed out are recorded by their SHA-256."""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pypdf
import pytest

from domain.documents import IssuedDocument
from ledger.evidence_file import evidence_file
from ledger.keys import ensure_signing_key
from tests.conftest import ADMIN_PASSWORD, make_settings
from tests.ledger.evidence_helpers import (
    PLAN,
    SESSION,
    decide_every_kind,
    load_verifier,
)
from tests.web.ui_client import Site, open_site
from tests.web.world import bearer

VERIFIER = load_verifier()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    """A ledger started from nothing where the COPIL took every kind of decision."""
    from ledger.app import open_ledger

    tmp: Path = tmp_path_factory.mktemp(f"evidence-web-{request.param}")
    url = (
        f"sqlite:///{tmp}/ledger.db"
        if request.param == "sqlite"
        else str(request.getfixturevalue("pg_module_schema_url"))
    )
    settings = make_settings(tmp / "data", url)
    ensure_signing_key(settings)
    led = open_ledger(settings, create=True)
    led.bootstrap_admin("admin", "Administrateur", ADMIN_PASSWORD)
    running = open_site(settings, led)
    running.positions = decide_every_kind(led)  # type: ignore[attr-defined]
    running.caught_up()
    yield running
    running.close()


def positions(site: Site) -> dict[str, int]:
    return site.positions  # type: ignore[attr-defined,no-any-return]


def verified(site: Site, data: bytes) -> dict[str, Any]:
    keys = VERIFIER.load_keys(str(site.ledger.settings.public_key_file))
    report = VERIFIER.verify_evidence(json.loads(data), keys)
    assert report["problems"] == []
    return report  # type: ignore[no-any-return]


@pytest.mark.parametrize("proposal", sorted(PLAN))
def test_the_api_serves_the_evidence_file_of_every_kind_of_decision(
    site: Site, proposal: str
) -> None:
    position = positions(site)[proposal]
    answer = site.app.test_client().get(
        f"/api/v1/decisions/{position}/evidence", headers=bearer(site, "m1")
    )
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    assert answer.headers["Content-Disposition"] == (
        f'attachment; filename="preuve-decision-{position}.json"'
    )
    assert answer.get_data() == evidence_file(site.ledger, position)
    report = verified(site, answer.get_data())
    assert report["decision"]["outcome"] == PLAN[proposal][0]


def test_the_api_answers_404_for_a_position_that_is_no_decision(site: Site) -> None:
    client = site.app.test_client()
    for position in (positions(site)["P1"] - 1, 10**6, 2**70):
        answer = client.get(
            f"/api/v1/decisions/{position}/evidence", headers=bearer(site, "chair")
        )
        assert answer.status_code == 404
        assert answer.get_json()["error"]["code"] == "not_found"
        assert answer.get_json()["error"]["message"] == (  # in French, as every answer
            f"Aucune décision à la position {position}."
        )


def test_only_who_may_read_decisions_gets_their_evidence(site: Site) -> None:
    position = positions(site)["P2"]
    url = f"/api/v1/decisions/{position}/evidence"
    client = site.app.test_client()
    assert client.get(url).status_code == 401
    assert client.get(url, headers=bearer(site, "ref")).status_code == 403
    for reader in ("ev1", "fin", "dsi", "chair"):
        assert client.get(url, headers=bearer(site, reader)).status_code == 200


def test_the_decision_page_offers_the_evidence_file(site: Site) -> None:
    position = positions(site)["P3"]
    browser = site.client("m2")
    page = browser.get(f"/arbitrages/{position}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    link = f'href="/arbitrages/{position}/preuve.json"'
    assert link in body
    assert (
        f"python verifier.py evidence preuve-decision-{position}.json "
        "--key signing_key.pub" in body
    )
    download = browser.get(f"/arbitrages/{position}/preuve.json")
    assert download.status_code == 200
    assert download.get_data() == evidence_file(site.ledger, position)
    assert browser.get(f"/arbitrages/{position - 1}/preuve.json").status_code == 404
    assert (
        site.client("ref").get(f"/arbitrages/{position}/preuve.json").status_code == 403
    )


def test_the_minutes_print_each_decisions_position_and_evidence_fingerprint(
    site: Site,
) -> None:
    """Parsed back: each decision's position and the 16 hex digits that begin its
    evidence fingerprint; the minutes handed out are recorded by their SHA-256."""
    browser = site.client("chair")
    answer = browser.get(f"/exports/minutes.pdf?session={SESSION}")
    assert answer.status_code == 200
    content = answer.get_data()
    digest = hashlib.sha256(content).hexdigest()
    assert answer.headers["X-SDSI-SHA256"] == digest
    issued = site.ledger.load(IssuedDocument, IssuedDocument.id_for(digest))
    assert issued is not None
    assert (issued.kind, issued.subject, issued.size) == (
        "minutes",
        f"séance {SESSION}",
        len(content),
    )
    text = "\n".join(
        page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages
    )
    flat = re.sub(r"\s+", " ", text)
    printed = re.findall(
        r"Position dans le registre (\d+) \(décision enregistrée le .*? Empreinte de "
        r"la preuve ([0-9a-f]{16})",
        flat,
    )
    expected = []
    for proposal in PLAN:
        position = positions(site)[proposal]
        doc = json.loads(evidence_file(site.ledger, position))
        expected.append((str(position), doc["fingerprint"][:16]))
    assert printed == expected
