"""Set a replica's replication mode (sync or async)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.commands.base import ArgSpec, Command, CommandContext, Refused, command, node_named

if TYPE_CHECKING:
    from engine.sim.snapshot import NodeView, Snapshot


@command(
    name="replication",
    title="Set replication mode",
    key="M",
    targets=("database",),
    destructive=True,
    duration=1.0,
    args=(ArgSpec("mode", str, "sync or async", "async", ("sync", "async")),),
)
@dataclass(frozen=True)
class SetReplicationMode(Command):
    """Switch a replica between synchronous and asynchronous replication."""

    mode: str = "async"

    def check(self, ctx: CommandContext) -> float:
        node = node_named(ctx, self.target, ("database",))
        if node.role != "replica":
            raise Refused(f"{node.name} is a primary; set the mode on one of its replicas")
        if node.mode == self.mode:
            raise Refused(f"{node.name} already replicates {self.mode}")
        return super().check(ctx)

    def apply(self, ctx: CommandContext) -> None:
        ctx.changed()
        node = ctx.nodes[self.target]
        node.mode = self.mode
        root = ctx.root_log(node)
        node.caught_up = self.mode != "sync" or (root is not None and node.applied >= root.count)

    def preview(self, ctx: CommandContext) -> str:
        return f"{self.target} replicates {self.mode} from now on"

    @classmethod
    def offered_on(cls, node: NodeView, snapshot: Snapshot | None = None) -> bool:
        """The mode is set on a replica."""
        return super().offered_on(node, snapshot) and node.role == "replica"

    @classmethod
    def default_args(cls, node: NodeView | None, snapshot: Snapshot, target: str | None = None) -> dict[str, Any]:
        """The other mode than the replica's current one."""
        args = super().default_args(node, snapshot, target)
        if node is not None:
            args["mode"] = "async" if node.metric("sync") else "sync"
        return args
