"""Same scenario + seed + actions => the same run, byte for byte, however the driver slices time.

* two runs of every built-in scenario's reference solution give identical journals,
  also in fresh interpreters with different ``PYTHONHASHSEED`` (no set-order leaks);
* another seed moves the random fault times (at least one scenario's journal changes);
* golden journals (seed 7, reference solution) pin the behaviour: see tests/golden/README.md,
  refresh with ``SPOFDRILL_UPDATE_GOLDEN=1``;
* running in 0.1 s slices, 7 s slices or one shot gives the same journal and outcome.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import subprocess
import sys

import pytest

from support import (
    GOLDEN_DIR,
    GOLDEN_SEED,
    ROOT,
    UPDATE_GOLDEN_ENV,
    builtin_names,
    has_random_fault_times,
    load_builtin,
    reference_journal,
    run_sliced,
)

NAMES = builtin_names()


def test_there_are_builtin_scenarios():
    assert NAMES, "no scenarios/*.yaml found"


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_journal(name):
    scenario = load_builtin(name)
    first = reference_journal(scenario, GOLDEN_SEED)
    second = reference_journal(load_builtin(name), GOLDEN_SEED)
    assert first, "the journal is empty"
    assert first == second, f"{name}: two runs with seed {GOLDEN_SEED} gave different journals"


_DIGESTS = r"""
import hashlib, json, sys
sys.path.insert(0, "tests")
from support import builtin_names, load_builtin, reference_journal
print(json.dumps({n: hashlib.sha256(reference_journal(load_builtin(n), %d).encode()).hexdigest() for n in builtin_names()}))
"""


def test_same_journal_across_interpreters_and_hash_seeds():
    """Set iteration order depends on PYTHONHASHSEED; a journal must not."""
    here = {n: hashlib.sha256(reference_journal(load_builtin(n), GOLDEN_SEED).encode()).hexdigest() for n in NAMES}
    for hash_seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        proc = subprocess.run(
            [sys.executable, "-c", _DIGESTS % GOLDEN_SEED], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert proc.returncode == 0, proc.stderr
        there = json.loads(proc.stdout.strip().splitlines()[-1])
        assert there == here, f"journals differ with PYTHONHASHSEED={hash_seed}: {sorted(k for k in here if here[k] != there.get(k))}"


def test_another_seed_changes_random_fault_times():
    randomised = [n for n in NAMES if has_random_fault_times(load_builtin(n))]
    if not randomised:
        pytest.skip("no built-in scenario has a fault at a random time")
    differing = [
        n for n in randomised if reference_journal(load_builtin(n), GOLDEN_SEED) != reference_journal(load_builtin(n), GOLDEN_SEED + 1)
    ]
    assert differing, f"seeds {GOLDEN_SEED} and {GOLDEN_SEED + 1} gave identical journals for every one of {randomised}"


@pytest.mark.parametrize("name", NAMES)
def test_golden_journal(name):
    path = GOLDEN_DIR / f"{name}.jsonl"
    actual = reference_journal(load_builtin(name), GOLDEN_SEED).encode("utf-8")
    if os.environ.get(UPDATE_GOLDEN_ENV) == "1":
        GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual)
        return
    if not path.exists():
        pytest.fail(
            f"no golden journal {path.relative_to(ROOT)} for scenario '{name}'; create it with\n"
            f"    {UPDATE_GOLDEN_ENV}=1 .venv/bin/pytest tests/test_determinism.py -k golden\n"
            "then read it and commit it (see tests/golden/README.md)"
        )
    expected = path.read_bytes()
    if actual != expected:
        old, new = expected.decode("utf-8").splitlines(), actual.decode("utf-8").splitlines()
        first = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new)))
        pytest.fail(
            f"the journal of '{name}' (seed {GOLDEN_SEED}, reference solution) no longer matches "
            f"{path.relative_to(ROOT)}: first difference at line {first + 1}\n"
            f"  golden: {old[first] if first < len(old) else '<end of file>'}\n"
            f"  now:    {new[first] if first < len(new) else '<end of journal>'}\n"
            f"({len(old)} lines golden, {len(new)} now). If the change is intended, refresh with "
            f"{UPDATE_GOLDEN_ENV}=1 and review the diff."
        )


def _same_outcome(a, b) -> list[str]:
    """Fields of two outcomes that differ (floats compared exactly: the engine is deterministic)."""
    diffs = []
    for field in dataclasses.fields(a):
        x, y = getattr(a, field.name), getattr(b, field.name)
        same = x == y or (isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y))
        if not same:
            diffs.append(f"{field.name}: {x!r} != {y!r}")
    return diffs


def _slicing_differences(name: str, step: float) -> list[str]:
    """How running ``name`` in ``step``-second slices differs from one shot (empty: not at all)."""
    scenario = load_builtin(name)
    whole = run_sliced(scenario, GOLDEN_SEED, None)
    sliced = run_sliced(scenario, GOLDEN_SEED, step)
    out = []
    if not sliced.now == whole.now == scenario.duration:
        out.append(f"{name}: ended at {sliced.now!r} sliced, {whole.now!r} one shot, duration {scenario.duration!r}")
    a, b = whole.journal.to_jsonl().splitlines(), sliced.journal.to_jsonl().splitlines()
    if a != b:
        first = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        out.append(
            f"{name}: slices of {step:g} s change the journal at line {first + 1}:\n"
            f"  one shot: {a[first] if first < len(a) else '<end>'}\n"
            f"  sliced:   {b[first] if first < len(b) else '<end>'}"
        )
    diffs = _same_outcome(whole.outcome(), sliced.outcome())
    if diffs:
        out.append(f"{name}: slices of {step:g} s change the outcome: " + "; ".join(diffs))
    return out


@pytest.mark.parametrize("name", NAMES)
def test_slicing_on_tick_boundaries_does_not_change_the_run(name):
    """7 s slices (a multiple of the 0.5 s engine tick) and one shot give the same run."""
    problems = _slicing_differences(name, 7.0)
    assert not problems, "\n".join(problems)


def test_slicing_at_the_console_rate_does_not_change_the_run():
    """0.1 s slices (what a 10 Hz console does) and one shot give the same run, for every scenario."""
    problems = [p for name in NAMES for p in _slicing_differences(name, 0.1)]
    assert not problems, "\n".join(problems)
