"""Feed hostile files to spofdrill's readers under a hard memory limit: the corpus test's and the benchmark's driver.

    python tests/hostile_driver.py CASES.json [--memory-mib 1024] [--hang-seconds 120]

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
import signal
import sys
import time
import traceback
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import engine.cli.main  # noqa: E402  (imported before forking: each child starts warm)
import tui.main  # noqa: E402,F401
import tui.playback  # noqa: E402,F401

TAIL = 4000


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
    parser.add_argument("cases", type=Path)
    parser.add_argument("--memory-mib", type=int, default=1024)
    parser.add_argument("--hang-seconds", type=float, default=120.0)
    args = parser.parse_args(argv)
    for case in json.loads(args.cases.read_text(encoding="utf-8")):
        print(json.dumps(run_case(case["name"], case["argv"], args.memory_mib, args.hang_seconds)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
