"""The evaluation grid, versioned: drafted, then adopted by the chair and frozen for ever."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain import dates
from domain.accounts import require
from domain.base import LedgerAggregate, natural_id
from domain.errors import (
    EmptyGrid,
    GridFrozen,
    InvalidValue,
    LevelOutOfScale,
    NotFound,
    UnknownCriterion,
    WeightsDoNotSum,
)
from domain.values import (
    Family,
    Role,
    ValueObject,
    as_dict,
    as_list,
    code,
    enum_value,
    field_names,
    percent,
    positive_int,
    text,
)

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class ScaleLevel(ValueObject):
    """One level of a criterion's integer scale, with its descriptor."""

    level: int
    descriptor: str


@dataclass(frozen=True)
class Criterion(ValueObject):
    """A criterion of the grid: family, weight (%), scale, optional axis/indicator."""

    code: str
    label: str
    family: Family
    weight: Decimal
    scale: tuple[ScaleLevel, ...]
    axis: str | None = None
    indicator: str | None = None

    @property
    def low(self) -> int:
        return self.scale[0].level

    @property
    def high(self) -> int:
        return self.scale[-1].level

    @classmethod
    def parse(cls, raw: Any, field: str = "criterion") -> Criterion:
        """Validate a criterion from plain data (form, API, demo)."""
        data = as_dict(raw, field, field_names(cls))
        levels = []
        for i, lv in enumerate(as_list(data.get("scale"), f"{field}.scale")):
            lv = as_dict(lv, f"{field}.scale[{i}]", field_names(ScaleLevel))
            levels.append(
                ScaleLevel(
                    level=positive_int(lv.get("level"), f"{field}.scale[{i}].level"),
                    descriptor=text(
                        lv.get("descriptor"),
                        f"{field}.scale[{i}].descriptor",
                        max_len=300,
                    ),
                )
            )
        numbers = [lv.level for lv in levels]
        if len(levels) < 2 or numbers != list(
            range(numbers[0], numbers[0] + len(numbers))
        ):
            raise InvalidValue(
                f"{field}.scale",
                numbers,
                "au moins deux niveaux entiers consécutifs, croissants",
            )
        weight = percent(data.get("weight"), f"{field}.weight")
        if weight == 0:
            raise InvalidValue(f"{field}.weight", weight, "poids nul")
        return cls(
            code=code(data.get("code"), f"{field}.code"),
            label=text(data.get("label"), f"{field}.label"),
            family=enum_value(Family, data.get("family"), f"{field}.family"),
            weight=weight,
            scale=tuple(levels),
            axis=code(data["axis"], f"{field}.axis") if data.get("axis") else None,
            indicator=code(data["indicator"], f"{field}.indicator")
            if data.get("indicator")
            else None,
        )


PROPOSED_FIELDS = ("code", "label", "family", "weight", "scale")


def proposed_criterion(
    proposition: dict[str, Any], existing: Criterion | None
) -> dict[str, Any]:
    """The criterion a proposition asks for, as plain data: what it proposes over
    the draft's criterion of the same code (a new weight, new descriptors), or a new
    criterion. Missing parts stay missing (``Criterion.parse`` names them)."""
    out: dict[str, Any] = {}
    if existing is not None:
        out = {
            "code": existing.code,
            "label": existing.label,
            "family": existing.family.value,
            "weight": format(existing.weight, "f"),
            "scale": [
                {"level": lv.level, "descriptor": lv.descriptor}
                for lv in existing.scale
            ],
        }
        if existing.axis:
            out["axis"] = existing.axis
        if existing.indicator:
            out["indicator"] = existing.indicator
    given = {
        "code": proposition.get("criterion_code"),
        "label": proposition.get("criterion_label"),
        "family": proposition.get("family"),
        "weight": proposition.get("weight"),
        "scale": proposition.get("scale"),
    }
    out.update({k: v for k, v in given.items() if v not in (None, "", [])})
    return out


