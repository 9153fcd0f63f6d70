"""The signed-in person's notifications: their inbox (paged), marking read, their
preferences (delivery per kind) and the proposals they follow. Personal settings and
reading, kept in the ledger's operational tables, not events (``ledger.notifications``);
every operation acts on the caller's own notifications only."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import ValidationError, fields, validate, validates_schema

from ledger.notifications import DELIVERIES, KINDS, MAX_POSITIONS
from projections import queries as q
from web import notifications as mine
from web import paging
from web.api import responses as r
from web.api import schemas as s
from web.api.reads import LINK
from web.api.responses import errors
from web.auth import proposal_direction, requires
from web.state import state

blp = Blueprint(
    "api_notifications",
    __name__,
    url_prefix="/api/v1",
    description="Notifications : boîte de réception, préférences, fiches suivies",
)
BLUEPRINTS = (blp,)

DELIVERY = {
    "description": "app : dans l'application seulement ; immediate : aussi par "
    "courriel, aussitôt ; digest : aussi dans un récapitulatif quotidien"
}


class InboxQuery(s.Paged):
    unread = fields.Boolean(
        load_default=False,
        metadata={"description": "Seulement les notifications non lues"},
    )


class NotificationRecord(r.Out):
    """A notification as the view holds it (``NotificationRow``)."""

    id = r.Int(metadata={"description": "Identifiant (la position de l'événement)"})
    position = r.Int()
    kind = r.Str(
        metadata={"description": "Type : " + ", ".join(KINDS)},
    )
    subject = r.Str(metadata={"description": "Fiche, séance ou projet concerné"})
    title = r.Str()
    link = r.Str(metadata={"description": "Adresse de la page concernée"})
    detail = r.Str(metadata={"description": "Issue d'une décision, événement…"})
    actor = r.Str()
    created_at = r.Str(metadata=r.TIME)


class Notification(NotificationRecord):
    read = fields.Boolean(metadata={"description": "Lue par moi"})


class Inbox(r.Paged):
    notifications = fields.List(fields.Nested(Notification))
    unread = r.Int(metadata={"description": "Notifications non lues, en tout"})


class MarkRead(s.Base):
    ids = fields.List(
        fields.Integer(validate=validate.Range(1, 2**62)),
        load_default=list,
        validate=validate.Length(max=MAX_POSITIONS),
        metadata={"description": "Les notifications lues (au plus 500)"},
    )
    all = fields.Boolean(
        load_default=False, metadata={"description": "Toutes les notifications lues"}
    )

    @validates_schema
    def _something(self, data: dict[str, Any], **_kw: Any) -> None:
        if not data["ids"] and not data["all"]:
            raise ValidationError(
                "Donnez les notifications lues (ids), ou all : true.", "ids"
            )


class Unread(r.Out):
    unread = r.Int(metadata={"description": "Notifications non lues, en tout"})


Preferences = s.Base.from_dict(
    {
        kind: fields.String(
            validate=validate.OneOf(DELIVERIES), metadata=DELIVERY, required=False
        )
        for kind in KINDS
    },
    name="NotificationPreferences",
)


class Following(r.Out):
    proposal = r.Str()
    following = fields.Boolean()


@blp.route("/notifications")
@blp.arguments(InboxQuery, location="query")
@blp.response(200, Inbox, headers=LINK)
@errors(blp, 401, 403, 422, 503)
@requires("notifications")
def inbox(args: dict[str, Any]) -> Any:
    """My notifications, newest first, a page at a time (``page``, ``per_page``;
    ``Link`` header); ``unread``: only those not read."""
    page = paging.from_query(args)
    found = mine.inbox(current_user.username, page, unread_only=args["unread"])
    if not found["notifications"] and page.number > page.last(found["total"]):
        page = page.clamped(found["total"])
        found = mine.inbox(current_user.username, page, unread_only=args["unread"])
    body = paging.paged(
        {"notifications": found["notifications"], "unread": found["unread"]},
        page,
        found["total"],
    )
    return body, 200, {"Link": paging.link_header(page, found["total"])}


@blp.route("/notifications/mark-read", methods=["POST"])
@blp.arguments(MarkRead)
@blp.response(200, Unread)
@errors(blp, 400, 401, 403, 404, 422, 503)
@requires("notifications")
def mark_read(body: dict[str, Any]) -> dict[str, Any]:
    """Mark some of my notifications read (``ids``), or all of them (``all``); an id
    that is not one of mine is refused (404) and nothing is marked."""
    login = current_user.username
    if body["all"]:
        mine.mark_all_read(login)
    if body["ids"]:
        mine.mark_read(login, body["ids"])
    return {"unread": mine.unread(login)}


@blp.route("/notifications/preferences")
@blp.response(200, Preferences)
@errors(blp, 401, 403, 503)
@requires("notifications")
def preferences() -> dict[str, str]:
    """How each kind of my notifications reaches me."""
    return mine.settings().preferences(current_user.username)


@blp.route("/notifications/preferences", methods=["PUT"])
@blp.arguments(Preferences)
@blp.response(200, Preferences)
@errors(blp, 400, 401, 403, 422, 503)
@requires("notifications")
def set_preferences(body: dict[str, str]) -> dict[str, str]:
    """Choose how each kind reaches me (kinds not given keep their choice)."""
    return mine.settings().set_preferences(current_user.username, body)


@blp.route("/proposals/<code>/follow", methods=["PUT"])
@blp.response(200, Following)
@errors(blp, 401, 403, 404, 503)
@requires("proposal.view", direction_of=proposal_direction)
def follow(code: str) -> dict[str, Any]:
    """Follow a proposal: each of its changes from now on is in my notifications."""
    _exists(code)
    mine.follow(current_user.username, code)
    return {"proposal": code, "following": True}


@blp.route("/proposals/<code>/follow", methods=["DELETE"])
@blp.response(200, Following)
@errors(blp, 401, 403, 404, 503)
@requires("proposal.view", direction_of=proposal_direction)
def unfollow(code: str) -> dict[str, Any]:
    """Stop following a proposal."""
    _exists(code)
    mine.unfollow(current_user.username, code)
    return {"proposal": code, "following": False}


def _exists(code: str) -> None:
    if q.proposal(state().read_model.store, code) is None:
        abort(404)
