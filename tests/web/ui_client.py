"""A running web app over a prepared ledger, and test clients signed in as anyone."""

from __future__ import annotations

import html
import re
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

import psycopg
from flask import Flask
from flask.testing import FlaskClient

from ledger.keys import ensure_secret_key
from ledger.log import TimeIndex
from projections import queries as q
from projections.service import init_views
from web.app import create_app

TEST_CONFIG = {
    "TESTING": True,
    "WTF_CSRF_ENABLED": False,
    "FOLLOW": True,
    "SEAL": False,
}


@dataclass
class Site:
    """The app, its ledger, and what a test needs to check what was written."""

    app: Flask
    ledger: Any

    @property
    def read_model(self) -> Any:
        return self.app.extensions["sdsi"].read_model

    def client(self, username: str | None = None) -> FlaskClient:
        """A browser signed in as ``username`` (anonymous if None)."""
        client = self.app.test_client()
        if username is not None:
            sign_in(client, self.app, username)
        return client

    def head(self) -> int:
        """The position of the newest event (the number of events in the log).

        Not ``ledger.head()``: that is the newest *notification id*, which runs ahead
        of the position on PostgreSQL once its sequence has a gap (a rolled-back
        insert), and the pages and ``events_since`` count positions. While the views
        are gone (a rebuild half way), the log itself is counted."""
        try:
            return int(self.read_model.head_position())
        except (sqlite3.Error, psycopg.Error):
            return TimeIndex(self.ledger.recorder, self.ledger.mapper).head()

    def events_since(self, head: int) -> list[str]:
        """Types of the events written after position ``head``, oldest first (views)."""
        events = q.audit_trail(self.read_model.store, limit=200)["events"]
        return [e["event_type"] for e in reversed(events) if e["position"] > head]

    def caught_up(self, timeout: float = 120.0) -> None:
        rm = self.read_model
        deadline = time.monotonic() + timeout
        while rm.current_position() < rm.head_position():
            if time.monotonic() > deadline:
                raise TimeoutError("the views did not catch up with the ledger")
            time.sleep(0.02)

    def close(self) -> None:
        self.app.extensions["sdsi"].close()


def sign_in(client: FlaskClient, app: Flask, username: str) -> None:
    """Put in ``client``'s cookie a session opened for ``username`` (as the login
    form does, without its password check)."""
    from ledger.sessions import SessionStore

    secret = SessionStore(app.extensions["sdsi"].ledger.storage).open(username, "web")
    with client.session_transaction() as session:
        session["_user_id"] = username
        session["_fresh"] = True
        session["sid"] = secret


def open_site(settings: Any, ledger: Any, **config: Any) -> Site:
    """The app as ``sdsi serve`` builds it, with an embedded follower."""
    ensure_secret_key(settings)
    init_views(settings, ledger)
    app = create_app({**TEST_CONFIG, **config}, settings=settings, ledger=ledger)
    if "ui.audit" not in app.view_functions:
        # The audit page is written in parallel; ledger positions link to it.
        app.add_url_rule("/audit", "ui.audit", lambda: "")
    return Site(app, ledger)


def text(response: Any) -> str:
    """The visible text of a page's main content, whitespace collapsed."""
    body = response.get_data(as_text=True)
    main = re.search(r"<main.*?</main>", body, re.S)
    plain = re.sub(r"<[^>]+>", " ", main.group(0) if main else body)
    return re.sub(r"\s+", " ", html.unescape(plain)).strip()


def post_forms(response: Any) -> list[str]:
    """The actions of the POST forms of a page (the sign-out form aside)."""
    body = response.get_data(as_text=True)
    actions = re.findall(r'<form method="post" action="([^"]+)"', body)
    return [a for a in actions if a != "/deconnexion"]
