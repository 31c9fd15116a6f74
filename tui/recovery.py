"""Taking up an interrupted drill in the console: what the prompt says, and the rebuilt session.

Finding interrupted drills, rebuilding and discarding them is the engine's
(:mod:`engine.records.recovery`, which says when a drill counts as complete); this
module turns a found drill into words for :class:`~tui.screens.recover.RecoveryDialog`
and into a :class:`~tui.session.DrillSession` that goes on writing the same
journal, paused at the moment the drill stopped, in the mode it ran in.
"""

from __future__ import annotations

from engine.records.recovery import InterruptedDrill, rebuild

from .session import DrillSession
from .widgets.clock import mmss

ASSESSMENT = "assessment"


def describe(drill: InterruptedDrill) -> str:
    """The prompt's text for one interrupted drill."""
    name = drill.journal.name
    if not drill.recoverable or drill.header is None:
        return (
            f"An interrupted drill was found ({name}), but it cannot be recovered:\n{drill.problem}"
        )
    header = drill.header
    who = "" if header.trainee == "trainee" else f", drilled by {header.trainee}"
    lines = [
        f"An interrupted drill was found: {header.scenario.title}, seed {header.seed}{who}, "
        f"stopped at {mmss(drill.stopped_at)} ({name})."
    ]
    if drill.left_at is not None:
        lines.append(f"The trainee had left it at {mmss(drill.left_at)}: Recover runs the rest and shows the debrief.")
    elif header.mode == ASSESSMENT:
        lines.append("It was an assessment: it goes on in assessment mode, paused until you press space.")
    else:
        lines.append("Recover takes it up where it stopped, paused.")
    if drill.dropped:
        lines.append(f"Note: {drill.dropped}.")
    return "\n".join(lines)


def resume_session(drill: InterruptedDrill) -> DrillSession:
    """The drill rebuilt and writing its journal again, paused; raises :class:`engine.records.recovery.RecoveryError`."""
    sim = rebuild(drill)
    header = drill.header
    assert header is not None  # rebuild refuses a drill without one
    session = DrillSession(
        header.scenario, header.seed, assess=header.mode == ASSESSMENT, trainee=header.trainee,
        journal_path=drill.journal, sim=sim,
    )
    session.paused = not sim.finished
    return session


def resumed_note(session: DrillSession) -> str:
    """What the console says once a drill is taken up again."""
    if session.finished:
        return f"Recovered at {mmss(session.now)}: the drill had ended; here is its debrief."
    return f"Recovered at {mmss(session.now)}. Paused: press space to go on."
