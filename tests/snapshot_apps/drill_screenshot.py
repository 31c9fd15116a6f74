"""Regenerate docs/images/drill.svg: the lb-failover drill (seed 3) paused at 01:32, lb-1 "no data", alerts firing.

The same moment as the text capture in docs/first-drill.md, taken with Textual's
headless harness at the tmux size (100×30)::

    SPOFDRILL_DATA_DIR=$(mktemp -d) .venv/bin/python tests/snapshot_apps/drill_screenshot.py

Not a test (pytest does not collect it): the picture in the docs is regenerated
by hand when the drill screen changes.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from engine.scenario.loader import load_scenario  # noqa: E402
from tui.app import SpofdrillApp  # noqa: E402
from tui.screens.drill import DrillScreen  # noqa: E402

SEED = 3
AT = 92.5  # simulated seconds: 01:32, just after InstanceDown:lb-1 fires (lb-1 read "no data" from 01:22)
SIZE = (100, 30)
OUT = ROOT / "docs" / "images" / "drill.svg"


async def main() -> None:
    app = SpofdrillApp(scenario=load_scenario("lb-failover"), seed=SEED, autoplay=False, keep_journal=False)
    app.animation_level = "none"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")  # start the clock
        await pilot.pause()
        drill = app.screen
        assert isinstance(drill, DrillScreen)
        drill.session.set_speed(3)  # 10×, as in the walkthrough (shown only while running)
        drill.advance_by(AT)
        await pilot.press("space")  # pause: the clock bar says "⏸ paused"
        await pilot.pause()
        app.save_screenshot(filename=OUT.name, path=str(OUT.parent))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    asyncio.run(main())
