"""French by default: euros, dates and labels for templates (English available)."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from flask import Flask, current_app, g, request, session
from flask_babel import (
    format_currency,
    format_decimal,
    get_locale,
)
from flask_babel import lazy_gettext as _l

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
    "MemberAppointed": _l("Nomination"),
    "MemberChanged": _l("Siège modifié"),
    "MemberLeft": _l("Départ"),
    "Issued": _l("Document délivré"),
    "Reissued": _l("Document délivré de nouveau"),
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
    at = local(value, display_zone())
    shown = str(babel_format_datetime(at, "d MMM y HH:mm:ss", locale=_locale()))
    return f"{shown} {offset(at)}" if with_offset else shown


def label(mapping: dict[str, Any], value: Any) -> str:
    return str(mapping.get(value, value)) if value is not None else "—"


def init_formatting(app: Flask) -> None:
    init_translations(
        app
    )  # the .po catalogs, compiled to a cache before Babel reads them
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_timezone=app.config.get("SDSI_TIMEZONE") or "UTC",
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
        event=lambda v: label(EVENT, v.split(".")[-1]),
        member_kind=lambda v: label(MEMBER_KIND, v),
    )
    app.jinja_env.tests["unchanged"] = lambda c: (
        c.get("old") is not None and c.get("old") == c.get("new")
    )
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, get_locale=get_locale)
