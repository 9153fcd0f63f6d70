"""COPIL pages: the sessions, one session (agenda, attendance and live quorum, votes,
the chair's actions), the decision form, and the arbitration history."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from domain.arbitration import Conflict
from domain.localtime import local_date
from domain.proposals import DECIDED, Status
from domain.sessions import count_votes, majority
from domain.values import MAX_AMOUNT
from ledger.evidence_file import evidence_filename
from projections import queries as q
from projections import scenario_queries as sq
from projections.views.decisions import queries as dq
from projections.views.decisions.grid_queries import grid_decisions
from projections.views.portfolio import queries as pq
from web import auditing, paging
from web.api import schemas as s
from web.auth import requires
from web.cache import cached_read
from web.domain_messages import localised
from web.formatting import display_zone
from web.state import state
from web.ui.actions import run_action
from web.ui.amounts import AmountError, parse_form_amount
from web.ui.blueprint import bp
from web.ui.context import FormErrors, _flatten, as_of, store
from web.ui.forms import rows, scalars

SCHEDULABLE = ("qualified", "deferred")
OUTCOMES = Status.names(DECIDED)
CHOICES = ("for", "against", "abstain")
Page = tuple[str, int]


def _tally(votes: dict[str, Any]) -> dict[str, int]:
    counts = count_votes(v["choice"] for v in votes.values())
    return dict(zip(CHOICES, counts, strict=True))


def _majority(tally: dict[str, int]) -> str | None:
    """``for`` or ``against`` when the current votes lean one way, else None."""
    lean = majority(tally["for"], tally["against"])
    return None if lean is None else lean.value


def _session_doc(st: Any, code: str) -> dict[str, Any]:
    doc = q.session(st, code)
    if doc is None:
        abort(404)
    return doc


# --- the list of sessions, and convening one ------------------------------------------


def _convene_data(form: MultiDict[str, str]) -> dict[str, Any]:
    """Flat form → the ``Convene`` schema: each account is voting, non-voting or not."""
    data = scalars(form, "code", "title", "on")
    seats = {
        key[len("seat-") :]: value
        for key, value in form.items()
        if key.startswith("seat-")
    }
    data["voting"] = sorted(u for u, seat in seats.items() if seat == "voting")
    data["non_voting"] = sorted(u for u, seat in seats.items() if seat == "non_voting")
    kind = form.get("quorum_kind", "").strip() or "majority"
    quorum: dict[str, Any] = {"kind": kind}
    value = form.get("quorum_value", "").strip().replace(",", ".")
    if kind != "majority" and value:
        quorum["value"] = value
    data["quorum"] = quorum
    return data


def _sessions_page(errors: FormErrors | None = None, status: int = 200) -> Page:
    st = store()
    members = q.committee(state().read_model.store) if not as_of() else []
    if request.method == "POST":
        seats = {
            m["username"]: request.form.get(f"seat-{m['username']}", "")
            for m in members
        }
    else:
        seats = {
            m["username"]: "voting" if m["can_vote"] else "non_voting" for m in members
        }
    search = paging.search_of(request.args)
    g.list_path = url_for("ui.sessions")  # a refused form re-renders the list
    shown, count, read = dq.sessions_page(
        st, paging.from_args(request.args, dq.SESSION_SORTS), search
    )
    return render_template(
        "sessions.html",
        sessions=shown,
        total=count,
        page=read.number,
        pages=read.last(count),
        per_page=read.size,
        sort=read.sort,
        search=search,
        members=members,
        seats=seats,
        form=request.form,
        errors=errors if errors is not None else FormErrors(),
    ), status


@bp.route("/seances")
@requires("session.view")
@cached_read()
def sessions() -> Page:
    """The COPIL sessions, newest first; the chair convenes a new one here."""
    return _sessions_page()


@bp.route("/seances/convoquer", methods=["POST"])
@requires("session.manage")
def convene_session() -> Response | Page:
    """Convene a session (the signed-in chair presides over it)."""
    led = state().ledger
    result, errors, status = run_action(
        s.Convene(),
        _convene_data(request.form),
        lambda c, d: led.convene_session(
            c, d["code"], d["title"], d["on"], d["voting"], d["non_voting"], d["quorum"]
        ),
    )
    if result is None:
        return _sessions_page(errors, status)
    flash(_("Séance %(code)s convoquée.", code=result["code"]), "success")
    return redirect(url_for("ui.session", code=result["code"]))


# --- one session ----------------------------------------------------------------------


def _session_page(
    code: str,
    failed: str | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Page:
    st = store()
    doc = _session_doc(st, code)
    portfolio = {p["code"]: p for p in q.portfolio(st)}
    decisions = {d["proposal"]: d for d in doc["decision_records"]}
    me = current_user.username
    items = []
    for code_ in doc["agenda"]:
        votes = doc["votes"].get(code_, {})
        tally = _tally(votes)
        items.append(
            {
                "code": code_,
                "proposal": portfolio.get(code_, {}),
                "tally": tally,
                "majority": _majority(tally),
                "decision": decisions.get(code_),
                "evidence": doc["evidence"].get(code_),
                "my_vote": votes.get(me),
                "votes": votes,
            }
        )
    is_chair = current_user.can("session.manage") and doc["chair"] == me
    may_vote = (
        current_user.can("session.vote")
        and doc["status"] == "open"
        and me in doc["voting"]
        and me in doc["present"]
    )
    schedulable = (
        [
            p
            for p in portfolio.values()
            if p["status"] in SCHEDULABLE and p["code"] not in doc["agenda"]
        ]
        if is_chair
        else []
    )
    accounts = q.accounts(st)
    members = {a["username"]: a["display_name"] for a in accounts}
    # the convocation: the session's chair, or the DSI (web.ui.convocation)
    may_convoke = current_user.can("session.convocation") and (
        doc["chair"] == me or "dsi" in current_user.roles
    )
    convened = {*doc["voting"], *doc["non_voting"], doc["chair"]}
    no_email = sorted(
        a["username"] for a in accounts if a["username"] in convened and not a["email"]
    )
    return render_template(
        "session.html",
        s=doc,
        items=items,
        is_chair=is_chair,
        may_convoke=may_convoke,
        no_email=no_email,
        may_vote=may_vote,
        schedulable=schedulable,
        names=members,
        failed=failed,
        errors=errors if errors is not None else FormErrors(),
        form=request.form,
        # the day an opening now would be stamped with (the ledger's clock), local
        today=local_date(state().ledger.clock(), display_zone()).isoformat(),
    ), status


@bp.route("/seances/<code>")
@requires("session.view")
@cached_read()
def session(code: str) -> Page:
    """A session: agenda, attendance and live quorum, votes, the chair's decisions."""
    return _session_page(code)


