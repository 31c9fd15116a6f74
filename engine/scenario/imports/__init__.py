"""``spofdrill import``: a Docker Compose file or Kubernetes manifests turned into a scenario's architecture.

:func:`import_architecture` reads the inputs (:mod:`.source`: the loader's limits), reads
them as Compose (:mod:`.compose`) or Kubernetes (:mod:`.kubernetes`), decides kinds
(:mod:`.kinds`, corrected by a :mod:`.mapping` file), builds the topology (:mod:`.build`)
and loads the written YAML with the real loader, so what it returns is a scenario
``spofdrill validate`` accepts. Bad input raises
:class:`~engine.scenario.problems.ScenarioError` with every problem, file and line;
everything the import assumed, defaulted or skipped comes back as :class:`Note` s, and
as a comment block at the top of the YAML. ``docs/importing.md`` is the user's guide.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import yaml

from engine.scenario.imports.build import build
from engine.scenario.imports.compose import is_compose, read_compose
from engine.scenario.imports.kubernetes import is_kubernetes, read_kubernetes
from engine.scenario.imports.mapping import Mapping, read_mapping
from engine.scenario.imports.model import Architecture
from engine.scenario.imports.source import Document, Note, Notes, Reader, clean
from engine.scenario.loader import load_scenario_text
from engine.scenario.problems import ScenarioError
from engine.scenario.schema import Scenario


MAX_NAME = 80
"""The longest system name kept (the picker shows it as a heading)."""


@dataclass(frozen=True)
class Imported:
    """The result of an import: the scenario, its YAML text and every note about it."""

    scenario: Scenario
    """The scenario, loaded from :attr:`yaml_text` by the scenario loader."""
    yaml_text: str
    """The scenario file: a comment block with the notes, then the scenario."""
    notes: tuple[Note, ...]
    """Assumptions, defaults, skipped input and other notes, each with its file and line."""
    files: tuple[str, ...]
    """The files read."""

    @property
    def summary(self) -> str:
        """``imported 9 components from 2 files: 5 assumptions, 4 defaults, 2 skipped, 1 note``."""
        counts = {kind: sum(1 for n in self.notes if n.kind == kind) for kind in ("assumption", "default", "skipped", "note")}
        words = {"assumption": "assumptions", "default": "defaults", "skipped": "skipped", "note": "notes"}
        parts = [f"{count} {words[kind] if count != 1 or kind == 'skipped' else kind}" for kind, count in counts.items()]
        components = len(self.scenario.topology.nodes) - 1
        files = len(self.files)
        return f"imported {components} components from {files} file{'s' if files != 1 else ''}: {', '.join(parts)}"


def import_architecture(paths: list[str], mapping: str | Mapping | None = None, name: str | None = None) -> Imported:
    """Import Compose or Kubernetes files (or folders of manifests); raise :class:`ScenarioError` on bad input."""
    if isinstance(mapping, str):
        mapping = read_mapping(mapping)
    notes = Notes()
    reader = Reader(notes)
    files = reader.files([str(p) for p in paths])
    documents: list[Document] = []
    for file in files:
        documents.extend(reader.documents(file))
    notes.raise_problems()
    arch = _read(documents, files, notes)
    notes.raise_problems()
    data = build(arch, mapping, notes)
    system = clean(name or arch.name or _stem(paths, documents)).strip()[:MAX_NAME] or "imported"
    scenario = {
        "title": f"{system} (imported)",
        "architecture": system,
        "description": f"The architecture of {system}, imported by 'spofdrill import' from {', '.join(Path(f).name for f in files)}. "
                       f"No faults: drills are generated from it.",
        "tags": ["imported"],
        **data,
    }
    nodes = scenario["topology"]["nodes"]
    scenario["topology"]["nodes"] = {node: _Flow(spec) for node, spec in nodes.items()}
    scenario["automation"] = {key: _Flow(value) for key, value in scenario["automation"].items()}
    if not scenario["automation"]:
        del scenario["automation"]
    text = _header(system, notes.notes) + yaml.dump(scenario, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                                                     width=10_000, default_flow_style=False)
    try:
        loaded = load_scenario_text(text, f"<imported {system}>")
    except ScenarioError as exc:  # a bug of the import, reported as such rather than written
        raise ScenarioError([dataclasses.replace(p, message=f"the imported scenario does not load (a bug of spofdrill "
                                                             f"import): {p.message}") for p in exc.problems]) from None
    return Imported(loaded, text, tuple(notes.notes), tuple(files))


class _Flow(dict):
    """A mapping written on one line (a node, a health check), as the built-in scenarios write them."""


class _Dumper(yaml.SafeDumper):
    """``yaml.SafeDumper`` that writes :class:`_Flow` mappings in flow style."""


_Dumper.add_representer(_Flow, lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True))


def _read(documents: list[Document], files: list[str], notes: Notes) -> Architecture:
    compose = [d for d in documents if is_compose(d)]
    kube = [d for d in documents if is_kubernetes(d)]
    for document in documents:
        if document not in compose and document not in kube:
            what = "a mapping" if isinstance(document.data, dict) else type(document.data).__name__
            notes.problem(document.file, document.line(), f"neither a Compose file (no 'services') nor a Kubernetes "
                                                           f"object (no 'apiVersion' and 'kind'): {what}")
    if compose and kube:
        notes.problem(compose[0].file, compose[0].line(), "a Compose file among Kubernetes manifests: import them separately")
    if len(compose) > 1:
        notes.problem(compose[1].file, compose[1].line(), "one Compose file at a time: merge overrides first "
                                                          "('docker compose config' prints the merged file)")
    if not documents and files:
        notes.problem(files[0], None, "nothing to import: the input holds no document")
    notes.raise_problems()
    if compose:
        arch = read_compose(compose[0], notes)
        if not arch.workloads and not notes.problems:
            notes.problem(compose[0].file, compose[0].line(("services",)), "nothing to import: 'services' is empty")
        return arch
    arch = read_kubernetes(kube, notes)
    if not arch.workloads:
        skipped = [n for n in notes.notes if n.kind == "skipped"]
        for note in skipped:
            notes.problem(note.file, note.line, note.message)
        notes.problem(files[0] if len(files) == 1 else ", ".join(files[:3]), None,
                      "nothing to import: no Deployment, StatefulSet, ReplicaSet, DaemonSet or Pod")
    return arch


def _stem(paths: list[str], documents: list[Document]) -> str:
    """The folder's name (Compose's default project name; a folder of manifests), else the file's stem."""
    first = Path(str(paths[0])).resolve()
    if first.is_dir():
        return first.name
    if documents and is_compose(documents[0]):
        return first.parent.name
    return first.stem


def _header(system: str, notes: list[Note]) -> str:
    lines = [f"# {system}: imported by 'spofdrill import'. Check these before drilling on it:",
             "# the numbers marked 'default' are the model's, not measurements of your system.", "#"]
    titles = {"assumption": "Assumptions", "default": "Defaults", "skipped": "Skipped", "note": "Notes"}
    for kind, title in titles.items():
        chosen = sorted((note for note in notes if note.kind == kind), key=lambda n: (n.file, n.line or 0))
        if chosen:
            lines.append(f"# {title}:")
            lines.extend(f"#   {str(note).replace(f': {kind}: ', ': ', 1)}" for note in chosen)
    return "\n".join(lines) + "\n\n"


__all__ = ["Imported", "Note", "import_architecture"]
