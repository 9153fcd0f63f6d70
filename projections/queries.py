"""Reading the views: what pages, the API, exports and the CLI ask. Never the event log.

Every function takes a :class:`ViewStore` — the live views, or a temporary one replayed
as of a past moment (``projections.service.ReadModel.at``) — and returns plain data:
money as ``Decimal`` euros, scores as ``Decimal`` on 0–100, times as UTC ISO text.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from domain import values
from domain.arbitration import ACTIVE
from domain.values import Role
from projections.records import CENT, eur, score  # noqa: F401 - re-exported
from projections.schema import TABLES
from projections.store import ViewStore
from projections.views.audit import queries as _audit
from projections.views.budget import queries as _budget
from projections.views.decisions import queries as _decisions
from projections.views.portfolio import queries as _portfolio

# Projects whose approval reserved their workload: from approval to the end (a
# cancelled one gave it back) — the statuses of domain.arbitration.ACTIVE.
ACTIVE_STATUSES = tuple(sorted(s.value for s in ACTIVE))


def _docs(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [json.loads(r[0]) for r in rows]


# --- reference ------------------------------------------------------------------------------------


def plan(store: ViewStore) -> dict[str, Any] | None:
    row = store.fetchone("SELECT doc FROM {plan} WHERE id = 'plan'")
    return None if row is None else json.loads(row[0])


# The reference tables' documents, each in its order: (table, number column, text
# columns) — read together in one statement by :func:`reference`.
_REFERENCE = {
    "poles": ("0", "code", "''"),
    "directions": ("0", "pole", "code"),
    "teams": ("0", "code", "''"),
    "axes": ("0", "code", "''"),
    "indicators": ("0", "code", "''"),
    "grids": ("number", "''", "''"),
}


def reference(store: ViewStore, *tables: str) -> dict[str, list[dict[str, Any]]]:
    """The documents of several reference tables (keys of ``_REFERENCE``), each in
    its order, in one round trip (UNION ALL)."""
    sql = " UNION ALL ".join(
        f"SELECT {i} AS t, {n} AS n, {a} AS a, {b} AS b, doc FROM {{{name}}}"
        for i, name in enumerate(tables)
        for n, a, b in [_REFERENCE[name]]
    )
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}
    for i, _n, _a, _b, doc in store.fetchall(sql + " ORDER BY t, n, a, b"):
        out[tables[i]].append(json.loads(doc))
    return out


def _organisation(docs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return {k: docs[k] for k in ("poles", "directions", "teams")}


def _axes(docs: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    out = docs["axes"]
    for a in out:
        a["indicators"] = [i for i in docs["indicators"] if i["axis"] == a["code"]]
    return out


def organisation(store: ViewStore) -> dict[str, Any]:
    return _organisation(reference(store, "poles", "directions", "teams"))


def axes(store: ViewStore) -> list[dict[str, Any]]:
    return _axes(reference(store, "axes", "indicators"))


def grids(store: ViewStore) -> list[dict[str, Any]]:
    return _docs(store.fetchall("SELECT doc FROM {grids} ORDER BY number"))


def page_reference(
    store: ViewStore,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """The organisation, the axes and the grids a list page's filters offer, in one
    round trip."""
    docs = reference(store, *_REFERENCE)
    return _organisation(docs), _axes(docs), docs["grids"]


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


COMMITTEE_ROLES = Role.names(values.COMMITTEE_ROLES)
VOTING_ROLES = Role.names(values.VOTING_ROLES)


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
portfolio_page = _portfolio.portfolio_page
value_risk_points = _portfolio.value_risk_points
PORTFOLIO_SORTS = _portfolio.SORTS
proposal = _portfolio.proposal
audit_trail = _audit.audit_trail
envelopes = _budget.envelopes
budget_lines = _budget.budget_lines
budget_consumption = _budget.budget_consumption
budget_summary = _budget.budget_summary
budget_lines_page = _budget.budget_lines_page
budget_projects = _budget.budget_projects
summed_totals = _budget.summed_totals
BUDGET_LINE_SORTS = _budget.LINE_SORTS
BUDGET_PROJECT_SORTS = _budget.PROJECT_SORTS
budget_totals = _budget.budget_totals
project_budget = _budget.project_budget
budget_moves = _budget.budget_moves
MONEY_FIELDS = _budget.MONEY_FIELDS
attendance_journal = _decisions.attendance_journal
sessions = _decisions.sessions
session = _decisions.session
evidence_fingerprint = _decisions.evidence_fingerprint
agenda_evidence = _decisions.agenda_evidence
votes = _decisions.votes
decision_history = _decisions.decision_history
capacity = _decisions.capacity
approval_conflicts = _decisions.approval_conflicts
ACTIVE_STATUSES = _decisions.ACTIVE_STATUSES
