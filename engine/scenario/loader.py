"""Read scenario and action-script files and report every problem at once.

The loader turns YAML into the models of :mod:`engine.scenario.schema` and maps every
problem back to the file, line, column and key path the author wrote:

1. YAML is read with ``yaml.SafeLoader`` into a node tree and the Python data
   is built from it here, so the position of every key and list item is known
   and duplicate keys are caught (PyYAML would silently keep the last one).
   Mapping keys are always read as text: ``on:`` stays the key ``on`` instead
   of YAML 1.1's ``True``.
2. The data is validated with pydantic; every error becomes a
   :class:`~engine.problems.Problem` in plain words, with the union noise
   (one error per union member) collapsed to one problem per value.
3. Cross-checks that need the whole file (edges name nodes, one primary per
   cluster, faults and steps target things that exist, ...) run on the parts
   that validated, so they are reported together with the schema problems.

Edges may be written as shorthand strings, ``"app-1, app-2 -> cache (soft)"``;
:func:`parse_edges` expands them and a loaded scenario carries only
:class:`~engine.schema.EdgeSpec` edges.
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from inspect import isclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from engine.commands import REGISTRY, CommandError, build_command
from engine.scenario.problems import Problem, ScenarioError
from engine.scenario.schema import (
    NODE_KINDS,
    ActionScript,
    AlertRule,
    CacheNode,
    Chaos,
    DatabaseNode,
    DnsNode,
    EdgeSpec,
    Fault,
    Hint,
    LoadBalancerNode,
    NodeSpec,
    Positive,
    Scenario,
    ServiceNode,
    Step,
)

Key = str | int
"""One element of a key path: a mapping key or a list index."""
KeyPath = tuple[Key, ...]
"""Where a value sits in a document, e.g. ``("method", 2, "target")``."""
Position = tuple[int, int]
"""A 1-based (line, column)."""

SCENARIO_SUFFIXES = (".yaml", ".yml")
"""File endings of scenario and action-script files."""

_MAX_NODES = 200_000
"""Most YAML values one document may expand to (guards against alias bombs)."""

_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


# --------------------------------------------------------------------------- problems


class _Collector:
    """Gathers the problems of one file and locates key paths in it."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.positions: dict[KeyPath, Position] = {}
        self.problems: list[Problem] = []
        self.broken: set[KeyPath] = set()
        """Paths whose YAML value could not be read (already reported; schema errors there are noise)."""

    def add(self, path: KeyPath, message: str) -> None:
        """Report a problem at ``path`` (or at its nearest ancestor with a known position)."""
        line, column = self.locate(path) or (None, None)
        self.problems.append(Problem(self.file, line, column, format_path(path), message))

    def add_at(self, line: int | None, column: int | None, message: str, path: KeyPath = ()) -> None:
        """Report a problem at an explicit position."""
        self.problems.append(Problem(self.file, line, column, format_path(path), message))

    def locate(self, path: KeyPath) -> Position | None:
        """The position of ``path`` or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            position = self.positions.get(path[:end])
            if position is not None:
                return position
        return None

    def line_of(self, path: KeyPath) -> int | None:
        """The line of ``path`` (or its nearest located ancestor)."""
        position = self.locate(path)
        return position[0] if position else None

    def result(self) -> list[Problem]:
        """The problems without repeats, in file order."""
        unique = list(dict.fromkeys(self.problems))
        return sorted(unique, key=Problem.sort_key)


def format_path(path: Iterable[Key]) -> str:
    """Write a key path the way authors read it: ``method[2].target``, ``topology.nodes.db-1``."""
    text = ""
    for key in path:
        if isinstance(key, int):
            text += f"[{key}]"
        else:
            text += f".{key}" if text else str(key)
    return text


def _suggest(word: object, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` when ``word`` is close to one of ``choices``, else ``""``."""
    close = difflib.get_close_matches(str(word), sorted(set(choices)), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def _show(value: Any) -> str:
    """A value as an author would recognise it in their file."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return str(value)


def _article(word: str) -> str:
    """``"an app_server"``, ``"a database"``."""
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def _number(value: float) -> str:
    """``60`` rather than ``60.0``."""
    return f"{value:g}"


# --------------------------------------------------------------------------- YAML


class _TooLarge(Exception):
    """The document expands to more values than the loader accepts."""


class _Recursive(Exception):
    """An alias refers to a node that contains it."""

    def __init__(self, mark: yaml.Mark) -> None:
        super().__init__("recursive alias")
        self.mark = mark


def _short_tag(tag: str) -> str:
    """``!!str`` for ``tag:yaml.org,2002:str``, as authors write it."""
    prefix = "tag:yaml.org,2002:"
    return "!!" + tag[len(prefix) :] if tag.startswith(prefix) else tag


class _Builder:
    """Builds plain Python data from a YAML node tree, recording where each key path sits."""

    def __init__(self, collector: _Collector) -> None:
        self._collector = collector
        self._constructor = yaml.constructor.SafeConstructor()
        self._count = 0
        self._stack: set[int] = set()

    def build(self, node: yaml.Node, path: KeyPath = ()) -> Any:
        """The Python value of ``node``; ``path`` is its key path in the document."""
        self._count += 1
        if self._count > _MAX_NODES:
            raise _TooLarge
        if id(node) in self._stack:
            raise _Recursive(node.start_mark)
        self._stack.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            if isinstance(node, yaml.SequenceNode):
                return self._sequence(node, path)
            return self._scalar(node, path)
        finally:
            self._stack.discard(id(node))

    def _record(self, path: KeyPath, mark: yaml.Mark) -> None:
        self._collector.positions.setdefault(path, (mark.line + 1, mark.column + 1))

    def _problem(self, mark: yaml.Mark, message: str, path: KeyPath) -> None:
        self._collector.add_at(mark.line + 1, mark.column + 1, message, path)

    def _scalar(self, node: yaml.Node, path: KeyPath) -> Any:
        try:
            return self._constructor.construct_object(node)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or node.start_mark
            self._problem(mark, f"bad YAML: {exc.problem}", path)
        except (ValueError, TypeError) as exc:
            self._problem(node.start_mark, f"bad YAML value {node.value!r}: {exc}", path)
        self._collector.broken.add(path)
        return None

    def _sequence(self, node: yaml.SequenceNode, path: KeyPath) -> list[Any]:
        if node.tag != _SEQ_TAG:
            self._problem(node.start_mark, f"bad YAML: unsupported tag '{_short_tag(node.tag)}' on a list", path)
            self._collector.broken.add(path)
        items = []
        for index, child in enumerate(node.value):
            self._record(path + (index,), child.start_mark)
            items.append(self.build(child, path + (index,)))
        return items

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[str, Any]:
        if node.tag != _MAP_TAG:
            self._problem(node.start_mark, f"bad YAML: unsupported tag '{_short_tag(node.tag)}' on a mapping", path)
            self._collector.broken.add(path)
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node, merged in self._pairs(node, path):
            key = self._key(key_node, path)
            if key is None:
                continue
            if key in result:
                if not merged:
                    self._problem(
                        key_node.start_mark,
                        f"duplicate key '{key}' (first at line {first_line[key]})",
                        path + (key,),
                    )
                continue
            first_line[key] = key_node.start_mark.line + 1
            self._record(path + (key,), key_node.start_mark)
            result[key] = self.build(value_node, path + (key,))
        return result

    def _pairs(self, node: yaml.MappingNode, path: KeyPath) -> list[tuple[yaml.Node, yaml.Node, bool]]:
        """The entries of a mapping, explicit keys first, then those merged in with ``<<``."""
        explicit: list[tuple[yaml.Node, yaml.Node, bool]] = []
        merged: list[tuple[yaml.Node, yaml.Node, bool]] = []
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE_TAG:
                explicit.append((key_node, value_node, False))
                continue
            sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for source in sources:
                if not isinstance(source, yaml.MappingNode):
                    self._problem(key_node.start_mark, "'<<' merges a mapping or a list of mappings", path)
                    continue
                if id(source) in self._stack:
                    raise _Recursive(source.start_mark)
                merged.extend((k, v, True) for k, v, _ in self._pairs(source, path))
        return explicit + merged

    def _key(self, node: yaml.Node, path: KeyPath) -> str | None:
        if isinstance(node, yaml.ScalarNode):
            return str(node.value)
        self._problem(node.start_mark, "a key must be a plain name, not a list or a mapping", path)
        return None


@dataclass(frozen=True)
class _Document:
    """The data of a YAML file; positions live in the collector."""

    data: Any


def _read_yaml(text: str, collector: _Collector) -> _Document | None:
    """Parse ``text``; on a YAML error or an empty document report it and return ``None``."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        words = exc.problem or exc.context or "unreadable"
        if exc.context and exc.problem:
            started = exc.context_mark
            where = f" at line {started.line + 1}" if started and mark and started.line != mark.line else ""
            words = f"{exc.problem} ({exc.context}{where})"
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        collector.add_at(line, column, f"bad YAML: {words}")
        return None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        collector.add_at(line, column, f"bad YAML: the control character U+{code:04X} is not allowed")
        return None
    except yaml.YAMLError as exc:
        collector.add_at(None, None, f"bad YAML: {exc}")
        return None
    except RecursionError:
        collector.add_at(None, None, "bad YAML: the document is nested too deeply")
        return None
    if root is None:
        collector.add_at(None, None, "the file is empty")
        return None
    collector.positions[()] = (root.start_mark.line + 1, root.start_mark.column + 1)
    try:
        data = _Builder(collector).build(root)
    except _Recursive as exc:
        collector.add_at(exc.mark.line + 1, exc.mark.column + 1, "bad YAML: an alias refers to a value that contains it")
        return None
    except _TooLarge:
        collector.add_at(None, None, f"bad YAML: the document expands to more than {_MAX_NODES} values (aliases?)")
        return None
    except RecursionError:
        collector.add_at(None, None, "bad YAML: the document is nested too deeply")
        return None
    return _Document(data)


def _read_file(path: Path, collector: _Collector) -> str | None:
    """The text of ``path``, or ``None`` after reporting why it cannot be read."""
    try:
        if path.is_dir():
            collector.add_at(None, None, "is a directory, not a file")
            return None
        raw = path.read_bytes()
    except FileNotFoundError:
        collector.add_at(None, None, "file not found")
        return None
    except PermissionError:
        collector.add_at(None, None, "cannot read the file: permission denied")
        return None
    except OSError as exc:
        collector.add_at(None, None, f"cannot read the file: {exc.strerror or exc}")
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        collector.add_at(line, None, f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})")
        return None


