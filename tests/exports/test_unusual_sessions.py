"""Minutes and open data of unusual COPIL sessions, generated, on both backends.

Hypothesis writes sequences of session commands — items put on the agenda and taken
off before the opening, an opening with anyone present, members arriving and leaving,
votes (changed ones too), decisions of every outcome, against the vote with or
without a justification, refused when the quorum is missing, all items deferred, a
session closed or left open — and sends them to a real ledger. What the ledger
accepted is recorded here, from the commands and the events they wrote (never from
the views); the minutes are rendered, parsed back (pypdf) and must show exactly that:
the attendance of each member, the arrivals and departures with their time, the
quorum, the agenda and what was taken off it, for each item the voting members present
when it was decided, the named votes with their tally, and the decision with its
rationale, justification, AP and CP. The open-data decisions and votes of the session
must say the same.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from domain.errors import DomainError
from domain.localtime import local, local_date, zone
from exports.base import ExportRequest, ExportSource
from exports.french import CHOICES, long_datetime, time_of_day
from exports.minutes import DECISIONS
from exports.registry import exporter
from exports.rows import Names
from ledger.app import Ledger, open_ledger
from ledger.keys import ensure_signing_key
from ledger.log import Cursor, read_log
from projections import queries as q
from projections.service import ReadModel, init_views
from tests.conftest import make_settings
from tests.domain.builders import CHAIR, INV, NON_VOTING, VOTING, YEAR, Town, by
from tests.exports.conftest import _pg_schema, fr_money, norm, pdf_lines

MEMBERS = VOTING + NON_VOTING
PARIS = zone("Europe/Paris")  # the default SDSI_TIMEZONE: the minutes' local times
TITLE = "Portail citoyen"  # the title of every proposal of the town
AP = "1000.00"
OUTCOME_CHOICES = ("approved", "approved_with_conditions", "deferred", "rejected")
FAVOURABLE = ("approved", "approved_with_conditions")
DECISION_KEYS = (
    "projet",
    "decision",
    "motif",
    "conditions",
    "ecart_majorite",
    "justification_ecart",
    "ap_accordee",
    "votes_pour",
    "votes_contre",
    "abstentions",
    "votants_presents",
    "quorum_requis",
    "position_registre",
)
# The minutes' table headers (a page break repeats them at the top of the next page).
HEADERS = (
    ["Membre", "Qualité", "Présence"],
    ["Heure", "Membre", "Mouvement", "Votants présents"],
    ["N°", "Projet", "Intitulé", "Direction", "Décision"],
    ["Membre", "Vote", "Position", "Remarque"],
    ["Exercice", "Section", "CP"],
)


# --- the world: the minimal town, a large envelope, views ------------------------------


@dataclass
class World:
    """The town on one backend, its views, and where the log stood last."""

    ledger: Ledger
    town: Town
    read_model: ReadModel
    cursor: Cursor
    sessions: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def written(self) -> list[tuple[int, Any]]:
        """(position, event) of what was written since the last call."""
        out = []
        for batch in read_log(self.ledger.recorder, self.cursor):
            for entry in batch:
                event = self.ledger.mapper.to_domain_event(entry.notification)
                out.append((entry.position, event))
                self.cursor = Cursor(entry.position, entry.notification_id)
        return out


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    backend = str(request.param)
    tmp: Path = tmp_path_factory.mktemp(f"sessions-{backend}")
    schemas: Iterator[str] | None = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp}/ledger.db"
    else:
        schemas = _pg_schema(request.getfixturevalue("pg_server_url"))
        url = next(schemas)
    config = make_settings(tmp / "data", url)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    ensure_signing_key(config)
    led = open_ledger(config, create=True)
    led.bootstrap_admin("admin", "Administrateur", "admin-password-1")
    init_views(config, led)
    town = Town(led)
    town.envelope(YEAR, INV, "900000000000.00")
    rm = ReadModel(led, config)
    w = World(led, town, rm, Cursor())
    w.written()
    try:
        yield w
    finally:
        rm.close()
        led.close()
        if schemas is not None:
            next(schemas, None)


# --- the generated sessions --------------------------------------------------------------


@dataclass(frozen=True)
class Script:
    """What the chair and the members do in one session."""

    items: int
    removed: tuple[int, ...]
    opens: bool
    present: frozenset[str]
    steps: tuple[tuple[Any, ...], ...]
    closes: bool


@st.composite
def scripts(draw: st.DrawFn) -> Script:
    """A session's script: members mostly present, votes first then votes, comings
    and goings and decisions, so that most commands are accepted and sessions get
    far (a refused command is part of the script too: nothing must show of it)."""
    items = draw(st.integers(1, 3))
    off = [(k,) for k in range(items)] + [tuple(range(items))]
    removed = draw(st.sampled_from([*off, *[()] * 8]))
    item = st.sampled_from(range(items))
    attend = st.tuples(st.just("attend"), st.sampled_from(MEMBERS), st.booleans())
    vote = st.tuples(
        st.just("vote"), st.sampled_from(VOTING), item, st.sampled_from(list(CHOICES))
    )
    decide = st.tuples(
        st.just("decide"), item, st.sampled_from(OUTCOME_CHOICES), st.booleans()
    )
    likely = st.sampled_from([True, True, True, True, False])
    # a session opens with its chair present (ChairAbsent otherwise)
    present = {m for m in MEMBERS if draw(likely)} | {CHAIR.actor}
    return Script(
        items=items,
        removed=removed,
        opens=draw(likely),
        present=frozenset(present),
        steps=(
            *draw(st.lists(st.one_of(attend, vote, vote), min_size=2, max_size=10)),
            *draw(st.lists(st.one_of(attend, vote, decide, decide), max_size=8)),
        ),
        closes=draw(st.booleans()),
    )


# --- what the ledger accepted ------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    kind: str  # opened, arrived, left
    member: str | None
    at: Any
    present: frozenset[str]


@dataclass(frozen=True)
class VoteRecord:
    item: str
    member: str
    choice: str
    position: int


@dataclass(frozen=True)
class DecisionRecord:
    outcome: str
    rationale: str
    conditions: str
    justification: str
    tally: tuple[int, int, int]
    present: frozenset[str]
    position: int
    at: Any

    @property
    def departs(self) -> bool:
        votes_for, votes_against, _abstain = self.tally
        favourable = self.outcome in FAVOURABLE
        return (votes_for > votes_against and not favourable) or (
            votes_against > votes_for and favourable
        )


@dataclass
class Session:
    """One session as the ledger recorded it."""

    code: str
    agenda: list[str]
    removed: list[tuple[str, int, Any]] = field(default_factory=list)
    journal: list[Move] = field(default_factory=list)
    votes: list[VoteRecord] = field(default_factory=list)
    current: dict[str, dict[str, str]] = field(default_factory=dict)
    decisions: dict[str, DecisionRecord] = field(default_factory=dict)
    closed: bool = False

    @property
    def present(self) -> frozenset[str]:
        return self.journal[-1].present if self.journal else frozenset()

    def tally(self, item: str) -> tuple[int, int, int]:
        choices = list(self.current.get(item, {}).values())
        return (
            choices.count("for"),
            choices.count("against"),
            choices.count("abstain"),
        )


def attempt(w: World, command: Any) -> list[tuple[int, Any]] | None:
    """Send a command: the events it wrote, or None if refused (then nothing written)."""
    try:
        command()
    except DomainError:
        assert w.written() == [], "a refused command wrote events"
        return None
    return w.written()


def the(written: list[tuple[int, Any]], name: str) -> tuple[int, Any]:
    """The one session event of that name among what a command wrote."""
    (found,) = [(p, e) for p, e in written if type(e).__qualname__ == f"Session.{name}"]
    return found


def features(s: Session) -> list[str]:
    """What makes a session unusual (hypothesis statistics show how often each is
    generated)."""
    out = ["closed" if s.closed else ("open" if s.journal else "convened")]
    out += ["removed item"] * bool(s.removed)
    out += ["arrival"] * any(m.kind == "arrived" for m in s.journal)
    out += ["departure"] * any(m.kind == "left" for m in s.journal)
    out += ["changed vote"] * (
        len(s.votes) > len({(v.item, v.member) for v in s.votes})
    )
    out += [f"decision {d.outcome}" for d in s.decisions.values()]
    out += ["against the vote"] * any(d.departs for d in s.decisions.values())
    out += ["voter gone at the decision"] * any(
        v.member not in s.decisions[v.item].present
        for v in s.votes
        if v.item in s.decisions
    )
    out += ["all deferred"] * bool(
        s.decisions
        and len(s.decisions) == len(s.agenda)
        and all(d.outcome == "deferred" for d in s.decisions.values())
    )
    return out


def play(w: World, script: Script) -> Session:
    """Send the script's commands; what the ledger accepted."""
    led, n = w.ledger, next(w.sessions)
    code = f"S{n}"
    items = [f"P{n}-{k}" for k in range(script.items)]
    for item in items:
        w.town.qualified(item)
    led.convene_session(
        CHAIR, code, f"COPIL {code}", f"{YEAR}-03-10", VOTING, NON_VOTING
    )
    for item in items:
        led.add_agenda_item(CHAIR, code, item)
    w.written()
    s = Session(code, list(items))
    for k in script.removed:
        led.remove_agenda_item(CHAIR, code, items[k])
        position, event = the(w.written(), "ItemRemoved")
        s.removed.append((items[k], position, event.timestamp))
        s.agenda.remove(items[k])
    if not script.opens:
        return s
    led.open_session(CHAIR, code, sorted(script.present))
    _position, event = the(w.written(), "Opened")
    s.journal.append(Move("opened", None, event.timestamp, script.present))
    for step in script.steps:
        if step[0] == "attend":
            attend(w, s, step[1], step[2])
        elif step[0] == "vote":
            vote(w, s, step[1], items[step[2]], step[3])
        else:
            decide(w, s, items[step[1]], step[2], step[3])
    if script.closes:
        for member in VOTING:  # the quorum, to decide what is left: deferred
            attend(w, s, member, True)
        for item in s.agenda:
            if item not in s.decisions:
                decide(w, s, item, "deferred", True)
        assert attempt(w, lambda: led.close_session(CHAIR, code)) is not None
        s.closed = True
    return s


