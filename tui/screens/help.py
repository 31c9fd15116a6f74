"""Help (?): every key, generated from the same declarations as the bindings and the palette."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from engine.commands import command_specs

GENERAL = (
    ("space", "pause / resume (not in assessment mode)"),
    ("1 2 3 4", "speed 1× 2× 5× 10× (not in assessment mode)"),
    ("arrows, h j k l", "move the selection on the topology; click a node to select it"),
    ("enter", "the selected node's menu of commands"),
    (": or ctrl+p", "command palette: every command on every target, fuzzy search"),
    ("tab", "next panel (alerts: a acknowledges the highlighted alert)"),
    ("q, escape", "leave the drill (end and debrief, or quit keeping the journal)"),
    ("?", "this help"),
)


def help_table() -> Table:
    table = Table(show_header=True, header_style="bold", expand=False, box=None, padding=(0, 2))
    table.add_column("key", style="bold cyan", no_wrap=True)
    table.add_column("command")
    table.add_column("applies to", style="dim")
    for spec in command_specs():
        title = Text(spec.title)
        if spec.destructive:
            title.append(" (asks for confirmation)", style="yellow")
        title.append(f"\n{spec.help}", style="dim")
        targets = ", ".join(t.replace("_", " ") for t in spec.targets) or "—"
        table.add_row(spec.key, title, targets)
    return table


class HelpScreen(ModalScreen[None]):
    """Keys and commands."""

    CSS_PATH = "help.tcss"
    BINDINGS = [Binding("escape,q,question_mark", "dismiss_help", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            general = Table(show_header=False, box=None, padding=(0, 2))
            general.add_column(style="bold cyan", no_wrap=True)
            general.add_column()
            for key, what in GENERAL:
                general.add_row(key, what)
            yield Static(Text("Keys", style="bold"))
            yield Static(general)
            yield Static(Text("\nCommands on the selected node (also in the palette and the node menu)", style="bold"))
            yield Static(help_table())

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
