"""The demo municipality behind a running app, loaded once per backend and shared by
the budget, exports, scenarios and administration page tests (loading it takes most
of their time). Tests that write use codes of their own, so they do not interfere.
"""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

import psycopg
import pytest

from ledger.app import open_ledger
from ledger.keys import ensure_signing_key
from ledger.sealing import Sealer
from sdsi.demo import data as D
from sdsi.demo.loader import DemoLoader
from tests.conftest import make_settings
from tests.web.ui_client import Site, open_site

PASSWORD = D.DEMO_PASSWORD
FINANCE, DSI, CHAIR, MEMBER = "fin.garnier", "dsi.martin", "dgs.lefebvre", "elu.dubois"
AUDITOR, ADMIN, EVALUATOR, REFERENT = "audit.crc", "admin.sdsi", "eval.petit", "ref.dsn"
# one account per role of the access matrix
BY_ROLE = {
    "finance": FINANCE,
    "dsi": DSI,
    "chair": CHAIR,
    "member": MEMBER,
    "auditor": AUDITOR,
    "admin": ADMIN,
    "evaluator": EVALUATOR,
    "referent": REFERENT,
}

_SITES: dict[str, Site] = {}


def shared_site(request: pytest.FixtureRequest, backend: str) -> Site:
    """The demo site of ``backend``, built on first use and closed at session end."""
    if backend in _SITES:
        return _SITES[backend]
    tmp = request.getfixturevalue("tmp_path_factory").mktemp(f"pages-{backend}")
    drop: str | None = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp}/ledger.db"
    else:
        server = str(request.getfixturevalue("pg_server_url"))
        drop = "p_" + uuid.uuid4().hex[:12]
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {drop}")
        url = f"{server}{'&' if '?' in server else '?'}schema={drop}"
    settings = make_settings(tmp / "data", url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ensure_signing_key(settings)
    led = open_ledger(settings, create=True)
    led.bootstrap_admin("admin", "Administrateur", "admin-password-1")
    site = open_site(settings, led)
    DemoLoader(led).run()
    Sealer(led).run_once()
    site.caught_up()

    def close() -> None:
        site.close()
        if drop is not None:
            with psycopg.connect(server, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {drop} CASCADE")

    request.session.addfinalizer(close)
    _SITES[backend] = site
    return site


def field_error(page: str, field_id: str) -> str:
    """The error message tied to a field by ``aria-describedby`` (empty if none)."""
    tag = re.search(rf'<(?:input|textarea|select)[^>]*id="{field_id}"[^>]*>', page)
    assert tag, f"no field {field_id}"
    described = re.search(r'aria-describedby="([^"]+)"', tag.group(0))
    if not described:
        return ""
    for ident in described.group(1).split():
        message = re.search(rf'<p class="error" id="{ident}">([^<]*)</p>', page)
        if message:
            return html.unescape(message.group(1))
    return ""


def page(response: Any) -> str:
    return str(response.get_data(as_text=True))


def token(site: Site, username: str) -> dict[str, str]:
    """The API's bearer header for ``username``."""
    response = site.client().post(
        "/api/v1/auth/token", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}