def attend(w: World, s: Session, member: str, present: bool) -> None:
    written = attempt(
        w, lambda: w.ledger.set_attendance(CHAIR, s.code, member, present)
    )
    assert written is not None
    if written:  # no event when nothing changes
        _position, event = the(written, "AttendanceChanged")
        now = s.present | {member} if present else s.present - {member}
        kind = "arrived" if present else "left"
        s.journal.append(Move(kind, member, event.timestamp, now))


def vote(w: World, s: Session, member: str, item: str, choice: str) -> None:
    written = attempt(w, lambda: w.ledger.cast_vote(by(member), s.code, item, choice))
    if written:
        position, _event = the(written, "VoteCast")
        s.votes.append(VoteRecord(item, member, choice, position))
        s.current.setdefault(item, {})[member] = choice


def decide(w: World, s: Session, item: str, outcome: str, justify: bool) -> None:
    n = len(s.decisions) + len(s.votes)
    rationale = f"motif {item} n°{n}"
    conditions = f"conditions {item}" if outcome == "approved_with_conditions" else ""
    justification = f"justification {item} n°{n}" if justify else ""
    amounts: dict[str, Any] = {}
    if outcome in FAVOURABLE:
        amounts = {
            "ap_amount": AP,
            "cp": [{"year": YEAR, "section": INV, "amount": AP}],
        }
    written = attempt(
        w,
        lambda: w.ledger.record_decision(
            CHAIR,
            s.code,
            item,
            outcome,
            rationale,
            conditions=conditions,
            justification=justification,
            **amounts,
        ),
    )
    if written is None:
        return
    position, event = the(written, "DecisionRecorded")
    record = DecisionRecord(
        outcome,
        rationale,
        conditions,
        justification,
        s.tally(item),
        s.present,
        position,
        event.timestamp,
    )
    assert justification or not record.departs  # the ledger refuses it otherwise
    s.decisions[item] = record


