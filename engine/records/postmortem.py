"""A blameless postmortem draft of a finished drill, in Markdown.

:func:`postmortem_markdown` turns a :class:`~engine.sim.runner.Report` (the run
and its two par runs) into the document a team would start from after a real
incident: a summary in plain words, the impact, a timeline, the contributing
factors, what went well and action items. Everything comes from data: the
journal (including what was hidden during the drill: the injected faults, the
true crashes, the lost writes), the measured :class:`~engine.scoring.outcome.Outcome`,
the SPOF analysis of the topology (:func:`engine.analysis.structure.analyze`), the
smallest changes that remove each SPOF (:func:`engine.analysis.suggest.suggestions`,
without simulation) and the reference solution's run.

The tone is blameless: the document talks about the system and the process
and calls the person at the console "the responder". The output depends only
on its input (no wall clock: the date appears only when ``when`` is given).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from engine.analysis.structure import Analysis, analyze
from engine.commands.investigate import EVIDENCE_EVENT
from engine.sim.evidence import gist
from engine.sim.journal import Entry
from engine.sim.monitoring import error_budget
from engine.scoring.format import clock, count, duration, names, number
from engine.scoring.detect import detection_path
from engine.scoring.format import detection_steps
from engine.sim.runner import Report, Run

DETECTION_TARGET = 30.0
"""Seconds from the first fault to the first alert beyond which monitoring counts as slow."""
RESPONSE_SLACK = 30.0
"""Seconds a response may trail the reference's and still count as "within par"."""
PAR_SLACK = 5.0
"""Seconds of mitigation or recovery time beyond the reference's still counted as within par."""

_FAULT_PHRASES = {
    "crash": "a crash of {target}",
    "flap": "{target} flapping (going down and up again)",
    "slowdown": "a slowdown of {target}",
    "error_rate": "{target} returning errors",
    "partition": "a network partition between {a} and {b}",
    "replication_lag": "extra replication lag on {target}",
    "replication_break": "replication to {target} breaking",
    "region_outage": "region {target} going dark",
    "cache_flush": "a flush of {target}",
    "dependency_outage": "an outage of {target}",
    "capacity_drop": "a capacity drop on {target}",
    "chaos_kill": "a chaos-monkey kill of {target}",
}
"""How each injected fault type reads in a sentence (unknown types read as ``<type> on <target>``)."""

_RUNBOOK_PHRASES = {
    "ack": "Make acknowledging `{target}` part of the on-call routine, so the incident has a visible owner",
    "mark": "Record {target} as a single point of failure in the architecture notes",
}
"""Action-item wording for reference commands that are not runbook steps; the rest read as runbook steps."""


# --------------------------------------------------------------------------- small formats


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _join(items: list[str]) -> str:
    return names(items, empty="")


def fault_phrase(entry: Entry) -> str:
    """An injected fault in words: ``a crash of lb-1``."""
    fault = str(entry.data.get("fault", "fault"))
    target = str(entry.data.get("target") or "")
    a, _, b = target.partition("/")
    template = _FAULT_PHRASES.get(fault, f"{fault.replace('_', ' ')} on {{target}}")
    b = names([part.strip() for part in b.split(",") if part.strip()], empty="")
    return template.format(target=target, a=a or target, b=b or "the rest")


def command_text(entry: Entry) -> str:
    """A command as typed: ``shift eu-west to=us-east percent=100``."""
    return _typed(entry.data)


def _typed(data: dict) -> str:
    args = " ".join(f"{k}={number(v).replace(',', '')}" if isinstance(v, float) else f"{k}={v}" for k, v in (data.get("args") or {}).items())
    return " ".join(part for part in (str(data.get("command")), str(data.get("target") or ""), args) if part)


def error_budget_used(run: Run, slo_target: float) -> tuple[float, float]:
    """``(budget, used)``: failed requests the SLO allowed over the drill, and the share of it spent (1.0 = all)."""
    return error_budget(run.outcome.requests, run.outcome.failed, slo_target)


