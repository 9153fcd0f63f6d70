"""Reference data: the municipality, the plan, pôles, directions, teams (and capacity),
axes, indicators (and their targets), grid versions, accounts with their role grants,
and the COPIL's composition.

Records are closed, never deleted: their documents keep ``status`` (``open`` or
``closed``) and ``closed_at``. Documents written before records could close have no
``status``: the queries read them as open. The history of each record (who, when,
why) is the audit trail's, by aggregate type and key."""

from __future__ import annotations

from typing import Any

from domain.accounts import Account, grant_label
from domain.axes import Axis, Indicator
from domain.committee import Committee
from domain.grids import GridVersion
from domain.municipality import Municipality
from domain.organisation import Direction, Pole, Team
from domain.personal import ERASED
from domain.plan import Phase, Plan
from domain.proposals import Proposal
from projections.registry import Batch, Meta, document, on
from projections.views.audit.handlers import plain
from projections.views.reference.tables import (
    ACCOUNTS,
    AXES,
    COMMITTEE,
    DIRECTIONS,
    GRANTS,
    GRIDS,
    INDICATORS,
    MEASUREMENTS,
    MUNICIPALITY,
    PLAN,
    POLES,
    TEAM_CAPACITY,
    TEAMS,
)

PHASES = tuple(p.value for p in Phase)  # the six phases, in their order

# --- municipality ------------------------------------------------------------------------


@on(Municipality.Defined, Municipality.Changed)
def municipality(batch: Batch, e: Any, m: Meta) -> None:
    doc = batch.doc("municipality", ("municipality",)) or {"position": m.position}
    doc.update(
        name=e.name,
        siren=e.siren,
        siret=e.siret,
        insee=e.insee,
        updated_position=m.position,
    )
    batch.put("municipality", ("municipality",), doc)


document("municipality", lambda d: MUNICIPALITY.row(id="municipality"))

# --- plan --------------------------------------------------------------------------------


def _phases_planned() -> dict[str, dict[str, Any]]:
    """A new plan's six phases, none started."""
    return {
        p: {
            "status": "planned",
            "planned_start": None,
            "planned_end": None,
            "started_on": None,
            "done_on": None,
        }
        for p in PHASES
    }


@on(Plan.Defined)
def plan_defined(batch: Batch, e: Plan.Defined, m: Meta) -> None:
    batch.put(
        "plan",
        ("plan",),
        {
            "number": 1,
            "name": e.name,
            "municipality": e.municipality,
            "first_year": e.first_year,
            "last_year": e.last_year,
            "position": m.position,
            "phases": _phases_planned(),
        },
    )


@on(Plan.Renamed)
def plan_renamed(batch: Batch, e: Plan.Renamed, m: Meta) -> None:
    batch.touch("plan", ("plan",))["name"] = e.name


@on(Plan.HorizonChanged)
def plan_horizon(batch: Batch, e: Plan.HorizonChanged, m: Meta) -> None:
    batch.touch("plan", ("plan",)).update(
        first_year=e.first_year, last_year=e.last_year
    )


@on(Plan.Followed)
def plan_followed(batch: Batch, e: Plan.Followed, m: Meta) -> None:
    """The current plan ends as it stands (kept in ``previous``, with the position
    its views end at); the next one starts with the projects it carries over."""
    doc = batch.touch("plan", ("plan",))
    ended = {
        k: doc.get(k) for k in ("name", "first_year", "last_year", "phases", "position")
    }
    ended.update(
        number=doc.get("number", 1), ended_position=m.position - 1, ended_at=m.at
    )
    doc.setdefault("previous", []).append(ended)
    doc.update(
        number=e.number,
        name=e.name,
        first_year=e.first_year,
        last_year=e.last_year,
        position=m.position,
        started_at=m.at,
        carried=list(e.projects),
        pending=list(e.pending),
        members=sorted({*e.projects, *e.pending}),
        axes=list(e.axes),
        indicators=list(e.indicators),
        grid=e.grid,
        phases=_phases_planned(),
    )


@on(Proposal.Drafted)
def plan_member(batch: Batch, e: Proposal.Drafted, m: Meta) -> None:
    """A proposal drafted under a plan that followed another is one of its own."""
    doc = batch.doc("plan", ("plan",))
    if doc is not None and "members" in doc:
        batch.touch("plan", ("plan",))["members"].append(e.code)


