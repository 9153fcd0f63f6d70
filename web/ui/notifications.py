"""My notifications: the inbox (a paged table, mark read, mark all read, a link to what
each is about), my preferences ("Mes notifications": in the application only, by e-mail
at once, or in a daily digest, per kind) and following a proposal."""

from __future__ import annotations

import logging
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from domain.errors import DomainError
from ledger.notifications import DELIVERIES, KINDS
from projections import queries as q
from projections.views.reference import queries as rq
from web import notifications as mine
from web import paging
from web.api import schemas as s
from web.auth import proposal_direction, requires
from web.domain_messages import localised
from web.state import state
from web.ui.blueprint import bp
from web.ui.context import FormErrors
from web.ui.formhelp import run

log = logging.getLogger(__name__)

KIND_LABELS = {
    "qualify": _l("Fiche à qualifier"),
    "score": _l("Fiche à évaluer"),
    "vote": _l("Séance ouverte : votre vote est attendu"),
    "decision": _l("Décision sur une fiche de votre direction"),
    "grid": _l("Décision du COPIL sur la grille de valeur"),
    "override": _l("Forçage d'une règle budgétaire"),
    "follow": _l("Changement d'une fiche suivie"),
    "answer": _l("Réponse à votre question"),
}
# What happened, for a followed proposal's change or an overridden budget rule.
EVENT_LABELS = {
    "Amended": _l("fiche amendée"),
    "Submitted": _l("fiche soumise"),
    "Qualified": _l("fiche qualifiée"),
    "PutOnAgenda": _l("inscrite à l'ordre du jour"),
    "TakenOffAgenda": _l("retirée de l'ordre du jour"),
    "Decided": _l("décision enregistrée"),
    "Planned": _l("projet planifié"),
    "Started": _l("projet démarré"),
    "Completed": _l("projet terminé"),
    "Withdrawn": _l("fiche retirée"),
    "Cancelled": _l("projet annulé"),
    "MilestoneSet": _l("jalon"),
    "ProgressReported": _l("avancement"),
    "Allocated": _l("allocation au-delà de l'enveloppe"),
    "Committed": _l("engagement au-delà des CP"),
    "Paid": _l("mandat au-delà de l'engagement"),
    "Posted": _l("commentaire publié"),
    "Replied": _l("réponse publiée"),
    "Answered": _l("question marquée comme répondue"),
    # the COPIL's decision on a grid
    "adopted": _l("grille adoptée"),
    "not_adopted": _l("grille non adoptée"),
}
DELIVERY_LABELS = {
    "app": _l("Dans l'application seulement"),
    "immediate": _l("Aussi par courriel, aussitôt"),
    "digest": _l("Aussi par courriel, dans un récapitulatif quotidien"),
}


@bp.app_template_global("unread_notifications")
def unread_notifications() -> int:
    """The signed-in person's unread count (the menu's badge)."""
    if not current_user.is_authenticated:
        return 0
    try:
        return mine.unread(current_user.username)
    except Exception:  # the badge never breaks a page (an error page, an outage)
        log.warning("unread notifications not counted", exc_info=True)
        return 0


@bp.app_template_global("following_proposal")
def following_proposal(code: str) -> bool:
    """Whether the signed-in person follows the proposal ``code``."""
    return current_user.is_authenticated and mine.following(current_user.username, code)


@bp.route("/notifications")
@requires("notifications")
def notifications() -> str:
    """My notifications, newest first."""
    unread_only = request.args.get("non_lues") == "1"
    page = paging.from_args(request.args, ())
    found = mine.inbox(current_user.username, page, unread_only=unread_only)
    last = page.last(found["total"])
    if page.number > last:
        page = page.clamped(found["total"])
        found = mine.inbox(current_user.username, page, unread_only=unread_only)
    return render_template(
        "notifications.html",
        found=found,
        page=page,
        last=last,
        unread_only=unread_only,
        kinds=KIND_LABELS,
        events=EVENT_LABELS,
    )


@bp.route("/notifications/lues", methods=["POST"])
@requires("notifications")
def notifications_read() -> Response:
    """Mark one notification read (``id``), or all of them (``all``)."""
    login = current_user.username
    try:
        if request.form.get("all"):
            mine.mark_all_read(login)
            flash(_("Toutes vos notifications sont marquées comme lues."), "success")
        else:
            raw = request.form.get("id", "")
            if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
                flash(_("Notification introuvable : %(id)s.", id=raw[:40]), "error")
            else:
                mine.mark_read(login, [int(raw)])
                flash(_("Notification marquée comme lue."), "success")
    except DomainError as exc:
        flash(localised(exc), "error")
    return redirect(url_for("ui.notifications", **_kept()))


def _kept() -> dict[str, Any]:
    return {
        k: v
        for k, v in request.args.items()
        if k in ("page", "per_page", "non_lues") and v
    }


@bp.route("/notifications/preferences", methods=["GET", "POST"])
@requires("notifications")
def notification_preferences() -> Any:
    """Mes notifications: how each kind reaches me."""
    prefs = mine.settings()
    login = current_user.username
    status = 200
    errors = FormErrors()
    if request.method == "POST" and "email" in request.form:
        return _my_email(login)
    if request.method == "POST":
        choices = {k: request.form.get(k, "") for k in KINDS if k in request.form}
        if any(v not in DELIVERIES for v in choices.values()):
            flash(_("Choix invalide : rien n'a été enregistré."), "error")
            status = 422
        else:
            prefs.set_preferences(login, choices)
            flash(_("Vos préférences sont enregistrées."), "success")
            return redirect(url_for("ui.notification_preferences"))
    return _preferences_page(login, errors, status)


def _preferences_page(login: str, errors: FormErrors, status: int) -> Any:
    account = rq.account(state().read_model.store, login)
    return render_template(
        "notification_preferences.html",
        chosen=mine.settings().preferences(login),
        kinds=KIND_LABELS,
        deliveries=DELIVERY_LABELS,
        email=(account or {}).get("email", ""),
        errors=errors,
        form=request.form,
    ), status


def _my_email(login: str) -> Any:
    """The "Adresse électronique" form of the same page: one's own address."""
    led = state().ledger
    result, errors, status = run(
        s.EmailIn(),
        {"email": request.form.get("email", "").strip()},  # "" clears it
        lambda c, d: led.change_email(c, login, d["email"]),
    )
    if result is None:
        return _preferences_page(login, errors, status)
    flash(_("Votre adresse électronique est enregistrée."), "success")
    return redirect(url_for("ui.notification_preferences"))


@bp.route("/fiches/<code>/suivre", methods=["POST"])
@requires("proposal.view", direction_of=proposal_direction)
def proposal_follow(code: str) -> Response:
    """Follow a proposal, or stop following it."""
    if q.proposal(state().read_model.store, code) is None:
        flash(_("Fiche introuvable : %(code)s.", code=code), "error")
        return redirect(url_for("ui.notifications"))
    if request.form.get("follow") == "0":
        mine.unfollow(current_user.username, code)
        flash(_("Vous ne suivez plus cette fiche."), "success")
    else:
        mine.follow(current_user.username, code)
        flash(
            _(
                "Vous suivez cette fiche : ses changements seront dans vos notifications."
            ),
            "success",
        )
    return redirect(url_for("ui.proposal", code=code))
