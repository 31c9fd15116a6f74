"""Action scripts: steps at simulated times or on events, applied through the engine API.

Reference solutions, instructors' scripted trainees and replays all run
through :class:`ActionDriver`, which only calls :meth:`Simulation.apply`.
"""

from __future__ import annotations

from engine.sim.journal import Entry
from engine.scenario.schema import ActionScript, Step
from engine.sim.simulation import Simulation


class ActionDriver:
    """Schedules a script's steps on a simulation."""

    def __init__(self, sim: Simulation, script: ActionScript) -> None:
        self.sim = sim
        self.script = script
        self._waiting: list[Step] = []

    def install(self) -> "ActionDriver":
        for step in self.script.steps:
            if step.at is not None:
                self.sim.env.process(self._at(step, step.at))
            else:
                self._waiting.append(step)
        if self._waiting:
            self.sim.journal.subscribe(self._on_entry)
        return self

    def _at(self, step: Step, when: float):
        delay = max(0.0, when - self.sim.env.now)
        yield self.sim.env.timeout(delay)
        self._apply(step)

    def _on_entry(self, entry: Entry) -> None:
        for step in list(self._waiting):
            if _matches(step, entry, self.sim):
                if not step.repeat:
                    self._waiting.remove(step)
                self.sim.env.process(self._at(step, entry.t + step.after))

    def _apply(self, step: Step) -> None:
        apply_named(self.sim, step.command, step.target, step.args)


def apply_named(sim: Simulation, name: str, target: str | None, args, by: str | None = None) -> None:
    """Apply a command given by name; one that cannot even be built is journaled as refused, with its arguments.

    See :meth:`engine.sim.control.CommandDesk.apply_named`.
    """
    sim.commands.apply_named(name, target, args, by)


def _matches(step: Step, entry: Entry, sim: Simulation) -> bool:
    trigger = step.trigger
    if trigger.alert is not None:
        if entry.type != "AlertFired" or entry.data.get("rule") != trigger.alert:
            return False
        return trigger.node is None or entry.data.get("node") == trigger.node
    if sim.visibility == "observed":  # the node goes down as monitoring sees it
        return (entry.type == "Observed" and entry.data.get("node") == trigger.node
                and entry.data.get("state") in ("no data", "down"))
    if entry.type == "NodeCrashed":
        return entry.data.get("node") == trigger.node
    if entry.type == "FaultInjected" and entry.data.get("fault") == "region_outage":
        node = sim.nodes.get(trigger.node)
        return node is not None and node.region == entry.data.get("target")
    return False
