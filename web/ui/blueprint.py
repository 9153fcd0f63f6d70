"""The UI's blueprint, on which every page module registers its views; the CSRF
check of its forms. A module of its own so that the pages do not import the
package that imports them (``web.ui``)."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from web.extensions import csrf

bp = Blueprint(
    "ui",
    __name__,
    template_folder="../templates",
    static_folder="../static",
    static_url_path="/static",
)


@bp.before_request
def _csrf() -> None:
    """Every form of the UI carries a CSRF token (the API uses bearer tokens instead);
    ``WTF_CSRF_ENABLED = False`` (tests only) turns the check off."""
    enabled = current_app.config.get("WTF_CSRF_ENABLED", True)
    if enabled and request.method in ("POST", "PUT", "PATCH", "DELETE"):
        csrf.protect()
