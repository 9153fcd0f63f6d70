"""Exports: every document the exports package registers, offered to the roles the
access matrix allows, in each of its formats, as of any moment.

Each export has its own download route (``/exports/<name>.<format>``, and
``/exports/<name>`` taking ``?format=`` for the page's forms) guarded by its own
permission, so the route table says who may download what. The file is rendered by
``exports.registry.render`` from the views as of ``as_of``. Every PDF handed out is
recorded in the ledger (``issue_document``: kind, subject, file name, SHA-256, size,
who and when) before it is sent, so a copy can be checked later on the audit page
``/audit/documents``; its SHA-256 is also in the ``X-SDSI-SHA256`` header.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
from collections.abc import Callable
from typing import Any

from flask import make_response, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from domain.errors import InvalidValue
from domain.errors import NotFound as UnknownRecord
from exports import registry
from exports.base import (
    ExportError,
    MissingParameter,
    NotFound,
    Rendered,
    UnknownEntity,
    UnsupportedFormat,
)
from exports.issuing import is_issued, record_issue
from ledger.commands.documents import may_issue
from projections import queries as q
from web.access import PERMISSIONS
from web.auth import requires
from web.domain_messages import is_french, localised
from web.state import state
from web.throttle import throttle
from web.ui.blueprint import bp
from web.ui.context import as_of, plan_number, store

FORMAT_LABELS = {
    "csv": "CSV (;)",
    "xlsx": "Excel (XLSX)",
    "pdf": "PDF",
    "json": "JSON",
    "zip": "ZIP",
}
# The English of each export's label and description (the exports package writes
# them in French), shown when the page is not in French.
ENGLISH = {
    "budget": (
        "Budget consumption (AP/CP, commitments, payment orders)",
        "One line per project, financial year and section: AP voted and its "
        "revisions, CP of the year, allocated, committed, paid, available, "
        "overrides; subtotals by financial year and section, grand total.",
    ),
    "apcp": (
        "AP/CP annex (statement of programme authorisations)",
        "Per AP: amount voted, revised, payment credits per financial year, paid to "
        "date and remaining to finance, with the M57 classification; total line. "
        "Consolidated (with a recap by entity) or one entity's share.",
    ),
    "opendata-budget-scdl": (
        "Open data: budget (national SCDL schema)",
        "One line per project, financial year and section classified in M57, in "
        "the SCDL Budget 0.8.1 format (account, chapter, function, operation, "
        "voted credits, paid).",
    ),
    "minutes": (
        "Minutes of a steering committee (COPIL) session",
        "Attendance and quorum, agenda, consolidated evaluation and grid, roll-call "
        "votes, decisions, AP and CP granted, signed checkpoint of the ledger.",
    ),
    "plan": (
        "IT master plan (SDSI): plan and execution",
        "Axes and indicators (baseline, target, latest measurement), adopted "
        "portfolio by axis and by division, multi-year roadmap, budget by financial "
        "year and section, state of execution.",
    ),
    "certificate": (
        "Ledger integrity certificate",
        "Result of a full verification of the ledger, size and root of the tree, "
        "signed checkpoint, public key fingerprint, and how to check it yourself.",
    ),
    "opendata": (
        "Open data (SCDL deliberations, decisions, projects, budget, votes)",
        "ZIP archive: decisions in the national SCDL Deliberations schema and in "
        "detail, projects, budget (SCDL names), roll-call votes and checkpoints in "
        "CSV or JSON, with the schema of each file and a datapackage.json descriptor.",
    ),
    "opendata-deliberations": (
        "Open data: deliberations (national SCDL schema)",
        "One line per COPIL decision in the SCDL Deliberations 2.1.5 format "
        "(municipality, SIRET, date, subject, vote counts).",
    ),
    "opendata-projets": (
        "Open data: projects of the IT master plan",
        "One line per approved project: sponsor, axis, state (planned, in progress, "
        "done), progress, AP granted.",
    ),
    "opendata-points-de-controle": (
        "Open data: signed checkpoints of the ledger",
        "One line per signed checkpoint: tree size, root, signature, to verify the "
        "ledger without trusting the server.",
    ),
    "opendata-decisions": (
        "Open data: COPIL decisions",
        "One line per decision: votes, reason, AP and CP granted.",
    ),
    "opendata-decisions-grille": (
        "Open data: COPIL decisions on the value grid",
        "One line per decision on adopting a grid: votes, reason.",
    ),
    "opendata-budget": (
        "Open data: project budgets (SCDL)",
        "One line per project, financial year and section, SCDL budget columns.",
    ),
    "opendata-votes": (
        "Open data: COPIL roll-call votes",
        "One line per vote cast in session, replaced votes included.",
    ),
}


def permission_for(name: str) -> str | None:
    """The access-matrix permission of export ``name`` (``opendata-votes`` falls
    under ``export.opendata``); None if the matrix has none."""
    for candidate in (f"export.{name}", f"export.{name.split('-', 1)[0]}"):
        if candidate in PERMISSIONS:
            return candidate
    return None


def endpoint_for(name: str) -> str:
    return "export_" + name.replace("-", "_")


def offered() -> list[registry.ExportInfo]:
    """The exports the signed-in user may download (access matrix and exporter)."""
    out = []
    for info in registry.available(current_user.roles):
        permission = permission_for(info.name)
        if permission is not None and current_user.can(permission):
            out.append(info)
    return out


def _page(errors: dict[str, dict[str, str]] | None = None, status: int = 200) -> Any:
    st = store()
    exports = offered()
    sessions = q.sessions(st) if any(e.needs_session for e in exports) else []
    if not is_french():
        exports = [
            dataclasses.replace(
                e, label=ENGLISH[e.name][0], description=ENGLISH[e.name][1]
            )
            if e.name in ENGLISH
            else e
            for e in exports
        ]
    return render_template(
        "exports.html",
        exports=exports,
        sessions=sessions,
        errors=errors or {},
        endpoint_for=endpoint_for,
        format_labels=FORMAT_LABELS,
        chosen=request.args if errors else {},
    ), status


@bp.route("/exports")
@requires("export.opendata")
def exports() -> Any:
    """Download links for every export this user may have, by format, as of a moment."""
    return _page()


def _download(name: str) -> Callable[..., Any]:
    def view(fmt: str | None = None) -> Any:
        fmt = fmt or request.args.get("format", "").strip()
        moment = as_of()
        session = request.args.get("session", "").strip() or None
        try:
            rendered = registry.render(
                state().read_model,
                name,
                fmt,
                as_of=moment,
                session=session,
                plan=plan_number(),
                entity=request.args.get("entity", "").strip() or None,
            )
        except UnsupportedFormat:
            return _page(
                {name: {"format": _("Format non proposé pour cet export.")}},
                404 if fmt else 422,
            )
        except MissingParameter:
            return _page({name: {"session": _("Choisissez une séance.")}}, 422)
        except UnknownEntity as exc:  # no empty budget passed off as the entity's
            shown = exc.entity if len(exc.entity) <= 40 else exc.entity[:40] + "…"
            return _page(
                {
                    name: {
                        "format": _(
                            "Entité inconnue à ce moment du registre : %(entity)s.",
                            entity=shown,
                        )
                    }
                },
                404,
            )
        except NotFound:
            return _page(
                {name: {"session": _("Séance inconnue à ce moment du registre.")}}, 404
            )
        except InvalidValue as exc:
            return _page({name: {exc.field or "as_of": localised(exc)}}, 422)
        except UnknownRecord as exc:  # a plan unknown at that moment
            return _page({name: {"plan": localised(exc)}}, 404)
        except ExportError as exc:  # any other refusal of the exports package
            return _page({name: {"format": str(exc)}}, 422)
        digest = hashlib.sha256(rendered.content).hexdigest()
        # a HEAD (link checkers, prefetching) hands nothing out: nothing recorded
        if is_issued(rendered) and request.method != "HEAD":
            wait = may_issue(throttle().counters, current_user.username)
            if wait:
                refused = make_response(
                    *_page(
                        {
                            name: {
                                "format": _(
                                    "Trop de documents PDF émis pour votre compte dans "
                                    "l'heure : réessayez dans %(seconds)s s. Aucun "
                                    "document n'a été émis.",
                                    seconds=wait,
                                )
                            }
                        },
                        429,
                    )
                )
                refused.headers["Retry-After"] = str(wait)
                return refused
            _issue(name, rendered, session=session, moment=moment)
        response: Response = send_file(
            io.BytesIO(rendered.content),
            mimetype=rendered.mime_type,
            as_attachment=True,
            download_name=rendered.filename,
            max_age=0,
        )
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["X-SDSI-SHA256"] = digest
        if not rendered.ok:
            response.headers["X-SDSI-Verification"] = "failed"
        return response

    view.__name__ = endpoint_for(name)
    view.__doc__ = f"Download the export {name!r} (as of ``as_of``)."
    return view


def _issue(
    name: str,
    rendered: Rendered,
    *,
    session: str | None,
    moment: str | None,
) -> None:
    """Record in the ledger that the signed-in user was handed this PDF, and wait
    for the views (the audit page then finds it at once)."""
    result = record_issue(
        state().ledger,
        current_user.caller(),
        name,
        rendered,
        session=session,
        plan=plan_number(),
        moment=moment,
    )
    state().after_command(result.notification_id)


def _register() -> None:
    """One download route per registered export, guarded by its own permission."""
    for info in registry.available():
        permission = permission_for(info.name)
        if permission is None:
            continue  # not in the access matrix: not offered by the web
        view = requires(permission)(_download(info.name))
        endpoint = endpoint_for(info.name)
        bp.add_url_rule(f"/exports/{info.name}.<fmt>", endpoint, view)
        bp.add_url_rule(f"/exports/{info.name}", endpoint, view)


_register()
