"""Whatever a command is given, the journal records what was applied and always replays to itself.

Issue 11, items 1, 6, 7 and 8 on the engine's side: wrong-typed targets and
arguments are refused with words (never a TypeError), numbers are taken to
the thousandth before they are checked (so a refused ``shed percent=95.0001``
replays as refused), NaN, ±inf and huge numbers never reach the journal as
numbers, an unbuildable command is journaled with its arguments, nothing is
journaled after ``DrillEnded`` nor past ``MAX_COMMANDS``. The property test
extends :class:`test_properties.DrillMachine` with hostile commands and checks
that the journal replays byte for byte, from the simulation and from its text.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import rule, run_state_machine_as_test

from engine.commands import CommandError, build_command
from engine.records.replay import Replayer, replay, transcript_from_journal, transcript_of
from engine.scenario.loader import load_scenario
from engine.sim.actions import apply_named
from engine.sim.journal import read_jsonl
from engine.sim.simulation import Simulation
from engine.util.limits import MAX_COMMANDS

from test_properties import SETTINGS, DrillMachine


def _strict(text: str) -> list:
    """Parse JSON Lines refusing NaN and Infinity (which are not JSON); lines end at newlines only
    (``str.splitlines`` would cut a line at a U+2028 or U+0085 a hostile name holds)."""
    def refuse(word):
        raise ValueError(f"not JSON: {word}")

    return [json.loads(line, parse_constant=refuse) for line in text.split("\n") if line]


def _sim(at: float = 30.0) -> Simulation:
    sim = Simulation(load_scenario("lb-failover"), 3)
    sim.run(at)
    return sim


def _replays_to_itself(sim: Simulation) -> None:
    sim.run(sim.duration)
    text = sim.journal.to_jsonl()
    _strict(text)
    again = replay(sim.scenario, sim.seed, transcript_of(sim)).journal.to_jsonl()
    assert again == text
    from_text = transcript_from_journal(read_jsonl(text))
    assert replay(sim.scenario, sim.seed, from_text).journal.to_jsonl() == text


@pytest.mark.parametrize("command", [
    {"command": "restart", "target": [1]},
    {"command": "restart", "target": {}},
    {"command": "restart", "target": 7},
    {"command": 7, "target": "lb-1"},
    {"command": ["restart"], "target": "lb-1"},
    {"command": "shed", "target": "lb-1", "args": 5},
    {"command": "shed", "target": "lb-1", "args": "xy"},
    {"command": "shed", "target": "lb-1", "args": [1]},
    {"command": "shed", "target": "lb-1", "args": {"percent": float("nan")}},
    {"command": "shed", "target": "lb-1", "args": {"percent": float("inf")}},
    {"command": "shed", "target": "lb-1", "args": {"percent": "-Infinity"}},
    {"command": "shed", "target": "lb-1", "args": {"percent": 10**400}},
    {"command": "shed", "target": "lb-1", "args": {"percent": True}},
    {"command": "scale", "target": "app-1", "args": {"count": 10**400}},
    {"command": "scale", "target": "app-1", "args": {"count": 1e300}},
    {"command": "read-only", "target": "db-1", "args": {"enabled": 1}},
    {"command": "replication", "target": "db-2", "args": {"mode": ["sync"]}},
])
def test_a_wrong_typed_command_is_refused_with_words_and_journals_nothing(command):
    sim = _sim()
    before = sim.journal.to_jsonl()
    with pytest.raises(CommandError) as caught:
        sim.apply(command)
    message = str(caught.value)
    assert message and "\n" not in message and len(message) < 300
    with pytest.raises(CommandError):
        sim.preview(command)
    assert sim.journal.to_jsonl() == before


def test_a_command_object_holding_a_wrong_target_is_refused_not_a_type_error():
    from engine.commands import REGISTRY

    sim = _sim()
    with pytest.raises(CommandError, match="the target must be a name"):
        sim.apply(REGISTRY["restart"](target=[1]))


def test_numbers_are_taken_to_the_thousandth_before_they_are_checked():
    assert build_command("shed", "lb-1", {"percent": 95.0001}).percent == 95.0
    assert build_command("shed", "lb-1", {"percent": "12.34567"}).percent == 12.346
    assert math.copysign(1, build_command("shed", "lb-1", {"percent": -0.0}).percent) == 1
    for given in (95.0001, 95.0004, 95.0006, 95.01):
        sim = _sim()
        receipt = sim.apply(build_command("shed", "lb-1", {"percent": given}))
        assert receipt.accepted == (round(given, 3) <= 95)
        again = replay(sim.scenario, sim.seed, transcript_from_journal(read_jsonl(sim.journal.to_jsonl())))
        kinds = [e.type for e in again.journal.of_type("CommandIssued", "CommandRefused")]
        assert kinds == ["CommandIssued" if receipt.accepted else "CommandRefused"]
        _replays_to_itself(sim)


@pytest.mark.parametrize("args, words", [
    ({"percent": float("nan")}, "must be a finite number, not 'NaN'"),
    ({"percent": float("-inf")}, "must be a finite number, not '-Infinity'"),
    ({"percent": 10**400}, "must be a number between"),
    ({"percent": True}, "must be a number, not True"),
    ({"percent": 20, "bogus": 2.50001}, "has no argument 'bogus'"),
    ({"pecent": 20}, "did you mean 'percent'"),
])
def test_an_unbuildable_command_is_journaled_with_its_arguments_and_replays_refused(args, words):
    sim = _sim()
    apply_named(sim, "shed", "lb-1", args)
    (row,) = sim.journal.of_type("CommandRefused")
    assert words in row.data["reason"]
    assert set(row.data["args"]) == set(args)
    _replays_to_itself(sim)


def test_a_command_after_the_end_is_refused_and_not_journaled():
    sim = _sim()
    sim.run(sim.duration)
    text = sim.journal.to_jsonl()
    receipt = sim.apply(build_command("ack", "InstanceDown:lb-1"))
    assert not receipt.accepted and receipt.reason == "the drill has ended"
    apply_named(sim, "teleport", "lb-1", {"x": 1})
    apply_named(sim, "ack", "InstanceDown:lb-1", {})
    assert sim.journal.to_jsonl() == text
    assert sim.journal[-1].type == "DrillEnded"


def test_a_transcript_with_commands_at_the_very_end_replays_to_a_journal_that_ends_with_drill_ended():
    from engine.records.replay import TimedCommand, Transcript

    scenario = load_scenario("lb-failover")
    transcript = Transcript((TimedCommand(scenario.duration, "ack", "x"), TimedCommand(scenario.duration, "bogus")))
    sim = Replayer(scenario, 1, transcript).finish()
    assert sim.journal[-1].type == "DrillEnded"
    assert not sim.journal.of_type("CommandRefused")


def test_past_max_commands_a_command_is_refused_and_not_journaled():
    sim = _sim(5.0)
    for _ in range(MAX_COMMANDS):
        sim.apply(build_command("ack", "nothing"))
    text = sim.journal.to_jsonl()
    receipt = sim.apply(build_command("ack", "nothing"))
    assert not receipt.accepted and f"at most {MAX_COMMANDS:,} commands" in receipt.reason
    apply_named(sim, "teleport", "lb-1", {})
    assert sim.journal.to_jsonl() == text
    assert len(sim.journal.of_type("CommandIssued", "CommandRefused")) == MAX_COMMANDS
    sim.run(sim.duration)
    _replays_to_itself(sim)


def test_the_journal_writes_only_json_whatever_the_data():
    sim = _sim()
    sim.record("Note", value=float("nan"), big=10**5000, pair=(1, 2.00049), inf=float("inf"))
    (row,) = _strict(sim.journal.to_jsonl(sim.journal.of_type("Note")))
    assert row["value"] == "NaN" and row["inf"] == "Infinity" and row["pair"] == [1, 2]
    assert isinstance(row["big"], str)


# --------------------------------------------------------------------------- the property


BAD_TARGETS = st.sampled_from([None, "", "nope", "lb-eu-1", "web-eu", "x" * 300])
BAD_VALUES = st.one_of(
    st.sampled_from([float("nan"), float("inf"), float("-inf"), 10**400, -(10**30), 1e300, True, False, None,
                     "", "NaN", "1e400", "12.3456", [1], {"a": 1}, 95.0001, 94.9996, -0.0, 2**53 + 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(),
    st.text(max_size=8),
)
BAD_ARGS = st.dictionaries(st.sampled_from(["percent", "count", "mode", "enabled", "to", "pecent", "x"]), BAD_VALUES,
                           max_size=3)


class JournalMachine(DrillMachine):
    """The drill machine with hostile commands and console-like time; at the end, the journal replays to itself.

    Time moves in whole milliseconds (as the console moves it), so the journal's
    times are exact and its text replays the drill as the simulation does.
    """

    @rule(dt=st.one_of(st.integers(1, 30_000), st.sampled_from([100, 500, 7000])))
    def advance(self, dt):
        self.sim.run(round(self.sim.now + dt / 1000, 3))

    @rule(name=st.sampled_from(["shed", "scale", "shift", "read-only", "replication", "ack", "teleport"]),
          where=BAD_TARGETS, args=BAD_ARGS)
    def hostile_command(self, name, where, args):
        apply_named(self.sim, name, where, args)  # what scripts and replays do: refused ones are journaled

    @rule(command=st.fixed_dictionaries({
        "command": st.sampled_from(["shed", "restart", 5, None, ["ack"]]),
        "target": st.sampled_from(["lb-eu-1", [1], {}, 7, None]),
        "args": st.one_of(BAD_ARGS, st.sampled_from([5, "xy", [1], None])),
    }))
    def hostile_api_call(self, command):
        before = len(self.sim.journal)
        try:
            receipt = self.sim.apply(command)
        except CommandError:
            assert len(self.sim.journal) == before
            return
        assert receipt.id or len(self.sim.journal) == before

    @rule()
    def to_the_end_and_on(self):
        self.sim.run(self.sim.duration)
        apply_named(self.sim, "ack", "InstanceDown:db-1", {})
        self.sim.apply({"command": "ack", "target": "anything"})
        assert self.sim.journal[-1].type == "DrillEnded"

    def teardown(self):
        sim = self.sim
        if sim is None:
            return
        sim.run(sim.duration)  # nobody at the console any more: the replay runs to the end too
        text = sim.journal.to_jsonl()
        _strict(text)
        transcript = transcript_of(sim)
        assert Replayer(sim.scenario, sim.seed, transcript).finish().journal.to_jsonl() == text
        assert transcript_from_journal(read_jsonl(text)) == transcript


def test_the_journal_replays_to_itself_whatever_the_commands():
    run_state_machine_as_test(
        JournalMachine,
        settings=settings(SETTINGS, max_examples=25, phases=[Phase.explicit, Phase.reuse, Phase.generate]),
    )


def test_a_journal_line_holding_a_unicode_line_separator_reads_back_as_one_entry():
    """The journal is written with ensure_ascii=False, so text may hold U+2028 or U+0085 raw;
    str.splitlines cuts there, which made such a journal unreadable. Lines split on newlines only."""
    from engine.sim.journal import Journal, numbered_jsonl, read_jsonl

    journal = Journal()
    journal.record(1.0, "NoteAdded", text="first\u2028second\u0085third")
    journal.record(2.0, "DrillEnded")
    text = journal.to_jsonl()
    assert [row["type"] for row in read_jsonl(text)] == ["NoteAdded", "DrillEnded"]
    assert numbered_jsonl(text)[1] == [1, 2]
    assert read_jsonl(text)[0]["text"] == "first\u2028second\u0085third"
