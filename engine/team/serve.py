"""Running a team-drill host as a program: bind (loopback unless told), print how to join, run to the end.

The join links carry random secrets (:func:`secrets.token_urlsafe`): one for the facilitator, one for
everyone else. SIGINT/SIGTERM tell everyone the host is going away and keep the journal as an
interrupted drill (recoverable as a single-player drill is); a killed host's participants see the
connection close and say so.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import secrets
import signal
import sys
import time
from pathlib import Path
from typing import TextIO

from aiohttp import web

from engine.records.recovery import journals_dir
from engine.records.replay import DrillHeader
from engine.scenario.schema import Scenario
from engine.sim.simulation import Simulation
from engine.team.host import PATH, TeamHost
from engine.team.journal import LiveJournal
from engine.team.protocol import message

DEFAULT_BIND = "127.0.0.1:8470"


def parse_bind(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6); ValueError with the words."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"--bind {text}: expected HOST:PORT, e.g. {DEFAULT_BIND}")
    return host.strip("[]") or "127.0.0.1", int(port)


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def journal_path(scenario: Scenario, seed: int) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return journals_dir() / f"{scenario.id or 'drill'}-seed{seed}-team-{stamp}.jsonl"


async def serve(scenario: Scenario, seed: int, bind: str, *, facilitator: str = "facilitator",
                destructive_by: str = "responders", speed: float = 1.0, out: TextIO = sys.stdout) -> int:
    """Host one drill until it ends (0) or the host is stopped (130 on SIGINT/SIGTERM)."""
    address, port = parse_bind(bind)
    sim = Simulation(scenario, seed)
    path = journal_path(scenario, seed)
    journal = LiveJournal(sim, path, DrillHeader(scenario, seed, f"team:{facilitator}", "practice"))
    host = TeamHost(scenario, seed, join_secret=secrets.token_urlsafe(16), facilitator_secret=secrets.token_urlsafe(16),
                    journal=journal, sim=sim, destructive_by=destructive_by, speed=speed)
    runner = web.AppRunner(host.app(), handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, address, port)
    await site.start()
    bound = runner.addresses[0]
    shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
    url = f"ws://{shown}:{bound[1]}{PATH}"
    if not is_loopback(address):
        print(f"warning: listening on {address}: anyone on that network with a join link can join", file=out)
    print(f"spofdrill host: {scenario.id or scenario.title}, seed {seed}, journal {path}", file=out)
    print(f"facilitator: spofdrill join '{url}?secret={host.facilitator_secret}' --name NAME --role facilitator", file=out)
    print(f"responders:  spofdrill join '{url}?secret={host.join_secret}' --name NAME --role commander|operator|observer",
          file=out)
    print(f"ready {url}", file=out, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    clock = asyncio.create_task(host.run_clock())
    done = asyncio.create_task(host.done.wait())
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({done, stopped}, return_when=asyncio.FIRST_COMPLETED)
    code = 0 if host.done.is_set() else 130
    if code:
        clock.cancel()
        bye = message("bye", reason="the host was stopped; the drill can be recovered from its journal")
        for p in host.participants.values():
            p.send(bye)
        await asyncio.sleep(0.2)
        if host.journal is not None:
            host.journal.flush()
            host.journal.close()
    await host.close_all("the drill ended" if code == 0 else "the host was stopped")
    for task in (clock, done, stopped):
        task.cancel()
    await runner.cleanup()
    print("spofdrill host: the drill ended" if code == 0 else "spofdrill host: stopped", file=out, flush=True)
    return code


def run(scenario: Scenario, seed: int, bind: str, **options) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    return asyncio.run(serve(scenario, seed, bind, **options))
