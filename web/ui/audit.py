"""Audit (auditor): the event browser with seals and command context, the latest signed
checkpoint and verification, proofs, the "as of" picker and the diff of two moments."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from domain.errors import InvalidValue
from ledger.checks import OUTSIDE
from ledger.integrity import latest_checkpoint, public_key_json
from ledger.sealstore import SealStore
from projections import queries as q
from projections.projector import iso
from projections.views.audit.queries import AUDIT_SORTS
from web import audit_changes, auditing, paging
from web.auth import requires
from web.cache import cached_read, views_mark
from web.domain_messages import localised
from web.i18n import N_
from web.state import state
from web.ui.blueprint import bp
from web.ui.context import as_of, store

PER_PAGE = (25, 50, 100, 200)
TEXT_FILTERS = ("actor", "aggregate", "event_type")
AGGREGATE_TYPES = (
    "Account",
    "Axis",
    "Direction",
    "Envelope",
    "GridVersion",
    "Indicator",
    "IssuedDocument",
    "Plan",
    "Pole",
    "ProjectBudget",
    "Proposal",
    "Scenario",
    "ScoreSheet",
    "Session",
    "Team",
)
# The read pages an auditor replays as of a moment: (endpoint, label, permission).
READ_PAGES = (
    ("ui.portfolio", N_("Portefeuille"), "portfolio.view"),
    ("ui.budget", N_("Budget"), "budget.view"),
    ("ui.decisions", N_("Arbitrages"), "decisions.view"),
    ("ui.sessions", N_("Séances du COPIL"), "session.view"),
    ("ui.grids", N_("Grille d'évaluation"), "grid.view"),
    ("ui.capacity", N_("Capacité"), "portfolio.view"),
)


def _moment(value: str, *, end: bool) -> str:
    """A period bound as the views' fixed-width UTC text (a date: its whole day)."""
    text = value.strip()
    if len(text) == 10:
        day = date.fromisoformat(text)
        if end:
            return iso(
                datetime.combine(day + timedelta(days=1), time())
                - timedelta(microseconds=1)
            )
        return iso(datetime.combine(day, time()))
    return iso(datetime.fromisoformat(text.replace("Z", "+00:00")))


def _filters() -> tuple[dict[str, Any], dict[str, str]]:
    """The event browser's filters from the query string, and a message per bad one."""
    args = request.args
    filters: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in TEXT_FILTERS:
        value = args.get(name, "").strip()[:200]
        if value:
            filters[name] = value
    for name in ("since", "until"):
        value = args.get(name, "").strip()
        if value:
            try:
                filters[name] = _moment(value, end=name == "until")
            except ValueError:
                errors[name] = _(
                    "Date attendue (AAAA-MM-JJ, ou AAAA-MM-JJTHH:MM en UTC)."
                )
    return filters, errors


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name, "").strip()
    if not _digits(raw):
        return default
    return min(max(int(raw), low), high) if len(raw) <= 12 else high


def _digits(raw: str) -> bool:
    """ASCII digits only: ``"²"`` is a digit to ``isdigit()`` but not to ``int()``,
    and ``int()`` refuses more than 4,300 digits."""
    return raw.isascii() and raw.isdigit() and len(raw) <= 4000


def _read_pages(moment: str | None) -> list[dict[str, str]]:
    """Links to every read page this user may see, as of ``moment``."""
    views = current_app.view_functions
    return [
        {
            "label": label,
            "href": url_for(endpoint, as_of=moment) if moment else url_for(endpoint),
        }
        for endpoint, label, permission in READ_PAGES
        if endpoint in views and current_user.can(permission)
    ]


def audit_state() -> tuple[Any, ...]:
    """What the audit page shows from outside the views (part of its cache key): the
    head of the log, the last seal and checkpoint, the last verification. Read once
    per request."""
    if "audit_state" not in g:
        web = state()
        position, nid = views_mark()
        pending, sealed, checkpoint = SealStore(web.ledger.storage).progress(nid)
        verification = auditing.last_verification(web) or {}
        g.audit_state = (
            position + pending,
            sealed,
            checkpoint,
            verification.get("verified_at"),
            _witness_mark(web.ledger),
        )
    return g.audit_state  # type: ignore[no-any-return]


