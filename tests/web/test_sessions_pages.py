"""COPIL pages on both backends: sessions, one session and its forms, the decision
form, the arbitration history; roles, read-your-writes, refusals, CSRF."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from domain.localtime import local_date
from ledger.app import open_ledger
from ledger.core import Caller
from ledger.keys import ensure_signing_key
from projections import queries as q
from tests.conftest import make_settings
from tests.demo_template import demo_copy
from tests.web.demo_site import token
from tests.web.ui_client import Site, open_site, post_forms, text
from web.formatting import num


def paris_today() -> date:
    """Today in Europe/Paris (the default SDSI_TIMEZONE)."""
    return local_date(datetime.now(UTC), "Europe/Paris")


OPEN = "COPIL-2026-11-24"  # the demo's last session: open, votes in progress
CLOSED = "COPIL-2021-03-18"
CHAIR = "dgs.lefebvre"
EVERYONE = [
    CHAIR,
    "elu.dubois",
    "dsi.martin",
    "eval.petit",
    "fin.garnier",
    "audit.crc",
    "admin.sdsi",
    "ref.dsn",
]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    """The demo municipality behind a running app (once per backend for this module)."""
    tmp = tmp_path_factory.mktemp(f"sessions-{request.param}")
    # A copy of the demo, projected (tests/demo_template.py)
    url = demo_copy(request, str(request.param), tmp, "projected")
    settings = make_settings(tmp / "data", url)
    led = open_ledger(settings)
    running = open_site(settings, led)
    running.caught_up()
    yield running
    running.close()


def as_(actor: str) -> Caller:
    return Caller(actor=actor, reason="préparation du test")


def qualified(site: Site, code: str, amount: str = "10000.00") -> str:
    """A fresh proposal, submitted and qualified by the DSI (2026 investment)."""
    dsi = as_("dsi.martin")
    costs = [{"year": 2026, "section": "investissement", "amount": amount}]
    site.ledger.draft_proposal(
        dsi,
        code,
        "DSN",
        {
            "title": f"Projet {code}",
            "description": "Projet de démonstration des tests.",
            "costs": costs,
        },
    )
    site.ledger.submit_proposal(dsi, code)
    site.ledger.qualify_proposal(dsi, code, {"costs": costs, "note": "Chiffrage test"})
    return code


def open_session(
    site: Site, code: str, items: list[str], voting: list[str], present: list[str]
) -> str:
    """A session convened by the chair with ``items``, opened with ``present``."""
    chair = as_(CHAIR)
    site.ledger.convene_session(
        chair, code, f"Séance {code}", "2026-12-01", voting, ["dsi.martin"]
    )
    for item in items:
        site.ledger.add_agenda_item(chair, code, item)
    site.ledger.open_session(chair, code, present)
    site.caught_up()
    return code


def field_error(page: str, field_id: str) -> str:
    """The error message tied to an input by aria-describedby (empty if none)."""
    tag = re.search(rf'<(?:input|textarea|select)[^>]*id="{field_id}"[^>]*>', page)
    assert tag, f"no field {field_id}"
    described = re.search(r'aria-describedby="([^"]+)"', tag.group(0))
    if not described:
        return ""
    message = re.search(
        rf'<p class="error" id="{described.group(1)}">([^<]*)</p>', page
    )
    return html.unescape(message.group(1)) if message else ""


# --- reading --------------------------------------------------------------------------


def test_sessions_list_renders_for_every_role_with_the_convene_form_for_the_chair(
    site: Site,
) -> None:
    for user in EVERYONE:
        response = site.client(user).get("/seances")
        assert response.status_code == 200, user
        assert "Comité de pilotage du SDSI — 24/11/2026" in text(response)
        assert ("/seances/convoquer" in post_forms(response)) == (user == CHAIR), user


def test_sessions_pages_send_anonymous_visitors_to_the_login_page(site: Site) -> None:
    for url in ("/seances", f"/seances/{OPEN}", "/arbitrages"):
        response = site.client().get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/connexion")


def test_session_page_shows_agenda_live_quorum_and_a_vote_form_per_undecided_item(
    site: Site,
) -> None:
    response = site.client("elu.dubois").get(f"/seances/{OPEN}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'data-live-url="/api/v1/sessions/{OPEN}"' in page
    assert re.search(r"<strong data-quorum class=\"quorum met\">6 / 4</strong>", page)
    agenda = q.session(site.read_model.store, OPEN)["agenda"]  # type: ignore[index]
    # SIGNAL is not there: the COPIL rejected it with SIG, the project it requires
    assert agenda == ["TABLETTE", "FIBRE", "CLOUD", "ARCHIVE"]
    assert post_forms(response) == [f"/seances/{OPEN}/votes"] * 4
    assert "3 pour, 0 contre, 0 abstention(s)" in text(response)  # the demo's votes


def test_live_quorum_source_answers_the_fields_the_script_reads(site: Site) -> None:
    data = site.client("elu.dubois").get(f"/api/v1/sessions/{OPEN}").get_json()
    assert (data["present_voting"], data["quorum_required"], data["quorum_met"]) == (
        6,
        4,
        True,
    )


def test_committee_api_lists_who_may_be_convened_for_the_chair_only(site: Site) -> None:
    response = site.client(CHAIR).get("/api/v1/committee")
    members = {m["username"]: m for m in response.get_json()["members"]}
    assert response.status_code == 200
    assert members[CHAIR] == {
        "username": CHAIR,
        "display_name": "Hélène Lefebvre",
        "roles": ["chair", "member"],
        "can_vote": True,
    }
    assert members["fin.garnier"]["can_vote"] is False
    assert {"eval.petit", "audit.crc", "ref.dsn"}.isdisjoint(members)
    assert site.client("elu.dubois").get("/api/v1/committee").status_code == 403


def test_absent_member_and_non_members_get_no_vote_form(site: Site) -> None:
    absent = site.client("elu.simon").get(f"/seances/{OPEN}")
    assert post_forms(absent) == []
    assert "Vous êtes noté(e) absent(e) : vous ne pouvez pas voter." in text(absent)
    for user in ("dsi.martin", "audit.crc", "ref.dsn"):
        response = site.client(user).get(f"/seances/{OPEN}")
        assert response.status_code == 200
        # The DSI may attach documents to a session (issue 17): its one form is that
        # upload, never a vote.
        expected = [f"/seances/{OPEN}/pieces-jointes"] if user == "dsi.martin" else []
        assert post_forms(response) == expected, user


def test_chair_sees_decision_links_attendance_and_a_confirmed_close_form(
    site: Site,
) -> None:
    item = qualified(site, "T-SEE")
    site.caught_up()
    response = site.client(CHAIR).get(f"/seances/{OPEN}")
    page = response.get_data(as_text=True)
    forms = post_forms(response)
    assert forms.count(f"/seances/{OPEN}/presences") == 9  # one per convened member
    assert f"/seances/{OPEN}/ordre-du-jour" in forms
    assert f'<option value="{item}">{item} — Projet {item} (Qualifiée)</option>' in page
    assert f"/seances/{OPEN}/clore" in forms
    assert 'data-confirm="Clore définitivement la séance ?"' in page
    assert page.count(f'href="/seances/{OPEN}/arbitrer/') == 4


def test_session_page_as_of_shows_the_older_state_without_any_form(site: Site) -> None:
    opened = q.session(site.read_model.store, OPEN)["positions"]["opened"]  # type: ignore[index]
    response = site.client(CHAIR).get(f"/seances/{OPEN}?as_of=position:{opened}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert post_forms(response) == []
    assert "data-live-url" not in page
    assert "0 pour, 0 contre, 0 abstention(s)" in text(response)  # votes came later


def test_closed_session_lists_its_decisions_with_votes(site: Site) -> None:
    doc = q.session(site.read_model.store, CLOSED)
    response = site.client("audit.crc").get(f"/seances/{CLOSED}")
    body = text(response)
    assert response.status_code == 200
    assert post_forms(response) == []
    assert body.count("Motivation :") == len(doc["decision_records"])  # type: ignore[index]
    first = doc["decision_records"][0]  # type: ignore[index]
    assert f"#{first['position']}" in body


def test_decisions_page_renders_for_readers_and_is_refused_to_referents(
    site: Site,
) -> None:
    for user in EVERYONE:
        response = site.client(user).get("/arbitrages")
        assert response.status_code == (403 if user == "ref.dsn" else 200), user


def test_decisions_page_filters_and_links_each_decision_to_its_evidence(
    site: Site,
) -> None:
    store = site.read_model.store
    expected = q.decision_history(store, session=CLOSED, outcome="deferred")
    response = site.client(CHAIR).get(f"/arbitrages?session={CLOSED}&outcome=deferred")
    page, body = response.get_data(as_text=True), text(response)
    assert response.status_code == 200
    assert f"{len(expected)} décision(s)." in body
    assert re.findall(r'<tr id="d-(\d+)">', page) == [
        str(d["position"]) for d in expected[::-1]
    ]
    d = expected[0]
    detail = site.client(CHAIR).get(f"/arbitrages/{d['position']}")
    assert detail.status_code == 200
    page, body = detail.get_data(as_text=True), text(detail)
    for position in [
        d["position"],
        *d["positions"]["votes"],
        *d["positions"]["scores"],
    ]:
        assert f'href="/audit?position={position}"' in page
    grid = {g["number"]: g for g in q.grids(store)}[d["grid_version"]]
    assert f'href="/audit?position={grid["adopted_position"]}"' in page
    assert f'href="/grille?v={d["grid_version"]}"' in page
    assert "Notes consolidées par critère" in body


def history_text(client: Any, session: str) -> str:
    """The arbitration history of ``session``: its list, then each decision's page."""
    listed = client.get(f"/arbitrages?session={session}")
    pages = [text(listed)]
    for position in re.findall(
        r'href="/arbitrages/(\d+)"', listed.get_data(as_text=True)
    ):
        pages.append(text(client.get(f"/arbitrages/{position}")))
    return " ".join(pages)