# --------------------------------------------------------------------------- facts from the journal


class _Facts:
    """What one run's journal says, in the terms a postmortem uses."""

    def __init__(self, run: Run) -> None:
        journal = list(run.sim.journal)
        self.entries = journal
        self.faults = [e for e in journal if e.type == "FaultInjected"]
        self.first_fault = run.outcome.first_fault
        self.crashed = _unique(str(e.data.get("node")) for e in journal if e.type == "NodeCrashed")
        self.alerts = [e for e in journal if e.type == "AlertFired"]
        after = [e for e in self.alerts if self.first_fault is not None and e.t >= self.first_fault]
        self.first_alert = after[0] if after else None
        self.commands = [e for e in journal if e.type == "CommandIssued" and e.data.get("command") != "hint"]
        self.lost = [e for e in journal if e.type == "WritesLost"]
        self.promotions = [e for e in journal if e.type == "ReplicaPromoted"]
        self.split = [e for e in journal if e.type == "SplitBrainStarted"]
        self.dns = [e for e in journal if e.type == "DnsWeightsChanged"]
        self.evidence = [e for e in journal if e.type == EVIDENCE_EVENT]
        left = [e for e in journal if e.type == "TraineeLeft"]
        self.left = left[0].t if left else None

    @property
    def alert_delay(self) -> float | None:
        """Seconds from the first fault to the first alert after it."""
        if self.first_alert is None or self.first_fault is None:
            return None
        return self.first_alert.t - self.first_fault

    def issued(self) -> set[tuple[str, str]]:
        """The (command, target) pairs issued."""
        return {(str(e.data.get("command")), str(e.data.get("target") or "")) for e in self.commands}


def _unique(items: Iterable[str]) -> list[str]:
    out: list[str] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


_TIMELINE_WORDS = {
    "NodeCrashed": lambda d: f"{d.get('node')} went down ({str(d.get('cause', '')).replace('_', ' ')})",
    "NodeRecovered": lambda d: f"{d.get('node')} came back ({d.get('cause')})",
    "NodeStarted": lambda d: f"{d.get('node')} started and is serving",
    "NodeFenced": lambda d: f"{d.get('node')} fenced",
    "VipMoved": lambda d: f"virtual IP {d.get('vip')} moved to {d.get('new')} ({d.get('why')})",
    "ReplicaPromoted": lambda d: f"{d.get('node')} promoted to primary of {d.get('cluster')} (was {d.get('old_primary')})",
    "ReplicaRejoined": lambda d: f"{d.get('node')} rejoined as a replica of {d.get('upstream')}",
    "WritesLost": lambda d: f"{count(d.get('count') or 0, 'acknowledged write')} lost on {d.get('node')}: {d.get('reason')}",
    "SplitBrainStarted": lambda d: f"split brain in {d.get('cluster')}: {names(d.get('primaries') or [])} both take writes",
    "AutomaticFailoverStarted": lambda d: f"automatic failover of {d.get('cluster')} started (candidate {d.get('candidate')})",
    "DnsWeightsChanged": lambda d: "DNS weights now " + ", ".join(
        f"{region} {number(weight)}" for region, weight in sorted((d.get("weights") or {}).items())) + f" ({d.get('why')})",
    "CommandRefused": lambda d: f"`{_typed(d)}` refused: {d.get('reason')}",
    "CommandFailed": lambda d: f"`{_typed(d)}` did not complete: {d.get('reason')}",
    "TraineeLeft": lambda d: "the responder left the console; the scenario ran on to its end",
}
"""Journal entries the timeline shows, in words (the rest are noise in a postmortem)."""


def _who(entry: Entry, roles: Mapping[str, str] | None) -> str:
    """Who issued a command: its ``by`` with their role (a team drill), else "the responder"."""
    by = entry.data.get("by")
    if not by:
        return "the responder"
    role = (roles or {}).get(str(by))
    return f"{by} ({role})" if role else str(by)


