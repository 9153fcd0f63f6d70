"""Free text flagged as naming persons (issue 19 part 3, ``docs/privacy.md``): a
discussion comment whose author names persons (their logins) is sealed under their
keys; erasing any one of them turns it into « personne effacée » in the views, in
every process's cached past views (``asof-*.db``), after a rebuild — while the seals,
``sdsi verify`` and the standalone verifier pass and the text is nowhere in the
database files, the views or the bundle. Unflagged text stays as it was. Both
backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from domain.accounts import Account
from domain.errors import AccountErased, InvalidValue
from domain.personal import ERASED, Personal
from ledger.bundle import export_bundle
from ledger.core import Caller
from ledger.keys import ensure_signing_key
from ledger.personal_keys import TABLE
from ledger.sealing import Sealer
from projections import queries as q
from projections.erasure import erase_person
from projections.service import ReadModel, past_views_root
from tests.conftest import ADMIN
from tests.ledger import test_erasure as erasure_tests
from tests.ledger.integrity_helpers import sdsi_verify, verifier_report
from tests.ledger.test_discussion_commands import _world
from tests.ledger.test_erasure import (
    ERASE,
    bundle_bytes,
    database_bytes,
    leaks,
    view_dump,
)

views = erasure_tests.views  # the same fixtures
key_ledger = erasure_tests.key_ledger

NAMING = "Mme Zoé Lefèvre-Ünal a signalé le défaut du serveur"
NAMING_EDIT = "Mme Zoé Lefèvre-Ünal et M. Yves Témoin ont validé le correctif"
BOTH = "Réponse à Zoé Lefèvre-Ünal et Yves Témoin, service informatique"
PLAIN = "Le serveur de fichiers est à remplacer en 2026"
SECRETS = ["Zoé Lefèvre-Ünal", NAMING, NAMING_EDIT, BOTH]


def _threads(views: Any) -> dict[str, Any]:
    """Every comment and reply of proposal P1, by id."""
    out = {}
    for thread in q.discussion(views.store, "proposal", "P1", internal=True):
        out[thread["id"]] = thread
        for reply in thread["replies"]:
            out[reply["id"]] = reply
    return out


def _cache_bytes(settings: Any) -> bytes:
    return b"".join(
        p.read_bytes() for p in sorted(past_views_root(settings).rglob("asof-*.db*"))
    )


def test_a_flagged_text_is_erased_with_any_person_it_names_and_the_seals_hold(
    ledger: Any, settings: Any, database_url: str, views: Any, tmp_path: Path
) -> None:
    ensure_signing_key(settings)
    _world(ledger)
    ledger.add_user(ADMIN, "zoe", "Zoé Lefèvre-Ünal", "zoe-password-1")
    ledger.add_user(ADMIN, "yves", "Yves Témoin", "yves-password-1")
    ref, dsi = Caller("ref"), Caller("dsi")
    flagged = ledger.post_comment(ref, "proposal", "P1", body=NAMING, names=["zoe"])
    plain = ledger.post_comment(ref, "proposal", "P1", body=PLAIN)
    both = ledger.reply_to_comment(
        dsi, "proposal", "P1", plain["id"], body=BOTH, names="zoe, yves"
    )
    # an edit without names keeps the flag; naming both seals under both keys
    ledger.edit_comment(ref, "proposal", "P1", flagged["id"], body=NAMING + ".")
    edited = ledger.edit_comment(
        ref, "proposal", "P1", flagged["id"], body=NAMING_EDIT, names=["zoe", "yves"]
    )
    assert (flagged["names_flagged"], both["names_flagged"]) == (1, 2)
    assert (edited["names_flagged"], edited["edits"]) == (2, 2)
    stored = b"".join(e.state for e in ledger.recorder.select_notifications(1, 500))
    assert leaks(stored, SECRETS) == []  # the log only ever held ciphertext
    assert PLAIN.encode() in stored  # unflagged text is in clear, as before
    Sealer(ledger, every_events=2).checkpoint_now()
    views.projector().catch_up()
    before = _threads(views)
    assert (before[flagged["id"]]["body"], before[both["id"]]["body"]) == (
        NAMING_EDIT, BOTH,
    )  # fmt: skip
    assert [v["body"] for v in before[flagged["id"]]["history"]] == [
        NAMING, NAMING + ".",
    ]  # fmt: skip
    assert before[flagged["id"]]["names_flagged"] == 2
    # another process's past view, cached on disk, holds the text before erasure
    other = ReadModel(ledger, settings)
    try:
        past = other.at(f"position:{ledger.head() - 1}")
        assert leaks(view_dump(past).encode(), [NAMING]) == [NAMING]  # a view…
        assert leaks(_cache_bytes(settings), [BOTH]) != []  # …and so does its file

        erase_person(ledger, views, ERASE, "yves", catch_up=True)
        assert _cache_bytes(settings) == b""  # every process's cache deleted
        after = _threads(views)
        assert [
            after[flagged["id"]]["body"],
            *[v["body"] for v in after[flagged["id"]]["history"]],
            after[both["id"]]["body"],
            after[plain["id"]]["body"],
        ] == [ERASED, NAMING, NAMING + ".", ERASED, PLAIN]  # zoe's alone stay
        # the other process replays once it sees the erasure: no erased text
        again = other.at(f"position:{ledger.head() - 2}")
        assert leaks(view_dump(again).encode(), [BOTH, NAMING_EDIT]) == []
    finally:
        other.close()

    erase_person(ledger, views, ERASE, "zoe", catch_up=True)
    Sealer(ledger, every_events=2).checkpoint_now()
    after = _threads(views)
    assert [v["body"] for v in after[flagged["id"]]["history"]] == [ERASED, ERASED]
    assert after[plain["id"]]["body"] == PLAIN
    assert leaks(view_dump(views.store).encode(), SECRETS) == []
    assert leaks(database_bytes(settings), SECRETS) == []
    assert leaks(_cache_bytes(settings), SECRETS) == []
    code, verified = sdsi_verify(settings, database_url)
    assert (code, verified["ok"]) == (0, True), verified
    bundle = tmp_path / "bundle"
    export_bundle(ledger, bundle)
    assert leaks(bundle_bytes(bundle), SECRETS) == []
    code, theirs = verifier_report(bundle, settings.public_key_file)
    assert (code, theirs["ok"]) == (0, True), theirs
    views.projector().rebuild()  # from event 1: ciphertext without its keys
    rebuilt = _threads(views)
    assert [rebuilt[c]["body"] for c in (flagged["id"], both["id"], plain["id"])] == [
        ERASED, ERASED, PLAIN,
    ]  # fmt: skip
    assert leaks(view_dump(views.store).encode(), SECRETS) == []


def test_naming_an_unknown_or_erased_person_is_refused_and_writes_nothing(
    ledger: Any, views: Any
) -> None:
    _world(ledger)
    ledger.add_user(ADMIN, "zoe", "Zoé Lefèvre-Ünal", "zoe-password-1")
    ref = Caller("ref")
    comment = ledger.post_comment(ref, "proposal", "P1", body=NAMING, names=["zoe"])
    head = ledger.head()
    with pytest.raises(InvalidValue) as unknown:
        ledger.post_comment(ref, "proposal", "P1", body="x", names=["inconnu"])
    assert (unknown.value.field, unknown.value.code) == ("names", "invalid_value")
    assert "aucun compte de cet identifiant" in str(unknown.value)
    with pytest.raises(InvalidValue) as shape:
        ledger.post_comment(ref, "proposal", "P1", body="x", names=[3])
    assert shape.value.field == "names"
    assert ledger.head() == head
    erase_person(ledger, views, ERASE, "zoe", catch_up=True)
    head = ledger.head()
    with pytest.raises(AccountErased):
        ledger.post_comment(ref, "proposal", "P1", body="x", names=["zoe"])
    with pytest.raises(InvalidValue) as gone:  # the old flag cannot be kept
        ledger.edit_comment(ref, "proposal", "P1", comment["id"], body="Nouveau.")
    assert gone.value.field == "names"
    assert ledger.head() == head
    # stating the persons anew (none) writes the new text in clear
    ledger.edit_comment(ref, "proposal", "P1", comment["id"], body="Nouveau.", names=[])
    views.projector().catch_up()
    shown = _threads(views)[comment["id"]]
    assert (shown["body"], shown["names_flagged"]) == ("Nouveau.", 0)
    assert [v["body"] for v in shown["history"]] == [ERASED]


@given(
    text=st.text(min_size=1, max_size=200),
    count=st.integers(min_value=1, max_value=4),
    erased=st.sets(st.integers(min_value=0, max_value=3)),
)
@hsettings(max_examples=40, deadline=None)
def test_a_text_naming_several_persons_reads_only_while_all_their_keys_exist(
    key_ledger: Any, text: str, count: int, erased: set[int]
) -> None:
    transcoder = key_ledger.mapper.transcoder
    subjects = [uuid4() for _ in range(count)]
    value = Personal(subjects[0], text, also=tuple(subjects[1:]))
    blob = transcoder.encode(value)
    decoded = transcoder.decode(blob)
    assert (decoded.text, decoded.subjects, decoded.erased) == (
        text, tuple(subjects), False,
    )  # fmt: skip
    gone = sorted(i for i in erased if i < count)
    for i in gone:
        key_ledger.storage.execute(
            f"UPDATE {{t:{TABLE}}} SET data_key = NULL, erased_at = ?"
            " WHERE subject = ?",
            ("2026-01-01T00:00:00+00:00", str(subjects[i])),
        )
    decoded = transcoder.decode(blob)
    assert (decoded.erased, decoded.shown) == (
        (True, ERASED) if gone else (False, text)
    )
    assert decoded.subjects == tuple(subjects)
    assert all(isinstance(s, UUID) for s in decoded.subjects)
    assert Account.id_for("x") != subjects[0]
