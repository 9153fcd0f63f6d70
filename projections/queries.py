"""Reading the views: what pages, the API, exports and the CLI ask. Never the event log.

Every function takes a :class:`ViewStore` — the live views, or a temporary one replayed
as of a past moment (``projections.service.ReadModel.at``) — and returns plain data:
money as ``Decimal`` euros, scores as ``Decimal`` on 0–100, times as UTC ISO text.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from domain.arbitration import ACTIVE, Conflict, dependency_conflicts, ordered
from domain.arbitration import capacity_conflict as capacity_rule
from domain.arbitration import envelope_conflict as envelope_rule
from domain.evidence import fingerprint, shown_evidence_doc
from domain.proposals import Dependency, DependencyKind, Status
from domain.scoring import Evidence
from domain.scoring import consolidate as consolidate_scores
from projections.records import CENT, eur, score
from projections.schema import TABLES
from projections.store import ViewStore
from projections.views.audit import queries as _audit
from projections.views.budget import queries as _budget
from projections.views.portfolio import queries as _portfolio
from projections.views.portfolio.handlers import evidence_doc, grid_criteria

# Projects whose approval reserved their workload: from approval to the end (a
# cancelled one gave it back) — the statuses of domain.arbitration.ACTIVE.
ACTIVE_STATUSES = tuple(sorted(s.value for s in ACTIVE))


def _docs(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [json.loads(r[0]) for r in rows]


# --- decisions -----------------------------------------------------------------------------


def _session_doc(doc: dict[str, Any]) -> dict[str, Any]:
    doc["attendance"] = attendance_journal(doc["attendance"])
    doc.setdefault("removed", [])  # views built before it was kept: rebuild to fill
    doc["present_voting"] = sum(1 for m in doc["present"] if m in doc["voting"])
    doc["quorum_met"] = doc["present_voting"] >= doc["quorum_required"]
    return doc


def attendance_journal(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A session's attendance, one entry per event in ledger order: ``kind`` is
    ``opened`` (``member`` None), ``arrived`` or ``left``; ``present`` is always the
    list of members present just after the entry.

    Views built before this shape stored a change as ``{"member", "present": bool}``;
    they are read the same way (a rebuild rewrites them).
    """
    out: list[dict[str, Any]] = []
    present: list[str] = []
    for entry in entries:
        if isinstance(entry["present"], bool):
            member, arrived = entry["member"], entry["present"]
            now = (
                sorted({*present, member})
                if arrived
                else [m for m in present if m != member]
            )
            entry = {
                "position": entry["position"],
                "at": entry["at"],
                "kind": "arrived" if arrived else "left",
                "member": member,
                "present": now,
            }
        elif "kind" not in entry:
            entry = {**entry, "kind": "opened", "member": None}
        present = entry["present"]
        out.append(entry)
    return out


def sessions(store: ViewStore) -> list[dict[str, Any]]:
    docs = _docs(store.fetchall("SELECT doc FROM {sessions} ORDER BY on_date, code"))
    return [_session_doc(d) for d in docs]


def session(store: ViewStore, code: str) -> dict[str, Any] | None:
    """A session, with per agenda item the evidence the COPIL sees on the session's
    grid version (``evidence``) and the decisions with what they recorded."""
    row = store.fetchone("SELECT doc FROM {sessions} WHERE code = ?", (code,))
    if row is None:
        return None
    doc = _session_doc(json.loads(row[0]))
    doc["decision_records"] = decision_history(store, session=code)
    doc["vote_records"] = votes(store, session=code)
    doc.setdefault("grid_version", None)  # views built before sessions kept it
    doc["evidence"] = {
        p: agenda_evidence(store, p, doc["grid_version"]) for p in doc["agenda"]
    }
    doc["fingerprints"] = {
        p: evidence_fingerprint(store, doc, p)
        for p in doc["agenda"]
        if p not in doc["decisions"]
    }
    return doc  # type: ignore[no-any-return]