def _timeline(report: Report, facts: _Facts, roles: Mapping[str, str] | None = None) -> list[tuple[float, str]]:
    rows: list[tuple[float, str]] = []
    for entry in facts.entries:
        hidden = "" if entry.visible else " *(hidden during the drill)*"
        if entry.type == "FaultInjected":
            rows.append((entry.t, f"**Fault:** {fault_phrase(entry)}{hidden}"))
        elif entry.type == "FaultCleared":
            rows.append((entry.t, f"fault cleared: {fault_phrase(entry)}{hidden}"))
        elif entry is facts.first_alert:
            rows.append((entry.t, f"**Detection:** alert `{entry.data.get('alert')}` fired ({entry.data.get('severity')})"))
        elif entry.type == "CommandIssued":
            rows.append((entry.t, f"{_who(entry, roles)} issued `{command_text(entry)}`"))
        elif entry.type in _TIMELINE_WORDS:
            rows.append((entry.t, _TIMELINE_WORDS[entry.type](entry.data) + hidden))
    outcome = report.run.outcome
    if outcome.first_fault is not None:
        if outcome.impacted and outcome.time_to_mitigate is not None:
            rows.append((outcome.first_fault + outcome.time_to_mitigate,
                         f"**Mitigation:** availability back above the SLO for good (time to mitigate {duration(outcome.time_to_mitigate, 0)})"))
        if outcome.time_to_recover:
            rows.append((outcome.first_fault + outcome.time_to_recover,
                         f"**Recovery:** redundancy restored (time to recover {duration(outcome.time_to_recover, 0)})"))
    return sorted(rows, key=lambda row: row[0])


# --------------------------------------------------------------------------- sections


def _header(report: Report, when: str | None, trainee: str | None,
            roles: Mapping[str, str] | None = None) -> list[str]:
    sc, score = report.scenario, report.run.score
    verdict = "met the scenario's bar" if score.passed else "did not meet the scenario's bar"
    lines = [f"# Postmortem: {sc.title}", ""]
    lines.append(f"- **Scenario:** `{sc.id or sc.title}` (seed {report.run.seed}, {sc.duration:.0f} s simulated)")
    if when:
        lines.append(f"- **Date:** {when}")
    if roles:
        lines.append("- **Participants:** " + ", ".join(f"{name} ({role})" for name, role in roles.items()))
    elif trainee:
        lines.append(f"- **Responder:** {trainee}")
    lines.append(f"- **Result:** score {score.score:.1f} ({score.grade}); {verdict} "
                 f"(a score of {number(sc.scoring.pass_score)} and every steady-state probe)")
    lines.append("- **Status:** draft. Blameless: this document is about the system and the process, not about people.")
    return lines


