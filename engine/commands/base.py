"""What every trainee command shares: its declaration, its registry and how it meets the simulation.

A command is a frozen dataclass (its target and arguments) with a
:class:`CommandSpec` attached by the :func:`command` decorator. The class also
carries the command's behaviour, so adding a command touches one module:

* against the running simulation, through :class:`CommandContext`:
  :meth:`Command.check` (refuse with :class:`Refused`, or return how long the
  command takes), :meth:`Command.apply` (its effect) and
  :meth:`Command.preview` (the confirmation text);
* against what the trainee sees (the console's frozen views):
  :meth:`Command.offered_on`, :meth:`Command.target_for`,
  :meth:`Command.default_args`, :meth:`Command.choices_for` and
  :meth:`Command.palette_targets`.

The simulation applies commands through :meth:`engine.sim.simulation.Simulation.apply` only.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from engine.util.limits import MAX_ARG_MAGNITUDE

if TYPE_CHECKING:
    import networkx as nx

    from engine.scenario.schema import Scenario
    from engine.sim.alerts import AlertEvaluator
    from engine.sim.journal import Journal
    from engine.sim.model import Cluster, Node, VipGroup, WriteLog
    from engine.sim.snapshot import NodeView, Snapshot


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
    shows_as: str | None = None
    """The state word its target shows while the command runs (``promoting``), if any."""
    purpose: str = "mitigate"
    """What the command is for: ``mitigate`` (changes the system), ``investigate`` (returns evidence,
    changes nothing), or ``respond`` (acknowledging an alert, a hint, a SPOF mark). Time to detect
    counts from these (docs/scoring.md)."""

    @property
    def observes(self) -> bool:
        """Changes nothing (an investigation): journaled without accounting traffic up to the instant, which would
        split a traffic step and nudge the run (see :meth:`engine.sim.world.World.observe`)."""
        return self.purpose == "investigate"


REGISTRY: dict[str, type["Command"]] = {}

PURPOSES = ("mitigate", "investigate", "respond")

# Keys vim users press to scroll or move never carry a destructive command.
VIM_MOTION_KEYS = frozenset("hjklgGwbeudfx0$") | {"ctrl+d", "ctrl+u", "ctrl+f", "ctrl+b"}


class CommandError(ValueError):
    """A command could not be built from what was given (unknown name, bad argument)."""


class Refused(Exception):
    """A command cannot be applied now; the message says why."""


class NoTarget(ValueError):
    """The trainee's selection does not fit the command; the message says what would."""