# --- the minutes as they should read ------------------------------------------------------


def presence(s: Session, member: str) -> str:
    if not s.journal:
        return "—"
    moves = [m.kind for m in s.journal[1:] if m.member == member]
    if not moves:
        return "présence" if member in s.journal[0].present else "absence"
    if moves == ["arrived"]:
        return "arrivée tardive"
    if moves == ["left"]:
        return "départ anticipé"
    return "présence intermittente"


def movement(s: Session, n: int) -> str:
    """A late arrival (the first of a member absent at the opening), a return, or an
    early departure."""
    move = s.journal[n]
    if move.kind == "left":
        return "départ anticipé"
    before = [m for m in s.journal[1:n] if m.member == move.member]
    if move.member in s.journal[0].present or before:
        return "retour en séance"
    return "arrivée tardive"


def hour(s: Session, at: Any) -> str:
    """A move's local time: the hour alone on the day of the opening."""
    if local_date(at, PARIS) == local_date(s.journal[0].at, PARIS):
        return time_of_day(local(at, PARIS))
    return long_datetime(at, PARIS)


def voting_present(present: frozenset[str]) -> int:
    return sum(1 for m in VOTING if m in present)


def quorum_sentence(s: Session) -> str:
    rule = "Quorum : 3 membres votants requis (majorité des membres votants) ; "
    if not s.journal:
        return rule + "séance non encore ouverte."
    opening = voting_present(s.journal[0].present)
    if len(s.journal) == 1:
        met = "Quorum atteint." if opening >= 3 else "Quorum non atteint."
        return rule + f"{opening} membres votants présents sur 4. {met}"
    when = "à la clôture" if s.closed else "à ce stade"
    return rule + (
        f"{opening} membres votants présents sur 4 à l'ouverture, "
        f"{voting_present(s.present)} {when}. Le quorum de chaque décision est "
        "indiqué avec elle."
    )


