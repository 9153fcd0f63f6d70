"""The Flask extensions, created once without an app; ``web.app.create_app`` binds
them to each app. The views, the error handlers and the factory import them from
here, never from each other (importing them from ``web.app`` made ``web.ui`` and
``web.app`` import each other)."""

from __future__ import annotations

from flask_babel import Babel, gettext
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from web.i18n import N_

csrf = CSRFProtect()
babel = Babel()

login_manager = LoginManager()
login_manager.login_view = "ui.login"
login_manager.login_message = N_("Connectez-vous pour accéder à cette page.")
login_manager.localize_callback = gettext  # flashed in the language of the page asked
login_manager.login_message_category = "info"
