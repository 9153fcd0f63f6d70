"""The versioned evaluation grid, and the evaluators' scores on it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from domain.errors import (
    EmptyGrid,
    GridFrozen,
    GridNotAdopted,
    InvalidTransition,
    InvalidValue,
    JustificationRequired,
    LevelOutOfScale,
    NotAllowed,
    NotFound,
    ScoreOnStaleRevision,
    UnknownCriterion,
    WeightsDoNotSum,
)
from domain.grids import Criterion, GridVersion, ScaleLevel
from domain.proposals import Proposal
from domain.scores import Score, ScoreSheet
from domain.values import Family
from ledger.app import Ledger
from tests.domain.builders import (
    CHAIR,
    DSI,
    GRID,
    Town,
    by,
    criterion,
    names_since,
    refused,
)


def grid(ledger: Ledger, number: int) -> GridVersion:
    loaded = ledger.load(GridVersion, GridVersion.id_for(number))
    assert loaded is not None
    return loaded


def score(level: Any = 3, justification: str = "analyse de la fiche") -> dict[str, Any]:
    return {"level": level, "justification": justification}


# --- drafting and adopting ------------------------------------------------------------


def test_grid_version_is_drafted_then_adopted_by_the_chair(
    ledger: Ledger, town: Town
) -> None:
    head = ledger.head()
    ledger.draft_grid(DSI, 1, "Grille 1", criteria=GRID)
    ledger.adopt_grid(CHAIR, 1, "2025-01-10")
    assert names_since(ledger, head) == [
        "GridVersion.Drafted",
        "GridVersion.CriterionSet",
        "GridVersion.CriterionSet",
        "GridVersion.CriterionSet",
        "GridVersion.Adopted",
    ]
    v1 = grid(ledger, 1)
    assert (v1.number, v1.label, v1.adopted_on) == (1, "Grille 1", date(2025, 1, 10))
    assert v1.criteria["VAL1"] == Criterion(
        code="VAL1",
        label="Critère VAL1",
        family=Family.VALUE,
        weight=Decimal("60.00"),
        scale=tuple(ScaleLevel(n, f"niveau {n}") for n in range(1, 5)),
    )
    assert sorted(v1.criteria) == ["RISK1", "VAL1", "VAL2"]


def test_grid_is_adopted_only_by_the_chair(ledger: Ledger, town: Town) -> None:
    ledger.draft_grid(DSI, 1, "Grille 1", criteria=GRID)
    with refused(ledger, NotAllowed) as err:
        ledger.adopt_grid(DSI, 1, "2025-01-10")
    assert err.value.params == {
        "actor": "dsi",
        "action": "adopter une grille",
        "roles": "dsi",
    }


def test_grid_is_drafted_only_by_the_dsi_or_the_chair(
    ledger: Ledger, town: Town
) -> None:
    with refused(ledger, NotAllowed) as err:
        ledger.draft_grid(by("eval1"), 1, "Grille 1", criteria=GRID)
    assert err.value.params["action"] == "rédiger une grille"


def test_adopted_grid_refuses_a_changed_criterion(ledger: Ledger, town: Town) -> None:
    town.adopt_grid()
    with refused(ledger, GridFrozen) as err:
        ledger.set_grid_criterion(DSI, 1, criterion("VAL1", "value", "60", levels=5))
    assert err.value.params == {"version": 1}


def test_adopted_grid_refuses_a_removed_criterion(ledger: Ledger, town: Town) -> None:
    town.adopt_grid()
    with refused(ledger, GridFrozen):
        ledger.remove_grid_criterion(DSI, 1, "VAL2")


def test_adopted_grid_cannot_be_adopted_again(ledger: Ledger, town: Town) -> None:
    town.adopt_grid()
    with refused(ledger, GridFrozen):
        ledger.adopt_grid(CHAIR, 1, "2025-06-01")
    assert grid(ledger, 1).adopted_on == date(2025, 1, 10)


def test_new_version_starts_from_a_copy_and_leaves_the_adopted_one_intact(
    ledger: Ledger, town: Town
) -> None:
    town.adopt_grid()
    ledger.draft_grid(DSI, 2, "Grille 2", based_on=1)
    ledger.remove_grid_criterion(DSI, 2, "VAL2")
    ledger.set_grid_criterion(DSI, 2, criterion("VAL1", "value", "100"))
    ledger.adopt_grid(CHAIR, 2, "2026-01-15")
    v1, v2 = grid(ledger, 1), grid(ledger, 2)
    assert (v2.based_on, sorted(v2.criteria), v2.criteria["VAL1"].weight) == (
        1,
        ["RISK1", "VAL1"],
        Decimal("100.00"),
    )
    assert (sorted(v1.criteria), v1.criteria["VAL1"].weight) == (
        ["RISK1", "VAL1", "VAL2"],
        Decimal("60.00"),
    )


def test_version_numbers_follow_each_other(ledger: Ledger, town: Town) -> None:
    with refused(ledger, InvalidValue) as err:
        ledger.draft_grid(DSI, 2, "Grille 2")
    assert (err.value.field, err.value.params["value"]) == ("number", 2)


def test_copy_of_an_unknown_version_is_refused(ledger: Ledger, town: Town) -> None:
    with refused(ledger, NotFound) as err:
        ledger.draft_grid(DSI, 1, "Grille 1", based_on=7)
    assert err.value.params == {"kind": "Grille", "id": "v7"}


@pytest.mark.parametrize(
    ("criteria", "family", "total"),
    [
        ([("VAL1", "value", "60"), ("VAL2", "value", "30")], "value", "90.00"),
        (
            [("VAL1", "value", "100"), ("R1", "risk", "50"), ("R2", "risk", "60")],
            "risk",
            "110.00",
        ),
    ],
)
def test_weights_of_a_family_not_totalling_100_are_refused_at_adoption(
    ledger: Ledger,
    town: Town,
    criteria: list[tuple[str, str, str]],
    family: str,
    total: str,
) -> None:
    ledger.draft_grid(DSI, 1, "Grille 1", criteria=[criterion(*c) for c in criteria])
    with refused(ledger, WeightsDoNotSum) as err:
        ledger.adopt_grid(CHAIR, 1, "2025-01-10")
    assert err.value.params == {"version": 1, "family": family, "total": Decimal(total)}


def test_grid_without_any_criterion_is_refused_at_adoption(
    ledger: Ledger, town: Town
) -> None:
    ledger.draft_grid(DSI, 1, "Grille vide")
    with refused(ledger, EmptyGrid) as err:
        ledger.adopt_grid(CHAIR, 1, "2025-01-10")
    assert err.value.params == {"version": 1}


def test_grid_with_risk_criteria_only_is_refused_at_adoption(
    ledger: Ledger, town: Town
) -> None:
    ledger.draft_grid(DSI, 1, "Grille", criteria=[criterion("R1", "risk", "100")])
    with refused(ledger, EmptyGrid):
        ledger.adopt_grid(CHAIR, 1, "2025-01-10")


def test_scale_without_two_consecutive_increasing_levels_is_refused(
    ledger: Ledger, town: Town
) -> None:
    for levels in ([1], [1, 3], [2, 1], []):
        crit = criterion("VAL1")
        crit["scale"] = [{"level": n, "descriptor": f"niveau {n}"} for n in levels]
        with refused(ledger, InvalidValue) as err:
            ledger.draft_grid(DSI, 1, "Grille 1", criteria=[crit])
        assert (err.value.field, err.value.params["value"]) == (
            "criteria[0].scale",
            levels,
        )


def test_scale_level_without_descriptor_is_refused(ledger: Ledger, town: Town) -> None:
    crit = criterion("VAL1")
    crit["scale"][1]["descriptor"] = " "
    with refused(ledger, InvalidValue) as err:
        ledger.draft_grid(DSI, 1, "Grille 1", criteria=[crit])
    assert err.value.field == "criteria[0].scale[1].descriptor"


def test_weight_outside_0_to_100_with_two_decimals_is_refused(
    ledger: Ledger, town: Town
) -> None:
    # out of range: the value read; not written as a percentage is (a sign, a third
    # decimal): the text as typed
    for weight, value in (
        ("0", Decimal(0)),
        ("100.5", Decimal("100.5")),
        ("33.333", "33.333"),
        (33.5, 33.5),
        ("-10", "-10"),
        ("1e2", "1e2"),
    ):
        with refused(ledger, InvalidValue) as err:
            ledger.draft_grid(DSI, 1, "G", criteria=[criterion("VAL1", weight=weight)])
        assert (err.value.field, err.value.params["value"]) == (
            "criteria[0].weight",
            value,
        )


def test_criterion_of_an_unknown_family_is_refused(ledger: Ledger, town: Town) -> None:
    with refused(ledger, InvalidValue) as err:
        ledger.draft_grid(DSI, 1, "G", criteria=[criterion("VAL1", "cost", "100")])
    assert err.value.field == "criteria[0].family"


def test_criterion_linked_to_an_unknown_axis_is_refused(
    ledger: Ledger, town: Town
) -> None:
    with refused(ledger, NotFound) as err:
        ledger.draft_grid(DSI, 1, "G", criteria=[{**criterion("VAL1"), "axis": "A7"}])
    assert err.value.params == {"kind": "Axe stratégique", "id": "A7"}


def test_criterion_linked_to_an_indicator_of_another_axis_is_refused(
    ledger: Ledger, town: Town
) -> None:
    ledger.create_axis(DSI, "A2", "Administration")
    crit = {**criterion("VAL1"), "axis": "A2", "indicator": "A1-I1"}
    with refused(ledger, InvalidValue) as err:
        ledger.draft_grid(DSI, 1, "G", criteria=[crit])
    assert (err.value.field, err.value.params["value"]) == (
        "criteria[0].indicator",
        "A1-I1",
    )


def test_criterion_linked_to_its_axis_and_indicator_is_kept(
    ledger: Ledger, town: Town
) -> None:
    crit = {**criterion("VAL1", weight="100"), "axis": "A1", "indicator": "A1-I1"}
    ledger.draft_grid(DSI, 1, "G", criteria=[crit])
    assert (
        grid(ledger, 1).criteria["VAL1"].axis,
        grid(ledger, 1).criteria["VAL1"].indicator,
    ) == (
        "A1",
        "A1-I1",
    )


def test_removing_an_unknown_criterion_is_refused(ledger: Ledger, town: Town) -> None:
    ledger.draft_grid(DSI, 1, "Grille 1", criteria=GRID)
    with refused(ledger, UnknownCriterion) as err:
        ledger.remove_grid_criterion(DSI, 1, "VAL9")
    assert err.value.field == "criterion"
    assert err.value.params == {"criterion": "VAL9", "version": 1}


# --- scores ---------------------------------------------------------------------------


def test_evaluator_scores_the_current_revision_on_the_adopted_grid(
    ledger: Ledger, town: Town
) -> None:
    town.adopt_grid()
    town.submitted("P1")
    head = ledger.head()
    result = ledger.score_proposal(
        by("eval1"), "P1", 1, 1, {"VAL1": score(3), "RISK1": score(1, "risque faible")}
    )
    assert result.data["changed"] == 2
    assert names_since(ledger, head) == [
        "Proposal.EvaluatorAdded",  # the decision's evidence reads every sheet
        "ScoreSheet.Opened",
        "ScoreSheet.Scored",
        "ScoreSheet.Scored",
    ]
    proposal = ledger.load(Proposal, Proposal.id_for("P1"))
    assert proposal is not None and proposal.evaluators == ["eval1"]
    sheet = ledger.load(ScoreSheet, ScoreSheet.id_for("P1", "eval1"))
    assert sheet is not None
    assert (sheet.proposal, sheet.evaluator, sheet.superseded) == ("P1", "eval1", 0)
    assert sheet.current == {
        "1/1/RISK1": Score("RISK1", 1, "risque faible"),
        "1/1/VAL1": Score("VAL1", 3, "analyse de la fiche"),
    }


def test_re_scoring_supersedes_and_keeps_the_earlier_score(
    ledger: Ledger, town: Town
) -> None:
    town.adopt_grid()
    town.submitted("P1")
    ledger.score_proposal(by("eval1"), "P1", 1, 1, {"VAL1": score(3)})
    head = ledger.head()
    ledger.score_proposal(by("eval1"), "P1", 1, 1, {"VAL1": score(2, "revu")})
    sheet = ledger.load(ScoreSheet, ScoreSheet.id_for("P1", "eval1"))
    assert sheet is not None
    assert (sheet.current["1/1/VAL1"], sheet.superseded) == (
        Score("VAL1", 2, "revu"),
        1,
    )
    assert names_since(ledger, head) == ["ScoreSheet.Scored"]
    assert sheet.version == 3  # Opened, the first score and the one superseding it


def test_two_evaluators_keep_their_own_scores(ledger: Ledger, town: Town) -> None:
    town.adopt_grid()
    town.submitted("P1")
    ledger.score_proposal(by("eval1"), "P1", 1, 1, {"VAL1": score(4)})
    ledger.score_proposal(by("eval2"), "P1", 1, 1, {"VAL1": score(1)})
    levels = {
        e: ledger.load(ScoreSheet, ScoreSheet.id_for("P1", e)).current["1/1/VAL1"].level  # type: ignore[union-attr]
        for e in ("eval1", "eval2")
    }
    assert levels == {"eval1": 4, "eval2": 1}


def test_only_evaluators_score(ledger: Ledger, town: Town) -> None:
    town.adopt_grid()
    town.submitted("P1")
    with refused(ledger, NotAllowed) as err:
        ledger.score_proposal(by("m1"), "P1", 1, 1, {"VAL1": score()})
    assert err.value.params == {
        "actor": "m1",
        "action": "noter une fiche",
        "roles": "member",
    }


def test_score_on_a_grid_version_not_adopted_is_refused(
    ledger: Ledger, town: Town
) -> None:
    town.adopt_grid()
    ledger.draft_grid(DSI, 2, "Grille 2", based_on=1)
    town.submitted("P1")
    with refused(ledger, GridNotAdopted) as err:
        ledger.score_proposal(by("eval1"), "P1", 1, 2, {"VAL1": score()})
    assert err.value.params == {"version": 2}


def test_score_on_an_older_revision_is_refused(ledger: Ledger, town: Town) -> None:
    town.adopt_grid()
    town.qualified("P1")
    ledger.amend_proposal(by("ref.fin", "périmètre élargi"), "P1", town.content())
    with refused(ledger, ScoreOnStaleRevision) as err:
        ledger.score_proposal(by("eval1"), "P1", 1, 1, {"VAL1": score()})
    assert err.value.field == "revision"
    assert err.value.params == {"proposal": "P1", "current": 2, "revision": 1}
    ledger.score_proposal(by("eval1"), "P1", 2, 1, {"VAL1": score()})


def test_score_without_justification_is_refused(ledger: Ledger, town: Town) -> None:
    town.adopt_grid()
    town.submitted("P1")
    with refused(ledger, JustificationRequired) as err:
        ledger.score_proposal(by("eval1"), "P1", 1, 1, {"VAL1": score(3, "  ")})
    assert err.value.field == "scores.VAL1.justification"
    assert err.value.params == {"what": "note du critère VAL1"}


def test_score_on_a_criterion_not_in_the_grid_is_refused(
    ledger: Ledger, town: Town
) -> None:
    town.adopt_grid()
    town.submitted("P1")
    with refused(ledger, UnknownCriterion) as err:
        ledger.score_proposal(by("eval1"), "P1", 1, 1, {"VAL9": score()})
    assert err.value.params == {"criterion": "VAL9", "version": 1}


def test_level_outside_the_criterion_scale_is_refused(
    ledger: Ledger, town: Town
) -> None:
    town.adopt_grid()
    town.submitted("P1")
    for level in (0, 5, -1, "3", True, 2.0, None):
        with refused(ledger, LevelOutOfScale) as err:
            ledger.score_proposal(by("eval1"), "P1", 1, 1, {"VAL1": score(level)})
        assert err.value.field == "scores.VAL1.level"
        assert err.value.params == {
            "level": level,
            "criterion": "VAL1",
            "low": 1,
            "high": 4,
        }


def test_levels_at_both_ends_of_the_scale_are_accepted(
    ledger: Ledger, town: Town
) -> None:
    town.adopt_grid()
    town.submitted("P1")
    ledger.score_proposal(by("eval1"), "P1", 1, 1, {"VAL1": score(1), "VAL2": score(4)})
    sheet = ledger.load(ScoreSheet, ScoreSheet.id_for("P1", "eval1"))
    assert sheet is not None
    assert [s.level for _k, s in sorted(sheet.current.items())] == [1, 4]


@pytest.mark.parametrize("status", ["draft", "approved", "withdrawn"])
def test_proposal_outside_evaluation_cannot_be_scored(
    ledger: Ledger, town: Town, status: str
) -> None:
    town.adopt_grid()
    town.at_status(status)
    with refused(ledger, InvalidTransition) as err:
        ledger.score_proposal(by("eval1"), "P1", 1, 1, {"VAL1": score()})
    assert err.value.params == {"proposal": "P1", "status": status, "action": "score"}


def test_empty_scores_are_refused(ledger: Ledger, town: Town) -> None:
    town.adopt_grid()
    town.submitted("P1")
    with refused(ledger, InvalidValue) as err:
        ledger.score_proposal(by("eval1"), "P1", 1, 1, {})
    assert err.value.field == "scores"
