"""The JSON API ``/api/v1``: every command and read, OpenAPI 3 from the schemas."""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import Flask, Response, current_app, request
from flask_babel import gettext as _
from flask_smorest import Api
from marshmallow import fields

from web.api.schemas import ErrorResponse
from web.errors import api_error


class SdsiApi(Api):  # type: ignore[misc]
    """flask-smorest's Api, with the errors handled by web.errors (one shape)."""

    ERROR_SCHEMA = ErrorResponse  # documented errors: the one shape of web.errors

    def _register_error_handlers(self) -> None:
        pass


def init_api(app: Flask) -> None:
    from web.api import (
        attachments,
        audit,
        commands,
        diagnosis,
        discussion,
        document_review,
        entities,
        finance,
        grid_adoption,
        notifications,
        phases,
        public,
        reads,
        referential,
        scenarios,
    )
    from web.auth import authorise_request

    app.config.update(
        API_TITLE="SDSI Ledger API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="v1/openapi.json",
    )
    spec: dict[str, Any] = {
        "info": {
            "description": (
                "API du registre SDSI. Authentification : POST /api/v1/auth/token puis "
                "`Authorization: Bearer <jeton>`. Chaque commande accepte l'en-tête "
                "`Idempotency-Key` : la même clé avec la même requête rend le premier "
                "résultat sans rien écrire, avec une autre requête elle est refusée (422 "
                "`idempotency_key_reused`) ; chaque lecture des vues accepte `as_of` "
                "(date-heure ISO UTC ou position:N) ; un paramètre de requête non documenté "
                'est refusé (422). Montants : chaînes décimales ("125000.00", au plus 2 '
                "décimales) ou entiers ; dates AAAA-MM-JJ."
            )
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}
        },
        "security": [{"bearer": []}],
    }
    api = SdsiApi(app, spec_kwargs=spec)
    blueprints = (
        *reads.BLUEPRINTS,
        *commands.BLUEPRINTS,
        *referential.BLUEPRINTS,
        *scenarios.BLUEPRINTS,
        *attachments.BLUEPRINTS,
        *discussion.BLUEPRINTS,
        *grid_adoption.BLUEPRINTS,
        *public.BLUEPRINTS,
        *finance.BLUEPRINTS,
        *diagnosis.BLUEPRINTS,
        *phases.BLUEPRINTS,
        *document_review.BLUEPRINTS,
        *entities.BLUEPRINTS,
    )
    for blp in (*blueprints, *audit.BLUEPRINTS, *notifications.BLUEPRINTS):
        api.register_blueprint(blp)
    app.extensions["sdsi_api"] = api
    # every request is authorised before CSRF checks or body parsing see it
    app.before_request(authorise_request)
    app.before_request(refuse_unknown_query)
    # the OpenAPI document is public: its views (bound methods) are listed here
    app.config["PUBLIC_ENDPOINTS"] = {
        e for e in app.view_functions if e.startswith("api-docs.")
    } | {"static", "ui.static"}


@cache
def documented_query(view: Any) -> frozenset[str]:
    """The query parameters an API view documents: the fields of the schemas its
    ``arguments(..., location="query")`` declare (as the OpenAPI document lists them)."""
    return frozenset(_query_fields(view))


@cache
def repeatable_query(view: Any) -> frozenset[str]:
    """The documented query parameters that take several values (list fields)."""
    return frozenset(
        n for n, f in _query_fields(view).items() if isinstance(f, fields.List)
    )


def _query_fields(view: Any) -> dict[str, fields.Field]:
    out: dict[str, fields.Field] = {}
    for parameter in (
        getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", [])
    ):
        if parameter.get("in") == "query":
            schema = parameter["schema"]
            schema = schema() if isinstance(schema, type) else schema
            out.update(
                {
                    f.data_key or n: f
                    for n, f in schema.fields.items()
                    if not f.dump_only
                }
            )
    return out


def refuse_unknown_query() -> Response | None:
    """Refuse, naming it, any query parameter an API operation does not document: a
    misspelt filter (``?stauts=approved``) must not answer the unfiltered list."""
    if not request.args or not request.path.startswith("/api/v1/"):
        return None
    endpoint = request.endpoint or ""
    view = current_app.view_functions.get(endpoint)
    if view is None or endpoint.startswith("api-docs."):
        return None  # no such route (404/405 follow), or the OpenAPI document itself
    known = documented_query(view)
    unknown = sorted(name for name in request.args if name not in known)
    if unknown:
        accepted = ", ".join(sorted(known)) or _("aucun")
        reason = _(
            "Paramètre inconnu (paramètres acceptés : %(names)s).", names=accepted
        )
        return api_error(
            422,
            message=_(
                "Paramètre de requête inconnu : %(names)s.", names=", ".join(unknown)
            ),
            details={name: [reason] for name in unknown},
        )
    # ``?year=2025&year=2026`` would silently keep one of them: say which is repeated
    repeated = sorted(
        name
        for name in request.args
        if len(request.args.getlist(name)) > 1 and name not in repeatable_query(view)
    )
    if not repeated:
        return None
    return api_error(
        422,
        message=_(
            "Paramètre de requête répété : %(names)s.", names=", ".join(repeated)
        ),
        details={
            name: [_("Une seule valeur est acceptée pour ce paramètre.")]
            for name in repeated
        },
    )
