"""Feed hostile files to spofdrill's readers under a hard memory limit: the corpus test's and the benchmark's driver.

    python tests/hostile_driver.py CASES.json [--memory-mib 1024] [--hang-seconds 120]
    python tests/hostile_driver.py --corpus WORKDIR [...]   # the whole corpus, built in WORKDIR

``CASES.json`` is a list of ``{"name": ..., "argv": [...]}``; ``argv`` is a
command line of ``spofdrill`` (``["verify", "x.json"]``, ``["replay",
"x.jsonl"]``). The driver imports spofdrill once, then forks a child per
case: the child caps its address space at ``--memory-mib`` (``RLIMIT_AS``:
an allocation past it fails, as it would on a machine with that much
memory), runs the command as ``spofdrill`` would, and reports. Printed, one
JSON object per case: ``name``, ``code`` (the exit code, or null when the
child crashed), ``out``, ``err`` (the last 4,000 characters), ``seconds``
(wall clock) and ``peak_mib`` (the child's peak resident memory, from
``wait4``). A child still running after ``--hang-seconds`` is killed and
reported as hung: a guard against hangs, not a timing assertion.

Not a test (pytest collects ``test_*.py`` only).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import signal
import sys
import time
import traceback
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import engine.cli.main  # noqa: E402,F401  (imported before forking: each child starts warm)
import tui.main  # noqa: E402,F401
import tui.playback  # noqa: E402,F401

TAIL = 4000
ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "fixtures" / "hostile"
GENERATED = ("gen-actions-6-mb", "gen-validate-actions-6-mb", "gen-scenario-padded", "gen-journal-huge",
             "gen-journal-huge-replay", "gen-bundle-huge")


def _cases() -> list[dict]:
    cases = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
    for index, case in enumerate(cases):
        case["name"] = f"{index:02d}-{case['run'][0]}-{Path(case['file']).name}"
        case["exit"] = case["exit"] if isinstance(case["exit"], list) else [case["exit"]]
    return cases


def _generated(folder: Path) -> list[dict]:
    """Files too large for git, made from valid ones: each past its size limit by a little."""
    from engine.util.limits import MAX_ACTIONS_BYTES, MAX_BUNDLE_BYTES, MAX_JOURNAL_BYTES, MAX_SCENARIO_BYTES

    scenario = (ROOT / "scenarios" / "lb-failover.yaml").read_text(encoding="utf-8")
    big_actions = folder / "actions-6-mb.yaml"
    step = "  - {at: 100, command: ack, target: 'InstanceDown:lb-1'}\n"
    big_actions.write_text("name: big\nsteps:\n" + step * (6 * 1024 * 1024 // len(step)), encoding="utf-8")
    big_scenario = folder / "scenario-padded.yaml"
    big_scenario.write_text(scenario + "#" + "x" * MAX_SCENARIO_BYTES + "\n", encoding="utf-8")
    journal = folder / "journal-huge.jsonl"
    shutil.copy(CORPUS / "journal-other-seed.jsonl", journal)
    header = json.loads((CORPUS / "journal-args-a-number.drill.json").read_text(encoding="utf-8"))
    (folder / "journal-huge.drill.json").write_text(json.dumps(header), encoding="utf-8")
    with open(journal, "ab") as handle:
        line = b'{"seq":99,"t":599,"type":"LogLine","visible":true,"text":"' + b"x" * 1_000_000 + b'"}\n'
        for _ in range(MAX_JOURNAL_BYTES // len(line) + 1):
            handle.write(line)
    bundle = folder / "bundle-huge.json"
    with open(bundle, "wb") as handle:
        handle.write(b'{"format": 1, "padding": "')
        handle.write(b"x" * (MAX_BUNDLE_BYTES + 1))
        handle.write(b'"}\n')
    assert big_actions.stat().st_size > MAX_ACTIONS_BYTES
    return [
        {"name": "gen-actions-6-mb", "file": str(big_actions), "run": ["run", "lb-failover", "--no-par", "--actions", "{file}"],
         "exit": [2], "words": ["limit", "MiB"]},
        {"name": "gen-validate-actions-6-mb", "file": str(big_actions), "run": ["validate", "{file}"], "exit": [1],
         "words": ["limit", "MiB"]},
        {"name": "gen-scenario-padded", "file": str(big_scenario), "run": ["run", "{file}", "--no-par"], "exit": [2],
         "words": ["limit", "MiB"]},
        {"name": "gen-journal-huge", "file": str(journal), "run": ["postmortem", "{file}"], "exit": [2],
         "words": ["limit", "MiB"]},
        {"name": "gen-journal-huge-replay", "file": str(journal), "run": ["replay", "{file}"], "exit": [2],
         "words": ["limit", "MiB"]},
        {"name": "gen-bundle-huge", "file": str(bundle), "run": ["verify", "{file}"], "exit": [2], "words": ["limit", "MiB"]},
    ]


def case_names() -> list[str]:
    """The names of every case, in order, without making any file."""
    return [case["name"] for case in _cases()] + list(GENERATED)


def build_cases(folder: Path) -> list[dict]:
    """Every case, ready to run: the corpus copied into ``folder``, the large files made there, argv filled in."""
    shutil.copytree(CORPUS, folder / "corpus")
    corpus = folder / "corpus"
    cases = _cases() + _generated(folder)
    assert [c["name"] for c in cases] == case_names()
    for case in cases:
        path = case["file"] if case["file"].startswith("/") else str(corpus / case["file"])
        case["path"] = path
        case["argv"] = [part.replace("{file}", path).replace("{dir}", str(corpus)) for part in case["run"]]
    return cases




def _run(argv: list[str]) -> tuple[int | None, str, str]:
    """Run one command line as the ``spofdrill`` entry point does; (code, out, err), code None when it raised."""
    out, err = io.StringIO(), io.StringIO()
    code: int | None
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = tui.main.main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        except BaseException:  # noqa: BLE001 - the point: report what escaped, with its traceback
            traceback.print_exc(file=err)
            code = None
    return code, out.getvalue(), err.getvalue()


def _child(argv: list[str], memory_mib: int, write_fd: int) -> None:
    limit = memory_mib * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    code, out, err = _run(argv)
    report = json.dumps({"code": code, "out": out[-TAIL:], "err": err[-TAIL:]}).encode("utf-8")
    with os.fdopen(write_fd, "wb") as pipe:
        pipe.write(report)
    os._exit(0)


def run_case(name: str, argv: list[str], memory_mib: int, hang_seconds: float) -> dict:
    """Run one case in a forked child; its report with the time and the peak memory."""
    read_fd, write_fd = os.pipe()
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_fd)
        try:
            _child(argv, memory_mib, write_fd)
        finally:
            os._exit(3)
    os.close(write_fd)
    chunks: list[bytes] = []
    deadline = start + hang_seconds
    hung = False
    with os.fdopen(read_fd, "rb") as pipe:
        os.set_blocking(pipe.fileno(), False)
        while True:
            done, status, usage = os.wait4(pid, os.WNOHANG)
            try:
                chunk = pipe.read()
            except BlockingIOError:
                chunk = None
            if chunk:
                chunks.append(chunk)
            if done:
                rest = pipe.read()
                if rest:
                    chunks.append(rest)
                break
            if time.perf_counter() > deadline:
                os.kill(pid, signal.SIGKILL)
                _, status, usage = os.wait4(pid, 0)
                hung = True
                break
            time.sleep(0.01)
    seconds = time.perf_counter() - start
    result = {"name": name, "code": None, "out": "", "err": "", "seconds": round(seconds, 3),
              "peak_mib": round(usage.ru_maxrss / 1024, 1), "hung": hung}
    if chunks:
        try:
            result.update(json.loads(b"".join(chunks)))
        except ValueError:
            result["err"] = "the child's report was cut short"
    elif not hung:
        result["err"] = f"the child died (status {status}) without a report: out of memory?"
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", type=Path, nargs="?", help="a JSON list of {name, argv}")
    parser.add_argument("--corpus", type=Path, metavar="WORKDIR", help="run the whole hostile corpus, built in WORKDIR")
    parser.add_argument("--memory-mib", type=int, default=1024)
    parser.add_argument("--hang-seconds", type=float, default=120.0)
    args = parser.parse_args(argv)
    if args.corpus is not None:
        cases = build_cases(args.corpus)
    elif args.cases is not None:
        cases = json.loads(args.cases.read_text(encoding="utf-8"))
    else:
        parser.error("give CASES.json or --corpus WORKDIR")
    for case in cases:
        print(json.dumps(run_case(case["name"], case["argv"], args.memory_mib, args.hang_seconds)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
