"""The demo's grid v2, built with the directions (issue 20, part 4): the directions'
referents, the DSI and the consultant propose criteria, descriptors and weights on the
draft and discuss them; the chair takes most into the draft and declines the others
with a reason; the COPIL votes the grid's adoption in a session of its own, and its
decision adopts it. Nothing is left pending: every proposition is settled.

The grid it ends with is the one the rest of the demo scores with
(``data.CRITERIA``' v2 weights and ``data.CRITERIA_V2_NEW``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sdsi.demo import data as D

CHAIR = "dgs.lefebvre"
DSI = "dsi.martin"
SESSION = "COPIL-2023-01-20"
SESSION_DAY = date(2023, 1, 20)
ABSENT = "elu.laurent"
VOTES = {
    "dgs.lefebvre": "for",
    "dga.roux": "for",
    "dga.fournier": "for",
    "elu.dubois": "for",
    "elu.moreau": "abstain",
    "elu.simon": "for",
}
RATIONALE = (
    "Grille 2023 construite avec les directions : quatre propositions des "
    "référents, de la DSI et de l'AMO retenues (sobriété et inclusion numériques, "
    "ses niveaux, les poids de l'efficience et de l'alignement), quatre écartées "
    "avec leur motif."
)
# The descriptors the consultant proposed for the new criterion (four levels, as
# every value criterion of the grid).
SOBRIETY_LEVELS = [
    "aucun effet sur la sobriété ni sur l'inclusion",
    "effet sur l'un des deux, limité",
    "réduit l'empreinte ou élargit l'accès aux services",
    "réduit l'empreinte et élargit l'accès aux services",
]


@dataclass(frozen=True)
class Proposition:
    """A proposition on the v2 draft, its discussion and how the chair settled it
    (``reason`` None: accepted into the draft, seven days later)."""

    key: str
    day: date
    who: str
    body: str
    proposition: dict[str, Any]
    replies: tuple[tuple[str, str], ...] = ()
    reason: str | None = None


def _criterion(code: str) -> tuple[str, str, str, str | None, str | None]:
    """(label, family, v1 weight, v2 weight, axis) of a criterion of the grid."""
    for c, label, family, w1, w2, axis in D.CRITERIA:
        if c == code:
            return label, family, w1, w2, axis
    for c, label, family, w2, axis in D.CRITERIA_V2_NEW:
        if c == code:
            return label, family, w2, w2, axis
    raise KeyError(code)


def _weight(code: str) -> dict[str, Any]:
    """A weight proposed for a criterion of the draft: its v2 weight."""
    label, family, _w1, w2, _axis = _criterion(code)
    return {
        "criterion_code": code,
        "criterion_label": label,
        "family": family,
        "weight": w2,
    }


SOBR, SOBR_LABEL = D.CRITERIA_V2_NEW[0][0], D.CRITERIA_V2_NEW[0][1]
PROPOSITIONS = (
    Proposition(
        "sobr",
        date(2022, 11, 22),
        "ref.dsn",
        "Les directions demandent que la sobriété et l'inclusion numériques "
        "comptent dans la valeur d'un projet (axe A5).",
        {
            "criterion_code": SOBR,
            "criterion_label": SOBR_LABEL,
            "family": "value",
            "weight": D.CRITERIA_V2_NEW[0][3],
        },
        (
            (
                "ref.ccas",
                "Le CCAS soutient : l'inclusion numérique est au cœur de "
                "l'accueil des publics fragiles.",
            ),
            (
                "amo.bonnet",
                "L'AMO appuie la proposition et propose des niveaux "
                "dans une proposition à part.",
            ),
        ),
    ),
    Proposition(
        "sobr-levels",
        date(2022, 11, 24),
        "amo.bonnet",
        "Des niveaux pour noter la sobriété et l'inclusion sans ambiguïté.",
        {
            "criterion_code": SOBR,
            "criterion_label": SOBR_LABEL,
            "scale": [
                {"level": n, "descriptor": d} for n, d in enumerate(SOBRIETY_LEVELS, 1)
            ],
        },
        (("dsi.martin", "La DSI saura noter sur ces quatre niveaux."),),
    ),
    Proposition(
        "eff",
        date(2022, 11, 23),
        "ref.fin",
        "Les gains d'efficience sont difficiles à démontrer avant le projet : "
        "la direction des finances propose de leur donner moins de poids.",
        _weight("V-EFF"),
        (("dsi.martin", "D'accord : les fiches surestiment souvent ces gains."),),
    ),
    Proposition(
        "strat",
        date(2022, 11, 25),
        "dsi.leroy",
        "Pour faire place au nouveau critère sans dépasser 100 %, la DSI propose "
        "d'alléger un peu l'alignement stratégique, déjà porté par les axes.",
        _weight("V-STRAT"),
    ),
    Proposition(
        "fam",
        date(2022, 11, 29),
        "ref.edu",
        "Un critère propre aux services aux familles.",
        {
            "criterion_label": "Bénéfice pour les familles",
            "criterion_code": "V-FAM",
            "family": "value",
            "weight": "10",
        },
        (("ref.pen", "La petite enfance partage ce besoin."),),
        "Couvert par le critère de service rendu aux usagers, commun à toutes "
        "les directions.",
    ),
    Proposition(
        "rev",
        date(2022, 12, 6),
        "amo.bonnet",
        "L'AMO propose de distinguer la réversibilité des contrats.",
        {
            "criterion_label": "Poids du risque de réversibilité",
            "family": "risk",
            "weight": "20",
        },
        (("ref.jur", "Les affaires juridiques y seraient favorables."),),
        "Reporté à la prochaine révision, avec la revue des contrats.",
    ),
    Proposition(
        "chantiers",
        date(2022, 12, 7),
        "ref.urb",
        "L'impact environnemental des chantiers numériques devrait compter.",
        {
            "criterion_label": "Impact environnemental",
            "family": "value",
            "weight": "5",
        },
        (),
        "Couvert par le nouveau critère de sobriété et d'inclusion numériques.",
    ),
    Proposition(
        "chg",
        date(2022, 12, 8),
        "ref.drh",
        "La conduite du changement pèse lourd dans les projets RH : la DRH "
        "propose 40 %.",
        {
            "criterion_code": "R-CHG",
            "criterion_label": "Conduite du changement",
            "weight": "40",
        },
        (
            (
                "dsi.martin",
                "Les poids du risque totalisent 100 % : il faudrait "
                "réduire un autre critère de risque.",
            ),
        ),
        "Les poids du risque totalisent 100 % ; la conduite du changement reste "
        "à 30 %, la DRH sera associée à sa notation.",
    ),
)
# The DSI's own edits of the draft: its weights as in v2, except those the
# propositions above bring (v1's until the chair takes them in).
PROPOSED = {"V-EFF", "V-STRAT"}


def draft(loader: Any) -> None:
    """The DSI's v2 draft, based on v1, with its own edits."""
    dsi = loader.as_(DSI)
    loader.clock.on(date(2022, 11, 15))
    loader.ledger.draft_grid(
        dsi, 2, "Grille révisée 2023 (sobriété numérique)", based_on=1
    )
    for c, lbl, fam, w1, w2, axis in D.CRITERIA:
        if w2 is None:
            loader.ledger.remove_grid_criterion(dsi, 2, c)
        else:
            weight = w1 if c in PROPOSED else w2
            loader.ledger.set_grid_criterion(
                dsi, 2, loader._criterion(c, lbl, fam, weight, axis)
            )


