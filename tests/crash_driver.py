"""A console drill without a console, to be killed: the kill tests run it in a child process.

    SPOFDRILL_DATA_DIR=DIR python tests/crash_driver.py SCENARIO SEED MARK_AT [--assess] [--trainee NAME]

It drives a :class:`tui.session.DrillSession` exactly as the console does
(uneven timer ticks at 10×, the journal in ``DIR/journals/SCENARIO-seedSEED-crash.jsonl``
with its header and progress mark, the scenario's reference commands given
at tick boundaries, as a trainee would), prints ``PASSED <t>`` once the drill
has passed MARK_AT simulated seconds, then goes on slowly (about ten
simulated seconds per wall second) so that the test's SIGKILL lands mid-drill.
If nobody kills it, it ends the drill and prints ``FINISHED``.

Not a test (pytest collects ``test_*.py`` only).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.commands import build_command  # noqa: E402
from engine.util.files import data_dir  # noqa: E402
from engine.scenario.loader import load_scenario  # noqa: E402
from engine.records.recovery import journals_dir  # noqa: E402
from engine.records.replay import transcript_of  # noqa: E402
from engine.sim.runner import simulate  # noqa: E402
from tui.session import DrillSession  # noqa: E402


def journal_path(scenario: str, seed: int) -> Path:
    """Where the driver writes its journal (under ``$SPOFDRILL_DATA_DIR``)."""
    return journals_dir() / f"{scenario}-seed{seed}-crash.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario")
    parser.add_argument("seed", type=int)
    parser.add_argument("mark_at", type=float)
    parser.add_argument("--assess", action="store_true")
    parser.add_argument("--trainee", default="trainee")
    options = parser.parse_args()
    assert str(data_dir()) != str(Path.home() / ".local" / "share" / "spofdrill"), "set SPOFDRILL_DATA_DIR"
    scenario = load_scenario(options.scenario)
    reference = simulate(scenario, options.seed, scenario.reference_solution, name="reference")
    commands = list(transcript_of(reference.sim).commands)
    session = DrillSession(
        scenario, options.seed, assess=options.assess, trainee=options.trainee,
        journal_path=journal_path(options.scenario, options.seed),
    )
    if not options.assess:
        session.set_speed(3)
    rng = random.Random(options.seed)
    passed = False
    while not session.finished:
        wall = rng.uniform(0.01, 0.25) if not passed else 0.1
        session.tick(wall if not options.assess else wall * 10)  # assessment runs at 1×: larger slices
        while commands and commands[0].t <= session.now:
            command = commands.pop(0)
            session.apply(build_command(command.command, command.target, dict(command.args)))
        if not passed and session.now >= options.mark_at:
            passed = True
            print(f"PASSED {session.now:.3f}", flush=True)
        if passed:
            time.sleep(0.1)
    session.end()
    print("FINISHED", flush=True)


if __name__ == "__main__":
    main()
