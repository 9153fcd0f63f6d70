"""Notifications by e-mail: each one at once, or a daily digest, through the outbox.

:func:`dispatch` reads the notification rows the views added since its stored cursor
(``ledger.notifications``, started at the log's end when the feature was installed, so
an upgraded ledger never mails its history) and queues, for each recipient who chose
"immediately" for that kind and has an e-mail address, one message under the key
``notif:<login>:<position>``; then moves the cursor. Once a day, from
``SDSI_DIGEST_HOUR`` (local time, ``SDSI_TIMEZONE``), it queues one digest per person
who chose a digest for some kind, under ``digest:<login>:<date>``. The outbox keeps the
first message of a key only, so a dispatch run twice, or by two processes at once,
queues each message once; the mail worker (``sdsi mail work``), which also runs this
dispatch at each of its cycles, sends them. With ``SDSI_BASE_URL`` set (``base_url``),
the links in the messages are absolute.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time

from domain.localtime import zone
from ledger import outbox as outbox_module
from ledger.notifications import NotificationSettings
from ledger.outbox import InvalidMail, Outbox, check_recipient
from ledger.storage import LedgerStorage
from projections.registry import iso
from projections.store import ViewStore
from projections.views.notifications import queries as nq
from projections.views.notifications.tables import NotificationRow

DEFAULT_DIGEST_HOUR = 7

# French, as the municipality's staff read them (the e-mails have no language choice).
KIND_LABELS = {
    "qualify": "Fiche à qualifier",
    "score": "Fiche à évaluer",
    "vote": "Séance ouverte : votre vote est attendu",
    "decision": "Décision sur une fiche de votre direction",
    "grid": "Décision du COPIL sur la grille de valeur",
    "override": "Forçage d'une règle budgétaire",
    "follow": "Changement d'une fiche suivie",
    "answer": "Réponse à votre question",
}
# What happened, for the discussion's events (others are shown as recorded).
DETAIL_LABELS = {
    "Posted": "commentaire publié",
    "Replied": "réponse publiée",
    "Answered": "question marquée comme répondue",
    "adopted": "grille adoptée",
    "not_adopted": "grille non adoptée",
}


@dataclass
class DispatchReport:
    """What one dispatch queued."""

    queued: int = 0  # messages "at once" newly queued
    digests: int = 0  # digests newly queued
    position: int = 0  # where the dispatch now stands


def describe(row: NotificationRow, base_url: str = "") -> str:
    """One line: what, about what, by whom, when, and the page (absolute if
    ``base_url``, the site's address, is given)."""
    what = KIND_LABELS.get(row.kind, row.kind)
    about = f"{row.subject} — {row.title}" if row.title else row.subject
    detail = f" ({DETAIL_LABELS.get(row.detail, row.detail)})" if row.detail else ""
    link = base_url.rstrip("/") + row.link
    return f"{what} : {about}{detail}, par {row.actor} le {row.at[:16]}Z ({link})"


def _deliverable(email: str) -> bool:
    try:
        check_recipient(email)
    except InvalidMail:
        return False
    return True


def _addresses(store: ViewStore, logins: set[str]) -> dict[str, str]:
    """The e-mail address of each active account of ``logins`` that has one the
    outbox takes (an address it refuses, e.g. ``x@intranet``, is skipped rather
    than stopping every other person's e-mail)."""
    return {
        login: email
        for login, (email, _name, active) in nq.accounts(store, logins).items()
        if email and active and _deliverable(email)
    }


MayRead = Callable[[str, str], bool]


def _anyone(_login: str, _proposal: str) -> bool:
    return True


def _immediate(
    store: ViewStore,
    prefs: NotificationSettings,
    outbox: Outbox,
    span: tuple[int, int],
    may_read: MayRead,
    base_url: str,
) -> int:
    after, upto = span
    wanted = prefs.choosing("immediate")
    if not wanted:
        return 0
    told: dict[tuple[str, int], NotificationRow] = {}
    for login, row in nq.addressed(store, after, upto):
        if row.kind in wanted.get(login, ()):
            told[(login, row.position)] = row
    changes = nq.changes(store, after, upto)
    followers = prefs.followers({c.subject for c in changes})
    for change in changes:
        addressed = nq.recipients_at(store, change.position)
        for login, since in followers.get(change.subject, ()):
            if (
                change.position > since
                and login != change.actor
                and login not in addressed
                and "follow" in wanted.get(login, ())
                and may_read(login, change.subject)
            ):
                told[(login, change.position)] = change
    emails = _addresses(store, {login for login, _p in told})
    queued = 0
    for (login, position), row in sorted(told.items(), key=lambda i: i[0][1]):
        if login not in emails:
            continue
        queued += outbox.add(
            key=f"notif:{login}:{position}",
            recipient=emails[login],
            subject=f"[SDSI] {KIND_LABELS.get(row.kind, row.kind)} : {row.subject}",
            text=describe(row, base_url) + "\n",
        )
    return queued


def _digest_text(rows: list[NotificationRow], base_url: str = "") -> str:
    """The digest's text: as many lines as one e-mail may carry (``outbox.TEXT_MAX``),
    then how many more wait in the inbox."""
    head = "Vos notifications depuis le dernier récapitulatif :\n\n"
    budget = outbox_module.TEXT_MAX - len(head) - 100  # room for the last line
    lines: list[str] = []
    for row in rows:
        line = f"- {describe(row, base_url)}\n"
        if len(line) > budget:
            break
        budget -= len(line)
        lines.append(line)
    more = len(rows) - len(lines)
    tail = f"… et {more} autre(s) : voyez-les dans vos notifications.\n" if more else ""
    return head + "".join(lines) + tail


def _digests(
    store: ViewStore,
    prefs: NotificationSettings,
    outbox: Outbox,
    now: datetime,
    hour: int,
    tz: str,
    may_read: MayRead,
    base_url: str,
) -> int:
    local = now.astimezone(zone(tz))
    if local.hour < hour:
        return 0
    day = local.date().isoformat()
    cutoff = iso(datetime.combine(local.date(), time(hour), zone(tz)))
    chosen = prefs.choosing("digest")
    emails = _addresses(store, set(chosen))
    queued = 0
    for login in sorted(chosen):
        last_day, reached = prefs.digest_state(login)
        if last_day >= day:
            continue
        rows = nq.pending(
            store,
            login,
            [(p, s) for p, s in prefs.follows(login) if may_read(login, p)],
            after=reached,
            kinds=chosen[login],
            before_at=cutoff,
        )
        if rows and login in emails:
            queued += outbox.add(
                key=f"digest:{login}:{day}",
                recipient=emails[login],
                subject=f"[SDSI] Vos notifications du {day} ({len(rows)})",
                text=_digest_text(rows, base_url),
            )
        prefs.record_digest(login, day, max([reached, *(r.position for r in rows)]))
    return queued


def dispatch(
    store: ViewStore,
    storage: LedgerStorage,
    now: datetime | None = None,
    *,
    digest_hour: int = DEFAULT_DIGEST_HOUR,
    timezone: str = "Europe/Paris",
    clock: Callable[[], float] | None = None,
    may_read: MayRead = _anyone,
    base_url: str = "",
) -> DispatchReport:
    """Queue the e-mails of the notifications not yet dispatched, and the digests due;
    ``may_read(login, proposal)`` says whether a follower may still read a followed
    proposal (``web.notifications.readable``; the command line passes it)."""
    now = now or datetime.now(UTC)
    prefs = NotificationSettings(storage)
    outbox = Outbox(storage, clock=clock or now.timestamp)
    report = DispatchReport()
    after, upto = prefs.dispatch_position(), nq.head(store)
    if upto > after:
        report.queued = _immediate(
            store, prefs, outbox, (after, upto), may_read, base_url
        )
        prefs.advance_dispatch(after, upto)  # another dispatch may have moved it
    report.digests = _digests(
        store, prefs, outbox, now, digest_hour, timezone, may_read, base_url
    )
    report.position = max(upto, after)
    return report


__all__ = ["DispatchReport", "dispatch"]
