"""Trainee commands, each declared once.

A command is a frozen dataclass with a :class:`CommandSpec` attached by the
:func:`command` decorator. The spec feeds everything that shows or parses a
command: key bindings, the command palette and help in the console, action
scripts, replay and reference solutions. The simulation applies commands
through :meth:`engine.sim.Simulation.apply` only.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, fields
from typing import Any, ClassVar


@dataclass(frozen=True)
class ArgSpec:
    """One argument of a command."""

    name: str
    type: type
    help: str
    default: Any = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class CommandSpec:
    """Everything that describes a command to people and parsers."""

    name: str
    title: str
    key: str
    help: str
    targets: tuple[str, ...]
    destructive: bool
    duration: float
    args: tuple[ArgSpec, ...] = ()
    target_required: bool = True
    footer: bool = False
    """Shown in the console's footer (the few commands a trainee needs from the first second)."""
    hunt_only: bool = False
    """Offered only in drills with a SPOF hunt."""
    uses_hints: bool = False
    """Spends one of the drill's hints: off in an assessment unless the scenario offers hints there."""


REGISTRY: dict[str, type["Command"]] = {}

# Keys vim users press to scroll or move never carry a destructive command.
VIM_MOTION_KEYS = frozenset("hjklgGwbeudfx0$") | {"ctrl+d", "ctrl+u", "ctrl+f", "ctrl+b"}


class CommandError(ValueError):
    """A command could not be built from what was given (unknown name, bad argument)."""


@dataclass(frozen=True)
class Command:
    """Base of every trainee command: a target and the command's own arguments."""

    target: str | None = None
    spec: ClassVar[CommandSpec]

    @property
    def name(self) -> str:
        return self.spec.name

    def arguments(self) -> dict[str, Any]:
        """The arguments besides the target, by name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "target"}

    def describe(self) -> str:
        """A one-line human description, e.g. ``promote db-2``."""
        extra = " ".join(f"{k}={v}" for k, v in self.arguments().items())
        return " ".join(part for part in (self.name, self.target or "", extra) if part)

    def to_dict(self) -> dict[str, Any]:
        return {"command": self.name, "target": self.target, "args": self.arguments()}


def command(
    *,
    name: str,
    title: str,
    key: str,
    targets: tuple[str, ...],
    destructive: bool = False,
    duration: float = 0.0,
    args: tuple[ArgSpec, ...] = (),
    target_required: bool = True,
    footer: bool = False,
    hunt_only: bool = False,
    uses_hints: bool = False,
):
    """Declare a command class: its spec is built from these words and its docstring."""

    def wrap(cls: type[Command]) -> type[Command]:
        if destructive and key in VIM_MOTION_KEYS:
            raise AssertionError(f"destructive command {name} must not sit on vim key {key!r}")
        if name in REGISTRY:
            raise AssertionError(f"command {name} declared twice")
        cls.spec = CommandSpec(
            name=name,
            title=title,
            key=key,
            help=(cls.__doc__ or title).strip().splitlines()[0],
            targets=targets,
            destructive=destructive,
            duration=duration,
            args=args,
            target_required=target_required,
            footer=footer,
            hunt_only=hunt_only,
            uses_hints=uses_hints,
        )
        REGISTRY[name] = cls
        return cls

    return wrap


@command(name="ack", title="Acknowledge alert", key="a", targets=("alert",), duration=0.0, footer=True)
@dataclass(frozen=True)
class AcknowledgeAlert(Command):
    """Acknowledge a firing alert: you are on it."""


@command(
    name="failover", title="Fail over load balancer", key="F", targets=("load_balancer",), destructive=True, duration=1.0
)
@dataclass(frozen=True)
class FailOver(Command):
    """Move the virtual IP to the standby load balancer (target: the VIP or the standby)."""


@command(name="promote", title="Promote replica", key="P", targets=("database",), destructive=True, duration=5.0)
@dataclass(frozen=True)
class PromoteReplica(Command):
    """Make a replica the writable primary of its cluster; other replicas follow it."""


@command(name="fence", title="Fence node", key="X", targets=("*",), destructive=True, duration=2.0)
@dataclass(frozen=True)
class FenceNode(Command):
    """Power a node off and keep it off (STONITH), so it can never serve or accept writes."""


@command(name="restart", title="Restart node", key="R", targets=("*",), destructive=True, duration=0.0)
@dataclass(frozen=True)
class RestartNode(Command):
    """Restart a node; a database rejoins its cluster as a replica of the current primary."""


@command(
    name="degrade",
    title="Switch feature off",
    key="D",
    targets=("service",),
    destructive=False,
    duration=1.0,
)
@dataclass(frozen=True)
class DegradeFeature(Command):
    """Switch a feature off: requests that use it are served without it (degraded)."""


@command(name="enable", title="Switch feature on", key="E", targets=("service",), duration=1.0)
@dataclass(frozen=True)
class EnableFeature(Command):
    """Switch a degraded feature back on."""


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


@command(
    name="shift",
    title="Shift traffic between regions",
    key="S",
    targets=("region",),
    destructive=True,
    duration=2.0,
    args=(
        ArgSpec("to", str, "region receiving the traffic"),
        ArgSpec("percent", float, "share of the source region's traffic to move", 100.0),
    ),
)
@dataclass(frozen=True)
class ShiftTraffic(Command):
    """Change DNS weights: move a share of a region's traffic to another region (clients follow over the TTL)."""

    to: str = ""
    percent: float = 100.0


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


