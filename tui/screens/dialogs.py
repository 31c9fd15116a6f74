"""Modal dialogs: confirm a destructive command, fill in arguments, the node menu, quitting, asking for a value."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Callable, Generic, TypeVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from engine.commands import CommandSpec

from ..moments import describe_command, format_moment, parse_moment
from ..widgets.clock import mmss

if TYPE_CHECKING:
    from engine.records.replay import TimedCommand

DIALOG_CSS_PATH = "dialogs.tcss"
"""The dialogs' styles, beside this module; dialogs defined elsewhere in tui/screens use it too."""


class ConfirmDialog(ModalScreen[bool]):
    """Ask before a destructive command, saying what it will do."""

    CSS_PATH = DIALOG_CSS_PATH
    BINDINGS = [("escape", "cancel", "Cancel"), ("y", "confirm", "Yes"), ("n", "cancel", "No")]

    def __init__(self, title: str, text: str, confirm_label: str = "Do it") -> None:
        super().__init__()
        self.title_text = title
        self.text = text
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog danger"):
            yield Label(self.title_text, classes="title")
            yield Static(self.text)
            with Horizontal(classes="buttons"):
                yield Button("Cancel (n)", id="cancel")
                yield Button(f"{self.confirm_label} (y)", id="confirm", variant="error")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class ArgsDialog(ModalScreen[dict[str, Any] | None]):
    """Fill in a command's arguments (prefilled with sensible values)."""

    CSS_PATH = DIALOG_CSS_PATH
    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, spec: CommandSpec, target: str | None, values: dict[str, Any], choices: dict[str, tuple[str, ...]]) -> None:
        super().__init__()
        self.spec = spec
        self.target = target
        self.values = values
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"{self.spec.title}{' ' + self.target if self.target else ''}", classes="title")
            for arg in self.spec.args:
                yield Label(f"{arg.name}: {arg.help}")
                value = self.values.get(arg.name, arg.default)
                options = self.choices.get(arg.name, ())
                if arg.type is bool:
                    yield Select([("true", True), ("false", False)], value=bool(value), allow_blank=False, id=f"arg-{arg.name}")
                elif options:
                    yield Select([(o, o) for o in options], value=value if value in options else options[0],
                                 allow_blank=False, id=f"arg-{arg.name}")
                else:
                    yield Input("" if value is None else str(value), id=f"arg-{arg.name}",
                                type="number" if arg.type in (int, float) else "text")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Continue", id="ok", variant="primary")

    def _collect(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for arg in self.spec.args:
            widget = self.query_one(f"#arg-{arg.name}")
            out[arg.name] = widget.value
        return out

    def on_input_submitted(self) -> None:
        self.dismiss(self._collect())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(self._collect() if event.button.id == "ok" else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


def menu_entry(spec: CommandSpec) -> Text:
    """A node menu's line: the command's key (the drill's binding, from the same declaration), its title, ``…`` when it asks first.

    A :class:`Text`, not a markup string: ``[F] Fail over`` as markup is a style named ``F`` and the key vanished.
    """
    return Text.assemble((spec.key, "bold cyan"), "  ", spec.title, " …" if spec.destructive else "")


class NodeMenu(ModalScreen[str | None]):
    """The context menu of a node: every command that applies to it."""

    CSS_PATH = DIALOG_CSS_PATH
    BINDINGS = [("escape", "cancel", "Close")]

    def __init__(self, node_name: str, specs: list[CommandSpec]) -> None:
        super().__init__()
        self.node_name = node_name
        self.specs = specs

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.node_name, classes="title")
            yield OptionList(*[Option(menu_entry(s), id=s.name) for s in self.specs], id="menu")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceMenu(ModalScreen[str | None]):
    """Pick one of a few named choices (a team drill facilitator's fault palette)."""

    CSS_PATH = DIALOG_CSS_PATH
    BINDINGS = [("escape", "cancel", "Close")]

    def __init__(self, title: str, choices: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = list(choices)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="title")
            yield OptionList(*[Option(label, id=key) for key, label in self.choices], id="menu")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class QuitDialog(ModalScreen[str | None]):
    """Leaving mid-drill: end it and see the debrief, quit (the journal so far is kept), or go on."""

    CSS_PATH = DIALOG_CSS_PATH
    BINDINGS = [("escape", "cancel", "Go on"), ("e", "choose('end')", "End & debrief"), ("Q", "choose('quit')", "Quit")]

    def __init__(self, journal_note: str) -> None:
        super().__init__()
        self.journal_note = journal_note

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Leave the drill?", classes="title")
            yield Static(self.journal_note)
            with Horizontal(classes="buttons"):
                yield Button("Go on (esc)", id="cancel")
                yield Button("End & debrief (e)", id="end", variant="primary")
                yield Button("Quit (Q)", id="quit", variant="error")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None if event.button.id == "cancel" else event.button.id)

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

    def action_cancel(self) -> None:
        self.dismiss(None)


T = TypeVar("T")


class AskDialog(ModalScreen[T | None], Generic[T]):
    """Ask for one value: ``parse`` turns the text into it or raises ValueError with the message shown in place.

    The dialog stays open until the text parses (or is cancelled: None).
    """

    CSS_PATH = DIALOG_CSS_PATH
    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, title: str, text: str, value: str, parse: Callable[[str], T], *, ok: str = "OK",
                 placeholder: str = "", note: str = "", field_id: str = "ask-value", error_id: str = "ask-error",
                 danger: bool = False) -> None:
        super().__init__()
        self.title_text, self.text, self.value, self.parse = title, text, value, parse
        self.ok, self.placeholder, self.note, self.field_id, self.danger = ok, placeholder, note, field_id, danger
        self.error_id = error_id
        self.error = ""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog danger" if self.danger else "dialog"):
            yield Label(self.title_text, classes="title")
            yield Static(self.text)
            if self.note:
                yield Static(self.note, id="ask-note")
            yield Input(self.value, id=self.field_id, placeholder=self.placeholder)
            yield Static("", id=self.error_id, classes="ask-error")
            with Horizontal(classes="buttons"):
                yield Button("Cancel (esc)", id="cancel")
                yield Button(self.ok, id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            self._submit()
        else:
            self.dismiss(None)

    def _submit(self) -> None:
        try:
            value = self.parse(self.query_one(Input).value)
        except ValueError as exc:
            self.error = str(exc)
            self.query_one(f"#{self.error_id}", Static).update(self.error)
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class TakeOverDialog(AskDialog[float]):
    """Ask for the moment to take a drill over from: mm:ss or seconds, checked before it closes."""

    def __init__(self, default: float, duration: float, commands: Sequence[TimedCommand]) -> None:
        shown = "; ".join(f"{mmss(c.t)} {describe_command(c)}" for c in commands[:4])
        if len(commands) > 4:
            shown += f"; and {len(commands) - 4} more"
        super().__init__(
            "Take over from which moment?",
            "What happened before it is replayed; from then on the drill is yours "
            "(paused until you press space). Enter mm:ss or seconds.",
            format_moment(default), lambda text: parse_moment(text, duration), ok="Take over",
            placeholder="mm:ss or seconds", note=f"The trainee's commands: {shown or 'none'}", field_id="moment",
        )
