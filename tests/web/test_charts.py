"""The SVG charts say what they show: titles, axis labels and units, legends whose
marks are those of the chart, a title on every point or bar; and the audit's changes
read as "Label : old → new" lines. Pure functions, in a French request."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from html import unescape

import pytest
from flask import Flask
from flask_babel import Babel

from projections.roadmap import Span
from web import audit_changes, charts, plan_charts


@pytest.fixture(autouse=True)
def french() -> Iterator[None]:
    app = Flask(__name__)
    Babel(app, locale_selector=lambda: "fr")
    with app.test_request_context():
        yield


def legend(svg: str) -> list[tuple[str, str]]:
    """(colour, text) of each legend entry."""
    found = re.findall(
        r'<g class="legend">.*?(?:fill|stroke)="(#(?!ffffff)[0-9a-f]{6})".*?'
        r"<text[^>]*>([^<]+)</text></g>",
        svg,
    )
    return [(colour, unescape(text)) for colour, text in found]


def texts(svg: str) -> list[str]:
    return [unescape(t) for t in re.findall(r"<text[^>]*>([^<]+)</text>", svg)]


def test_the_value_risk_chart_names_its_points_and_its_legend_matches_its_colours() -> (
    None
):
    points = [
        {"x": "80.00", "y": "20.00", "code": "SOC", "title": "Sécurité",
         "label": "SOC Sécurité", "status": "approved", "href": "/fiches/SOC"},
        {"x": "40.50", "y": "70.00", "code": "WIFI", "title": "Wifi",
         "label": "WIFI Wifi", "status": "rejected", "href": "/fiches/WIFI"},
        {"x": "55.00", "y": "35.00", "code": "ENT", "title": "ENT",
         "label": "ENT ENT", "status": "in_progress", "href": "/fiches/ENT"},
        {"x": None, "y": "10.00", "code": "NEW", "title": "Pas notée",
         "label": "NEW Pas notée", "status": "submitted", "href": "/fiches/NEW"},
    ]  # fmt: skip
    svg = str(
        charts.scatter(
            points,
            title="Valeur et risque des fiches notées",
            x_label="Valeur (0–100)",
            y_label="Risque (0–100)",
        )
    )
    assert '<title id="sc-t">Valeur et risque des fiches notées</title>' in svg
    assert "Valeur et risque des fiches notées" in texts(svg)
    assert "Valeur (0–100)" in texts(svg) and "Risque (0–100)" in texts(svg)
    marks = re.findall(
        r'<a class="point" href="([^"]+)" aria-label="([^"]+)"><title>([^<]+)</title>'
        r'<(circle|rect|polygon)[^>]*fill="(#[0-9a-f]{6})"[^>]*/>'
        r'<text class="point-code"[^>]*>([^<]+)</text></a>',
        svg,
    )
    assert marks == [
        ("/fiches/SOC", "SOC Sécurité : 80.00 / 20.00",
         "SOC Sécurité : 80.00 / 20.00", "circle", "#15603a", "SOC"),
        ("/fiches/WIFI", "WIFI Wifi : 40.50 / 70.00",
         "WIFI Wifi : 40.50 / 70.00", "polygon", "#a11b1b", "WIFI"),
        ("/fiches/ENT", "ENT ENT : 55.00 / 35.00",
         "ENT ENT : 55.00 / 35.00", "rect", "#0b4f9c", "ENT"),
    ]  # fmt: skip
    assert legend(svg) == [
        ("#15603a", "Approuvée ou réalisée"),
        ("#0b4f9c", "Prévue ou en cours"),
        ("#8a4b00", "Ajournée"),
        ("#a11b1b", "Rejetée"),
        ("#4a5360", "Autre statut (à l'étude, retirée…)"),
    ]
    # each legend mark has the shape of its points
    assert re.search(r'<g class="legend"><polygon[^>]*fill="#a11b1b"', svg)
    assert re.search(r'<g class="legend"><rect[^>]*fill="#0b4f9c"', svg)
    # the table twin: the scored points, by value, with their status in words
    twin = svg.split('<details class="chart-table">', 1)[1]
    assert "<summary>Les 3 points du graphique, en tableau</summary>" in twin
    rows = re.findall(
        r"<tr><th[^>]*><a[^>]*>([^<]+)</a></th>((?:<td[^>]*>[^<]*</td>)+)", twin
    )
    assert [(code, re.findall(r">([^<]*)</td>", cells)) for code, cells in rows] == [
        ("SOC", ["Sécurité", "Approuvée", "80,00", "20,00"]),
        ("ENT", ["ENT", "En cours", "55,00", "35,00"]),
        ("WIFI", ["Wifi", "Rejetée", "40,50", "70,00"]),
    ]


def test_the_bars_say_their_section_units_axes_and_series() -> None:
    svg = str(
        charts.bars(
            [
                ("2025", [("Enveloppe", Decimal("1000000.00")), ("Mandaté", Decimal("250000.50"))]),
                ("2026", [("Enveloppe", Decimal("800000.00")), ("Mandaté", Decimal("0"))]),
            ],
            title="Investissement : enveloppe, alloué, engagé et mandaté par exercice",
            series=[("Enveloppe", "#123f73"), ("Mandaté", "#15603a")],
            ident="chart-inv",
            x_label="Exercice",
            y_label="Montant (milliers d'euros, k€)",
        )
    )  # fmt: skip
    title = "Investissement : enveloppe, alloué, engagé et mandaté par exercice"
    assert f'<title id="chart-inv-t">{title}</title>' in svg
    shown = texts(svg)
    assert shown[0] == title
    assert [t for t in shown if t.endswith("k€")] == [
        "0 k€", "250 k€", "500 k€", "750 k€", "1\u202f000 k€",
    ]  # fmt: skip
    assert "Exercice" in shown and "Montant (milliers d'euros, k€)" in shown
    assert "2025" in shown and "2026" in shown
    assert re.findall(r'fill="(#[0-9a-f]{6})"><title>([^<]+)</title>', svg) == [
        ("#123f73", "2025 — Enveloppe : 1\u202f000\u202f000,00\u00a0€"),
        ("#15603a", "2025 — Mandaté : 250\u202f000,50\u00a0€"),
        ("#123f73", "2026 — Enveloppe : 800\u202f000,00\u00a0€"),
        ("#15603a", "2026 — Mandaté : 0,00\u00a0€"),
    ]
    assert legend(svg) == [("#123f73", "Enveloppe"), ("#15603a", "Mandaté")]


def test_the_roadmap_draws_each_project_its_milestones_and_the_day() -> None:
    bars = [
        Span(
            {"code": "ENT", "title": "Espace numérique", "status": "in_progress"},
            date(2025, 1, 15),
            date(2026, 6, 30),
            [(date(2025, 6, 1), "Pilote")],
        ),
        Span(
            {"code": "SOC", "title": "Sécurité", "status": "done"},
            date(2024, 1, 1),
            date(2024, 12, 31),
            [],
        ),
    ]
    svg = str(
        plan_charts.gantt(
            bars, 2024, 2026, date(2025, 12, 1), title="Feuille de route, 2024–2026"
        )
    )
    assert texts(svg)[:5] == [
        "Feuille de route, 2024–2026",
        "Projet",
        "2024",
        "2025",
        "2026",
    ]
    assert re.findall(r'fill="(#[0-9a-f]{6})"><title>([^<]+)</title></rect>', svg) == [
        ("#8a4b00", "ENT — Espace numérique : 15 janvier 2025 → 30 juin 2026 (En cours)"),
        ("#15603a", "SOC — Sécurité : 1 janvier 2024 → 31 décembre 2024 (Réalisée)"),
    ]  # fmt: skip
    assert re.findall(r'<text class="bar-label"[^>]*>([^<]+)</text>', svg) == [
        "ENT",
        "SOC",
    ]
    assert "<title>ENT — Pilote : 1 juin 2025</title>" in svg
    assert re.search(
        r'stroke="#a11b1b"[^>]*><title>1 décembre 2025</title></line>', svg
    )
    assert legend(svg) == [
        ("#8a4b00", "En cours"),
        ("#15603a", "Réalisée"),
        ("#6a1b9a", "Jalon prévu"),
        ("#a11b1b", "Date de la situation"),
    ]


def test_an_indicator_shows_realised_and_planned_against_its_targets() -> None:
    doc = {
        "code": "A1-I1",
        "unit": "%",
        "baseline": "35",
        "targets": {"2025": "60", "2026": "80"},
        "measurements": [
            {"on": "2025-06-30", "kind": "realised", "value": "42.5"},
            {"on": "2024-12-31", "kind": "realised", "value": "38"},
            {"on": "2026-06-30", "kind": "planned", "value": "70"},
        ],
    }
    svg = str(plan_charts.indicator(doc, title="A1-I1 : réalisé et prévu (%)"))
    shown = texts(svg)
    assert shown[0] == "A1-I1 : réalisé et prévu (%)"
    assert [
        t for t in shown if t in ("2024", "2025", "2026", "Année", "Valeur (%)")
    ] == ["2024", "2025", "2026", "Année", "Valeur (%)"]
    assert re.findall(r"<title>((?:Réalisé|Prévu|Cible)[^<]+)</title>", svg) == [
        "Réalisé — 31 décembre 2024 : 38,00 %",
        "Réalisé — 30 juin 2025 : 42,50 %",
        "Prévu — 30 juin 2026 : 70,00 %",
        "Cible — 31 décembre 2025 : 60,00 %",
        "Cible — 31 décembre 2026 : 80,00 %",
    ]
    assert legend(svg) == [
        ("#0b4f9c", "Réalisé"),
        ("#8a4b00", "Prévu"),
        ("#15603a", "Cible"),
        ("#4a5360", "Valeur de référence"),
    ]
    assert str(plan_charts.indicator({"code": "X", "unit": "j"}, title="X")) == ""


def test_audit_changes_read_as_labelled_old_to_new_lines() -> None:
    changes = [
        {"field": "status", "old": "in_progress", "new": "cancelled"},
        {"field": "amount", "old": None, "new": "1458250.00"},
        {"field": "choice", "old": None, "new": "abstain"},
        {"field": "planned_start", "old": None, "new": "2020-01-20"},
        {"field": "active", "old": True, "new": False},
        {
            "field": "score",
            "old": None,
            "new": '{"criterion":"R-SECU","justification":"Analyse","level":4}',
        },
        {
            "field": "cp",
            "old": None,
            "new": '[{"amount":"100.00","section":"investissement","year":2026}]',
        },
        {"field": "content", "old": None, "new": '{"title":"Cut sho…'},
        {"field": "mystery", "old": None, "new": "x"},
    ]

    def words(html: str) -> str:
        return unescape(re.sub(r"<[^>]+>", "", html))

    plain = [
        (c["label"], None if c["old"] is None else words(c["old"]), words(c["new"]))
        for c in audit_changes.lines(changes)
    ]
    assert plain == [
        ("Statut", "En cours", "Annulée"),
        ("Montant", None, "1\u202f458\u202f250,00\u00a0€"),
        ("Vote", None, "Abstention"),
        ("Début prévu", None, "20 janvier 2020"),
        ("Actif", "oui", "non"),
        ("Note", None, "Critère : R-SECU ; Justification : Analyse ; Niveau : 4"),
        (
            "Crédits de paiement (CP)",
            None,
            "Montant : 100,00\u00a0€ ; Section : Investissement ; Exercice : 2026",
        ),
        ("Contenu de la fiche", None, '{"title":"Cut sho…'),
        ("mystery", None, "x"),
    ]
    raw = audit_changes.raw_json(changes[:1])
    assert raw == (
        '[\n {\n  "field": "status",\n  "new": "cancelled",\n  "old": "in_progress"\n }\n]'
    )


def test_every_field_of_every_domain_event_has_a_label() -> None:
    import dataclasses
    import importlib
    import inspect
    import pkgutil

    from eventsourcing.domain import DomainEvent

    import domain
    from projections.views.audit.rendering import BASE_FIELDS

    names = set()
    for info in pkgutil.walk_packages(domain.__path__, "domain."):
        module = importlib.import_module(info.name)
        for cls in vars(module).values():
            if not inspect.isclass(cls) or cls.__module__ != module.__name__:
                continue
            for event in vars(cls).values():
                if inspect.isclass(event) and issubclass(event, DomainEvent):
                    names |= {f.name for f in dataclasses.fields(event)}
    missing = sorted(
        names - BASE_FIELDS - {"class_version"} - set(audit_changes.FIELDS)
    )
    assert missing == []
