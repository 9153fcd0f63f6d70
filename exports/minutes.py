"""COPIL minutes (PDF): attendance, quorum, evidence, named votes, decisions, seal."""

from __future__ import annotations

from datetime import tzinfo
from decimal import Decimal
from typing import Any

from domain.arbitration import Conflict
from domain.localtime import local, local_date
from domain.values import MINUTES_READERS, Role
from exports import pdf
from exports.base import Exporter, ExportRequest, ExportSource, NotFound, Snapshot
from exports.french import (
    CHOICES,
    NBSP,
    label,
    long_date,
    long_datetime,
    money,
    number,
    time_of_day,
)
from exports.integrity import (
    SignedNote,
    checkpoint_covering,
    evidence_fingerprints,
    key_info,
)
from exports.rows import Names
from projections import queries as q

W = pdf.CONTENT_WIDTH
# Every label agrees with the noun it qualifies: a session (« séance close »), a
# decision (« Décision : approuvée »); a member's presence is said with nouns, which
# need no gender (« arrivée tardive », « départ anticipé »).
SESSION_STATUSES = {
    "convened": "séance convoquée",
    "open": "séance ouverte",
    "closed": "séance close",
}
DECISIONS = {
    "approved": "approuvée",
    "approved_with_conditions": "approuvée sous conditions",
    "deferred": "ajournée",
    "rejected": "rejetée",
}
FAMILIES = {"value": "valeur", "risk": "risque"}
LATE_ARRIVAL = "arrivée tardive"
RETURN = "retour en séance"
EARLY_DEPARTURE = "départ anticipé"
SUPERSEDED = "vote remplacé par un vote ultérieur"
LEFT_BEFORE_DECISION = "départ avant la décision"
# How many hex digits of a decision's evidence fingerprint the minutes print.
FINGERPRINT_DIGITS = 16
EVIDENCE_COMMAND = (
    "python verifier.py evidence preuve-decision-N.json --key signing_key.pub"
)
VERIFY_COMMAND = (
    "python verifier.py REGISTRE.zip --key signing_key.pub "
    "--checkpoint point-de-controle.txt"
)


def quorum_rule(rule: dict[str, Any]) -> str:
    """The quorum rule in words."""
    kind, value = rule.get("kind"), Decimal(str(rule.get("value") or 0))
    if kind == "count":
        return f"{int(value)} membres votants"
    if kind == "fraction":
        return f"{number(value * 100, 0)}{NBSP}% des membres votants"
    return "majorité des membres votants"


def presence(journal: list[dict[str, Any]], member: str) -> str:
    """A member's presence in a few words, as nouns (the times are in the table of
    arrivals and departures): ``présence`` or ``absence`` throughout, ``arrivée
    tardive``, ``départ anticipé``, or ``présence intermittente``; ``—`` before the
    opening."""
    if not journal:
        return "—"
    moves = [e["kind"] for e in journal[1:] if e["member"] == member]
    if not moves:
        return "présence" if member in journal[0]["present"] else "absence"
    if moves == ["arrived"]:
        return LATE_ARRIVAL
    if moves == ["left"]:
        return EARLY_DEPARTURE
    return "présence intermittente"


def movement(journal: list[dict[str, Any]], n: int) -> str:
    """What the ``n``-th entry of the attendance journal is: the first arrival of a
    member absent at the opening is a late arrival, a later one a return; every
    departure before the closure is an early departure."""
    entry = journal[n]
    if entry["kind"] == "left":
        return EARLY_DEPARTURE
    member = entry["member"]
    before = [e for e in journal[1:n] if e["member"] == member]
    if member in journal[0]["present"] or before:
        return RETURN
    return LATE_ARRIVAL


