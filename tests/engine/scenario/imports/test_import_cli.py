"""``spofdrill import`` on the command line: output, refusing to overwrite, and hostile input (one line per problem,
naming the file, exit 2, never a traceback, within seconds)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.util.limits import MAX_YAML_VALUES

ROOT = Path(__file__).resolve().parents[4]
FIXTURES = ROOT / "tests" / "fixtures" / "imports"
COMPOSE = FIXTURES / "compose-webapp" / "docker-compose.yml"


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["import", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_stdout_without_o_and_the_notes_and_summary_on_stderr(capsys):
    code, out, err = _run(capsys, str(COMPOSE))
    assert code == 0
    assert out.startswith("# webapp: imported by 'spofdrill import'") and "\ntopology:\n" in out
    lines = err.strip().splitlines()
    assert lines[-1] == "imported 9 components from 1 file: 10 assumptions, 14 defaults, 1 skipped, 0 notes"
    assert all(line.startswith(f"{COMPOSE}") for line in lines[:-1])


def test_the_written_file_validates_and_is_not_overwritten_without_force(capsys, tmp_path):
    target = tmp_path / "shop.yaml"
    assert _run(capsys, str(FIXTURES / "k8s-shop"), "-o", str(target))[0] == 0
    assert main(["validate", str(target)]) == 0
    assert capsys.readouterr().out.strip() == f"{target}: ok"
    target.write_text("mine")
    code, out, err = _run(capsys, str(COMPOSE), "-o", str(target))
    assert (code, out, target.read_text()) == (2, "", "mine")
    assert err == f"spofdrill: import: {target} exists; pass --force to overwrite it\n"
    assert _run(capsys, str(COMPOSE), "-o", str(target), "--force")[0] == 0
    assert target.read_text().startswith("# webapp")


def test_force_never_overwrites_an_input(capsys, tmp_path):
    compose = tmp_path / "docker-compose.yml"
    compose.write_text(COMPOSE.read_text())
    for target in (compose, tmp_path / "new.yaml"):  # the file itself; a file inside an input folder
        code, _, err = _run(capsys, str(compose if target == compose else tmp_path), "-o", str(target), "--force")
        assert code == 2 and "is one of the files to import" in err
    assert compose.read_text() == COMPOSE.read_text() and not (tmp_path / "new.yaml").exists()


def _hostile(tmp: Path) -> dict[str, tuple[list[str], list[str]]]:
    """name -> (arguments, words each expected line holds, one line per problem)."""
    (tmp / "empty").mkdir()
    (tmp / "binary.yaml").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4)
    alias = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9))
    (tmp / "bomb.yaml").write_text(alias)
    with open(tmp / "huge.yaml", "wb") as handle:
        handle.write(b"services:\n  web:\n    image: " + b"x" * (20 * 1024 * 1024) + b"\n")
    (tmp / "types.yml").write_text("services:\n  web:\n    image: [nginx]\n    deploy: {replicas: abc}\n"
                                   "    depends_on: 7\n  db:\n    scale: -1\n  cache: 3\n")
    (tmp / "unknown.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n---\n"
                                      "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly}\n")
    (tmp / "scalar.yaml").write_text("--- just text\n---\n- a\n- list\n")
    (tmp / "dupes.yml").write_text("services:\n  web: {image: a}\n  web: {image: b}\n")
    deep = "services: " + "[" * 5000 + "]" * 5000 + "\n"
    (tmp / "deep.yml").write_text(deep)
    many = "services:\n" + "".join(f"  s{i}: {{image: app}}\n" for i in range(10_000))
    (tmp / "many.yml").write_text(many)
    per_document = MAX_YAML_VALUES * 3 // 5  # the second of three documents crosses the limit
    items = "".join("- 1\n" for _ in range(per_document))
    (tmp / "documents.yaml").write_text("".join(f"---\napiVersion: v1\nkind: Pod\nitems:\n{items}" for _ in range(3)))
    (tmp / "no-services.yml").write_text("name: x\nservices:\n")
    os.mkfifo(tmp / "pipe.yaml")
    (tmp / "k8s-types.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
                                        "  replicas: many\n  template:\n    spec:\n      containers: {image: x}\n")
    return {
        "a pipe": (["pipe.yaml"], [["pipe.yaml", "is a pipe or a socket"]]),
        "wrong Kubernetes types": (["k8s-types.yaml"], [["k8s-types.yaml:5", "'spec.replicas' must be a whole number, got 'many'"],
                                                        ["k8s-types.yaml:8", "'spec.template.spec.containers' must be a list"]]),
        "no services": (["no-services.yml"], [["no-services.yml:2", "nothing to import"]]),
        "many values over documents": (["documents.yaml"], [[f"documents.yaml:{per_document + 5}",
                                                                  f"over the limit of {MAX_YAML_VALUES:,} YAML values"]]),
        "missing": (["nope.yaml"], [["nope.yaml", "file not found"]]),
        "empty folder": (["empty"], [["empty", "no .yaml, .yml, .json files"]]),
        "binary": (["binary.yaml"], [["binary.yaml:2", "not UTF-8"]]),
        "alias bomb": (["bomb.yaml"], [["bomb.yaml", f"over the limit of {MAX_YAML_VALUES:,} values"]]),
        "20 MB": (["huge.yaml"], [["huge.yaml", "20.0 MiB, over the limit of 1.0 MiB"]]),
        "wrong types": (["types.yml"], [["types.yml:3", "'image' must be text"],
                                         ["types.yml:4", "'replicas' must be a whole number, got 'abc'"],
                                         ["types.yml:5", "'depends_on' must be a list or a mapping"],
                                         ["types.yml:7", "'scale' must be at least 0, got -1"],
                                         ["types.yml:8", "service 'cache' must be a mapping"]]),
        "unknown kinds only": (["unknown.yaml"], [["unknown.yaml", "nothing to import"],
                                                  ["unknown.yaml:1", "ConfigMap cfg"],
                                                  ["unknown.yaml:5", "CronJob nightly"]]),
        "not mappings": (["scalar.yaml"], [["scalar.yaml:1", "neither a Compose file"],
                                           ["scalar.yaml:3", "neither a Compose file"]]),
        "duplicate keys": (["dupes.yml"], [["dupes.yml:3", "duplicate key 'web' (first at line 2)"]]),
        "deep nesting": (["deep.yml"], [["deep.yml", "nested too deeply"]]),
        "10,000 services": (["many.yml"], [["many.yml", "10,001 components", "over the limit of 1,500"]]),
    }


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    return folder, _hostile(folder)


@pytest.mark.parametrize("case", ["a pipe", "wrong Kubernetes types", "no services", "many values over documents", "missing", "empty folder", "binary", "alias bomb", "20 MB", "wrong types",
                                  "unknown kinds only", "not mappings", "duplicate keys", "deep nesting", "10,000 services"])
def test_hostile_input_gets_one_line_per_problem_and_exit_2(case, hostile, capsys, monkeypatch):
    folder, cases = hostile
    monkeypatch.chdir(folder)
    args, expected = cases[case]
    code, out, err = _run(capsys, *args)
    assert (code, out) == (2, "")
    lines = err.strip().splitlines()
    assert "Traceback" not in err
    assert len(lines) == len(expected), err
    for line, words in zip(lines, expected):
        assert line.startswith(words[0]), line
        for word in words[1:]:
            assert word in line, line


def test_hostile_files_in_a_fresh_process_end_within_seconds(hostile):
    folder, _ = hostile
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", "import sys; from engine.cli.main import main; sys.exit(main(sys.argv[1:]))",
                           "import", "bomb.yaml", "huge.yaml", "deep.yml", "binary.yaml"],
                          cwd=folder, capture_output=True, text=True, timeout=20, env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert time.monotonic() - started < 10
    assert proc.returncode == 2 and proc.stdout == "" and "Traceback" not in proc.stderr
    named = [line.split(":")[0] for line in proc.stderr.strip().splitlines()]
    assert named == ["binary.yaml", "bomb.yaml", "deep.yml", "huge.yaml"]  # one line each, in file order
