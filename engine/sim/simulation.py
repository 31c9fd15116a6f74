"""The simulation: one API for everyone who drives a drill.

``Simulation(scenario, seed)`` builds the architecture and schedules the
scenario's faults. Drivers (the console, action scripts, replay, reference
solutions, tests) then only ever:

* advance simulated time in bounded slices: :meth:`Simulation.run` /
  :meth:`Simulation.advance`;
* apply commands: :meth:`Simulation.apply` (and :meth:`Simulation.preview`
  to show what a command would do before asking for confirmation);
* read immutable state: :meth:`Simulation.snapshot` and the :attr:`journal`;
* and at the end :meth:`Simulation.outcome` for the ground truth to score.

Traffic is a fluid model integrated over segments of simulated time: a
periodic tick (``engine.tick``) and every discrete state change (a crash, a
health-check transition, a VIP move) close a segment, so a change that
happens at 60.4 s is accounted from 60.4 s exactly. Discrete behaviour
(health checks, VRRP, faults, chaos, commands, automation) is simpy processes.

The simulation is a facade over one :class:`~engine.sim.world.World` (the
state) and the parts that work on it: :class:`~engine.sim.flow.Traffic`,
:class:`~engine.sim.monitoring.Monitoring`,
:class:`~engine.sim.automation.Automation`, :class:`~engine.sim.faults.Faults`
and :class:`~engine.sim.control.CommandDesk`.
"""

from __future__ import annotations

import gc
import math
from collections import deque
from typing import Any

import networkx as nx
import simpy

from engine.commands import Command, Refused
from engine.scenario.loader.sizes import check_runnable
from engine.scenario.schema import Scenario
from engine.scoring.outcome import Outcome, Tally, compute_outcome
from engine.scoring.score import score_outcome
from engine.sim.alerts import AlertEvaluator
from engine.sim.automation import Automation
from engine.sim.control import CommandDesk, Preview, Receipt
from engine.sim.faults import Faults
from engine.sim.flow import Traffic
from engine.sim.journal import Journal
from engine.sim.model import Cluster, Node, VipGroup
from engine.sim.monitoring import Monitoring
from engine.sim.rng import Streams
from engine.sim.snapshot import AlertView, EdgeView, NodeView, PendingView, Snapshot
from engine.sim.world import World
from engine.util.ranges import merge_ranges, range_count, subtract_ranges

__all__ = ["Preview", "Receipt", "Refused", "Simulation"]


