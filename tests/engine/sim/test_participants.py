"""Team drills name who issued each command; a single trainee's journal is exactly as before."""

from __future__ import annotations

from engine.records.replay import Transcript, replay, transcript_from_journal, transcript_of
from engine.scenario.loader import load_scenario
from engine.sim.journal import read_jsonl
from engine.sim.simulation import Simulation


def _drill(by_a, by_b) -> Simulation:
    sim = Simulation(load_scenario("lb-failover"), 3)
    sim.run(80)
    sim.apply({"command": "ack", "target": "InstanceDown:lb-1"}, by=by_a)
    sim.apply({"command": "failover", "target": "web-vip"}, by=by_b)
    sim.commands.apply_named("no-such-command", "lb-1", {}, by_b)
    sim.run(sim.duration)
    return sim


def test_command_rows_name_the_participant_and_replay_byte_for_byte() -> None:
    sim = _drill("ana", "bo")
    rows = [e for e in sim.journal if e.type in ("CommandIssued", "CommandRefused")]
    assert [e.data.get("by") for e in rows] == ["ana", "bo", "bo"]
    transcript = transcript_from_journal(read_jsonl(sim.journal.to_jsonl()))
    assert [c.by for c in transcript.commands] == ["ana", "bo", "bo"]
    assert Transcript.from_dict(transcript.to_dict()) == transcript
    assert replay(sim.scenario, 3, transcript).journal.to_jsonl() == sim.journal.to_jsonl()
    assert _drill("ana", "bo").journal.to_jsonl() == sim.journal.to_jsonl()  # same actions, same bytes


def test_without_a_participant_the_field_is_absent() -> None:
    sim = _drill(None, None)
    text = sim.journal.to_jsonl()
    assert '"by"' not in text
    transcript = transcript_of(sim)
    assert all("by" not in c.to_dict() for c in transcript.commands)
    assert replay(sim.scenario, 3, transcript).journal.to_jsonl() == text


def test_a_facilitators_fault_and_note_are_journaled_and_replayed() -> None:
    import pytest

    from engine.sim.facilitation import FacilitatorRefused

    def drill() -> Simulation:
        sim = Simulation(load_scenario("lb-failover"), 3)
        sim.run(20.5)
        sim.facilitate("inject", "app-1", {"type": "crash"}, by="gm")
        sim.facilitate("note", None, {"text": "what do the backends say?"}, by="gm")
        sim.apply({"command": "backends", "target": "lb-1"}, by="ana")
        sim.run(sim.duration)
        return sim

    sim = drill()
    acted = sim.journal.of_type("FacilitatorActed")
    assert [(e.data["op"], e.visible) for e in acted] == [("inject", False), ("note", True)]
    crashed = [e for e in sim.journal.of_type("NodeCrashed") if e.data["node"] == "app-1"]
    assert crashed and crashed[0].t == 20.5
    text = sim.journal.to_jsonl()
    assert drill().journal.to_jsonl() == text
    transcript = transcript_from_journal(read_jsonl(text))
    assert [c.command for c in transcript.commands][:3] == ["facilitator:inject", "facilitator:note", "backends"]
    assert replay(sim.scenario, 3, transcript).journal.to_jsonl() == text
    assert replay(sim.scenario, 3, Transcript.from_dict(transcript.to_dict())).journal.to_jsonl() == text
    fresh = Simulation(load_scenario("lb-failover"), 3)
    for target, args, words in [("nope", {"type": "crash"}, "unknown node"), ("app-1", {"type": "meteor"}, "palette"),
                                ("app-1", {"type": "replication_lag"}, "database"),
                                ("app-1", {"type": "crash", "colour": 1}, "unknown fault fields")]:
        with pytest.raises(FacilitatorRefused, match=words):
            fresh.facilitate("inject", target, args)
    with pytest.raises(FacilitatorRefused):
        fresh.facilitate("note", None, {"text": "x" * 501})
    assert len(fresh.journal) == 1  # refusals journal nothing
