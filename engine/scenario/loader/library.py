"""The built-in scenario library: its folder, its names, and which file a scenario name or path means."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from engine.scenario.loader.collector import suggest
from engine.scenario.problems import Problem, ScenarioError


SCENARIO_SUFFIXES = (".yaml", ".yml")
"""File endings of scenario and action-script files."""


def builtin_dir() -> Path:
    """The directory of the built-in scenario files (the ``scenarios`` package)."""
    return Path(str(resources.files("scenarios")))


def builtin_scenarios() -> list[str]:
    """Names of the built-in scenarios, sorted."""
    directory = builtin_dir()
    if not directory.is_dir():
        return []
    return sorted(path.stem for path in directory.iterdir() if path.suffix == ".yaml" and path.is_file())


def builtin_path(name: str) -> Path:
    """The file of a built-in scenario; raise :class:`ScenarioError` for an unknown name."""
    stem = name[: -len(".yaml")] if name.endswith(".yaml") else name
    names = builtin_scenarios()
    if stem not in names:
        raise ScenarioError([_unknown_builtin(name, names)])
    return builtin_dir() / f"{stem}.yaml"


def _unknown_builtin(name: str, names: list[str]) -> Problem:
    """The problem for a name that is no built-in scenario, with a suggestion."""
    hint = suggest(name, names) or (f"; built-in scenarios: {', '.join(names)}" if names else "; there are no built-in scenarios")
    return Problem(name, None, None, "", f"unknown scenario '{name}'{hint}")


def _looks_like_path(source: str | Path) -> bool:
    """Whether the user meant a file rather than a built-in name."""
    text = str(source)
    return isinstance(source, Path) or "/" in text or "\\" in text or text.endswith(SCENARIO_SUFFIXES)


def scenario_file(source: str | Path) -> Path:
    """The file ``source`` names: an existing path, or a built-in scenario's file."""
    path = Path(source)
    if path.exists():
        return path
    text = str(source)
    names = builtin_scenarios()
    stem = text[: -len(".yaml")] if text.endswith(".yaml") else text
    if not isinstance(source, Path) and "/" not in text and stem in names:
        return builtin_dir() / f"{stem}.yaml"
    if _looks_like_path(source):
        raise ScenarioError([Problem(text, None, None, "", "file not found")])
    raise ScenarioError([_unknown_builtin(text, names)])
