"""Reading YAML with line marks: the text of a file, then plain data whose every key path has a position.

YAML is read with ``yaml.SafeLoader`` into a node tree and the Python data is
built from it here, so the position of every key and list item is known and
duplicate keys are caught (PyYAML would silently keep the last one). Mapping
keys are always read as text: ``on:`` stays the key ``on`` instead of YAML
1.1's ``True``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from engine.scenario.loader.collector import Collector, KeyPath
from engine.util.files import TooLarge, read_limited
from engine.util.limits import MAX_SCENARIO_BYTES, MAX_YAML_VALUES, over


_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


class _TooLarge(Exception):
    """The document expands to more values than the loader accepts."""


class _CountingLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that stops composing after ``MAX_YAML_VALUES`` nodes (keys, values, aliases).

    Composing is the slow part of reading YAML (pure Python); counting while
    composing stops a 1 MiB file of tiny values long before its end.
    """

    _composed = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:  # type: ignore[override]
        self._composed += 1
        if self._composed > MAX_YAML_VALUES:
            raise _TooLarge
        return super().compose_node(parent, index)  # type: ignore[no-any-return]


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

    def __init__(self, collector: Collector) -> None:
        self._collector = collector
        self._constructor = yaml.constructor.SafeConstructor()
        self._count = 0
        self._stack: set[int] = set()

    def build(self, node: yaml.Node, path: KeyPath = ()) -> Any:
        """The Python value of ``node``; ``path`` is its key path in the document."""
        self._count += 1
        if self._count > MAX_YAML_VALUES:
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
class Document:
    """The data of a YAML file; positions live in the collector."""

    data: Any


def read_yaml(text: str, collector: Collector) -> Document | None:
    """Parse ``text``; on a YAML error or an empty document report it and return ``None``."""
    try:
        root = yaml.compose(text, Loader=_CountingLoader)
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
    except _TooLarge:
        _too_many(collector)
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
        _too_many(collector)
        return None
    except RecursionError:
        collector.add_at(None, None, "bad YAML: the document is nested too deeply")
        return None
    return Document(data)


def _too_many(collector: Collector) -> None:
    limit = over("one document", None, MAX_YAML_VALUES, "values")
    collector.add_at(None, None, f"bad YAML: the document {limit} (keys and items, counting every alias expansion)")


def read_file(path: Path, collector: Collector, limit: int = MAX_SCENARIO_BYTES, what: str = "a scenario file") -> str | None:
    """The text of ``path`` (at most ``limit`` bytes), or ``None`` after reporting why it cannot be read."""
    try:
        if path.is_dir():
            collector.add_at(None, None, "is a directory, not a file")
            return None
        raw = read_limited(path, limit, what)
    except TooLarge as exc:
        collector.add_at(None, None, str(exc).removeprefix(f"{path}: "))
        return None
    except FileNotFoundError:
        collector.add_at(None, None, "file not found")
        return None
    except PermissionError:
        collector.add_at(None, None, "cannot read the file: permission denied")
        return None
    except OSError as exc:
        collector.add_at(None, None, f"cannot read the file: {exc.strerror or exc}")
        return None
    return decode(raw, collector)


def decode(raw: bytes, collector: Collector) -> str | None:
    """``raw`` as UTF-8 text (a BOM dropped), or ``None`` after reporting where it is not."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        collector.add_at(line, None, f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})")
        return None


def text_within(text: str, collector: Collector, limit: int, what: str) -> bool:
    """Whether ``text`` is within ``limit`` bytes; else report it (measured before any parsing)."""
    if len(text) <= limit and len(text.encode("utf-8", "surrogatepass")) <= limit:
        return True
    size = len(text) if len(text) > limit else len(text.encode("utf-8", "surrogatepass"))
    collector.add_at(None, None, over(what, size, limit, "bytes"))
    return False