@bp.route("/audit")
@requires("audit.view")
@cached_read(audit_state)
def audit() -> Any:
    """The event browser, the latest checkpoint, verification, as-of picker and diff."""
    position_as_of = request.args.get("as_of_position", "").strip()
    if position_as_of:
        if not _digits(position_as_of):
            flash(_("Position attendue : un entier positif."), "error")
            return redirect(url_for("ui.audit"))
        return redirect(url_for("ui.audit", as_of=f"position:{int(position_as_of)}"))
    st = store()
    web = state()
    filters, errors = _filters()
    per_page = _int_arg("per_page", 50, 1, 200)
    per_page = per_page if per_page in PER_PAGE else 50
    page = _int_arg("page", 1, 1, 10**9)
    sort = paging.from_args(request.args, AUDIT_SORTS).sort
    oldest_first = sort == "position"
    search = paging.search_of(request.args)
    if search:
        filters["search"] = search
    focus = None
    wanted = request.args.get("position", "").strip()
    if _digits(wanted) and 0 < int(wanted) < 2**63:
        focus = auditing.event_at(st, int(wanted))
        if focus is None:
            flash(
                _(
                    "Aucun événement à la position %(position)s dans cette vue.",
                    position=int(wanted),
                ),
                "error",
            )
        elif not filters and sort in (None, "-position") and "page" not in request.args:
            total = q.audit_trail(st, limit=1)["total"]
            page = (total - focus["position"]) // per_page + 1
    trail = q.audit_trail(
        st,
        limit=per_page,
        offset=(page - 1) * per_page,
        oldest_first=oldest_first,
        sort=sort,
        **filters,
    )
    events = trail["events"]
    if focus is not None:
        events_positions = [e["position"] for e in events] + [focus["position"]]
    else:
        events_positions = [e["position"] for e in events]
    leaves = auditing.seals(web.ledger, events_positions)
    checkpoint = latest_checkpoint(web.ledger)
    pages = max(1, -(-trail["total"] // per_page))
    return render_template(
        "audit.html",
        events=events,
        total=trail["total"],
        page=page,
        pages=pages,
        per_page=per_page,
        per_page_choices=PER_PAGE,
        oldest_first=oldest_first,
        sort=sort or "-position",
        search=search,
        form=request.args,
        errors=errors,
        filtered=bool(filters),
        focus=focus,
        leaves=leaves,
        checkpoint=checkpoint,
        key=public_key_json(web.ledger),
        head=audit_state()[0],
        sealed=audit_state()[1],
        views=web.read_model.status(),
        verification=auditing.last_verification(web),
        read_pages=_read_pages(as_of()),
        aggregate_types=AGGREGATE_TYPES,
        can_verify=not as_of(),
        witnesses=_witnesses(web.ledger),
    )


# --- witnesses ---------------------------------------------------------------------


def _witness_mark(ledger: Any) -> tuple[Any, ...]:
    """What changes when a witness cosigns or a delivery fails (cache key)."""
    if not ledger.settings.witnesses:
        return ()
    from ledger.witness_store import WitnessStore

    return WitnessStore(ledger.storage).mark()


def _witnesses(ledger: Any) -> list[dict[str, Any]]:
    """The witnesses' rows of the audit page."""
    if not ledger.settings.witnesses:
        return []
    from ledger.witness_push import witnesses_json

    return witnesses_json(ledger)["witnesses"]  # type: ignore[no-any-return]


@bp.route("/audit/verifier", methods=["POST"])
@requires("audit.view")
def audit_verify() -> Response:
    """Verify the whole ledger now: every seal, every checkpoint; keep the result."""
    result = auditing.run_verification(state(), current_user.username)
    if result["ok"]:
        flash(
            _(
                "Registre intègre : %(checked)s événement(s) vérifié(s) "
                "en %(seconds).2f s.",
                checked=result["checked"],
                seconds=result["seconds"],
            ),
            "success",
        )
    elif (first := result["first_problem"] or {}).get("kind") == OUTSIDE:
        flash(
            _(
                "Intégrité rompue : une ligne de la table des événements est hors du "
                "journal (identifiant %(id)s).",
                id=first.get("notification_id"),
            ),
            "error",
        )
    else:
        flash(
            _(
                "Intégrité rompue : première position en défaut %(position)s "
                "(%(kind)s).",
                position=first.get("position"),
                kind=first.get("kind"),
            ),
            "error",
        )
    return redirect(url_for("ui.audit") + "#verification")


@bp.route("/audit/diff")
@requires("audit.view")
def audit_diff() -> Any:
    """What changed between two moments: proposals, envelopes, decisions."""
    a, b = request.args.get("a", "").strip(), request.args.get("b", "").strip()
    errors: dict[str, str] = {}
    diff = None
    if a or b:
        for name, value in (("a", a), ("b", b)):
            if not value:
                errors[name] = _("Champ obligatoire.")
        if not errors:
            try:
                diff = auditing.views_diff(state().read_model, a, b)
            except InvalidValue as exc:
                field = "a" if exc.params.get("value") == a else "b"
                errors[field] = localised(exc)
    status = 422 if errors else 200
    return render_template(
        "audit_diff.html", diff=diff, a=a, b=b, errors=errors
    ), status


@bp.route("/audit/preuve/<int:position>")
@requires("audit.view")
def audit_proof(position: int) -> Any:
    """The inclusion proof of one event, and how to check it with verifier.py."""
    web = state()
    event = auditing.event_at(web.read_model.store, position)
    if event is None and position > web.read_model.head_position():
        abort(404)
    proof, problem = auditing.proof_of(web.ledger, position)
    return render_template(
        "audit_proof.html",
        position=position,
        event=event,
        proof=proof,
        problem=problem,
        proof_text=json.dumps(proof, indent=2, ensure_ascii=False) if proof else None,
        leaf=auditing.seals(web.ledger, [position]).get(position),
        key=public_key_json(web.ledger),
        checkpoint=latest_checkpoint(web.ledger),
    )


@bp.route("/audit/preuve/<int:position>/preuve.json")
@requires("audit.view")
def audit_proof_json(position: int) -> Response:
    """The inclusion proof as a file, for ``verifier.py inclusion``."""
    proof, _problem = auditing.proof_of(state().ledger, position)
    if proof is None:
        abort(404)
    body = json.dumps(proof, indent=2, ensure_ascii=False) + "\n"
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="preuve-{position}.json"'
        },
    )