def _session_action(
    code: str, form_id: str, schema: Any, data: dict[str, Any], send: Any, done: str
) -> Response | Page:
    """One command from a form of the session page; on refusal, the page again."""
    result, errors, status = run_action(schema, data, send)
    if result is None:
        return _session_page(code, form_id, errors, status)
    flash(done, "success")
    kind, _sep, item = form_id.partition(":")
    anchor = f"item-{item}" if kind == "vote" else kind
    return redirect(url_for("ui.session", code=code, _anchor=anchor))


@bp.route("/seances/<code>/ordre-du-jour", methods=["POST"])
@requires("session.manage")
def add_agenda_item(code: str) -> Response | Page:
    """Put a qualified or deferred proposal on the agenda."""
    led = state().ledger
    data = scalars(request.form, "proposal")
    return _session_action(
        code,
        "agenda",
        s.AgendaItem(),
        data,
        lambda c, d: led.add_agenda_item(c, code, d["proposal"]),
        _("Fiche %(p)s inscrite à l'ordre du jour.", p=data.get("proposal", "")),
    )


@bp.route("/seances/<code>/ordre-du-jour/retirer", methods=["POST"])
@requires("session.manage")
def remove_agenda_item(code: str) -> Response | Page:
    """Take a proposal off the agenda (before the session opens)."""
    led = state().ledger
    data = scalars(request.form, "proposal")
    return _session_action(
        code,
        f"agenda:{data.get('proposal', '')}",
        s.AgendaItem(),
        data,
        lambda c, d: led.remove_agenda_item(c, code, d["proposal"]),
        _("Fiche %(p)s retirée de l'ordre du jour.", p=data.get("proposal", "")),
    )


@bp.route("/seances/<code>/ouvrir", methods=["POST"])
@requires("session.manage")
def open_session(code: str) -> Response | Page:
    """Open the session with the attendance checklist."""
    led = state().ledger
    data: dict[str, Any] = {
        "present": [m for m in request.form.getlist("present") if m]
    }
    if request.form.get("early_reason", "").strip():
        data["early_reason"] = request.form["early_reason"]
    return _session_action(
        code,
        "presences",
        s.OpenSession(),
        data,
        lambda c, d: led.open_session(c, code, d["present"], d["early_reason"]),
        _("Séance ouverte."),
    )


