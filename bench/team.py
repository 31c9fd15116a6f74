"""Team-drill benchmark: one real ``spofdrill host`` process and 20 participants over real websockets.

The host runs in its own process (``spofdrill host SCENARIO --bind 127.0.0.1:0``, a temporary data folder);
the 20 participants are real websocket clients (aiohttp) in this process, on one asyncio loop: a facilitator,
who sets 10x and starts the clock, and 19 others (a commander, operators and observers; the responders issue
an investigation now and then, as people do). Two figures, over a window of wall time after the clock started:

* **fan-out latency**: every ``state`` message carries ``stepped``, the host's ``time.time()`` when the step was
  published; each client subtracts it from its own ``time.time()`` on receipt. Host and clients share one
  machine and one wall clock (loopback), so the two are comparable (the host's monotonic clock would not be
  across processes). p50 / p95 / max over every state every client received. Target: p95 at most 100 ms.
* **host CPU**: the host process's ``utime + stime`` from ``/proc/PID/stat`` over the window, as a share of one
  core. Target: at most 50 %.

The clients' own work (decoding every state) runs on the same machine and competes with the host for the
cores: the figure is pessimistic on a small machine. A report, not a test: prints figures and exits 0
(2 when the host could not be driven).

    .venv/bin/python bench/team.py                   # 20 participants, 10x, 55 s window (lb-failover: 600 s / 10)
    .venv/bin/python bench/team.py --seconds 20 --participants 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from team_support import start_host  # noqa: E402  (the tests' host process: spofdrill host on a free port)

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
TARGET_P95_MS = 100.0
TARGET_CPU = 50.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14 and 15)


def link(url: str) -> tuple[str, str]:
    base, _, query = url.partition("?secret=")
    return base, query


class Participant:
    def __init__(self, url: str, name: str, role: str) -> None:
        self.url, self.secret = link(url)
        self.name, self.role = name, role
        self.latencies: list[float] = []
        self.states = 0
        self.measuring = False
        self.ended = asyncio.Event()
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.ref = 0

    async def send(self, type_: str, **fields) -> None:
        self.ref += 1
        await self.ws.send_str(json.dumps({"v": 1, "type": type_, "ref": self.ref, **fields}))

    async def run(self, session: aiohttp.ClientSession, ready: asyncio.Event) -> None:
        self.ws = await session.ws_connect(self.url, max_msg_size=16 * 1024 * 1024)
        await self.send("hello", name=self.name, role=self.role, secret=self.secret)
        welcome = json.loads((await self.ws.receive()).data)
        if welcome.get("type") != "welcome":
            raise RuntimeError(f"{self.name} refused: {welcome}")
        ready.set()
        async for msg in self.ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            now = time.time()
            data = json.loads(msg.data)  # what a console does with each state (it also decodes the snapshot)
            kind = data.get("type")
            if kind == "state":
                self.states += 1
                if self.measuring and not data.get("paused") and data.get("stepped"):
                    self.latencies.append(now - data["stepped"])
            elif kind == "ended":
                self.ended.set()
                break

    async def investigate(self, stop: asyncio.Event, every: float) -> None:
        """A responder's occasional command (logs on a node), as people type them."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), every)
            except asyncio.TimeoutError:
                try:
                    await self.send("command", command="logs", target="lb-1")
                except (ConnectionError, RuntimeError):
                    return


async def drive(args: argparse.Namespace, facilitator_url: str, join_url: str, pid: int) -> dict:
    roles = ["commander"] + ["operator"] * 9 + ["observer"] * (args.participants - 11)
    people = [Participant(facilitator_url, "gm", "facilitator")]
    people += [Participant(join_url, f"p{i:02d}", roles[i % len(roles)]) for i in range(args.participants - 1)]
    stop = asyncio.Event()
    async with aiohttp.ClientSession() as session:
        readies = [asyncio.Event() for _ in people]
        tasks = [asyncio.create_task(p.run(session, ready)) for p, ready in zip(people, readies)]
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 30)
        gm = people[0]
        await gm.send("control", op="speed", speed=args.speed)
        await gm.send("control", op="resume")
        await asyncio.sleep(args.warmup)
        for p in people:
            p.measuring = True
        typing = [asyncio.create_task(p.investigate(stop, 5.0)) for p in people if p.role in ("commander", "operator")]
        cpu0, wall0 = cpu_seconds(pid), time.monotonic()
        try:
            await asyncio.wait_for(gm.ended.wait(), args.seconds)
        except asyncio.TimeoutError:
            pass
        cpu1, wall1 = cpu_seconds(pid), time.monotonic()
        for p in people:
            p.measuring = False
        stop.set()
        await gm.send("control", op="end")
        await asyncio.wait(tasks, timeout=30)
        for task in typing + tasks:
            task.cancel()
    latencies = sorted(ms * 1000 for p in people for ms in p.latencies)
    return {"latencies": latencies, "cpu": 100 * (cpu1 - cpu0) / (wall1 - wall0), "window": wall1 - wall0,
            "states": sum(p.states for p in people), "clients": len(people)}


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="lb-failover")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--participants", type=int, default=20, help="participants, the facilitator included (>= 12)")
    parser.add_argument("--speed", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=55.0, help="the measured window of wall time")
    parser.add_argument("--warmup", type=float, default=2.0, help="wall seconds after the clock starts, not measured")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="spofdrill-bench-team-"))
    try:
        started = start_host(data, scenario=args.scenario, seed=args.seed)
        process, facilitator, join = started.process, started.facilitator, started.join
    except AssertionError as exc:
        print(exc, file=sys.stderr)
        shutil.rmtree(data, ignore_errors=True)
        return 2
    try:
        result = asyncio.run(drive(args, facilitator, join, process.pid))
    finally:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        shutil.rmtree(data, ignore_errors=True)
    lat = result["latencies"]
    if not lat:
        print("no state was measured", file=sys.stderr)
        return 2
    p50, p95 = percentile(lat, 50), percentile(lat, 95)
    print(f"team drill: {args.scenario} seed {args.seed}, 1 host process + {result['clients']} participants "
          f"(real websockets on loopback), {args.speed:g}x, {result['window']:.1f} s measured")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print(f"states received: {len(lat):,} measured ({result['states']:,} in all)")
    print(f"fan-out latency, step published -> state received (time.time() on both sides, one machine): "
          f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {lat[-1]:.1f} ms "
          f"(target p95 <= {TARGET_P95_MS:g} ms: {'met' if p95 <= TARGET_P95_MS else 'NOT met'})")
    print(f"host CPU: {result['cpu']:.1f} % of a core "
          f"(target <= {TARGET_CPU:g} %: {'met' if result['cpu'] <= TARGET_CPU else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
