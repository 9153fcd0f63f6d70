"""The grid built together (issue 20, part 4) and the consultant (part 5): referents,
the DSI and the consultant propose criteria, descriptors and weights on a grid draft;
the chair consolidates (accepts into the draft, naming the proposition, or declines
with a reason); adoption may be put to a COPIL vote; the consultant never votes and
scores only if also an evaluator — each refusal named, nothing written."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.discussion import Comment
from domain.errors import (
    DepartsFromMajority,
    GridAlreadyDecided,
    GridAlreadyOnAgenda,
    GridFrozen,
    GridNotOnAgenda,
    InvalidValue,
    NotAllowed,
    NotAProposition,
    PropositionSettled,
    QuorumNotMet,
    ReasonRequired,
    UndecidedItems,
    WeightsDoNotSum,
)
from domain.grids import GridVersion
from ledger.app import Ledger
from tests.domain.builders import (
    ADMIN,
    CHAIR,
    DSI,
    GRID,
    NON_VOTING,
    PASSWORD,
    VOTING,
    Town,
    by,
    criterion,
    names_since,
    refused,
)

REF = by("ref.fin")
AMO = by("amo")


def propose(led: Ledger, who: Any, number: int = 2, **proposition: Any) -> str:
    result = led.post_comment(
        who,
        "grid",
        number,
        kind="proposition",
        body="Proposé par la direction.",
        proposition=proposition,
    )
    return str(result["id"])


def grid(led: Ledger, number: int) -> GridVersion:
    found = led.load(GridVersion, GridVersion.id_for(number))
    assert found is not None
    return found


def comment(led: Ledger, comment_id: str) -> Comment:
    found = led.load(Comment, UUID(comment_id))
    assert found is not None
    return found


@pytest.fixture
def draft(town: Town) -> Town:
    """Grid v1 adopted, v2 drafted from it; a consultant, alone and with other roles."""
    town.adopt_grid()
    led = town.ledger
    led.draft_grid(DSI, 2, "Grille 2", based_on=1)
    led.add_user(ADMIN, "amo", "AMO", PASSWORD, roles=[("consultant", None)])
    led.add_user(
        ADMIN,
        "amo.eval",
        "AMO évaluateur",
        PASSWORD,
        roles=[("consultant", None), ("evaluator", None)],
    )
    # a COPIL member who becomes the consultant after being seated
    led.add_user(ADMIN, "amo.m", "AMO membre", PASSWORD, roles=[("member", None)])
    return town


def made_consultant(led: Ledger) -> None:
    led.grant_role(ADMIN, "amo.m", "consultant")


# --- propositions and consolidation ---------------------------------------------------


def test_a_referent_s_criterion_accepted_into_the_draft_names_its_proposition(
    draft: Town,
) -> None:
    led = draft.ledger
    prop = propose(
        led,
        REF,
        criterion_label="Accessibilité des services",
        criterion_code="ACC",
        family="value",
        weight="20",
        scale=[
            {"level": 1, "descriptor": "aucun gain"},
            {"level": 2, "descriptor": "gain partiel"},
            {"level": 3, "descriptor": "services accessibles"},
        ],
    )
    with refused(led, NotAllowed):  # a referent does not consolidate
        led.accept_proposition(REF, 2, prop)
    with refused(led, NotAllowed):  # nor the DSI: the chair does
        led.accept_proposition(DSI, 2, prop)
    head = led.head()
    result = led.accept_proposition(CHAIR, 2, prop)
    assert sorted(names_since(led, head)) == [
        "Comment.Accepted",
        "GridVersion.PropositionAccepted",
    ]
    assert result["criterion"] == "ACC"
    crit = grid(led, 2).criteria["ACC"]
    assert (crit.label, crit.weight, [lv.descriptor for lv in crit.scale]) == (
        "Accessibilité des services",
        Decimal("20"),
        ["aucun gain", "gain partiel", "services accessibles"],
    )
    assert (comment(led, prop).settled, comment(led, prop).settled_by) == (
        "accepted",
        "chair",
    )
    with refused(led, PropositionSettled) as err:
        led.decline_proposition(by("chair", "Trop tard"), 2, prop)
    assert "déjà retenue par chair" in str(err.value)


def test_a_weight_proposed_for_an_existing_criterion_changes_only_its_weight(
    draft: Town,
) -> None:
    led = draft.ledger
    prop = propose(
        led, DSI, criterion_label="Critère VAL1", criterion_code="VAL1", weight="55"
    )
    led.accept_proposition(CHAIR, 2, prop)
    crit = grid(led, 2).criteria["VAL1"]
    assert crit.weight == Decimal("55")
    assert [lv.descriptor for lv in crit.scale] == [f"niveau {n}" for n in (1, 2, 3, 4)]
    # the chair adjusts when accepting: the criterion as sent
    descriptors = propose(
        led,
        AMO,
        criterion_label="Critère VAL2",
        criterion_code="VAL2",
        scale=[
            {"level": 1, "descriptor": "faible"},
            {"level": 2, "descriptor": "fort"},
        ],
    )
    led.accept_proposition(
        CHAIR,
        2,
        descriptors,
        criterion={**criterion("VAL2", weight="45"), "label": "V2"},
    )
    assert grid(led, 2).criteria["VAL2"].label == "V2"
    assert grid(led, 2).criteria["VAL2"].weight == Decimal("45")


def test_declining_needs_a_reason_shown_on_the_proposition(draft: Town) -> None:
    led = draft.ledger
    prop = propose(led, REF, criterion_label="Proximité", weight="10")
    with refused(led, ReasonRequired):
        led.decline_proposition(CHAIR, 2, prop)
    with refused(led, NotAllowed):
        led.decline_proposition(by("ref.fin", "non"), 2, prop)
    head = led.head()
    led.decline_proposition(by("chair", "Redondant avec VAL1"), 2, prop)
    assert names_since(led, head) == ["Comment.Declined"]
    assert comment(led, prop).settled == "declined"
    # a proposition without a code cannot go into the draft as it is
    other = propose(led, REF, criterion_label="Sans code", weight="10")
    with refused(led, InvalidValue) as err:
        led.accept_proposition(CHAIR, 2, other)
    assert err.value.field == "criterion.scale"  # nor without descriptors
    plain = str(led.post_comment(REF, "grid", 2, body="Une remarque.")["id"])
    with refused(led, NotAProposition):
        led.accept_proposition(CHAIR, 2, plain)


def test_propositions_carry_descriptors_checked_as_a_scale(draft: Town) -> None:
    led = draft.ledger
    with refused(led, InvalidValue) as err:
        propose(
            led,
            REF,
            criterion_label="X",
            scale=[{"level": 1, "descriptor": "a"}, {"level": 3, "descriptor": "c"}],
        )
    assert err.value.field == "proposition.scale"
    with refused(led, InvalidValue) as err:
        propose(led, REF, criterion_label="X", scale=[{"level": 1, "texte": "a"}])
    assert err.value.field == "proposition.scale[0].texte"


LEVELS = st.integers(min_value=2, max_value=5)
ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["VAL1", "VAL2", "RISK1", "NEW1", "NEW2"]),
        st.sampled_from(["5", "10", "12.5", "40", "60"]),
        st.one_of(st.none(), LEVELS),
        st.booleans(),  # accepted (else declined)
    ),
    min_size=1,
    max_size=4,
)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(actions=ACTIONS)
def test_the_draft_is_the_base_grid_plus_the_accepted_propositions(
    draft: Town, actions: list[tuple[str, str, int | None, bool]]
) -> None:
    """Whatever is proposed, accepted or declined, the draft holds its base criteria
    changed by exactly the accepted propositions, each naming its comment."""
    led = draft.ledger
    number = (
        max(n for n in range(1, 99) if led.load(GridVersion, GridVersion.id_for(n))) + 1
    )
    led.draft_grid(DSI, number, f"Grille {number}", based_on=1)
    expected = {c["code"]: (c["weight"], len(c["scale"])) for c in GRID}
    accepted: dict[str, str] = {}
    for code, weight, levels, accept in actions:
        scale = (
            [{"level": n, "descriptor": f"d{n}"} for n in range(1, levels + 1)]
            if levels
            else None
        )
        prop = propose(
            led,
            REF,
            number,
            criterion_label=f"Critère {code}",
            criterion_code=code,
            family="risk" if code == "RISK1" else "value",
            weight=weight,
            scale=scale,
        )
        if accept and (code in expected or scale):
            led.accept_proposition(CHAIR, number, prop)
            old_levels = expected.get(code, ("", 0))[1]
            expected[code] = (weight, levels or old_levels)
            accepted[code] = prop
        elif accept:  # a new criterion without descriptors cannot be taken as is
            with refused(led, InvalidValue):
                led.accept_proposition(CHAIR, number, prop)
        else:
            led.decline_proposition(by("chair", "non retenu"), number, prop)
            assert comment(led, prop).settled == "declined"
    found = grid(led, number).criteria
    assert {c: (k.weight, len(k.scale)) for c, k in found.items()} == {
        c: (Decimal(w), n) for c, (w, n) in expected.items()
    }
    for prop in accepted.values():
        assert comment(led, prop).settled == "accepted"


# --- adoption put to the COPIL's vote ------------------------------------------------


def test_the_copil_votes_the_grid_and_its_decision_adopts_it(draft: Town) -> None:
    led = draft.ledger
    session = draft.convene(voting=[*VOTING, "amo.m"])
    made_consultant(led)
    led.put_grid_on_agenda(CHAIR, session, 2)
    with refused(led, NotAllowed):  # only the session's chair sets the agenda
        led.put_grid_on_agenda(REF, session, 2)
    with refused(led, GridAlreadyOnAgenda):
        led.put_grid_on_agenda(CHAIR, session, 2)
    draft.open(session, [*VOTING, "amo.m", *NON_VOTING])
    with refused(led, NotAllowed):  # a consultant never votes, seat or not
        led.vote_on_grid(by("amo.m"), session, 2, "for")
    with refused(led, GridNotOnAgenda):
        led.vote_on_grid(by("m1"), session, 1, "for")
    for member, choice in (("chair", "for"), ("m1", "for"), ("m2", "against")):
        led.vote_on_grid(by(member), session, 2, choice)
    with refused(led, UndecidedItems):
        led.close_session(CHAIR, session)
    with refused(led, DepartsFromMajority):
        led.decide_grid(CHAIR, session, 2, False, "Pas encore mûre")
    head = led.head()
    result = led.decide_grid(
        CHAIR, session, 2, True, "Grille construite avec les directions"
    )
    assert sorted(names_since(led, head)) == [
        "GridVersion.AdoptedByCommittee",
        "Session.GridDecisionRecorded",
    ]
    assert (result["for"], result["against"], result["abstain"]) == (2, 1, 0)
    v2 = grid(led, 2)
    assert v2.adopted and v2.adopted_by_session == session
    with refused(led, GridAlreadyDecided):
        led.vote_on_grid(by("m3"), session, 2, "for")
    with refused(led, GridFrozen):
        led.adopt_grid(CHAIR, 2, "2025-01-11")
    led.close_session(CHAIR, session)


def test_a_grid_vote_needs_quorum_and_an_adoptable_grid(draft: Town) -> None:
    led = draft.ledger
    led.set_grid_criterion(DSI, 2, criterion("VAL3", weight="10"))  # value: 110 %
    session = draft.convene()
    led.put_grid_on_agenda(CHAIR, session, 2)
    draft.open(session, ["chair", "m1"])
    led.vote_on_grid(by("m1"), session, 2, "for")
    with refused(led, QuorumNotMet):
        led.decide_grid(CHAIR, session, 2, True, "Adoptée")
    led.set_attendance(CHAIR, session, "m2", True)
    with refused(led, WeightsDoNotSum):
        led.decide_grid(CHAIR, session, 2, True, "Adoptée")
    led.decide_grid(CHAIR, session, 2, False, "À revoir : les poids", "poids faux")
    assert not grid(led, 2).adopted


# --- the consultant ---------------------------------------------------------------------


def test_the_consultant_discusses_and_proposes_but_never_flags_internal(
    draft: Town,
) -> None:
    led = draft.ledger
    draft.draft("P1", "FIN")
    led.post_comment(AMO, "proposal", "P1", body="Avis de l'AMO.")
    propose(led, AMO, criterion_label="Sobriété numérique", weight="5")
    with refused(led, NotAllowed):
        led.post_comment(AMO, "proposal", "P1", body="Interne ?", internal=True)
    by_dsi = propose(led, DSI, criterion_label="Z")
    with refused(led, NotAllowed):  # the chair consolidates
        led.accept_proposition(AMO, 2, by_dsi)


def test_the_consultant_scores_only_when_also_an_evaluator(draft: Town) -> None:
    led = draft.ledger
    draft.qualified("P1", "FIN")
    one = {"VAL1": {"level": 3, "justification": "analyse"}}
    with refused(led, NotAllowed):
        led.score_proposal(AMO, "P1", 1, 1, one)
    assert led.score_proposal(by("amo.eval"), "P1", 1, 1, one).data["changed"] == 1


def test_the_consultant_never_votes_on_a_proposal_even_seated(draft: Town) -> None:
    led = draft.ledger
    session = draft.convene(voting=[*VOTING, "amo.m"])
    made_consultant(led)
    with refused(led, InvalidValue) as err:  # no voting seat for a consultant
        draft.convene(voting=[*VOTING, "amo.m"])
    assert err.value.field == "voting"
    draft.on_agenda_only(draft.qualified("P1", "FIN"), session)
    draft.open(session, [*VOTING, "amo.m"])
    with refused(led, NotAllowed) as err:
        led.cast_vote(by("amo.m"), session, "P1", "for")
    assert "le consultant ne vote jamais" in str(err.value)
    led.cast_vote(by("m1"), session, "P1", "for")