def test_an_unknown_decision_is_not_found(site: Site) -> None:
    assert site.client(CHAIR).get("/arbitrages/999999999").status_code == 404


def test_decisions_page_refuses_a_malformed_date_next_to_its_field(site: Site) -> None:
    response = site.client(CHAIR).get("/arbitrages?since=demain")
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "df-since") == (
        "Date attendue (AAAA-MM-JJ)."
    )


def test_decisions_page_as_of_shows_only_the_decisions_taken_by_then(
    site: Site,
) -> None:
    first = q.decision_history(site.read_model.store)[0]["position"]
    response = site.client("audit.crc").get(f"/arbitrages?as_of=position:{first}")
    assert "1 décision(s)." in text(response)


# --- forms: roles ---------------------------------------------------------------------


def test_session_forms_are_refused_to_roles_without_the_permission(site: Site) -> None:
    head = site.head()
    member, dsi = site.client("elu.dubois"), site.client("dsi.martin")
    assert member.post("/seances/convoquer", data={"code": "X"}).status_code == 403
    assert member.post(f"/seances/{OPEN}/clore").status_code == 403
    assert member.get(f"/seances/{OPEN}/arbitrer/FIBRE").status_code == 403
    vote = {"proposal": "FIBRE", "choice": "for"}
    assert dsi.post(f"/seances/{OPEN}/votes", data=vote).status_code == 403
    assert site.head() == head