class CommandContext(Protocol):
    """What a command may read and do in the running simulation (and nothing else).

    Reads are the runtime state (:mod:`engine.sim.model` objects); every change
    goes through :meth:`changed` first (traffic is accounted up to now under the
    old state) or through one of the named operations, which do that themselves.
    """

    scenario: Scenario
    nodes: dict[str, Node]
    vips: dict[str, VipGroup]
    vip_of: dict[str, VipGroup]
    cluster_of: dict[str, Cluster]
    graph: nx.DiGraph
    alerts: AlertEvaluator
    journal: Journal
    dns_state: dict[str, dict[str, Any]]
    marks: set[str]
    hints_revealed: list[int]

    def changed(self) -> None:
        """Account traffic up to now under the old state, before a change."""

    def record(self, type: str, **data: Any) -> None:
        """Journal an event now."""

    def reachable(self, src: Node | None, dst: Node) -> bool:
        """Whether ``dst`` answers (from ``src``): up, not in a dark region, not across a partition."""

    def dark_node(self, node: Node) -> bool:
        """Whether the node sits in a region that is out."""

    def root_log(self, node: Node) -> WriteLog | None:
        """The log of the primary at the top of a replica's upstream chain."""

    def replica_lag(self, node: Node) -> float:
        """Seconds a replica is behind its primary."""

    def boot_time(self, node: Node) -> float:
        """Seconds the node takes to start."""

    def vip_candidates(self, vip: VipGroup) -> list[Node]:
        """The members that could take the virtual IP now, best first."""

    def move_vip(self, vip: VipGroup, to: str, why: str) -> None:
        """Give the virtual IP to ``to``."""

    def promote(self, node: Node) -> None:
        """Make a replica its cluster's writer (losing what it had not received)."""

    def boot(self, node: Node) -> Iterator[Any]:
        """The process of a restart: down, booting, then up."""

    def after_down(self, node: Node) -> None:
        """What follows a node becoming unavailable (VRRP, DNS health)."""

    def set_dns(self, dns: str, weights: dict[str, float], why: str) -> None:
        """Change the weights a DNS answers with."""

    def scale_out(self, template: Node, count: int) -> Iterator[Any]:
        """Add booting copies of ``template``; the process that finishes their boot."""

    def reveal_hint(self, index: int, cost: float) -> None:
        """Show a hint to the trainee at a cost."""

    def investigate(self, tool: str, target: str, args: dict[str, Any]) -> tuple[str, ...]:
        """The lines an investigation tool returns now (changing nothing): ``logs``, ``probe``, ``replication``..."""


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

    # ------------------------------------------------------------------ against the simulation

    def check(self, ctx: CommandContext) -> float:
        """Raise :class:`Refused` if the command cannot run now; return how long it takes."""
        return self.spec.duration

    def apply(self, ctx: CommandContext) -> Iterator[Any] | None:
        """Do it. A command that takes time to finish (a boot) returns the process that finishes it."""
        return None

    def process_time(self, ctx: CommandContext) -> float:
        """Seconds the process :meth:`apply` returns runs for (0 when it returns none)."""
        return 0.0

    def preview(self, ctx: CommandContext) -> str:
        """What the command would do now, in words, for the confirmation dialog."""
        return f"{self.spec.title.lower()}: {self.describe()}"

    # ------------------------------------------------------------------ against the console's views

    @classmethod
    def offered_on(cls, node: NodeView, snapshot: Snapshot | None = None) -> bool:
        """Whether menus and the detail panel offer the command on this node."""
        spec = cls.spec
        if not spec.target_required:
            return False
        if "*" in spec.targets:
            return node.kind != "client"
        return node.kind in spec.targets

    @classmethod
    def target_for(cls, node: NodeView | None, snapshot: Snapshot) -> str | None:
        """The target given the selected node, or :class:`NoTarget` saying what to select."""
        spec = cls.spec
        if not spec.target_required:
            return None
        if node is None:
            raise NoTarget(f"select a {cls.kinds()} first")
        if "*" in spec.targets and node.kind != "client":
            return node.name
        if node.kind in spec.targets:
            return node.name
        raise NoTarget(f"'{spec.name}' applies to a {cls.kinds()}; {node.name} is a {node.kind.replace('_', ' ')}")

    @classmethod
    def default_args(cls, node: NodeView | None, snapshot: Snapshot, target: str | None = None) -> dict[str, Any]:
        """Sensible starting values for the arguments (the dialog lets the trainee change them)."""
        return {arg.name: arg.default for arg in cls.spec.args if arg.default is not None}

    @classmethod
    def choices_for(
        cls, arg_name: str, node: NodeView | None, snapshot: Snapshot, target: str | None = None
    ) -> tuple[str, ...]:
        """Allowed values of an argument when they are a closed set."""
        for arg in cls.spec.args:
            if arg.name == arg_name and arg.choices:
                return arg.choices
        return ()

    @classmethod
    def palette_targets(cls, snapshot: Snapshot) -> list[str | None]:
        """Every target the command palette offers for the command now."""
        if not cls.spec.target_required:
            return [None]
        out: list[str | None] = []
        for node in snapshot.nodes:
            if cls.offered_on(node, snapshot):
                target = cls.palette_target(node)
                if target not in out:
                    out.append(target)
        return out

    @classmethod
    def palette_target(cls, node: NodeView) -> str:
        """The target the palette names for a node the command is offered on."""
        return node.name

    @classmethod
    def kinds(cls) -> str:
        """The kinds of target in words, for messages ("load balancer or database")."""
        words = [k.replace("_", " ") for k in cls.spec.targets if k not in ("*", "group")]
        return " or ".join(words) or "node"


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
    shows_as: str | None = None,
    purpose: str = "mitigate",
):
    """Declare a command class: its spec is built from these words and its docstring."""

    def wrap(cls: type[Command]) -> type[Command]:
        if destructive and key in VIM_MOTION_KEYS:
            raise AssertionError(f"destructive command {name} must not sit on vim key {key!r}")
        if name in REGISTRY:
            raise AssertionError(f"command {name} declared twice")
        if purpose not in PURPOSES:
            raise AssertionError(f"command {name}: purpose must be one of {', '.join(PURPOSES)}")
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
            shows_as=shows_as,
            purpose=purpose,
        )
        REGISTRY[name] = cls
        return cls

    return wrap


def node_named(ctx: CommandContext, name: str | None, kinds: tuple[str, ...] = ()) -> Node:
    """The node a command names, or :class:`Refused` when there is none or it is of another kind."""
    node = ctx.nodes.get(name or "")
    if node is None:
        raise Refused(f"there is no node '{name}'")
    if kinds and node.kind not in kinds:
        raise Refused(f"{name} is a {node.kind.replace('_', ' ')}, not a {' or '.join(k.replace('_', ' ') for k in kinds)}")
    return node


def vip_named(ctx: CommandContext, target: str | None) -> tuple[VipGroup, Node | None]:
    """The VIP group a command names (by the VIP or one of its load balancers) and that load balancer."""
    if target in ctx.vips:
        return ctx.vips[target], None
    node = node_named(ctx, target, ("load_balancer",))
    return ctx.vip_of[node.name], node


def command_class(spec: CommandSpec) -> type[Command]:
    """The class a spec was declared on."""
    return REGISTRY[spec.name]


ARG_DECIMALS = 3
"""Numbers are taken to the thousandth, as the journal writes them: what is applied is what is journaled."""


