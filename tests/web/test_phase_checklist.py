"""The phase checklist through the API and the pages, on both backends: the six
phases with their default deliverables, a phase refused completion while they are
not validated (409 naming them), a document submitted by the consultant (its SHA-256
in the ledger, the file downloadable), a record submitted from the page, validation
by the chair or by the DSI naming the COPIL decision, a phase completed with a
reason, and who may do what."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from ledger.core import Caller
from tests.web.ui_client import Site, text
from tests.web.world import bearer, login, open_world

TODAY = date.today().isoformat()
PDF = b"%PDF-1.4\n% note de cadrage de test\n"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(request, tmp_path_factory, request.param)
    yield running
    running.close()


def api(
    site: Site, who: str, method: str, url: str, body: Any = None, **kw: Any
) -> Any:
    client = site.app.test_client()
    headers = {**bearer(site, login(who)), **kw.pop("headers", {})}
    return client.open("/api/v1" + url, method=method, json=body, headers=headers, **kw)


def phase(site: Site, code: str) -> dict[str, Any]:
    doc = api(site, "auditor", "GET", "/plan/phases").get_json()
    return next(p for p in doc["phases"] if p["code"] == code)


def test_the_checklist_lists_each_phase_s_default_deliverables(site: Site) -> None:
    doc = api(site, "consultant", "GET", "/plan/phases").get_json()
    assert doc["plan"] == 1
    assert {
        p["code"]: [d["key"] for d in p["deliverables"]] for p in doc["phases"]
    } == {
        "cadrage": ["note_cadrage", "lettre_mission"],
        "revue_documentaire": ["inventaire_documents"],
        "alignement_strategique": ["axes_indicateurs"],
        "diagnostic_si": ["rapport_diagnostic", "inventaire_applicatif"],
        "evolutions_demandees": ["demandes_consolidees"],
        "plan_strategique_numerique": ["plan_feuille_de_route"],
    }
    cadrage = doc["phases"][0]
    assert (cadrage["status"], cadrage["missing"]) == (
        "planned",
        ["Note de cadrage", "Lettre de mission et gouvernance du projet"],
    )
    assert {d["status"] for p in doc["phases"] for d in p["deliverables"]} == {
        "expected"
    }


def test_a_phase_completes_once_its_deliverables_are_validated(site: Site) -> None:
    assert api(site, "dsi", "POST", "/plan/phases/cadrage/start", {"on": TODAY}).status_code == 201  # fmt: skip
    refused = api(site, "dsi", "POST", "/plan/phases/cadrage/complete", {"on": TODAY})
    error = refused.get_json()["error"]
    assert (refused.status_code, error["code"]) == (409, "deliverables_missing")
    assert error["details"]["field"] == "deliverables"
    assert error["details"]["deliverables"] == [
        "Note de cadrage",
        "Lettre de mission et gouvernance du projet",
    ]

    base = "/plan/phases/cadrage/deliverables"
    upload = {"file": (io.BytesIO(PDF), "note.pdf")}
    assert api(site, "member", "POST", f"{base}/note_cadrage/document", data=upload, content_type="multipart/form-data").status_code == 403  # fmt: skip
    sent = api(
        site,
        "consultant",
        "POST",
        f"{base}/note_cadrage/document",
        data={"file": (io.BytesIO(PDF), "note.pdf")},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 201, sent.get_json()
    digest = hashlib.sha256(PDF).hexdigest()
    assert sent.get_json()["result"]["deliverable"]["sha256"] == digest
    empty = api(site, "dsi", "POST", f"{base}/lettre_mission/submit", {"record_kind": "axes"})  # fmt: skip
    assert (empty.status_code, empty.get_json()["error"]["details"]["field"]) == (
        422,
        "file",
    )
    letter = b"%PDF-1.4\n% lettre de mission\n"
    assert api(site, "dsi", "POST", f"{base}/lettre_mission/document", data={"file": (io.BytesIO(letter), "lettre.pdf")}, content_type="multipart/form-data").status_code == 201  # fmt: skip

    assert api(site, "consultant", "POST", f"{base}/note_cadrage/validate", {}).status_code == 403  # fmt: skip
    assert api(site, "chair", "POST", f"{base}/note_cadrage/validate", {}).status_code == 201  # fmt: skip
    no_decision = api(site, "dsi", "POST", f"{base}/lettre_mission/validate", {})
    assert (no_decision.status_code, no_decision.get_json()["error"]["details"]["field"]) == (422, "copil_decision")  # fmt: skip
    key = {"Idempotency-Key": "valider-lettre-1"}
    sessions(site)
    body = {"copil_decision": HELD}
    first = api(site, "dsi", "POST", f"{base}/lettre_mission/validate", body, headers=key)  # fmt: skip
    again = api(site, "dsi", "POST", f"{base}/lettre_mission/validate", body, headers=key)  # fmt: skip
    assert (first.status_code, again.status_code, again.get_json()["replayed"]) == (
        201,
        200,
        True,
    )
    done = api(site, "chair", "POST", "/plan/phases/cadrage/complete", {"on": TODAY})
    assert done.status_code == 201, done.get_json()

    cadrage = phase(site, "cadrage")
    assert (cadrage["status"], cadrage["missing"], cadrage["override"]) == (
        "done",
        [],
        None,
    )
    note, lettre = cadrage["deliverables"]
    assert {
        k: note[k] for k in ("status", "owner", "sha256", "filename", "reviewed_by")
    } == {
        "status": "validated",
        "owner": "u.consultant",
        "sha256": digest,
        "filename": "note.pdf",
        "reviewed_by": "u.chair",
    }
    assert (lettre["reviewed_by"], lettre["decision"]) == ("u.dsi", HELD)
    file = api(site, "auditor", "GET", f"{base}/note_cadrage/files/{digest}")
    assert (file.status_code, file.get_data()) == (200, PDF)
    closed = api(
        site, "dsi", "POST", base, {"key": "x", "label": "X", "kind": "record"}
    )
    assert (closed.status_code, closed.get_json()["error"]["code"]) == (409, "phase_closed")  # fmt: skip


def test_a_phase_completes_without_its_deliverables_only_with_a_reason(
    site: Site,
) -> None:
    url = "/plan/phases/revue_documentaire"
    assert api(site, "dsi", "POST", f"{url}/start", {"on": TODAY}).status_code == 201
    bare = api(
        site,
        "dsi",
        "POST",
        f"{url}/complete",
        {"on": TODAY, "without_deliverables": True},
    )
    assert (bare.status_code, bare.get_json()["error"]["code"]) == (
        422,
        "reason_required",
    )
    body = {
        "on": TODAY,
        "without_deliverables": True,
        "reason": "inventaire remis sur papier",
    }
    assert api(site, "dsi", "POST", f"{url}/complete", body).status_code == 201
    revue = phase(site, "revue_documentaire")
    assert revue["status"] == "done"
    assert {k: revue["override"][k] for k in ("reason", "actor", "missing")} == {
        "reason": "inventaire remis sur papier",
        "actor": "u.dsi",
        "missing": ["Inventaire des documents existants"],
    }
    assert revue["missing"] == ["Inventaire des documents existants"]


def test_the_page_shows_the_checklist_and_its_forms_act(site: Site) -> None:
    dsi, consultant, chair = (
        site.client(login(r)) for r in ("dsi", "consultant", "chair")
    )
    assert api(site, "dsi", "POST", "/plan/phases/alignement_strategique/start", {"on": TODAY}).status_code == 201  # fmt: skip
    base = "/referentiel/plan/phases/alignement_strategique"
    refused = dsi.post(base + "/cloturer", data={"on": TODAY})
    assert refused.status_code == 409
    assert (
        "La phase « alignement_strategique » ne peut pas être terminée : livrables "
        "non validés : « Axes stratégiques et indicateurs »."
    ) in text(refused)
    assert site.client(login("member")).post(base + "/livrables/axes_indicateurs/soumettre", data={"record_kind": "axes"}).status_code == 403  # fmt: skip
    bad = consultant.post(
        base + "/livrables/axes_indicateurs/soumettre", data={"record_kind": "budget"}
    )
    assert bad.status_code == 422
    sent = consultant.post(
        base + "/livrables/axes_indicateurs/soumettre",
        data={"record_kind": "axes", "record_ref": "A1-A4"},
    )
    assert sent.status_code == 302
    assert chair.post(base + "/livrables/axes_indicateurs/valider", data={}).status_code == 302  # fmt: skip
    assert dsi.post(base + "/cloturer", data={"on": TODAY}).status_code == 302
    site.caught_up()
    page = site.client(login("auditor")).get("/referentiel/plan/phases")
    shown = text(page)
    assert page.status_code == 200
    assert (
        "Axes stratégiques et indicateurs enregistrement validé u.consultant "
        "axes et indicateurs (A1-A4) u.chair"
    ) in shown
    assert "Note de cadrage document validé u.consultant note.pdf" in shown
    assert (
        "Terminée sans tous ses livrables validés, par u.dsi" in shown
        and "inventaire remis sur papier" in shown
    )
    assert "/referentiel/plan/phases/diagnostic_si/livrables" not in page.get_data(as_text=True)  # fmt: skip
    forms = site.client(login("consultant")).get("/referentiel/plan/phases").get_data(as_text=True)  # fmt: skip
    assert "/referentiel/plan/phases/diagnostic_si/livrables/rapport_diagnostic/soumettre" in forms  # fmt: skip
    assert "/referentiel/plan/phases/diagnostic_si/livrables/rapport_diagnostic/valider" not in forms  # fmt: skip


HELD, CONVENED = "COPIL-T-TENUE", "COPIL-T-PREVUE"


def sessions(site: Site) -> None:
    """A session held (opened, then closed) and one only convened (once)."""
    if getattr(site, "copil_sessions", False):
        return
    site.copil_sessions = True  # type: ignore[attr-defined]
    chair = Caller(actor=login("chair"), reason="séances de test")
    seats = [login("chair"), login("member")]
    led = site.ledger
    led.convene_session(chair, HELD, "COPIL de test", "2026-01-15", seats)
    led.open_session(chair, HELD, seats)
    led.close_session(chair, HELD)
    led.convene_session(chair, CONVENED, "COPIL à venir", "2029-06-12", seats)
    site.caught_up()


def test_a_review_cites_a_held_session_of_the_copil(site: Site) -> None:
    sessions(site)
    not_held = (
        "Valeur invalide pour « Séance du COPIL qui a décidé » : « COPIL-T-PREVUE » "
        "(la séance du 12/06/2029 n'a pas encore été ouverte : citez une séance "
        "tenue (ouverte ou close))."
    )
    unknown = (
        "Valeur invalide pour « Séance du COPIL qui a décidé » : « COPIL-X » (aucune "
        "séance du COPIL de ce code)."
    )
    # the API: an inventory record submitted, then reviewed citing each kind
    api_base = "/plan/phases/diagnostic_si"
    assert api(site, "dsi", "POST", f"{api_base}/start", {"on": TODAY}).status_code == 201  # fmt: skip
    url = f"{api_base}/deliverables/inventaire_applicatif"
    assert api(site, "consultant", "POST", f"{url}/submit", {"record_kind": "inventory"}).status_code == 201  # fmt: skip
    for cited, message in (("COPIL-X", unknown), (CONVENED, not_held)):
        head = site.head()
        refused = api(site, "dsi", "POST", f"{url}/validate", {"copil_decision": cited})
        error = refused.get_json()["error"]
        assert (refused.status_code, error["details"]["field"], error["message"]) == (
            422,
            "copil_decision",
            message,
        )
        assert site.head() == head  # nothing written
    done = api(site, "dsi", "POST", f"{url}/validate", {"copil_decision": HELD})
    assert done.status_code == 201, done.get_json()
    assert done.get_json()["result"]["deliverable"]["decision"] == HELD

    # the page: the select offers the held sessions only, with their date
    ui_base = "/referentiel/plan/phases/evolutions_demandees"
    assert api(site, "dsi", "POST", "/plan/phases/evolutions_demandees/start", {"on": TODAY}).status_code == 201  # fmt: skip
    consultant, dsi = (site.client(login(r)) for r in ("consultant", "dsi"))
    sent = consultant.post(
        ui_base + "/livrables/demandes_consolidees/soumettre",
        data={"record_kind": "portfolio"},
    )
    assert sent.status_code == 302
    site.caught_up()
    form = dsi.get("/referentiel/plan/phases").get_data(as_text=True)
    assert f'<option value="{HELD}">{HELD} — COPIL de test (15 janvier 2026)</option>' in form  # fmt: skip
    assert f'<option value="{CONVENED}"' not in form
    for cited, message in (("COPIL-X", unknown), (CONVENED, not_held)):
        head = site.head()
        page = dsi.post(
            ui_base + "/livrables/demandes_consolidees/valider",
            data={"copil_decision": cited},
        )
        assert page.status_code == 422
        assert message.split(" : ", 1)[1] in text(page)
        assert site.head() == head
    assert dsi.post(ui_base + "/livrables/demandes_consolidees/valider", data={"copil_decision": HELD}).status_code == 302  # fmt: skip
    site.caught_up()
    shown = site.client(login("auditor")).get("/referentiel/plan/phases")
    assert (
        "Demandes consolidées (portefeuille) enregistrement validé u.consultant "
        "portefeuille des demandes u.dsi · séance COPIL-T-TENUE du 15 janvier 2026"
    ) in text(shown)
    assert f'<a href="/seances/{HELD}">séance {HELD} du 15 janvier 2026</a>' in shown.get_data(as_text=True)  # fmt: skip