# --------------------------------------------------------------------------- schema errors


@dataclass
class _Err:
    """A pydantic error with each ``loc`` element classified as a data key or a union label."""

    loc: tuple[Any, ...]
    labels: tuple[bool, ...]
    type: str
    msg: str
    input: Any
    ctx: dict[str, Any]
    start: int = 0

    def next_label(self) -> int | None:
        """Index of the first union label not yet resolved."""
        for index in range(self.start, len(self.loc)):
            if self.labels[index]:
                return index
        return None

    def keys(self) -> KeyPath:
        """The author's key path: ``loc`` without union labels."""
        return tuple(el for el, label in zip(self.loc, self.labels) if not label)


def _classify(error: Mapping[str, Any], data: Any) -> _Err:
    """Mark which ``loc`` elements are real keys of ``data`` and which are pydantic's union labels."""
    loc = tuple(error["loc"])
    labels: list[bool] = []
    current = data
    for index, element in enumerate(loc):
        if isinstance(current, Mapping) and element in current:
            current = current[element]
            labels.append(False)
        elif isinstance(current, list) and isinstance(element, int) and 0 <= element < len(current):
            current = current[element]
            labels.append(False)
        elif index == len(loc) - 1 and error["type"] == "missing":
            labels.append(False)
        else:
            labels.append(True)
    return _Err(loc, tuple(labels), error["type"], error["msg"], error.get("input"), dict(error.get("ctx") or {}))


