"""COPIL minutes: exactly the session's attendance, votes, decisions and seal."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from exports.base import MissingParameter, NotFound
from exports.french import CHOICES
from exports.minutes import DECISIONS
from exports.rows import Names
from ledger.bundle import export_bundle
from projections import queries as q
from tests.exports.conftest import (
    TEST_SESSION,
    DemoEnv,
    fr_money,
    pdf_lines,
    raw_text,
)

ROOT = Path(__file__).resolve().parents[2]
SESSION = "COPIL-2021-11-16"  # has a superseded vote and an absent member
VOTE_HEADER = ["Membre", "Vote", "Position", "Remarque"]
SUPERSEDED = "vote remplacé par un vote ultérieur"


def _minutes(env: DemoEnv, code: str) -> tuple[list[str], dict[str, Any], Names]:
    store = env.read_model.store
    session = q.session(store, code)
    assert session is not None
    content = env.render("minutes", "pdf", session=code)
    municipality = q.plan(store)["municipality"]
    lines = pdf_lines(content, municipality, f"Procès-verbal — {session['title']}")
    return lines, session, Names.read(store)


def _between(lines: list[str], start: str, stop: str) -> list[str]:
    i = lines.index(start)
    j = next(k for k in range(i + 1, len(lines)) if lines[k].startswith(stop))
    return lines[i + 1 : j]


def _attendance(lines: list[str]) -> list[tuple[str, str, str]]:
    body = _between(lines, "Présence", "Quorum")
    return [tuple(body[i : i + 3]) for i in range(0, len(body), 3)]  # type: ignore[misc]


def _item_sections(lines: list[str]) -> dict[str, list[str]]:
    starts = [i for i, line in enumerate(lines) if line.startswith("Point n°")]
    end = lines.index("Scellement du registre")
    out = {}
    for k, i in enumerate(starts):
        code = lines[i].split(" — ")[1]
        out[code] = lines[i : starts[k + 1] if k + 1 < len(starts) else end]
    return out


def _votes(section: list[str]) -> list[tuple[str, str, int, bool]]:
    """(member, choice, position, superseded) rows of an item's vote table."""
    i = section.index("Remarque")
    rows: list[tuple[str, str, int, bool]] = []
    body = section[i + 1 :]
    k = 0
    while not body[k].startswith("Votes en vigueur"):
        if body[k : k + 4] == VOTE_HEADER:  # header repeated after a page break
            k += 4
            continue
        name, choice, position = body[k : k + 3]
        superseded = body[k + 3] == SUPERSEDED
        rows.append((name, choice, int(position), superseded))
        k += 4 if superseded else 3
    return rows


def test_minutes_list_exactly_the_attendance(demo_env: DemoEnv) -> None:
    lines, session, names = _minutes(demo_env, SESSION)
    expected = []
    for member in session["voting"] + session["non_voting"]:
        quality = (
            "membre votant"
            if member in session["voting"]
            else "membre sans voix délibérative"
        )
        if member == session["chair"]:
            quality += " — présidence"
        presence = "présence" if member in session["present"] else "absence"
        expected.append((names.person(member), quality, presence))
    assert _attendance(lines) == expected
    assert any(p == "absence" for *_, p in expected)
    quorum = next(line for line in lines if line.startswith("Quorum"))
    assert f"{session['quorum_required']} membres votants requis" in quorum
    assert f"{session['present_voting']} membres votants présents" in " ".join(
        lines[lines.index(quorum) : lines.index(quorum) + 2]
    )


def test_minutes_list_exactly_the_votes_and_decisions(demo_env: DemoEnv) -> None:
    lines, session, names = _minutes(demo_env, SESSION)
    sections = _item_sections(lines)
    assert list(sections) == session["agenda"]
    decisions = {d["proposal"]: d for d in session["decision_records"]}
    superseded = 0
    for code, section in sections.items():
        expected = [
            (
                names.person(v["member"]),
                CHOICES[v["choice"]],
                v["position"],
                not v["current"],
            )
            for v in session["vote_records"]
            if v["proposal"] == code
        ]
        assert _votes(section) == expected, code
        superseded += sum(1 for *_, s in expected if s)
        d = decisions[code]
        text = "\n".join(section)
        assert f"Décision\n{DECISIONS[d['outcome']]}\n" in text
        assert f"{d['position']} (décision enregistrée le" in text
        assert f"grille v{d['grid_version']}" in text
        tally = (
            f"Votes en vigueur : pour {d['votes_for']}, contre "
            f"{d['votes_against']}, abstention {d['abstentions']}."
        )
        assert tally in text
        if d["ap"] is not None:
            assert f"AP accordée\n{fr_money(d['ap'])}" in text
            for c in d["cp"]:
                assert f"{c['year']}\n{c['section']}\n{fr_money(c['amount'])}" in text
        if d["departs_from_majority"]:
            assert d["justification"].split(" ")[0] in text
        for crit, c in d["scores"]["criteria"].items():
            assert f"\n{crit}\n" in text
            assert f"{c['min']}–{c['max']}" in text
    assert superseded == 1  # the demo's changed vote, kept and noted
    assert len(decisions) == len(sections)