def evidence_fingerprint(store: ViewStore, session: dict[str, Any], proposal: str) -> str:
    """The fingerprint (``domain.evidence``) of what the decision form shows of
    ``proposal`` in ``session``: its evidence, the current votes, the standing
    conflicts of an approval and the estimated costs. A decision sent with it is
    refused if the ledger finds other evidence."""
    choices = [v["choice"] for v in session["votes"].get(proposal, {}).values()]
    doc = _doc(store, "proposals", "code", proposal) or {}
    return fingerprint(
        shown_evidence_doc(session["evidence"].get(proposal)),
        (choices.count("for"), choices.count("against"), choices.count("abstain")),
        [Conflict.from_plain(c) for c in approval_conflicts(store, proposal)],
        [(c["year"], c["section"], c["amount_c"]) for c in doc.get("costs", [])],
    )


def agenda_evidence(
    store: ViewStore, proposal: str, grid_version: int | None
) -> dict[str, Any] | None:
    """What the COPIL sees of ``proposal`` on a session's grid version: the scores of
    its current revision by every evaluator, consolidated (``domain.scoring``), the
    value and risk — exactly what a decision taken now records."""
    row = store.fetchone("SELECT doc FROM {proposals} WHERE code = ?", (proposal,))
    if row is None:
        return None
    doc = json.loads(row[0])
    revision = doc["revision"]
    if grid_version is None:
        return evidence_doc(Evidence(None, revision, 0, (), None, None))
    entry = (doc.get("consolidated") or {}).get(str(grid_version))
    if entry is None:  # nobody scored on that version
        grid = store.fetchone(
            "SELECT doc FROM {grids} WHERE number = ?", (grid_version,)
        )
        criteria = grid_criteria(json.loads(grid[0])) if grid else []
        return evidence_doc(consolidate_scores(grid_version, revision, criteria, {}, 0))
    shown = {k: v for k, v in entry.items() if k != "stale"}
    shown["criteria"] = {
        code: {k: v for k, v in c.items() if k != "stale"}
        for code, c in entry["criteria"].items()
    }
    return shown


def votes(
    store: ViewStore, *, session: str | None = None, proposal: str | None = None
) -> list[dict[str, Any]]:
    """Every vote, superseded ones too (``current`` is False for those)."""
    where, params = [], []
    if session:
        where.append("session = ?")
        params.append(session)
    if proposal:
        where.append("proposal = ?")
        params.append(proposal)
    rows = store.fetchall(
        "SELECT position, session, proposal, member, choice, at FROM {votes}"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY position",
        params,
    )
    latest: dict[tuple[str, str, str], int] = {}
    for r in rows:
        latest[(r[1], r[2], r[3])] = r[0]
    return [
        {
            "position": r[0],
            "session": r[1],
            "proposal": r[2],
            "member": r[3],
            "choice": r[4],
            "at": r[5],
            "current": latest[(r[1], r[2], r[3])] == r[0],
        }
        for r in rows
    ]


