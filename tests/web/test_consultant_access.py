"""The consultant (AMO, issue 20 part 5) as the access matrix and the ledger treat it:
it reads everything of the plan, drafts findings and takes part in the discussions,
never votes — not even seated by mistake, not even through another role — and scores
only once granted the evaluator's role. The matrix test (``test_access_matrix``)
walks every route for every role against ``web.access``; this pins the consultant's
row of that table, then checks the two refusals that matter end to end on both
backends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from domain.errors import NotAllowed
from ledger.core import Caller
from tests.domain.builders import GRID
from tests.web.ui_client import Site
from tests.web.world import OWN, PASSWORD, bearer, login, open_world
from web.access import PERMISSIONS, allowed

AMO = login("consultant")
SEATED = "u.amo.seated"  # a COPIL member, seated, who later becomes the consultant
# What the consultant does besides reading: findings of the diagnosis, the phases'
# deliverables it drafts, and the discussions of proposals and grid drafts (its
# propositions included).
CONSULTANT_WRITES = {
    "diagnosis.findings",
    "document_review.edit",
    "grid.discuss",
    "plan.deliverables.submit",
    "proposal.discuss",
}
# Reads kept from the consultant: the ledger's audit trail is the auditor's.
NOT_READ = {"audit.view"}


def reads(permission: str) -> bool:
    return (
        permission.endswith(".view")
        or permission.startswith("export.")
        or (permission in ("home", "notifications"))
    )


def test_the_consultant_reads_everything_and_writes_only_findings_and_comments() -> (
    None
):
    granted = {p for p in PERMISSIONS if allowed(["consultant"], p)}
    expected_reads = {p for p in PERMISSIONS if reads(p)} - NOT_READ
    assert granted == expected_reads | CONSULTANT_WRITES
    assert not allowed(["consultant"], "proposal.score")
    assert not allowed(["consultant"], "session.vote")


@pytest.mark.parametrize("other", ["evaluator", "member", "chair", "dsi"])
def test_another_role_adds_its_rights_but_never_the_vote(other: str) -> None:
    for permission in PERMISSIONS:
        both = allowed(["consultant", other], permission)
        if permission == "session.vote":
            assert not both, other
        else:
            either = allowed(["consultant"], permission) or allowed([other], permission)
            assert both == either, (other, permission)
    assert allowed(["consultant", "evaluator"], "proposal.score")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(request, tmp_path_factory, request.param)
    led = running.ledger
    admin = Caller(actor="admin", reason="tests")
    dsi = Caller(actor=login("dsi"), reason="tests")
    chair = Caller(actor=login("chair"), reason="tests")
    led.draft_grid(dsi, 1, "Grille", criteria=GRID)
    led.adopt_grid(chair, 1, "2026-01-05")
    led.submit_proposal(Caller(actor=login("referent")), OWN)
    led.qualify_proposal(
        dsi,
        OWN,
        {
            "costs": [{"year": 2026, "section": "investissement", "amount": "1000.00"}],
            "note": "chiffrage",
        },
    )
    led.add_user(admin, SEATED, "AMO siégeant", PASSWORD, roles=[("member", None)])
    running.caught_up()
    yield running
    running.close()


def post(site: Site, who: str, url: str, body: Any) -> Any:
    return site.app.test_client().post(url, json=body, headers=bearer(site, who))


SCORES = {
    "revision": 1,
    "grid_version": 1,
    "scores": {"VAL1": {"level": 3, "justification": "analyse de l'AMO"}},
}


def test_the_consultant_scores_only_once_granted_evaluator(site: Site) -> None:
    url = f"/api/v1/proposals/{OWN}/scores"
    head = site.head()
    refused = post(site, AMO, url, SCORES)
    assert refused.status_code == 403
    assert site.head() == head
    site.ledger.grant_role(Caller(actor="admin", reason="AMO évaluateur"), AMO, "evaluator")  # fmt: skip
    site.caught_up()
    scored = post(site, AMO, url, SCORES)
    assert scored.status_code == 201, scored.get_json()
    assert scored.get_json()["result"]["changed"] == 1
    site.ledger.revoke_role(Caller(actor="admin", reason="fin de mission"), AMO, "evaluator")  # fmt: skip
    site.caught_up()
    assert post(site, AMO, url, SCORES).status_code == 403


def test_a_seated_member_made_consultant_never_votes(site: Site) -> None:
    led = site.ledger
    chair = Caller(actor=login("chair"), reason="tests")
    led.convene_session(
        chair, "S-AMO", "COPIL", "2026-03-10", [login("chair"), login("member"), SEATED]
    )
    led.add_agenda_item(chair, "S-AMO", OWN)
    led.draft_grid(Caller(actor=login("dsi")), 2, "Grille 2", criteria=GRID)
    led.put_grid_on_agenda(chair, "S-AMO", 2)
    led.grant_role(Caller(actor="admin", reason="devient AMO"), SEATED, "consultant")
    led.open_session(
        chair,
        "S-AMO",
        [login("chair"), login("member"), SEATED],
        early_reason="séance test",
    )
    site.caught_up()
    head = site.head()
    vote = {"proposal": OWN, "choice": "for"}
    assert post(site, SEATED, "/api/v1/sessions/S-AMO/votes", vote).status_code == 403
    grid_vote = post(
        site, SEATED, "/api/v1/sessions/S-AMO/grids/2/votes", {"choice": "for"}
    )
    assert grid_vote.status_code == 403
    page = site.client(SEATED).post(
        "/seances/S-AMO/grilles/2/vote", data={"choice": "for"}
    )
    assert page.status_code == 403
    assert site.head() == head
    # the ledger refuses it too, whatever the web layer lets through
    with pytest.raises(NotAllowed, match="le consultant ne vote jamais"):
        led.cast_vote(Caller(actor=SEATED), "S-AMO", OWN, "for")
    with pytest.raises(NotAllowed):
        led.vote_on_grid(Caller(actor=SEATED), "S-AMO", 2, "for")
    assert site.head() == head