def build_command(name: Any, target: Any = None, args: Any = None) -> Command:
    """Build a command from its name, target and arguments, or raise :class:`CommandError` saying why.

    Anything may be given (a script, a journal, a dialog, a caller of the API):
    a name that is not text, a target that is neither a name nor None, arguments
    that are not a mapping, a value of the wrong type, not finite (NaN, ±inf),
    beyond :data:`MAX_ARG_MAGNITUDE` or a bool where a number is meant are all
    refused with words. Decimal numbers are rounded to :data:`ARG_DECIMALS`
    places here, before the command is checked or applied, so the journal
    (which writes numbers to the thousandth) records exactly what was applied.
    """
    if not isinstance(name, str) or not name:
        raise CommandError(f"a command name must be text, not {_shown(name)}")
    cls = REGISTRY.get(name)
    if cls is None:
        close = difflib.get_close_matches(name, REGISTRY, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f"; known commands: {', '.join(sorted(REGISTRY))}"
        raise CommandError(f"unknown command '{_short(name)}'{hint}")
    if target is not None and not isinstance(target, str):
        raise CommandError(f"command '{name}': the target must be a name, not {_shown(target)}")
    spec = cls.spec
    if spec.target_required and not target:
        raise CommandError(f"command '{name}' needs a target")
    if args is not None and not isinstance(args, Mapping):
        raise CommandError(f"command '{name}': the arguments must be a mapping of names to values, not {_shown(args)}")
    given = dict(args or {})
    if any(not isinstance(key, str) for key in given):
        bad = next(key for key in given if not isinstance(key, str))
        raise CommandError(f"command '{name}': an argument name must be text, not {_shown(bad)}")
    values: dict[str, Any] = {}
    for arg in spec.args:
        if arg.name not in given:
            if arg.default is None:
                raise CommandError(f"command '{name}' needs the argument '{arg.name}'")
            values[arg.name] = arg.default
            continue
        raw = given.pop(arg.name)
        try:
            value = coerce(raw, arg.type)
        except (TypeError, ValueError, OverflowError) as exc:
            wanted = exc.args[0] if isinstance(exc, ArgumentProblem) else _kind(arg.type)
            raise CommandError(f"command '{name}': argument '{arg.name}' must be {wanted}, not {_shown(raw)}") from None
        if arg.choices and value not in arg.choices:
            raise CommandError(f"command '{name}': argument '{arg.name}' must be one of {', '.join(arg.choices)}")
        values[arg.name] = value
    if given:
        unknown = sorted(given)[0]
        close = difflib.get_close_matches(unknown, [a.name for a in spec.args], n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise CommandError(f"command '{name}' has no argument '{_short(unknown)}'{hint}")
    return cls(target=target, **values)


class ArgumentProblem(ValueError):
    """Why a value of the right type is still not an argument (not finite, too large)."""


def coerce(raw: Any, kind: type) -> Any:
    """``raw`` (from a script, a journal or a dialog) as an argument of type ``kind``, or ValueError.

    A bool is never a number nor a number a bool; a number is finite, within
    :data:`MAX_ARG_MAGNITUDE` and (a float) rounded to :data:`ARG_DECIMALS`
    places; text is text (a dialog's numbers come as text and are read).
    """
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "false", "on", "off", "yes", "no"):
            return raw.lower() in ("true", "on", "yes")
        raise ValueError(raw)
    if kind is str:
        if isinstance(raw, str):
            return raw
        raise ValueError(raw)
    if kind in (int, float):
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            raise ValueError(raw)
        if isinstance(raw, str) and len(raw) > 100:
            raise ValueError(raw)
        within = f"a number between -{MAX_ARG_MAGNITUDE:,} and {MAX_ARG_MAGNITUDE:,}"
        try:
            number = float(raw) if kind is float or not isinstance(raw, int) else raw
        except OverflowError:
            raise ArgumentProblem(within) from None
        if isinstance(number, float) and not math.isfinite(number):
            raise ArgumentProblem("a finite number")
        if abs(number) > MAX_ARG_MAGNITUDE:
            raise ArgumentProblem(within)
        if kind is int:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError(raw)
            return int(number)
        return round(number, ARG_DECIMALS) + 0.0  # + 0.0: no negative zero
    return kind(raw)


def _kind(kind: type) -> str:
    return {bool: "true or false", int: "a whole number", float: "a number", str: "text"}.get(kind, kind.__name__)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _shown(value: Any) -> str:
    """A value in a message: short, whatever it is (a 10**400, a megabyte of text, a nested list)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"a {len(str(abs(value))) if value.bit_length() < 10_000 else 'huge'}-digit number"
    if isinstance(value, float) and not math.isfinite(value):
        return {math.inf: "Infinity", -math.inf: "-Infinity"}.get(value, "NaN")
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a hostile object's repr
        text = f"a {type(value).__name__}"
    return _short(text)


def command_specs() -> list[CommandSpec]:
    """Every declared command's spec, in declaration order."""
    return [cls.spec for cls in REGISTRY.values()]
