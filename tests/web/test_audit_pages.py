"""The audit page and its API twins on both backends: the event browser with command
context and seals, proofs that verifier.py accepts, verification on demand, the as-of
picker and the diff between two moments."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from markupsafe import escape

from ledger.core import Caller
from ledger.sealing import Sealer
from ledger.sealstore import SealStore
from projections import queries as q
from tests.web.ui_client import Site, text
from tests.web.world import OTHER, OWN, bearer, login, open_world

VERIFIER = Path(__file__).resolve().parents[2] / "verifier.py"
AUDITOR = login("auditor")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    """The small world, sealed up to its head under a signed checkpoint."""
    running = open_world(request, tmp_path_factory, request.param)
    dsi = Caller(actor=login("dsi"), reason="plus d'événements que n'en tient une page")
    for n in range(12):
        running.ledger.create_pole(dsi, f"P{n:02}", f"Pôle {n}")
    running.caught_up()
    Sealer(running.ledger).checkpoint_now("tests")
    yield running
    running.close()


def events(site: Site, **filters: Any) -> dict[str, Any]:
    return q.audit_trail(site.read_model.store, limit=1000, **filters)


def leaf(site: Site, position: int) -> str:
    rows = SealStore(site.ledger.storage).seals(position - 1, 1)
    return rows[0].leaf.hex()


def rows_shown(page: Any) -> list[int]:
    """Positions of the event rows of the browser, in order."""
    body = page.get_data(as_text=True)
    return [int(p) for p in re.findall(r'<tr id="e-(\d+)"', body)]


def as_(role: str) -> Caller:
    return Caller(actor=login(role), reason="test de l'audit")


# --- the event browser ----------------------------------------------------------------


def test_each_event_shows_its_position_time_actor_roles_command_key_reason_and_changes(
    site: Site,
) -> None:
    page = site.client(AUDITOR).get("/audit")
    assert page.status_code == 200
    shown = text(page)
    newest = events(site, aggregate=OTHER, event_type="Proposal.Drafted")["events"][0]
    row = re.search(
        rf'<tr id="e-{newest["position"]}".*?</tr>', page.get_data(as_text=True), re.S
    )
    assert row
    cells = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", row.group(0))))
    for expected in (
        f"#{newest['position']}",
        login("dsi"),
        "DSI",
        "draft_proposal",
        newest["idempotency_key"],
        "préparation des tests",
        OTHER,
        "Proposal.Drafted",
        "Direction : EDU",
        "Évaluateurs listés : oui",
        "JSON brut",
        '"field": "direction"',
        "Titre : Projet de test",
    ):
        assert expected in cells, expected
    assert leaf(site, newest["position"])[:12] in cells
    assert f"/audit/preuve/{newest['position']}" in row.group(0)
    assert f"{events(site)['total']} événement(s)" in shown


def test_an_amendment_shows_what_changed_old_to_new(site: Site) -> None:
    site.ledger.amend_proposal(
        as_("referent"),
        OWN,
        {"title": "Titre amendé", "description": "Nouvelle version."},
    )
    site.caught_up()
    newest = events(site)["events"][0]
    page = site.client(AUDITOR).get(f"/audit?position={newest['position']}")
    detail = re.search(
        r'<section id="evenement".*?</section>', page.get_data(as_text=True), re.S
    )
    assert detail
    shown = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", detail.group(0))))
    assert "Révision : 1 → 2" in shown
    assert "Titre amendé" in shown
    assert "non scellé" in shown  # written after the checkpoint, not sealed yet
    Sealer(site.ledger).checkpoint_now("tests")


def test_filters_by_actor_object_type_and_period(site: Site) -> None:
    client = site.client(AUDITOR)
    by_referent = client.get(f"/audit?actor={login('referent')}")
    expected = [e["position"] for e in events(site, actor=login("referent"))["events"]]
    assert rows_shown(by_referent) == expected and expected
    own = client.get(f"/audit?aggregate={OWN}")
    assert rows_shown(own) == [
        e["position"] for e in events(site, aggregate=OWN)["events"]
    ]
    accounts = client.get("/audit?event_type=Account&per_page=200")
    assert rows_shown(accounts) == [
        e["position"] for e in events(site, event_type="Account")["events"]
    ]
    assert client.get("/audit?since=2000-01-01&until=2000-12-31").status_code == 200
    assert rows_shown(client.get("/audit?since=2000-01-01&until=2000-12-31")) == []
    today = events(site)["events"][0]["at"][:10]
    assert len(
        rows_shown(client.get(f"/audit?since={today}&until={today}&per_page=200"))
    ) == min(events(site)["total"], 200)
    bad = client.get("/audit?since=hier")
    assert bad.status_code == 200
    assert "Date attendue (AAAA-MM-JJ" in bad.get_data(as_text=True)


def test_pages_run_from_newest_to_oldest(site: Site) -> None:
    total = events(site)["total"]
    client = site.client(AUDITOR)
    first = client.get("/audit?per_page=25")
    second = client.get("/audit?per_page=25&page=2")
    assert rows_shown(first) == list(range(total, total - 25, -1))
    assert rows_shown(second) == list(range(total - 25, max(total - 50, 0), -1))
    assert 'href="/audit?per_page=25&amp;page=2"' in first.get_data(as_text=True)


def test_the_position_heading_sorts_oldest_first_and_keeps_the_filters(
    site: Site,
) -> None:
    client = site.client(AUDITOR)
    newest = client.get("/audit?per_page=25&actor=" + login("dsi"))
    body = newest.get_data(as_text=True)
    assert (
        f'href="/audit?per_page=25&amp;actor={login("dsi")}&amp;sort=position"' in body
    )
    mine = [e["position"] for e in events(site, actor=login("dsi"))["events"]]
    ascending = client.get(f"/audit?per_page=25&actor={login('dsi')}&sort=position")
    assert rows_shown(ascending) == sorted(mine)[:25]
    total = events(site)["total"]
    assert 25 < total < 50
    oldest = client.get("/audit?per_page=25&sort=position&page=2")
    assert rows_shown(oldest) == list(range(26, total + 1))
    assert 'aria-sort="ascending"' in oldest.get_data(as_text=True)


def test_the_audit_api_reads_a_page_and_links_the_next(site: Site) -> None:
    total = events(site)["total"]
    response = site.client().get(
        "/api/v1/audit?per_page=10&page=2&sort=position", headers=bearer(site, AUDITOR)
    )
    body = response.get_json()
    assert [e["position"] for e in body["events"]] == list(range(11, 21))
    assert (body["count"], body["total"], body["page"], body["per_page"]) == (
        total,
        total,
        2,
        10,
    )
    assert (
        '<http://localhost/api/v1/audit?per_page=10&page=3&sort=position>; rel="next"'
        in response.headers["Link"]
    )


def test_a_position_link_opens_the_page_holding_that_event(site: Site) -> None:
    page = site.client(AUDITOR).get("/audit?position=3&per_page=25")
    total = events(site)["total"]
    assert 3 in rows_shown(page)
    assert '<tr id="e-3" class="focus">' in page.get_data(as_text=True)
    assert f"page {(total - 3) // 25 + 1} /" in text(page)
    assert leaf(site, 3) in page.get_data(as_text=True)
    missing = site.client(AUDITOR).get("/audit?position=99999")
    assert "Aucun événement à la position 99999" in missing.get_data(as_text=True)


def test_the_latest_checkpoint_and_the_key_are_shown(site: Site) -> None:
    from ledger.integrity import latest_checkpoint, public_key_json

    checkpoint = latest_checkpoint(site.ledger)
    key = public_key_json(site.ledger)
    assert checkpoint is not None
    body = site.client(AUDITOR).get("/audit").get_data(as_text=True)
    for expected in (
        checkpoint["root_hex"],
        key["fingerprint"],
        key["vkey"],
        f"{checkpoint['tree_size']} événements",
        f"#{checkpoint['seq']}",
    ):
        assert expected in body, expected
    assert html.escape(checkpoint["note"].splitlines()[-1]) in body
    pem = site.client(AUDITOR).get("/audit/cle-publique.pem")
    assert pem.get_data(as_text=True) == key["pem"]


# --- verification ---------------------------------------------------------------------


def test_the_auditor_verifies_the_whole_ledger_on_demand(site: Site) -> None:
    client = site.client(AUDITOR)
    assert "Aucune vérification complète" in text(client.get("/audit"))
    response = client.post("/audit/verifier")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/audit#verification")
    page = client.get("/audit")
    shown = text(page)
    assert "Registre intègre" in shown and "Durée" in shown
    kept = site.app.extensions["sdsi"].extra["verification"]
    assert kept["ok"] is True and kept["verified_by"] == AUDITOR
    assert kept["checked"] == site.head()
    assert f"Événements vérifiés {kept['checked']}" in shown
    api = site.app.test_client()
    last = api.get("/api/v1/audit/verification", headers=bearer(site, login("admin")))
    assert last.get_json()["verification"]["verified_at"] == kept["verified_at"]
    again = api.post("/api/v1/audit/verification", headers=bearer(site, login("admin")))
    assert again.status_code == 200
    assert again.get_json()["ok"] is True and again.get_json()["verified_by"] == "admin"
    assert again.get_json()["seconds"] >= 0


def test_a_tampered_event_is_reported_with_its_position(
    request: pytest.FixtureRequest,
    tmp_path_factory: Any,
    new_pg_schema_url: Any,
    backend: str,
) -> None:
    from tests.ledger.integrity_helpers import Tamperer

    url = new_pg_schema_url() if backend == "postgres" else None
    world = open_world(request, tmp_path_factory, backend, url=url)
    try:
        Sealer(world.ledger).checkpoint_now("tests")
        server = (
            request.getfixturevalue("pg_server_url") if backend == "postgres" else None
        )
        Tamperer(
            backend, world.app.extensions["sdsi"].settings, server
        ).change_state_byte(3)
        client = world.client(AUDITOR)
        response = client.post("/audit/verifier")
        assert response.status_code == 302
        page = text(client.get("/audit"))
        assert "Intégrité rompue" in page
        assert "Première position en défaut 3" in page
        assert (
            world.app.extensions["sdsi"].extra["verification"]["first_problem"][
                "position"
            ]
            == 3
        )
    finally:
        world.close()


def test_a_row_outside_the_log_is_reported_by_its_id(
    request: pytest.FixtureRequest,
    tmp_path_factory: Any,
    new_pg_schema_url: Any,
    backend: str,
) -> None:
    """Issue 12: a row with id <= 0 (guards removed) is named on the page, in the
    flash and by the API, in both languages; its account is refused, not shown."""
    from tests.ledger.integrity_helpers import Tamperer, outside_event

    url = new_pg_schema_url() if backend == "postgres" else None
    world = open_world(request, tmp_path_factory, backend, url=url)
    try:
        Sealer(world.ledger).checkpoint_now("tests")
        server = (
            request.getfixturevalue("pg_server_url") if backend == "postgres" else None
        )
        tamper = Tamperer(backend, world.app.extensions["sdsi"].settings, server)
        event = outside_event(world.ledger, login("member"))
        tamper.remove_id_guards()
        with tamper.guarded() as conn:
            tamper.insert_row(conn, -7, event)
        client = world.client(AUDITOR)
        flashed = client.post("/audit/verifier", follow_redirects=True)
        assert (
            "Intégrité rompue : une ligne de la table des événements est hors du"
            " journal (identifiant -7)." in text(flashed)
        )
        page = text(client.get("/audit"))
        assert (
            f"Ligne hors du journal identifiant -7 — event {event.originator_id}"
            f" version {event.originator_version} (domain.accounts:Account.Disabled)"
            " is stored with id -7, outside the log" in page
        )
        english = text(client.get("/audit?lang=en"))
        assert "Row outside the log id -7 — event" in english
        api = world.app.test_client().post(
            "/api/v1/audit/verification", headers=bearer(world, login("admin"))
        )
        first = api.get_json()["first_problem"]
        assert (first["kind"], first["position"], first["notification_id"]) == (
            "outside the log",
            0,
            -7,
        )
        refused = world.app.test_client().post(
            f"/api/v1/accounts/{login('member')}/grants",
            headers=bearer(world, login("admin")),
            json={"role": "auditor", "reason": "renfort"},
        )
        assert refused.status_code == 409
        assert refused.get_json()["error"]["code"] == "event_outside_log"
    finally:
        world.close()


def test_an_account_whose_versions_do_not_follow_answers_a_named_500(
    request: pytest.FixtureRequest,
    tmp_path_factory: Any,
    new_pg_schema_url: Any,
    backend: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Review of issue 12: a version gap stored with the guards removed made the
    library raise a bare AssertionError/OriginatorVersionError (500, no word). Now
    the API and the forms say what is wrong and what to run, and the log says it."""
    from eventsourcing.persistence import StoredEvent

    from tests.ledger.integrity_helpers import Tamperer, outside_event
    from tests.web.world import SPARE

    url = new_pg_schema_url() if backend == "postgres" else None
    world = open_world(request, tmp_path_factory, backend, url=url)
    try:
        server = (
            request.getfixturevalue("pg_server_url") if backend == "postgres" else None
        )
        tamper = Tamperer(backend, world.app.extensions["sdsi"].settings, server)
        event = outside_event(world.ledger, SPARE)
        gap = event.originator_version + 1
        tamper.remove_row_guards()
        with tamper.guarded() as conn:
            tamper.insert_row(
                conn,
                None,
                StoredEvent(event.originator_id, gap, event.topic, event.state),
            )
        oid = str(event.originator_id)
        french = (
            "Intégrité du registre compromise : les versions enregistrées de"
            f" l'agrégat {oid} ne se suivent pas (version {gap} après la version"
            f" {gap - 2}) ; rien n'a été fait. Faites lancer « sdsi verify »."
        )
        with caplog.at_level("ERROR"):
            api = world.app.test_client().post(
                f"/api/v1/accounts/{SPARE}/grants",
                headers=bearer(world, login("admin")),
                json={"role": "auditor", "reason": "renfort"},
            )
        assert api.status_code == 500
        assert api.get_json()["error"] == {
            "code": "ledger_corrupted",
            "message": french,
            "details": {"originator_id": oid, "previous": gap - 2, "found": gap},
        }
        assert f"ledger_corrupted: {french}" in caplog.messages
        caplog.clear()
        with caplog.at_level("ERROR"):
            page = world.client(login("admin")).post(
                f"/admin/comptes/{SPARE}/attribuer",
                data={"role": "auditor", "reason": "renfort"},
            )
        assert page.status_code == 500
        assert french in text(page)
        assert f"ledger_corrupted: {french}" in caplog.messages
        english = world.client(login("admin")).post(
            f"/admin/comptes/{SPARE}/attribuer?lang=en",
            data={"role": "auditor", "reason": "renfort"},
        )
        assert (
            f"Ledger integrity compromised: the stored versions of aggregate {oid}"
            f" do not follow each other (version {gap} after version {gap - 2});"
            " nothing was done. Have `sdsi verify` run." in text(english)
        )
    finally:
        world.close()