@on(Plan.PhaseScheduled, Plan.PhaseStarted, Plan.PhaseCompleted)
def plan_phase(batch: Batch, e: Any, m: Meta) -> None:
    phase = batch.touch("plan", ("plan",))["phases"][e.phase.value]
    if isinstance(e, Plan.PhaseScheduled):
        phase.update(
            planned_start=e.planned_start.isoformat(),
            planned_end=e.planned_end.isoformat(),
        )
    elif isinstance(e, Plan.PhaseStarted):
        phase.update(status="in_progress", started_on=e.on.isoformat())
    else:
        phase.update(status="done", done_on=e.on.isoformat())


document("plan", lambda d: PLAN.row(id="plan"))

# --- organisation ------------------------------------------------------------------------


OPEN = {"status": "open", "closed_at": None}


@on(Pole.Created)
def pole_created(batch: Batch, e: Pole.Created, m: Meta) -> None:
    batch.put("poles", (e.code,), {"code": e.code, "name": e.name, **OPEN})


@on(Pole.Closed, Direction.Closed, Team.Closed, Axis.Closed, Indicator.Closed)
def record_closed(batch: Batch, e: Any, m: Meta) -> None:
    table = CLOSABLE[type(e)]
    batch.touch(table, (m.key,)).update(status="closed", closed_at=m.at)


@on(Pole.Renamed)
def pole_renamed(batch: Batch, e: Pole.Renamed, m: Meta) -> None:
    key = m.key
    batch.touch("poles", (key,))["name"] = e.name


@on(Direction.Created)
def direction_created(batch: Batch, e: Direction.Created, m: Meta) -> None:
    batch.put(
        "directions",
        (e.code,),
        {
            "code": e.code,
            "name": e.name,
            "pole": e.pole,
            "entity": e.entity,
            "proposals": [],
            **OPEN,
        },
    )


@on(Direction.Renamed, Team.Renamed)
def renamed(batch: Batch, e: Any, m: Meta) -> None:
    table = "directions" if isinstance(e, Direction.Renamed) else "teams"
    batch.touch(table, (m.key,))["name"] = e.name


@on(Direction.Moved)
def direction_moved(batch: Batch, e: Direction.Moved, m: Meta) -> None:
    key = m.key
    direction = batch.touch("directions", (key,))
    direction["pole"] = e.pole
    for code in direction["proposals"]:
        batch.touch("proposals", (code,))["pole"] = e.pole


@on(Team.Created)
def team_created(batch: Batch, e: Team.Created, m: Meta) -> None:
    batch.put(
        "teams",
        (e.code,),
        {
            "code": e.code,
            "name": e.name,
            "kind": e.kind.value,
            "direction": e.direction,
            "capacity": {},
            "reserved": {},
            "overrides": {},
            **OPEN,
        },
    )


@on(Team.CapacitySet)
def team_capacity(batch: Batch, e: Team.CapacitySet, m: Meta) -> None:
    key = m.key
    batch.touch("teams", (key,))["capacity"][str(e.year)] = e.days


@on(Team.WorkloadReserved, Team.WorkloadReleased)
def team_reservation(batch: Batch, e: Any, m: Meta) -> None:
    """What approvals reserved of the team (and which went beyond its capacity under
    the chair's override, with its reason and position)."""
    team = batch.touch("teams", (m.key,))
    reserved, overrides = (
        team.setdefault("reserved", {}),
        team.setdefault("overrides", {}),
    )
    if isinstance(e, Team.WorkloadReleased):
        reserved.pop(e.proposal, None)
        overrides.pop(e.proposal, None)
        return
    reserved.setdefault(e.proposal, {})[str(e.year)] = e.days
    if e.override_reason is not None:
        overrides.setdefault(e.proposal, {})[str(e.year)] = {
            "reason": e.override_reason,
            "position": m.position,
        }


document("poles", lambda d: POLES.row(code=d["code"], name=d["name"]))
document(
    "directions",
    lambda d: DIRECTIONS.row(code=d["code"], name=d["name"], pole=d["pole"]),
)
document(
    "teams",
    lambda d: TEAMS.row(
        code=d["code"], name=d["name"], kind=d["kind"], direction=d["direction"]
    ),
    lambda batch, d: {
        "team_capacity": [
            TEAM_CAPACITY.row(team=d["code"], year=int(y), days=days)
            for y, days in d["capacity"].items()
        ]
    },
)

