"""Reading the reference data: the plan, the organisation, axes and indicators (with
their measurements), scoring grids, accounts (with their grants) and who may sit on the
COPIL. Their records with history are ``projections.views.reference.detail``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from domain import values
from domain.values import Role
from projections.records import document, documents, fetch, select
from projections.views.reference.tables import GrantRow, MeasurementRow

if TYPE_CHECKING:
    from projections.store import ViewStore


def plan(store: ViewStore) -> dict[str, Any] | None:
    return document(store, "SELECT doc FROM {plan} WHERE id = 'plan'")  # type: ignore[no-any-return]


# The reference tables' documents, each in its order: (number column, text columns)
# — read together in one statement by :func:`reference`.
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


def page_reference(
    store: ViewStore,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """The organisation, the axes and the grids a list page's filters offer, in one
    round trip."""
    docs = reference(store, *_REFERENCE)
    return _organisation(docs), _axes(docs), docs["grids"]


def grids(store: ViewStore) -> list[dict[str, Any]]:
    return documents(store, "SELECT doc FROM {grids} ORDER BY number")


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
            if k != "proposition"  # where it came from, not what it is
            and ca[code][k] != cb[code].get(k)
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
    return documents(store, "SELECT doc FROM {accounts} ORDER BY username")


COMMITTEE_ROLES = Role.names(values.COMMITTEE_ROLES)
VOTING_ROLES = Role.names(values.VOTING_ROLES)


def committee(store: ViewStore) -> list[dict[str, Any]]:
    """Who may be convened to a session: the COPIL's sitting members once its
    composition is recorded (``can_vote``: its voting members holding the member's or
    chair's role); before, active accounts that may sit on it: members and chairs
    (who may vote), the DSI and finance (who may attend without voting)."""
    seats = {
        seat["username"]: seat
        for seat in documents(store, "SELECT doc FROM {committee} WHERE sitting = 1")
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
    return document(store, "SELECT doc FROM {accounts} WHERE username = ?", (username,))  # type: ignore[no-any-return]


def grants(store: ViewStore, username: str | None = None) -> list[dict[str, Any]]:
    return [
        r.as_dict()
        for r in fetch(
            store,
            GrantRow,
            f"SELECT {select(GrantRow)} FROM {{grants}}"
            + (" WHERE username = ?" if username else "")
            + " ORDER BY position",
            (username,) if username else (),
        )
    ]


def measurements(
    store: ViewStore, indicator: str | None = None
) -> list[dict[str, Any]]:
    return [
        r.as_dict()
        for r in fetch(
            store,
            MeasurementRow,
            f"SELECT {select(MeasurementRow)} FROM {{measurements}}"
            + (" WHERE indicator = ?" if indicator else "")
            + " ORDER BY indicator, on_date, position",
            (indicator,) if indicator else (),
        )
    ]