# --- proofs ---------------------------------------------------------------------------


def test_the_proof_page_gives_the_proof_and_how_to_check_it_with_verifier_py(
    site: Site, tmp_path: Path
) -> None:
    client = site.client(AUDITOR)
    page = client.get("/audit/preuve/3")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert (
        "python verifier.py inclusion preuve-3.json --key sdsi-cle-publique.pem" in body
    )
    assert leaf(site, 3) in body
    proof = client.get("/audit/preuve/3/preuve.json")
    assert "attachment" in proof.headers["Content-Disposition"]
    document = json.loads(proof.get_data(as_text=True))
    assert document["position"] == 3 and document["leaf_hash"] == leaf(site, 3)
    assert str(escape(json.dumps(document, indent=2, ensure_ascii=False))) in body
    (tmp_path / "preuve-3.json").write_bytes(proof.get_data())
    (tmp_path / "cle.pem").write_bytes(client.get("/audit/cle-publique.pem").get_data())
    verify = [
        sys.executable,
        str(VERIFIER),
        "inclusion",
        str(tmp_path / "preuve-3.json"),
        "--key",
        str(tmp_path / "cle.pem"),
    ]
    ok = subprocess.run(verify, capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    document["event"]["topic"] += "x"  # a forged event no longer verifies
    (tmp_path / "preuve-3.json").write_text(json.dumps(document))
    forged = subprocess.run(verify, capture_output=True, text=True, check=False)
    assert forged.returncode == 1


def test_an_event_after_the_latest_checkpoint_has_no_proof_yet(site: Site) -> None:
    site.ledger.submit_proposal(as_("referent"), OWN)
    site.caught_up()
    Sealer(site.ledger).run_once()
    head = site.head()
    client = site.client(AUDITOR)
    page = client.get(f"/audit?position={head}")
    assert "pas encore sous point de contrôle" in text(page)
    proof = client.get(f"/audit/preuve/{head}")
    assert proof.status_code == 200
    assert "Pas de preuve pour cette position" in text(proof)
    assert client.get(f"/audit/preuve/{head}/preuve.json").status_code == 404
    assert client.get(f"/audit/preuve/{head + 50}").status_code == 404
    api = (
        site.app.test_client()
        .get(f"/api/v1/audit/events/{head}", headers=bearer(site, AUDITOR))
        .get_json()
    )
    assert api["leaf_hash"] == leaf(site, head) and api["covered"] is False
    assert api["command"] == "submit_proposal" and api["position"] == head
    Sealer(site.ledger).checkpoint_now("tests")
    api = (
        site.app.test_client()
        .get(f"/api/v1/audit/events/{head}", headers=bearer(site, AUDITOR))
        .get_json()
    )
    assert api["covered"] is True
    assert (
        site.app.test_client()
        .get(f"/api/v1/audit/events/{head + 1}", headers=bearer(site, AUDITOR))
        .status_code
        == 404
    )


# --- as of, and the diff of two moments -----------------------------------------------


def test_the_as_of_picker_links_every_read_page_as_of_that_moment(site: Site) -> None:
    client = site.client(AUDITOR)
    moment = f"position:{site.head() - 3}"
    picked = client.get(f"/audit?as_of_position={site.head() - 3}")
    assert unquote(picked.headers["Location"]) == f"/audit?as_of={moment}"
    page = client.get(f"/audit?as_of={moment}")
    body = unquote(page.get_data(as_text=True))
    assert page.status_code == 200
    assert max(rows_shown(page)) == site.head() - 3
    links = 0
    for endpoint in ("/portefeuille", "/budget", "/arbitrages", "/seances", "/grille"):
        if any(r.rule == endpoint for r in site.app.url_map.iter_rules()):
            assert f'href="{endpoint}?as_of={moment}"' in body, endpoint
            links += 1
    assert links >= 3
    goto = client.get(f"/audit/fiche?code={OWN}&as_of={moment}")
    assert unquote(goto.headers["Location"]) == f"/fiches/{OWN}?as_of={moment}"
    assert client.get(goto.headers["Location"]).status_code == 200


def test_the_diff_lists_changed_proposals_envelopes_and_decisions(site: Site) -> None:
    site.caught_up()
    start = site.head()
    site.ledger.submit_proposal(as_("dsi"), OTHER)
    site.ledger.qualify_proposal(
        as_("dsi"),
        OTHER,
        {"costs": [{"year": 2026, "section": "investissement", "amount": "1200.00"}]},
    )
    site.ledger.vote_budget(
        as_("finance"), 2026, "investissement", "500000.00", "DEL-2026-01", "2026-01-15"
    )
    site.caught_up()
    end = site.head()
    api = site.app.test_client()
    answer = api.get(
        f"/api/v1/audit/diff?a=position:{end}&b=position:{start}",
        headers=bearer(site, AUDITOR),
    )
    assert answer.status_code == 200
    diff = answer.get_json()
    assert diff["a"] == {"as_of": f"position:{start}", "position": start}
    assert diff["b"] == {"as_of": f"position:{end}", "position": end}
    assert diff["proposals"] == [
        {
            "code": OTHER,
            "title": "Projet de test",
            "direction": "EDU",
            "added": False,
            "changes": {"status": {"old": "draft", "new": "qualified"}},
        }
    ]
    assert diff["envelopes"] == [
        {
            "year": 2026,
            "section": "investissement",
            "added": True,
            "changes": {
                "bp": {"old": None, "new": "500000.00"},
                "dm": {"old": None, "new": "0.00"},
                "total": {"old": None, "new": "500000.00"},
                "allocated": {"old": None, "new": "0.00"},
                "available": {"old": None, "new": "500000.00"},
            },
        }
    ]
    assert diff["decisions"] == []
    page = site.client(AUDITOR).get(f"/audit/diff?a=position:{start}&b=position:{end}")
    shown = text(page)
    assert page.status_code == 200
    assert "statut : Brouillon → Qualifiée" in shown
    assert "BP : — → 500 000,00 €" in shown
    assert "Aucune décision entre ces deux dates." in shown


def test_a_bad_moment_is_shown_next_to_its_field(site: Site) -> None:
    page = site.client(AUDITOR).get("/audit/diff?a=hier&b=position:1")
    assert page.status_code == 422
    assert 'aria-invalid="true" aria-describedby="e-a"' in page.get_data(as_text=True)
    assert site.client(AUDITOR).get("/audit/diff?a=position:1").status_code == 422
    assert site.client(AUDITOR).get("/audit/diff").status_code == 200
    api = site.app.test_client().get(
        "/api/v1/audit/diff?a=hier&b=position:1", headers=bearer(site, AUDITOR)
    )
    assert api.status_code == 422
    assert api.get_json()["error"]["code"] == "invalid_value"


# --- witnesses ------------------------------------------------------------------------


def test_the_witnesses_cosigned_sizes_and_failures_are_shown(
    site: Site, tmp_path: Path
) -> None:
    """One witness cosigns, one is unreachable: the page and the API say which."""
    import dataclasses

    from ledger.integrity import public_key_json
    from ledger.witness_config import witnesses_settings
    from ledger.witness_push import WitnessPusher
    from tests.conftest import _free_port
    from tests.ledger.witness_helpers import new_witness, served

    ledger = site.ledger
    log = (ledger.settings.ledger_origin, public_key_json(ledger)["vkey"])
    good = new_witness(tmp_path / "w1", "prefecture.example/w1", log)
    down = new_witness(tmp_path / "w2", "ccr.example/w", log)
    kept = ledger.settings
    with served(tmp_path / "w1") as url:
        config = (
            f"prefecture {url} {good}\nchambre http://127.0.0.1:{_free_port()} {down}"
        )
        ledger.settings = dataclasses.replace(
            kept, witnesses=witnesses_settings(config)
        )
        try:
            outcomes = [r.outcome for r in WitnessPusher(ledger).run_once()]
            assert outcomes == ["cosigned", "failing"]
            size = Sealer(ledger).latest_checkpoint.tree_size  # type: ignore[union-attr]
            page = text(site.client(AUDITOR).get("/audit"))
            api = site.app.test_client().get(
                "/api/v1/integrity/witnesses", headers=bearer(site, AUDITOR)
            )
        finally:
            ledger.settings = kept
    assert "Témoins" in page
    assert f"prefecture prefecture.example/w1 {size} (point #" in page
    assert "chambre ccr.example/w aucune — en échec (1 tentative(s)" in page
    assert "unreachable" in page
    body = api.get_json()
    assert api.status_code == 200, body
    assert [(w["label"], w["status"]) for w in body["witnesses"]] == [
        ("prefecture", "ok"),
        ("chambre", "failing"),
    ]
    assert body["witnesses"][0]["cosigned"]["tree_size"] == size
    assert body["witnesses"][1]["cosigned"] is None
    assert body["witnesses"][1]["attempts"] == 1
