"""The COPIL's composition in the Référentiel: who sits as what, voting or not, and
its history; seating, changing and removing a member are one ledger command each."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_babel import gettext as _

from domain.errors import AccountDisabled, AlreadyExists, NotFound
from projections import queries as q
from projections import reference_queries as rq
from web.api import schemas as s
from web.formatting import MEMBER_KIND
from web.ui.context import store
from web.ui.formhelp import on_fields
from web.ui.forms import scalars
from web.ui.referential.flows import act, led, page, post, shown

KINDS = ("elu", "dgs", "dga", "dsi", "expert")


def _committee_context() -> dict[str, Any]:
    st = store()
    record = rq.committee_record(st)
    sitting = {m["username"] for m in record["members"] if m["sitting"]}
    candidates = [
        (a["username"], f"{a['username']} — {a['display_name']}")
        for a in q.accounts(st)
        if a["active"] and a["username"] not in sitting
    ]
    kinds = [(k, str(MEMBER_KIND[k])) for k in KINDS]
    return {"candidates": candidates, "kinds": kinds, **record}


_committee_page = page("ref_committee.html", _committee_context)


@shown("/referentiel/copil")
def ref_committee() -> Any:
    """The COPIL's composition (who sits as what, voting or not) and its history."""
    return _committee_page()


@post("/referentiel/copil", "committee.edit")
def appoint_committee_member() -> Any:
    """Seat an account on the COPIL."""
    data = scalars(request.form, "username", "kind", "reason", booleans=("voting",))
    return act(
        _committee_page,
        "appoint",
        s.CommitteeMemberIn(),
        data,
        on_fields(
            lambda c, d: led().appoint_committee_member(
                c, d["username"], d["kind"], d["voting"]
            ),
            {
                NotFound: "username",
                AlreadyExists: "username",
                AccountDisabled: "username",
            },
        ),
        _("%(name)s siège désormais au COPIL.", name=data.get("username", "")),
        url_for("ui.ref_committee"),
    )


@post("/referentiel/copil/<username>/modifier", "committee.edit")
def change_committee_member(username: str) -> Any:
    """Change what a member sits as, or whether they vote (reason required)."""
    data = scalars(request.form, "kind", "reason", booleans=("voting",))
    return act(
        _committee_page,
        f"change-{username}",
        s.CommitteeMemberChange(),
        data,
        on_fields(
            lambda c, d: led().change_committee_member(
                c, username, d["kind"], d["voting"]
            ),
            {NotFound: "kind", AccountDisabled: "kind"},
        ),
        _("Siège de %(name)s modifié.", name=username),
        url_for("ui.ref_committee"),
    )


@post("/referentiel/copil/<username>/retirer", "committee.edit")
def remove_committee_member(username: str) -> Any:
    """A member leaves the COPIL (reason required)."""
    return act(
        _committee_page,
        f"remove-{username}",
        s.RequiredReason(),
        scalars(request.form, "reason"),
        on_fields(
            lambda c, d: led().remove_committee_member(c, username),
            {NotFound: "reason"},
        ),
        _("%(name)s ne siège plus au COPIL.", name=username),
        url_for("ui.ref_committee"),
    )
