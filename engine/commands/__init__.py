"""Trainee commands, each declared once, with their checks, effects, previews and selection rules.

:mod:`engine.commands.base` holds what every command shares (the spec, the
registry, building from words, :class:`Refused`, the :class:`CommandContext` a
command works through); each other module declares one command or a tight
family. Importing this package registers them all, in the order the console
lists them. To add a command, write its module and import it here.
"""

from __future__ import annotations

from engine.commands.base import (
    REGISTRY,
    VIM_MOTION_KEYS,
    ArgSpec,
    Command,
    CommandContext,
    CommandError,
    CommandSpec,
    NoTarget,
    Refused,
    build_command,
    command,
    command_class,
    command_specs,
)

# Declaration order is the order menus, the palette and help list commands in.
from engine.commands.alerts import AcknowledgeAlert
from engine.commands.failover import FailOver
from engine.commands.promote import PromoteReplica
from engine.commands.fence import FenceNode
from engine.commands.restart import RestartNode
from engine.commands.features import DegradeFeature, EnableFeature
from engine.commands.replication import SetReplicationMode
from engine.commands.shift import ShiftTraffic
from engine.commands.scale import ScaleOut
from engine.commands.drain import DrainNode, UndrainNode
from engine.commands.readonly import ReadOnlyMode
from engine.commands.shed import ShedLoad
from engine.commands.hints import RevealHint
from engine.commands.mark import MarkSpof
from engine.commands.investigate import LookUpDns, ProbeNode, ReadLogs, ShowBackends, ShowReplication

__all__ = [
    "AcknowledgeAlert",
    "ArgSpec",
    "Command",
    "CommandContext",
    "CommandError",
    "CommandSpec",
    "DegradeFeature",
    "DrainNode",
    "EnableFeature",
    "FailOver",
    "FenceNode",
    "LookUpDns",
    "MarkSpof",
    "NoTarget",
    "ProbeNode",
    "PromoteReplica",
    "REGISTRY",
    "ReadLogs",
    "ReadOnlyMode",
    "Refused",
    "RestartNode",
    "RevealHint",
    "ScaleOut",
    "SetReplicationMode",
    "ShedLoad",
    "ShowBackends",
    "ShowReplication",
    "ShiftTraffic",
    "UndrainNode",
    "VIM_MOTION_KEYS",
    "build_command",
    "command",
    "command_class",
    "command_specs",
]