def vote_remark(vote: dict[str, Any], d: dict[str, Any] | None) -> str:
    """What the minutes say beside a vote: superseded, or cast by a member who had
    left when the decision was taken (the vote still counts in the tally)."""
    if not vote["current"]:
        return SUPERSEDED
    if d is not None and vote["member"] not in d["present"]:
        return LEFT_BEFORE_DECISION
    return ""


class MinutesExporter(Exporter):
    """The minutes of one COPIL session, ready to sign."""

    name = "minutes"
    label = "Procès-verbal de séance du COPIL"
    description = (
        "Présences et quorum, ordre du jour, évaluation consolidée et grille, votes "
        "nominatifs, décisions, AP et CP accordés, point de contrôle signé du registre."
    )
    formats = ("pdf",)
    roles = Role.names(MINUTES_READERS)
    needs_session = True

    def write(
        self, source: ExportSource, snapshot: Snapshot, request: ExportRequest
    ) -> bytes:
        store = snapshot.store
        code = str(request.session)
        session = q.session(store, code)
        if session is None:
            known = ", ".join(s["code"] for s in q.sessions(store)) or "aucune"
            raise NotFound(f"séance inconnue : {code!r} (séances : {known})")
        names = Names.read(store)
        closed_at = session["positions"].get("closed")
        checkpoint = (
            checkpoint_covering(source.ledger, closed_at) if closed_at else None
        )
        key = key_info(source.ledger) if checkpoint else None
        minutes = _Minutes(store, session, names, snapshot.municipality, snapshot.zone)
        minutes.fingerprints = evidence_fingerprints(
            source.ledger, sorted(d["position"] for d in minutes.decisions.values())
        )
        story = minutes.story(checkpoint, key)
        return pdf.build(
            story,
            title=f"Procès-verbal — {session['title']}",
            municipality=snapshot.municipality,
            footer=f"Registre SDSI — données à la position {snapshot.position}",
            subject=f"Séance {code}",
        )


