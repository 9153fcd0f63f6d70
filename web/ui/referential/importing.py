"""Importing the organisation from a set-up file in the Référentiel: upload the
XLSX, see what it would create or change (or every error by sheet, row and column),
then confirm; the import is the reason of every command it sends.

The browser import creates at most ``MAX_NEW_ACCOUNTS`` accounts per file (each
password is hashed with Argon2, ~0.3 s: more would outlast the server's request
timeout); a larger file is refused before anything is written and goes through
``sdsi setup import``. Uploads and unconfirmed previews older than a day are
removed at each upload."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from typing import Any

from flask import abort, flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from domain.errors import DomainError
from setupfile.importer import ImportInterrupted, Plan, apply, plan_file
from setupfile.sheets import FileRefused, Issue
from web.auth import requires
from web.domain_messages import localised
from web.state import state
from web.ui.blueprint import bp

TOKEN = re.compile(r"[0-9a-f]{32}")
MAX_NEW_ACCOUNTS = 50
KEPT_SECONDS = 24 * 3600  # an unconfirmed preview is removed after a day


def _uploads() -> Path:
    folder = Path(state().settings.data_dir) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _clean(folder: Path, now: float | None = None) -> None:
    """Remove the uploads (and their names) older than a day: previews never
    confirmed, files refused."""
    limit = (time.time() if now is None else now) - KEPT_SECONDS
    for path in folder.iterdir():
        if path.suffix in (".xlsx", ".name") and TOKEN.fullmatch(path.stem):
            try:
                if path.stat().st_mtime < limit:
                    path.unlink()
            except FileNotFoundError:  # removed by another worker meanwhile
                pass


def _too_many_accounts(plan: Plan) -> None:
    """Refuse, before writing, a file creating more accounts than a request can
    hash passwords for."""
    created = [a for a in plan.actions if a.login]
    if len(created) > MAX_NEW_ACCOUNTS:
        plan.errors.append(
            Issue(
                "comptes",
                0,
                "",
                _(
                    "%(n)s comptes à créer : le navigateur en crée au plus %(max)s "
                    "par fichier. Importez ce fichier avec « sdsi setup import "
                    "FICHIER », ou découpez la feuille comptes.",
                    n=len(created),
                    max=MAX_NEW_ACCOUNTS,
                ),
            )
        )
        plan.actions, plan.passwords = [], {}


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
    folder = _uploads()
    _clean(folder)
    source = Path(upload.filename.replace("\\", "/")).name
    if not source.lower().endswith(".xlsx"):
        return _page(error=_not_xlsx(source), status=422)
    token = uuid.uuid4().hex
    path = folder / f"{token}.xlsx"
    upload.save(path)
    try:
        plan = plan_file(state().ledger, path, source=source)
    except FileRefused:
        path.unlink(missing_ok=True)
        return _page(error=_not_xlsx(source), status=422)
    _too_many_accounts(plan)
    if not plan.ok:
        path.unlink(missing_ok=True)
        return _page(plan=plan, status=422)
    (folder / f"{token}.name").write_text(plan.source, encoding="utf-8")
    return _page(plan=plan, token=token)


def _not_xlsx(source: str) -> str:
    return _(
        "%(file)s n'est pas un classeur XLSX lisible. Le navigateur accepte le "
        "modèle XLSX rempli (« sdsi setup template -o parametrage.xlsx ») ; un "
        "dossier de fichiers CSV s'importe avec « sdsi setup import DOSSIER ».",
        file=source,
    )


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
    _too_many_accounts(plan)
    if not plan.ok:
        return _page(plan=plan, status=422)
    try:
        sent = apply(state().ledger, plan, current_user.caller())
    except (
        ImportInterrupted
    ) as exc:  # a rule the plan does not check, or a change since
        cause = exc.__cause__
        status = cause.status if isinstance(cause, DomainError) else 409
        return _page(
            error=" ".join(exc.lines()), passwords=exc.passwords, status=status
        )
    except DomainError as exc:
        return _page(error=localised(exc), status=exc.status)
    finally:
        state().after_command(state().ledger.head())
    path.unlink(missing_ok=True)
    name.unlink(missing_ok=True)
    flash(_("Import terminé : %(n)s commande(s) envoyée(s).", n=sent), "success")
    return _page(passwords=plan.passwords)
