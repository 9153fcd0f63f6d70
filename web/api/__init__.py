"""The JSON API ``/api/v1``: every command and read, OpenAPI 3 from the schemas."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest import Api

from web.api.schemas import ErrorResponse


class SdsiApi(Api):  # type: ignore[misc]
    """flask-smorest's Api, with the errors handled by web.errors (one shape)."""

    ERROR_SCHEMA = ErrorResponse  # documented errors: the one shape of web.errors

    def _register_error_handlers(self) -> None:
        pass


def init_api(app: Flask) -> None:
    from web.api import audit, commands, reads, scenarios
    from web.auth import authorise_request

    app.config.update(
        API_TITLE="SDSI Ledger API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="v1/openapi.json",
    )
    spec: dict[str, Any] = {
        "info": {"description": (
            "API du registre SDSI. Authentification : POST /api/v1/auth/token puis "
            "`Authorization: Bearer <jeton>`. Chaque commande accepte l'en-tête "
            "`Idempotency-Key` : la même clé avec la même requête rend le premier "
            "résultat sans rien écrire, avec une autre requête elle est refusée (422 "
            "`idempotency_key_reused`) ; chaque lecture accepte `as_of` (date-heure ISO UTC ou "
            "position:N). Montants : chaînes décimales (\"125000.00\") ; dates AAAA-MM-JJ."
        )},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
    }
    api = SdsiApi(app, spec_kwargs=spec)
    blueprints = (*reads.BLUEPRINTS, *commands.BLUEPRINTS, *scenarios.BLUEPRINTS)
    for blp in (*blueprints, *audit.BLUEPRINTS):
        api.register_blueprint(blp)
    app.extensions["sdsi_api"] = api
    # every request is authorised before CSRF checks or body parsing see it
    app.before_request(authorise_request)
    # the OpenAPI document is public: its views (bound methods) are listed here
    app.config["PUBLIC_ENDPOINTS"] = {e for e in app.view_functions if e.startswith("api-docs.")} | {"static", "ui.static"}
