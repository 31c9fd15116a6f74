"""Promote a database replica to primary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.commands.base import Command, CommandContext, Refused, command, node_named
from engine.util.ranges import range_count, subtract_ranges

if TYPE_CHECKING:
    from engine.sim.snapshot import NodeView, Snapshot


@command(name="promote", title="Promote replica", key="P", targets=("database",), destructive=True, duration=5.0,
         shows_as="promoting")
@dataclass(frozen=True)
class PromoteReplica(Command):
    """Make a replica the writable primary of its cluster; other replicas follow it."""

    def check(self, ctx: CommandContext) -> float:
        node = node_named(ctx, self.target, ("database",))
        if node.role == "primary":
            raise Refused(f"{node.name} is already a primary")
        if not node.up or ctx.dark_node(node):
            raise Refused(f"{node.name} is down: a dead replica cannot be promoted")
        if node.diverged:
            raise Refused(f"{node.name} has diverged from the new timeline; restart it to rebuild it first")
        return super().check(ctx)

    def apply(self, ctx: CommandContext) -> None:
        ctx.promote(ctx.nodes[self.target])

    def preview(self, ctx: CommandContext) -> str:
        node = ctx.nodes[self.target]
        cluster = ctx.cluster_of[node.name]
        root = ctx.root_log(node)
        old = ctx.nodes[cluster.writer]
        # exactly what promotion reports lost: the writes of the primary's log past what this replica
        # received (it replays everything it received first), less those already reported lost
        lost = range_count(subtract_ranges(subtract_ranges(root.ranges, root.prefix(node.received)), cluster.lost)) if root else 0
        loses = f"the {lost:,} write{'s' if lost != 1 else ''} it never received" if lost else "no acknowledged write"
        text = (f"{self.target} has received up to write {node.received:,} and applied {node.applied:,}; "
                f"promoting it loses {loses}")
        if old.up and not ctx.dark_node(old) and not old.fenced:
            text += f". {old.name} is still running and not fenced: both will accept writes (split brain)"
        return text

    @classmethod
    def offered_on(cls, node: NodeView, snapshot: Snapshot | None = None) -> bool:
        """Only a replica can be promoted."""
        return super().offered_on(node, snapshot) and node.role == "replica"

