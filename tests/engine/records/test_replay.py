"""Transcripts and replays: a drill done again from its scenario, seed and commands is the same drill."""

from __future__ import annotations

import random

import pytest

from engine.sim.journal import read_jsonl
from engine.scenario.loader import builtin_scenarios, load_scenario
from engine.records.replay import (
    Replayer,
    TimedCommand,
    Transcript,
    TranscriptError,
    replay,
    transcript_from_journal,
    transcript_of,
)
from engine.sim.runner import simulate
from tui.session import DrillSession


def _console_drill(name: str, seed: int, rng: random.Random, leave_at: float | None = None) -> DrillSession:
    """Drive a scenario like the console: uneven ticks, the reference commands given at tick boundaries."""
    scenario = load_scenario(name)
    reference = simulate(scenario, seed, scenario.reference_solution, name="reference")
    commands = transcript_of(reference.sim).commands
    session = DrillSession(scenario, seed)
    session.speed_index = 3
    queue = list(commands)
    while not session.finished:
        if leave_at is not None and session.now >= leave_at:
            session.end()
            break
        session.tick(rng.uniform(0.01, 0.25))
        while queue and queue[0].t <= session.now:
            command = queue.pop(0)
            session.apply(_built(command))
    return session


def _built(command: TimedCommand):
    from engine.commands import build_command

    return build_command(command.command, command.target, dict(command.args))


@pytest.mark.parametrize("name", ["lb-failover", "db-primary-async", "compound-incident", "spof-baseline"])
def test_a_console_drill_replays_byte_for_byte_from_its_journal(name: str) -> None:
    session = _console_drill(name, 3, random.Random(name))
    original = session.sim.journal.to_jsonl()
    from_journal = transcript_from_journal(read_jsonl(original))
    assert len(from_journal) > 0
    assert replay(session.scenario, 3, from_journal).journal.to_jsonl() == original
    assert replay(session.scenario, 3, transcript_of(session.sim)).journal.to_jsonl() == original


def test_leaving_early_replays_with_the_rest_of_the_scenario_run_without_the_trainee() -> None:
    session = _console_drill("db-primary-async", 1, random.Random(7), leave_at=100.0)
    original = session.sim.journal.to_jsonl()
    transcript = transcript_from_journal(read_jsonl(original))
    assert transcript.left_at is not None and 100.0 <= transcript.left_at < 101.0
    again = replay(session.scenario, 1, transcript)
    assert again.journal.to_jsonl() == original
    assert again.journal.of_type("TraineeLeft")[0].t == transcript.left_at


@pytest.mark.parametrize("name", builtin_scenarios())
def test_the_reference_solution_replays_to_the_same_score(name: str) -> None:
    scenario = load_scenario(name)
    run = simulate(scenario, 0, scenario.reference_solution, name="reference")
    again = replay(scenario, 0, transcript_of(run.sim))
    from engine.sim.runner import measure

    assert measure(again).score.to_dict() == run.score.to_dict()


def test_a_rewound_replay_stops_before_the_moment_and_can_be_taken_over() -> None:
    scenario = load_scenario("lb-failover")
    run = simulate(scenario, 0, scenario.reference_solution, name="reference")
    transcript = transcript_of(run.sim)
    first = transcript.commands[0].t
    replayer = Replayer(scenario, 0, transcript.until(first))
    replayer.run(first)
    assert replayer.now == pytest.approx(first)
    assert not replayer.sim.journal.of_type("CommandIssued")
    sim = replayer.detach()
    sim.run(sim.duration)  # the trainee did nothing after rewinding: the no-action ending
    assert not sim.journal.of_type("CommandIssued")


def test_a_transcript_that_goes_back_in_time_is_refused_with_the_place() -> None:
    with pytest.raises(TranscriptError, match=r"commands\[1\] at 5 s"):
        Transcript.from_dict({"commands": [{"t": 10, "command": "ack"}, {"t": 5, "command": "ack"}]})
    with pytest.raises(TranscriptError, match=r"commands\[0\]: 't'"):
        Transcript.from_dict({"commands": [{"t": "soon", "command": "ack"}]})


def test_an_unknown_command_in_a_transcript_is_journaled_as_refused_not_raised() -> None:
    scenario = load_scenario("lb-failover")
    sim = replay(scenario, 0, Transcript((TimedCommand(5.0, "teleport", "lb-1"),)))
    refused = sim.journal.of_type("CommandRefused")
    assert refused and refused[0].data["command"] == "teleport" and refused[0].t == 5.0


def test_a_live_journal_has_a_header_from_which_the_drill_replays(tmp_path) -> None:
    from engine.records.replay import header_path, read_header

    scenario = load_scenario("lb-failover")
    journal = tmp_path / "journals" / "drill.jsonl"
    session = DrillSession(scenario, 5, trainee="ada", journal_path=journal)
    session.tick(0.5)
    session.end()
    header = read_header(journal)
    assert header_path(journal).name == "drill.drill.json"
    assert (header.scenario, header.seed, header.trainee, header.mode) == (scenario, 5, "ada", "practice")
    text = journal.read_text()
    again = replay(header.scenario, header.seed, transcript_from_journal(read_jsonl(text)))
    assert again.journal.to_jsonl() == text


def test_a_damaged_header_names_the_file(tmp_path) -> None:
    from engine.records.replay import read_header

    journal = tmp_path / "x.jsonl"
    journal.write_text("")
    with pytest.raises(TranscriptError, match=r"x\.drill\.json: missing"):
        read_header(journal)
    (tmp_path / "x.drill.json").write_text('{"format": 1, "seed": 1')
    with pytest.raises(TranscriptError, match=r"x\.drill\.json: line 1: not JSON"):
        read_header(journal)