# --- axes and indicators -----------------------------------------------------------------


@on(Axis.Created)
def axis_created(batch: Batch, e: Axis.Created, m: Meta) -> None:
    batch.put(
        "axes",
        (e.code,),
        {"code": e.code, "label": e.label, "description": e.description, **OPEN},
    )


@on(Axis.Renamed)
def axis_renamed(batch: Batch, e: Axis.Renamed, m: Meta) -> None:
    batch.touch("axes", (m.key,)).update(label=e.label, description=e.description)


@on(Indicator.Created)
def indicator_created(batch: Batch, e: Indicator.Created, m: Meta) -> None:
    batch.put(
        "indicators",
        (e.code,),
        {
            "code": e.code,
            "axis": e.axis,
            "label": e.label,
            "unit": e.unit,
            "baseline": plain(e.baseline),
            "target": plain(e.target),
            "target_year": e.target_year,
            "targets": {str(e.target_year): plain(e.target)},
            "last": {},
            **OPEN,
        },
    )


@on(Indicator.TargetSet)
def indicator_target(batch: Batch, e: Indicator.TargetSet, m: Meta) -> None:
    ind = batch.touch("indicators", (m.key,))
    targets = ind.setdefault("targets", {str(ind["target_year"]): ind["target"]})
    targets[str(e.year)] = plain(e.value)
    last = max(targets, key=int)
    ind.update(target=targets[last], target_year=int(last))


@on(Indicator.Renamed)
def indicator_renamed(batch: Batch, e: Indicator.Renamed, m: Meta) -> None:
    batch.touch("indicators", (m.key,))["label"] = e.label


@on(Indicator.Measured)
def indicator_measured(batch: Batch, e: Indicator.Measured, m: Meta) -> None:
    key = m.key
    ind = batch.touch("indicators", (key,))
    ind["last"][e.kind.value] = {"on": e.on.isoformat(), "value": plain(e.value)}
    batch.append(
        "measurements",
        MEASUREMENTS.row(
            position=m.position,
            indicator=key,
            on_date=e.on.isoformat(),
            value=plain(e.value),
            kind=e.kind.value,
            comment=e.comment,
            at=m.at,
        ),
    )


document("axes", lambda d: AXES.row(code=d["code"], label=d["label"]))
document(
    "indicators",
    lambda d: INDICATORS.row(code=d["code"], axis=d["axis"], label=d["label"]),
)

CLOSABLE: dict[type, str] = {
    Pole.Closed: "poles",
    Direction.Closed: "directions",
    Team.Closed: "teams",
    Axis.Closed: "axes",
    Indicator.Closed: "indicators",
}

# --- the COPIL's composition -------------------------------------------------------------


@on(Committee.MemberAppointed, Committee.MemberChanged, Committee.MemberLeft)
def committee_member(batch: Batch, e: Any, m: Meta) -> None:
    if isinstance(e, Committee.MemberLeft):
        batch.touch("committee", (e.username,)).update(
            sitting=False, left_at=m.at, left_position=m.position
        )
        return
    seat = {"kind": e.kind.value, "voting": e.voting, "sitting": True}
    if isinstance(e, Committee.MemberAppointed):
        seat.update(since=m.at, since_position=m.position, left_at=None)
        seat.update(left_position=None)
    doc = batch.doc("committee", (e.username,)) or {"username": e.username}
    doc.update(seat)
    batch.put("committee", (e.username,), doc)


document(
    "committee",
    lambda d: COMMITTEE.row(
        username=d["username"],
        kind=d["kind"],
        voting=int(d["voting"]),
        sitting=int(d["sitting"]),
    ),
)

# --- grid ------------------------------------------------------------------------------------


def criterion_doc(c: Any) -> dict[str, Any]:
    return {
        "code": c.code,
        "label": c.label,
        "family": c.family.value,
        "weight": plain(c.weight),
        "scale": [{"level": s.level, "descriptor": s.descriptor} for s in c.scale],
        "axis": c.axis,
        "indicator": c.indicator,
    }