def _summary(report: Report, facts: _Facts) -> list[str]:
    sc, outcome = report.scenario, report.run.outcome
    sentences: list[str] = []
    if not facts.faults:
        sentences.append(f"No fault was injected during this {sc.duration:.0f} s drill.")
    elif len(facts.faults) <= 3:
        parts = [f"{fault_phrase(e)} at {clock(e.t)}" for e in facts.faults]
        sentences.append(f"During this {sc.duration:.0f} s drill the scenario injected {_join(parts)}.")
    else:
        first = facts.faults[0]
        sentences.append(f"During this {sc.duration:.0f} s drill the scenario injected {count(len(facts.faults), 'fault')}, "
                         f"the first {fault_phrase(first)} at {clock(first.t)}.")
    if facts.crashed:
        sentences.append(f"{_join(facts.crashed)} went down.")
    if facts.first_alert is not None:
        sentences.append(f"The first alert, `{facts.first_alert.data.get('alert')}`, fired at {clock(facts.first_alert.t)}, "
                         f"{facts.alert_delay:.0f} s after the first fault; {count(len(facts.alerts), 'alert')} fired in all.")
    elif facts.faults:
        sentences.append("No alert fired after the first fault.")
    if facts.commands:
        shown = [f"`{command_text(e)}` at {clock(e.t)}" for e in facts.commands[:6]]
        more = f" and {count(len(facts.commands) - 6)} more" if len(facts.commands) > 6 else ""
        sentences.append(f"The responder issued {count(len(facts.commands), 'command')}: "
                         f"{', '.join(shown)}{more}.")
    else:
        sentences.append("The responder issued no command during the drill.")
    if facts.left is not None:
        sentences.append(f"The responder left the console at {clock(facts.left)}; the scenario ran on to its end.")
    sentences.append(f"In the end {outcome.availability:.2%} of requests were served, with {outcome.downtime:.1f} s "
                     f"of request-weighted downtime and {count(outcome.lost_writes, 'lost acknowledged write')}.")
    if outcome.first_fault is not None and outcome.impacted:
        if outcome.time_to_mitigate is None:
            sentences.append("Users were still affected when the drill ended.")
        else:
            sentences.append(f"Users were served again {outcome.time_to_mitigate:.0f} s after the first fault.")
    if outcome.first_fault is not None and outcome.time_to_recover is None:
        sentences.append("Redundancy was not back to its design when the drill ended.")
    return ["## Summary", "", " ".join(sentences)]


def _impact(report: Report) -> list[str]:
    sc, outcome = report.scenario, report.run.outcome
    budget, used = error_budget_used(report.run, sc.slo.target)
    return [
        "## Impact",
        "",
        f"- **Availability:** {outcome.availability:.2%} of {count(outcome.requests, 'request')} served "
        f"({count(outcome.failed)} failed, {count(outcome.degraded)} served degraded)",
        f"- **Downtime (request-weighted):** {outcome.downtime:.1f} s",
        f"- **Full outage:** {outcome.full_outage:.0f} s (seconds in which fewer than 1% of requests succeeded)",
        f"- **Lost acknowledged writes:** {count(outcome.lost_writes)} of {count(outcome.writes_acknowledged)} acknowledged; "
        f"RPO window {outcome.rpo:.1f} s",
        f"- **Split brain:** {outcome.split_brain_seconds:.0f} s",
        f"- **Error budget:** the SLO ({sc.slo.target:.2%} of requests succeed) allowed {count(budget, 'failed request')} "
        f"over the drill; {used:,.0%} of that budget was used",
    ]


def _timing(report: Report, facts: _Facts, roles: Mapping[str, str] | None = None) -> list[str]:
    outcome, ref = report.run.outcome, report.reference.outcome
    rows = _timeline(report, facts, roles)
    lines = ["## Timeline", "", "Simulated time (mm:ss) from the start of the drill.", "",
             "| time | event |", "| --- | --- |"]
    lines += [f"| {clock(t)} | {_cell(text)} |" for t, text in rows]
    lines.append("")
    alert = f"First alert {duration(facts.alert_delay, 0)} after the first fault; t" if facts.first_alert is not None else "T"
    lines.append(f"{alert}ime to detect {duration(outcome.time_to_detect, 0)}, time to mitigate {duration(outcome.time_to_mitigate, 0)}, "
                 f"time to recover {duration(outcome.time_to_recover, 0)} (the reference solution: {duration(ref.time_to_detect, 0)}, "
                 f"{duration(ref.time_to_mitigate, 0)}, {duration(ref.time_to_recover, 0)}).")
    return lines


def _detection(report: Report) -> list[str]:
    """Each fault beside what monitoring showed of it, and when: what the responder could have noticed."""
    scenario = report.scenario
    paths = detection_path(scenario, report.run.sim.journal)
    lines = ["## Detection", "",
             "What was true (hidden during the drill) beside what monitoring showed, on the same clock "
             f"({'a truth drill: the console showed every component as it was' if scenario.visibility == 'truth' else f'scrapes every {scenario.alerts.scrape_interval:g} s'}).", ""]
    for path in paths:
        first, *rest = detection_steps(path, scenario.visibility, who="the responder")
        lines.append(f"- {_cell(first)}")
        lines += [f"  - {_cell(line)}" for line in rest]
    return lines if paths else lines + ["No fault was injected."]
