"""Issue 19 in Chromium, on the demo municipality (both backends): the auditor opens a
decision from *Arbitrages*, downloads its evidence file from the decision's page and
``verifier.py evidence`` checks it offline against the ledger's key; a witness served
on loopback cosigns the latest checkpoint and the audit page's « Témoins » section
shows it with the size it cosigned."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from ledger.integrity import public_key_json
from ledger.sealing import Sealer
from ledger.witness_config import witnesses_settings
from ledger.witness_push import WitnessPusher
from tests.ledger.integrity_helpers import run_verifier
from tests.ledger.witness_helpers import new_witness, served
from tests.web.e2e.browsing import person

AUDITOR = "audit.crc"


def test_a_decisions_evidence_file_downloaded_from_its_page_verifies_offline(
    browser: Any, server: Any, tmp_path: Path
) -> None:
    with person(browser, server, AUDITOR) as auditor:
        assert auditor.open("/arbitrages") == 200
        first = auditor.page.get_by_role("link", name=re.compile("^Détail")).first
        label = first.inner_text()
        position = int(re.search(r"position (\d+)", label).group(1))  # type: ignore[union-attr]
        first.click()
        expect(auditor.page).to_have_url(re.compile(rf"/arbitrages/{position}$"))
        section = auditor.page.locator("section[aria-labelledby=h-evidence]")
        expect(section).to_contain_text("verifier.py evidence")
        link = section.get_by_role(
            "link", name="Télécharger le fichier de preuve (JSON)"
        )
        with auditor.page.expect_download() as download:
            link.click()
        saved = download.value
        assert saved.suggested_filename == f"preuve-decision-{position}.json"
        target = tmp_path / saved.suggested_filename
        saved.save_as(str(target))
    evidence = json.loads(target.read_text())
    assert evidence  # a JSON document, checked below by the standalone verifier
    key = server.ledger.settings.public_key_file
    code, out = run_verifier("evidence", str(target), "--key", str(key))
    assert code == 0, out
    assert str(position) in out
    # one byte changed in the file: the verifier refuses it
    target.write_text(target.read_text().replace('"position"', '"positiom"', 1))
    code, out = run_verifier("evidence", str(target), "--key", str(key))
    assert code == 1, out


def test_the_audit_page_shows_a_witness_and_the_size_it_cosigned(
    browser: Any, server: Any, tmp_path: Path
) -> None:
    ledger = server.ledger
    log = (ledger.settings.ledger_origin, public_key_json(ledger)["vkey"])
    vkey = new_witness(tmp_path / "w", "prefecture.example/w1", log)
    kept = ledger.settings
    with served(tmp_path / "w") as url:
        ledger.settings = dataclasses.replace(
            kept, witnesses=witnesses_settings(f"prefecture {url} {vkey}")
        )
        try:
            Sealer(ledger).checkpoint_now()
            outcomes = [r.outcome for r in WitnessPusher(ledger).run_once()]
            assert outcomes == ["cosigned"]
            latest = Sealer(ledger).latest_checkpoint
            assert latest is not None
            with person(browser, server, AUDITOR) as auditor:
                assert auditor.open("/audit") == 200
                section = auditor.page.locator("#temoins")
                expect(section).to_be_visible()
                expect(section.get_by_role("heading", name="Témoins")).to_be_visible()
                row = section.locator("tbody tr").first
                expect(row).to_contain_text("prefecture")
                expect(row).to_contain_text("prefecture.example/w1")
                expect(row).to_contain_text(f"{latest.tree_size} (point #{latest.seq})")
                expect(row).to_contain_text("à jour")
                auditor.look()
        finally:
            ledger.settings = kept
