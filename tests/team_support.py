"""A real team-drill host process on loopback (``spofdrill host`` on a free port), for tests and benchmarks."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class HostProcess:
    """A running ``spofdrill host``: its process, its links and its log."""

    process: subprocess.Popen
    url: str
    facilitator: str
    join: str
    journal: Path
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start_host(data_dir: Path, *args: str, scenario: str = "lb-failover", seed: int = 3) -> HostProcess:
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / f"host-{time.monotonic_ns()}.log"
    env = {**os.environ, "SPOFDRILL_DATA_DIR": str(data_dir)}
    process = subprocess.Popen(
        [sys.executable, "-m", "engine.cli.main", "host", scenario, "--seed", str(seed), "--bind", "127.0.0.1:0", *args],
        stdout=subprocess.PIPE, stderr=open(log, "w"), text=True, env=env,
    )
    lines = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("ready "):
            text = "".join(lines)
            return HostProcess(
                process, line.split()[1],
                re.search(r"join '([^']+)' --name NAME --role facilitator", text).group(1),
                re.search(r"responders: +spofdrill join '([^']+)'", text).group(1),
                Path(re.search(r"journal (\S+)", text).group(1)), log,
            )
    process.kill()
    raise AssertionError(f"the host did not start: {''.join(lines)}{log.read_text()}")


def running_host(data_dir: Path):
    """A host process for a test (a fixture's body): started, yielded, killed if still running."""
    started = start_host(data_dir)
    yield started
    if started.process.poll() is None:
        started.process.kill()
    started.process.wait(10)


async def until(pilot, predicate, timeout: float = 30.0) -> None:
    """Let a Pilot app run until ``predicate()`` holds (the host's messages arrive on their own time)."""
    async def wait() -> None:
        while not predicate():
            await pilot.pause(0.05)
    await asyncio.wait_for(wait(), timeout)