@command(name="drain", title="Drain node", key="N", targets=("app_server",), duration=0.0)
@dataclass(frozen=True)
class DrainNode(Command):
    """Stop sending new requests to an app server (it finishes what it has)."""


@command(name="undrain", title="Return node to rotation", key="U", targets=("app_server",), duration=0.0)
@dataclass(frozen=True)
class UndrainNode(Command):
    """Put a drained app server back into rotation."""


@command(
    name="read-only",
    title="Read-only mode",
    key="O",
    targets=("database",),
    destructive=True,
    duration=1.0,
    args=(ArgSpec("enabled", bool, "true to refuse writes, false to accept them again", True),),
)
@dataclass(frozen=True)
class ReadOnlyMode(Command):
    """Refuse writes at the application for a cluster (reads keep working)."""

    enabled: bool = True


@command(
    name="shed",
    title="Shed load",
    key="L",
    targets=("load_balancer",),
    destructive=True,
    duration=0.0,
    args=(ArgSpec("percent", float, "share of requests rejected at the load balancer (0 stops shedding)", 20.0),),
)
@dataclass(frozen=True)
class ShedLoad(Command):
    """Reject a share of requests at the load balancer with a fast 503, to save the rest."""

    percent: float = 20.0


@command(name="hint", title="Reveal next hint", key="H", targets=(), duration=0.0, target_required=False, footer=True,
         uses_hints=True)
@dataclass(frozen=True)
class RevealHint(Command):
    """Reveal the next hint now, at its score cost."""


@command(name="mark", title="Mark as a SPOF", key="m", targets=("*",), duration=0.0, hunt_only=True)
@dataclass(frozen=True)
class MarkSpof(Command):
    """SPOF hunt: mark (or unmark) a component you believe is a single point of failure, before failures start."""


def build_command(name: str, target: str | None = None, args: dict[str, Any] | None = None) -> Command:
    """Build a command from its name, target and arguments, or raise :class:`CommandError`."""
    cls = REGISTRY.get(name)
    if cls is None:
        close = difflib.get_close_matches(name, REGISTRY, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f"; known commands: {', '.join(sorted(REGISTRY))}"
        raise CommandError(f"unknown command '{name}'{hint}")
    spec = cls.spec
    if spec.target_required and not target:
        raise CommandError(f"command '{name}' needs a target")
    given = dict(args or {})
    values: dict[str, Any] = {}
    for arg in spec.args:
        if arg.name not in given:
            if arg.default is None:
                raise CommandError(f"command '{name}' needs the argument '{arg.name}'")
            values[arg.name] = arg.default
            continue
        raw = given.pop(arg.name)
        try:
            value = _coerce(raw, arg.type)
        except (TypeError, ValueError):
            raise CommandError(f"command '{name}': argument '{arg.name}' must be {arg.type.__name__}, not {raw!r}") from None
        if arg.choices and value not in arg.choices:
            raise CommandError(f"command '{name}': argument '{arg.name}' must be one of {', '.join(arg.choices)}")
        values[arg.name] = value
    if given:
        unknown = sorted(given)[0]
        close = difflib.get_close_matches(unknown, [a.name for a in spec.args], n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise CommandError(f"command '{name}' has no argument '{unknown}'{hint}")
    return cls(target=target, **values)


def _coerce(raw: Any, kind: type) -> Any:
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "false", "on", "off", "yes", "no"):
            return raw.lower() in ("true", "on", "yes")
        raise ValueError(raw)
    if kind is int and isinstance(raw, float) and not raw.is_integer():
        raise ValueError(raw)
    if kind in (int, float) and isinstance(raw, bool):
        raise ValueError(raw)
    return kind(raw)


def command_specs() -> list[CommandSpec]:
    """Every declared command's spec, in declaration order."""
    return [cls.spec for cls in REGISTRY.values()]


__all__ = [
    "ArgSpec",
    "Command",
    "CommandError",
    "CommandSpec",
    "REGISTRY",
    "build_command",
    "command_specs",
]
