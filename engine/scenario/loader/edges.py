"""Edge shorthand: ``"app-1, app-2 -> cache (soft)"`` expanded to :class:`~engine.scenario.schema.EdgeSpec` edges."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from engine.scenario.loader.collector import Collector, KeyPath, Prefixed, suggest
from engine.scenario.loader.validation import humanize, report_validation
from engine.scenario.problems import ScenarioError
from engine.scenario.schema import EdgeSpec
from engine.util.limits import MAX_EDGES, over


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
            hint = suggest(name, known) or f"; options are: {', '.join(_EDGE_OPTIONS)}"
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
    if len(sources) * len(targets) > MAX_EDGES:
        expanded = len(sources) * len(targets)
        raise EdgeSyntaxError(f"{len(sources)} sources x {len(targets)} targets {over('a topology', expanded, MAX_EDGES, 'edges')}")
    try:
        EdgeSpec(source=sources[0], target=targets[0], **options)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "option"
        words = humanize(error["type"], error["msg"], error.get("input"), error.get("ctx") or {})
        raise EdgeSyntaxError(f"option '{field}' {words}") from None
    return [EdgeSpec(source=s, target=t, **options) for s in sources for t in targets]


def parse_edges(items: Iterable[str | EdgeSpec | Mapping[str, Any]]) -> list[EdgeSpec]:
    """Expand a list of edges (shorthand strings, mappings or :class:`EdgeSpec`) to :class:`EdgeSpec` only.

    Raises :class:`ScenarioError` listing every malformed item at ``topology.edges[i]``.
    """
    collector = Collector("<edges>")
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
                report_validation(exc, item, EdgeSpec, Prefixed(collector, path))
    if collector.problems:
        raise ScenarioError(collector.result())
    return edges
