"""Investigations: tools a responder runs to gather evidence (logs, probes, replication, backends, DNS).

Each one takes simulated time, changes nothing in the simulated system and,
when it completes, journals one :data:`EVIDENCE_EVENT` row holding the lines
it returned, read from the state at that moment. What the lines say is the
simulation's business (:mod:`engine.sim.evidence`, reached through
:meth:`~engine.commands.base.CommandContext.investigate`); here is only what
each tool is called, where it is offered and how long it takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from engine.commands.base import ArgSpec, Command, CommandContext, Refused, command, node_named

if TYPE_CHECKING:
    from engine.sim.snapshot import NodeView, Snapshot

EVIDENCE_EVENT = "EvidenceGathered"
"""The journal row an investigation writes when it completes: ``command``, ``target``, ``args`` and ``lines``."""

PROBE_TIMEOUT = 3.0
"""Seconds a probe waits for an answer before it gives up (``nc -w 3``): a probe that times out takes this long."""

TIMED_OUT = "timed out"
"""The verdict of a probe nobody answered (the last line of its output ends with the verdict)."""


class Investigation(Command):
    """An evidence-gathering tool: checks its target, asks the simulation for the lines, journals them."""

    target_kinds: ClassVar[tuple[str, ...]] = ()
    """Kinds of node the tool runs against (empty: any node)."""

    def check(self, ctx: CommandContext) -> float:
        self.target_node(ctx)
        return super().check(ctx)

    def target_node(self, ctx: CommandContext):
        """The node the tool runs against, or :class:`Refused`."""
        return node_named(ctx, self.target, self.target_kinds)

    def tool_args(self, ctx: CommandContext) -> dict[str, Any]:
        """The arguments the tool runs with (defaults resolved against the simulation)."""
        return self.arguments()

    def apply(self, ctx: CommandContext) -> None:
        args = self.tool_args(ctx)
        lines = ctx.investigate(self.name, self.target or "", args)
        ctx.record(EVIDENCE_EVENT, command=self.name, target=self.target, args=args, lines=list(lines))

    def preview(self, ctx: CommandContext) -> str:
        return f"{self.spec.title.lower()}: {self.describe()} (changes nothing)"


@command(name="logs", title="Read logs", key="i", targets=("*",), duration=5.0, purpose="investigate")
@dataclass(frozen=True)
class ReadLogs(Investigation):
    """Read a node's recent log lines from the log aggregator (a crashed node's logs stop at the crash)."""

    def target_node(self, ctx: CommandContext):
        node = super().target_node(ctx)
        if node.kind == "client":
            raise Refused(f"{node.name} are users, not a host that logs")
        return node


def _first_dependency(node: NodeView | None, snapshot: Snapshot, target: str | None) -> str | None:
    """The first dependency of ``target`` (else the selected node) in the snapshot's edges: where a probe goes by default."""
    source = target or (node.name if node is not None else None)
    for edge in snapshot.edges:
        if edge.source == source and edge.kind == "traffic":
            return edge.target
    return None


@command(
    name="probe",
    title="Probe reachability",
    key="p",
    targets=("*",),
    duration=1.0,
    purpose="investigate",
    args=(ArgSpec("to", str, "the node to reach from the target (empty: the target's first dependency)", ""),),
)
@dataclass(frozen=True)
class ProbeNode(Investigation):
    """Probe from one node to another (ping and nc -zv): open, connection refused or timed out."""

    to: str = ""

    def tool_args(self, ctx: CommandContext) -> dict[str, Any]:
        """``to`` given, else the target's first dependency (none: empty, and :meth:`check` refuses)."""
        if self.to or self.target not in ctx.graph:
            return {"to": self.to}
        return {"to": next(iter(ctx.graph.successors(self.target)), "")}

    def check(self, ctx: CommandContext) -> float:
        node_named(ctx, self.target)
        to = self.tool_args(ctx)["to"]
        if not to:
            raise Refused(f"{self.target} has no dependency to probe: name one with to=")
        if to not in ctx.nodes:
            raise Refused(f"there is no node '{to}' to probe")
        if to == self.target:
            raise Refused("a probe needs two different nodes")
        duration = super().check(ctx)
        # a probe nobody answers waits out its timeout; what it says is read when it completes
        verdict = ctx.investigate(self.name, self.target or "", {"to": to})[-1]
        return PROBE_TIMEOUT if verdict.endswith(TIMED_OUT) else duration

    @classmethod
    def default_args(cls, node: NodeView | None, snapshot: Snapshot, target: str | None = None) -> dict[str, Any]:
        """To the target's first dependency (else the first other node)."""
        args = super().default_args(node, snapshot, target)
        first = _first_dependency(node, snapshot, target)
        choices = cls.choices_for("to", node, snapshot, target)
        args["to"] = first if first in choices else (choices[0] if choices else "")
        return args

    @classmethod
    def choices_for(
        cls, arg_name: str, node: NodeView | None, snapshot: Snapshot, target: str | None = None
    ) -> tuple[str, ...]:
        """``to``: every other node but the clients."""
        if arg_name == "to":
            source = target or (node.name if node is not None else None)
            return tuple(n.name for n in snapshot.nodes if n.name != source and n.kind != "client")
        return super().choices_for(arg_name, node, snapshot, target)


@command(name="replstatus", title="Show replication status", key="r", targets=("database",), duration=2.0, purpose="investigate")
@dataclass(frozen=True)
class ShowReplication(Investigation):
    """Replication status as the database reports it (pg_stat_replication; on a replica, its WAL receiver)."""

    def target_node(self, ctx: CommandContext):
        """A database node, or a cluster by name (its writer)."""
        if self.target not in ctx.nodes:
            for cluster in ctx.cluster_of.values():
                if cluster.name == self.target:
                    return ctx.nodes[cluster.writer]
        return node_named(ctx, self.target, ("database",))


@command(name="backends", title="Show load-balancer backends", key="b", targets=("load_balancer",), duration=2.0, purpose="investigate")
@dataclass(frozen=True)
class ShowBackends(Investigation):
    """The load balancer's view of its backends (HAProxy show stat): status, last check, last change."""

    target_kinds = ("load_balancer",)


@command(name="dig", title="Look up DNS", key="n", targets=("client", "dns"), duration=1.0, purpose="investigate")
@dataclass(frozen=True)
class LookUpDns(Investigation):
    """A DNS lookup: what a DNS answers, or what a client's resolvers hold (sticky ones keep old answers)."""

    target_kinds = ("client", "dns")
