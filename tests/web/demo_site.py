"""The demo municipality behind a running app, loaded once per backend and shared by
the budget, exports, scenarios and administration page tests (loading it takes most
of their time). Tests that write use codes of their own, so they do not interfere.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from ledger.app import open_ledger
from sdsi.demo import data as D
from tests.conftest import make_settings
from tests.demo_template import demo_copy
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
    # A copy of the demo, projected and sealed (tests/demo_template.py); its database
    # lives as long as the session.
    url = demo_copy(request, backend, tmp, "sealed", session=True)
    settings = make_settings(tmp / "data", url)
    led = open_ledger(settings)
    site = open_site(settings, led)
    site.caught_up()

    def close() -> None:
        site.close()

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
