"""``spofdrill import PATH... [-o FILE] [--mapping FILE] [--name NAME] [--force]``: a Compose file or Kubernetes
manifests as a scenario's architecture (``docs/importing.md``).

The scenario goes to standard output, or to ``-o FILE`` (never over an existing file
without ``--force``); every note goes to standard error with its file and line, then a
one-line summary. Bad input exits 2 with every problem, one a line, and writes nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from engine.cli.common import EXIT_PASS, InputError, write_output
from engine.scenario.imports import import_architecture
from engine.scenario.problems import ScenarioError


def cmd_import(args: argparse.Namespace) -> int:
    if args.output and not args.force and os.path.lexists(args.output):
        raise InputError(f"import: {args.output} exists; pass --force to overwrite it")
    if args.output and _is_input(args.output, args.paths + ([args.mapping] if args.mapping else [])):
        raise InputError(f"import: {args.output} is one of the files to import; write the scenario elsewhere")
    try:
        imported = import_architecture(args.paths, mapping=args.mapping, name=args.name)
    except ScenarioError:
        raise
    except Exception as exc:  # noqa: BLE001 - untrusted input: a one-line report naming the input, never a traceback
        raise InputError(f"import: internal error while reading {', '.join(args.paths)}: {exc!r}") from None
    for note in sorted(imported.notes, key=lambda n: (n.file, n.line or 0)):
        print(note, file=sys.stderr)
    if args.output:
        write_output(args.output, imported.yaml_text)
    else:
        sys.stdout.write(imported.yaml_text)
    print(imported.summary + (f"; wrote {args.output}" if args.output else ""), file=sys.stderr)
    return EXIT_PASS


def _is_input(output: str, inputs: list[str]) -> bool:
    """Whether ``output`` is an input file, or a file directly in an input folder (even with ``--force``)."""
    target = Path(output).resolve()
    for given in inputs:
        path = Path(given).resolve()
        if target == path or (path.is_dir() and target.parent == path):
            return True
    return False


def add_import_parser(sub) -> None:
    p = sub.add_parser("import", help="turn a Docker Compose file or Kubernetes manifests into a scenario's architecture")
    p.add_argument("paths", nargs="+", metavar="PATH", help="a Compose file, or Kubernetes manifest files or folders")
    p.add_argument("-o", "--output", metavar="FILE", help="write the scenario to FILE (default: standard output)")
    p.add_argument("--mapping", metavar="FILE", help="a YAML file of kinds and node settings (docs/importing.md)")
    p.add_argument("--name", help="the system's name (default: the Compose project, else the folder or file name)")
    p.add_argument("--force", action="store_true", help="overwrite the output file if it exists")
    p.set_defaults(func=cmd_import)