def attendance_block(s: Session, names: Names) -> list[str]:
    lines = ["Présences et quorum"]
    for member in MEMBERS:
        quality = (
            "membre votant" if member in VOTING else "membre sans voix délibérative"
        )
        if member == "chair":
            quality += " — présidence"
        lines += [names.person(member), quality, presence(s, member)]
    lines.append(quorum_sentence(s))
    moves = s.journal[1:]
    if moves:
        lines.append("Arrivées tardives et départs anticipés en cours de séance :")
        for n, move in enumerate(moves, 1):
            lines += [
                hour(s, move.at),
                names.person(move.member),
                movement(s, n),
                f"{voting_present(move.present)} / 4",
            ]
    lines.append("Ordre du jour")
    return lines


def agenda_block(s: Session) -> list[str]:
    lines = ["Ordre du jour"]
    for n, item in enumerate(s.agenda, 1):
        d = s.decisions.get(item)
        lines += [
            str(n),
            item,
            TITLE,
            "FIN",
            DECISIONS[d.outcome] if d else "sans décision",
        ]
    for item, position, at in s.removed:
        if item not in s.agenda:
            lines.append(
                f"Retiré de l'ordre du jour avant l'ouverture : {item} — {TITLE} "
                f"(position {position} du registre, le {long_datetime(at, PARIS)})."
            )
    lines.append("Délibérations")
    return lines


def item_block(s: Session, n: int, item: str, names: Names) -> list[str]:
    d = s.decisions.get(item)
    lines = [
        f"Point n°{n} — {item} — {TITLE}",
        "Direction : FIN — Direction des finances (pôle PRS — Pôle Ressources)."
        + (" Révision de la fiche examinée : 1." if d else ""),
        "Aucune évaluation consolidée sur une grille adoptée.",
    ]
    if s.journal:
        present = d.present if d else s.present
        voters = ", ".join(names.person(m) for m in VOTING if m in present) or "aucun"
        if d:
            head = (
                f"Membres votants présents lors de la décision "
                f"({voting_present(present)}, quorum requis 3)"
            )
        else:
            head = f"Membres votants présents à ce stade ({voting_present(present)})"
        lines.append(f"{head} : {voters}.")
    votes = [v for v in s.votes if v.item == item]
    if not votes:
        lines.append("Aucun vote exprimé.")
    else:
        latest = {v.member: v.position for v in votes}
        for v in votes:
            remark = ""
            if latest[v.member] != v.position:
                remark = "vote remplacé par un vote ultérieur"
            elif d and v.member not in d.present:
                remark = "départ avant la décision"
            lines += [names.person(v.member), CHOICES[v.choice], str(v.position)]
            lines += [remark] if remark else []
        votes_for, votes_against, abstain = s.tally(item)
        lines.append(
            f"Votes en vigueur : pour {votes_for}, contre {votes_against}, "
            f"abstention {abstain}."
        )
    if d is None:
        return [*lines, "Pas encore de décision sur ce point."]
    assert d.tally == s.tally(item)  # no vote once decided
    lines += ["Décision", DECISIONS[d.outcome], "Motif", d.rationale]
    if d.conditions:
        lines += ["Conditions", d.conditions]
    if d.departs:
        lines += [
            "Écart au vote",
            "la décision s'écarte de la majorité des votes (pour "
            f"{d.tally[0]}, contre {d.tally[1]})",
        ]
    if d.justification:
        lines += ["Justification", d.justification]
    if d.outcome in FAVOURABLE:
        lines += ["AP accordée", fr_money(AP)]
    lines += [
        "Position dans le registre",
        f"{d.position} (décision enregistrée le {long_datetime(d.at, PARIS)})",
        # these sessions are never sealed: no evidence file yet (its fingerprint,
        # once sealed, is checked in test_minutes_evidence.py)
        "Empreinte de la preuve",
        "disponible une fois la décision scellée",
    ]
    if d.outcome in FAVOURABLE:
        lines.append("Crédits de paiement accordés :")
        lines += [str(YEAR), INV, fr_money(AP), "Total", fr_money(AP)]
    return lines