@bp.route("/seances/<code>/presences", methods=["POST"])
@requires("session.manage")
def set_attendance(code: str) -> Response | Page:
    """A member arrives or leaves during the session."""
    led = state().ledger
    data = scalars(request.form, "member", "present")
    member = data.get("member", "")
    return _session_action(
        code,
        f"presences:{member}",
        s.Attendance(),
        data,
        lambda c, d: led.set_attendance(c, code, d["member"], d["present"]),
        _("Présence de %(m)s mise à jour.", m=member),
    )


@bp.route("/seances/<code>/votes", methods=["POST"])
@requires("session.vote")
def cast_vote(code: str) -> Response | Page:
    """A present voting member votes on an item; a new vote supersedes the last one."""
    led = state().ledger
    data = scalars(request.form, "proposal", "choice")
    proposal = data.get("proposal", "")
    return _session_action(
        code,
        f"vote:{proposal}",
        s.Vote(),
        data,
        lambda c, d: led.cast_vote(c, code, d["proposal"], d["choice"]),
        _("Vote enregistré sur %(p)s.", p=proposal),
    )


@bp.route("/seances/<code>/clore", methods=["POST"])
@requires("session.manage")
def close_session(code: str) -> Response | Page:
    """Close the session once every item has a decision."""
    led = state().ledger
    return _session_action(
        code,
        "clore",
        s.NoBody(),
        scalars(request.form, "reason"),
        lambda c, d: led.close_session(c, code),
        _("Séance close."),
    )


# --- the chair's decision on one item -------------------------------------------------


def _decision_data(form: MultiDict[str, str], proposal: str) -> dict[str, Any]:
    data = scalars(
        form,
        "outcome",
        "rationale",
        "ap_amount",
        "conditions",
        "justification",
        "scenario",
        "override_reason",
        "evidence",
    )
    return {"proposal": proposal, **data, "cp": rows(form, "cp")}


@bp.route("/seances/<code>/arbitrer/<proposal>", methods=["GET", "POST"])
@requires("session.manage")
def decide(code: str, proposal: str) -> Response | Page:
    """The chair's decision on one agenda item, with the tally and the evidence."""
    st = state().read_model.store
    doc = _session_doc(st, code)
    p = q.proposal(st, proposal)
    if p is None or proposal not in doc["agenda"]:
        abort(404)
    if request.method == "GET" and (
        proposal in doc["decisions"] or doc["status"] != "open"
    ):
        flash(
            _(
                "Ce point ne peut plus être arbitré : séance non ouverte ou "
                "décision déjà enregistrée."
            ),
            "info",
        )
        return redirect(url_for("ui.session", code=code, _anchor=f"item-{proposal}"))
    errors, status = FormErrors(), 200
    if request.method == "POST":
        led = state().ledger
        result, errors, status = run_action(
            s.DecisionIn(),
            _decision_data(request.form, proposal),
            lambda c, d: led.record_decision(
                c,
                code,
                d["proposal"],
                d["outcome"],
                d["rationale"],
                ap_amount=d["ap_amount"],
                cp=d["cp"],
                conditions=d["conditions"],
                justification=d["justification"],
                scenario=d["scenario"],
                override_reason=d["override_reason"],
                evidence=d["evidence"],
            ),
        )
        if result is not None:
            flash(_("Décision enregistrée sur %(p)s.", p=proposal), "success")
            return redirect(
                url_for("ui.session", code=code, _anchor=f"item-{proposal}")
            )
    tally = _tally(doc["votes"].get(proposal, {}))
    grid = next((g for g in q.grids(st) if g["number"] == doc["grid_version"]), None)
    return render_template(
        "decide.html",
        s=doc,
        p=p,
        evidence=doc["evidence"].get(proposal),
        grid=grid,
        conflicts=conflict_messages(
            st, proposal, rows(request.form, "cp") or _estimated_cp(p)
        ),
        envelopes=q.approval_envelopes(
            st, proposal, _cp_lines(rows(request.form, "cp"))
        ),
        tally=tally,
        majority=_majority(tally),
        outcomes=OUTCOMES,
        form=request.form,
        scenarios=[
            (x["code"], f"{x['code']} — {x['label']}") for x in sq.scenarios(st)
        ],
        errors=errors,
        cp_rows=rows(request.form, "cp"),
        fingerprint=doc["fingerprints"].get(proposal, ""),
        lag=_views_lag(),
    ), status


def _views_lag() -> int:
    """How many events of the log the views have not shown yet."""
    read_model = state().read_model
    return max(0, read_model.head_position() - read_model.current_position())