def _investigation(facts: _Facts) -> list[str]:
    """Each investigation the responder ran, when it completed, and what it showed in one line."""
    lines = ["## Investigation", ""]
    if not facts.evidence:
        return lines + ["The responder ran no investigation (logs, probe, replstatus, backends, dig)."]
    lines += ["| time | investigation | what it showed |", "| --- | --- | --- |"]
    for entry in facts.evidence:
        d = entry.data
        args = " ".join(f"{k}={v}" for k, v in (d.get("args") or {}).items())
        typed = " ".join(part for part in (str(d.get("command")), str(d.get("target") or ""), args) if part)
        lines.append(f"| {clock(entry.t)} | `{_cell(typed)}` | {_cell(gist(str(d.get('command')), d.get('lines') or []))} |")
    return lines


def _node_spec(report: Report, name: str):
    return report.scenario.topology.nodes.get(name)


def _factors(report: Report, facts: _Facts, analysis: Analysis) -> list[str]:
    sc, outcome = report.scenario, report.run.outcome
    failed_here = set(facts.crashed) | {str(e.data.get("target")) for e in facts.faults}
    items: list[str] = []
    for name in analysis.spofs:
        verdict = analysis.of(name)
        here = "; it failed in this drill" if name in failed_here else ""
        kind = verdict.kind.replace("_", " ")
        what = f"**{name}**" if kind == name else f"**{name}** ({kind})"
        items.append(f"{what} is a single point of failure: {verdict.reason}{here}.")
    for finding in analysis.findings:
        label = "Failover needs a human" if finding.needs_human else "Redundancy not wired"
        items.append(f"**{label}:** {finding.reason}.")
    for lost in facts.lost:
        node = str(lost.data.get("node"))
        promoted = [p for p in facts.promotions if p.t == lost.t and p.data.get("old_primary") == node]
        spec = _node_spec(report, str(promoted[-1].data.get("node"))) if promoted else None
        if spec is not None and getattr(spec, "replication", None) == "async":
            items.append(f"**Asynchronous replication:** {promoted[-1].data.get('node')} replicated asynchronously "
                         f"(base lag {number(spec.lag)} s), so when it was promoted {count(lost.data.get('count') or 0, 'acknowledged write')} "
                         f"on {node} had not reached it.")
        else:
            items.append(f"**Lost writes:** {count(lost.data.get('count') or 0, 'acknowledged write')} on {node} "
                         f"{'was' if lost.data.get('count') == 1 else 'were'} lost "
                         f"({lost.data.get('reason')}).")
    for split in facts.split:
        items.append(f"**Split brain:** {', '.join(split.data.get('primaries') or [])} could both take writes in "
                     f"{split.data.get('cluster')} ({outcome.split_brain_seconds:.0f} s in all): the old primary was not "
                     "fenced before the promotion.")
    rest = outcome.lost_writes - sum(int(e.data.get("count") or 0) for e in facts.lost)
    if rest > 0:
        where = "taken by the old primary during the split brain, " if facts.split else ""
        items.append(f"**Diverged data:** {count(rest, 'more acknowledged write')} {'was' if rest == 1 else 'were'} {where}not in the final copy "
                     f"of the data (RPO window {outcome.rpo:.1f} s over all lost writes).")
    shifts = facts.dns or [e for e in report.reference.sim.journal if e.type == "DnsWeightsChanged"]
    dns_nodes = [(name, spec) for name, spec in sc.topology.nodes.items() if spec.kind == "dns"]
    if shifts and dns_nodes:
        ttls = ", ".join(f"{name} {number(spec.ttl)} s" for name, spec in dns_nodes)
        when = f" after the change at {clock(facts.dns[0].t)}" if facts.dns else " after any change"
        items.append(f"**DNS TTL:** clients follow a change of DNS weights only when their cached record expires "
                     f"(TTL {ttls}), so users kept reaching the old region for up to that long{when}.")
    if facts.faults and (facts.first_alert is None or (facts.alert_delay or 0.0) > DETECTION_TARGET):
        delay = "no alert fired" if facts.first_alert is None else f"the first alert fired {facts.alert_delay:.0f} s after it"
        items.append(f"**Monitoring:** {delay} (target: within {DETECTION_TARGET:.0f} s).")
    lines = ["## Contributing factors", ""]
    lines += [f"- {item}" for item in items] or ["- None found in the topology or the journal."]
    return lines