@on(GridVersion.Drafted)
def grid_drafted(batch: Batch, e: GridVersion.Drafted, m: Meta) -> None:
    batch.put(
        "grids",
        (e.number,),
        {
            "number": e.number,
            "label": e.label,
            "based_on": e.based_on,
            "status": "draft",
            "adopted_on": None,
            "adopted_position": None,
            "drafted_position": m.position,
            "criteria": {c.code: criterion_doc(c) for c in e.criteria},
            "positions": [m.position],
        },
    )


@on(
    GridVersion.CriterionSet,
    GridVersion.PropositionAccepted,
    GridVersion.CriterionRemoved,
    GridVersion.Adopted,
    GridVersion.AdoptedByCommittee,
)
def grid_changed(batch: Batch, e: Any, m: Meta) -> None:
    key = m.key
    grid = batch.touch("grids", (int(key[1:]),))
    grid["positions"].append(m.position)
    if isinstance(e, GridVersion.CriterionSet):
        grid["criteria"][e.criterion.code] = criterion_doc(e.criterion)
    elif isinstance(e, GridVersion.PropositionAccepted):
        # the criterion as taken from a proposition of the discussion, naming it
        grid["criteria"][e.criterion.code] = {
            **criterion_doc(e.criterion),
            "proposition": e.proposition,
        }
        grid.setdefault("accepted", []).append(
            {
                "criterion": e.criterion.code,
                "proposition": e.proposition,
                "position": m.position,
            }
        )
    elif isinstance(e, GridVersion.CriterionRemoved):
        del grid["criteria"][e.criterion_code]
    else:
        grid.update(
            status="adopted", adopted_on=e.on.isoformat(), adopted_position=m.position
        )
        # adopted by a COPIL decision (None: by the chair directly)
        grid["adopted_by_session"] = getattr(e, "session", None)


document(
    "grids",
    lambda d: GRIDS.row(
        number=d["number"],
        label=d["label"],
        status=d["status"],
        adopted_on=d["adopted_on"],
    ),
)

# --- accounts ----------------------------------------------------------------------------------


@on(Account.Registered)
def account_registered(batch: Batch, e: Account.Registered, m: Meta) -> None:
    batch.put(
        "accounts",
        (e.username,),
        {
            "username": e.username,
            "display_name": e.display_name.shown,
            "email": e.email.address,
            "roles": [],
            "active": True,
            "created_at": m.at,
            "created_by": m.context.actor,
        },
    )


@on(
    Account.RoleGranted,
    Account.RoleRevoked,
    Account.Disabled,
    Account.Enabled,
    Account.PasswordChanged,
    Account.PasswordReset,
    Account.EmailChanged,
    Account.Erased,
)
def account_changed(batch: Batch, e: Any, m: Meta) -> None:
    username = m.key
    account = batch.touch("accounts", (username,))
    ctx = m.context
    if isinstance(e, Account.RoleGranted | Account.RoleRevoked):
        label = grant_label(e.role, e.scope)
        granted = isinstance(e, Account.RoleGranted)
        if granted:
            account["roles"].append(label)
        else:
            account["roles"].remove(label)
        batch.append(
            "grants",
            GRANTS.row(
                position=m.position,
                username=username,
                action="grant" if granted else "revoke",
                role=e.role,
                scope=e.scope,
                actor=ctx.actor,
                reason=ctx.reason,
                at=m.at,
            ),
        )
    elif isinstance(e, Account.Disabled | Account.Enabled):
        account["active"] = isinstance(e, Account.Enabled)
        batch.append(
            "grants",
            GRANTS.row(
                position=m.position,
                username=username,
                action="disable" if isinstance(e, Account.Disabled) else "enable",
                role=None,
                scope=None,
                actor=ctx.actor,
                reason=ctx.reason,
                at=m.at,
            ),
        )
    elif isinstance(e, Account.EmailChanged):
        account["email"] = e.email.address
    elif isinstance(e, Account.Erased):
        # the plain text leaves the view in the transaction that records the event
        account.update(display_name=ERASED, email="", active=False, erased=True)
        batch.append(
            "grants",
            GRANTS.row(
                position=m.position,
                username=username,
                action="erase",
                role=None,
                scope=None,
                actor=ctx.actor,
                reason=ctx.reason,
                at=m.at,
            ),
        )
    else:
        account["password_changed_at"] = m.at


document(
    "accounts",
    lambda d: ACCOUNTS.row(
        username=d["username"],
        display_name=d["display_name"],
        active=int(d["active"]),
        roles=",".join(sorted(d["roles"])),
    ),
)
