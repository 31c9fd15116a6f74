"""Scale out an app-server group."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.commands.base import ArgSpec, Command, CommandContext, Refused, command
from engine.util.limits import MAX_NODES, over

if TYPE_CHECKING:
    from engine.sim.model import Node
    from engine.sim.snapshot import NodeView, Snapshot


@command(
    name="scale",
    title="Scale out group",
    key="+",
    targets=("app_server", "group"),
    duration=0.0,
    args=(ArgSpec("count", int, "instances to add", 1),),
)
@dataclass(frozen=True)
class ScaleOut(Command):
    """Add instances to an app-server group; they take their boot time to join."""

    count: int = 1

    def check(self, ctx: CommandContext) -> float:
        if self._template(ctx) is None:
            raise Refused(f"'{self.target}' is neither an app server nor an app-server group")
        if not 1 <= self.count <= 20:
            raise Refused("scale out by 1 to 20 instances at a time")
        total = len(ctx.nodes) + self.count
        if total > MAX_NODES:
            raise Refused(f"a scale-out to {total:,} nodes {over('a topology', None, MAX_NODES, 'nodes')}")
        return super().check(ctx)

    def _template(self, ctx: CommandContext) -> Node | None:
        """The app server new instances copy: the one named, else the group's first member."""
        node = ctx.nodes.get(self.target or "")
        if node is not None:
            return node if node.kind == "app_server" else None
        members = [n for n in ctx.nodes.values() if n.kind == "app_server" and n.group == self.target]
        return members[0] if members else None

    def apply(self, ctx: CommandContext) -> Iterator[Any]:
        return ctx.scale_out(self._template(ctx), self.count)

    def process_time(self, ctx: CommandContext) -> float:
        return ctx.boot_time(self._template(ctx))

    @classmethod
    def target_for(cls, node: NodeView | None, snapshot: Snapshot) -> str | None:
        """The selected app server's group (or the server itself when it has none)."""
        if node is not None and node.kind == "app_server":
            return node.group or node.name
        return super().target_for(node, snapshot)

    @classmethod
    def palette_target(cls, node: NodeView) -> str:
        return node.group or node.name
