"""The team drill's console: Pilot apps joined over the socket to a real host process (``spofdrill join``).

What a participant's console shows comes from the host; keys send commands to it; the host's answer is
said when it arrives; when the host goes away the console says so and closes instead of hanging.
"""

from __future__ import annotations


import pytest

from engine.team.client import TeamClient
from tui.app import SpofdrillApp
from tui.remote import RemoteSession
from tui.screens.drill import DrillScreen

from support import select_node
from team_support import running_host, until


@pytest.fixture
def host(data_dir):
    yield from running_host(data_dir)


async def joined_console(pilot, app) -> DrillScreen:
    await until(pilot, lambda: isinstance(app.screen, DrillScreen) and app.screen.last_snapshot is not None)
    return app.screen


async def test_a_responder_works_the_incident_from_the_console_and_the_facilitator_sees_it(host) -> None:
    facilitator = TeamClient(host.facilitator, "gm", "facilitator")
    await facilitator.connect()
    app = SpofdrillApp(remote=RemoteSession(host.join, "ana", "commander"), keep_journal=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await joined_console(pilot, app)
        assert screen.last_snapshot.visibility == "observed" and screen.session.paused
        await facilitator.control("speed", speed=60)
        await facilitator.control("resume")
        await until(pilot, lambda: screen.last_snapshot.t > 20 and not screen.session.paused)
        await select_node(pilot, screen, "lb-1")
        await pilot.press("i")  # logs, sent to the host
        await until(pilot, lambda: any(e.type == "CommandIssued" and e.data.get("by") == "ana"
                                       for e in screen.session.journal))
        assert any("logs lb-1: accepted" in n.message for n in app._notifications)
        await facilitator.wait_for(lambda c: any(e["type"] == "CommandIssued" and e.get("by") == "ana"
                                                 for e in c.entries))
        await pilot.press("space")  # a commander cannot pause: the host says why
        await until(pilot, lambda: any("only the facilitator" in n.message for n in app._notifications))
        assert not facilitator.paused
        host.process.kill()  # the host goes away: the console says so and closes
        await until(pilot, lambda: app.return_code is not None)
        assert app.return_code == 3
    await facilitator.close()


async def test_a_console_with_the_wrong_secret_is_refused_and_says_why(host) -> None:
    url = host.join.split("?")[0] + "?secret=nope"
    app = SpofdrillApp(remote=RemoteSession(url, "zed", "operator"), keep_journal=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.return_code is not None)
    assert app.return_code == 2


async def test_the_facilitators_console_shows_the_truth_and_the_hidden_events(host) -> None:
    app = SpofdrillApp(remote=RemoteSession(host.facilitator, "gm", "facilitator"), keep_journal=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await joined_console(pilot, app)
        assert screen.last_snapshot.visibility == "truth"
        assert screen.query_one("#timeline").reveal
        await pilot.press("4")  # 10×, then space starts the drill: the clock is the facilitator's
        await until(pilot, lambda: screen.session.speed == 10)
        await pilot.press("space")
        await until(pilot, lambda: any(e.type == "FaultInjected" for e in screen.session.journal), timeout=30)
        await pilot.press("space")
        await until(pilot, lambda: screen.session.paused)


async def test_the_facilitator_injects_a_fault_and_writes_a_note_from_the_console(host) -> None:
    from textual.widgets import Input, OptionList

    from tui.screens.dialogs import AskDialog, ChoiceMenu

    ana = TeamClient(host.join, "ana", "operator")
    await ana.connect()
    app = SpofdrillApp(remote=RemoteSession(host.facilitator, "gm", "facilitator"), keep_journal=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await joined_console(pilot, app)
        await select_node(pilot, screen, "app-1")
        await pilot.press("I")
        await until(pilot, lambda: isinstance(app.screen, ChoiceMenu))
        menu = app.screen.query_one(OptionList)
        menu.highlighted = 0  # crash
        await pilot.press("enter")
        await until(pilot, lambda: any(e.type == "FacilitatorActed" and e.data.get("op") == "inject"
                                       for e in screen.session.journal))
        await pilot.press("W")
        await until(pilot, lambda: isinstance(app.screen, AskDialog))
        app.screen.query_one(Input).value = "what do the backends say?"
        await pilot.press("enter")
        await ana.wait_for(lambda c: any(e["type"] == "FacilitatorActed" and e["op"] == "note"
                                         and e["args"]["text"] == "what do the backends say?" for e in c.entries))
        assert not any(e["type"] == "FacilitatorActed" and e["op"] == "inject" for e in ana.entries)
    await ana.close()


async def test_a_responders_console_offers_no_facilitator_keys(host) -> None:
    app = SpofdrillApp(remote=RemoteSession(host.join, "ana", "operator"), keep_journal=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await joined_console(pilot, app)
        assert screen.check_action("inject", ()) is False and screen.check_action("note", ()) is False
