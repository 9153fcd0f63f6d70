"""Reading the decisions view: COPIL sessions with their agenda's evidence, votes,
decisions with what they recorded, teams' capacity against approved workloads, and the
conflicts an approval would raise."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from domain.arbitration import ACTIVE, Conflict, dependency_conflicts, ordered
from domain.arbitration import capacity_conflict as capacity_rule
from domain.evidence import fingerprint, shown_evidence_doc
from domain.proposals import Dependency, DependencyKind, Status
from domain.scoring import Evidence
from domain.scoring import consolidate as consolidate_scores
from domain.sessions import SessionStatus, count_votes
from projections.paging import Page, matching, order_by
from projections.records import document, documents, fetch, scalar, select
from projections.views.decisions.approval import envelope_shares
from projections.views.decisions.tables import CapacityRow, DecisionRow, VoteRow
from projections.views.portfolio.handlers import evidence_doc, grid_criteria

if TYPE_CHECKING:
    from projections.store import ViewStore

# Projects whose approval reserved their workload: from approval to the end (a
# cancelled one gave it back) — the statuses of domain.arbitration.ACTIVE.
ACTIVE_STATUSES = tuple(sorted(s.value for s in ACTIVE))


def _session_doc(doc: dict[str, Any]) -> dict[str, Any]:
    doc["attendance"] = attendance_journal(doc["attendance"])
    doc.setdefault("removed", [])  # views built before it was kept: rebuild to fill
    # when it was opened and closed (UTC), and why before its day: views built
    # before they were kept read the opening from the attendance (a rebuild fills)
    times = doc.setdefault("times", {})
    if "opened" not in times and doc["attendance"]:
        times["opened"] = doc["attendance"][0]["at"]
    doc.setdefault("early_reason", None)
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
    docs = documents(store, "SELECT doc FROM {sessions} ORDER BY on_date, code")
    return [_session_doc(d) for d in docs]


def held_sessions(store: ViewStore) -> list[dict[str, Any]]:
    """The sessions held (opened at least once: open or closed, ``Session.held``),
    by date: those a deliverable's review may cite (``code``, ``title``, ``on``)."""
    return [
        {"code": d["code"], "title": d["title"], "on": d["on"]}
        for d in documents(store, "SELECT doc FROM {sessions} ORDER BY on_date, code")
        if d["status"] != SessionStatus.CONVENED.value
    ]


# The sessions list's sort keys (``sort``).
SESSION_SORTS = {
    "on_date": "on_date",
    "code": "code",
    "title": "title",
    "status": "status",
    "present_voting": "present_voting",
}
_NEWEST_SESSION_FIRST = "on_date DESC, code DESC"


def sessions_page(
    store: ViewStore, page: Page, search: str | None = None
) -> tuple[list[dict[str, Any]], int, Page]:
    """One page of the sessions (newest first, or sorted by ``page.sort``, a key of
    :data:`SESSION_SORTS`) whose code, title or chair contain ``search``; the
    number of matching sessions; the page read."""
    found, params = matching("search", search)
    where = " WHERE " + " AND ".join(found) if found else ""
    order = order_by(page.sort, SESSION_SORTS, _NEWEST_SESSION_FIRST)
    rows = store.fetchall(
        f"SELECT doc, COUNT(*) OVER () FROM {{sessions}}{where} "
        f"ORDER BY {order} LIMIT ? OFFSET ?",
        [*params, page.size, page.offset],
    )
    if not rows and page.number > 1:
        count = int(scalar(store, f"SELECT COUNT(*) FROM {{sessions}}{where}", params))
        if count == 0:
            return [], 0, Page(1, page.size, page.sort)
        return sessions_page(store, page.clamped(count), search)
    count = int(rows[0][-1]) if rows else 0
    return [_session_doc(json.loads(r[0])) for r in rows], count, page


def session(store: ViewStore, code: str) -> dict[str, Any] | None:
    """A session, with per agenda item the evidence the COPIL sees on the session's
    grid version (``evidence``) and the decisions with what they recorded."""
    found = _doc(store, "sessions", "code", code)
    if found is None:
        return None
    doc = _session_doc(found)
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


