"""The Flask application factory. Nothing is created at import time."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Flask

from ledger.app import open_ledger
from ledger.config import Settings
from ledger.keys import secret_key
from ledger.sessions import WEB_LIFETIME, SessionStore
from projections.service import Follower, ReadModel
from web.api import init_api
from web.attachment_files import init_uploads
from web.auth import require_password_change
from web.cache import init_cache
from web.errors import register_error_handlers
from web.extensions import csrf, login_manager
from web.formatting import init_formatting
from web.limits import init_limits
from web.paging import init_paging
from web.proxies import TrustedProxies
from web.query_params import init_query_params
from web.security import secure_headers
from web.state import WebState
from web.throttle import make_throttle
from web.ui import bp as ui_bp

log = logging.getLogger(__name__)


def create_app(
    config: dict[str, Any] | None = None,
    *,
    settings: Settings | None = None,
    ledger: Any = None,
) -> Flask:
    """Build the app: ledger, read model, embedded follower (SQLite), UI and ``/api/v1``.

    ``config`` overrides Flask settings (``TESTING``, ``FOLLOW``…); ``settings`` the
    deployment's (read from ``SDSI_*`` by default); ``ledger`` an already opened ledger.
    """
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    # No constant folding in templates: Jinja would call a filter on a literal once, at
    # compile time, in the language of the first request of the worker ("Investment"
    # then showed on French pages); our filters depend on the request's locale.
    app.jinja_options = {**app.jinja_options, "optimized": False}
    app.config.update(
        SECRET_KEY=secret_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.https,
        SESSION_COOKIE_NAME="sdsi_session",
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=WEB_LIFETIME),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        JSON_SORT_KEYS=False,
        WTF_CSRF_CHECK_DEFAULT=False,  # checked for the UI only (web.ui), not for bearer-token API calls
        FOLLOW=not settings.database.is_postgres,
        SEAL=not settings.database.is_postgres,
        PAGE_CACHE_BYTES=settings.page_cache_mb * 1024 * 1024,
        SDSI_TIMEZONE=settings.timezone,  # pages and PDFs show local times
    )
    app.config.update(config or {})
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]

    ledger = ledger or open_ledger(settings)
    read_model = ReadModel(ledger, settings)
    follower = None
    if app.config["FOLLOW"]:
        extra = []
        if app.config["SEAL"]:
            from ledger.sealing import Sealer

            extra.append(Sealer(ledger).run_once)
        follower = Follower(read_model, poll=0.5, extra=extra).start()
    web_state = WebState(
        settings=settings, ledger=ledger, read_model=read_model, follower=follower
    )
    web_state.extra["throttle"] = make_throttle(settings.redis_url, ledger.storage)
    web_state.extra["sessions"] = SessionStore(ledger.storage)
    if settings.ldap is not None:
        from ledger.directory import LdapDirectory

        web_state.extra["ldap"] = LdapDirectory(settings.ldap)
    if settings.oidc is not None:
        from web.ui.oidc import init_oidc

        web_state.extra["oidc"] = init_oidc(app, settings.oidc)
    app.extensions["sdsi"] = web_state
    # the client's address as the trusted proxies say, and only they (web.proxies)
    app.wsgi_app = TrustedProxies(app.wsgi_app, settings.trusted_proxies)  # type: ignore[method-assign]

    init_limits(app)  # first: nothing decodes a body before it is bounded
    init_uploads(app)  # larger bodies: uploads only
    csrf.init_app(app)
    login_manager.init_app(app)
    init_formatting(app)
    init_paging(app)
    secure_headers(app)
    app.before_request(require_password_change)  # before authorisation and the cache
    # another process's erasure: this one's past views (files) forget the person
    app.before_request(lambda: web_state.read_model.forget_past_views_if_erased())
    register_error_handlers(app)
    app.register_blueprint(ui_bp)
    init_api(app)
    init_query_params(app)  # after authorisation, before the page cache
    init_cache(app, app.config["PAGE_CACHE_BYTES"])  # after authorisation (init_api)
    return app
