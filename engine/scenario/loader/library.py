"""The scenario libraries and which file a scenario name or path means.

Two libraries answer to a bare name: the built-in scenarios (the ``scenarios``
package) and the **drill library**, the drills ``spofdrill generate`` wrote for
the trainee's own systems, one folder per architecture under
``data_dir()/drills`` (:func:`drill_library`). A built-in name wins over a
generated drill of the same name.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from engine.scenario.loader.collector import suggest
from engine.scenario.problems import Problem, ScenarioError
from engine.util.files import data_dir


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


DRILL_LIBRARY = "drills"
"""The folder of :func:`engine.util.files.data_dir` that holds generated drills, one sub-folder per architecture."""

MAX_LIBRARY_FILES = 2_000
"""The most scenario files read from the drill library (a folder filled by mistake must not stall the console)."""


def drill_library() -> Path:
    """The drill library: ``data_dir()/drills`` (not created here)."""
    return data_dir() / DRILL_LIBRARY


def library_dirs() -> list[Path]:
    """The drill library's architecture folders, sorted by name; none when it is missing or unreadable."""
    try:
        return sorted(path for path in drill_library().iterdir() if path.is_dir() and not path.name.startswith("."))
    except OSError:
        return []


def library_files() -> list[Path]:
    """Every scenario file of the drill library, by folder then file name (at most :data:`MAX_LIBRARY_FILES`)."""
    files: list[Path] = []
    for directory in library_dirs():
        try:
            files += sorted(p for p in directory.iterdir() if p.suffix in SCENARIO_SUFFIXES and p.is_file())
        except OSError:
            continue
        if len(files) >= MAX_LIBRARY_FILES:
            return files[:MAX_LIBRARY_FILES]
    return files


def library_names() -> dict[str, Path]:
    """The generated drills by name (file stem): the first folder's file wins when two folders share a name."""
    names: dict[str, Path] = {}
    for path in library_files():
        names.setdefault(path.stem, path)
    return names


def builtin_path(name: str) -> Path:
    """The file of a built-in scenario; raise :class:`ScenarioError` for an unknown name."""
    stem = name[: -len(".yaml")] if name.endswith(".yaml") else name
    names = builtin_scenarios()
    if stem not in names:
        raise ScenarioError([_unknown_builtin(name, names)])
    return builtin_dir() / f"{stem}.yaml"


def _unknown_builtin(name: str, names: list[str], generated: list[str] = ()) -> Problem:
    """The problem for a name that is no built-in scenario (nor generated drill), with a suggestion."""
    hint = (suggest(name, [*names, *generated])
            or (f"; built-in scenarios: {', '.join(names)}" if names else "; there are no built-in scenarios"))
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
    bare = not isinstance(source, Path) and "/" not in text and "\\" not in text
    if bare and stem in names:
        return builtin_dir() / f"{stem}.yaml"
    generated = library_names() if bare else {}
    if stem in generated:
        return generated[stem]
    if _looks_like_path(source):
        raise ScenarioError([Problem(text, None, None, "", "file not found")])
    raise ScenarioError([_unknown_builtin(text, names, sorted(generated))])
