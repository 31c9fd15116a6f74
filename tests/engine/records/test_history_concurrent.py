"""Creating the drill history from several processes at once (issue 11, item 9).

Real processes, not threads: each one imports the history module, signals it
is ready, waits for a "go" file, then opens a fresh ``history.sqlite3`` that
none of them created yet and records one run. Every open must succeed and
every run must be stored.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from support import ROOT

PROCESSES = 8
ROUNDS = 3

_CHILD = r"""
import os, sys, time
from pathlib import Path
from engine.records.history import History

path, ready, go, index = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
ready.touch()
deadline = time.monotonic() + 30
while not go.exists():
    if time.monotonic() > deadline:
        print("never told to go", flush=True)
        sys.exit(3)
    time.sleep(0.0005)
history, problem = History.open_safely(path)
if history is None:
    print(f"open failed: {problem}", flush=True)
    sys.exit(1)
try:
    history.record(trainee=f"p{index}", scenario="lb-failover", seed=index, score=50.0 + index, grade="C",
                   passed=True, breakdown={"i": index}, tags=["spof"])
except Exception as exc:
    print(f"record failed: {type(exc).__name__}: {exc}", flush=True)
    sys.exit(2)
finally:
    history.close()
print("ok", flush=True)
"""


def _race(folder: Path) -> tuple[Path, list[tuple[int, str]]]:
    """Start the processes, release them together, return the file and each one's (exit code, output)."""
    folder.mkdir()
    path = folder / "data" / "history.sqlite3"
    go = folder / "go"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    children = []
    for index in range(PROCESSES):
        ready = folder / f"ready-{index}"
        children.append((ready, subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(path), str(ready), str(go), str(index)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)))
    deadline = time.monotonic() + 30
    while not all(ready.exists() for ready, _ in children):
        assert time.monotonic() < deadline, "the processes did not start"
        assert all(child.poll() is None for _, child in children), [c.communicate()[0] for _, c in children]
        time.sleep(0.005)
    go.touch()
    results = []
    for _, child in children:
        out, _ = child.communicate(timeout=60)
        results.append((child.returncode, out.strip()))
    return path, results


def test_processes_creating_the_history_at_once_all_open_it_and_all_record(tmp_path):
    failures = []
    for round_ in range(ROUNDS):
        path, results = _race(tmp_path / f"round-{round_}")
        failures += [f"round {round_}: {out}" for code, out in results if code != 0]
        if path.exists():
            conn = sqlite3.connect(path)
            try:
                rows = conn.execute("SELECT trainee FROM runs ORDER BY trainee").fetchall()
                version = conn.execute("PRAGMA user_version").fetchone()[0]
            finally:
                conn.close()
            assert version == 1
            if not failures:
                assert sorted(r[0] for r in rows) == sorted(f"p{i}" for i in range(PROCESSES))
    assert not failures, f"{len(failures)} of {ROUNDS * PROCESSES} processes failed:\n" + "\n".join(failures)
