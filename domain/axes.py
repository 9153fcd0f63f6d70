"""Strategic axes and their indicators, with measurements over time."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain import dates
from domain.accounts import require
from domain.base import LedgerAggregate, natural_id
from domain.errors import AxisHasOpenIndicators
from domain.records import check_open, reason_for
from domain.values import (
    DomainEnum,
    Role,
    code,
    decimal_value,
    enum_value,
    iso_date,
    text,
    year,
)

# Who sets up the strategy: the DSI, the chair (DGS), and the administrator who sets
# the municipality up.
EDITORS = (Role.DSI, Role.CHAIR, Role.ADMIN)


class MeasureKind(DomainEnum):
    """A planned (expected) or realised value of an indicator."""

    PLANNED = "planned"
    REALISED = "realised"


class Axis(LedgerAggregate):
    """A strategic axis of the SDSI; it knows which of its indicators are open, so it
    is closed only once they are."""

    def __init__(self) -> None:
        self.code = ""
        self.label = ""
        self.description = ""
        self.closed_at: datetime | None = None
        # The open indicators of the axis, sorted; None for an axis created before
        # axes listed them (its indicators are then found in the log).
        self.indicators: list[str] | None = []

    @staticmethod
    def id_for(axis_code: str) -> UUID:
        return natural_id("axis", axis_code)

    class Created(LedgerAggregate.Created):
        code: str
        label: str
        description: str
        indicators_listed: bool

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 axes did not list their indicators."""
            state["indicators_listed"] = False

        def apply(self, agg: Axis) -> None:
            agg.code, agg.label, agg.description = (
                self.code,
                self.label,
                self.description,
            )
            agg.indicators = [] if self.indicators_listed else None

    class Renamed(LedgerAggregate.Event):
        label: str
        description: str

        def apply(self, agg: Axis) -> None:
            agg.label, agg.description = self.label, self.description

    class IndicatorAttached(LedgerAggregate.Event):
        indicator: str

        def apply(self, agg: Axis) -> None:
            if agg.indicators is not None and self.indicator not in agg.indicators:
                agg.indicators = sorted([*agg.indicators, self.indicator])

    class IndicatorDetached(LedgerAggregate.Event):
        indicator: str

        def apply(self, agg: Axis) -> None:
            if agg.indicators is not None and self.indicator in agg.indicators:
                agg.indicators.remove(self.indicator)

    class Closed(LedgerAggregate.Event):
        def apply(self, agg: Axis) -> None:
            agg.closed_at = self.timestamp

    @classmethod
    def create(cls, axis_code: str, label: str, description: str = "") -> Axis:
        require("créer un axe stratégique", *EDITORS)
        axis_code = code(axis_code, "code")
        return cls._create(
            cls.Created,
            id=cls.id_for(axis_code),
            code=axis_code,
            label=text(label, "label"),
            description=text(description, "description", max_len=2000, required=False),
            indicators_listed=True,
        )

    def check_open(self, action: str, field: str | None = None) -> None:
        check_open(self.closed_at, "Axe stratégique", self.code, action, field)

    def rename(self, label: str, description: str | None = None) -> None:
        """A new label (and description, if given); reason required."""
        require("renommer un axe stratégique", *EDITORS)
        self.check_open("renommer")
        new_label = text(label, "label")
        new_description = (
            self.description
            if description is None
            else text(description, "description", max_len=2000, required=False)
        )
        reason_for("renommer un axe stratégique")
        if (new_label, new_description) != (self.label, self.description):
            self.trigger_event(
                self.Renamed, label=new_label, description=new_description
            )

    def attach(self, indicator: str) -> None:
        self.check_open("recevoir un nouvel indicateur", "axis")
        self.trigger_event(self.IndicatorAttached, indicator=indicator)

    def detach(self, indicator: str) -> None:
        if self.indicators is None or indicator in self.indicators:
            self.trigger_event(self.IndicatorDetached, indicator=indicator)

    def close(self, open_indicators: set[str]) -> None:
        """Close the axis (reason required) once ``open_indicators`` is empty."""
        require("fermer un axe stratégique", *EDITORS)
        self.check_open("fermer")
        reason_for("fermer un axe stratégique")
        if open_indicators:
            raise AxisHasOpenIndicators(
                axis=self.code, indicators=", ".join(sorted(open_indicators))
            )
        self.trigger_event(self.Closed)


