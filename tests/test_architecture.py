"""The engine runs headless: nothing in ``engine`` pulls in the console (textual, rich, tui).

Checked twice: dynamically, by importing every module of the package in a fresh
interpreter and looking at ``sys.modules``; and statically, by reading every
import statement of ``engine/**/*.py`` with :mod:`ast` (which also catches
imports inside functions that the dynamic check never executes).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # this file sits in tests/
ENGINE = ROOT / "engine"
FORBIDDEN = ("textual", "rich", "tui")

_PROBE = r"""
import importlib, json, pkgutil, sys
import engine

imported, failed = [], []

def onerror(name):
    failed.append([name, repr(sys.exc_info()[1])])

for info in pkgutil.walk_packages(engine.__path__, "engine.", onerror=onerror):
    try:
        importlib.import_module(info.name)
        imported.append(info.name)
    except BaseException as exc:  # report every module that does not import, not just the first
        failed.append([info.name, repr(exc)])

forbidden = sorted(
    name for name in sys.modules if name.split(".")[0].startswith(%(forbidden)r)
)
print(json.dumps({"imported": imported, "failed": failed, "forbidden": forbidden}))
"""


def _forbidden(module: str | None) -> bool:
    return bool(module) and module.split(".")[0].startswith(FORBIDDEN)


def test_importing_every_engine_module_loads_no_console_package():
    code = _PROBE % {"forbidden": FORBIDDEN}
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, f"the import probe crashed:\n{proc.stderr}"
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert not report["failed"], f"engine modules that do not import: {report['failed']}"
    expected = {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__") for p in ENGINE.rglob("*.py")} - {"engine"}
    missing = expected - set(report["imported"])
    assert not missing, f"pkgutil did not walk {sorted(missing)}"
    assert not report["forbidden"], (
        f"importing the engine pulled in console modules {report['forbidden']}; "
        "the engine must run without textual, rich or the tui package"
    )


def _imports(tree: ast.AST):
    """(line, imported name) for every import statement and literal dynamic import in ``tree``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                yield node.lineno, node.module or ""
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                yield node.lineno, node.args[0].value


def test_no_engine_source_file_imports_a_console_package():
    files = sorted(ENGINE.rglob("*.py"))
    assert files, f"no python files under {ENGINE}"
    offenders = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, module in _imports(tree):
            if _forbidden(module):
                offenders.append(f"{path.relative_to(ROOT)}:{line}: imports {module}")
    assert not offenders, "the engine must not import textual, rich or tui:\n" + "\n".join(offenders)


def test_the_import_contracts_hold():
    """The engine's layers import downwards only, and the engine imports no console package.

    The contracts are declared in ``pyproject.toml`` (``[tool.importlinter]``) and
    checked by import-linter's own command, as CI would run it.
    """
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"import contracts broken:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}"
    assert "0 broken" in proc.stdout


def test_import_engine_gives_the_public_api():
    """``import engine`` names the public API (lazily), and every name in ``__all__`` resolves."""
    code = (
        "import engine, json, sys\n"
        "before = set(sys.modules)\n"
        "names = {n: type(getattr(engine, n)).__name__ for n in engine.__all__}\n"
        "print(json.dumps(names))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    names = json.loads(proc.stdout)
    for name in ("Simulation", "load_scenario", "simulate", "Snapshot", "build_command", "score_outcome", "analyze"):
        assert name in names
    assert names["Simulation"] == "type" and names["load_scenario"] == "function"


def test_no_import_cycle_in_the_engine():
    """No engine module reaches itself through imports, not even through imports made for type hints only.

    The layer contract already forbids upward imports at run time; this also covers modules within one
    layer and the ``if TYPE_CHECKING:`` imports the contract leaves out (grimp reads every import statement).
    """
    import grimp
    import networkx as nx

    graph = grimp.build_graph("engine", include_external_packages=False, exclude_type_checking_imports=False,
                              cache_dir=None)
    edges = nx.DiGraph((module, imported) for module in graph.modules
                       for imported in graph.find_modules_directly_imported_by(module))
    assert [sorted(group) for group in nx.strongly_connected_components(edges) if len(group) > 1] == []
