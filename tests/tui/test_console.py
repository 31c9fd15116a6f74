"""Whole drills driven with keys through the console (Textual Pilot).

The engine's timer is paused (``autoplay=False``); tests move simulated time
with ``DrillScreen.advance_by`` and assert on the engine's state and journal,
never on pixels or wall-clock time.
"""

from __future__ import annotations

import json

import pytest

from engine.scenario.loader import load_scenario, load_scenario_text
from engine.commands import command_specs
from tui.app import SpofdrillApp, TooSmallScreen
from tui.layout import layout
from tui.screens.briefing import BriefingScreen
from tui.screens.debrief import DebriefScreen
from tui.screens.dialogs import ArgsDialog, ConfirmDialog, QuitDialog
from tui.screens.drill import DrillScreen
from tui.screens.help import HelpScreen
from tui.screens.picker import PickerScreen
from tui.widgets.clock import ClockBar
from tui.widgets.topology import TopologyView
from support import run_to_debrief, select_node as select, start_drill as start


def journal_types(screen: DrillScreen) -> list[str]:
    return [e.type for e in screen.session.sim.journal]



async def test_pick_start_ack_fail_over_and_reach_the_debrief():
    app = SpofdrillApp(autoplay=False, keep_journal=False, seed=2)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        await pilot.press("slash", *"lb-failover", "enter")  # enter in the filter starts the match
        screen = await start(pilot, app)
        assert screen.session.scenario.id == "lb-failover"
        screen.advance_by(120)
        await pilot.pause()
        firing = {a.id for a in screen.last_snapshot.firing()}
        assert "InstanceDown:lb-1" in firing
        await select(pilot, screen, "lb-1")
        await pilot.press("a")  # acknowledges the selected node's alert
        await pilot.pause()
        acked = [e for e in screen.session.sim.journal.of_type("AlertAcknowledged")]
        assert acked and acked[0].data["alert"] == "InstanceDown:lb-1"
        await select(pilot, screen, "lb-2")
        await pilot.press("F")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert "lb-2" in app.screen.text
        await pilot.press("y")
        await pilot.pause()
        screen.advance_by(4)
        assert screen.session.sim.vips["web-vip"].holder == "lb-2"
        screen.advance_by(15)  # the charts show the next scrape of the global metrics, at most 15 s later
        assert screen.last_snapshot.metric("availability") == 1.0
        debrief = await run_to_debrief(pilot, app, screen, 600)
        assert debrief.report is not None
        assert debrief.ending.run.outcome.downtime < debrief.report.no_action.outcome.downtime
        # the drill was recorded in the history
        assert app.history.best("lb-failover") is not None