def test_minutes_use_french_typography_and_number_their_pages(
    demo_env: DemoEnv,
) -> None:
    content = demo_env.render("minutes", "pdf", session=SESSION)
    text = raw_text(content)
    assert re.search(r"\d\u202f\d{3},\d{2}", text)  # 58 320,00: narrow no-break space
    assert "16\u00a0novembre 2021" in text or "16 novembre 2021" in text
    assert "Quorum\u00a0:" in text or "Quorum :" in text
    pages = len(re.findall(r"Page \d+ / (\d+)", text))
    assert pages >= 2
    assert f"Page {pages} / {pages}" in text
    assert "Ville de Saint-Aubin-sur-Loire" in text.split("\n")


def _printed_checkpoint(lines: list[str]) -> str:
    i = lines.index("Point de contrôle signé (texte exact, à conserver) :")
    origin, size, root, signature = lines[i + 1 : i + 5]
    assert signature.startswith("— ")
    return f"{origin}\n{size}\n{root}\n\n{signature}\n"


def _verifier(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "verifier.py"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def test_minutes_print_the_checkpoint_in_force_at_closure_and_the_verifier_accepts_it(
    demo_env: DemoEnv, tmp_path: Path
) -> None:
    lines, session, _names = _minutes(demo_env, SESSION)
    note = _printed_checkpoint(lines)
    closed = session["positions"]["closed"]
    assert note.split("\n")[1] == str(closed)  # signed right after the closing event
    assert f"Taille de l'arbre\n{closed}" in "\n".join(lines)
    fingerprint = lines[lines.index("(SHA-256)") + 1]
    from exports.integrity import key_info

    assert fingerprint == key_info(demo_env.ledger)["fingerprint"]
    bundle = tmp_path / "registre.zip"
    export_bundle(demo_env.ledger, bundle)
    (tmp_path / "note.txt").write_text(note, encoding="utf-8")
    key = str(demo_env.settings.public_key_file)
    ok = _verifier(
        str(bundle), "--key", key, "--checkpoint", str(tmp_path / "note.txt")
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    forged = note.replace(f"\n{closed}\n", f"\n{closed - 1}\n")
    (tmp_path / "forged.txt").write_text(forged, encoding="utf-8")
    bad = _verifier(
        str(bundle), "--key", key, "--checkpoint", str(tmp_path / "forged.txt")
    )
    assert bad.returncode == 1, bad.stdout + bad.stderr


def test_minutes_of_the_injected_session_show_its_single_decision(
    demo_env: DemoEnv,
) -> None:
    lines, _session, _names = _minutes(demo_env, TEST_SESSION)
    assert list(_item_sections(lines)) == ["INJECT"]
    assert "Point de contrôle signé (texte exact, à conserver) :" in lines


def test_minutes_of_an_open_session_are_a_draft_without_seal(demo_env: DemoEnv) -> None:
    store = demo_env.read_model.store
    (open_session,) = [s for s in q.sessions(store) if s["status"] == "open"]
    lines, _session, _names = _minutes(demo_env, open_session["code"])
    assert "Projet de procès-verbal (séance non close)" in lines
    assert any("Pas encore de décision" in line for line in lines)
    assert not any(line.startswith("— ") for line in lines)


def test_minutes_need_a_known_session(demo_env: DemoEnv) -> None:
    with pytest.raises(MissingParameter):
        demo_env.render("minutes", "pdf")
    with pytest.raises(NotFound, match="COPIL-1999"):
        demo_env.render("minutes", "pdf", session="COPIL-1999")


def test_minutes_name_the_rules_an_approval_overrode(demo_env: DemoEnv) -> None:
    """ADS (mandatory) was approved while SIG, which it requires, was deferred: the
    minutes say so next to the chair's reason."""
    store = demo_env.read_model.store
    (d,) = q.decision_history(store, proposal="ADS", outcome="approved")
    assert [c["rule"] for c in d["conflicts"]] == ["requires"]
    lines, _session, _names = _minutes(demo_env, d["session"])
    text = "\n".join(_item_sections(lines)["ADS"])
    flat = " ".join(text.split())
    assert "Dérogation" in text
    assert "(règles enfreintes : requiert la fiche SIG (ajournée))" in flat, flat
