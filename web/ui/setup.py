"""Importing the organisation from a set-up file in the Référentiel: upload the
XLSX, see what it would create or change (or every error by sheet, row and column),
then confirm; the import is the reason of every command it sends."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from flask import abort, flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from domain.errors import DomainError
from setupfile.importer import Plan, apply, plan_file
from setupfile.sheets import FileRefused
from web.auth import requires
from web.domain_messages import localised
from web.state import state
from web.ui import bp

TOKEN = re.compile(r"[0-9a-f]{32}")


def _uploads() -> Path:
    folder = Path(state().settings.data_dir) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _page(
    plan: Plan | None = None,
    token: str | None = None,
    error: str | None = None,
    passwords: dict[str, str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    return render_template(
        "ref_import.html",
        plan=plan,
        token=token,
        error=error,
        passwords=passwords or {},
    ), status


@bp.route("/referentiel/import")
@requires("setup.import")
def setup_import() -> Any:
    """The upload form of a set-up file."""
    return _page()


@bp.route("/referentiel/import", methods=["POST"])
@requires("setup.import")
def setup_preview() -> Any:
    """What importing the uploaded file would do (nothing is written yet)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(error=_("Choisissez un fichier XLSX."), status=422)
    token = uuid.uuid4().hex
    path = _uploads() / f"{token}.xlsx"
    upload.save(path)
    try:
        plan = plan_file(state().ledger, path, source=Path(upload.filename).name)
    except FileRefused as exc:
        path.unlink(missing_ok=True)
        return _page(error=str(exc), status=422)
    (_uploads() / f"{token}.name").write_text(plan.source, encoding="utf-8")
    if not plan.ok:
        path.unlink(missing_ok=True)
        return _page(plan=plan, status=422)
    return _page(plan=plan, token=token)


@bp.route("/referentiel/import/<token>", methods=["POST"])
@requires("setup.import")
def setup_confirm(token: str) -> Any:
    """Send what the previewed file creates or changes (planned again: what
    changed since the preview is taken into account)."""
    if not TOKEN.fullmatch(token):
        abort(404)
    path = _uploads() / f"{token}.xlsx"
    name = _uploads() / f"{token}.name"
    if not path.exists():
        abort(404)
    plan = plan_file(state().ledger, path, source=name.read_text(encoding="utf-8"))
    if not plan.ok:
        return _page(plan=plan, status=422)
    try:
        sent = apply(state().ledger, plan, current_user.caller())
    except DomainError as exc:  # a change since the preview the rules now refuse
        return _page(error=localised(exc), status=exc.status)
    finally:
        state().after_command(state().ledger.head())
    path.unlink(missing_ok=True)
    name.unlink(missing_ok=True)
    flash(_("Import terminé : %(n)s commande(s) envoyée(s).", n=sent), "success")
    return _page(passwords=plan.passwords)