async def test_promote_asks_first_and_says_what_it_will_lose():
    app = SpofdrillApp(scenario=load_scenario("db-primary-async"), seed=3, autoplay=False, keep_journal=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        screen.advance_by(120)
        await select(pilot, screen, "db-3")
        await pilot.press("P")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert "has received up to write" in app.screen.text and "writes it never received" in app.screen.text
        await pilot.press("n")  # no: nothing happens
        await pilot.pause()
        assert "ReplicaPromoted" not in journal_types(screen)
        await pilot.press("left")  # db-2 sits left of db-3 on the diagram
        await pilot.pause()
        assert screen.selected == "db-2"


async def test_fence_then_promote_the_right_replica():
    app = SpofdrillApp(scenario=load_scenario("db-primary-async"), seed=3, autoplay=False, keep_journal=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        screen.advance_by(120)
        await select(pilot, screen, "db-1")
        await pilot.press("X", "y")
        await pilot.pause()
        screen.advance_by(3)
        assert screen.session.sim.nodes["db-1"].fenced
        await select(pilot, screen, "db-2")
        await pilot.press("P")
        await pilot.pause()
        assert "db-1 is still running" not in app.screen.text  # it is fenced now
        await pilot.press("y")
        await pilot.pause()
        screen.advance_by(6)
        promoted = screen.session.sim.journal.of_type("ReplicaPromoted")
        assert promoted and promoted[0].data["node"] == "db-2"
        assert screen.session.sim.clusters["orders"].writer == "db-2"


async def test_a_refused_command_says_why():
    app = SpofdrillApp(scenario=load_scenario("db-primary-async"), seed=3, autoplay=False, keep_journal=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        screen.advance_by(5)
        await select(pilot, screen, "db-1")
        await pilot.press("P")  # promote a primary: refused at once, no confirmation
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmDialog)
        refused = screen.session.sim.journal.of_type("CommandRefused")
        assert refused and "already a primary" in refused[-1].data["reason"]
        messages = [n.message for n in app._notifications]
        assert any("already a primary" in m for m in messages)


SERVICE_SCENARIO = """
title: Recommendations outage
duration: 300
topology:
  nodes:
    users: {kind: client, rates: {read: 300, write: 20, static: 0}}
    lb-1: {kind: load_balancer}
    app-1: {kind: app_server}
    app-2: {kind: app_server}
    db-1: {kind: database}
    recs: {kind: service}
  edges:
    - users -> lb-1
    - lb-1 -> app-1, app-2
    - app-1, app-2 -> db-1
    - app-1, app-2 -> recs (soft, share=0.5)
method:
  - {type: dependency_outage, target: recs, at: 30}
"""


async def test_degrade_a_feature_from_the_palette():
    scenario = load_scenario_text(SERVICE_SCENARIO, "recs.yaml").model_copy(update={"id": "recs"})
    app = SpofdrillApp(scenario=scenario, autoplay=False, keep_journal=False)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start(pilot, app)
        screen.advance_by(60)
        assert screen.last_snapshot.metric("error_ratio") > 0.2
        await pilot.press("colon")
        await pilot.pause()
        await pilot.press(*"degrade recs")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        screen.advance_by(5)
        assert screen.session.sim.nodes["recs"].feature_off
        screen.advance_by(15)  # the charts show the next scrape of the global metrics, at most 15 s later
        assert screen.last_snapshot.metric("error_ratio") == 0.0
        assert screen.last_snapshot.metric("degraded") > 0


async def test_shed_load_asks_for_its_argument_then_confirms():
    app = SpofdrillApp(scenario=load_scenario("lb-failover"), autoplay=False, keep_journal=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        screen.advance_by(10)
        await select(pilot, screen, "lb-1")
        await pilot.press("L")
        await pilot.pause()
        assert isinstance(app.screen, ArgsDialog)
        field = app.screen.query_one("#arg-percent")
        field.value = "30"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert "30%" in app.screen.text
        await pilot.press("y")
        await pilot.pause()
        assert screen.session.sim.vips["web-vip"].shed == pytest.approx(0.3)


async def test_assessment_mode_disables_pause_speed_and_hints():
    app = SpofdrillApp(scenario=load_scenario("lb-failover"), assess=True, autoplay=False, keep_journal=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        await pilot.press("space", "4", "H")
        await pilot.pause()
        assert not screen.session.paused
        assert screen.session.speed == 1.0
        assert not screen.session.sim.journal.of_type("HintRevealed")
        screen.advance_by(300)  # past the timed hints: they are journaled, but an assessment does not show them
        await pilot.pause()
        assert screen.session.sim.journal.of_type("HintRevealed")
        timeline = "\n".join(str(line.text) for line in screen.query_one("#timeline").lines)
        assert "hint:" not in timeline and "hints " not in str(screen.query_one(ClockBar).render())


async def test_an_assessment_offers_hints_when_the_scenario_says_so():
    scenario = load_scenario("lb-failover").model_copy(update={"hints_in_assessment": True})
    app = SpofdrillApp(scenario=scenario, assess=True, autoplay=False, keep_journal=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        await pilot.press("H", "y")  # a hint costs points: it asks first
        await pilot.pause()
        assert screen.session.sim.journal.of_type("HintRevealed")
        assert "hints " in str(screen.query_one(ClockBar).render())


async def test_pause_and_speed_in_practice():
    app = SpofdrillApp(scenario=load_scenario("lb-failover"), autoplay=False, keep_journal=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        await pilot.press("3")
        assert screen.session.speed == 5.0
        await pilot.press("space")
        assert screen.session.paused
        before = screen.session.now
        assert not screen.session.tick(1.0)
        assert screen.session.now == before


async def test_hint_on_request_costs_points():
    app = SpofdrillApp(scenario=load_scenario("lb-failover"), autoplay=False, keep_journal=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        screen.advance_by(20)
        await pilot.press("H")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog) and "5 points" in app.screen.text
        await pilot.press("y")
        await pilot.pause()
        hints = screen.session.sim.journal.of_type("HintRevealed")
        assert hints and hints[0].data["cost"] == 5
        assert screen.last_snapshot.hints_left == 1


async def test_quit_mid_drill_asks_and_keeps_the_partial_journal(data_dir):
    app = SpofdrillApp(scenario=load_scenario("spof-baseline"), autoplay=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        screen.advance_by(90)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, QuitDialog)
        await pilot.press("escape")  # go on
        await pilot.pause()
        assert isinstance(app.screen, DrillScreen)
        await pilot.press("q")
        await pilot.pause()
        await pilot.click("#quit")
        await pilot.pause()
    journals = list((data_dir / "journals").glob("spof-baseline-*.jsonl"))
    assert len(journals) == 1
    rows = [json.loads(line) for line in journals[0].read_text().splitlines()]
    assert rows[0]["type"] == "DrillStarted"
    assert any(r["type"] == "FaultInjected" for r in rows)
    assert rows[-1]["t"] <= 90


async def test_end_early_from_the_quit_dialog_goes_to_the_debrief_and_saves():
    app = SpofdrillApp(scenario=load_scenario("spof-baseline"), autoplay=False, keep_journal=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        screen.advance_by(30)
        await pilot.press("q")
        await pilot.pause()
        await pilot.click("#end")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, DebriefScreen)
        assert app.screen.ending.ended_early
        # walking away is not stopping the world: the scenario ran to its end without the trainee
        assert app.screen.ending.run.outcome.elapsed == 600
        assert app.screen.ending.run.score.score < 60
        await pilot.press("s", "j")
        await pilot.pause()
        saved = app.screen.saved_paths  # the result, its bundle, the journal
        assert len(saved) == 3 and all(p.exists() for p in saved)
        assert saved[1] == app.screen.bundle_path
        doc = json.loads(saved[0].read_text())
        assert doc["scenario"] == "spof-baseline" and doc["ended_early"] is True and "par" in doc


async def test_help_lists_every_command_key():
    app = SpofdrillApp(scenario=load_scenario("lb-failover"), autoplay=False, keep_journal=False)
    async with app.run_test(size=(100, 40)) as pilot:
        await start(pilot, app)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        from tui.screens.help import help_table

        keys = [str(cell) for cell in help_table().columns[0]._cells]
        assert keys == [spec.key for spec in command_specs()]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DrillScreen)


async def test_every_command_key_is_bound_on_the_drill_screen():
    bound = {binding.action for binding in DrillScreen.BINDINGS if hasattr(binding, "action")}
    for spec in command_specs():
        assert f"command('{spec.name}')" in bound


async def test_a_terminal_too_small_gets_a_message_and_resizing_recovers():
    app = SpofdrillApp(scenario=load_scenario("lb-failover"), autoplay=False, keep_journal=False)
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen)
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert not isinstance(app.screen, TooSmallScreen)
        assert isinstance(app.screen, BriefingScreen)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
@pytest.mark.parametrize("name", ["spof-baseline", "lb-failover", "db-primary-async"])
async def test_the_drill_topology_draws_every_node_without_overlaps(name, size):
    app = SpofdrillApp(scenario=load_scenario(name), autoplay=False, keep_journal=False)
    async with app.run_test(size=size) as pilot:
        screen = await start(pilot, app)
        screen.advance_by(1)
        await pilot.pause()
        topology = screen.query_one(TopologyView)
        drawn = topology.topology_layout
        assert drawn is not None and drawn.fits
        names = {n.name for n in screen.last_snapshot.nodes}
        covered = {m for box in drawn.boxes for m in box.members}
        assert covered == names
        for i, a in enumerate(drawn.boxes):
            assert 0 <= a.x and a.x + a.w <= topology.size.width and 0 <= a.y and a.y + a.h <= topology.size.height
            for b in drawn.boxes[i + 1 :]:
                overlap = a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h
                assert not overlap, (a, b)
        # the same layout comes out of the pure function at that panel size
        again = layout(screen.last_snapshot.nodes, screen.last_snapshot.edges, screen.last_snapshot.regions,
                       topology.size.width, topology.size.height)
        assert [b.name for b in again.boxes] == [b.name for b in drawn.boxes]


async def test_right_click_opens_the_node_menu_and_runs_a_command():
    from tui.screens.dialogs import NodeMenu

    app = SpofdrillApp(scenario=load_scenario("lb-failover"), autoplay=False, keep_journal=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        screen.advance_by(5)
        box = screen.query_one(TopologyView).topology_layout.box_of("app-2")
        await pilot.click(TopologyView, offset=(box.center, box.y + box.h // 2), button=3)
        await pilot.pause()
        assert isinstance(app.screen, NodeMenu)
        assert app.screen.node_name == "app-2"
        menu = app.screen.query_one("#menu")
        menu.highlighted = [o.id for o in menu.options].index("drain")
        await pilot.press("enter")
        await pilot.pause()
        assert screen.session.sim.nodes["app-2"].drained


async def test_shift_from_the_palette_offers_the_other_region():
    app = SpofdrillApp(scenario=load_scenario("region-outage"), seed=3, autoplay=False, keep_journal=False)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start(pilot, app)
        screen.advance_by(100)
        screen.run_command("shift", "eu-west")
        await pilot.pause()
        assert isinstance(app.screen, ArgsDialog)
        assert app.screen.query_one("#arg-to").value == "us-east"
        await pilot.click("#ok")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog) and "DNS TTL" in app.screen.text
        await pilot.press("y")
        await pilot.pause()
        screen.advance_by(5)
        assert screen.session.sim.journal.of_type("DnsWeightsChanged")


async def test_the_picker_opens_the_spof_analysis_of_a_scenario():
    from tui.screens.analysis import AnalysisScreen

    app = SpofdrillApp(autoplay=False, keep_journal=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"spof-baseline")
        app.screen.query_one("#scenarios").focus()  # back to the table with the filter kept (enter would start it)
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, AnalysisScreen)
        labels = {n.name: n.label for n in screen.snapshot.nodes}
        assert labels["lb-1"].startswith("‼") and labels["db-1"].startswith("‼")
        assert labels["cache"].startswith("~") and labels["app-1"] == "app-1"
        await app.workers.wait_for_complete()
        await pilot.pause()
        box = screen.query_one(TopologyView).topology_layout.box_of("lb-1")
        await pilot.click(TopologyView, offset=(box.center, box.y + box.h // 2))
        await pilot.pause()
        detail = str(screen.query_one("#analysis-node").render())
        assert "SPOF" in detail and "app-1, app-2, cache and db-1" in detail and "users lose 100%" in detail
        assert "Chaos run:" in detail and "as the diagram says" in detail
        drawn = {n.name: n.state for n in screen.query_one(TopologyView).snapshot.nodes}
        assert drawn["lb-1"] == "down" and drawn["app-1"] == drawn["db-1"] == "degraded" and drawn["users"] != "degraded"
        summary = str(screen.query_one("#analysis-text").render())
        assert "measured " in summary and "by the diagram on the same outages" in summary
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)


async def test_spof_hunt_marks_with_m_and_the_debrief_scores_them():
    app = SpofdrillApp(scenario=load_scenario("spof-baseline"), seed=7, autoplay=False, keep_journal=False)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await start(pilot, app)
        await select(pilot, screen, "lb-1")
        await pilot.press("m")
        await select(pilot, screen, "app-2")
        await pilot.press("m")
        await pilot.pause()
        assert screen.session.sim.marks == {"lb-1", "app-2"}
        screen.advance_by(600)
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, DebriefScreen)
        hunt = str(app.screen.query_one("#hunt").render())
        assert "SPOF hunt: 33 / 100" in hunt and "missed" in hunt and "false alarm" in hunt
        # the history keeps the hunt score, the SPOF-hunting concept's own measure (issue 13)
        from engine.records.progress import hunt_score

        assert round(hunt_score(app.history.best("spof-baseline"))) == 33
        from tui.screens.analysis import AnalysisScreen

        await pilot.press("v")  # the analysis, after the drill
        await pilot.pause()
        assert isinstance(app.screen, AnalysisScreen)
        await app.workers.wait_for_complete()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DebriefScreen)