class _Minutes:
    """Builds the story of one session's minutes."""

    def __init__(
        self,
        store: Any,
        session: dict[str, Any],
        names: Names,
        municipality: str,
        zone: tzinfo,
    ) -> None:
        self.store = store
        self.session = session
        self.zone = zone  # the municipality's: every time is shown in it
        self.names = names
        self.municipality = municipality
        self.st = pdf.styles()
        self.grids = {g["number"]: g for g in q.grids(store)}
        self.projects = {p["code"]: p for p in q.portfolio(store)}
        self.decisions = {d["proposal"]: d for d in session["decision_records"]}
        self.votes: dict[str, list[dict[str, Any]]] = {}
        self.fingerprints: dict[int, str] = {}  # decision position -> evidence's
        for v in session["vote_records"]:
            self.votes.setdefault(v["proposal"], []).append(v)

    def story(
        self, checkpoint: dict[str, Any] | None, key: dict[str, str] | None
    ) -> list[Any]:
        s = self.session
        st = self.st
        closed = s["status"] == "closed"
        title = (
            "Procès-verbal de la séance du comité de pilotage"
            if closed
            else "Projet de procès-verbal (séance non close)"
        )
        out: list[Any] = [
            pdf.para(title, st.title),
            pdf.para(
                f"{s['title']} — séance du {long_date(self.held_on())}", st.subtitle
            ),
            pdf.key_values(self.heading(), [4.6 * pdf.cm, W - 4.6 * pdf.cm]),
        ]
        out += self.attendance()
        out += self.agenda()
        out.append(pdf.para("Délibérations", st.h1))
        for n, item in enumerate(s["agenda"], 1):
            out += self.item(n, item)
        out += self.grid_items(len(s["agenda"]))
        out += self.seal(checkpoint, key)
        out += self.signature()
        return out

    def time(self, at: str) -> str:
        """A stored UTC time in the municipality's time zone, in words."""
        return long_datetime(at, self.zone)

    def held_on(self) -> Any:
        """The day the session was really held: its opening's (local), else the
        day it was convened for."""
        opened = self.session["times"].get("opened")
        return local_date(opened, self.zone) if opened else self.session["on"]

    def heading(self) -> list[tuple[str, Any]]:
        """The session's identity: the day it was convened for, when it really
        opened and closed (local time), why it opened before its day."""
        s = self.session
        times = s["times"]
        pairs: list[tuple[str, Any]] = [
            ("Collectivité", self.municipality),
            ("Séance", s["code"]),
            ("Date prévue", long_date(s["on"])),
        ]
        if times.get("opened"):
            pairs.append(("Ouverture", self.time(times["opened"])))
        if s.get("early_reason"):
            pairs.append(
                (
                    "Ouverture anticipée",
                    f"avant la date prévue, motif : {s['early_reason']}",
                )
            )
        if times.get("closed"):
            pairs.append(("Clôture", self.time(times["closed"])))
        if times:
            pairs.append(("Fuseau horaire", f"heure locale ({self.zone})"))
        pairs += [
            ("Présidence", self.names.person(s["chair"])),
            ("Statut", label(SESSION_STATUSES, s["status"])),
            ("Ordre du jour", f"{len(s['agenda'])} point(s)"),
            ("Décisions", f"{len(self.decisions)} décision(s)"),
        ]
        return pairs

    # --- attendance -------------------------------------------------------------------

    def attendance(self) -> list[Any]:
        s, st = self.session, self.st
        journal = s["attendance"]
        rows = []
        for member in s["voting"] + s["non_voting"]:
            quality = (
                "membre votant"
                if member in s["voting"]
                else "membre sans voix délibérative"
            )
            if member == s["chair"]:
                quality += " — présidence"
            rows.append([self.names.person(member), quality, presence(journal, member)])
        out = [
            pdf.para("Présences et quorum", st.h1),
            pdf.grid(
                ["Membre", "Qualité", "Présence"],
                rows,
                [5.8 * pdf.cm, 6.2 * pdf.cm, W - 12 * pdf.cm],
            ),
            pdf.space(4),
            pdf.para(self.quorum_text(), st.body),
        ]
        moves = self.attendance_changes()
        if moves:
            out.append(
                pdf.para(
                    "Arrivées tardives et départs anticipés en cours de séance :",
                    st.body,
                )
            )
            out.append(
                pdf.grid(
                    ["Heure", "Membre", "Mouvement", "Votants présents"],
                    moves,
                    [4.8 * pdf.cm, 5.2 * pdf.cm, 3.5 * pdf.cm, W - 13.5 * pdf.cm],
                    right=(3,),
                )
            )
        return out

    def quorum_text(self) -> str:
        """The quorum rule, and how many voting members were there (at the opening
        and, when people came and went, at the closure or now)."""
        s = self.session
        journal = s["attendance"]
        rule = (
            f"Quorum : {s['quorum_required']} membres votants requis "
            f"({quorum_rule(s['quorum'])}) ; "
        )
        if not journal:
            return rule + "séance non encore ouverte."
        total = len(s["voting"])
        at_opening = self.voting_present(journal[0]["present"])
        if len(journal) == 1:
            met = at_opening >= s["quorum_required"]
            return rule + (
                f"{at_opening} membres votants présents sur {total}. "
                + ("Quorum atteint." if met else "Quorum non atteint.")
            )
        now = self.voting_present(journal[-1]["present"])
        when = "à la clôture" if s["status"] == "closed" else "à ce stade"
        return rule + (
            f"{at_opening} membres votants présents sur {total} à l'ouverture, "
            f"{now} {when}. Le quorum de chaque décision est indiqué avec elle."
        )

    def voting_present(self, present: list[str]) -> int:
        return sum(1 for m in self.session["voting"] if m in present)

    def attendance_changes(self) -> list[list[str]]:
        """One row per arrival or departure after the opening, in ledger order: its
        local time (the hour alone when on the day of the opening)."""
        total = len(self.session["voting"])
        journal = self.session["attendance"]
        opened = local_date(journal[0]["at"], self.zone) if journal else None
        rows = []
        for n, entry in enumerate(journal):
            if entry["kind"] == "opened":
                continue
            at = long_datetime(entry["at"], self.zone)
            if local_date(entry["at"], self.zone) == opened:
                at = time_of_day(local(entry["at"], self.zone))
            rows.append(
                [
                    at,
                    self.names.person(entry["member"]),
                    movement(journal, n),
                    f"{self.voting_present(entry['present'])} / {total}",
                ]
            )
        return rows

    # --- agenda -----------------------------------------------------------------------

    def agenda(self) -> list[Any]:
        rows = []
        for n, code in enumerate(self.session["agenda"], 1):
            p = self.projects.get(code, {})
            d = self.decisions.get(code)
            rows.append(
                [
                    str(n),
                    code,
                    p.get("title", ""),
                    p.get("direction", ""),
                    label(DECISIONS, d["outcome"]) if d else "sans décision",
                ]
            )
        out: list[Any] = [
            pdf.para("Ordre du jour", self.st.h1),
            pdf.grid(
                ["N°", "Projet", "Intitulé", "Direction", "Décision"],
                rows,
                [
                    1 * pdf.cm,
                    2.6 * pdf.cm,
                    W - 10.6 * pdf.cm,
                    2.4 * pdf.cm,
                    4.6 * pdf.cm,
                ],
            ),
        ]
        for removed in self.session["removed"]:
            code = removed["proposal"]
            if code in self.session["agenda"]:
                continue  # put back on the agenda afterwards
            title = self.projects.get(code, {}).get("title", "")
            out.append(
                pdf.para(
                    f"Retiré de l'ordre du jour avant l'ouverture : {code} — {title} "
                    f"(position {removed['position']} du registre, le "
                    f"{self.time(removed['at'])}).",
                    self.st.body,
                )
            )
        return out

    # --- one item ---------------------------------------------------------------------

    def item(self, n: int, code: str) -> list[Any]:
        st = self.st
        p = self.projects.get(code, {})
        d = self.decisions.get(code)
        direction = p.get("direction", "")
        pole = p.get("pole", "")
        out: list[Any] = [
            pdf.para(f"Point n°{n} — {code} — {p.get('title', '')}", st.h2),
            pdf.para(
                f"Direction : {direction} — {self.names.directions.get(direction, '')}"
                f" (pôle {pole} — {self.names.poles.get(pole, '')})."
                + (f" Révision de la fiche examinée : {d['revision']}." if d else ""),
                st.body,
            ),
        ]
        out += self.scores(code, d)
        out += self.present_for(d)
        out += self.item_votes(code, d)
        out += self.decision(d)
        return out

    def scores(self, code: str, d: dict[str, Any] | None) -> list[Any]:
        st = self.st
        if d is not None:  # what the decision recorded
            version, scores = d["grid_version"], d["scores"] or {}
            value, risk = d["value"], d["risk"]
        else:  # not decided yet: what the COPIL sees on the session's grid version
            version = self.session.get("grid_version")
            scores = (self.session.get("evidence") or {}).get(code) or {}
            value, risk = (
                q.score(scores.get("value_x100")),
                q.score(scores.get("risk_x100")),
            )
        if not scores.get("evaluators"):
            scores = {}
        grid = self.grids.get(version) if version is not None else None
        if not scores or grid is None:
            return [
                pdf.para(
                    "Aucune évaluation consolidée sur une grille adoptée.", st.note
                )
            ]
        adopted = (
            f", adoptée le {long_date(grid['adopted_on'])}"
            if grid.get("adopted_on")
            else ""
        )
        out: list[Any] = [
            pdf.para(
                f"Évaluation consolidée sur la grille v{version}{adopted} : valeur "
                f"{number(value)} / 100, risque {number(risk)} / 100, "
                f"{scores.get('evaluators', 0)} évaluateur(s)"
                + (
                    f", dont {scores['stale']} note(s) sur une révision antérieure"
                    if scores.get("stale")
                    else ""
                )
                + ".",
                st.body,
            )
        ]
        rows = []
        for crit_code, c in sorted(scores.get("criteria", {}).items()):
            crit = grid["criteria"].get(crit_code, {})
            top = max((lv["level"] for lv in crit.get("scale", [])), default=0)
            rows.append(
                [
                    crit_code,
                    crit.get("label", ""),
                    label(FAMILIES, c.get("family")),
                    number(crit.get("weight"), 2),
                    f"{number(Decimal(c['mean_x100']) / 100)} / {top}"
                    if c.get("mean_x100") is not None
                    else "non noté",
                    f"{c['min']}–{c['max']}" if c.get("min") is not None else "—",
                    str(c["spread"]) if c.get("spread") is not None else "—",
                    str(c["n"]),
                ]
            )
        out.append(
            pdf.grid(
                [
                    "Critère",
                    "Libellé",
                    "Famille",
                    "Poids",
                    "Moyenne",
                    "Min–max",
                    "Écart",
                    "Notes",
                ],
                rows,
                [
                    1.7 * pdf.cm,
                    W - 11.3 * pdf.cm,
                    1.6 * pdf.cm,
                    1.6 * pdf.cm,
                    2.2 * pdf.cm,
                    1.7 * pdf.cm,
                    1.3 * pdf.cm,
                    1.2 * pdf.cm,
                ],
                right=(3, 4, 5, 6, 7),
            )
        )
        return out

    def present_for(self, d: dict[str, Any] | None) -> list[Any]:
        """The voting members present for the item: at its decision, or (no decision
        yet) at this stage of the session."""
        s = self.session
        if not s["attendance"]:
            return []
        if d is not None:
            present = d["present"]
            head = (
                f"Membres votants présents lors de la décision ({d['present_voting']}"
                f", quorum requis {d['quorum_required']})"
            )
        else:
            present = s["present"]
            head = (
                f"Membres votants présents à ce stade ({self.voting_present(present)})"
            )
        voters = [self.names.person(m) for m in s["voting"] if m in present]
        return [pdf.para(f"{head} : {', '.join(voters) or 'aucun'}.", self.st.body)]

    def item_votes(self, code: str, d: dict[str, Any] | None) -> list[Any]:
        st = self.st
        votes = self.votes.get(code, [])
        if not votes:
            return [pdf.para("Aucun vote exprimé.", st.note)]
        rows = []
        tally = {"for": 0, "against": 0, "abstain": 0}
        for v in votes:
            if v["current"]:
                tally[v["choice"]] += 1
            rows.append(
                [
                    self.names.person(v["member"]),
                    label(CHOICES, v["choice"]),
                    str(v["position"]),
                    vote_remark(v, d),
                ]
            )
        return [
            pdf.space(3),
            pdf.grid(  # its heading repeated at the top of each page it runs on
                ["Membre", "Vote", "Position", "Remarque"],
                rows,
                [6 * pdf.cm, 2.6 * pdf.cm, 2 * pdf.cm, W - 10.6 * pdf.cm],
                right=(2,),
                repeat=True,
            ),
            pdf.para(
                f"Votes en vigueur : pour {tally['for']}, contre {tally['against']}, "
                f"abstention {tally['abstain']}.",
                st.body,
            ),
        ]

    def grid_items(self, before: int) -> list[Any]:
        """The grid versions whose adoption the session put to the vote (issue 20):
        the named votes in force and the decision, which adopted the grid or not."""
        st = self.st
        out: list[Any] = []
        items = self.session.get("grid_items", {})
        for n, key in enumerate(sorted(items, key=int), before + 1):
            item, number = items[key], int(key)
            out.append(
                pdf.para(f"Point n°{n} — adoption de la grille v{number}", st.h2)
            )
            votes = sorted(item["votes"].items())
            rows = [
                [self.names.person(m), label(CHOICES, v["choice"]), str(v["position"])]
                for m, v in votes
            ]
            if rows:
                out.append(
                    pdf.grid(
                        ["Membre", "Vote", "Position"],
                        rows,
                        [6 * pdf.cm, 2.6 * pdf.cm, W - 8.6 * pdf.cm],
                        right=(2,),
                    )
                )
            else:
                out.append(pdf.para("Aucun vote exprimé.", st.note))
            d = item["decision"]
            if d is None:
                out.append(pdf.para("Sans décision.", st.body))
                continue
            verdict = "grille adoptée" if d["adopted"] else "grille non adoptée"
            out.append(
                pdf.para(
                    f"Décision : {verdict} (pour {d['for']}, contre {d['against']}, "
                    f"abstention {d['abstain']} ; quorum {d['present_voting']}/"
                    f"{d['quorum_required']}). Motivation : {d['rationale']}"
                    + (
                        f" Justification : {d['justification']}"
                        if d["justification"]
                        else ""
                    ),
                    st.body,
                )
            )
        return out

    def decision(self, d: dict[str, Any] | None) -> list[Any]:
        st = self.st
        if d is None:
            return [pdf.para("Pas encore de décision sur ce point.", st.note)]
        pairs = [
            ("Décision", label(DECISIONS, d["outcome"])),
            ("Motif", d["rationale"]),
        ]
        if d["conditions"]:
            pairs.append(("Conditions", d["conditions"]))
        if d["departs_from_majority"]:
            pairs.append(
                (
                    "Écart au vote",
                    "la décision s'écarte de la majorité des votes (pour "
                    f"{d['votes_for']}, contre {d['votes_against']})",
                )
            )
        if d["justification"]:
            pairs.append(("Justification", d["justification"]))
        if d["scenario"]:
            pairs.append(("Scénario", d["scenario"]))
        if d["ap"] is not None:
            pairs.append(("AP accordée", money(d["ap"])))
        if d["override"]:
            broken = "; ".join(
                Conflict.from_plain(c).describe() for c in d.get("conflicts") or []
            )
            pairs.append(
                (
                    "Dérogation" if broken else "Dérogation budgétaire",
                    "oui — "
                    + (d["override_reason"] or "")
                    + (f" (règles enfreintes : {broken})" if broken else ""),
                )
            )
        pairs.append(
            (
                "Position dans le registre",
                f"{d['position']} (décision enregistrée le "
                f"{self.time(d['decided_at'])})",
            )
        )
        fingerprint = self.fingerprints.get(d["position"])
        pairs.append(
            (
                "Empreinte de la preuve",
                fingerprint[:FINGERPRINT_DIGITS]
                if fingerprint
                else "disponible une fois la décision scellée",
            )
        )
        flow: list[Any] = [pdf.key_values(pairs, [4 * pdf.cm, W - 4.4 * pdf.cm])]
        if d["cp"]:
            rows = [
                [str(c["year"]), c["section"], money(c["amount"])]
                for c in sorted(d["cp"], key=lambda c: (c["year"], c["section"]))
            ]
            total = sum((Decimal(c["amount"]) for c in d["cp"]), Decimal("0.00"))
            rows.append(["Total", "", money(total)])
            flow += [
                pdf.space(3),
                pdf.para("Crédits de paiement accordés :", st.body),
                pdf.grid(
                    ["Exercice", "Section", "CP"],
                    rows,
                    [3 * pdf.cm, 5 * pdf.cm, 4 * pdf.cm],
                    right=(2,),
                    bold_rows=(len(rows) - 1,),
                ),
            ]
        colour = pdf.GREEN if d["outcome"].startswith("approved") else pdf.GREY
        return [pdf.space(4), pdf.boxed(flow, colour), pdf.space(6)]

    # --- seal and signature -----------------------------------------------------------

    def seal(
        self, checkpoint: dict[str, Any] | None, key: dict[str, str] | None
    ) -> list[Any]:
        st = self.st
        out: list[Any] = [pdf.para("Scellement du registre", st.h1)]
        closed = self.session["positions"].get("closed")
        if checkpoint is None or key is None:
            out.append(
                pdf.para(
                    "Aucun point de contrôle signé ne couvre encore la clôture de "
                    "cette "
                    "séance : le procès-verbal ne peut pas encore être scellé "
                    "(exécuter « sdsi seal »).",
                    st.body,
                )
            )
            return out
        note = SignedNote.parse(checkpoint["note"])
        out.append(
            pdf.para(
                f"La clôture de la séance est l'événement n°{closed} du registre. Le "
                "point "
                f"de contrôle n°{checkpoint['seq']}, signé par la clé du registre, "
                "couvre "
                f"les {checkpoint['tree_size']} premiers événements : toute "
                "modification, "
                "suppression ou insertion d'un événement antérieur, notamment des "
                "votes et "
                "décisions ci-dessus, serait détectée.",
                st.body,
            )
        )
        out.append(
            pdf.key_values(
                [
                    ("Point de contrôle", f"n°{checkpoint['seq']}"),
                    ("Taille de l'arbre", str(checkpoint["tree_size"])),
                    ("Racine (base64)", pdf.hashed(checkpoint["root"])),
                    ("Racine (hexadécimal)", pdf.hashed(checkpoint["root_hex"])),
                    ("Origine du journal", note.origin),
                    ("Signature (Ed25519, base64)", pdf.hashed(note.signature)),
                    (
                        "Empreinte de la clé publique (SHA-256)",
                        pdf.hashed(key["fingerprint"]),
                    ),
                ],
                [5 * pdf.cm, W - 5.4 * pdf.cm],
            )
        )
        out += [
            pdf.space(4),
            pdf.together(
                pdf.para(
                    "Point de contrôle signé (texte exact, à conserver) :", st.body
                ),
                pdf.boxed([pdf.mono_block(note.text)]),
                pdf.space(4),
                pdf.para(
                    "Vérification indépendante : enregistrer le texte ci-dessus dans "
                    "point-de-controle.txt, obtenir l'export du registre (« sdsi "
                    "ledger export REGISTRE.zip ») et la clé publique, puis exécuter :",
                    st.body,
                ),
                pdf.code(VERIFY_COMMAND),
            ),
            pdf.space(4),
            pdf.together(
                pdf.para(
                    "Chaque décision se vérifie aussi seule : son fichier de preuve "
                    "(« sdsi ledger evidence POSITION », ou la page de la décision) "
                    "contient la décision, les événements sur lesquels elle repose et "
                    "leurs preuves d'inclusion ; son empreinte commence par les "
                    f"{FINGERPRINT_DIGITS} chiffres hexadécimaux imprimés ci-dessus "
                    "(« Empreinte de la preuve »), et la commande suivante la "
                    "vérifie et l'affiche :",
                    st.body,
                ),
                pdf.code(EVIDENCE_COMMAND),
            ),
        ]
        return out

    def signature(self) -> list[Any]:
        st = self.st
        s = self.session
        closed = s["times"].get("closed")
        day = local_date(closed, self.zone) if closed else self.held_on()
        return [
            pdf.space(14),
            pdf.together(
                pdf.para(
                    f"Fait le {long_date(day)}, pour la collectivité : "
                    f"{self.municipality}.",
                    st.body,
                ),
                pdf.space(6),
                pdf.para(
                    f"Le président de séance, {self.names.person(s['chair'])}", st.body
                ),
                pdf.space(40),
                pdf.para("(signature)", st.note),
            ),
        ]