def decision_history(
    store: ViewStore,
    *,
    session: str | None = None,
    proposal: str | None = None,
    outcome: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> list[dict[str, Any]]:
    """Decisions with rationale, votes, quorum, grid version, scores, budget state, positions."""
    where, params = [], []
    for col, value in (
        ("session", session),
        ("proposal", proposal),
        ("outcome", outcome),
    ):
        if value:
            where.append(f"{col} = ?")
            params.append(value)
    if since:
        where.append("session_date >= ?")
        params.append(since)
    if until:
        where.append("session_date <= ?")
        params.append(until)
    rows = store.fetchall(
        "SELECT position, session, proposal, session_date, decided_at, outcome, ap_c, grid_version, revision, scenario, "
        "votes_for, votes_against, abstentions, present_voting, quorum_required, departs, override, chair, doc "
        "FROM {decisions}"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY position",
        params,
    )
    out = []
    for r in rows:
        evidence = json.loads(r[18])
        out.append(
            {
                "position": r[0],
                "session": r[1],
                "proposal": r[2],
                "session_date": r[3],
                "decided_at": r[4],
                "outcome": r[5],
                "ap": eur(r[6]),
                "grid_version": r[7],
                "revision": r[8],
                "scenario": r[9],
                "votes_for": r[10],
                "votes_against": r[11],
                "abstentions": r[12],
                "present_voting": r[13],
                "quorum_required": r[14],
                "departs_from_majority": bool(r[15]),
                "override": bool(r[16]),
                "chair": r[17],
                "rationale": evidence["rationale"],
                "justification": evidence["justification"],
                "conditions": evidence["conditions"],
                "override_reason": evidence["override_reason"],
                "cp": evidence["cp"],
                "conflicts": evidence.get("conflicts", []),
                "scores": evidence["scores"],
                "evidence_recorded": not evidence.get("recomputed", True),
                "budget_state": evidence["budget"],
                "votes": votes(store, session=r[1], proposal=r[2]),
                "positions": evidence["positions"],
                "present": evidence["present"],
                "value": score(evidence["value_x100"]),
                "risk": score(evidence["risk_x100"]),
            }
        )
    return out


# --- capacity --------------------------------------------------------------------------------


def capacity(
    store: ViewStore, *, team: str | None = None, year: int | None = None
) -> list[dict[str, Any]]:
    """Per team × year: capacity against the workload approved projects reserved (from
    their approval to their end; ``overrides``: the projects an approval took beyond
    the capacity under the chair's override)."""
    marks = ", ".join("?" * len(ACTIVE_STATUSES))
    sql = (
        "SELECT c.team, t.name, t.kind, c.year, c.days, "
        f"COALESCE((SELECT SUM(w.days) FROM {{workloads}} w JOIN {{proposals}} p ON p.code = w.proposal "
        f"WHERE w.team = c.team AND w.year = c.year AND p.status IN ({marks})), 0) "
        "FROM {team_capacity} c JOIN {teams} t ON t.code = c.team"
    )
    where, params = [], list(ACTIVE_STATUSES)
    if team:
        where.append("c.team = ?")
        params.append(team)
    if year is not None:
        where.append("c.year = ?")
        params.append(year)
    rows = store.fetchall(
        sql
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY c.team, c.year",
        params,
    )
    overrides: dict[tuple[str, int], list[str]] = {}
    for t in _docs(store.fetchall("SELECT doc FROM {teams}")):
        for proposal, years in t.get("overrides", {}).items():
            for y in years:
                overrides.setdefault((t["code"], int(y)), []).append(proposal)
    return [
        {
            "team": r[0],
            "name": r[1],
            "kind": r[2],
            "year": r[3],
            "capacity": r[4],
            "workload": workload,
            "load": (Decimal(workload * 100) / r[4]).quantize(Decimal("0.1"))
            if r[4]
            else None,
            "overload": workload > r[4],
            "overrides": sorted(overrides.get((r[0], r[3]), [])),
        }
        for r in rows
        for workload in [int(r[5])]  # SUM is numeric on PostgreSQL, an int on SQLite
    ]


def approval_conflicts(
    store: ViewStore, code: str, cp: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The rules approving ``code`` now would break (``domain.arbitration``, on the
    views): its dependencies, its teams' capacity, and — for a CP schedule
    (``year``, ``section``, ``amount`` in euros) — the envelopes. The decision form
    shows them before the chair submits; the ledger enforces the same rules."""
    doc = _doc(store, "proposals", "code", code)
    if doc is None:
        return []

    def deps(d: dict[str, Any]) -> list[Dependency]:
        return [
            Dependency(DependencyKind(x["kind"]), x["proposal"])
            for x in d.get("dependencies", [])
        ]

    excluders = list(doc.get("excluded_by", []))
    others = {
        c: _doc(store, "proposals", "code", c)
        for c in sorted({d.proposal for d in deps(doc)} | set(excluders))
    }
    found = {c: o for c, o in others.items() if o is not None}
    conflicts: list[Conflict] = dependency_conflicts(
        code,
        [d for d in deps(doc) if d.proposal in found],
        {c: Status(o["status"]) for c, o in found.items()},
        {c: deps(found[c]) for c in excluders if c in found},
    )
    marks = ", ".join("?" * len(ACTIVE_STATUSES))
    for w in doc.get("workloads", []):
        row = store.fetchone(
            "SELECT days FROM {team_capacity} WHERE team = ? AND year = ?",
            (w["team"], w["year"]),
        )
        reserved = store.fetchone(
            "SELECT COALESCE(SUM(w.days), 0) FROM {workloads} w JOIN {proposals} p "
            f"ON p.code = w.proposal WHERE w.team = ? AND w.year = ? AND p.code <> ? "
            f"AND p.status IN ({marks})",
            (w["team"], w["year"], code, *ACTIVE_STATUSES),
        )
        conflict = capacity_rule(
            w["team"],
            w["year"],
            row[0] if row else None,
            int(reserved[0]) if reserved else 0,
            w["days"],
        )
        if conflict is not None:
            conflicts.append(conflict)
    envelopes_by_key = {(e["year"], e["section"]): e for e in envelopes(store)}
    for line in cp or []:
        env = envelopes_by_key.get((line["year"], line["section"]))
        if env is not None:
            conflict = envelope_rule(
                line["year"],
                line["section"],
                env["total"],
                env["allocated"],
                Decimal(str(line["amount"])).quantize(CENT),
            )
            if conflict is not None:
                conflicts.append(conflict)
    return [c.as_plain() for c in ordered(conflicts)]


def _doc(store: ViewStore, table: str, key: str, value: Any) -> dict[str, Any] | None:
    row = store.fetchone(f"SELECT doc FROM {{{table}}} WHERE {key} = ?", (value,))
    return None if row is None else json.loads(row[0])  # type: ignore[no-any-return]


# --- reference ------------------------------------------------------------------------------------


def plan(store: ViewStore) -> dict[str, Any] | None:
    row = store.fetchone("SELECT doc FROM {plan} WHERE id = 'plan'")
    return None if row is None else json.loads(row[0])


def organisation(store: ViewStore) -> dict[str, Any]:
    return {
        "poles": _docs(store.fetchall("SELECT doc FROM {poles} ORDER BY code")),
        "directions": _docs(
            store.fetchall("SELECT doc FROM {directions} ORDER BY pole, code")
        ),
        "teams": _docs(store.fetchall("SELECT doc FROM {teams} ORDER BY code")),
    }


def axes(store: ViewStore) -> list[dict[str, Any]]:
    out = _docs(store.fetchall("SELECT doc FROM {axes} ORDER BY code"))
    indicators = _docs(store.fetchall("SELECT doc FROM {indicators} ORDER BY code"))
    for a in out:
        a["indicators"] = [i for i in indicators if i["axis"] == a["code"]]
    return out


def grids(store: ViewStore) -> list[dict[str, Any]]:
    return _docs(store.fetchall("SELECT doc FROM {grids} ORDER BY number"))


def grid_diff(store: ViewStore, a: int, b: int) -> dict[str, Any] | None:
    """Criteria added, removed and changed (field by field) from version a to b."""
    docs = {g["number"]: g for g in grids(store)}
    if a not in docs or b not in docs:
        return None
    ca, cb = docs[a]["criteria"], docs[b]["criteria"]
    changed = {}
    for code in sorted(set(ca) & set(cb)):
        diffs = {
            k: {"old": ca[code][k], "new": cb[code][k]}
            for k in ca[code]
            if ca[code][k] != cb[code].get(k)
        }
        if diffs:
            changed[code] = diffs
    return {
        "from": a,
        "to": b,
        "added": [cb[c] for c in sorted(set(cb) - set(ca))],
        "removed": [ca[c] for c in sorted(set(ca) - set(cb))],
        "changed": changed,
    }


def accounts(store: ViewStore) -> list[dict[str, Any]]:
    return _docs(store.fetchall("SELECT doc FROM {accounts} ORDER BY username"))


COMMITTEE_ROLES = ("member", "chair", "dsi", "finance")
VOTING_ROLES = ("member", "chair")


def committee(store: ViewStore) -> list[dict[str, Any]]:
    """Who may be convened to a session: the COPIL's sitting members once its
    composition is recorded (``can_vote``: its voting members holding the member's or
    chair's role); before, active accounts that may sit on it: members and chairs
    (who may vote), the DSI and finance (who may attend without voting)."""
    seats = {
        json.loads(r[0])["username"]: json.loads(r[0])
        for r in store.fetchall("SELECT doc FROM {committee} WHERE sitting = 1")
    }
    if seats:
        out = []
        for a in accounts(store):
            seat = seats.get(a["username"])
            if seat is None or not a["active"]:
                continue
            roles = sorted({g.split(":", 1)[0] for g in a["roles"]})
            out.append(
                {
                    "username": a["username"],
                    "display_name": a["display_name"],
                    "roles": roles,
                    "kind": seat["kind"],
                    "voting": seat["voting"],
                    "can_vote": seat["voting"]
                    and any(r in VOTING_ROLES for r in roles),
                }
            )
        return out
    out = []
    for a in accounts(store):
        roles = sorted({g.split(":", 1)[0] for g in a["roles"]} & set(COMMITTEE_ROLES))
        if a["active"] and roles:
            out.append(
                {
                    "username": a["username"],
                    "display_name": a["display_name"],
                    "roles": roles,
                    "can_vote": any(r in VOTING_ROLES for r in roles),
                }
            )
    return out


def account(store: ViewStore, username: str) -> dict[str, Any] | None:
    row = store.fetchone("SELECT doc FROM {accounts} WHERE username = ?", (username,))
    return None if row is None else json.loads(row[0])


def grants(store: ViewStore, username: str | None = None) -> list[dict[str, Any]]:
    rows = store.fetchall(
        "SELECT position, username, action, role, scope, actor, reason, at FROM {grants}"
        + (" WHERE username = ?" if username else "")
        + " ORDER BY position",
        (username,) if username else (),
    )
    return [
        {
            "position": r[0],
            "username": r[1],
            "action": r[2],
            "role": r[3],
            "scope": r[4],
            "actor": r[5],
            "reason": r[6],
            "at": r[7],
        }
        for r in rows
    ]


def measurements(
    store: ViewStore, indicator: str | None = None
) -> list[dict[str, Any]]:
    rows = store.fetchall(
        "SELECT position, indicator, on_date, value, kind, comment FROM {measurements}"
        + (" WHERE indicator = ?" if indicator else "")
        + " ORDER BY indicator, on_date, position",
        (indicator,) if indicator else (),
    )
    return [
        {
            "position": r[0],
            "indicator": r[1],
            "on": r[2],
            "value": Decimal(r[3]),
            "kind": r[4],
            "comment": r[5],
        }
        for r in rows
    ]


# --- tracking and dumps ---------------------------------------------------------------------------


def tracking(store: ViewStore) -> list[dict[str, Any]]:
    return [
        {"view": r[0], "position": r[1], "notification_id": r[2], "updated_at": r[3]}
        for r in store.fetchall(
            "SELECT view, position, notification_id, updated_at FROM {tracking} ORDER BY view"
        )
    ]


def dump(
    store: ViewStore, *, positions_only: bool = False
) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every view, canonically ordered (to compare two builds)."""
    out = {}
    for t in TABLES:
        if t.name == "tracking":
            out[t.name] = [
                r[:2]
                for r in store.fetchall(
                    "SELECT view, position FROM {tracking} ORDER BY view"
                )
            ]
            continue
        cols = [c for c in t.columns if c != "notification_id"]
        rows = store.fetchall(f"SELECT {', '.join(cols)} FROM {{{t.name}}}")
        out[t.name] = sorted(
            rows, key=lambda r: tuple("" if v is None else str(v) for v in r)
        )
    return out


# --- moved to their view (projections.views.<view>.queries), re-exported -----------------

portfolio = _portfolio.portfolio
proposal = _portfolio.proposal
audit_trail = _audit.audit_trail
envelopes = _budget.envelopes
budget_lines = _budget.budget_lines
budget_consumption = _budget.budget_consumption
budget_totals = _budget.budget_totals
project_budget = _budget.project_budget
budget_moves = _budget.budget_moves
MONEY_FIELDS = _budget.MONEY_FIELDS