# --- forms: refusals ------------------------------------------------------------------


def test_vote_by_an_absent_member_is_refused_and_writes_nothing(site: Site) -> None:
    head = site.head()
    response = site.client("elu.simon").post(
        f"/seances/{OPEN}/votes", data={"proposal": "FIBRE", "choice": "for"}
    )
    assert response.status_code == 409
    assert (
        f"elu.simon n'est pas présent(e) à la séance {OPEN} : pas de vote possible."
        in text(response)
    )
    assert site.head() == head


def test_vote_without_a_choice_is_refused_next_to_the_choices(site: Site) -> None:
    head = site.head()
    response = site.client("elu.dubois").post(
        f"/seances/{OPEN}/votes", data={"proposal": "FIBRE"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    index = q.session(site.read_model.store, OPEN)["agenda"].index("FIBRE") + 1  # type: ignore[index]
    assert f'<p class="error" id="e-vote-{index}">Champ obligatoire.</p>' in page
    assert f'aria-describedby="e-vote-{index}"' in page
    assert site.head() == head


def test_closing_with_undecided_items_is_refused_and_writes_nothing(site: Site) -> None:
    head = site.head()
    response = site.client(CHAIR).post(f"/seances/{OPEN}/clore")
    assert response.status_code == 409
    assert (
        f"La séance {OPEN} ne peut pas être close : sans décision pour TABLETTE, FIBRE"
    ) in text(response)
    assert '<p class="error" id="e-close">' in response.get_data(as_text=True)
    assert site.head() == head


def test_decision_without_quorum_is_refused_and_writes_nothing(site: Site) -> None:
    item = qualified(site, "T-QUORUM")
    code = open_session(
        site,
        "T-QUORUM",
        [item],
        [CHAIR, "elu.dubois", "elu.moreau"],
        [CHAIR, "dsi.martin"],
    )
    head = site.head()
    response = site.client(CHAIR).post(
        f"/seances/{code}/arbitrer/{item}",
        data={"outcome": "rejected", "rationale": "Valeur insuffisante."},
    )
    assert response.status_code == 409
    assert (
        f"Quorum non atteint pour la séance {code} : 1 membre(s) votant(s) "
        "présent(s), 2 requis."
    ) in text(response)
    assert site.head() == head


def test_decision_against_the_majority_needs_a_justification(site: Site) -> None:
    item = qualified(site, "T-MAJ")
    code = open_session(
        site,
        "T-MAJ",
        [item],
        [CHAIR, "elu.dubois", "elu.moreau"],
        [CHAIR, "elu.dubois", "elu.moreau"],
    )
    for member in ("elu.dubois", "elu.moreau"):
        site.ledger.cast_vote(as_(member), code, item, "against")
    site.caught_up()
    chair = site.client(CHAIR)
    form = chair.get(f"/seances/{code}/arbitrer/{item}")
    assert "0 pour, 2 contre, 0 abstention(s)" in text(form)
    assert "majorité défavorable : une approbation doit être justifiée" in text(form)
    approval = {
        "outcome": "approved",
        "rationale": "Projet structurant.",
        "ap_amount": "10000.00",
        "cp-0-year": "2026",
        "cp-0-section": "investissement",
        "cp-0-amount": "10000.00",
    }
    head = site.head()
    refused = chair.post(f"/seances/{code}/arbitrer/{item}", data=approval)
    assert refused.status_code == 422
    assert field_error(refused.get_data(as_text=True), "f-justification") == (
        f"La décision « approuvée » sur {item} s'écarte de la majorité du vote "
        "(0 pour, 2 contre) : une justification est obligatoire."
    )
    assert 'value="10000.00"' in refused.get_data(as_text=True)  # the form is kept
    assert site.head() == head

    done = chair.post(
        f"/seances/{code}/arbitrer/{item}",
        follow_redirects=True,
        data={**approval, "justification": "Obligation de sécurité."},
    )
    assert done.status_code == 200 and done.history[0].status_code == 302
    assert "Session.DecisionRecorded" in site.events_since(head)
    assert f"Décision enregistrée sur {item}." in text(done)
    history = history_text(site.client(CHAIR), code)
    assert "contraire à la majorité du vote : Obligation de sécurité." in history


def test_convening_without_title_or_voting_member_is_refused_next_to_the_fields(
    site: Site,
) -> None:
    head = site.head()
    response = site.client(CHAIR).post(
        "/seances/convoquer",
        data={
            "code": "T-BAD",
            "on": "2027-01-12",
            "seat-elu.dubois": "",
            "seat-dsi.martin": "non_voting",
            "quorum_kind": "majority",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "cv-title") == "Champ obligatoire."
    assert '<p class="error" id="cv-e-seats">Champ obligatoire.</p>' in page
    assert 'value="T-BAD"' in page
    assert site.head() == head


# --- forms: the happy path, end to end ------------------------------------------------


def test_chair_and_members_run_a_session_through_every_form(site: Site) -> None:
    first, second = qualified(site, "T-RUN-1"), qualified(site, "T-RUN-2")
    site.caught_up()
    chair = site.client(CHAIR)
    code = "T-RUN"

    def step(client: Any, url: str, data: dict[str, Any], event: str) -> str:
        head = site.head()
        response = client.post(url, data=data, follow_redirects=True)
        assert response.status_code == 200, text(response)
        assert response.history and response.history[0].status_code == 302
        assert event in site.events_since(head)
        return text(response)

    page = step(
        chair,
        "/seances/convoquer",
        {
            "code": code,
            "title": "Séance de test",
            "on": paris_today().isoformat(),  # opened on its day: no reason needed
            "seat-dgs.lefebvre": "voting",
            "seat-elu.dubois": "voting",
            "seat-elu.moreau": "voting",
            "seat-dsi.martin": "non_voting",
            "quorum_kind": "count",
            "quorum_value": "2",
        },
        "Session.Convened",
    )
    assert f"Séance {code} convoquée." in page
    assert "au moins 2 membre(s) votant(s) présent(s) — 2 requis sur 3" in page

    page = step(
        chair,
        f"/seances/{code}/ordre-du-jour",
        {"proposal": first},
        "Session.ItemAdded",
    )
    step(
        chair,
        f"/seances/{code}/ordre-du-jour",
        {"proposal": second},
        "Session.ItemAdded",
    )
    page = step(
        chair,
        f"/seances/{code}/ordre-du-jour/retirer",
        {"proposal": second},
        "Session.ItemRemoved",
    )
    assert f"Fiche {second} retirée de l'ordre du jour." in page
    assert q.session(site.read_model.store, code)["agenda"] == [first]  # type: ignore[index]

    page = step(
        chair,
        f"/seances/{code}/ouvrir",
        {"present": [CHAIR, "elu.dubois", "dsi.martin"]},
        "Session.Opened",
    )
    assert "Membres votants présents / quorum requis : 2 / 2 quorum atteint" in page
    page = step(
        chair,
        f"/seances/{code}/presences",
        {"member": "elu.moreau", "present": "true"},
        "Session.AttendanceChanged",
    )
    assert "3 / 2" in page

    dubois, moreau = site.client("elu.dubois"), site.client("elu.moreau")
    url = f"/seances/{code}/votes"
    step(dubois, url, {"proposal": first, "choice": "against"}, "Session.VoteCast")
    page = step(dubois, url, {"proposal": first, "choice": "for"}, "Session.VoteCast")
    assert "Votre vote actuel : Pour" in page
    step(moreau, url, {"proposal": first, "choice": "abstain"}, "Session.VoteCast")
    votes = q.votes(site.read_model.store, session=code)
    assert [(v["member"], v["choice"], v["current"]) for v in votes] == [
        ("elu.dubois", "against", False),
        ("elu.dubois", "for", True),
        ("elu.moreau", "abstain", True),
    ]

    page = step(
        chair,
        f"/seances/{code}/arbitrer/{first}",
        {
            "outcome": "approved",
            "rationale": "Valeur élevée, coût maîtrisé.",
            "ap_amount": "10000.00",
            "cp-0-year": "2026",
            "cp-0-section": "investissement",
            "cp-0-amount": "10000.00",
        },
        "Session.DecisionRecorded",
    )
    assert "Valeur élevée, coût maîtrisé." in page
    again = chair.get(f"/seances/{code}/arbitrer/{first}")
    assert again.status_code == 302  # decided: back to the session page
    assert "10 000,00 €" in page

    page = step(chair, f"/seances/{code}/clore", {}, "Session.Closed")
    assert "Séance close." in page
    assert q.session(site.read_model.store, code)["status"] == "closed"  # type: ignore[index]

    body = history_text(site.client("audit.crc"), code)
    assert "1 décision(s)." in body
    assert "elu.dubois Contre remplacé" in body
    assert "elu.dubois Pour en vigueur" in body


# --- a session opened before its day --------------------------------------------------

EARLY = (
    "La séance T-EARLY est datée du {on} : l'ouvrir dès le {today} demande un motif "
    "d'ouverture anticipée, enregistré avec l'ouverture."
)


def test_a_session_opened_before_its_day_needs_a_reason_shown_on_its_page_and_audit(
    site: Site,
) -> None:
    item = qualified(site, "T-EARLY-1")
    code, today = "T-EARLY", paris_today()
    on = today + timedelta(days=9)
    chair = as_(CHAIR)
    site.ledger.convene_session(
        chair, code, "Séance avancée", on, [CHAIR, "elu.dubois"]
    )
    site.ledger.add_agenda_item(chair, code, item)
    site.caught_up()
    browser = site.client(CHAIR)
    page = browser.get(f"/seances/{code}")
    assert 'id="f-early_reason" name="early_reason"' in page.get_data(as_text=True)
    message = EARLY.format(on=on.strftime("%d/%m/%Y"), today=today.strftime("%d/%m/%Y"))

    head = site.head()
    refused = browser.post(
        f"/seances/{code}/ouvrir", data={"present": [CHAIR, "elu.dubois"]}
    )
    assert refused.status_code == 422
    assert message in text(refused)
    shown = re.search(
        r'<p class="error" id="e-early_reason">(.*?)</p>', refused.get_data(True)
    )
    assert shown and html.unescape(shown.group(1)) == message  # next to the field
    api = site.client().post(
        f"/api/v1/sessions/{code}/open",
        json={"present": [CHAIR, "elu.dubois"]},
        headers=token(site, CHAIR),
    )
    assert api.status_code == 422
    error = api.get_json()["error"]
    assert (error["code"], error["details"]["field"], error["message"]) == (
        "opened_before_session_date",
        "early_reason",
        message,
    )
    assert site.head() == head

    reason = "Conseil municipal avancé : avis du COPIL attendu avant."
    done = browser.post(
        f"/seances/{code}/ouvrir",
        data={"present": [CHAIR, "elu.dubois"], "early_reason": reason},
        follow_redirects=True,
    )
    assert done.status_code == 200
    body = text(done)
    assert "Séance ouverte." in body
    assert f"Motif de l'ouverture anticipée {reason}" in body
    doc = q.session(site.read_model.store, code)
    assert doc is not None and doc["early_reason"] == reason
    opened = doc["positions"]["opened"]
    ensure_signing_key(site.app.extensions["sdsi"].settings)  # the audit page needs it
    audit = text(site.client("audit.crc").get(f"/audit?position={opened}"))
    assert reason in audit
    assert q.session(site.read_model.store, code)["times"]["opened"]  # type: ignore[index]


# --- CSRF -----------------------------------------------------------------------------


def test_a_vote_without_the_csrf_token_is_refused(site: Site) -> None:
    head = site.head()
    site.app.config["WTF_CSRF_ENABLED"] = True
    try:
        member = site.client("elu.dubois")
        refused = member.post(
            f"/seances/{OPEN}/votes", data={"proposal": "FIBRE", "choice": "for"}
        )
        assert refused.status_code == 400
        assert site.head() == head
        page = member.get(f"/seances/{OPEN}").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token
        accepted = member.post(
            f"/seances/{OPEN}/votes",
            data={
                "proposal": "FIBRE",
                "choice": "abstain",
                "csrf_token": token.group(1),
            },
        )
        assert accepted.status_code == 302
        assert site.events_since(head) == ["Session.VoteCast"]
    finally:
        site.app.config["WTF_CSRF_ENABLED"] = False


def test_session_page_shows_the_grid_of_the_session_and_the_evidence_on_it(
    site: Site,
) -> None:
    """The open session was convened on v2, the first ones on v1; each item's value is
    its evidence on the session's version (what a decision will record)."""
    for code, version in ((OPEN, 2), (CLOSED, 1)):
        page = site.client(CHAIR).get(f"/seances/{code}").get_data(as_text=True)
        assert f'<dd id="grid-version">v{version} (' in page, code
    doc = q.session(site.read_model.store, OPEN)
    assert doc is not None
    evidence = doc["evidence"]["TABLETTE"]
    assert (evidence["grid_version"], evidence["complete"]) == (2, True)
    with site.app.test_request_context():
        shown = num(q.score(evidence["value_x100"]))
    row = re.search(
        r'<td><a href="/fiches/TABLETTE">TABLETTE</a>.*?</tr>',
        site.client(CHAIR).get(f"/seances/{OPEN}").get_data(as_text=True),
        re.S,
    )
    assert row and f'<td class="num">{shown}</td>' in row.group(0)


def test_decision_form_shows_a_broken_dependency_and_the_override_is_listed(
    site: Site,
) -> None:
    """An item requiring a proposal the COPIL rejected: the form says so before the
    chair submits, the approval is refused without override and recorded, flagged,
    with one."""
    dsi = as_("dsi.martin")
    item = qualified(site, "T-DEP")
    costs = [{"year": 2026, "section": "investissement", "amount": "10000.00"}]
    site.ledger.qualify_proposal(
        dsi,
        item,
        {
            "costs": costs,
            "dependencies": [{"kind": "requires", "proposal": "MOBIL"}],
            "note": "Chiffrage test",
        },
    )
    members = [CHAIR, "elu.dubois", "elu.moreau"]
    code = open_session(site, "T-DEP", [item], members, members)
    chair = site.client(CHAIR)
    broken = (
        f"{item} requiert la fiche MOBIL, qui est rejetée : l'approuver exige un "
        "forçage motivé du président."
    )
    form = chair.get(f"/seances/{code}/arbitrer/{item}")
    assert broken in text(form)
    assert "Règles qu'une approbation enfreindrait" in text(form)
    approval = {
        "outcome": "approved",
        "rationale": "Projet structurant.",
        "ap_amount": "10000.00",
        "cp-0-year": "2026",
        "cp-0-section": "investissement",
        "cp-0-amount": "10000.00",
    }
    head = site.head()
    refused = chair.post(f"/seances/{code}/arbitrer/{item}", data=approval)
    assert refused.status_code == 409
    assert broken in text(refused)
    assert site.head() == head
    done = chair.post(
        f"/seances/{code}/arbitrer/{item}",
        data={**approval, "override_reason": "Obligation légale de 2026."},
    )
    assert done.status_code == 302
    site.caught_up()
    history = history_text(chair, code)
    assert (
        "Approbation forcée Obligation légale de 2026. — règles enfreintes : "
        "requiert la fiche MOBIL, rejetée"
    ) in history
    api = chair.get(f"/api/v1/decisions?session={code}").get_json()["decisions"]
    assert [(d["override"], d["conflicts"]) for d in api] == [
        (
            True,
            [
                {
                    "rule": "requires",
                    "target": "MOBIL",
                    "status": "rejected",
                    "year": None,
                    "limit": None,
                    "used": None,
                    "requested": None,
                    "available": None,
                }
            ],
        )
    ]


def test_a_milestone_reached_in_the_future_is_refused_by_the_api_naming_the_field(
    site: Site,
) -> None:
    headers = token(site, "dsi.martin")
    head = site.head()
    response = site.client().post(
        "/api/v1/proposals/SITEWEB/milestones/CADRAGE/reached",
        json={"on": "2999-01-01"},
        headers=headers,
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert (error["code"], error["details"]["field"]) == ("date_in_future", "on")
    assert error["message"].startswith(
        "La date 2999-01-01 est postérieure au jour de l'enregistrement ("
    )
    assert site.head() == head


# --- the evidence the chair was shown ---------------------------------------------------

CHANGED = "Les éléments de décision ont changé depuis l'affichage : relisez-les"


def shown_fingerprint(page: Any) -> str:
    found = re.search(
        r'name="evidence" value="([0-9a-f]{64})"', page.get_data(as_text=True)
    )
    assert found, "the decision form carries no evidence fingerprint"
    return found.group(1)


def score(site: Site, item: str, level: int) -> None:
    """eval.petit scores one value criterion of the session's grid (v2)."""
    site.ledger.score_proposal(
        as_("eval.petit"),
        item,
        1,
        2,
        {"V-STRAT": {"level": level, "justification": "Revu en séance"}},
    )


@pytest.mark.parametrize("change", ["score", "vote"])
def test_a_decision_on_evidence_changed_since_the_form_is_refused_and_writes_nothing(
    site: Site, change: str
) -> None:
    """A score or a vote lands between the form and the submission: the decision the
    chair sends with the fingerprint of what they saw is refused (409), nothing is
    written, the form shows the new evidence; sent again with it, it is recorded."""
    item = qualified(site, f"T-EV-{change}")
    members = [CHAIR, "elu.dubois", "elu.moreau"]
    code = open_session(site, f"T-EV-{change}", [item], members, members)
    chair = site.client(CHAIR)
    form = chair.get(f"/seances/{code}/arbitrer/{item}")
    seen = shown_fingerprint(form)
    if change == "score":
        score(site, item, 3)
    else:  # a vote the rejection follows (one against it would need a justification)
        site.ledger.cast_vote(as_("elu.dubois"), code, item, "against")
    site.caught_up()
    decision = {"outcome": "rejected", "rationale": "Hors priorités.", "evidence": seen}
    head = site.head()
    refused = chair.post(f"/seances/{code}/arbitrer/{item}", data=decision)
    assert refused.status_code == 409
    assert f"{CHANGED} (fiche {item}, séance {code})." in text(refused)
    assert site.head() == head
    now = shown_fingerprint(refused)
    assert now != seen
    done = chair.post(
        f"/seances/{code}/arbitrer/{item}", data={**decision, "evidence": now}
    )
    assert done.status_code == 302
    assert "Session.DecisionRecorded" in site.events_since(head)


def test_the_api_takes_the_fingerprint_of_the_session_or_none(site: Site) -> None:
    """The session read gives each undecided item's fingerprint; a decision sent with
    it is recorded, with a stale one refused (409 ``evidence_changed``), without one
    recorded as before."""
    items = [qualified(site, "T-EV-API1"), qualified(site, "T-EV-API2")]
    members = [CHAIR, "elu.dubois", "elu.moreau"]
    code = open_session(site, "T-EV-API", items, members, members)
    headers = token(site, CHAIR)
    api = site.client()
    shown = api.get(f"/api/v1/sessions/{code}", headers=headers).get_json()
    assert sorted(shown["fingerprints"]) == items
    stale = shown["fingerprints"][items[0]]
    score(site, items[0], 2)
    site.caught_up()
    head = site.head()
    body = {"proposal": items[0], "outcome": "deferred", "rationale": "À revoir."}
    refused = api.post(
        f"/api/v1/sessions/{code}/decisions",
        json={**body, "evidence": stale},
        headers=headers,
    )
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert (error["code"], error["details"]["field"]) == (
        "evidence_changed",
        "evidence",
    )
    assert error["message"] == f"{CHANGED} (fiche {items[0]}, séance {code})."
    assert site.head() == head
    fresh = api.get(f"/api/v1/sessions/{code}", headers=headers).get_json()
    assert fresh["fingerprints"][items[0]] != stale
    assert fresh["fingerprints"][items[1]] == shown["fingerprints"][items[1]]
    ok = api.post(
        f"/api/v1/sessions/{code}/decisions",
        json={**body, "evidence": fresh["fingerprints"][items[0]]},
        headers=headers,
    )
    assert ok.status_code == 201, ok.get_json()
    without = api.post(
        f"/api/v1/sessions/{code}/decisions",
        json={**body, "proposal": items[1]},
        headers=headers,
    )
    assert without.status_code == 201, without.get_json()
    malformed = api.post(
        f"/api/v1/sessions/{code}/decisions",
        json={**body, "evidence": "abc"},
        headers=headers,
    )
    assert malformed.status_code == 422


def test_the_decision_form_warns_when_the_views_lag_and_the_ledger_refuses_them(
    site: Site,
) -> None:
    """The follower stopped, a vote lands: the form shows the views' older evidence
    with a warning that they lag; the decision sent on it is refused (the ledger has
    the vote). Followed again, the form has no warning and the decision passes."""
    from projections.service import Follower

    item = qualified(site, "T-EV-LAG")
    members = [CHAIR, "elu.dubois", "elu.moreau"]
    code = open_session(site, "T-EV-LAG", [item], members, members)
    web = site.app.extensions["sdsi"]
    web.follower.close()
    web.follower = None
    try:
        site.ledger.cast_vote(as_("elu.moreau"), code, item, "against")
        chair = site.client(CHAIR)
        form = chair.get(f"/seances/{code}/arbitrer/{item}")
        assert (
            "Les vues ont 1 événement(s) de retard sur le registre : les éléments "
            "affichés peuvent ne pas être à jour."
        ) in text(form)
        assert "0 pour, 0 contre, 0 abstention(s)" in text(form)
        decision = {
            "outcome": "rejected",
            "rationale": "Hors priorités.",
            "evidence": shown_fingerprint(form),
        }
        head = site.head()
        refused = chair.post(f"/seances/{code}/arbitrer/{item}", data=decision)
        assert refused.status_code == 409
        assert site.head() == head
    finally:
        web.follower = Follower(web.read_model, poll=0.5).start()
    site.caught_up()
    form = chair.get(f"/seances/{code}/arbitrer/{item}")
    assert "de retard sur le registre" not in text(form)
    done = chair.post(
        f"/seances/{code}/arbitrer/{item}",
        data={**decision, "evidence": shown_fingerprint(form)},
    )
    assert done.status_code == 302
