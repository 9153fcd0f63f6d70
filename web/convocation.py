"""Sending a COPIL session's convocation from the web (page and API alike): record
``Session.ConvocationSent``, then queue one e-mail per member with an address, in
French, with the agenda, a link to the session and an ``.ics`` invitation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import request, url_for
from flask_babel import gettext as _

from ledger.convocation import queue_convocation
from ledger.core import Caller, CommandResult
from web.state import state


def session_url(code: str) -> str:
    base = state().settings.mail.base_url or request.host_url.rstrip("/")
    return base + url_for("ui.session", code=code)


def _when(agenda: dict[str, Any]) -> str:
    starts = datetime.fromisoformat(agenda["starts_at"])
    ends = datetime.fromisoformat(agenda["ends_at"])
    return _(
        "le %(day)s de %(start)s à %(end)s (heure de %(zone)s)",
        day=starts.strftime("%d/%m/%Y"),
        start=starts.strftime("%H:%M"),
        end=ends.strftime("%H:%M"),
        zone=agenda["timezone"],
    )


def _items(agenda: dict[str, Any]) -> str:
    if not agenda["items"]:
        return _("(aucun point inscrit pour l'instant)")
    return "\n".join(
        f"{n}. {item['code']} — {item['title']}"
        for n, item in enumerate(agenda["items"], 1)
    )


def send(
    caller: Caller, code: str, starts: str, ends: str, place: str
) -> CommandResult:
    """Record the convocation and queue its e-mails (again for a repeated key:
    the outbox keeps one per member and send)."""
    result = state().ledger.send_convocation(caller, code, starts, ends, place)
    agenda = result.data["agenda"]
    url = session_url(result.data["session"])
    again = result.data["sequence"] > 0
    subject = (
        _("Convocation modifiée : %(title)s, %(when)s", title=agenda["title"],
          when=_when(agenda))
        if again
        else _("Convocation : %(title)s, %(when)s", title=agenda["title"],
               when=_when(agenda))
    )  # fmt: skip
    subject = " ".join(subject.split())[:300]
    items = _items(agenda)

    def text(name: str) -> str:
        return _(
            "Bonjour %(name)s,\n\n"
            "Vous êtes convoqué(e) à la séance du comité de pilotage du schéma "
            "directeur des systèmes d'information :\n\n"
            "%(title)s\n%(when)s\nLieu : %(place)s\n\n"
            "Ordre du jour :\n%(items)s\n\n"
            "La séance dans le registre : %(url)s\n\n"
            "L'invitation jointe (convocation.ics) s'ajoute à votre agenda. "
            "Empreinte SHA-256 de cet ordre du jour, enregistrée dans le registre : "
            "%(sha)s\n",
            name=name,
            title=agenda["title"],
            when=_when(agenda),
            place=agenda["place"],
            items=items,
            url=url,
            sha=result.data["agenda_sha256"],
        )

    queue_convocation(
        state().ledger,
        result.data,
        state().settings.mail,
        url=url,
        subject=subject,
        text=text,
        description=_("Ordre du jour :") + "\n" + items + "\n\n" + url,
        stamp=datetime.now(UTC),
    )
    return result
