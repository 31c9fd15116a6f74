"""Console benchmark: the real ``spofdrill`` in a pseudo-terminal, measured from outside.

Three figures, each the median of several repetitions (with min-max spread):

* **CPU at 1x / 10x**: the share of one core the console uses while a drill
  runs (the child's ``utime + stime`` from ``/proc/PID/stat`` over a window of
  wall time after the clock started). Target: at most 10 % at 1x.
* **key -> visible change at 10x**: ``space`` (pause, then resume) is sent
  and the time until the terminal output shows the clock bar's new state
  (``⏸ paused`` / ``▶ 10×``) is measured; p50 and p95 over all presses.
  Target: p95 at most 50 ms.
* **picker on screen**: from spawning ``spofdrill`` (no arguments, an empty
  data folder) until the picker's table shows a scenario. Target: at most 1 s.

The console runs in a 160x48 pty with ``TERM=xterm-256color``; its output is
read continuously (so it never blocks on a full pty) and searched with the
escape sequences stripped. Child processes and temporary data folders are
removed whatever happens. Like ``bench/run.py`` this is a report, not a test:
it prints figures and exits 0 (2 when the console could not be driven).

    .venv/bin/python bench/console.py                 # 3 repetitions, 20 s windows
    .venv/bin/python bench/console.py --quick         # 1 repetition, 5 s windows
    .venv/bin/python bench/console.py --scenario lb-failover --seconds 30 --repeat 5
"""

from __future__ import annotations

import argparse
import compileall
import fcntl
import os
import platform
import random
import re
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLUMNS, ROWS = 160, 48
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# CSI (ESC [ ... final), OSC (ESC ] ... BEL/ST), and two-character escapes.
ANSI = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
PAUSED = "⏸ paused".encode()
RUNNING_10X = "▶ 10×".encode()
DRILL_UP = "⏱".encode()
BRIEFING_UP = b"Start"
PICKER_UP = b"A whole region goes dark"  # a row of the picker's table (region-outage)

TARGET_CPU_1X = 10.0
TARGET_KEY_P95 = 50.0
TARGET_PICKER = 1.0


class ConsoleError(RuntimeError):
    """The console did not show what was expected in time."""


class Console:
    """One ``spofdrill`` process on a pty: write keys, read (and keep reading) its output."""

    def __init__(self, args: list[str], data_dir: Path) -> None:
        env = dict(os.environ)
        env.update(TERM="xterm-256color", COLUMNS=str(COLUMNS), LINES=str(ROWS), SPOFDRILL_DATA_DIR=str(data_dir),
                   TEXTUAL_ANIMATIONS="none")
        env.pop("TEXTUAL", None)  # no devtools
        # as an installed console starts: from compiled bytecode (pip writes it at install; see compile_sources)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        self.master = master
        self.started = time.perf_counter()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tui.main", *args], stdin=slave, stdout=slave, stderr=slave, env=env,
                cwd=ROOT, start_new_session=True, close_fds=True,
            )
        finally:
            os.close(slave)
        self.text = bytearray()  # output with escapes stripped, since the last mark()
        self._raw_tail = b""  # an escape sequence cut by a read

    # ------------------------------------------------------------------ output

    def pump(self, timeout: float) -> bool:
        """Read whatever arrives within ``timeout`` seconds; False when the child closed the pty."""
        ready, _, _ = select.select([self.master], [], [], max(0.0, timeout))
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: the child is gone
            return False
        if not chunk:
            return False
        data = self._raw_tail + chunk
        # keep an unfinished escape sequence for the next read
        cut = data.rfind(b"\x1b")
        if cut != -1 and len(data) - cut < 64 and not ANSI.match(data, cut):
            data, self._raw_tail = data[:cut], data[cut:]
        else:
            self._raw_tail = b""
        self.text += ANSI.sub(b"", data)
        return True

    def drain(self, seconds: float = 0.0) -> None:
        """Read (and forget) output for ``seconds``, then whatever is already waiting."""
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            self.pump(end - time.perf_counter())
        while select.select([self.master], [], [], 0)[0]:
            if not self.pump(0):
                break
        self.mark()

    def mark(self) -> None:
        self.text.clear()

    def wait_for(self, needle: bytes, timeout: float) -> float:
        """Seconds until ``needle`` appears in the output since the last mark (raises on timeout)."""
        start = time.perf_counter()
        end = start + timeout
        while needle not in self.text:
            left = end - time.perf_counter()
            if left <= 0 or self.proc.poll() is not None:
                raise ConsoleError(f"{needle.decode(errors='replace')!r} not shown within {timeout:g} s")
            if not self.pump(min(left, 0.05)):
                raise ConsoleError("the console exited")
        return time.perf_counter() - start

    def keep_reading(self, seconds: float) -> None:
        """Read output for ``seconds`` without looking at it (the pty must never fill up)."""
        end = time.perf_counter() + seconds
        while (left := end - time.perf_counter()) > 0:
            self.pump(min(left, 0.1))
            if len(self.text) > 1 << 20:
                self.mark()

    def send(self, keys: bytes) -> None:
        os.write(self.master, keys)

    # ------------------------------------------------------------------ cpu

    def cpu_seconds(self) -> float:
        """The child's user + system CPU seconds so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # fields 14 and 15 of stat(5)

    # ------------------------------------------------------------------ the end

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=3)
        try:
            os.close(self.master)
        except OSError:
            pass


@contextmanager
def console(args: list[str]):
    """A console on a fresh data folder; both removed on the way out."""
    data_dir = Path(tempfile.mkdtemp(prefix="spofdrill-bench-"))
    con = None
    try:
        con = Console(args, data_dir)
        yield con
    finally:
        if con is not None:
            con.close()
        shutil.rmtree(data_dir, ignore_errors=True)


def start_drill(con: Console, speed_key: bytes) -> None:
    """Through the briefing to a running drill at the speed ``speed_key`` chooses."""
    con.wait_for(BRIEFING_UP, 30)
    con.drain(0.3)
    con.send(b"\r")
    con.wait_for(DRILL_UP, 15)
    con.drain(1.0)  # the first frames and the first layout
    con.send(speed_key)
    con.drain(1.0)


# --------------------------------------------------------------------------- measurements


def measure_cpu(scenario: str, seed: int, speed_key: bytes, seconds: float) -> float:
    """Percent of one core over ``seconds`` of a running drill."""
    with console(["drill", scenario, "--seed", str(seed)]) as con:
        start_drill(con, speed_key)
        cpu0, wall0 = con.cpu_seconds(), time.perf_counter()
        con.keep_reading(seconds)
        cpu1, wall1 = con.cpu_seconds(), time.perf_counter()
        if con.proc.poll() is not None:
            raise ConsoleError("the console exited during the measurement")
        return 100.0 * (cpu1 - cpu0) / (wall1 - wall0)


def measure_keys(scenario: str, seed: int, presses: int, rng: random.Random) -> list[float]:
    """Milliseconds from ``space`` to the clock bar's new state, at 10x."""
    out = []
    with console(["drill", scenario, "--seed", str(seed)]) as con:
        start_drill(con, b"4")
        paused = False
        for _ in range(presses):
            con.drain(rng.uniform(0.08, 0.25))  # not in step with the console's timer
            start = time.perf_counter()
            con.send(b" ")
            paused = not paused
            con.wait_for(PAUSED if paused else RUNNING_10X, 5)
            out.append(1000.0 * (time.perf_counter() - start))
    return out