def evidence_fingerprint(
    store: ViewStore, session: dict[str, Any], proposal: str
) -> str:
    """The fingerprint (``domain.evidence``) of what the decision form shows of
    ``proposal`` in ``session``: its evidence, the current votes, the standing
    conflicts of an approval and the estimated costs. A decision sent with it is
    refused if the ledger finds other evidence."""
    choices = [v["choice"] for v in session["votes"].get(proposal, {}).values()]
    doc = _doc(store, "proposals", "code", proposal) or {}
    return fingerprint(
        shown_evidence_doc(session["evidence"].get(proposal)),
        count_votes(choices),
        [Conflict.from_plain(c) for c in approval_conflicts(store, proposal)],
        [(c["year"], c["section"], c["amount_c"]) for c in doc.get("costs", [])],
    )


def agenda_evidence(
    store: ViewStore, proposal: str, grid_version: int | None
) -> dict[str, Any] | None:
    """What the COPIL sees of ``proposal`` on a session's grid version: the scores of
    its current revision by every evaluator, consolidated (``domain.scoring``), the
    value and risk — exactly what a decision taken now records."""
    doc = _doc(store, "proposals", "code", proposal)
    if doc is None:
        return None
    revision = doc["revision"]
    if grid_version is None:
        return evidence_doc(Evidence(None, revision, 0, (), None, None))
    entry = (doc.get("consolidated") or {}).get(str(grid_version))
    if entry is None:  # nobody scored on that version
        grid = _doc(store, "grids", "number", grid_version)
        criteria = grid_criteria(grid) if grid else []
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
    rows = fetch(
        store,
        VoteRow,
        f"SELECT {select(VoteRow)} FROM {{votes}}"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY position",
        params,
    )
    latest: dict[tuple[str, str, str], int] = {}
    for r in rows:
        latest[(r.session, r.proposal, r.member)] = r.position
    return [
        r.as_dict(current=latest[(r.session, r.proposal, r.member)] == r.position)
        for r in rows
    ]


# The decision history's sort keys (``sort``): the column each one orders by.
DECISION_SORTS = {
    "position": "position",
    "session_date": "session_date",
    "session": "session",
    "proposal": "proposal",
    "outcome": "outcome",
    "ap": "ap_c",
    "votes_for": "votes_for",
    "chair": "chair",
}
_NEWEST_FIRST = "position DESC"


def _decision_where(
    *,
    session: str | None = None,
    proposal: str | None = None,
    outcome: str | None = None,
    since: str | None = None,
    until: str | None = None,
    search: str | None = None,
) -> tuple[str, list[Any]]:
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
    found, fp = matching("search", search)
    return " WHERE " + " AND ".join(where + found) if where or found else "", [
        *params,
        *fp,
    ]


def _with_votes(store: ViewStore, rows: list[DecisionRow]) -> list[dict[str, Any]]:
    return [
        r.as_dict(votes=votes(store, session=r.session, proposal=r.proposal))
        for r in rows
    ]


def decision_history(store: ViewStore, **filters: Any) -> list[dict[str, Any]]:
    """Decisions with rationale, votes, quorum, grid version, scores, budget state,
    positions, in ledger order; filters (``session``, ``proposal``, ``outcome``,
    ``since``, ``until``, ``search``) combine."""
    where, params = _decision_where(**filters)
    rows = fetch(
        store,
        DecisionRow,
        f"SELECT {select(DecisionRow)} FROM {{decisions}}{where} ORDER BY position",
        params,
    )
    return _with_votes(store, rows)


def decision_at(store: ViewStore, position: int) -> dict[str, Any] | None:
    """The decision recorded at ``position``, with its votes (None if none is)."""
    rows = fetch(
        store,
        DecisionRow,
        f"SELECT {select(DecisionRow)} FROM {{decisions}} WHERE position = ?",
        (position,),
    )
    return _with_votes(store, rows)[0] if rows else None