def _type_mismatch(errors: list[_Err], index: int) -> bool:
    """All of a union member's errors say the value has the wrong type for it."""
    return all(len(e.loc) == index + 1 and e.type.endswith(("_type", "_parsing")) for e in errors)


def _collapse(errors: list[_Err]) -> list[_Err]:
    """One error per failed union instead of one per member, keeping the member that fits best."""
    done: list[_Err] = []
    groups: dict[tuple[Any, ...], list[_Err]] = {}
    for err in errors:
        index = err.next_label()
        if index is None:
            done.append(err)
        else:
            groups.setdefault(err.loc[:index], []).append(err)
    for prefix, members in groups.items():
        index = len(prefix)
        by_label: dict[Any, list[_Err]] = {}
        for err in members:
            by_label.setdefault(err.loc[index], []).append(err)
        if len(by_label) == 1:
            chosen = members
        else:
            fitting = [errs for errs in by_label.values() if not _type_mismatch(errs, index)]
            if not fitting:
                expected = list(dict.fromkeys(_expected_words(e.type) or "something else" for e in members))
                if "a number" in expected and "a whole number" in expected:
                    expected.remove("a whole number")
                first = members[0]
                done.append(
                    _Err(prefix, first.labels[:index], "union_mismatch", first.msg, first.input, {"expected": expected}, index)
                )
                continue
            chosen = min(fitting, key=len)
        for err in chosen:
            err.start = index + 1
        done.extend(_collapse(chosen))
    return done


_TYPE_WORDS = {
    "float": "a number",
    "int": "a whole number",
    "bool": "true or false",
    "string": "a string",
    "list": "a list",
    "tuple": "a list",
    "set": "a list",
    "dict": "a mapping",
    "model": "a mapping",
    "model_attributes": "a mapping",
    "dataclass": "a mapping",
    "none_required": "nothing",
}


def _expected_words(error_type: str) -> str | None:
    """``"a number"`` for ``float_parsing``; ``None`` when the type is not a type mismatch."""
    for suffix in ("_type", "_parsing"):
        if error_type.endswith(suffix):
            return _TYPE_WORDS.get(error_type[: -len(suffix)])
    return None


