"""Scores: one sheet per (proposal, evaluator); re-scoring supersedes and is kept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.accounts import require
from domain.base import LedgerAggregate, current_context, natural_id
from domain.errors import InvalidValue
from domain.grids import GridVersion
from domain.proposals import Proposal, justification
from domain.values import Role, ValueObject, as_dict, text

SCORE_KEYS = ("level", "justification")  # what an evaluator sends per criterion


@dataclass(frozen=True)
class Score(ValueObject):
    """A level on one criterion of an adopted grid version, with its justification."""

    criterion: str
    level: int
    justification: str


class ScoreSheet(LedgerAggregate):
    """All scores of one evaluator on one proposal (each evaluator has their own sheet,
    so concurrent evaluators never contend on the same aggregate)."""

    def __init__(self) -> None:
        self.proposal = ""
        self.evaluator = ""
        # (revision, grid version, criterion) -> current score
        self.current: dict[str, Score] = {}
        self.superseded = 0

    @staticmethod
    def id_for(proposal_code: str, evaluator: str) -> UUID:
        return natural_id("scores", proposal_code, evaluator)

    @staticmethod
    def key(revision: int, grid_version: int, criterion: str) -> str:
        return f"{revision}/{grid_version}/{criterion}"

    class Opened(LedgerAggregate.Created):
        proposal: str
        evaluator: str

        def apply(self, agg: ScoreSheet) -> None:
            agg.proposal, agg.evaluator = self.proposal, self.evaluator

    class Scored(LedgerAggregate.Event):
        revision: int
        grid_version: int
        score: Score

        def apply(self, agg: ScoreSheet) -> None:
            key = ScoreSheet.key(self.revision, self.grid_version, self.score.criterion)
            agg.superseded += key in agg.current
            agg.current[key] = self.score

    def levels(self, revision: int, grid_version: int) -> dict[str, int]:
        """The current level of each criterion scored on ``revision`` and that grid."""
        prefix = f"{revision}/{grid_version}/"
        return {
            key[len(prefix) :]: score.level
            for key, score in self.current.items()
            if key.startswith(prefix)
        }

    @classmethod
    def open(cls, proposal: Proposal) -> ScoreSheet:
        require("noter une fiche", Role.EVALUATOR)
        evaluator = current_context().actor
        return cls._create(
            cls.Opened,
            id=cls.id_for(proposal.code, evaluator),
            proposal=proposal.code,
            evaluator=evaluator,
        )

    def score(
        self,
        proposal: Proposal,
        revision: Any,
        grid: GridVersion,
        scores: dict[str, Any],
    ) -> int:
        """Score criteria of ``grid`` for ``revision``; returns how many changed."""
        require("noter une fiche", Role.EVALUATOR)
        from domain.errors import GridNotAdopted, NotAllowed

        ctx = current_context()
        if ctx.actor != self.evaluator:
            raise NotAllowed(
                actor=ctx.actor,
                action=f"noter à la place de {self.evaluator}",
                roles=", ".join(ctx.roles),
            )
        if isinstance(revision, bool) or not isinstance(revision, int):
            raise InvalidValue("revision", revision, "numéro de révision attendu")
        proposal.check_scorable(revision)
        if not grid.adopted:
            raise GridNotAdopted(version=grid.number)
        if not isinstance(scores, dict) or not scores:
            raise InvalidValue("scores", scores, "au moins une note par critère")
        changed = 0
        for criterion_code in sorted(scores):
            raw = scores[criterion_code]
            if not isinstance(raw, dict):
                raise InvalidValue(
                    f"scores.{criterion_code}",
                    raw,
                    "objet {level, justification} attendu",
                )
            as_dict(raw, f"scores.{criterion_code}", SCORE_KEYS)
            level = grid.check_level(criterion_code, raw.get("level"))
            why = justification(
                text(
                    raw.get("justification"),
                    f"scores.{criterion_code}.justification",
                    max_len=4000,
                    required=False,
                ),
                f"note du critère {criterion_code}",
                field=f"scores.{criterion_code}.justification",
            )
            score = Score(criterion=criterion_code, level=level, justification=why)
            if (
                self.current.get(self.key(revision, grid.number, criterion_code))
                != score
            ):
                self.trigger_event(
                    self.Scored,
                    revision=revision,
                    grid_version=grid.number,
                    score=score,
                )
                changed += 1
        return changed
