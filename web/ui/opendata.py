"""Open data for everyone: ``/donnees-ouvertes`` lists every dataset (description,
schema, licence, update date, formats) and serves its files without signing in.

The files are the registry's open-data exports as the views stand now (an as-of copy
stays with the signed-in exports page); each is kept in the response cache keyed by
the views' position (and the latest checkpoint for the checkpoints), with a strong
``ETag`` (SHA-256 of the bytes) and ``Last-Modified`` (the last data event, or the
last checkpoint), so a client that already has it gets ``304`` for nothing. The
schemas are the files shipped in ``exports/schemas``, at a stable address.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from domain.publication import FIELDS, withheld_datasets
from exports import registry
from exports.open_tables import SCDL_DOCUMENTATION, SCDL_VERSION, MissingSiret
from exports.opendata import DATASETS, LICENCE, PINNED, schema_file
from ledger.integrity import latest_checkpoint
from projections import queries as q
from projections import reference_queries as rq
from web import publication as pub
from web.auth import public
from web.cache import Entry, response_cache, views_position
from web.state import state
from web.ui.blueprint import bp

FORMATS = ("csv", "json")
MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
_DATASETS = "any(" + ", ".join(f'"{d}"' for d in DATASETS) + ")"
_FORMATS = "any(csv, json)"


@dataclass(frozen=True)
class Dataset:
    """What the page says of one dataset."""

    name: str
    title: Any
    description: Any


CATALOG = (
    Dataset(
        "deliberations",
        _l("Délibérations du comité de pilotage (schéma national SCDL)"),
        _l(
            "Une ligne par décision du comité de pilotage du schéma directeur, au "
            "format national SCDL « Délibérations » : collectivité et son SIRET, "
            "identifiant, date, matière, objet, exercices budgétaires, décompte "
            "des votes."
        ),
    ),
    Dataset(
        "decisions",
        _l("Décisions du comité de pilotage, en détail"),
        _l(
            "Une ligne par décision : séance, projet, décision et motif, écart au "
            "vote et sa justification, dérogations, AP et CP accordés, votes, "
            "quorum, version de la grille et scores consolidés."
        ),
    ),
    Dataset(
        "projets",
        _l("Projets du schéma directeur"),
        _l(
            "Une ligne par projet approuvé : direction qui le porte, axe "
            "stratégique, état (prévue, en cours, réalisée), avancement, AP "
            "accordée et exercices."
        ),
    ),
    Dataset(
        "budget",
        _l("Budget par projet et par exercice"),
        _l(
            "Une ligne par projet, exercice, section et entité (la part de chaque "
            "entité d'un projet partagé, avec son code, son nom et son SIREN) : AP "
            "votée et actuelle, crédits de paiement, engagé, mandaté, disponible "
            "(noms du schéma national SCDL Budget là où ils s'appliquent)."
        ),
    ),
    Dataset(
        "budget-scdl",
        _l("Budget des projets (schéma national SCDL)"),
        _l(
            "Une ligne par projet, exercice et section imputés en M57, au format "
            "national SCDL « Budget » 0.8.1 : compte, chapitre, fonction, "
            "opération, crédits votés et mandaté à ce jour."
        ),
    ),
    Dataset(
        "decisions-grille",
        _l("Décisions du comité de pilotage sur la grille de valeur"),
        _l(
            "Une ligne par décision sur l'adoption d'une version de la grille de "
            "valeur construite avec les directions : votes et motif."
        ),
    ),
    Dataset(
        "votes",
        _l("Votes nominatifs du comité de pilotage"),
        _l(
            "Une ligne par vote exprimé en séance par un membre votant (élu ou "
            "cadre de direction, dans l'exercice de ses fonctions), votes "
            "remplacés compris."
        ),
    ),
    Dataset(
        "points-de-controle",
        _l("Points de contrôle signés du registre"),
        _l(
            "Une ligne par point de contrôle signé (taille de l'arbre, racine, "
            "signature) : de quoi vérifier que le registre n'a été ni modifié ni "
            "tronqué, sans faire confiance au serveur."
        ),
    ),
)


def _checkpoint() -> dict[str, Any] | None:
    return latest_checkpoint(state().ledger)


def _updated(dataset: str, checkpoint: dict[str, Any] | None) -> str | None:
    """When a dataset last changed: the last checkpoint for the checkpoints, the
    last data event for the others (UTC ISO)."""
    if dataset == "points-de-controle":
        return checkpoint["issued_at"] if checkpoint else None
    latest = q.latest_data_event(state().read_model.store)
    return latest["at"] if latest else None


def _deliberations_refused() -> bool:
    """Whether the SCDL deliberations are withheld: decisions, and no SIRET."""
    store = state().read_model.store
    town = rq.municipality(store) or {}
    return not town.get("siret") and bool(q.decision_history(store))


@bp.route("/donnees-ouvertes")
@public
def open_data() -> Any:
    """Every open-data dataset with its schema, licence, update date and formats."""
    return _page()


def _page(status: int = 200) -> Any:
    checkpoint = _checkpoint()
    hidden = pub.hidden()
    return render_template(
        "open_data.html",
        catalog=CATALOG,
        formats=FORMATS,
        pinned=PINNED,
        updated={d.name: _updated(d.name, checkpoint) for d in CATALOG},
        refused={"deliberations": _deliberations_refused()},
        withheld=withheld_datasets(hidden),
        hidden_fields=[(name, FIELDS[name]) for name in sorted(hidden)],
        licence=LICENCE,
        scdl_version=SCDL_VERSION,
        scdl_documentation=SCDL_DOCUMENTATION,
    ), status


@bp.route(f"/donnees-ouvertes/<{_DATASETS}:dataset>.<{_FORMATS}:fmt>")
@public
def open_data_file(dataset: str, fmt: str) -> Any:
    """One dataset in CSV (UTF-8, ``,``) or JSON, as the views stand now (404 for
    a dataset the municipality withholds)."""
    if dataset in withheld_datasets(pub.hidden()):
        message = _(
            "Le jeu « %(dataset)s » n'est pas publié : la collectivité a choisi "
            "de ne pas diffuser les informations qu'il contient.",
            dataset=dataset,
        )
        return render_template(
            "error.html", status=404, message=message, details={}
        ), 404
    return _served(f"opendata-{dataset}", fmt, f"{dataset}.{fmt}", dataset)


@bp.route(f"/donnees-ouvertes/donnees-ouvertes-<{_FORMATS}:fmt>.zip")
@public
def open_data_archive(fmt: str) -> Any:
    """Every dataset, its schema and a ``datapackage.json``, in one ZIP."""
    return _served("opendata", fmt, f"donnees-ouvertes-{fmt}.zip", None)


@bp.route(f"/donnees-ouvertes/schemas/<{_DATASETS}:dataset>.schema.json")
@public
def open_data_schema(dataset: str) -> Any:
    """The Table Schema of a dataset (the shipped file, byte for byte)."""
    body = schema_file(dataset)
    response = Response(body, mimetype="application/schema+json")
    return _conditional(response, body, None)


def _served(name: str, fmt: str, filename: str, dataset: str | None) -> Any:
    checkpoint = _checkpoint() if dataset in (None, "points-de-controle") else None
    hidden = pub.hidden()
    key = (
        "opendata",
        name,
        fmt,
        ",".join(sorted(hidden)),
        views_position(),
        checkpoint["seq"] if checkpoint else None,
    )
    cache = response_cache()
    entry = cache.get(key)
    if entry is None:
        try:
            rendered = registry.render(state().read_model, name, fmt, hidden=hidden)
        except MissingSiret:
            return _page(409)
        entry = Entry.of(rendered.content, rendered.mime_type)
        cache.put(key, entry)
    body = entry.body(lambda: b"")
    response = Response(body, content_type=entry.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    updated = _updated(dataset or "", checkpoint)
    if dataset is None and checkpoint and (updated or "") < checkpoint["issued_at"]:
        updated = checkpoint["issued_at"]
    return _conditional(response, body, updated)


def _conditional(response: Response, body: bytes, updated: str | None) -> Response:
    """Strong ETag, Last-Modified, revalidation by every client; 304 when unchanged."""
    response.set_etag(hashlib.sha256(body).hexdigest())
    if updated:
        response.last_modified = datetime.fromisoformat(updated.replace("Z", "+00:00"))
    response.headers["Cache-Control"] = "public, no-cache"
    response.headers["Access-Control-Allow-Origin"] = "*"  # open data: any site
    return response.make_conditional(request)
