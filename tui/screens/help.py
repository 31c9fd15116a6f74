"""Help (?): the keys of the screen it was opened on, generated from that screen's bindings.

One source: the ``BINDINGS`` of the screen, of the console's widgets on it
(the diagram's arrows, the picker's table) and of the app. A binding's
``tooltip`` says more than its footer label where the label is too short to
explain it; keys bound to the same action (the speeds, the four arrows) share
one row. The drill also lists its commands, from the engine's declarations
(the same ones its keys, palette and node menu come from). A screen, and a
widget on it that needs explaining (the clock bar, the tabs), brings a note of
its own (``HELP_NOTE``).
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table
from rich.text import Text
from textual.actions import parse
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from engine.commands import command_specs

KEY_SYMBOLS = {
    "question_mark": "?", "full_stop": ".", "slash": "/", "colon": ":", "plus": "+", "minus": "-",
    "escape": "esc", "left": "←", "right": "→", "up": "↑", "down": "↓",
}
"""How help writes Textual's key names."""

SKIPPED_ACTIONS = ("command", "refused", "help")
"""Not rows of their own: the commands have their table, ``refused`` only explains a disabled key, ``?`` is this help."""


def key_display(binding: Binding) -> str:
    """A binding's key as the trainee types it: ``?`` for ``question_mark``, ``←`` for ``left``."""
    return binding.key_display or KEY_SYMBOLS.get(binding.key, binding.key)


def _own_bindings(node: DOMNode) -> Iterable[Binding]:
    """The bindings the console's own classes declare for ``node`` (not those Textual's base widgets bring)."""
    for cls in reversed(type(node).__mro__):
        if cls.__module__.startswith("tui.") and "BINDINGS" in cls.__dict__:
            yield from Binding.make_bindings(cls.__dict__["BINDINGS"])


def _offered(node: DOMNode, binding: Binding) -> bool:
    """False when the node's ``check_action`` hides the binding now (an assessment's pause, the briefing-only keys)."""
    _, name, params = parse(binding.action)
    try:
        return node.check_action(name, params) is not False
    except Exception:  # noqa: BLE001 - a check that cannot answer here (no drill yet) does not hide a key
        return True


def screen_keys(screen: Screen) -> list[tuple[str, str]]:
    """``(keys, what they do)`` rows for ``screen``: its widgets' keys, its own, then the app's, in declaration order."""
    nodes: list[DOMNode] = []
    seen: set[type] = set()
    for widget in screen.query("*"):
        if type(widget) not in seen and type(widget).__module__.startswith("tui."):
            seen.add(type(widget))
            nodes.append(widget)
    nodes += [screen, screen.app]
    rows: dict[str, tuple[list[str], list[str]]] = {}
    taken: set[str] = set()
    for node in nodes:
        for binding in _own_bindings(node):
            _, name, _ = parse(binding.action)
            if name in SKIPPED_ACTIONS or not _offered(node, binding):
                continue
            keys, words = rows.setdefault(f"{id(node)}:{name}", ([], []))
            key = key_display(binding)
            if key not in keys and key not in taken:
                keys.append(key)
                taken.add(key)
            what = binding.tooltip or binding.description
            if what and what not in words:
                words.append(what)
    table = [(" ".join(keys), " / ".join(words)) for keys, words in rows.values() if keys]
    if screen.app.ENABLE_COMMAND_PALETTE:
        table.append(("ctrl+p", "command palette: search every command by name"))
    table.append(("?", "this help (esc closes it)"))
    return table


def help_table() -> Table:
    """The trainee commands: key, title (and whether it asks first), what it does, what it applies to."""
    table = Table(show_header=True, header_style="bold", expand=False, box=None, padding=(0, 2))
    table.add_column("key", style="bold cyan", no_wrap=True)
    table.add_column("command")
    table.add_column("applies to", style="dim")
    for spec in command_specs():
        title = Text(spec.title)
        if spec.destructive:
            title.append(" (asks for confirmation)", style="yellow")
        elif spec.uses_hints:
            title.append(" (asks first: it costs points)", style="yellow")
        title.append(f"\n{spec.help}", style="dim")
        targets = ", ".join(t.replace("_", " ") for t in spec.targets) or "—"
        table.add_row(spec.key, title, targets)
    return table


def _keys_table(rows: list[tuple[str, str]]) -> Table:
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for keys, what in rows:
        table.add_row(keys, what)
    return table


def help_notes(screen: Screen) -> list[str]:
    """The notes the screen and the console's widgets on it bring (``HELP_NOTE``), once each."""
    notes: list[str] = []
    for node in [screen, *screen.query("*")]:
        note = getattr(type(node), "HELP_NOTE", "") if type(node).__module__.startswith("tui.") else ""
        if note and note not in notes:
            notes.append(note)
    return notes


def _has_commands(screen: Screen) -> bool:
    return any(parse(b.action)[1] == "command" for b in _own_bindings(screen))


class HelpScreen(ModalScreen[None]):
    """The keys of the screen below, and on the drill its commands."""

    CSS_PATH = "help.tcss"
    BINDINGS = [Binding("escape,q,question_mark", "dismiss_help", "Close")]

    def __init__(self, screen: Screen) -> None:
        super().__init__()
        self.for_screen = screen
        """The screen whose keys are shown."""
        self.rows = screen_keys(screen)
        """``(keys, what they do)``, as shown."""

    def compose(self) -> ComposeResult:
        screen = self.for_screen
        with VerticalScroll():
            yield Static(Text("Keys on this screen", style="bold"))
            yield Static(_keys_table(self.rows), id="help-keys")
            for note in help_notes(screen):
                yield Static(Text(f"\n{note}"), classes="help-note")
            if _has_commands(screen):
                yield Static(Text("\nCommands on the selected node (also in the palette and the node menu)",
                                  style="bold"))
                yield Static(help_table(), id="help-commands")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
