"""How long each reader takes, and how much memory it uses, on every hostile file (issue 11's "10 s and 1 GiB").

    .venv/bin/python bench/hostile.py [--repeat 3] [--memory-mib 1024]

Runs the hostile corpus (``tests/fixtures/hostile`` and the large files made
from it, see ``tests/hostile_driver.py``) through the command line, each
case in a child process capped at ``--memory-mib`` of address space, and
prints per case the exit code, the median wall-clock seconds over
``--repeat`` runs and the peak resident memory; then the slowest case and
the largest. Always exits 0: a report, not a test (the answers themselves
are asserted by ``tests/hostile/test_hostile_corpus.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DRIVER = ROOT / "tests" / "hostile_driver.py"
TARGET_SECONDS, TARGET_MIB = 10.0, 1024


def _once(memory_mib: int) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="spofdrill-hostile-") as tmp:
        env = {**os.environ, "SPOFDRILL_DATA_DIR": str(Path(tmp) / "data")}
        proc = subprocess.run([sys.executable, str(DRIVER), "--corpus", tmp, "--memory-mib", str(memory_mib)],
                              capture_output=True, text=True, env=env, check=False)
    if proc.returncode:
        sys.exit(f"the driver failed:\n{proc.stderr[-3000:]}")
    return [json.loads(line) for line in proc.stdout.splitlines()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of the whole corpus (default 3; medians are shown)")
    parser.add_argument("--memory-mib", type=int, default=TARGET_MIB, help="address-space cap of each case (default 1024)")
    args = parser.parse_args(argv)
    runs = [_once(args.memory_mib) for _ in range(max(1, args.repeat))]
    names = [report["name"] for report in runs[0]]
    rows = []
    for index, name in enumerate(names):
        reports = [run[index] for run in runs]
        seconds = statistics.median(r["seconds"] for r in reports)
        peak = max(r["peak_mib"] for r in reports)
        codes = sorted({str(r["code"]) if not r["hung"] else "hung" for r in reports})
        rows.append((name, "/".join(codes), seconds, peak))
    width = max(len(name) for name in names)
    print(f"{'case':<{width}}  exit  seconds (median of {len(runs)})  peak MiB")
    for name, code, seconds, peak in rows:
        print(f"{name:<{width}}  {code:>4}  {seconds:>22.2f}  {peak:>8.0f}")
    slowest = max(rows, key=lambda row: row[2])
    largest = max(rows, key=lambda row: row[3])
    print()
    print(f"cases: {len(rows)}; median {statistics.median(r[2] for r in rows):.2f} s; "
          f"slowest {slowest[0]} {slowest[2]:.2f} s; largest {largest[0]} {largest[3]:.0f} MiB")
    met = slowest[2] <= TARGET_SECONDS and largest[3] <= TARGET_MIB and all(r[1] not in ("None", "hung") for r in rows)
    print(f"target: every case answered within {TARGET_SECONDS:g} s and {TARGET_MIB} MiB: "
          f"{'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
