"""Trainee commands: checking, applying and previewing them.

:class:`CommandHandling` is a mixin of :class:`engine.sim.Simulation` holding
:meth:`apply` and :meth:`preview`, the one way anything (console, scripts,
replay, reference solutions) changes the simulated system on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.commands import Command, build_command
from engine.sim.model import Node, VipGroup, WriteLog


@dataclass(frozen=True)
class Receipt:
    """What happened to an applied command."""

    id: int
    command: str
    target: str | None
    accepted: bool
    reason: str = ""
    completes_at: float | None = None


@dataclass(frozen=True)
class Preview:
    """What a command would do now, for confirmation dialogs."""

    command: str
    target: str | None
    destructive: bool
    allowed: bool
    text: str


class Refused(Exception):
    """A command cannot be applied now; the message says why."""


@dataclass
class _Pending:
    id: int
    command: Command
    started: float
    ends: float


class CommandHandling:
    """Validation (refusals with reasons), timing and effects of every command."""

    # ------------------------------------------------------------------ commands

    def apply(self, command: Command | dict) -> Receipt:
        """Apply a trainee command now. Refusals come back with the reason and are journaled."""
        if isinstance(command, dict):
            command = build_command(command["command"], command.get("target"), command.get("args"))
        self._integrate(self.env.now)
        self._cmd_seq += 1
        cid = self._cmd_seq
        base = {"id": cid, "command": command.name, "target": command.target, "args": command.arguments()}
        try:
            duration = self._check(command)
        except Refused as refusal:
            self.record("CommandRefused", reason=str(refusal), **base)
            return Receipt(cid, command.name, command.target, False, str(refusal))
        self.record("CommandIssued", **base)
        if duration <= 0:
            # restarts and scale-outs start now and finish when their instances have booted
            ends = self.env.now + self._process_time(command)
            self._complete(cid, command)
            return Receipt(cid, command.name, command.target, True, completes_at=ends)
        ends = self.env.now + duration
        self._pending[cid] = _Pending(cid, command, self.env.now, ends)
        self.env.process(self._later(cid, command, duration))
        return Receipt(cid, command.name, command.target, True, completes_at=ends)

    def _later(self, cid: int, command: Command, duration: float):
        yield self.env.timeout(duration)
        self._pending.pop(cid, None)
        try:
            self._check(command)
        except Refused as refusal:
            self.record("CommandFailed", id=cid, command=command.name, target=command.target, reason=str(refusal))
            return
        self._complete(cid, command)

    def _complete(self, cid: int, command: Command) -> None:
        result = self._execute(command)
        if result is not None and hasattr(result, "__next__"):
            self.env.process(self._finish_process(cid, command, result))
            return
        self.record("CommandCompleted", id=cid, command=command.name, target=command.target)

    def _finish_process(self, cid: int, command: Command, process):
        self._pending[cid] = _Pending(cid, command, self.env.now, self.env.now + self._process_time(command))
        yield from process
        self._pending.pop(cid, None)
        self.record("CommandCompleted", id=cid, command=command.name, target=command.target)

    def _process_time(self, command: Command) -> float:
        if command.name == "restart":
            return self._boot_time(self.nodes[command.target])
        if command.name == "scale":
            return self._boot_time(self._scale_template(command.target))
        return 0.0

    def _node(self, name: str | None, kinds: tuple[str, ...] = ()) -> Node:
        node = self.nodes.get(name or "")
        if node is None:
            raise Refused(f"there is no node '{name}'")
        if kinds and node.kind not in kinds:
            raise Refused(f"{name} is a {node.kind.replace('_', ' ')}, not a {' or '.join(k.replace('_', ' ') for k in kinds)}")
        return node

    def _vip_for(self, target: str | None) -> tuple[VipGroup, Node | None]:
        if target in self.vips:
            return self.vips[target], None
        node = self._node(target, ("load_balancer",))
        return self.vip_of[node.name], node

    def _check(self, command: Command) -> float:
        """Raise :class:`Refused` if ``command`` cannot run now; return how long it takes."""
        name = command.name
        spec = command.spec
        if self.finished:
            raise Refused("the drill has ended")
        if name == "ack":
            alert = self.alerts.instances.get(command.target or "")
            if alert is None or alert.state != "firing":
                raise Refused(f"no firing alert '{command.target}'")
            if alert.acknowledged:
                raise Refused(f"alert '{command.target}' is already acknowledged")
        elif name == "failover":
            vip, node = self._vip_for(command.target)
            if len(vip.members) < 2:
                raise Refused(f"{vip.name} has no standby load balancer to fail over to")
            target = node if node is not None and node.name != vip.holder else None
            if target is None:
                candidates = self._vip_candidates(vip)
                if not candidates:
                    raise Refused(f"no standby of {vip.name} is up")
                target = candidates[0]
            if not self._reachable(None, target):
                raise Refused(f"{target.name} is down and cannot take the virtual IP")
        elif name == "promote":
            node = self._node(command.target, ("database",))
            if node.role == "primary":
                raise Refused(f"{node.name} is already a primary")
            if not node.up or self._dark_node(node):
                raise Refused(f"{node.name} is down: a dead replica cannot be promoted")
            if node.diverged:
                raise Refused(f"{node.name} has diverged from the new timeline; restart it to rebuild it first")
        elif name == "fence":
            node = self._node(command.target)
            if node.fenced:
                raise Refused(f"{node.name} is already fenced")
            if node.destroyed:
                raise Refused(f"{node.name} no longer exists")
            if node.kind == "client":
                raise Refused("users cannot be fenced")
        elif name == "restart":
            node = self._node(command.target)
            if node.kind == "client":
                raise Refused("users cannot be restarted")
            if node.destroyed:
                raise Refused(f"{node.name} was destroyed; its disk is gone (scale out or rebuild instead)")
            if node.booting:
                raise Refused(f"{node.name} is already starting")
            if node.held:
                raise Refused(f"{node.name} is out on its provider's side; restarting our end does not bring it back")
            if self._dark_node(node):
                raise Refused(f"{node.name}'s region {node.region} is unreachable")
        elif name in ("degrade", "enable"):
            node = self._node(command.target, ("service",))
            if name == "degrade":
                if node.feature_off:
                    raise Refused(f"feature {node.spec.feature or node.name} is already off")
                hard = [s for s in self.graph.predecessors(node.name) if self.graph.edges[s, node.name]["required"]]
                if hard:
                    raise Refused(
                        f"{node.name} is a hard dependency of {', '.join(hard)}: switching it off would fail those requests"
                    )
            elif not node.feature_off:
                raise Refused(f"feature {node.spec.feature or node.name} is already on")
        elif name == "replication":
            node = self._node(command.target, ("database",))
            if node.role != "replica":
                raise Refused(f"{node.name} is a primary; set the mode on one of its replicas")
            if node.mode == command.mode:
                raise Refused(f"{node.name} already replicates {command.mode}")
        elif name == "shift":
            if command.target not in self.scenario.topology.regions:
                raise Refused(f"there is no region '{command.target}'")
            if command.to not in self.scenario.topology.regions:
                raise Refused(f"there is no region '{command.to}'")
            if command.to == command.target:
                raise Refused("shift needs two different regions")
            if not 0 < command.percent <= 100:
                raise Refused("percent must be above 0 and at most 100")
            if not self.dns_state:
                raise Refused("there is no DNS traffic manager to shift traffic with")
            if not any(command.to in state["to"] for state in self.dns_state.values()):
                raise Refused(f"no DNS answers with region {command.to}")
        elif name == "scale":
            template = self._scale_template(command.target)
            if template is None:
                raise Refused(f"'{command.target}' is neither an app server nor an app-server group")
            if not 1 <= command.count <= 20:
                raise Refused("scale out by 1 to 20 instances at a time")
        elif name in ("drain", "undrain"):
            node = self._node(command.target, ("app_server",))
            if name == "drain" and node.drained:
                raise Refused(f"{node.name} is already drained")
            if name == "undrain" and not node.drained:
                raise Refused(f"{node.name} is not drained")
        elif name == "read-only":
            node = self._node(command.target, ("database",))
            if self.cluster_of[node.name].read_only == command.enabled:
                raise Refused(f"cluster {node.cluster} is already {'read-only' if command.enabled else 'accepting writes'}")
        elif name == "shed":
            self._vip_for(command.target)
            if not 0 <= command.percent <= 95:
                raise Refused("shed between 0 and 95 percent")
        elif name == "hint":
            if self._next_hint() is None:
                raise Refused("no hints left")
        elif name == "mark":
            node = self._node(command.target)
            if not self.scenario.spof_hunt:
                raise Refused("this drill has no SPOF hunt")
            if node.kind == "client":
                raise Refused("users are not a component")
            if any(e.type == "FaultInjected" for e in self.journal):
                raise Refused("the hunt is over: failures have started")
        return spec.duration

    def _next_hint(self) -> int | None:
        for index in range(len(self.scenario.hints)):
            if index not in self._hints_revealed:
                return index
        return None

    def _scale_template(self, target: str | None) -> Node | None:
        node = self.nodes.get(target or "")
        if node is not None:
            return node if node.kind == "app_server" else None
        members = [n for n in self.nodes.values() if n.kind == "app_server" and n.group == target]
        return members[0] if members else None

    def _execute(self, command: Command):
        name = command.name
        if name == "ack":
            alert = self.alerts.instances[command.target]
            alert.acknowledged = True
            self.record("AlertAcknowledged", alert=alert.id)
        elif name == "failover":
            vip, node = self._vip_for(command.target)
            target = node if node is not None and node.name != vip.holder else self._vip_candidates(vip)[0]
            self._move_vip(vip, target.name, "manual failover")
        elif name == "promote":
            self._promote(self.nodes[command.target])
        elif name == "fence":
            node = self.nodes[command.target]
            self._changed()
            was_up = node.up
            node.fenced = True
            self.record("NodeFenced", node=node.name)
            if was_up:
                self._after_down(node)
        elif name == "restart":
            return self._boot(self.nodes[command.target])
        elif name == "degrade":
            self._changed()
            self.nodes[command.target].feature_off = True
        elif name == "enable":
            self._changed()
            self.nodes[command.target].feature_off = False
        elif name == "replication":
            self._changed()
            node = self.nodes[command.target]
            node.mode = command.mode
            root = self._root_log(node)
            node.caught_up = command.mode != "sync" or (root is not None and node.applied >= root.count)
        elif name == "shift":
            for dns, state in self.dns_state.items():
                weights = dict(state.get("requested", state["to"]))
                if command.target not in weights or command.to not in weights:
                    continue
                moved = weights[command.target] * command.percent / 100.0
                weights[command.target] -= moved
                weights[command.to] += moved
                self._set_dns(dns, weights, f"shift {command.percent:g}% {command.target} -> {command.to}")
        elif name == "scale":
            return self._scale_out(self._scale_template(command.target), command.count)
        elif name in ("drain", "undrain"):
            self._changed()
            self.nodes[command.target].drained = name == "drain"
        elif name == "read-only":
            self._changed()
            self.cluster_of[command.target].read_only = command.enabled
        elif name == "shed":
            self._changed()
            vip, _ = self._vip_for(command.target)
            vip.shed = command.percent / 100.0
        elif name == "mark":
            if command.target in self.marks:
                self.marks.discard(command.target)
                self.record("NodeUnmarked", node=command.target)
            else:
                self.marks.add(command.target)
                self.record("NodeMarked", node=command.target)
        elif name == "hint":
            index = self._next_hint()
            hint = self.scenario.hints[index]
            self._hints_revealed.append(index)
            self._hint_cost += hint.cost
            self.record("HintRevealed", index=index, text=hint.text, cost=hint.cost)
        return None

    def _promote(self, node: Node) -> None:
        self._changed()
        cluster = self.cluster_of[node.name]
        old = self.nodes[cluster.writer]
        root = self._root_log(node)
        node.log = root.copy_prefix(node.applied) if root is not None else WriteLog()
        behind = (root.count - node.applied) if root is not None else 0
        node.role = "primary"
        node.upstream = None
        node.mode = "async"
        cluster.writer = node.name
        cluster.ack_carry.pop(node.name, None)
        self.record("ReplicaPromoted", node=node.name, cluster=cluster.name, old_primary=old.name)
        if behind > 0:
            cluster.reported_lost[old.name] = cluster.reported_lost.get(old.name, 0) + behind
            self.record("WritesLost", node=old.name, count=behind, reason=f"not replicated to {node.name}")
        for name in cluster.members:
            other = self.nodes[name]
            if other is node or other.role != "replica" or other.destroyed:
                continue
            if other.applied <= node.applied:
                other.upstream = node.name
            else:
                other.diverged = True
                other.replicating = False
                self.record("ReplicaDiverged", node=other.name, ahead_by=other.applied - node.applied)
        if old.up and not self._dark_node(old):
            self.record("SplitBrainStarted", cluster=cluster.name, primaries=[old.name, node.name])

    def _scale_out(self, template: Node, count: int):
        """Add ``count`` booting copies of ``template`` now; returns the process that finishes their boot."""
        self._changed()
        group = template.group or template.name
        made = []
        existing = sum(1 for n in self.nodes.values() if (n.group or n.name) == group)
        for i in range(count):
            name = f"{group}-{existing + i + 1}"
            while name in self.nodes:
                existing += 1
                name = f"{group}-{existing + i + 1}"
            node = Node(
                name=name, kind=template.kind, region=template.region, spec=template.spec, group=group,
                order=len(self.nodes),
            )
            node.booting = True
            node.hold = template.hold
            self.nodes[name] = node
            self.graph.add_node(name, kind=node.kind, region=node.region, spec=node.spec, group=group)
            for src in list(self.graph.predecessors(template.name)):
                self.graph.add_edge(src, name, **self.graph.edges[src, template.name])
                if src in self.health:
                    self.health[src][name] = [False, 0]
            for dst in list(self.graph.successors(template.name)):
                self.graph.add_edge(name, dst, **self.graph.edges[template.name, dst])
            made.append(node)
            self.record("NodeAdded", node=name, group=group)
        self.alerts.retarget({n.name: n.kind for n in self.nodes.values()})
        return self._finish_boot(made, self._boot_time(template))

    def _finish_boot(self, made: list[Node], boot: float):
        yield self.env.timeout(boot)
        self._changed()
        for node in made:
            node.booting = False
            self.record("NodeStarted", node=node.name)

    def preview(self, command: Command | dict) -> Preview:
        """What ``command`` would do now, in words, without doing it."""
        if isinstance(command, dict):
            command = build_command(command["command"], command.get("target"), command.get("args"))
        spec = command.spec
        try:
            self._check(command)
        except Refused as refusal:
            return Preview(command.name, command.target, spec.destructive, False, str(refusal))
        return Preview(command.name, command.target, spec.destructive, True, self._describe_effect(command))

    def _describe_effect(self, command: Command) -> str:
        name, target = command.name, command.target
        if name == "promote":
            node = self.nodes[target]
            root = self._root_log(node)
            behind = (root.count - node.applied) if root else 0
            lag = self.replica_lag(node)
            cluster = self.cluster_of[node.name]
            old = self.nodes[cluster.writer]
            text = f"promote {target}: {lag:.1f} s behind the primary; about {_about(behind)} acknowledged writes will be lost"
            if old.up and not self._dark_node(old) and not old.fenced:
                text += f". {old.name} is still running and not fenced: both will accept writes (split brain)"
            return text
        if name == "failover":
            vip, node = self._vip_for(target)
            to = node if node is not None and node.name != vip.holder else self._vip_candidates(vip)[0]
            state = "up" if vip.holder and self.nodes[vip.holder].up else "down"
            return f"move virtual IP {vip.name} from {vip.holder} ({state}) to {to.name}"
        if name == "fence":
            node = self.nodes[target]
            extra = ""
            if node.kind == "database" and node.role == "primary" and self.cluster_of[node.name].writer == node.name:
                extra = "; it is the cluster's writer: writes will fail until a replica is promoted"
            return f"power off {target} and keep it off; it will not serve until restarted{extra}"
        if name == "restart":
            node = self.nodes[target]
            return f"restart {target}: down for about {self._boot_time(node):.0f} s"
        if name == "shift":
            ttl = max((self.nodes[d].spec.ttl for d in self.dns_state), default=0)
            return f"move {command.percent:g}% of {target}'s traffic to {command.to}; clients follow over the {ttl:.0f} s DNS TTL"
        if name == "shed":
            vip, _ = self._vip_for(target)
            return f"reject {command.percent:g}% of requests at {vip.name} with a fast 503"
        if name == "read-only":
            node = self.nodes[target]
            return f"{'refuse' if command.enabled else 'accept'} writes to cluster {node.cluster}"
        if name == "replication":
            return f"{target} replicates {command.mode} from now on"
        return f"{command.spec.title.lower()}: {command.describe()}"


def _about(n: int) -> int:
    """A count rounded to two significant digits, for "about N" in messages."""
    if n < 100:
        return n
    digits = len(str(n)) - 2
    return int(round(n, -digits))