@bp.route("/audit/cle-publique.pem")
@requires("audit.view")
def audit_public_key() -> Response:
    """The public key that signs checkpoints (PEM), for ``verifier.py --key``."""
    key = public_key_json(state().ledger)
    return Response(
        key["pem"],
        mimetype="application/x-pem-file",
        headers={"Content-Disposition": 'attachment; filename="sdsi-cle-publique.pem"'},
    )


@bp.route("/audit/fiche")
@requires("audit.view")
def audit_goto_proposal() -> Response:
    """From the as-of picker to one proposal's page as of that moment."""
    code = request.args.get("code", "").strip()
    moment = as_of()
    if not code:
        flash(_("Indiquez le code d'une fiche."), "error")
        return redirect(
            url_for("ui.audit", as_of=moment) if moment else url_for("ui.audit")
        )
    target = (
        url_for("ui.proposal", code=code, as_of=moment)
        if moment
        else url_for("ui.proposal", code=code)
    )
    return redirect(target)


@bp.app_template_filter("change_lines")
def change_lines(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An event's changes as "label : old → new" lines (:mod:`web.audit_changes`)."""
    return audit_changes.lines(changes)


@bp.app_template_filter("changes_json")
def changes_json(changes: list[dict[str, Any]]) -> str:
    """An event's changes as raw JSON, for the disclosure under its lines."""
    return audit_changes.raw_json(changes)