def _went_well(report: Report, facts: _Facts) -> list[str]:
    me, ref, none = report.run.outcome, report.reference.outcome, report.no_action.outcome
    items: list[str] = []
    if facts.first_alert is not None and (facts.alert_delay or 0.0) <= DETECTION_TARGET:
        items.append(f"Monitoring detected the failure within {facts.alert_delay:.0f} s "
                     f"(`{facts.first_alert.data.get('alert')}`).")
    if me.time_to_detect is not None and (ref.time_to_detect is None or me.time_to_detect <= ref.time_to_detect + RESPONSE_SLACK):
        items.append(f"The responder engaged {me.time_to_detect:.0f} s after the first fault "
                     f"(the reference solution: {duration(ref.time_to_detect, 0)}).")
    if me.impacted and me.time_to_mitigate is not None and (
            ref.time_to_mitigate is None or me.time_to_mitigate <= ref.time_to_mitigate + PAR_SLACK):
        items.append(f"Users were served again within par: {me.time_to_mitigate:.0f} s after the first fault "
                     f"(the reference solution: {duration(ref.time_to_mitigate, 0)}).")
    if me.time_to_recover and (ref.time_to_recover is None or me.time_to_recover <= ref.time_to_recover + PAR_SLACK):
        items.append(f"Redundancy was restored after {me.time_to_recover:.0f} s, so a second failure would not "
                     "have started from a weakened system.")
    if me.downtime < none.downtime - 1:
        items.append(f"The response avoided {none.downtime - me.downtime:.0f} s of downtime compared with no action "
                     f"({none.downtime:.1f} s).")
    if me.writes_acknowledged > 0 and me.lost_writes == 0:
        compared = (f" (no action lost {count(none.lost_writes)}, the reference solution {count(ref.lost_writes)})"
                    if none.lost_writes or ref.lost_writes else "")
        items.append(f"No acknowledged write was lost{compared}.")
    elif me.lost_writes < none.lost_writes:
        items.append(f"{count(none.lost_writes - me.lost_writes, 'fewer write')} {'was' if none.lost_writes - me.lost_writes == 1 else 'were'} lost than with no action.")
    if facts.promotions and me.split_brain_seconds == 0:
        items.append("The promotion left a single primary: no split brain.")
    if report.run.score.passed:
        items.append(f"The run met the scenario's bar (score {report.run.score.score:.1f}).")
    lines = ["## What went well", ""]
    lines += [f"- {item}" for item in items] or [
        "- The drill produced a complete record of the failure and its impact, which makes the gaps below concrete."]
    return lines