# --- the minutes as they read ------------------------------------------------------------


def minutes_lines(w: World, code: str) -> list[str]:
    """Every line of the minutes, without the running header and footer and without
    table headers (a page break repeats them; they say nothing of the session)."""
    content = (
        exporter("minutes")
        .render(ExportSource(w.read_model), ExportRequest("pdf", session=code))
        .content
    )
    found = pdf_lines(content, "Ville de test", f"Procès-verbal — COPIL {code}")
    lines: list[str] = []
    i = 0
    while i < len(found):
        header = next((h for h in HEADERS if found[i : i + len(h)] == h), None)
        if header is None:
            lines.append(found[i])
        i += len(header) if header else 1
    return lines


def flat(lines: list[str]) -> str:
    """Lines joined by spaces: a wrapped paragraph or cell reads as one text again."""
    return " ".join(norm(line) for line in lines if line)


def shows(text: str, block: list[str]) -> bool:
    return f" {flat(block)} " in f" {text} "


# --- the tests ----------------------------------------------------------------------------


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(script=scripts())
@example(  # against the vote, a voter gone before the decision, a changed vote
    Script(
        items=2,
        removed=(),
        opens=True,
        present=frozenset(MEMBERS),
        steps=(
            ("vote", "m1", 0, "against"),
            ("vote", "m2", 0, "against"),
            ("vote", "chair", 0, "for"),
            ("attend", "m2", False),
            ("attend", "fin", False),
            ("decide", 0, "approved_with_conditions", True),
            ("vote", "m1", 1, "for"),
            ("vote", "m1", 1, "against"),
            ("attend", "m2", True),
            ("decide", 1, "rejected", False),
        ),
        closes=True,
    )
)
@example(  # no quorum at the opening, late arrivals, an item taken off, a draft
    Script(
        items=3,
        removed=(1,),
        opens=True,
        present=frozenset({"chair", "m1"}),  # the chair is there to open it
        steps=(
            ("vote", "m1", 0, "for"),
            ("vote", "m3", 0, "for"),  # absent: refused
            ("decide", 0, "approved", False),  # no quorum: refused
            ("attend", "m3", True),
            ("attend", "m2", True),
            ("decide", 0, "approved", False),
            ("vote", "m1", 2, "abstain"),
            ("decide", 1, "deferred", False),  # off the agenda: refused
        ),
        closes=False,
    )
)
@example(Script(1, (), True, frozenset({"chair", "fin"}), (), closes=False))
@example(Script(2, (), False, frozenset(), (), closes=False))
def test_minutes_show_exactly_what_the_session_recorded(
    world: World, script: Script
) -> None:
    s = play(world, script)
    for feature in features(s):
        event(feature)
    world.read_model.projector().catch_up()
    names = Names.read(world.read_model.store)
    lines = minutes_lines(world, s.code)
    text = flat(lines)
    title = (
        "Procès-verbal de la séance du comité de pilotage"
        if s.closed
        else "Projet de procès-verbal (séance non close)"
    )
    status = "séance " + (
        "close" if s.closed else ("ouverte" if s.journal else "convoquée")
    )
    assert lines[0] == title
    assert shows(text, ["Statut", status])
    assert shows(text, ["Ordre du jour", f"{len(s.agenda)} point(s)"])
    assert shows(text, ["Décisions", f"{len(s.decisions)} décision(s)"])
    assert shows(text, attendance_block(s, names)), text
    assert shows(text, agenda_block(s)), text
    points = [line for line in lines if line.startswith("Point n°")]
    assert points == [f"Point n°{n} — {i} — {TITLE}" for n, i in enumerate(s.agenda, 1)]
    for n, item in enumerate(s.agenda, 1):
        assert shows(text, item_block(s, n, item, names)), (item, text)
    assert "Scellement du registre" in lines


@settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(script=scripts())
def test_open_data_of_the_session_says_what_the_minutes_say(
    world: World, script: Script
) -> None:
    s = play(world, script)
    world.read_model.projector().catch_up()
    names = Names.read(world.read_model.store)
    source = ExportSource(world.read_model)
    rows = json.loads(
        exporter("opendata-decisions").render(source, ExportRequest("json")).content,
        parse_float=Decimal,
    )["data"]
    assert [
        {k: row[k] for k in DECISION_KEYS} for row in rows if row["seance"] == s.code
    ] == [
        {
            "projet": item,
            "decision": d.outcome,
            "motif": d.rationale,
            "conditions": d.conditions,
            "ecart_majorite": d.departs,
            "justification_ecart": d.justification,
            "ap_accordee": Decimal(AP) if d.outcome in FAVOURABLE else None,
            "votes_pour": d.tally[0],
            "votes_contre": d.tally[1],
            "abstentions": d.tally[2],
            "votants_presents": voting_present(d.present),
            "quorum_requis": 3,
            "position_registre": d.position,
        }
        for item, d in sorted(s.decisions.items(), key=lambda kv: kv[1].position)
    ]
    votes = [
        (
            row["projet"],
            row["membre"],
            row["vote"],
            row["remplace"],
            row["position_registre"],
        )
        for row in json.loads(
            exporter("opendata-votes").render(source, ExportRequest("json")).content
        )["data"]
        if row["seance"] == s.code
    ]
    latest = {(v.item, v.member): v.position for v in s.votes}
    assert votes == [
        (
            v.item,
            names.person(v.member),
            CHOICES[v.choice],
            latest[(v.item, v.member)] != v.position,
            v.position,
        )
        for v in s.votes
    ]


def test_a_session_with_every_item_deferred_closes_and_its_minutes_say_so(
    world: World,
) -> None:
    script = Script(
        items=2,
        removed=(),
        opens=True,
        present=frozenset(MEMBERS),
        steps=(
            ("vote", "m1", 0, "for"),
            ("vote", "m2", 0, "for"),
            ("decide", 0, "deferred", True),
            ("decide", 1, "deferred", False),
        ),
        closes=True,
    )
    s = play(world, script)
    assert [d.outcome for d in s.decisions.values()] == ["deferred", "deferred"]
    assert s.closed and s.decisions[s.agenda[0]].departs
    world.read_model.projector().catch_up()
    names = Names.read(world.read_model.store)
    lines = minutes_lines(world, s.code)
    text = flat(lines)
    assert shows(text, agenda_block(s))
    for n, item in enumerate(s.agenda, 1):
        assert shows(text, item_block(s, n, item, names))
    assert shows(
        text,
        [
            "Écart au vote",
            "la décision s'écarte de la majorité des votes (pour 2, contre 0)",
        ],
    )


def test_an_item_cannot_be_left_undecided_at_the_closure(world: World) -> None:
    s = play(
        world,
        Script(1, (), True, frozenset(MEMBERS), (), closes=False),
    )
    assert attempt(world, lambda: world.ledger.close_session(CHAIR, s.code)) is None
    world.read_model.projector().catch_up()
    session = q.session(world.read_model.store, s.code)
    assert session is not None and session["status"] == "open"


def test_views_built_before_the_attendance_journal_read_the_same(world: World) -> None:
    """Views built by the first release stored an arrival or a departure as
    ``{"member", "present": bool}``: they read as the journal, and the minutes of such
    a session render (a rebuild rewrites them)."""
    s = play(
        world,
        Script(
            1,
            (),
            True,
            frozenset(VOTING),
            (("attend", "m3", False), ("attend", "fin", True)),
            closes=True,
        ),
    )
    world.read_model.projector().catch_up()
    store = world.read_model.store
    names = Names.read(store)
    before = minutes_lines(world, s.code)
    (row,) = store.fetchall("SELECT doc FROM {sessions} WHERE code = ?", (s.code,))
    doc = json.loads(row[0])
    journal = doc["attendance"]
    doc["attendance"] = [
        {k: e[k] for k in ("position", "at", "present")}
        if e["kind"] == "opened"
        else {
            "position": e["position"],
            "at": e["at"],
            "member": e["member"],
            "present": e["kind"] == "arrived",
        }
        for e in journal
    ]
    del doc["removed"]
    with store.transaction() as cur:
        cur.execute(
            store._ph(store.sql("UPDATE {sessions} SET doc = ? WHERE code = ?")),
            (json.dumps(doc), s.code),
        )
    session = q.session(store, s.code)
    assert session is not None
    assert session["attendance"] == journal
    assert session["removed"] == []
    assert minutes_lines(world, s.code) == before
    assert shows(flat(before), attendance_block(s, names))
