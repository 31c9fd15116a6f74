"""The command palette finds a command by the words on its key, menu and help (issue 13, item 10).

It used to fuzzy-match only ``failover lb-1``: "fail over" or "load balancer"
found nothing. Now a query's words match the command's name and title, its
target's name and kind ("load balancer", "database", "app server"), case- and
space-insensitively.
"""

from __future__ import annotations

from engine.scenario.loader import load_scenario
from tui.app import SpofdrillApp
from support import start_drill
from tui.palette import DrillCommands


async def _found(provider: DrillCommands, query: str) -> list[str]:
    return [str(hit.text) for hit in [h async for h in provider.search(query)]]


async def test_the_palette_finds_commands_by_their_words_and_their_targets_kinds():
    app = SpofdrillApp(scenario=load_scenario("db-primary-async"), seed=1, autoplay=False, keep_journal=False)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start_drill(pilot, app)
        screen.advance_by(30)
        provider = DrillCommands(screen)

        fail_over = await _found(provider, "fail over")
        assert "failover lb-1" in fail_over
        assert await _found(provider, "Fail Over") and "failover lb-1" in await _found(provider, "FAILOVER")

        load_balancer = await _found(provider, "load balancer")
        assert {"failover lb-1", "shed lb-1", "restart lb-1"} <= set(load_balancer)
        assert not [text for text in load_balancer if "db-" in text or "app-" in text]
        assert "failover lb-1" in await _found(provider, "loadbalancer")

        promote = await _found(provider, "promote database")
        assert {"promote db-2", "promote db-3"} <= set(promote)
        assert all(text.startswith("promote ") for text in promote)

        restart_app = await _found(provider, "restart app")
        assert {"restart app-1", "restart app-2"} <= set(restart_app)
        assert all(text.startswith("restart app-") for text in restart_app)

        # the old way still works, and the exact name comes first
        assert (await _found(provider, "failover lb-1"))[0] == "failover lb-1"
        assert (await _found(provider, "promote db-2"))[0] == "promote db-2"
