"""The shared debrief: a real host process, a Pilot console and a second participant; the facilitator ends the drill
and everyone gets the same debrief (the host's result), whose timeline names who did what; the host writes a result
bundle with the participants beside its journal, and ``spofdrill verify`` accepts it."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from engine.records.bundle import read_bundle
from engine.team.client import TeamClient
from tui.app import SpofdrillApp
from tui.remote import RemoteSession
from tui.screens.debrief import DebriefScreen
from tui.screens.drill import DrillScreen

from support import select_node
from team_support import running_host, until


@pytest.fixture
def host(data_dir):
    yield from running_host(data_dir)


async def test_the_facilitator_ends_and_everyone_gets_the_same_debrief(host, data_dir) -> None:
    facilitator = TeamClient(host.facilitator, "gm", "facilitator")
    await facilitator.connect()
    bo = RemoteSession(host.join, "bo", "operator")
    await bo.connect()
    app = SpofdrillApp(remote=RemoteSession(host.join, "ana", "commander"), keep_journal=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, DrillScreen) and app.screen.last_snapshot is not None)
        screen = app.screen
        await facilitator.control("speed", speed=60)
        await facilitator.control("resume")
        await until(pilot, lambda: screen.last_snapshot.t > 20)
        await select_node(pilot, screen, "lb-1")
        await pilot.press("i")  # ana: logs lb-1
        answer = await bo.client.command("failover", "web-vip")  # bo, at the same time, from another connection
        assert answer["type"] == "receipt" and answer["accepted"], answer
        await facilitator.wait_for(lambda c: {e.get("by") for e in c.entries if e["type"] == "CommandIssued"} >= {"ana", "bo"})
        assert (await facilitator.control("end"))["type"] == "done"
        await until(pilot, lambda: isinstance(app.screen, DebriefScreen))
        debrief = app.screen
        await until(pilot, lambda: debrief.report is not None)
        await bo.client.wait_for(lambda c: c.ended is not None)
        ended = bo.client.ended
        ending = await asyncio.to_thread(bo.ending)
        # one result, the host's: the same score on both consoles
        assert debrief.ending.run.score.score == ending.run.score.score == pytest.approx(ended["score"])
        assert ended["result"]["score"] == pytest.approx(ending.run.score.score)
        # the timeline names who did what, and shows what was hidden
        happened = str(debrief.query_one("#happened").content)
        assert "ana: logs lb-1" in happened and "bo: failover web-vip" in happened, happened
        assert any(not e.visible for e in debrief.ending.run.sim.journal)
        headline = str(debrief.query_one("#headline").content)
        assert "gm (facilitator)" in headline and "ana (commander)" in headline and "bo (operator)" in headline
        # the postmortem draft names roles (the host wrote it; the console saves it as is)
        assert "ana (commander) issued `logs lb-1`" in ended["postmortem"]
        assert "bo (operator) issued `failover web-vip`" in ended["postmortem"]
        assert app.remote.postmortem == ended["postmortem"]
    await facilitator.close()
    await bo.client.close()
    assert host.process.wait(20) == 0
    # the host's result bundle, beside its journal, records the participants and verifies
    path = host.journal.with_name(host.journal.stem + ".bundle.json")
    assert ended["bundle"] == str(path)
    bundle = read_bundle(path)
    assert {(p["name"], p["role"]) for p in bundle.participants} == {("gm", "facilitator"), ("ana", "commander"),
                                                                    ("bo", "operator")}
    verify = subprocess.run([sys.executable, "-m", "engine.cli.main", "verify", str(path)], capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "ana (commander)" in verify.stdout


async def test_the_facilitators_end_and_debrief_ends_the_drill_for_everyone(host) -> None:
    ana = TeamClient(host.join, "ana", "commander")
    await ana.connect()
    app = SpofdrillApp(remote=RemoteSession(host.facilitator, "gm", "facilitator"), keep_journal=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, DrillScreen) and app.screen.last_snapshot is not None)
        await pilot.press("q")
        await pilot.press("e")  # End & debrief: the host ends the drill for everyone
        await until(pilot, lambda: isinstance(app.screen, DebriefScreen))
        await until(pilot, lambda: app.screen.report is not None)  # mounted, rendered, the par runs beside it
        assert app.screen.ending.ended_early
        assert "The facilitator ended the drill" in str(app.screen.query_one("#headline").content)
        await ana.wait_for(lambda c: c.ended is not None)
        assert ana.ended["result"]["score"] == pytest.approx(app.screen.ending.run.score.score)
    await ana.close()
    assert host.process.wait(20) == 0