def _join_or(words: list[str]) -> str:
    """``"a, b or c"``."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _quoted_choices(text: str) -> list[str]:
    """The choices of a pydantic ``expected`` text: ``"'a', 'b' or 'c'"`` -> ``[a, b, c]``."""
    return re.findall(r"'([^']*)'", text)


def _humanize(error_type: str, message: str, value: Any, ctx: Mapping[str, Any]) -> str:
    """A pydantic error about a value in words a scenario author acts on."""
    got = _show(value)
    if error_type in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if error_type == "union_mismatch":
        return f"expected {_join_or(list(ctx['expected']))}, got {got}"
    if error_type == "literal_error":
        choices = _quoted_choices(str(ctx.get("expected", "")))
        text = f"must be one of: {', '.join(choices)}, got {got}"
        return text + (_suggest(value, choices) if isinstance(value, str) else "")
    bounds = {
        "greater_than": ("gt", "must be greater than"),
        "greater_than_equal": ("ge", "must be at least"),
        "less_than": ("lt", "must be less than"),
        "less_than_equal": ("le", "must be at most"),
    }
    if error_type in bounds:
        key, words = bounds[error_type]
        bound = ctx.get(key)
        return f"{words} {_number(bound) if isinstance(bound, (int, float)) else bound}, got {got}"
    if error_type == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s), got {ctx.get('actual_length')}"
    if error_type == "too_long":
        return f"takes at most {ctx.get('max_length')} item(s), got {ctx.get('actual_length')}"
    if error_type == "int_from_float":
        return f"expected a whole number, got {got}"
    if error_type == "finite_number":
        return f"expected a finite number, got {got}"
    expected = _expected_words(error_type)
    if expected:
        return f"expected {expected}, got {got}"
    return message[:1].lower() + message[1:]


def _members(annotation: Any) -> list[Any]:
    """The concrete types an annotation allows (``Annotated`` and unions unwrapped)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _members(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return [member for arg in get_args(annotation) for member in _members(arg)]
    return [annotation]


def _is_model(annotation: Any) -> bool:
    """Whether ``annotation`` is a pydantic model class."""
    return isclass(annotation) and issubclass(annotation, BaseModel)


def _label_matches(member: Any, label: Any) -> bool:
    """Whether pydantic's union label (class name, tag value) names this member."""
    if not _is_model(member):
        return False
    if member.__name__ in re.findall(r"\w+", str(label)):
        return True
    for info in member.model_fields.values():
        if get_origin(info.annotation) is Literal and label in get_args(info.annotation):
            return True
    return False


def _step_type(annotation: Any, element: Any, label: bool) -> list[Any]:
    """The types found one ``loc`` element below a value of type ``annotation``."""
    members = _members(annotation)
    if label:
        chosen = [member for member in members if _label_matches(member, element)]
        return chosen or members
    found: list[Any] = []
    for member in members:
        origin = get_origin(member)
        if _is_model(member):
            for name, info in member.model_fields.items():
                if element in (name, info.alias):
                    found.append(info.annotation)
        elif origin in (list, tuple, set, frozenset) and isinstance(element, int):
            found.extend(arg for arg in get_args(member) if arg is not Ellipsis)
        elif origin is dict:
            found.append(get_args(member)[1])
    return found


def _allowed_keys(root: type[BaseModel], loc: tuple[Any, ...], labels: tuple[bool, ...]) -> list[str]:
    """Field names and aliases of the model(s) that hold the key at ``loc``."""
    current: list[Any] = [root]
    for element, label in zip(loc[:-1], labels[:-1]):
        current = [found for annotation in current for found in _step_type(annotation, element, label)]
    names: list[str] = []
    for annotation in current:
        for member in _members(annotation):
            if _is_model(member):
                for name, info in member.model_fields.items():
                    names.extend(n for n in (info.alias, name) if n)
    return list(dict.fromkeys(names))


def _report_validation(exc: ValidationError, data: Any, root: type[BaseModel], collector: _Collector) -> None:
    """Turn every pydantic error into a problem at the author's key path."""
    errors = _collapse([_classify(error, data) for error in exc.errors()])
    for err in errors:
        keys = err.keys()
        if any(keys[: len(broken)] == broken for broken in collector.broken):
            continue
        if err.type == "missing" and keys:
            name = keys[-1]
            what = f"item [{name}]" if isinstance(name, int) else f"key '{name}'"
            collector.add(keys[:-1], f"missing required {what}")
        elif err.type == "extra_forbidden" and keys:
            name = keys[-1]
            choices = _allowed_keys(root, err.loc, err.labels)
            collector.add(keys, f"unknown key '{name}'{_suggest(name, choices)}")
        elif err.type in ("union_tag_invalid", "union_tag_not_found"):
            discriminator = str(err.ctx.get("discriminator", "kind")).strip("'\"")
            choices = _quoted_choices(str(err.ctx.get("expected_tags", ""))) or list(NODE_KINDS)
            if err.type == "union_tag_not_found":
                collector.add(keys, f"missing required key '{discriminator}' (one of: {', '.join(choices)})")
            else:
                tag = err.ctx.get("tag")
                at = keys + (discriminator,) if isinstance(err.input, Mapping) and discriminator in err.input else keys
                message = f"unknown {discriminator} '{tag}'; must be one of: {', '.join(choices)}"
                collector.add(at, message + _suggest(tag, choices))
        else:
            collector.add(keys, _humanize(err.type, err.msg, err.input, err.ctx))


# --------------------------------------------------------------------------- edges


class EdgeSyntaxError(ValueError):
    """An edge shorthand string is malformed; the message says what is wrong."""


_EDGE_FLAGS = {"soft": ("required", False), "required": ("required", True), "fallback": ("fallback", True)}
_EDGE_VALUES = ("share", "timeout")
_EDGE_OPTIONS = ("soft", "required", "fallback", "share=", "timeout=")


def _edge_names(part: str, what: str, where: str) -> list[str]:
    """The comma-separated node names on one side of an edge's arrow."""
    text = part.strip()
    if not text:
        raise EdgeSyntaxError(f"no {what} {where} '->'")
    names = [name.strip() for name in text.split(",")]
    for name in names:
        if not name:
            raise EdgeSyntaxError(f"empty {what} name in '{text}'")
        if re.search(r"\s", name):
            raise EdgeSyntaxError(f"'{name}' is not a node name: separate names with ','")
    return names


def _edge_options(text: str) -> dict[str, Any]:
    """EdgeSpec fields from the text inside an edge's parentheses."""
    options: dict[str, Any] = {}
    given: set[str] = set()
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            raise EdgeSyntaxError(f"empty option in '({text})'")
        name, has_value, value = (part.strip() for part in item.partition("="))
        if name in given:
            raise EdgeSyntaxError(f"option '{name}' is given twice")
        given.add(name)
        if name in _EDGE_FLAGS:
            if has_value:
                raise EdgeSyntaxError(f"option '{name}' takes no value")
            field, flag = _EDGE_FLAGS[name]
            options[field] = flag
        elif name in _EDGE_VALUES:
            if not value:
                raise EdgeSyntaxError(f"option '{name}' needs a value, e.g. {name}=0.5")
            try:
                options[name] = float(value)
            except ValueError:
                raise EdgeSyntaxError(f"option '{name}' must be a number, got '{value}'") from None
        else:
            known = [option.rstrip("=") for option in _EDGE_OPTIONS]
            hint = _suggest(name, known) or f"; options are: {', '.join(_EDGE_OPTIONS)}"
            raise EdgeSyntaxError(f"unknown edge option '{name}'{hint}")
    if {"soft", "required"} <= given:
        raise EdgeSyntaxError("options 'soft' and 'required' contradict each other")
    return options


def parse_edge(text: str) -> list[EdgeSpec]:
    """Expand one shorthand edge, ``"a, b -> c, d (soft, share=0.3)"``, into its edges.

    Every source gets an edge to every target. Options, in parentheses at the
    end: ``soft`` (``required=False``), ``required``, ``fallback``, ``share=``,
    ``timeout=``. Raises :class:`EdgeSyntaxError` naming what is wrong.
    """
    body = text.strip()
    options: dict[str, Any] = {}
    if "(" in body or ")" in body:
        start = body.find("(")
        if start == -1 or not body.endswith(")") or body.count("(") != 1 or body.count(")") != 1:
            raise EdgeSyntaxError("options go in one pair of parentheses at the end, e.g. 'a -> b (soft)'")
        options = _edge_options(body[start + 1 : -1])
        body = body[:start]
    if "->" not in body:
        raise EdgeSyntaxError(f"an edge needs an arrow: 'source -> target', got '{text.strip()}'")
    if body.count("->") > 1:
        raise EdgeSyntaxError("one arrow per edge: write 'a -> b' and 'b -> c' as two edges")
    left, right = body.split("->")
    sources = _edge_names(left, "source", "before")
    targets = _edge_names(right, "target", "after")
    try:
        EdgeSpec(source=sources[0], target=targets[0], **options)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "option"
        words = _humanize(error["type"], error["msg"], error.get("input"), error.get("ctx") or {})
        raise EdgeSyntaxError(f"option '{field}' {words}") from None
    return [EdgeSpec(source=s, target=t, **options) for s in sources for t in targets]


def parse_edges(items: Iterable[str | EdgeSpec | Mapping[str, Any]]) -> list[EdgeSpec]:
    """Expand a list of edges (shorthand strings, mappings or :class:`EdgeSpec`) to :class:`EdgeSpec` only.

    Raises :class:`ScenarioError` listing every malformed item at ``topology.edges[i]``.
    """
    collector = _Collector("<edges>")
    edges: list[EdgeSpec] = []
    for index, item in enumerate(items):
        path: KeyPath = ("topology", "edges", index)
        if isinstance(item, EdgeSpec):
            edges.append(item)
        elif isinstance(item, str):
            try:
                edges.extend(parse_edge(item))
            except EdgeSyntaxError as exc:
                collector.add(path, str(exc))
        else:
            try:
                edges.append(EdgeSpec.model_validate(item))
            except ValidationError as exc:
                _report_validation(exc, item, EdgeSpec, _Prefixed(collector, path))
    if collector.problems:
        raise ScenarioError(collector.result())
    return edges


class _Prefixed(_Collector):
    """A collector that reports into another one under a key-path prefix."""

    def __init__(self, inner: _Collector, prefix: KeyPath) -> None:
        super().__init__(inner.file)
        self._inner = inner
        self._prefix = prefix

    def add(self, path: KeyPath, message: str) -> None:
        self._inner.add(self._prefix + path, message)


# --------------------------------------------------------------------------- cross-checks

_NODE_ADAPTER: TypeAdapter[Any] = TypeAdapter(NodeSpec)
_REGIONS_ADAPTER: TypeAdapter[list[str]] = TypeAdapter(Annotated[list[str], Field(min_length=1)])
_DURATION_ADAPTER: TypeAdapter[float] = TypeAdapter(Positive)


def _salvage(kind: type[BaseModel] | TypeAdapter[Any], value: Any) -> Any:
    """``value`` validated as ``kind``, or ``None`` when it is invalid (the schema pass reports why)."""
    try:
        if isinstance(kind, TypeAdapter):
            return kind.validate_python(value)
        return kind.model_validate(value)
    except ValidationError:
        return None


def _items(value: Any) -> list[tuple[int, Any]]:
    """``enumerate`` of a list, nothing for anything else."""
    return list(enumerate(value)) if isinstance(value, list) else []


def _get(value: Any, key: str, default: Any = None) -> Any:
    """``value[key]`` when ``value`` is a mapping that has it."""
    return value.get(key, default) if isinstance(value, Mapping) else default


@dataclass
class _World:
    """What cross-checks know about a scenario: node names (``None`` spec: present but invalid), regions, duration."""

    nodes: dict[str, Any]
    regions: list[str] | None
    duration: float | None

    @classmethod
    def of(cls, scenario: Scenario) -> _World:
        """The world of a validated scenario."""
        return cls(dict(scenario.topology.nodes), list(scenario.topology.regions), scenario.duration)

    def specs(self, kind: type[BaseModel]) -> dict[str, Any]:
        """The valid nodes of one model class, by name."""
        return {name: spec for name, spec in self.nodes.items() if isinstance(spec, kind)}

    @property
    def groups(self) -> set[str]:
        """Group names used by nodes."""
        return {spec.group for spec in self.nodes.values() if spec is not None and spec.group}

    @property
    def vips(self) -> set[str]:
        """Virtual IP group names of the load balancers."""
        return {spec.vip or name for name, spec in self.specs(LoadBalancerNode).items()}

    @property
    def clusters(self) -> set[str]:
        """Database cluster names (a node without a cluster is its own)."""
        return {spec.cluster or name for name, spec in self.specs(DatabaseNode).items()}

    @property
    def features(self) -> set[str]:
        """Feature names of services, for degrade and enable."""
        return {spec.feature or name for name, spec in self.specs(ServiceNode).items()}

    def named_groups(self) -> set[str]:
        """Names given explicitly to something other than a node: groups, VIPs, clusters, features."""
        names = set(self.groups)
        for spec in self.nodes.values():
            for field in ("vip", "cluster", "feature"):
                value = getattr(spec, field, None)
                if isinstance(value, str):
                    names.add(value)
        return names

    def target_names(self) -> set[str]:
        """Every name a command may target."""
        names = set(self.nodes) | self.groups | self.vips | self.clusters | self.features
        return names | set(self.regions or ())


class _Checker:
    """Cross-checks between the parts of a scenario, reported into a collector."""

    def __init__(self, world: _World, collector: _Collector) -> None:
        self.world = world
        self.out = collector

    # -- helpers

    def node(self, name: str, path: KeyPath) -> bool:
        """Report ``name`` unless it names a node; true when it does."""
        if name in self.world.nodes:
            return True
        self.out.add(path, f"unknown node '{name}'{_suggest(name, self.world.nodes)}")
        return False

    def region(self, name: str, path: KeyPath) -> bool:
        """Report ``name`` unless it names a declared region (skipped when the regions are invalid)."""
        regions = self.world.regions
        if regions is None or name in regions:
            return True
        self.out.add(path, f"region '{name}' is not declared in topology.regions ({', '.join(regions)}){_suggest(name, regions)}")
        return False

    def time(self, at: float | None, path: KeyPath, what: str) -> None:
        """Report a time after the end of the drill."""
        duration = self.world.duration
        if at is not None and duration is not None and at > duration:
            self.out.add(path, f"{what} {_number(at)} s, after the end of the drill (duration {_number(duration)} s)")

    # -- topology

    def nodes(self) -> None:
        """Regions and DNS weights name declared regions."""
        for name, spec in self.world.nodes.items():
            path: KeyPath = ("topology", "nodes", name)
            if spec is None:
                continue
            if spec.region is not None:
                self.region(spec.region, path + ("region",))
            if isinstance(spec, DnsNode) and spec.weights:
                for region in spec.weights:
                    self.region(region, path + ("weights", region))

    def edges(self, edges: list[tuple[KeyPath, KeyPath, KeyPath, EdgeSpec]]) -> None:
        """Edges join two different nodes, once. Items are (edge path, source path, target path, edge)."""
        seen: dict[tuple[str, str], KeyPath] = {}
        for path, source_path, target_path, edge in edges:
            ok = self.node(edge.source, source_path)
            ok = self.node(edge.target, target_path) and ok
            if not ok:
                continue
            if edge.source == edge.target:
                self.out.add(path, f"an edge from '{edge.source}' to itself")
                continue
            key = (edge.source, edge.target)
            if key in seen:
                first = self.out.line_of(seen[key])
                where = f" (first at line {first})" if first is not None else ""
                self.out.add(path, f"duplicate edge {edge.source} -> {edge.target}{where}")
            else:
                seen[key] = path

    def databases(self) -> None:
        """Upstreams are databases of the same cluster; each cluster has exactly one primary."""
        dbs: dict[str, DatabaseNode] = self.world.specs(DatabaseNode)
        clusters: dict[str, str] = {}
        for name, spec in dbs.items():
            path: KeyPath = ("topology", "nodes", name)
            upstream = spec.upstream
            if upstream is not None:
                if upstream == name:
                    self.out.add(path + ("upstream",), "a database cannot stream from itself")
                elif upstream not in self.world.nodes:
                    self.out.add(path + ("upstream",), f"unknown node '{upstream}'{_suggest(upstream, dbs)}")
                elif upstream not in dbs and self.world.nodes[upstream] is not None:
                    kind = self.world.nodes[upstream].kind
                    self.out.add(path + ("upstream",), f"upstream '{upstream}' is {_article(kind)}, not a database")
            if spec.role == "replica" and spec.cluster is None and upstream is None:
                self.out.add(path, "a replica needs 'cluster' or 'upstream'")
            cluster = self._cluster(name, dbs, path)
            if cluster is not None:
                clusters[name] = cluster
        for name, spec in dbs.items():
            upstream = spec.upstream
            if upstream in clusters and name in clusters and clusters[upstream] != clusters[name]:
                self.out.add(
                    ("topology", "nodes", name, "upstream"),
                    f"upstream '{upstream}' is in cluster '{clusters[upstream]}', not in cluster '{clusters[name]}'",
                )
        members: dict[str, list[str]] = {}
        for name, cluster in clusters.items():
            members.setdefault(cluster, []).append(name)
        for cluster, names in members.items():
            self._one_primary(f"cluster '{cluster}'", names, dbs)

    def _cluster(self, name: str, dbs: dict[str, DatabaseNode], path: KeyPath) -> str | None:
        """The cluster of a database: its own, else its upstream's; a primary without one is its own."""
        chain = [name]
        current = name
        while True:
            spec = dbs[current]
            if spec.cluster:
                return spec.cluster
            if spec.role == "primary":
                return current
            upstream = spec.upstream
            if upstream is None or upstream not in dbs:
                return None
            if upstream in chain:
                loop = chain[chain.index(upstream) :]
                if upstream == name and name == min(loop):
                    self.out.add(path + ("upstream",), f"replication loop: {' -> '.join(loop + [name])}")
                return None
            chain.append(upstream)
            current = upstream

    def _one_primary(self, what: str, names: list[str], specs: Mapping[str, Any]) -> None:
        """Report a group (cluster, VIP) that has no primary or more than one."""
        primaries = [name for name in names if specs[name].role == "primary"]
        if not primaries:
            self.out.add(("topology", "nodes", names[0], "role"), f"{what} has no primary (members: {', '.join(names)})")
        elif len(primaries) > 1:
            count = "two" if len(primaries) == 2 else str(len(primaries))
            listed = ", ".join(primaries[:-1]) + " and " + primaries[-1]
            self.out.add(("topology", "nodes", primaries[1], "role"), f"{what} has {count} primaries: {listed}")

    def load_balancers(self) -> None:
        """Each VIP group has exactly one primary."""
        lbs = self.world.specs(LoadBalancerNode)
        groups: dict[str, list[str]] = {}
        for name, spec in lbs.items():
            groups.setdefault(spec.vip or name, []).append(name)
        for vip, names in groups.items():
            self._one_primary(f"vip group '{vip}'", names, lbs)

    # -- what happens

    _FAULT_KINDS: dict[str, tuple[type[BaseModel], str]] = {
        "cache_flush": (CacheNode, "a cache"),
        "replication_lag": (DatabaseNode, "a database replica"),
        "replication_break": (DatabaseNode, "a database replica"),
        "dependency_outage": (ServiceNode, "a service"),
    }

    def faults(self, faults: list[tuple[KeyPath, Fault]]) -> None:
        """Faults target existing nodes of the right kind (regions for outages and partitions)."""
        regions = self.world.regions or []
        for path, fault in faults:
            if fault.type == "partition":
                for side_index, side in enumerate(fault.between or []):
                    for name in (part.strip() for part in side.split(",")):
                        if not name:
                            self.out.add(path + ("between", side_index), f"empty name in '{side}'")
                        elif name not in self.world.nodes and name not in regions:
                            hint = _suggest(name, [*self.world.nodes, *regions])
                            self.out.add(path + ("between", side_index), f"'{name}' is neither a node nor a region{hint}")
            elif fault.type == "region_outage":
                if fault.target is not None:
                    self.region(fault.target, path + ("target",))
            elif fault.target is not None and self.node(fault.target, path + ("target",)):
                self._fault_kind(fault, path)
            if isinstance(fault.at, (int, float)):
                self.time(fault.at, path + ("at",), f"the {fault.type} fault starts at")
            else:
                self.time(fault.at.between[1], path + ("at",), f"the {fault.type} fault may start as late as")

    def _fault_kind(self, fault: Fault, path: KeyPath) -> None:
        """Faults that only make sense on one kind of node target that kind."""
        if fault.type not in self._FAULT_KINDS or fault.target is None:
            return
        spec = self.world.nodes[fault.target]
        if spec is None:
            return
        kind, words = self._FAULT_KINDS[fault.type]
        if not isinstance(spec, kind):
            actual = _article(spec.kind)
        elif isinstance(spec, DatabaseNode) and spec.role != "replica":
            actual = "a primary"
        else:
            return
        self.out.add(path + ("target",), f"{fault.type} needs {words}, but '{fault.target}' is {actual}")

    def chaos(self, chaos: Chaos | None) -> None:
        """Chaos grouping names groups or kinds; exceptions name nodes."""
        if chaos is None:
            return
        allowed = self.world.groups | set(NODE_KINDS)
        for index, entry in enumerate(chaos.grouping):
            if entry not in allowed:
                self.out.add(("chaos", "grouping", index), f"'{entry}' is neither a group nor a node kind{_suggest(entry, allowed)}")
        for index, entry in enumerate(chaos.exceptions):
            self.node(entry, ("chaos", "exceptions", index))

    def alerts(self, rules: list[tuple[KeyPath, AlertRule]]) -> None:
        """Alert rules watch existing nodes and known kinds."""
        for path, rule in rules:
            for index, name in enumerate(rule.nodes):
                self.node(name, path + ("nodes", index))
            for index, kind in enumerate(rule.kinds):
                if kind not in NODE_KINDS:
                    message = f"unknown kind '{kind}'; must be one of: {', '.join(NODE_KINDS)}"
                    self.out.add(path + ("kinds", index), message + _suggest(kind, NODE_KINDS))

    def hints(self, hints: list[tuple[KeyPath, Hint]]) -> None:
        """Hints appear before the end of the drill."""
        for path, hint in hints:
            self.time(hint.at, path + ("at",), "the hint appears at")

    def steps(self, steps: list[tuple[KeyPath, Step]]) -> None:
        """Commands exist with valid arguments and target things that exist."""
        for path, step in steps:
            if not self.command(path, step):
                continue
            if step.target:
                self._target(path, step)
            if step.command == "shift" and isinstance(step.args.get("to"), str):
                self.region(step.args["to"], path + ("args", "to"))
            if step.trigger is not None and step.trigger.node is not None:
                self.node(step.trigger.node, path + ("trigger", "node"))

    def command(self, path: KeyPath, step: Step) -> bool:
        """Report a step whose command, target presence or arguments are invalid; true when valid."""
        try:
            build_command(step.command, step.target, dict(step.args))
        except CommandError as exc:
            message = str(exc)
            if step.command not in REGISTRY:
                where = path + ("command",)
            elif REGISTRY[step.command].spec.target_required and not step.target:
                where = path + ("target",)
            else:
                argument = re.search(r"argument '([^']+)'", message)
                where = path + ("args", argument.group(1)) if argument else path + ("args",)
            self.out.add(where, message)
            return False
        return True

    def _target(self, path: KeyPath, step: Step) -> None:
        """A step's target names something of a kind its command accepts."""
        spec = REGISTRY[step.command].spec
        target = step.target or ""
        where = path + ("target",)
        if "alert" in spec.targets:
            rule, _, node = target.partition(":")
            if not rule.strip():
                self.out.add(where, f"'{step.command}' needs an alert name, e.g. 'DbDown' or 'DbDown:db-1'")
            elif node:
                self.node(node, where)
            return
        if spec.targets == ("region",):
            self.region(target, where)
            return
        known = self.world.target_names()
        if target not in known:
            self.out.add(where, f"unknown target '{target}'{_suggest(target, known)}")
            return
        kinds = [kind for kind in spec.targets if kind in NODE_KINDS]
        other_meaning = target in self.world.named_groups()
        node = self.world.nodes.get(target)
        if "*" in spec.targets or not kinds or node is None or other_meaning or node.kind in kinds:
            return
        wanted = _join_or([_article(kind) for kind in spec.targets if kind != "*"])
        self.out.add(where, f"'{step.command}' needs {wanted}, but '{target}' is {_article(node.kind)}")


def _step_items(value: Any, prefix: KeyPath) -> list[tuple[KeyPath, Step]]:
    """The valid steps of a list, with their key paths."""
    steps = [(prefix + (index,), _salvage(Step, item)) for index, item in _items(value)]
    return [(path, step) for path, step in steps if step is not None]


def _check_scenario(data: Mapping[str, Any], collector: _Collector) -> list[EdgeSpec]:
    """Run every cross-check on the parts of ``data`` that validate; return the expanded edges."""
    topology = _get(data, "topology", {})
    nodes_raw = _get(topology, "nodes", {})
    nodes = {str(name): _salvage(_NODE_ADAPTER, spec) for name, spec in nodes_raw.items()} if isinstance(nodes_raw, Mapping) else {}
    regions = _salvage(_REGIONS_ADAPTER, _get(topology, "regions", ["main"]))
    duration = _salvage(_DURATION_ADAPTER, _get(data, "duration", Scenario.model_fields["duration"].default))
    checker = _Checker(_World(nodes, regions, duration), collector)

    edges: list[EdgeSpec] = []
    located: list[tuple[KeyPath, KeyPath, KeyPath, EdgeSpec]] = []
    for index, item in _items(_get(topology, "edges")):
        path: KeyPath = ("topology", "edges", index)
        if isinstance(item, str):
            try:
                expanded = parse_edge(item)
            except EdgeSyntaxError as exc:
                collector.add(path, str(exc))
                continue
            located.extend((path, path, path, edge) for edge in expanded)
            edges.extend(expanded)
        elif isinstance(item, Mapping):
            edge = _salvage(EdgeSpec, item)
            if edge is not None:
                source_key = "from" if "from" in item else "source"
                target_key = "to" if "to" in item else "target"
                located.append((path, path + (source_key,), path + (target_key,), edge))
                edges.append(edge)

    checker.nodes()
    checker.edges(located)
    checker.databases()
    checker.load_balancers()
    faults = [(("method", i), _salvage(Fault, item)) for i, item in _items(_get(data, "method"))]
    checker.faults([(path, fault) for path, fault in faults if fault is not None])
    chaos = _get(data, "chaos")
    checker.chaos(_salvage(Chaos, chaos) if chaos is not None else None)
    rules = [(("alerts", "rules", i), _salvage(AlertRule, item)) for i, item in _items(_get(_get(data, "alerts"), "rules"))]
    checker.alerts([(path, rule) for path, rule in rules if rule is not None])
    hints = [(("hints", i), _salvage(Hint, item)) for i, item in _items(_get(data, "hints"))]
    checker.hints([(path, hint) for path, hint in hints if hint is not None])
    solution = _get(data, "reference_solution")
    if isinstance(solution, Mapping):
        checker.steps(_step_items(solution.get("steps"), ("reference_solution", "steps")))
    else:
        checker.steps(_step_items(solution, ("reference_solution",)))
    for index, pitfall in _items(_get(data, "pitfalls")):
        if isinstance(pitfall, Mapping):
            checker.steps(_step_items(pitfall.get("steps"), ("pitfalls", index, "steps")))
    return edges


# --------------------------------------------------------------------------- documents


def _scenario_from_data(data: Any, collector: _Collector, default_id: str | None) -> Scenario | None:
    """Validate and cross-check scenario data; ``None`` when any problem was reported."""
    if not isinstance(data, Mapping):
        collector.add((), f"a scenario must be a mapping with 'title' and 'topology', got {_show(data)}")
        return None
    scenario: Scenario | None = None
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        _report_validation(exc, data, Scenario, collector)
    edges = _check_scenario(data, collector)
    if scenario is None or collector.problems:
        return None
    update: dict[str, Any] = {"topology": scenario.topology.model_copy(update={"edges": edges})}
    if scenario.id is None and default_id:
        update["id"] = default_id
    return scenario.model_copy(update=update)


def _actions_from_data(data: Any, collector: _Collector, scenario: Scenario | None, default_name: str | None) -> ActionScript | None:
    """Validate and cross-check an action script (a list of steps or ``{name, steps}``)."""
    if isinstance(data, list):
        collector.positions = {("steps",) + path: position for path, position in collector.positions.items()}
        data = {"steps": data}
    elif not isinstance(data, Mapping):
        collector.add((), f"an action script must be a list of steps or a mapping with 'steps', got {_show(data)}")
        return None
    script: ActionScript | None = None
    try:
        script = ActionScript.model_validate(data)
    except ValidationError as exc:
        _report_validation(exc, data, ActionScript, collector)
    world = _World.of(scenario) if scenario is not None else _World({}, None, None)
    checker = _Checker(world, collector)
    steps = _step_items(data.get("steps"), ("steps",))
    if scenario is None:
        for path, step in steps:
            checker.command(path, step)
    else:
        checker.steps(steps)
    if script is None or collector.problems:
        return None
    if "name" not in data and default_name:
        script = script.model_copy(update={"name": default_name})
    return script


def _default_name(filename: str) -> str | None:
    """The file stem, for real file names (not ``<string>``)."""
    return None if filename.startswith("<") else Path(filename).stem


def load_scenario_text(text: str, filename: str = "<string>") -> Scenario:
    """Load a scenario from YAML text; raise :class:`ScenarioError` with every problem."""
    collector = _Collector(filename)
    document = _read_yaml(text, collector)
    scenario = _scenario_from_data(document.data, collector, _default_name(filename)) if document else None
    if scenario is None:
        raise ScenarioError(collector.result())
    return scenario


def load_actions_text(text: str, filename: str = "<string>", scenario: Scenario | None = None) -> ActionScript:
    """Load an action script from YAML text; with ``scenario``, check its targets too."""
    collector = _Collector(filename)
    document = _read_yaml(text, collector)
    script = _actions_from_data(document.data, collector, scenario, _default_name(filename)) if document else None
    if script is None:
        raise ScenarioError(collector.result())
    return script


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
    hint = _suggest(name, names) or (f"; built-in scenarios: {', '.join(names)}" if names else "; there are no built-in scenarios")
    return Problem(name, None, None, "", f"unknown scenario '{name}'{hint}")


def _looks_like_path(source: str | Path) -> bool:
    """Whether the user meant a file rather than a built-in name."""
    text = str(source)
    return isinstance(source, Path) or "/" in text or "\\" in text or text.endswith(SCENARIO_SUFFIXES)


def _scenario_file(source: str | Path) -> Path:
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


def _read_source(path: Path) -> str:
    """The text of a file, or :class:`ScenarioError` saying why it cannot be read."""
    collector = _Collector(str(path))
    text = _read_file(path, collector)
    if text is None:
        raise ScenarioError(collector.result())
    return text


def load_scenario(source: str | Path) -> Scenario:
    """Load a scenario from a YAML file or by built-in name; raise :class:`ScenarioError` with every problem.

    The scenario's ``id`` defaults to the file stem and its edges are expanded
    to :class:`~engine.schema.EdgeSpec`.
    """
    path = _scenario_file(source)
    return load_scenario_text(_read_source(path), str(path))


def load_actions(source: str | Path, scenario: Scenario | None = None) -> ActionScript:
    """Load an action script file; with ``scenario``, also check that its targets exist."""
    path = Path(source)
    return load_actions_text(_read_source(path), str(path), scenario)


def validate_file(path: str | Path, scenario: Scenario | None = None) -> list[Problem]:
    """Every problem of a scenario or action-script file; never raises.

    The kind is decided by content: a mapping with ``topology`` or ``title`` is a
    scenario; a list, or a mapping with ``steps``, is an action script (checked
    against ``scenario`` when given).
    """
    collector = _Collector(str(path))
    try:
        text = _read_file(Path(path), collector)
        document = _read_yaml(text, collector) if text is not None else None
        if document is not None:
            data = document.data
            is_scenario = isinstance(data, Mapping) and ("topology" in data or "title" in data)
            if isinstance(data, list) or (isinstance(data, Mapping) and "steps" in data and not is_scenario):
                _actions_from_data(data, collector, scenario, _default_name(str(path)))
            elif isinstance(data, Mapping):
                _scenario_from_data(data, collector, _default_name(str(path)))
            else:
                collector.add(
                    (),
                    f"expected a scenario (a mapping with 'title' and 'topology') or an action script "
                    f"(a list of steps), got {_show(data)}",
                )
    except Exception as exc:  # noqa: BLE001 - `spofdrill validate` must report, not crash
        collector.add_at(None, None, f"internal error while checking the file: {exc!r}")
    return collector.result()


__all__ = [
    "EdgeSyntaxError",
    "Problem",
    "ScenarioError",
    "builtin_dir",
    "builtin_path",
    "builtin_scenarios",
    "format_path",
    "load_actions",
    "load_actions_text",
    "load_scenario",
    "load_scenario_text",
    "parse_edge",
    "parse_edges",
    "validate_file",
]