class Simulation:
    """A running drill over one scenario and seed."""

    def __init__(self, scenario: Scenario, seed: int = 0, *, budget: bool = True) -> None:
        self._runnable = not budget  # checked against the work budget when time first advances (see run)
        self.world = world = World(scenario, seed)
        """The drill's state, shared by the parts below."""
        self.traffic = Traffic(world)
        self.monitoring = Monitoring(world, self.traffic)
        self.automation = Automation(world)
        self.faults = Faults(world, self.automation)
        self.commands = CommandDesk(world, self.automation, self.monitoring)
        world.integrate = self._integrate
        self._score_key: tuple | None = None
        self._score = 0.0
        self._seen_score = 100.0  # the score as of monitoring's last global scrape (observed visibility)
        self._acked_done: dict[str, tuple[list[list[int]], int, int]] = {}  # see _acknowledged

        env = world.env
        world.journal.record(0.0, "DrillStarted", scenario=scenario.id or scenario.title, seed=world.seed)
        env.process(self._ticker())
        for vip in world.vips.values():
            for member in vip.members:
                env.process(self.automation.health_checker(world.nodes[member]))
        for index, fault in enumerate(scenario.method):
            env.process(self.faults.fault_process(index, fault))
        if scenario.chaos is not None and scenario.chaos.enabled:
            env.process(self.faults.chaos_monkey())
        for index, hint in enumerate(scenario.hints):
            if hint.at is not None:
                env.process(self.faults.hint_timer(index, hint.at))
        if scenario.automation.db_failover.enabled:
            env.process(self.automation.db_failover_watch())
        if scenario.automation.dns_failover.enabled:
            env.process(self.automation.dns_failover_watch())
        # The world is tens of thousands of long-lived containers (nodes, plans, health views, range
        # lists, metric histories) that live as long as the drill: every full collection would walk them
        # all. Move what exists now out of the collector's generations (gc.freeze) until the drill ends
        # (gc.unfreeze in run): a scoped change, not a new collection policy. An unfinished drill's
        # objects are released by the next drill that ends.
        gc.freeze()

    # ------------------------------------------------------------------ what drivers read

    @property
    def scenario(self) -> Scenario:
        return self.world.scenario

    @property
    def seed(self) -> int:
        return self.world.seed

    @property
    def duration(self) -> float:
        return self.world.duration

    @property
    def tick(self) -> float:
        return self.world.tick

    @property
    def env(self) -> simpy.Environment:
        return self.world.env

    @property
    def streams(self) -> Streams:
        return self.world.streams

    @property
    def journal(self) -> Journal:
        return self.world.journal

    @property
    def graph(self) -> nx.DiGraph:
        return self.world.graph

    @property
    def finished(self) -> bool:
        return self.world.finished

    @property
    def nodes(self) -> dict[str, Node]:
        return self.world.nodes

    @property
    def vips(self) -> dict[str, VipGroup]:
        return self.world.vips

    @property
    def clusters(self) -> dict[str, Cluster]:
        return self.world.clusters

    @property
    def health(self) -> dict[str, dict[str, list]]:
        return self.world.health

    @property
    def alerts(self) -> AlertEvaluator:
        return self.world.alerts

    @property
    def marks(self) -> set[str]:
        """SPOF hunt: components the trainee marked."""
        return self.world.marks

    @property
    def hints_revealed(self) -> list[int]:
        return self.world.hints_revealed

    @property
    def series(self) -> dict[str, list[float]]:
        """The global per-second series (``t``, ``requests``, ``availability``...)."""
        return self.world.series

    @property
    def node_metrics(self) -> dict[str, dict[str, float]]:
        """Each node's metrics over the last closed second."""
        return self.world.node_metrics

    @property
    def node_history(self) -> dict[str, deque[tuple[float, ...]]]:
        return self.world.node_history

    def node_series(self, name: str, metric: str) -> list[float]:
        """The last seconds of one of a node's metrics, oldest first."""
        return self.monitoring.node_series(name, metric)

    def replica_lag(self, node: Node) -> float:
        """Seconds of acknowledged writes the replica does not have yet."""
        return self.monitoring.replica_lag(node)

    def record(self, type: str, **data: Any) -> None:
        """Journal an event now, after accounting traffic up to now (keeps the journal in time order)."""
        self.world.record(type, **data)

    # ------------------------------------------------------------------ time

    @property
    def now(self) -> float:
        return self.world.env.now

    def run(self, until: float) -> None:
        """Advance simulated time to ``until`` (bounded by the drill's duration).

        The first call refuses a run past the work budget (:func:`~engine.scenario.loader.sizes.check_runnable`,
        ``RunTooLarge``) before any time passes; building one to look at its snapshot is allowed.
        """
        if not self._runnable:
            check_runnable(self.world.scenario)
            self._runnable = True
        # whole microseconds: a console adding 0.1 s ten times must reach 1.0 s, not 0.9999999999999999
        until = min(round(float(until), 6), self.world.duration)
        if until <= self.world.env.now:
            return
        self.world.env.run(until=until)
        # Traffic is integrated by the ticker and at state changes, never at a slice's end,
        # so how a driver slices time cannot change the run.
        if until >= self.world.duration and not self.world.finished:
            self._integrate(until)
            self.world.finished = True
            self._report_final_losses()
            self.world.journal.record(self.world.duration, "DrillEnded")
            gc.unfreeze()  # see __init__: the world's objects are ordinary garbage again

    def _report_final_losses(self) -> None:
        """At the end, journal the acknowledged writes no surviving copy holds and no entry has reported yet.

        Writes held only by an old primary that never rejoined (split-brain writes, a writer destroyed
        without a promotion) are lost when the drill ends; journaling them here makes the journal's
        ``WritesLost`` counts add up to the outcome's lost writes, each write once.
        """
        final = self.final_data()
        for cluster in self.world.clusters.values():
            gone = subtract_ranges(subtract_ranges(cluster.allocated, final.get(cluster.name, [])), cluster.lost)
            count = range_count(gone)
            if count > 0:
                cluster.lost = merge_ranges(cluster.lost, gone)
                self.world.record("WritesLost", node=cluster.writer, count=count,
                                  reason="on no surviving copy when the drill ended")

    def advance(self, dt: float) -> None:
        """Advance simulated time by ``dt`` seconds."""
        self.run(self.world.env.now + dt)

    def _ticker(self):
        while True:
            yield self.world.env.timeout(self.world.tick)
            self._integrate(self.world.env.now)

    def _integrate(self, t: float) -> None:
        while self.world.flow_t < t:
            boundary = math.floor(self.world.flow_t) + 1.0
            end = min(t, boundary)
            self.traffic.step(self.world.flow_t, end - self.world.flow_t)
            self.world.flow_t = end
            if end == boundary:
                self.monitoring.close_second(boundary)
                observer = self.monitoring.observer
                observer.journal_changes(self._command_states(), self.monitoring.scraped)
                if observer.observed and observer.global_at == boundary:
                    self._seen_score = self._current_score()

    def apply(self, command: Command | dict, by: str | None = None) -> Receipt:
        """Apply a trainee command now. Refusals come back with the reason and are journaled.

        A command that cannot be built (wrong-typed target or arguments, unknown
        name or argument, NaN, ±inf, a huge number) raises
        :class:`engine.commands.CommandError` and journals nothing. After the
        drill has ended, or past :data:`engine.util.limits.MAX_COMMANDS`
        commands, the receipt is a refusal with the reason and nothing is journaled.
        ``by`` names who issued it in a team drill (journaled on its rows; absent for one trainee).
        """
        return self.commands.apply(command, by)

    def facilitate(self, op: str, target: str | None, args: dict, by: str | None = None) -> None:
        """A team drill's facilitator acts now: ``inject`` a fault from the palette on ``target``
        (``args``: its type and fields), or ``note`` ``args["text"]`` on the timeline; journaled as
        ``FacilitatorActed`` so replays do it again. :class:`engine.sim.facilitation.FacilitatorRefused`
        with the reason (nothing journaled) when it cannot be done."""
        from engine.sim.facilitation import act

        act(self, op, target, args, by)

    def preview(self, command: Command | dict) -> Preview:
        """What ``command`` would do now, in words, without doing it."""
        return self.commands.preview(command)

    def _command_states(self) -> dict[str, str]:
        """The state word each node shows while a trainee command on it runs (``promoting``)."""
        out = {}
        for p in self.commands.pending.values():
            if p.command.target and p.command.spec.shows_as:
                out.setdefault(p.command.target, p.command.spec.shows_as)
        return out

    @property
    def visibility(self) -> str:
        """``observed`` (the trainee sees what monitoring sees) or ``truth``, as the scenario says."""
        return self.world.scenario.visibility

    def node_state(self, node: Node) -> str:
        """The state word the truth gives a node (the debrief's; the trainee's with ``visibility: truth``)."""
        if node.destroyed:
            return "destroyed"
        if node.fenced:
            return "fenced"
        if node.booting:
            return "booting"
        shown = self._command_states().get(node.name)
        if shown:
            return shown
        if not node.running or node.held or self.world.dark_node(node):
            return "down"
        if node.kind == "load_balancer" and self.world.vip_of[node.name].holder != node.name:
            return "standby"
        if node.drained:
            return "draining"
        if node.kind == "database" and node.role == "replica" and (node.diverged or not node.replicating):
            return "degraded"
        if node.kind == "service" and node.feature_off:
            return "degraded"
        m = self.world.node_metrics.get(node.name, {})
        if m.get("error_ratio", 0.0) > 0.05 or m.get("utilisation", 0.0) > 0.9:
            return "degraded"
        if node.kind == "cache" and node.warm < 0.5:
            return "degraded"
        return "healthy"

    def snapshot(self, history: int = 300, view: str | None = None) -> Snapshot:
        """An immutable view of what the trainee may see now.

        ``view`` is ``observed`` (what monitoring has scraped and the health checks say) or ``truth``
        (the state as it is: the debrief's, the facilitator's); by default the scenario's ``visibility``.
        """
        world = self.world
        observed = (view or world.scenario.visibility) == "observed"
        observer = self.monitoring.observer
        commands = self._command_states()
        regions = len(world.scenario.topology.regions)
        views = []
        pending_by_node = {p.command.target: p for p in self.commands.pending.values()}
        for node in world.nodes.values():
            progress = None
            p = pending_by_node.get(node.name)
            if p is not None and p.ends > p.started:
                frac = (world.env.now - p.started) / (p.ends - p.started)
                progress = f"{p.command.name} {min(99, int(frac * 100))}%"
            if observed:
                m = observer.metrics(node.name) if node.kind != "client" else world.node_metrics.get(node.name, {})
                seen = observer.seen(node, commands.get(node.name)) if node.kind != "client" else None
                state = seen.state if seen is not None else "healthy"
                reason, seen_at = (seen.reason, seen.seen_at) if seen is not None else (None, None)
                up = state not in ("no data", "down", "fenced", "booting") and m.get("up", 1.0) > 0
            else:
                m = world.node_metrics.get(node.name, {})
                state, reason, seen_at = self.node_state(node), None, None
                up = node.up and not world.dark_node(node)
            role = None
            if node.kind == "database":
                role = node.role if "primary" not in m else ("primary" if m["primary"] else "replica")
            elif node.kind == "load_balancer":
                holds = m["holds_vip"] if "holds_vip" in m else float(world.vip_of[node.name].holder == node.name)
                role = "master" if holds else "backup"
            views.append(
                NodeView(node.name, node.kind, node.region, node.group, node.spec.label or node.name, state, up, role,
                         tuple(sorted(m.items())), progress, node.name in world.marks, regions, reason, seen_at)
            )
        metrics_of = (lambda name: observer.metrics(name)) if observed else (lambda name: world.node_metrics.get(name, {}))
        edges = []
        for src, dst, attrs in world.graph.edges(data=True):
            edges.append(EdgeView(src, dst, "traffic", attrs["required"], rate=metrics_of(dst).get("requests", 0.0)))
        for node in world.nodes.values():
            if node.kind == "database" and node.role == "replica" and node.upstream:
                if observed:
                    m = metrics_of(node.name)
                    lag, broken = m.get("lag"), m.get("replicating", 1.0) < 1.0
                else:
                    lag, broken = self.monitoring.replica_lag(node), not node.replicating
                edges.append(EdgeView(node.upstream, node.name, "replication", True, lag=lag, broken=broken))
        alerts = tuple(
            AlertView(a.id, a.rule.name, a.node, a.rule.severity, a.rule.summary, a.state,
                      a.firing_since if a.firing_since is not None else (a.pending_since or a.resolved_at or 0.0),
                      a.acknowledged, a.value)
            for a in world.alerts.instances.values()
            if a.state != "inactive"
        )
        pending = tuple(
            PendingView(p.id, p.command.name, p.command.target, p.started, p.ends) for p in self.commands.pending.values()
        )
        seen = observer.global_seen if observed else len(world.series["t"])
        current = tuple((k, v[seen - 1]) for k, v in world.series.items() if seen and k != "t")
        hist = tuple((k, tuple(v[max(0, seen - history):seen])) for k, v in world.series.items() if k != "t")
        if observed:
            score, budget, as_of = self._seen_score, observer.budget_seen, observer.global_at
        else:
            score, budget, as_of = self._current_score(), self.monitoring.budget_used(), world.env.now
        return Snapshot(
            t=world.env.now, duration=world.duration, finished=world.finished, nodes=tuple(views), edges=tuple(edges),
            alerts=alerts, pending=pending, metrics=current, history=hist,
            hints_revealed=tuple(world.scenario.hints[i].text for i in world.hints_revealed),
            hints_left=len(world.scenario.hints) - len(world.hints_revealed), score=score,
            journal_length=len(world.journal), regions=tuple(world.scenario.topology.regions),
            budget_used=budget, visibility="observed" if observed else "truth", as_of=as_of,
            evidence=self.commands.evidence(),
        )

    def _current_score(self) -> float:
        """The score so far, exactly as from :meth:`outcome`, recomputed only when what it reads can have changed.

        The ground truth changes only when traffic is integrated (``flow_t``), an event is journaled or the
        state changes (``version``); the console asks many times a second, mostly between traffic ticks.
        """
        world = self.world
        key = (world.flow_t, len(world.journal), world.version, world.finished)
        if self._score_key != key:
            self._score_key = key
            self._score = score_outcome(self.outcome(), self.world.scenario).score
        return self._score

    def final_data(self) -> dict[str, list[list[int]]]:
        """For each cluster, the writes the surviving copy holds (the writer, or the best survivor)."""
        out = {}
        for cluster in self.world.clusters.values():
            writer = self.world.nodes[cluster.writer]
            if not writer.destroyed and writer.log is not None:
                out[cluster.name] = writer.log.ranges
                continue
            best: list[list[int]] = []
            for name in cluster.members:
                node = self.world.nodes[name]
                if node.destroyed:
                    continue
                ranges = node.log.ranges if node.log is not None else (self.world.root_log(node).prefix(node.applied) if self.world.root_log(node) else [])
                if range_count(ranges) > range_count(best):
                    best = ranges
            out[cluster.name] = best
        return out

    def tally(self) -> Tally:
        """The ground truth so far, as scoring reads it."""
        return Tally(
            scenario=self.world.scenario, tick=self.world.tick, series=self.world.series, journal=list(self.world.journal),
            allocated={c.name: c.allocated for c in self.world.clusters.values()}, final_data=self.final_data(),
            write_times=self.world.write_times, split_brain_seconds=self.world.split_seconds, hint_cost=self.world.hint_cost,
            acknowledged=self._acknowledged(),
        )

    def _acknowledged(self) -> int:
        """How many write ids the clusters' ``allocated`` ranges hold, counted incrementally.

        Writes only ever extend a cluster's last range or append one (``engine.sim.writes``' ``ack``), so
        every range but the last is counted once and kept; the ranges are fragmented (ids interleave
        across clusters) and the score is asked at every global scrape.
        """
        total = 0
        done = self._acked_done
        for cluster in self.world.clusters.values():
            allocated = cluster.allocated
            kept = done.get(cluster.name)
            if kept is None or kept[0] is not allocated or len(allocated) < kept[1]:
                kept = (allocated, 0, 0)
            _, upto, count = kept
            last = len(allocated) - 1
            if last > upto:
                count += range_count(allocated[upto:last])
                upto = last
            done[cluster.name] = (allocated, upto, count)
            total += count + (range_count(allocated[upto:]) if last >= 0 else 0)
        return total

    def outcome(self) -> Outcome:
        """What users felt and what was lost so far, from the engine's ground truth."""
        return compute_outcome(self.tally())

