"""What a team drill's facilitator does to the running drill: inject a fault now, write a note on the timeline.

Both are journaled as ``FacilitatorActed`` rows (the op, its target and arguments, who) so that a replay
does them again at the same instant: :mod:`engine.records.replay` reads them into the transcript beside the
commands. An injected fault is checked by the scenario loader's own rules (the target exists and is of a
kind the fault applies to) and then runs as one of the scenario's faults from now on; the row is hidden
(responders learn of it as they would of any fault), the note is visible. A refused act journals nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.scenario.problems import ScenarioError

Simulation = Any
"""The :class:`engine.sim.simulation.Simulation` acted on (not imported: it calls this module, no cycle)."""

ACTED_TYPE = "FacilitatorActed"
"""The journal row of a facilitator's act."""
OPS = ("inject", "note")
"""What a facilitator's act may be."""
PALETTE = ("crash", "slowdown", "error_rate", "capacity_drop", "cache_flush", "dependency_outage",
           "replication_lag", "replication_break", "region_outage", "flap")
"""The faults a facilitator may inject on one target (a partition needs two sides: only from the scenario)."""
MAX_NOTE = 500
"""Characters of a facilitator's note."""
FAULT_FIELDS = ("duration", "factor", "rate", "destroy", "period", "down_for")
"""The fault's fields a facilitator may set besides its type and target."""


class FacilitatorRefused(ValueError):
    """A facilitator's act that cannot be done; the message says why. Nothing is journaled."""


def act(sim: Simulation, op: str, target: str | None, args: Mapping[str, Any], by: str | None) -> None:
    """Do ``op`` now (``inject`` a fault on ``target``, ``note`` ``args["text"]``); :class:`FacilitatorRefused`."""
    if sim.finished:
        raise FacilitatorRefused("the drill has ended")
    if not isinstance(args, Mapping):
        raise FacilitatorRefused("the arguments are an object")
    who = {} if by is None else {"by": by}
    if op == "note":
        text = args.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_NOTE or not text.isprintable():
            raise FacilitatorRefused(f"a note is 1 to {MAX_NOTE} printable characters")
        # an observation: a note changes nothing, so it must not split a traffic step either
        sim.world.observe(ACTED_TYPE, op="note", target=None, args={"text": text.strip()}, **who)
        return
    if op != "inject":
        raise FacilitatorRefused(f"unknown act {str(op)[:40]!r} (one of {', '.join(OPS)})")
    fault = checked_fault(sim, target, args)
    sim.world.record(ACTED_TYPE, visible=False, op="inject", target=target, args=dict(args), **who)
    sim.faults.start(fault)


def checked_fault(sim: Simulation, target: Any, args: Mapping[str, Any]):
    """The fault ``args`` describe on ``target``, starting now, checked as a scenario's; FacilitatorRefused."""
    from engine.scenario.loader import load_scenario_data

    kind = args.get("type")
    if kind not in PALETTE:
        raise FacilitatorRefused(f"a fault from the palette: {', '.join(PALETTE)}")
    if not isinstance(target, str) or not target:
        raise FacilitatorRefused(f"{kind} needs a target")
    unknown = set(args) - {"type", *FAULT_FIELDS}
    if unknown:
        raise FacilitatorRefused(f"unknown fault fields {sorted(unknown)} (besides type: {', '.join(FAULT_FIELDS)})")
    fault = {**{k: v for k, v in args.items()}, "target": target, "at": round(sim.now, 3)}
    document = sim.scenario.model_dump(mode="json", by_alias=True)
    document["method"] = [fault]
    try:
        checked = load_scenario_data(document, "the facilitator's fault")
    except ScenarioError as exc:
        first = exc.problems[0] if exc.problems else None
        raise FacilitatorRefused(first.message if first is not None else str(exc)) from None
    return checked.method[0]
