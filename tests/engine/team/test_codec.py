"""Snapshots survive the trip to JSON text and back exactly (the participant's console reads what the host saw)."""

from __future__ import annotations

import json

import pytest

from engine.scenario.loader import load_scenario
from engine.sim.simulation import Simulation
from engine.team.codec import CodecError, decode_snapshot, dumps, encode_snapshot


@pytest.mark.parametrize("view", ["observed", "truth"])
def test_round_trip_is_exact(view: str) -> None:
    sim = Simulation(load_scenario("lb-failover"), 3)
    sim.run(90)  # past the crash: alerts, down nodes, history
    sim.apply({"command": "logs", "target": "lb-1"})
    sim.run(100)  # the evidence is in
    snapshot = sim.snapshot(view=view)
    assert snapshot.alerts and snapshot.evidence
    back = decode_snapshot(json.loads(dumps(encode_snapshot(snapshot))))
    assert back == snapshot
    assert dumps(encode_snapshot(back)) == dumps(encode_snapshot(snapshot))  # stable


def test_not_a_snapshot_is_refused_with_the_field() -> None:
    data = encode_snapshot(Simulation(load_scenario("lb-failover"), 0).snapshot())
    data["nodes"][0]["colour"] = "red"
    with pytest.raises(CodecError, match=r"snapshot.nodes\[0\]: unknown fields"):
        decode_snapshot(data)
    with pytest.raises(CodecError):
        decode_snapshot([1, 2])
    with pytest.raises(CodecError):
        decode_snapshot({"t": 1})
