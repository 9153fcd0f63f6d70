"""French by default: euros, dates and labels for templates (English available)."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from flask import Flask, current_app, g, request, session, url_for
from flask_babel import (
    format_currency,
    format_decimal,
    get_locale,
    get_translations,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from domain.localtime import local, local_date, offset, zone
from web.extensions import babel
from web.i18n import init_translations

LANGUAGES = ("fr", "en")
# The locale of each language: British English writes "17 March 2026" and "€1,234.50"
# (its translations are those of "en").
LOCALES = {"fr": "fr", "en": "en_GB"}

STATUS = {
    "draft": _l("Brouillon"),
    "submitted": _l("Soumise"),
    "qualified": _l("Qualifiée"),
    "on_agenda": _l("À l'ordre du jour"),
    "approved": _l("Approuvée"),
    "approved_with_conditions": _l("Approuvée sous conditions"),
    "deferred": _l("Ajournée"),
    "rejected": _l("Rejetée"),
    "planned": _l("Prévue"),
    "in_progress": _l("En cours"),
    "done": _l("Réalisée"),
    "withdrawn": _l("Retirée"),
    "cancelled": _l("Annulée"),
    # sessions, grids, phases
    "convened": _l("Convoquée"),
    "open": _l("Ouverte"),
    "closed": _l("Close"),
    "adopted": _l("Adoptée"),
}
CHOICE = {"for": _l("Pour"), "against": _l("Contre"), "abstain": _l("Abstention")}
SECTION = {
    "investissement": _l("Investissement"),
    "fonctionnement": _l("Fonctionnement"),
}
ROLE = {
    "referent": _l("Référent numérique"),
    "dsi": _l("DSI"),
    "evaluator": _l("Évaluateur"),
    "member": _l("Membre du COPIL"),
    "chair": _l("Président de séance"),
    "finance": _l("Finances"),
    "auditor": _l("Auditeur"),
    "admin": _l("Administrateur"),
    "consultant": _l("Consultant (AMO)"),
}
FAMILY = {"value": _l("Valeur"), "risk": _l("Risque")}
PHASE = {
    "cadrage": _l("Cadrage"),
    "revue_documentaire": _l("Revue documentaire"),
    "alignement_strategique": _l("Alignement stratégique"),
    "diagnostic_si": _l("Diagnostic SI"),
    "evolutions_demandees": _l("Évolutions demandées"),
    "plan_strategique_numerique": _l("Définition du plan stratégique numérique"),
}

# What each event of the reference data did (the part of its type after the dot).
EVENT = {
    "Created": _l("Création"),
    "Defined": _l("Création"),
    "Registered": _l("Création"),
    "Renamed": _l("Renommage"),
    "Closed": _l("Fermeture"),
    "Changed": _l("Modification"),
    "Moved": _l("Rattachement à un autre pôle"),
    "DirectionAttached": _l("Direction rattachée"),
    "DirectionDetached": _l("Direction détachée"),
    "CapacitySet": _l("Capacité fixée"),
    "WorkloadReserved": _l("Charge réservée par une approbation"),
    "WorkloadReleased": _l("Charge libérée"),
    "IndicatorAttached": _l("Indicateur ajouté"),
    "IndicatorDetached": _l("Indicateur fermé"),
    "TargetSet": _l("Cible fixée"),
    "Measured": _l("Mesure"),
    "HorizonChanged": _l("Horizon modifié"),
    "Followed": _l("Plan suivant adopté"),
    "PhaseScheduled": _l("Phase planifiée"),
    "PhaseStarted": _l("Phase démarrée"),
    "PhaseCompleted": _l("Phase terminée"),
    "PhaseCompletedWithReason": _l(
        "Phase terminée avec un motif (livrables manquants)"
    ),
    "PhaseDeliverables.Listed": _l("Livrables attendus de la phase"),
    "PhaseDeliverables.Added": _l("Livrable attendu ajouté"),
    "PhaseDeliverables.Relabelled": _l("Livrable renommé"),
    "PhaseDeliverables.Dropped": _l("Livrable retiré"),
    "PhaseDeliverables.Submitted": _l("Livrable soumis"),
    "PhaseDeliverables.Validated": _l("Livrable validé"),
    "PhaseDeliverables.Returned": _l("Livrable renvoyé"),
    "MemberAppointed": _l("Nomination"),
    "MemberChanged": _l("Siège modifié"),
    "MemberLeft": _l("Départ"),
    "Issued": _l("Document délivré"),
    "Reissued": _l("Document délivré de nouveau"),
    "Attached": _l("Pièce jointe ajoutée"),
    "Replaced": _l("Pièce jointe remplacée"),
    "Removed": _l("Pièce jointe retirée"),
    "Posted": _l("Commentaire publié"),
    "Replied": _l("Réponse publiée"),
    "Edited": _l("Commentaire modifié"),
    "Answered": _l("Question marquée répondue"),
    "Hidden": _l("Commentaire masqué"),
    "EmailChanged": _l("Adresse électronique modifiée"),
    # the diagnosis of the information system
    "Retired": _l("Retrait de l'inventaire"),
    "DsiAssessed": _l("Évaluation de la DSI"),
    "DirectionAssessed": _l("Évaluation d'une direction"),
    "Recorded": _l("Constat enregistré"),
    "Withdrawn": _l("Retrait"),
    "Started": _l("Création"),
    "LinksSet": _l("Liens avec le diagnostic"),
    "Erased": _l("Données personnelles effacées (RGPD)"),
}
MEMBER_KIND = {
    "elu": _l("Élu"),
    "dgs": _l("DGS"),
    "dga": _l("DGA"),
    "dsi": _l("DSI"),
    "expert": _l("Expert invité"),
}


def select_locale() -> str:
    """``?lang=`` (kept in the session), else the session's; French by default.

    The API has no ``lang`` parameter (an undocumented one is refused) and bearer
    clients no session: they get the language ``Accept-Language`` prefers among ours,
    French when it names none of them; a browser's session keeps its pages' language."""
    if request.path.startswith("/api/"):
        if session:  # the UI's own calls: the language of its pages
            stored = session.get("lang")
            return LOCALES[stored] if stored in LANGUAGES else "fr"
        best = request.accept_languages.best_match(LANGUAGES)
        return LOCALES[best] if best in LANGUAGES else "fr"
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        session["lang"] = chosen
        return LOCALES[chosen]
    stored = session.get("lang")
    if stored not in LANGUAGES and request.path.startswith("/public"):
        # a citizen's first visit: the language the browser prefers among ours
        best = request.accept_languages.best_match(LANGUAGES)
        return LOCALES[best] if best in LANGUAGES else "fr"
    return LOCALES[stored] if stored in LANGUAGES else "fr"


# Separators of the two locales, as Babel (CLDR) writes them: French groups digits with
# a narrow no-break space and puts a no-break space before "€". Formatting thousands
# of amounts per page with Babel costs ~50 µs each; these match its output exactly
# (tests/web/test_formatting_speed.py) and Babel stays the fallback for any other locale.
_SEPARATORS = {"fr": ("\u202f", ","), "en": (",", ".")}


def _grouped(value: Decimal, digits: int, locale: str) -> str | None:
    seps = _SEPARATORS.get(locale[:2])
    if seps is None:
        return None
    text = f"{abs(value):,.{digits}f}"
    group, point = seps
    if locale[:2] == "fr":
        text = text.replace(",", group).replace(".", point)
    return text


def _locale() -> str:
    """This request's locale as text, looked up once (a page formats thousands of
    amounts; Babel's lookup goes through several context objects each time)."""
    found = g.get("sdsi_locale")
    if found is None:
        found = g.sdsi_locale = str(get_locale())
    return str(found)


