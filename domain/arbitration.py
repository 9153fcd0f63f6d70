"""What an approval must not break: dependencies between proposals, team capacity and
budget envelopes.

An approval that breaks one of these rules is refused with a named error unless the
chair records a motivated override; the decision then lists every rule it broke (its
``conflicts``), so the override shows wherever the decision does. The functions here
take plain values, so the write side (on its aggregates) and the decision form (on the
views, before the chair submits) apply the very same rules.

- ``requires``: a proposal requiring another is approved only once the other is
  approved (approved, with conditions, planned, in progress or done);
- ``excludes``: two proposals of which one excludes the other are never both approved,
  whichever declared it;
- capacity: the workload a team has reserved for approved projects, plus the new one,
  stays within the team's capacity of the year (a year without declared capacity has
  none);
- envelope: the CP allocated in a year and section stay within its envelope.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from domain.errors import (
    LABELS,
    CapacityExceeded,
    DomainError,
    EnvelopeExceeded,
    ExcludedProposalApproved,
    RequiredProposalNotApproved,
)
from domain.proposals import APPROVED, Dependency, DependencyKind, Status
from domain.values import DomainEnum, ValueObject

# An approved project, from its approval to its end (a cancelled one no longer counts).
ACTIVE = frozenset({*APPROVED, Status.PLANNED, Status.IN_PROGRESS, Status.DONE})


class Rule(DomainEnum):
    """The rule an approval breaks."""

    REQUIRES = "requires"
    EXCLUDES = "excludes"
    CAPACITY = "capacity"
    ENVELOPE = "envelope"


@dataclass(frozen=True)
class Conflict(ValueObject):
    """One rule an approval breaks: the other proposal (with its status), or the team
    (year, capacity, already reserved, requested days), or the envelope ("YEAR/section",
    year, total, already allocated, requested euros)."""

    rule: Rule
    target: str
    status: str | None = None
    year: int | None = None
    limit: Decimal | None = None
    used: Decimal | None = None
    requested: Decimal | None = None

    @property
    def available(self) -> Decimal | None:
        if self.limit is None or self.used is None:
            return None
        return self.limit - self.used

    def as_plain(self) -> dict[str, Any]:
        """JSON-able form (decimals as text), with what remained available."""
        out: dict[str, Any] = {
            k: format(v, "f") if isinstance(v, Decimal) else v
            for k, v in self.as_dict().items()
        }
        out["rule"] = self.rule.value
        available = self.available
        out["available"] = format(available, "f") if available is not None else None
        return out

    @classmethod
    def from_plain(cls, data: Mapping[str, Any]) -> Conflict:
        """A conflict from its plain (view) form."""

        def dec(key: str) -> Decimal | None:
            return None if data.get(key) is None else Decimal(str(data[key]))

        return cls(
            rule=Rule(data["rule"]),
            target=data["target"],
            status=data.get("status"),
            year=data.get("year"),
            limit=dec("limit"),
            used=dec("used"),
            requested=dec("requested"),
        )

    def describe(self) -> str:
        """The broken rule in a few French words (minutes, override reasons)."""
        if self.rule is Rule.REQUIRES:
            return f"requiert la fiche {self.target} ({LABELS.get(self.status or '', self.status)})"
        if self.rule is Rule.EXCLUDES:
            return f"exclusive de la fiche {self.target} ({LABELS.get(self.status or '', self.status)})"
        if self.rule is Rule.CAPACITY:
            return (
                f"capacité de l'équipe {self.target} en {self.year} : {self.used} j "
                f"réservés + {self.requested} demandés pour {self.limit}"
            )
        year, section = self.target.split("/", 1)
        return (
            f"enveloppe {year} ({section}) : {self.requested} € demandés, "
            f"{self.available} € disponibles"
        )

    def error(self, proposal: str) -> DomainError:
        """The named error refusing the approval of ``proposal`` without override."""
        if self.rule is Rule.REQUIRES:
            return RequiredProposalNotApproved(
                proposal=proposal, required=self.target, status=self.status
            )
        if self.rule is Rule.EXCLUDES:
            return ExcludedProposalApproved(
                proposal=proposal, other=self.target, status=self.status
            )
        if self.rule is Rule.CAPACITY:
            return CapacityExceeded(
                team=self.target,
                year=self.year,
                proposal=proposal,
                capacity=self.limit,
                reserved=self.used,
                requested=self.requested,
            )
        return EnvelopeExceeded(
            field="cp",
            year=self.year,
            section=self.target.split("/", 1)[1],
            proposal=proposal,
            requested=self.requested,
            available=self.available,
        )


def dependency_conflicts(
    code: str,
    dependencies: Iterable[Dependency],
    statuses: Mapping[str, Status],
    excluders: Mapping[str, Iterable[Dependency]],
) -> list[Conflict]:
    """The dependencies that approving ``code`` breaks.

    ``dependencies`` are its own (current estimates), ``statuses`` the status of every
    proposal they or ``excluders`` name, ``excluders`` the current dependencies of the
    proposals that declared excluding ``code`` (only those still excluding it count).
    """
    out: dict[str, Conflict] = {}
    for dep in dependencies:
        status = statuses[dep.proposal]
        if dep.kind is DependencyKind.REQUIRES and status not in ACTIVE:
            out[dep.proposal] = Conflict(Rule.REQUIRES, dep.proposal, status.value)
        elif dep.kind is DependencyKind.EXCLUDES and status in ACTIVE:
            out[dep.proposal] = Conflict(Rule.EXCLUDES, dep.proposal, status.value)
    for other, deps in sorted(excluders.items()):
        status = statuses[other]
        excludes = any(
            d.kind is DependencyKind.EXCLUDES and d.proposal == code for d in deps
        )
        if excludes and status in ACTIVE and other not in out:
            out[other] = Conflict(Rule.EXCLUDES, other, status.value)
    return [out[k] for k in sorted(out)]


def capacity_conflict(
    team: str, year: int, capacity: int | None, reserved: int, requested: int
) -> Conflict | None:
    """Reserving ``requested`` days of ``team`` in ``year`` on top of ``reserved``
    exceeds its capacity (None: a year without declared capacity has none)."""
    if requested <= 0 or reserved + requested <= (capacity or 0):
        return None
    return Conflict(
        Rule.CAPACITY,
        team,
        year=year,
        limit=Decimal(capacity or 0),
        used=Decimal(reserved),
        requested=Decimal(requested),
    )


def envelope_conflict(
    year: int, section: str, total: Decimal, allocated: Decimal, requested: Decimal
) -> Conflict | None:
    """Allocating ``requested`` euros on an envelope already ``allocated`` exceeds it."""
    if requested <= 0 or requested <= total - allocated:
        return None
    return Conflict(
        Rule.ENVELOPE,
        f"{year}/{section}",
        year=year,
        limit=total,
        used=allocated,
        requested=requested,
    )


ORDER = {Rule.REQUIRES: 0, Rule.EXCLUDES: 1, Rule.CAPACITY: 2, Rule.ENVELOPE: 3}


def ordered(conflicts: Iterable[Conflict]) -> tuple[Conflict, ...]:
    """Conflicts in a stable order: dependencies, capacity, envelopes."""
    return tuple(
        sorted(conflicts, key=lambda c: (ORDER[c.rule], c.target, c.year or 0))
    )


def envelope_left(total: Decimal, allocated: Decimal, requested: Decimal) -> Decimal:
    """What an envelope keeps once ``requested`` is allocated on it (negative: the
    amount by which an approval would exceed it, :func:`envelope_conflict`)."""
    return total - allocated - requested
