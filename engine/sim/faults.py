"""Faults and chaos: the scenario's method, the chaos monkey and timed hints.

:class:`Faults` is the part of :class:`engine.sim.simulation.Simulation` that injects and
clears the scenario's faults at their times, keeps their effects on nodes, runs
the chaos monkey and reveals hints at their times. What a fault does to a
node's life (a crash, a recovery) it asks of :class:`~engine.sim.automation.Automation`.
"""

from __future__ import annotations

from engine.scenario.schema import Fault
from engine.sim.automation import Automation
from engine.sim.world import World


class Faults:
    """Fault processes, their effects, the chaos monkey and hint timers over a world."""

    def __init__(self, world: World, automation: Automation) -> None:
        self.world = world
        self.automation = automation
        self.extra = 0
        """Faults started besides the scenario's (:meth:`start`)."""

    def _fault_time(self, when) -> float:
        if isinstance(when, (int, float)):
            return float(when)
        low, high = when.between
        return self.world.streams["faults"].uniform(low, high)

    def fault_process(self, index: int, fault: Fault):
        """The process of one of the scenario's faults: inject at its time, clear after its duration (flaps cycle)."""
        start = self._fault_time(fault.at)
        # from now: the scenario's faults start at 0 (so exactly ``start``), a facilitator's at its own instant
        yield self.world.env.timeout(max(0.0, start - self.world.env.now))
        self._inject(index, fault)
        if fault.type == "flap":
            end = start + fault.duration if fault.duration else self.world.duration
            node = self.world.nodes[fault.target]
            while self.world.env.now < end:
                self.automation.crash(node, "flap")
                yield self.world.env.timeout(min(fault.down_for, max(0.0, end - self.world.env.now)))
                self.automation.recover(node, "flap")
                rest = max(0.0, fault.period - fault.down_for)
                if self.world.env.now + rest >= end:
                    break
                yield self.world.env.timeout(rest)
            self._clear(index, fault)
            return
        if fault.duration is not None:
            yield self.world.env.timeout(fault.duration)
            self._clear(index, fault)

    def start(self, fault: Fault) -> None:
        """Run a fault not in the scenario's method (a team drill's facilitator injects it, ``at`` now)."""
        self.extra += 1
        self.world.env.process(self.fault_process(len(self.world.scenario.method) + self.extra - 1, fault))

    def _sides(self, side: str) -> frozenset[str]:
        return frozenset(s.strip() for s in side.split(",") if s.strip())

    def _inject(self, index: int, fault: Fault) -> None:
        self.world.record("FaultInjected", fault=fault.type, target=fault.target or "/".join(fault.between or [])
        )
        self.world.faults[index] = (fault, "active")
        kind = fault.type
        if kind == "crash":
            node = self.world.nodes[fault.target]
            if fault.destroy:
                self.world.changed()
                node.destroyed = True
            self.automation.crash(node, kind)
        elif kind == "dependency_outage":
            node = self.world.nodes[fault.target]
            was_up = node.up
            self.world.changed()
            node.held += 1
            if was_up:
                self.world.record("NodeCrashed", node=node.name, cause=kind)
                self.automation.after_down(node)
        elif kind == "region_outage":
            self.world.changed()
            self.world.dark.add(fault.target)
            for node in self.world.nodes.values():
                if node.region == fault.target and node.regional:
                    self.automation.after_down(node)
        elif kind == "partition":
            self.world.changed()
            a, b = (self._sides(s) for s in fault.between)
            self.world.partitions.append((a, b))
            for vip in self.world.vips.values():
                if vip.holder and not self.world.reachable(None, self.world.nodes[vip.holder]):
                    self.automation.vrrp_lost_master(vip)
        elif kind == "cache_flush":
            self.world.changed()
            self.world.nodes[fault.target].warm = 0.0
        elif kind == "replication_break":
            self.world.changed()
            self.world.nodes[fault.target].replication_broken = True
        elif kind in ("slowdown", "capacity_drop", "error_rate", "replication_lag"):
            self.world.changed()
            self._refresh_effects(fault.target)

    def _clear(self, index: int, fault: Fault) -> None:
        self.world.faults[index] = (fault, "cleared")
        self.world.record("FaultCleared", fault=fault.type, target=fault.target or "/".join(fault.between or []))
        kind = fault.type
        if kind == "crash":
            if not fault.destroy:
                self.automation.recover(self.world.nodes[fault.target], "fault cleared")
        elif kind == "dependency_outage":
            node = self.world.nodes[fault.target]
            self.world.changed()
            node.held = max(0, node.held - 1)
            if node.up:
                self.world.record("NodeRecovered", node=node.name, cause="dependency back")
                self.automation.after_up(node)
        elif kind == "region_outage":
            self.world.changed()
            self.world.dark.discard(fault.target)
            for node in self.world.nodes.values():
                if node.region == fault.target and node.up:
                    self.automation.after_up(node)
        elif kind == "partition":
            self.world.changed()
            a, b = (self._sides(s) for s in fault.between)
            if (a, b) in self.world.partitions:
                self.world.partitions.remove((a, b))
            for node in self.world.nodes.values():
                if node.kind == "database" and node.up:
                    self.automation.after_up(node)
        elif kind == "replication_break":
            self.world.changed()
            self.world.nodes[fault.target].replication_broken = False
        elif kind in ("slowdown", "capacity_drop", "error_rate", "replication_lag"):
            self.world.changed()
            self._refresh_effects(fault.target)

    def _refresh_effects(self, target: str) -> None:
        node = self.world.nodes[target]
        node.slow = node.cap_div = 1.0
        node.err = 0.0
        node.lag_extra = 0.0
        for fault, status in self.world.faults.values():
            if status != "active" or fault.target != target:
                continue
            if fault.type == "slowdown":
                node.slow *= fault.factor
            elif fault.type == "capacity_drop":
                node.cap_div *= fault.factor
            elif fault.type == "error_rate":
                node.err = 1.0 - (1.0 - node.err) * (1.0 - fault.rate)
            elif fault.type == "replication_lag":
                node.lag_extra += fault.factor

    def chaos_monkey(self):
        """The process that kills a random eligible node now and then (or announces it, leashed)."""
        chaos = self.world.scenario.chaos
        stream = self.world.streams["chaos"]
        end = chaos.end if chaos.end is not None else self.world.duration
        yield self.world.env.timeout(chaos.start)
        while True:
            gap = chaos.min_time_between_kills + stream.expovariate(
                1.0 / max(1e-6, chaos.mean_time_between_kills - chaos.min_time_between_kills)
            )
            yield self.world.env.timeout(gap)
            if self.world.env.now >= end:
                return
            grouping = set(chaos.grouping) or {"app_server"}
            # by name, so the victim does not depend on the order nodes are written in
            eligible = sorted(
                (n
                for n in self.world.nodes.values()
                if (n.group in grouping or n.kind in grouping or n.name in grouping)
                and n.name not in chaos.exceptions
                and n.up
                and n.kind != "client"),
                key=lambda n: n.name,
            )
            if not eligible:
                continue
            victim = eligible[stream.randrange(len(eligible))]
            if chaos.leashed:
                self.world.record("ChaosKillAnnounced", node=victim.name)
                continue
            self.world.record("FaultInjected", fault="chaos_kill", target=victim.name)
            self.automation.crash(victim, "chaos monkey")

    def hint_timer(self, index: int, at: float):
        """The process that reveals a timed hint for free."""
        yield self.world.env.timeout(at)
        if index not in self.world.hints_revealed:
            self.world.hints_revealed.append(index)
            self.world.record("HintRevealed", index=index, text=self.world.scenario.hints[index].text, cost=0.0)
