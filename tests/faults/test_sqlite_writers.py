"""The embedded default under faults: writer processes killed with SIGKILL in the middle
of their commands, restarted, retrying their last command with the same idempotency
key, while `sdsi serve` (two workers, each following) serves API clients. Afterwards
every acknowledged command is stored exactly once, nothing unacknowledged is stored
but the commands in flight at a kill, the views equal a rebuild and `sdsi verify`
passes (after sealing)."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests.faults.harness import (
    SDSI,
    Clients,
    check_stored,
    env_for,
    prepare,
    serve,
    verify,
    wait_caught_up,
)

WRITER = textwrap.dedent(
    """
    import json, os, sys
    from ledger.app import open_ledger
    from ledger.config import Settings
    from ledger.core import Caller
    from tests.projections.test_generated import content

    name, journal = sys.argv[1], sys.argv[2]
    acked = set()
    if os.path.exists(journal):
        acked = {json.loads(line)["key"] for line in open(journal) if line.strip()}
    led = open_ledger(Settings.from_env())
    with open(journal, "a") as out:
        n = 0
        while True:
            n += 1
            key = f"{name}-{n}"
            if key in acked:
                continue
            result = led.draft_proposal(
                Caller("ref", key=key), f"W{name}-{n}", "D", content(n, 10000 + n)
            )
            out.write(json.dumps({"key": key, "code": f"W{name}-{n}",
                                  "replayed": result.replayed}) + "\\n")
            out.flush()
            os.fsync(out.fileno())
    """
)


def test_writers_killed_mid_command_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/ledger.db"
    data = tmp_path / "data"
    prepare(data, url)
    env = env_for(data, url)
    server, base = serve(data, url, workers=2)
    clients = Clients(base, n=4).start()
    rng = random.Random(3)
    journals = {w: tmp_path / f"writer-{w}.jsonl" for w in ("a", "b", "c")}

    def start(w: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-c", WRITER, w, str(journals[w])],
            env=env,
            cwd=Path(__file__).resolve().parents[2],
            stderr=(tmp_path / f"writer-{w}.log").open("ab"),
        )

    writers = {w: start(w) for w in journals}
    started = dict.fromkeys(journals, time.monotonic())
    kills = 0
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            time.sleep(rng.uniform(0.2, 0.8))
            # a writer that had time to start (imports, opening the ledger: ~1 s)
            w = rng.choice(list(writers))
            if time.monotonic() - started[w] < 1.5:
                continue
            for other, proc in writers.items():  # none may die on its own
                assert proc.poll() is None, (
                    tmp_path / f"writer-{other}.log"
                ).read_text()[-3000:]
            writers[w].send_signal(signal.SIGKILL)
            writers[w].wait(10)
            kills += 1
            writers[w] = start(w)
            started[w] = time.monotonic()
        outcome = clients.finish()
        for proc in writers.values():
            proc.kill()
            proc.wait(10)
        wait_caught_up(data, url)  # the web workers follow the views themselves
    finally:
        clients.stop.set()
        for proc in writers.values():
            proc.kill()
            proc.wait(10)
        server.terminate()
    assert kills >= 10
    assert outcome.count(500) == 0 and not outcome.refused and not outcome.unanswered
    # the API clients' commands: stored exactly once each (harness)
    journal = [
        json.loads(line)
        for path in journals.values()
        if path.exists()
        for line in path.read_text().splitlines()
        if line.strip()
    ]
    acknowledged = {entry["code"] for entry in journal}
    assert len(acknowledged) == len(journal), "a writer acknowledged a command twice"
    # A killed writer may have committed its command without journalling it; when it
    # restarts, it sends that command again under the same key: the ledger answers
    # with the first result (``replayed``), so nothing is stored twice.
    for entry in journal:
        outcome.acknowledged[entry["key"]] = ("draft", entry["code"])
    # The last command of each writer, in flight when it was finally killed, may have
    # landed unjournalled (it would have been resent by key on a restart): that one,
    # and only that one, may be stored without an acknowledgement.
    from domain.proposals import Proposal
    from ledger.app import open_ledger
    from tests.conftest import make_settings

    led = open_ledger(make_settings(data, url))
    try:
        for w in journals:
            done = [
                int(e["key"].rsplit("-", 1)[1]) for e in journal if e["key"][0] == w
            ]
            pending = f"W{w}-{max(done, default=0) + 1}"
            if led.load(Proposal, Proposal.id_for(pending)) is not None:
                outcome.acknowledged[f"{w}-pending"] = ("draft", pending)
    finally:
        led.close()
    figures = check_stored(data, url, outcome)
    assert figures["drafts"] > 100, figures
    sealed = subprocess.run(
        [SDSI, "seal"], env=env, capture_output=True, text=True, timeout=300
    )
    assert sealed.returncode == 0, sealed.stderr
    checked = verify(data, url)
    assert checked.returncode == 0, checked.stdout + checked.stderr