class Indicator(LedgerAggregate):
    """An indicator of an axis: unit, baseline, a target per year, and measurements.

    The creation's target is the first of its yearly targets; ``target`` and
    ``target_year`` are always those of the latest year with a target."""

    def __init__(self) -> None:
        self.code = ""
        self.axis = ""
        self.label = ""
        self.unit = ""
        self.baseline = Decimal(0)
        self.target = Decimal(0)
        self.target_year = 0
        self.targets: dict[int, Decimal] = {}
        self.measurements: list[dict[str, Any]] = []
        self.closed_at: datetime | None = None

    @staticmethod
    def id_for(indicator_code: str) -> UUID:
        return natural_id("indicator", indicator_code)

    class Created(LedgerAggregate.Created):
        code: str
        axis: str
        label: str
        unit: str
        baseline: Decimal
        target: Decimal
        target_year: int

        def apply(self, agg: Indicator) -> None:
            agg.code, agg.axis, agg.label, agg.unit = (
                self.code,
                self.axis,
                self.label,
                self.unit,
            )
            agg.baseline = self.baseline
            agg.targets = {self.target_year: self.target}
            agg.target, agg.target_year = self.target, self.target_year

    class TargetSet(LedgerAggregate.Event):
        year: int
        value: Decimal

        def apply(self, agg: Indicator) -> None:
            agg.targets[self.year] = self.value
            agg.target_year = max(agg.targets)
            agg.target = agg.targets[agg.target_year]

    class Renamed(LedgerAggregate.Event):
        label: str

        def apply(self, agg: Indicator) -> None:
            agg.label = self.label

    class Closed(LedgerAggregate.Event):
        def apply(self, agg: Indicator) -> None:
            agg.closed_at = self.timestamp

    class Measured(LedgerAggregate.Event):
        on: date
        value: Decimal
        kind: MeasureKind
        comment: str

        def apply(self, agg: Indicator) -> None:
            agg.measurements.append(
                {
                    "on": self.on,
                    "value": self.value,
                    "kind": self.kind.value,
                    "comment": self.comment,
                }
            )

    @classmethod
    def create(
        cls,
        indicator_code: str,
        axis: Axis,
        label: str,
        unit: str,
        baseline: Any,
        target: Any,
        target_year: Any,
    ) -> Indicator:
        require("créer un indicateur", *EDITORS)
        indicator_code = code(indicator_code, "code")
        values = {
            "label": text(label, "label"),
            "unit": text(unit, "unit", max_len=40),
            "baseline": decimal_value(baseline, "baseline"),
            "target": decimal_value(target, "target"),
            "target_year": year(target_year, "target_year"),
        }
        axis.attach(indicator_code)
        return cls._create(
            cls.Created,
            id=cls.id_for(indicator_code),
            code=indicator_code,
            axis=axis.code,
            **values,
        )

    def check_open(self, action: str, field: str | None = None) -> None:
        check_open(self.closed_at, "Indicateur", self.code, action, field)

    def set_target(self, target_year: Any, value: Any) -> None:
        """The target of a year; changing one already set states its reason."""
        require("fixer la cible d'un indicateur", *EDITORS)
        y = year(target_year, "year")
        v = decimal_value(value, "value")
        self.check_open("fixer une cible")
        if self.targets.get(y) == v:
            return
        if y in self.targets:
            reason_for("modifier la cible d'un indicateur")
        self.trigger_event(self.TargetSet, year=y, value=v)

    def rename(self, label: str) -> None:
        require("renommer un indicateur", *EDITORS)
        self.check_open("renommer")
        new = text(label, "label")
        reason_for("renommer un indicateur")
        if new != self.label:
            self.trigger_event(self.Renamed, label=new)

    def close(self, axis: Axis | None) -> None:
        """Close the indicator (reason required): no new target, measurement or link."""
        require("fermer un indicateur", *EDITORS)
        self.check_open("fermer")
        reason_for("fermer un indicateur")
        if axis is not None:
            axis.detach(self.code)
        self.trigger_event(self.Closed)

    def measure(
        self, on: Any, value: Any, kind: Any = MeasureKind.REALISED, comment: str = ""
    ) -> None:
        require("mesurer un indicateur", Role.DSI)
        measured = enum_value(MeasureKind, kind, "kind")
        values = {
            # a realised value is a fact: not after the day it is recorded
            "on": dates.fact(on, "on", "une mesure réalisée")
            if measured is MeasureKind.REALISED
            else iso_date(on, "on"),
            "value": decimal_value(value, "value"),
            "kind": measured,
            "comment": text(comment, "comment", max_len=500, required=False),
        }
        self.check_open("mesurer")
        self.trigger_event(self.Measured, **values)