class GridVersion(LedgerAggregate):
    """One version of the evaluation grid; frozen once adopted."""

    def __init__(self) -> None:
        self.number = 0
        self.label = ""
        self.based_on: int | None = None
        self.criteria: dict[str, Criterion] = {}
        self.adopted_on: date | None = None
        self.adopted_at: datetime | None = None  # when the adoption was recorded
        self.adopted_by_session: str | None = None  # adopted by a COPIL decision

    @staticmethod
    def id_for(number: int) -> UUID:
        return natural_id("grid", number)

    @property
    def adopted(self) -> bool:
        return self.adopted_on is not None

    class Drafted(LedgerAggregate.Created):
        number: int
        label: str
        based_on: int | None
        criteria: list[Criterion]

        def apply(self, agg: GridVersion) -> None:
            agg.number, agg.label, agg.based_on = self.number, self.label, self.based_on
            agg.criteria = {c.code: c for c in self.criteria}

    class CriterionSet(LedgerAggregate.Event):
        criterion: Criterion

        def apply(self, agg: GridVersion) -> None:
            agg.criteria[self.criterion.code] = self.criterion

    class CriterionRemoved(LedgerAggregate.Event):
        criterion_code: str

        def apply(self, agg: GridVersion) -> None:
            del agg.criteria[self.criterion_code]

    class PropositionAccepted(LedgerAggregate.Event):
        """The chair took a proposition of the discussion into the draft: the
        criterion as set, and the proposition (comment id) it came from."""

        criterion: Criterion
        proposition: str

        def apply(self, agg: GridVersion) -> None:
            agg.criteria[self.criterion.code] = self.criterion

    class Adopted(LedgerAggregate.Event):
        on: date

        def apply(self, agg: GridVersion) -> None:
            agg.adopted_on = self.on
            agg.adopted_at = self.timestamp

    class AdoptedByCommittee(LedgerAggregate.Event):
        """Adopted by a COPIL decision: the session whose decision adopted it."""

        on: date
        session: str

        def apply(self, agg: GridVersion) -> None:
            agg.adopted_on = self.on
            agg.adopted_at = self.timestamp
            agg.adopted_by_session = self.session

    @classmethod
    def draft(
        cls, number: int, label: str, based_on: GridVersion | None = None
    ) -> GridVersion:
        require("rédiger une grille", Role.DSI, Role.CHAIR)
        number = positive_int(number, "number", allow_zero=False)
        return cls._create(
            cls.Drafted,
            id=cls.id_for(number),
            number=number,
            label=text(label, "label"),
            based_on=based_on.number if based_on else None,
            criteria=list(based_on.criteria.values()) if based_on else [],
        )

    def set_criterion(self, criterion: Criterion) -> None:
        require("modifier une grille", Role.DSI, Role.CHAIR)
        self._check_draft()
        if self.criteria.get(criterion.code) != criterion:
            self.trigger_event(self.CriterionSet, criterion=criterion)

    def remove_criterion(self, criterion_code: str) -> None:
        require("modifier une grille", Role.DSI, Role.CHAIR)
        self._check_draft()
        criterion_code = code(criterion_code, "criterion")
        if criterion_code not in self.criteria:
            raise UnknownCriterion(
                field="criterion", criterion=criterion_code, version=self.number
            )
        self.trigger_event(self.CriterionRemoved, criterion_code=criterion_code)

    def accept_proposition(self, criterion: Criterion, proposition: str) -> None:
        """Consolidation by the chair: ``criterion`` (built from the proposition,
        possibly adjusted) goes into the draft, naming the proposition."""
        require("retenir une proposition dans la grille", Role.CHAIR)
        self._check_draft()
        self.trigger_event(
            self.PropositionAccepted, criterion=criterion, proposition=proposition
        )

    def adopt(self, on: Any) -> None:
        """Direct adoption by the chair."""
        require("adopter une grille", Role.CHAIR)
        self._check_adoptable()
        self.trigger_event(self.Adopted, on=dates.fact(on, "on", "une grille adoptée"))

    def adopt_by_committee(self, on: Any, session: str) -> None:
        """Adoption by the decision of COPIL session ``session`` (recorded by its
        chair in the same command)."""
        require("adopter une grille", Role.CHAIR)
        self._check_adoptable()
        self.trigger_event(
            self.AdoptedByCommittee,
            on=dates.fact(on, "on", "une grille adoptée"),
            session=session,
        )

    def check_adoptable(self) -> None:
        """The rules an adoption checks (a draft with value criteria whose weights
        total 100 % per family), so a COPIL vote is not put on a grid that could
        not be adopted."""
        self._check_adoptable()

    def _check_adoptable(self) -> None:
        self._check_draft()
        if not any(c.family is Family.VALUE for c in self.criteria.values()):
            raise EmptyGrid(version=self.number)
        for family in Family:
            weights = [c.weight for c in self.criteria.values() if c.family is family]
            if weights and sum(weights) != HUNDRED:
                raise WeightsDoNotSum(
                    version=self.number, family=family.value, total=sum(weights)
                )

    def criterion(self, criterion_code: str) -> Criterion:
        try:
            return self.criteria[criterion_code]
        except KeyError:
            raise UnknownCriterion(
                field="criterion", criterion=criterion_code, version=self.number
            ) from None

    def check_level(self, criterion_code: str, level: Any) -> int:
        """A level inside the scale of the criterion."""
        crit = self.criterion(criterion_code)
        if (
            isinstance(level, bool)
            or not isinstance(level, int)
            or not crit.low <= level <= crit.high
        ):
            raise LevelOutOfScale(
                field=f"scores.{criterion_code}.level",
                level=level,
                criterion=criterion_code,
                low=crit.low,
                high=crit.high,
            )
        return level

    def _check_draft(self) -> None:
        if self.adopted:
            raise GridFrozen(version=self.number)


def require_grid(grid: GridVersion | None, number: int) -> GridVersion:
    if grid is None:
        raise NotFound(kind="Grille", id=f"v{number}")
    return grid
