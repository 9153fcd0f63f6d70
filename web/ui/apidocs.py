"""A browsable page of the OpenAPI document (server-rendered, no script needed)."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template

from web.auth import public
from web.ui.blueprint import bp


@bp.route("/api/docs")
@public
def api_docs() -> str:
    """Every endpoint of /api/v1 with its parameters, body and responses."""
    spec: dict[str, Any] = current_app.extensions["sdsi_api"].spec.to_dict()
    operations = []
    for path, methods in sorted(spec.get("paths", {}).items()):
        for method, op in methods.items():
            if method not in ("get", "post", "put", "delete", "patch"):
                continue
            body = (
                op.get("requestBody", {})
                .get("content", {})
                .get("application/json", {})
                .get("schema", {})
            )
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "tags": op.get("tags", []),
                    "parameters": op.get("parameters", []),
                    "body": body.get("$ref", "").split("/")[-1],
                    "responses": sorted(op.get("responses", {})),
                }
            )
    schemas = spec.get("components", {}).get("schemas", {})
    return render_template(
        "api_docs.html",
        info=spec.get("info", {}),
        operations=operations,
        schemas=schemas,
    )