def conflict_messages(
    st: Any, proposal: str, cp_rows: list[dict[str, Any]]
) -> list[str]:
    """The rules an approval of ``proposal`` would break now, in the page's language:
    its dependencies and its teams' capacity, and the envelopes of the CP the chair
    entered (rows that do not parse yet are left out)."""
    return [
        localised(Conflict.from_plain(c).error(proposal))
        for c in q.approval_conflicts(st, proposal, _cp_lines(cp_rows))
    ]


def _estimated_cp(p: dict[str, Any]) -> list[dict[str, Any]]:
    """The proposal's estimated costs as CP rows: what the envelopes are checked
    against before the chair enters the CP."""
    return [
        {
            "year": c["year"],
            "section": c["section"],
            "amount": format(Decimal(c["amount_c"]) / 100, ".2f"),
        }
        for c in p.get("costs", [])
    ]


def _cp_lines(cp_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The CP rows of the decision form that parse (a four-digit year, a section, an
    amount > 0 the ledger would take: past ``MAX_AMOUNT`` the envelopes' arithmetic
    overflows, and the decision is refused anyway)."""
    cp = []
    for row in cp_rows:
        typed = str(row.get("year", "")).strip()
        if not (typed.isascii() and typed.isdigit() and len(typed) == 4):
            continue
        try:
            year = int(typed)
            amount = Decimal(parse_form_amount(str(row.get("amount", ""))))
        except (ValueError, TypeError, ArithmeticError, AmountError):
            continue
        section = str(row.get("section", ""))
        if amount.is_finite() and 0 < amount <= MAX_AMOUNT and section:
            cp.append({"year": year, "section": section, "amount": amount})
    return cp


# --- the arbitration history ----------------------------------------------------------


DECISION_FILTERS = ("session", "proposal", "outcome", "since", "until")


@bp.route("/arbitrages")
@requires("decisions.view")
@cached_read()
def decisions() -> Page:
    """Each decision with its votes, scores, grid version, budget state, positions;
    the decisions on adopting a grid below."""
    st = store()
    raw = {k: request.args.get(k, "").strip() for k in DECISION_FILTERS}
    errors = FormErrors()
    try:
        loaded = s.DecisionQuery().load({k: v for k, v in raw.items() if v})
    except ValidationError as exc:
        for field, messages in _flatten(exc.messages).items():
            errors[field] = "; ".join(messages)
        loaded = s.DecisionQuery().load(
            {k: v for k, v in raw.items() if v and k not in errors}
        )
    search = paging.search_of(request.args)
    found, count, read = dq.decision_page(
        st,
        paging.from_args(request.args, dq.DECISION_SORTS),
        session=loaded["session"],
        proposal=loaded["proposal"],
        outcome=loaded["outcome"],
        since=loaded["since"].isoformat() if loaded["since"] else None,
        until=loaded["until"].isoformat() if loaded["until"] else None,
        search=search,
    )
    grids = {g["number"]: g for g in q.grids(st)}
    titles = pq.titles(st, {d["proposal"] for d in found})
    return render_template(
        "decisions.html",
        decisions=found,
        total=count,
        page=read.number,
        pages=read.last(count),
        per_page=read.size,
        sort=read.sort,
        search=search,
        filters=raw,
        errors=errors,
        sessions=q.sessions(st),
        grids=grids,
        titles=titles,
        outcomes=OUTCOMES,
        grid_decisions=grid_decisions(st, loaded["session"]),
    ), (422 if errors else 200)


@bp.route("/arbitrages/<int:position>")
@requires("decisions.view")
@cached_read()
def decision(position: int) -> Page:
    """One decision with what it rested on: votes (replaced ones too), consolidated
    scores, grid version, budget state, the positions of every event in play."""
    return decision_page(position)


@bp.route("/arbitrages/<int:position>/preuve.json")
@requires("decisions.view")
def decision_evidence(position: int) -> Any:
    """The decision's evidence file (download), for ``verifier.py evidence``."""
    data, status, _problem = auditing.decision_evidence(state(), position)
    if data is None:
        abort(status)
    return Response(
        data,
        mimetype="application/json",
        headers={
            "Content-Disposition": (
                f'attachment; filename="{evidence_filename(position)}"'
            )
        },
    )


def decision_page(position: int, status: int = 200) -> Page:
    """The decision page (``status``: of a refused form of it, shown again)."""
    st = store()
    # a position past 64 bits is no row (SQLite would refuse the number: a 500)
    found = dq.decision_at(st, position) if position < 2**63 else None
    if found is None:
        abort(404)
    return render_template(
        "decision.html",
        d=found,
        title=pq.titles(st, {found["proposal"]}).get(found["proposal"], ""),
        grids={g["number"]: g for g in q.grids(st)},
        evidence_name=evidence_filename(position),
    ), status
