"""Two server processes on one ledger: one erases a person while the other holds
past views (``as_of``) made before, in files of its temporary directory. The other
forgets them at its next request, whatever it asks — not only at its next ``as_of``
(their files kept the name on disk until then, maybe for good). Both backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ledger.app import open_ledger
from ledger.core import Caller
from tests.conftest import ADMIN
from tests.web.ui_client import open_site
from tests.web.world import open_world

NAME = "Zoé Lefèvre-Ünal"


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_another_workers_past_views_forget_an_erased_person(
    request: pytest.FixtureRequest, tmp_path_factory: Any, backend: str
) -> None:
    first = open_world(request, tmp_path_factory, backend)
    settings = first.app.extensions["sdsi"].settings
    second = open_site(settings, open_ledger(settings))
    try:
        first.ledger.add_user(ADMIN, "zoe", NAME, "zoe-password-1", roles=[])
        first.caught_up()
        second.caught_up()
        rm = second.read_model
        past = rm.replay(rm.current_position())  # a moment the person is named in
        files = sorted(Path(rm._tmp).glob("asof-*"))  # and their WAL
        assert files and NAME.encode() in b"".join(f.read_bytes() for f in files)
        first.ledger.erase_user(Caller(actor="admin", reason="demande RGPD"), "zoe")
        assert second.client().get("/connexion").status_code == 200
        left = b"".join(f.read_bytes() for f in Path(rm._tmp).glob("asof-*"))
        assert NAME.encode() not in left
        assert past.path not in [str(p) for p in Path(rm._tmp).iterdir()]
    finally:
        second.close()
        first.close()