def decision_page(
    store: ViewStore, page: Page, **filters: Any
) -> tuple[list[dict[str, Any]], int, Page]:
    """One page of :func:`decision_history` sorted by ``page.sort`` (a key of
    :data:`DECISION_SORTS`; default: newest first), the number of matching
    decisions, and the page read (the last one if ``page`` is beyond it). The
    votes are not read (``votes`` is empty): :func:`decision_at` has them."""
    where, params = _decision_where(**filters)
    order = order_by(page.sort, DECISION_SORTS, _NEWEST_FIRST)
    rows = store.fetchall(
        f"SELECT {select(DecisionRow)}, COUNT(*) OVER () FROM {{decisions}}{where} "
        f"ORDER BY {order} LIMIT ? OFFSET ?",
        [*params, page.size, page.offset],
    )
    if not rows and page.number > 1:  # beyond the last page: count, read the last
        count = int(scalar(store, f"SELECT COUNT(*) FROM {{decisions}}{where}", params))
        if count == 0:
            return [], 0, Page(1, page.size, page.sort)
        return decision_page(store, page.clamped(count), **filters)
    count = int(rows[0][-1]) if rows else 0
    return [DecisionRow(*r[:-1]).as_dict(votes=[]) for r in rows], count, page


# --- capacity --------------------------------------------------------------------------------


def capacity(
    store: ViewStore,
    *,
    team: str | None = None,
    year: int | None = None,
    overloaded: bool = False,
) -> list[dict[str, Any]]:
    """Per team × year: capacity against the workload approved projects reserved (from
    their approval to their end; ``overrides``: the projects an approval took beyond
    the capacity under the chair's override); ``overloaded``: only the team-years
    whose workload exceeds the capacity (selected by the database)."""
    marks = ", ".join("?" * len(ACTIVE_STATUSES))
    # the workloads summed once per team and year (one pass), not once per row
    reserved = (
        "SELECT w.team, w.year, SUM(w.days) AS days FROM {workloads} w "
        f"JOIN {{proposals}} p ON p.code = w.proposal WHERE p.status IN ({marks}) "
        "GROUP BY w.team, w.year"
    )
    sql = (
        f"SELECT {select(CapacityRow, 'c', name='t.name', kind='t.kind', workload='COALESCE(r.days, 0)')} "
        "FROM {team_capacity} c JOIN {teams} t ON t.code = c.team "
        f"LEFT JOIN ({reserved}) r ON r.team = c.team AND r.year = c.year"
    )
    where, params = [], list(ACTIVE_STATUSES)
    if team:
        where.append("c.team = ?")
        params.append(team)
    if year is not None:
        where.append("c.year = ?")
        params.append(year)
    if overloaded:
        where.append("COALESCE(r.days, 0) > c.days")
    rows = fetch(
        store,
        CapacityRow,
        sql
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY c.team, c.year",
        params,
    )
    if not rows:
        return []
    overrides: dict[tuple[str, int], list[str]] = {}
    for t in documents(store, "SELECT doc FROM {teams}"):
        for proposal, years in t.get("overrides", {}).items():
            for y in years:
                overrides.setdefault((t["code"], int(y)), []).append(proposal)
    return [
        r.as_dict(overrides=sorted(overrides.get((r.team, r.year), []))) for r in rows
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
        capacity_days = scalar(
            store,
            "SELECT days FROM {team_capacity} WHERE team = ? AND year = ?",
            (w["team"], w["year"]),
        )
        reserved = scalar(
            store,
            "SELECT COALESCE(SUM(w.days), 0) FROM {workloads} w JOIN {proposals} p "
            f"ON p.code = w.proposal WHERE w.team = ? AND w.year = ? AND p.code <> ? "
            f"AND p.status IN ({marks})",
            (w["team"], w["year"], code, *ACTIVE_STATUSES),
        )
        conflict = capacity_rule(
            w["team"],
            w["year"],
            capacity_days,
            int(reserved) if reserved is not None else 0,
            w["days"],
        )
        if conflict is not None:
            conflicts.append(conflict)
    if cp:  # each entity's share of each line on its envelope, as the ledger checks
        conflicts += [c for _row, c in envelope_shares(store, code, cp) if c]
    return [c.as_plain() for c in ordered(conflicts)]


def _doc(store: ViewStore, table: str, key: str, value: Any) -> dict[str, Any] | None:
    return document(store, f"SELECT doc FROM {{{table}}} WHERE {key} = ?", (value,))  # type: ignore[no-any-return]
