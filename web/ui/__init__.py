"""The server-rendered UI (French by default), one module per area."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from web.app import csrf

bp = Blueprint("ui", __name__, template_folder="../templates", static_folder="../static", static_url_path="/static")


@bp.before_request
def _csrf() -> None:
    """Every form of the UI carries a CSRF token (the API uses bearer tokens instead);
    ``WTF_CSRF_ENABLED = False`` (tests only) turns the check off."""
    enabled = current_app.config.get("WTF_CSRF_ENABLED", True)
    if enabled and request.method in ("POST", "PUT", "PATCH", "DELETE"):
        csrf.protect()


from web.ui import (  # noqa: E402,F401  (views register on the blueprint)
    admin,
    apidocs,
    audit,
    auth,
    budget,
    context,
    cycle,
    exports,
    grids,
    home,
    oidc,
    portfolio,
    proposals,
    referential,
    scenarios,
    sessions,
    setup,
)