def _actions(report: Report, facts: _Facts, analysis: Analysis) -> list[str]:
    from engine.analysis.suggest import suggestions

    me, ref = report.run.outcome, report.reference.outcome
    items: list[str] = []
    advice, unmodelled = suggestions(report.scenario, analysis, simulate=False)
    for item in advice:
        items.append(f"Remove the SPOF {item.component}: {item.change} (availability from the block diagram "
                     f"{item.availability_before:.4%} → {item.availability_after:.4%}).")
    items += [f"Remove the SPOF {line}." for line in unmodelled]
    for finding in analysis.findings:
        if finding.needs_human:
            items.append(f"Automate: {finding.reason}.")
    mine = facts.issued()
    reference = _Facts(report.reference)
    seen: set[tuple[str, str]] = set()
    for entry in reference.commands:
        key = (str(entry.data.get("command")), str(entry.data.get("target") or ""))
        if key in mine or key in seen:
            continue
        seen.add(key)
        cmd = command_text(entry)
        offset = f", {entry.t - reference.first_fault:.0f} s after the first fault" if (
            reference.first_fault is not None and entry.t >= reference.first_fault) else ""
        template = _RUNBOOK_PHRASES.get(key[0], "Add `{cmd}` to the runbook for this failure")
        items.append(template.format(cmd=cmd, target=key[1]) + f" (the reference solution issues `{cmd}` at "
                     f"{clock(entry.t)}{offset}; this response did not include it).")
    slow = me.time_to_detect is None or (ref.time_to_detect is not None and me.time_to_detect > ref.time_to_detect + RESPONSE_SLACK)
    if facts.faults and slow:
        if facts.first_alert is None or (facts.alert_delay or 0.0) > DETECTION_TARGET:
            what = f"{_join(facts.crashed)} going down" if facts.crashed else fault_phrase(facts.faults[0])
            items.append(f"Add an alert that pages within {DETECTION_TARGET:.0f} s of {what}: time to detect was "
                         f"{duration(me.time_to_detect, 0)} (the reference solution: {duration(ref.time_to_detect, 0)}).")
        else:
            items.append(f"Add an alert route that pages the on-call responder on `{facts.first_alert.data.get('alert')}` "
                         f"with a link to the runbook: it fired {facts.alert_delay:.0f} s after the fault, but time to detect "
                         f"was {duration(me.time_to_detect, 0)} (the reference solution: {duration(ref.time_to_detect, 0)}).")
    if facts.lost:
        clusters = _join(_unique(str(p.data.get("cluster")) for p in facts.promotions) or ["the database"])
        items.append(f"Agree the RPO {clusters} can accept and choose its replication to match: "
                     f"{count(me.lost_writes, 'acknowledged write')} {'was' if me.lost_writes == 1 else 'were'} lost (RPO window {me.rpo:.1f} s).")
    if facts.split:
        items.append(f"Fence the old primary before any promotion and put that order in the runbook "
                     f"(split brain lasted {me.split_brain_seconds:.0f} s).")
    lines = ["## Action items", ""]
    lines += [f"- [ ] {item} Owner: TBD." for item in items] or ["- [ ] None derived; review the timeline as a team."]
    return lines


def postmortem_markdown(report: Report, analysis: Analysis | None = None, *, when: str | None = None,
                        trainee: str | None = None, roles: Mapping[str, str] | None = None) -> str:
    """A blameless postmortem draft of a drill, in Markdown (same input, same text).

    ``analysis`` is the SPOF analysis of the scenario (computed when ``None``);
    ``when`` the date of the drill and ``trainee`` who responded, shown only when given; ``roles`` (a team
    drill: each participant's name and role) lists the participants and names who issued each command.
    """
    analysis = analysis if analysis is not None else analyze(report.scenario)
    facts = _Facts(report.run)
    sections = [
        _header(report, when, trainee, roles),
        _summary(report, facts),
        _impact(report),
        _timing(report, facts, roles),
        _detection(report),
        _investigation(facts),
        _factors(report, facts, analysis),
        _went_well(report, facts),
        _actions(report, facts, analysis),
        ["---", "", "*Draft written by spofdrill from the drill's journal (including what was hidden during the drill) "
         "and its measurements; edit it before sharing.*"],
    ]
    return "\n\n".join("\n".join(section) for section in sections) + "\n"


__all__ = ["DETECTION_TARGET", "PAR_SLACK", "RESPONSE_SLACK", "command_text", "error_budget_used",
           "fault_phrase", "postmortem_markdown"]