def eur(value: Decimal | int | None, cents: bool = False) -> str:
    """``1 234 567,89 €`` (French) — amounts are exact Decimals."""
    if value is None:
        return "—"
    amount = Decimal(value) / 100 if cents else Decimal(value)
    locale = _locale()
    body = _grouped(amount.quantize(Decimal("0.01")), 2, locale)
    if body is None:
        return str(format_currency(amount, "EUR"))
    sign = "-" if amount < 0 else ""
    return f"{sign}{body}\u00a0€" if locale[:2] == "fr" else f"{sign}€{body}"


def num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "—"
    number = Decimal(value)
    body = _grouped(number, digits, _locale())
    if body is None:
        return str(
            format_decimal(
                number, format="#,##0." + "0" * digits if digits else "#,##0"
            )
        )
    return ("-" if number < 0 else "") + body  # as Babel: -0.4 shows as "-0"


@lru_cache(maxsize=4096)
def _long_date(value: date, locale: str) -> str:
    return str(babel_format_date(value, "long", locale=locale))


def day(value: str | date | None) -> str:
    """``17 mars 2026``."""
    if not value:
        return "—"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return _long_date(value, _locale())


def display_zone() -> tzinfo:
    """The municipality's time zone (``SDSI_TIMEZONE``): pages show local times."""
    return zone(current_app.config.get("SDSI_TIMEZONE"))


def local_today() -> date:
    """Today in the municipality's time zone."""
    return local_date(datetime.now(UTC), display_zone())


def moment(value: str | datetime | None, with_offset: bool = False) -> str:
    """A UTC time (as stored) shown in the municipality's time zone: ``29 mars 2026
    03:30:00``; ``with_offset`` adds its offset from UTC (``UTC+02:00``), where the
    instant must be unambiguous (the audit trail)."""
    if not value:
        return "—"
    return _moment(
        value, current_app.config.get("SDSI_TIMEZONE"), _locale(), with_offset
    )