def _schedule() -> list[tuple[date, int, Proposition, int]]:
    """Every step in date order: (day, step, proposition, reply number), the step
    0 a proposition posted, 1 a reply, 2 the chair's settling, seven days on."""
    steps = []
    for p in PROPOSITIONS:
        steps.append((p.day, 0, p, 0))
        steps += [(p.day + timedelta(days=n), 1, p, n) for n in range(1, len(p.replies) + 1)]  # fmt: skip
        steps.append((p.day + timedelta(days=7), 2, p, 0))
    return sorted(steps, key=lambda s: (s[0], s[1], s[2].key))


def discuss(loader: Any) -> None:
    """Each proposition posted, its replies, and the chair's settling of it."""
    led = loader.ledger
    ids: dict[str, str] = {}
    for day, step, p, n in _schedule():
        loader.clock.on(day)
        if step == 0:
            posted = led.post_comment(
                # a comment's id comes from its command's key: the same on every run
                replace(loader.as_(p.who), key=f"demo-grid-2-{p.key}"),
                "grid",
                2,
                kind="proposition",
                body=p.body,
                proposition=p.proposition,
            )
            ids[p.key] = str(posted["id"])
        elif step == 1:
            who, body = p.replies[n - 1]
            led.reply_to_comment(
                replace(loader.as_(who), key=f"demo-grid-2-{p.key}-{n}"),
                "grid",
                2,
                ids[p.key],
                body=body,
            )
        elif p.reason is not None:
            led.decline_proposition(loader.as_(CHAIR, p.reason), 2, ids[p.key])
        else:  # the new criterion: as proposed, with its axis (A5) and levels
            crit = _new_criterion(loader) if p.key == "sobr" else None
            led.accept_proposition(loader.as_(CHAIR), 2, ids[p.key], criterion=crit)


def _new_criterion(loader: Any) -> dict[str, Any]:
    code, label, family, weight, axis = D.CRITERIA_V2_NEW[0]
    return loader._criterion(code, label, family, weight, axis)


def adopt_by_vote(loader: Any) -> None:
    """The COPIL's session on the grid: on the agenda, voted, adopted, closed."""
    led = loader.ledger
    chair = loader.as_(CHAIR)
    loader.clock.on(SESSION_DAY - timedelta(days=21))
    led.convene_session(
        chair,
        SESSION,
        "Comité de pilotage du SDSI — adoption de la grille 2023",
        SESSION_DAY,
        D.VOTING,
        D.NON_VOTING,
    )
    led.put_grid_on_agenda(chair, SESSION, 2)
    loader.stats.add("séances")
    loader.clock.on(SESSION_DAY)
    present = [m for m in D.VOTING + D.NON_VOTING if m != ABSENT]
    led.open_session(chair, SESSION, present)
    for member, choice in VOTES.items():
        loader.clock.current += timedelta(minutes=2)
        led.vote_on_grid(loader.as_(member), SESSION, 2, choice)
    loader.clock.current += timedelta(minutes=5)
    led.decide_grid(chair, SESSION, 2, True, RATIONALE)
    loader.clock.current += timedelta(minutes=10)
    led.close_session(chair, SESSION)


def load(loader: Any) -> None:
    """Grid v2, from the DSI's draft to its adoption by the COPIL."""
    draft(loader)
    discuss(loader)
    adopt_by_vote(loader)