def measure_picker() -> float:
    """Seconds from spawn until the picker lists a scenario."""
    with console([]) as con:
        con.wait_for(PICKER_UP, 30)
        return time.perf_counter() - con.started


# --------------------------------------------------------------------------- report


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def spread(values: list[float], fmt: str) -> str:
    return f"median {fmt.format(statistics.median(values))}  (min {fmt.format(min(values))}, max {fmt.format(max(values))}, n={len(values)})"


def verdict(value: float, target: float, unit: str) -> str:
    return f"met (<= {target:g} {unit})" if value <= target else f"NOT met (target <= {target:g} {unit})"


def header() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, check=False).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "tui", "engine"], cwd=ROOT, capture_output=True,
                               text=True, check=False).stdout.strip()
    except OSError:
        commit, dirty = "", ""
    commit = commit or f"none ({ROOT} is not a git checkout)"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}  {os.cpu_count()} CPUs  load {load}  "
            f"Python {platform.python_version()}  commit {commit}{' (tui/engine modified)' if dirty else ''}")


def compile_sources() -> None:
    """Write the bytecode of engine/, tui/ and scenarios/ (ignored by git), as ``pip install`` does for an
    installed package, so the start-up figure is a user's and not a machine's that never caches bytecode."""
    for package in ("engine", "tui", "scenarios"):
        compileall.compile_dir(str(ROOT / package), quiet=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="region-outage", help="built-in scenario (default region-outage, the largest)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=20.0, help="wall seconds of each CPU window (default 20)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of each figure (default 3)")
    parser.add_argument("--presses", type=int, default=40, help="key presses per repetition (default 40)")
    parser.add_argument("--quick", action="store_true", help="1 repetition, 5 s windows, 20 presses: a smoke test")
    parser.add_argument("--only", choices=("cpu", "keys", "picker"), action="append",
                        help="measure only this (repeatable)")
    options = parser.parse_args(argv)
    if options.quick:
        options.repeat, options.seconds, options.presses = 1, 5.0, 20
    only = set(options.only or ("cpu", "keys", "picker"))
    rng = random.Random(0)
    compile_sources()
    print(header())
    print(f"scenario {options.scenario} seed {options.seed}, pty {COLUMNS}x{ROWS}, {options.repeat} repetition(s)")
    try:
        if "cpu" in only:
            for label, key in (("1x", b"1"), ("10x", b"4")):
                values = [measure_cpu(options.scenario, options.seed, key, options.seconds)
                          for _ in range(options.repeat)]
                line = f"CPU at {label:<3} over {options.seconds:g} s: {spread(values, '{:.1f} %')}"
                if label == "1x":
                    line += "  " + verdict(statistics.median(values), TARGET_CPU_1X, "%")
                print(line, flush=True)
        if "keys" in only:
            runs = [measure_keys(options.scenario, options.seed, options.presses, rng) for _ in range(options.repeat)]
            p95s = [p95(r) for r in runs]
            p50s = [statistics.median(r) for r in runs]
            print(f"key -> visible change at 10x: p50 {spread(p50s, '{:.1f} ms')}", flush=True)
            print(f"                              p95 {spread(p95s, '{:.1f} ms')}  "
                  f"{verdict(statistics.median(p95s), TARGET_KEY_P95, 'ms')}", flush=True)
        if "picker" in only:
            values = [measure_picker() for _ in range(options.repeat)]
            print(f"picker on screen: {spread(values, '{:.2f} s')}  "
                  f"{verdict(statistics.median(values), TARGET_PICKER, 's')}", flush=True)
    except ConsoleError as exc:
        print(f"console benchmark failed: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
