"""Strategic axes and their indicators, with measurements over time."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.accounts import require
from domain.base import LedgerAggregate, natural_id
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


class MeasureKind(DomainEnum):
    """A planned (expected) or realised value of an indicator."""

    PLANNED = "planned"
    REALISED = "realised"


class Axis(LedgerAggregate):
    """A strategic axis of the SDSI."""

    def __init__(self) -> None:
        self.code = ""
        self.label = ""
        self.description = ""

    @staticmethod
    def id_for(axis_code: str) -> UUID:
        return natural_id("axis", axis_code)

    class Created(LedgerAggregate.Created):
        code: str
        label: str
        description: str

        def apply(self, agg: Axis) -> None:
            agg.code, agg.label, agg.description = (
                self.code,
                self.label,
                self.description,
            )

    @classmethod
    def create(cls, axis_code: str, label: str, description: str = "") -> Axis:
        require("créer un axe stratégique", Role.DSI, Role.CHAIR)
        axis_code = code(axis_code, "code")
        return cls._create(
            cls.Created,
            id=cls.id_for(axis_code),
            code=axis_code,
            label=text(label, "label"),
            description=text(description, "description", max_len=2000, required=False),
        )


class Indicator(LedgerAggregate):
    """An indicator of an axis: baseline, target by a year, and measurements."""

    def __init__(self) -> None:
        self.code = ""
        self.axis = ""
        self.label = ""
        self.unit = ""
        self.baseline = Decimal(0)
        self.target = Decimal(0)
        self.target_year = 0
        self.measurements: list[dict[str, Any]] = []

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
            agg.baseline, agg.target, agg.target_year = (
                self.baseline,
                self.target,
                self.target_year,
            )

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
        require("créer un indicateur", Role.DSI, Role.CHAIR)
        indicator_code = code(indicator_code, "code")
        return cls._create(
            cls.Created,
            id=cls.id_for(indicator_code),
            code=indicator_code,
            axis=axis.code,
            label=text(label, "label"),
            unit=text(unit, "unit", max_len=40),
            baseline=decimal_value(baseline, "baseline"),
            target=decimal_value(target, "target"),
            target_year=year(target_year, "target_year"),
        )

    def measure(
        self, on: Any, value: Any, kind: Any = MeasureKind.REALISED, comment: str = ""
    ) -> None:
        require("mesurer un indicateur", Role.DSI)
        self.trigger_event(
            self.Measured,
            on=iso_date(on, "on"),
            value=decimal_value(value, "value"),
            kind=enum_value(MeasureKind, kind, "kind"),
            comment=text(comment, "comment", max_len=500, required=False),
        )