@lru_cache(maxsize=8192)
def _moment(
    value: str | datetime, zone_name: str | None, locale: str, with_offset: bool
) -> str:
    """``moment`` of one value, zone and locale (a pure function, kept: a page shows
    a time per row, and Babel takes ~0.1 ms to write one)."""
    at = local(value, zone(zone_name))
    shown = str(babel_format_datetime(at, "d MMM y HH:mm:ss", locale=locale))
    return f"{shown} {offset(at)}" if with_offset else shown


QUERY_SAFE = "!$'()*,/:;?@"


def position_link(position: Any) -> Markup:
    """The link to a ledger position in the audit trail (the ``pos`` macro): its
    address and title are made once per request, not once per row."""
    if not position:
        return Markup("")
    try:
        base, title = g.sdsi_position_link
    except AttributeError:
        base = url_for("ui.audit")
        title = escape(_("Position dans le registre"))
        g.sdsi_position_link = (base, title)
    # as url_for writes the query (werkzeug's urlencode with its safe characters)
    href = escape(f"{base}?{urlencode([('position', position)], safe=QUERY_SAFE)}")
    return Markup(
        f'<a class="pos" href="{href}" title="{title}">#{escape(position)}</a>'
    )


def label(mapping: dict[str, Any], value: Any) -> str:
    """The label of a code in this request's language. A page shows the same few
    labels hundreds of times (a status per row and per chart point), and each
    translation goes through Flask-Babel's lookups: they are kept for the request
    (the language does not change within one)."""
    if value is None:
        return "—"
    try:
        cache = g.sdsi_labels
    except AttributeError:
        cache = g.sdsi_labels = {}
    except RuntimeError:  # no application context: nothing to keep them in
        return str(mapping.get(value, value))
    key = (id(mapping), value)
    try:
        found = cache.get(key)
    except TypeError:  # an unhashable value
        return str(mapping.get(value, value))
    if found is None or found[0] is not mapping:  # (the mapping is kept: its id
        found = cache[key] = (mapping, str(mapping.get(value, value)))  # stays its)
    return str(found[1])


def _request_gettext(text: str) -> str:
    """``get_translations().ugettext(text)``, kept for the rest of the request (the
    language does not change within one)."""
    try:
        cache = g.sdsi_gettext
    except AttributeError:
        cache = g.sdsi_gettext = {}
    except RuntimeError:  # no application context
        return str(get_translations().ugettext(text))
    found = cache.get(text)
    if found is None:
        found = cache[text] = get_translations().ugettext(text)
    return str(found)


def filesize(value: Any) -> str:
    """A size in bytes as people read it: ``512 octets``, ``12,5 Ko``, ``3,2 Mo``
    (decimal comma in French; units of 1,024)."""
    if value is None:
        return "—"
    size = int(value)
    if size < 1024:
        return _("%(n)s octets", n=num(size, 0))
    if size < 1024 * 1024:
        return _("%(n)s Ko", n=_one_decimal(Decimal(size) / 1024))
    return _("%(n)s Mo", n=_one_decimal(Decimal(size) / (1024 * 1024)))


def _one_decimal(value: Decimal) -> str:
    """``12,5`` but ``20`` (no ``,0`` on a round number)."""
    rounded = value.quantize(Decimal("0.1"))
    return num(rounded, 0 if rounded == rounded.to_integral_value() else 1)


def init_formatting(app: Flask) -> None:
    init_translations(
        app
    )  # the .po catalogs, compiled to a cache before Babel reads them
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_timezone=app.config.get("SDSI_TIMEZONE") or "UTC",
    )
    # the templates' ``_()`` as Flask-Babel installs it, each text translated once
    # per request (a page asks for the same few hundred times)
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_request_gettext,
        ngettext=lambda s, p, n: get_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: get_translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.filters.update(
        eur=eur,
        num=num,
        day=day,
        moment=moment,
        status=lambda v: label(STATUS, v),
        choice=lambda v: label(CHOICE, v),
        section=lambda v: label(SECTION, v),
        role=lambda v: (
            label(ROLE, v.split(":")[0]) + (f" ({v.split(':')[1]})" if ":" in v else "")
        ),
        family=lambda v: label(FAMILY, v),
        phase=lambda v: label(PHASE, v),
        # an aggregate's own name first (``PhaseDeliverables.Submitted``)
        event=lambda v: label(EVENT, v if v in EVENT else v.split(".")[-1]),
        member_kind=lambda v: label(MEMBER_KIND, v),
        filesize=filesize,
    )
    app.jinja_env.tests["unchanged"] = lambda c: (
        c.get("old") is not None and c.get("old") == c.get("new")
    )
    app.jinja_env.globals.update(
        LANGUAGES=LANGUAGES, get_locale=get_locale, position_link=position_link
    )
