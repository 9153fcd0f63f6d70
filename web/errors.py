"""One error shape for the API, readable pages for people; never a 500 for client input.

API errors are ``{"error": {"code", "message", "details"}}`` with 400 malformed, 401
unauthenticated, 403 forbidden, 404 unknown, 409 conflict or rule violated, 422 invalid
fields (details keyed by field); 500 ``ledger_corrupted`` when the stored events of
the record cannot be replayed (logged: the fault is the server's, and no retry helps).
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from flask import Flask, Response, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from domain.errors import DomainError
from ledger.errors import CommitOutcomeUnknown
from ledger.outage import OUTAGE_ERRORS, first_line, is_outage, views_unavailable
from projections.projector import ProjectionError
from web.attachment_files import too_large_message
from web.domain_messages import localised
from web.extensions import login_manager
from web.i18n import N_
from web.throttle import TooManyAttempts
from web.validation import localise_all, summary

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5
VIEW_ERRORS = (psycopg.errors.UndefinedTable, psycopg.errors.InsufficientPrivilege)

HTTP_CODES = {
    400: ("bad_request", N_("Requête mal formée.")),
    401: ("unauthenticated", N_("Authentification requise.")),
    403: ("forbidden", N_("Accès refusé : votre rôle ne permet pas cette action.")),
    404: ("not_found", N_("Ressource introuvable.")),
    405: ("method_not_allowed", N_("Méthode non autorisée.")),
    409: ("conflict", N_("Conflit.")),
    413: ("too_large", N_("Requête trop volumineuse.")),
    415: (
        "unsupported_media_type",
        N_("Type de contenu non pris en charge (JSON attendu)."),
    ),
    422: ("invalid_fields", N_("Champs invalides.")),
    429: ("too_many_requests", N_("Trop de tentatives : réessayez plus tard.")),
    503: ("unavailable", N_("Service momentanément indisponible.")),
}
# Any other HTTP status (406, 410, 501…): werkzeug's descriptions are English.
REFUSED = N_("La requête n'a pas pu aboutir.")


def error_body(
    status: int,
    code: str | None = None,
    message: str | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    default_code, default_message = HTTP_CODES.get(status, ("error", REFUSED))
    return {
        "error": {
            "code": code or default_code,
            "message": message or _(default_message),
            "details": details or {},
        }
    }


def api_error(
    status: int,
    code: str | None = None,
    message: str | None = None,
    details: dict[str, Any] | None = None,
) -> Response:
    response = jsonify(error_body(status, code, message, details))
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="sdsi"'
    return response


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _page(
    status: int, message: str, details: dict[str, Any] | None = None
) -> tuple[str, int]:
    return render_template(
        "error.html", status=status, message=message, details=details or {}
    ), status


def register_error_handlers(app: Flask) -> None:
    """The handler table: domain errors → their status; HTTP errors; validation errors."""

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError) -> Any:
        if exc.status >= 500:
            # The ledger's own integrity (LedgerCorrupted), not the request: an
            # operator must run `sdsi verify`; the answer says so.
            log.error("%s: %s", exc.code, exc.message)
        if _is_api():
            return api_error(exc.status, exc.code, localised(exc), exc.details)
        return _page(exc.status, localised(exc), exc.details)

    @app.errorhandler(ValidationError)
    def _validation(exc: ValidationError) -> Any:
        raw = (
            exc.messages
            if isinstance(exc.messages, dict)
            else {"_schema": exc.messages}
        )
        details = localise_all(raw)  # in the user's language (web.validation)
        if _is_api():
            return api_error(422, message=summary(raw), details=details)
        return _page(422, summary(raw), details)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> Any:
        message = N_(
            "Jeton CSRF absent ou invalide : rechargez la page et recommencez."
        )
        if _is_api():
            return api_error(400, code="csrf", message=message)
        return _page(400, _(message))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        status = exc.code or 500
        upload = too_large_message() if status == 413 else None
        if upload is not None:
            if _is_api():
                return api_error(413, message=upload)
            return _page(413, upload)
        if _is_api():
            data = getattr(exc, "data", None) or {}
            messages = data.get("messages") if isinstance(data, dict) else None
            if messages and status in (400, 422):
                flat: dict[str, Any] = {}
                for (
                    location
                ) in messages.values():  # webargs: {"json": {...}, "query": {...}}
                    if isinstance(location, dict):
                        flat.update(location)
                raw = flat or messages  # {"json": ["Invalid JSON body."]} as it is
                return api_error(422, message=summary(raw), details=localise_all(raw))
            return api_error(status)
        # never werkzeug's English description ("The browser (or proxy) sent…")
        default = HTTP_CODES.get(status, ("error", REFUSED))[1]
        if status == 403 and g.get("denied_permission"):
            default = N_(
                "Accès refusé : votre rôle ne permet pas d'accéder à cette page."
            )
        return _page(status, _(default))

    def _unavailable(exc: Exception) -> Any:
        views = views_unavailable(exc)
        if not (views or is_outage(exc)):
            raise exc  # not an outage: a bug, reported as such
        log.error(
            "%s unavailable: %s", "views" if views else "database", first_line(exc)
        )
        unknown = isinstance(exc, CommitOutcomeUnknown)
        message = (
            N_("Les vues sont en cours de reconstruction ; réessayez dans un instant.")
            if views
            else (
                N_(
                    "La base de données a été perdue pendant l'enregistrement : la commande "
                    "a peut-être été enregistrée. Renvoyez-la avec la même clé d'idempotence "
                    "(le formulaire le fait) : elle ne sera pas enregistrée deux fois."
                )
                if unknown
                else N_("Base de données indisponible ; réessayez dans un instant.")
            )
        )
        if _is_api():
            response = api_error(
                503,
                code="commit_outcome_unknown" if unknown else "unavailable",
                message=message,
            )
        else:
            if not views:
                # The page is rendered as for a visitor: who is signed in is read from
                # the database, which is away (reading it turned the 503 into a 500).
                g._login_user = login_manager.anonymous_user()
            body, status = _page(503, _(message))
            response = Response(body, status=status, mimetype="text/html")
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    for outage in (*OUTAGE_ERRORS, *VIEW_ERRORS):
        app.register_error_handler(outage, _unavailable)

    @app.errorhandler(TooManyAttempts)
    def _throttled(exc: TooManyAttempts) -> Any:
        message = _(
            "Trop de tentatives : réessayez dans %(seconds)s s.", seconds=exc.wait
        )
        if _is_api():
            response = api_error(
                429, message=message, details={"retry_after": exc.wait}
            )
        else:
            body, status = _page(429, message)
            response = Response(body, status=status, mimetype="text/html")
        response.headers["Retry-After"] = str(exc.wait)
        return response

    @app.errorhandler(ProjectionError)
    def _projection(exc: ProjectionError) -> Any:
        log.error("views unavailable: %s", exc)
        if _is_api():
            return api_error(503, message="Les vues sont en cours de reconstruction.")
        return _page(503, _("Les vues sont en cours de reconstruction."))
