"""Import of engagements and mandats from the finance software (finance only): upload
a CSV or XLSX export with its profile, see what it would create, what is already there,
what conflicts and which lines match no project (or every error by line and column),
then confirm; the reconciliation of the ledger with the last imported file follows,
as a page, CSV and XLSX."""

from __future__ import annotations

import contextlib
import hashlib
import re
import time
import uuid
from pathlib import Path
from typing import Any

from flask import abort, flash, make_response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from domain.errors import DomainError
from domain.values import Origin
from ledger.core import Caller
from setupfile.finance_file import (
    ImportOutcome,
    ProfileNotFound,
    find_profile,
    run_import,
    shipped_profiles,
)
from web.attachment_files import accepts_upload
from web.auth import requires
from web.domain_messages import localised
from web.state import state
from web.ui.blueprint import bp

TOKEN = re.compile(r"[0-9a-f]{32}")
IMPORT_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,200}")
SHOWN = 500  # preview lines listed on the page (the counts cover every line)


KEPT = 24 * 3600  # seconds a previewed file waits for its confirmation


def _uploads() -> Path:
    folder = Path(state().settings.data_dir) / "finance-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _forget_stale_previews(folder: Path) -> None:
    """Remove the previewed files never confirmed after :data:`KEPT` seconds (each
    preview keeps its upload, up to 2 MB: never removed, they filled the disk)."""
    limit = time.time() - KEPT
    for path in folder.glob("*.*"):
        if path.suffix in (".data", ".name") and TOKEN.fullmatch(path.stem):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < limit:
                    path.unlink()


def _profiles() -> list[str]:
    saved = state().ledger.finance_settings()
    return sorted({*shipped_profiles(), *(saved.profiles if saved else {})})


def _page(
    outcome: ImportOutcome | None = None,
    token: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    return render_template(
        "finance_import.html",
        outcome=outcome,
        token=token,
        error=error,
        shown=SHOWN,
        profiles=_profiles(),
        rows=state().ledger.finance_reconciliation(),
        imports=state().ledger.finance_import_list(),
    ), status


def _caller() -> Caller:
    return Caller(
        actor=current_user.username,
        origin=Origin.IMPORT,
        reason=_("import du logiciel financier"),
    )


@bp.route("/budget/import")
@requires("finance.import")
def finance_import() -> Any:
    """The upload form, and the reconciliation with the last imported file."""
    return _page()


@bp.route("/budget/import", methods=["POST"])
@accepts_upload  # a year's export passes the 2 MB of ordinary forms
@requires("finance.import")
def finance_preview() -> Any:
    """The dry run of the uploaded file (nothing is written yet)."""
    upload = request.files.get("file")
    profile = request.form.get("profile", "")
    if upload is None or not upload.filename:
        return _page(error=_("Choisissez un fichier CSV ou XLSX."), status=422)
    source = Path(upload.filename.replace("\\", "/")).name
    if not source.lower().endswith((".csv", ".xlsx")):
        return _page(error=_("Le fichier doit être un CSV ou un XLSX."), status=422)
    data = upload.read()
    try:
        outcome = run_import(
            state().ledger, data, source, profile, _caller(), dry_run=True
        )
    except (ProfileNotFound, DomainError) as exc:
        return _page(error=str(exc), status=422)
    if not outcome.parsed.ok:
        return _page(outcome=outcome, status=422)
    token = uuid.uuid4().hex
    _forget_stale_previews(_uploads())
    (_uploads() / f"{token}.data").write_bytes(data)
    (_uploads() / f"{token}.name").write_text(
        f"{profile}\n{_profile_print(profile)}\n{source}", encoding="utf-8"
    )
    return _page(outcome=outcome, token=token)


def _profile_print(name: str) -> str:
    """What the profile ``name`` says now (shipped, or saved in the ledger): the
    confirmation reads the file as its preview did, or not at all."""
    saved = state().ledger.finance_settings()
    profile = find_profile(name, saved.profiles if saved else None)
    return hashlib.sha256(repr(profile).encode()).hexdigest()


@bp.route("/budget/import/<token>", methods=["POST"])
@requires("finance.import")
def finance_confirm(token: str) -> Any:
    """Import the previewed file (planned again: what changed since is counted)."""
    if not TOKEN.fullmatch(token):
        abort(404)
    data_path, name_path = _uploads() / f"{token}.data", _uploads() / f"{token}.name"
    if not data_path.exists() or not name_path.exists():
        abort(404)
    profile, shown, source = name_path.read_text(encoding="utf-8").split("\n", 2)
    try:
        if _profile_print(profile) != shown:
            return _page(
                error=_(
                    "Le profil « %(name)s » a été modifié depuis l'aperçu : le "
                    "fichier serait lu autrement. Rien n'a été écrit ; refaites "
                    "l'aperçu.",
                    name=profile,
                ),
                status=409,
            )
        outcome = run_import(
            state().ledger,
            data_path.read_bytes(),
            source,
            profile,
            _caller(),
            dry_run=False,
        )
    except ProfileNotFound as exc:
        return _page(error=str(exc), status=422)
    except DomainError as exc:
        return _page(error=localised(exc), status=exc.status)
    finally:
        state().after_command(state().ledger.head())
    data_path.unlink(missing_ok=True)
    name_path.unlink(missing_ok=True)
    if outcome.written:
        flash(
            _(
                "Import terminé : %(n)s ligne(s) enregistrée(s).",
                n=outcome.plan.count("create"),
            ),
            "success",
        )
    else:
        flash(_("Rien à enregistrer : toutes les lignes sont déjà là."), "success")
    return _page(outcome=outcome)


def _reconciliation_file(rows: list[dict[str, Any]], fmt: str, name: str) -> Any:
    from exports.finance_reconciliation import render

    if fmt not in ("csv", "xlsx"):
        abort(404)
    response = make_response(render(rows, fmt))
    response.headers["Content-Type"] = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@bp.route("/budget/rapprochement.<fmt>")
@requires("finance.import")
def finance_reconciliation(fmt: str) -> Any:
    """The reconciliation with the last imported file, as CSV or XLSX."""
    rows = state().ledger.finance_reconciliation()
    return _reconciliation_file(rows, fmt, "rapprochement")


def _chosen(key: str) -> dict[str, Any]:
    if not IMPORT_KEY.fullmatch(key):
        abort(404)
    return state().ledger.finance_import(key)  # NotFound: 404


@bp.route("/budget/imports/<key>/rapprochement")
@requires("finance.import")
def finance_import_reconciliation(key: str) -> Any:
    """The reconciliation of the ledger (now) with one past import's file."""
    chosen = _chosen(key)
    return render_template(
        "finance_reconciliation.html",
        chosen=chosen,
        rows=state().ledger.finance_reconciliation(import_key=key),
    )


@bp.route("/budget/imports/<key>/rapprochement.<fmt>")
@requires("finance.import")
def finance_import_reconciliation_file(key: str, fmt: str) -> Any:
    """The reconciliation with one past import's file, as CSV or XLSX."""
    _chosen(key)
    rows = state().ledger.finance_reconciliation(import_key=key)
    return _reconciliation_file(rows, fmt, f"rapprochement-{key}")
