"""Read scenario and action-script files and report every problem at once.

The loader turns YAML into the models of :mod:`engine.scenario.schema` and maps every
problem back to the file, line, column and key path the author wrote:

1. YAML is read with ``yaml.SafeLoader`` into a node tree and the Python data
   is built from it here, so the position of every key and list item is known
   and duplicate keys are caught (PyYAML would silently keep the last one).
   Mapping keys are always read as text: ``on:`` stays the key ``on`` instead
   of YAML 1.1's ``True``.
2. The data is validated with pydantic; every error becomes a
   :class:`~engine.scenario.problems.Problem` in plain words, with the union noise
   (one error per union member) collapsed to one problem per value.
3. Cross-checks that need the whole file (edges name nodes, one primary per
   cluster, faults and steps target things that exist, ...) run on the parts
   that validated, so they are reported together with the schema problems.

Edges may be written as shorthand strings, ``"app-1, app-2 -> cache (soft)"``;
:func:`parse_edges` expands them and a loaded scenario carries only
:class:`~engine.scenario.schema.EdgeSpec` edges.

The package, one module an idea: :mod:`.collector` (key paths, problems,
wording), :mod:`.yamlfile` (YAML with line marks), :mod:`.validation` (schema
errors in words), :mod:`.edges` (edge shorthand), :mod:`.checks`
(cross-checks), :mod:`.sizes` (counts against the limits, before any
validation), :mod:`.documents` (loading and validating files and embedded data) and
:mod:`.library` (the built-in scenarios).
"""

from __future__ import annotations

from engine.scenario.loader.collector import format_path
from engine.scenario.loader.documents import (
    load_actions,
    load_actions_text,
    load_scenario,
    load_scenario_data,
    load_scenario_text,
    validate_file,
)
from engine.scenario.loader.edges import EdgeSyntaxError, parse_edge, parse_edges
from engine.scenario.loader.library import (
    SCENARIO_SUFFIXES,
    builtin_dir,
    builtin_path,
    builtin_scenarios,
    drill_library,
    library_dirs,
    library_files,
)
from engine.scenario.problems import Problem, ScenarioError

__all__ = [
    "SCENARIO_SUFFIXES",
    "EdgeSyntaxError",
    "Problem",
    "ScenarioError",
    "builtin_dir",
    "builtin_path",
    "builtin_scenarios",
    "drill_library",
    "library_dirs",
    "library_files",
    "format_path",
    "load_actions",
    "load_actions_text",
    "load_scenario",
    "load_scenario_data",
    "load_scenario_text",
    "parse_edge",
    "parse_edges",
    "validate_file",
]
