"""The fan-outs on a Dask cluster give exactly the local results, and every cluster problem is one line.

One ``distributed.LocalCluster`` for the module: loopback only, no dashboard,
two worker processes of one thread, over ``tls://`` with temporary certificates
(so it admits no client without them). It is started with
``distributed.scheduler.allowed-failures`` 0 so the test that kills a worker
sees the computation lost at once instead of after three restarts.
"""

from __future__ import annotations

import json
import math
import os
import socket
import sys
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")
pytest.importorskip("cryptography")  # Security.temporary() makes its certificates with it

import dask  # noqa: E402
from distributed.security import Security  # noqa: E402

import engine.util.cluster as cluster_module  # noqa: E402
from engine.analysis.check import check  # noqa: E402
from engine.analysis.structure import analyze  # noqa: E402
from engine.analysis.whatif import what_if  # noqa: E402
from engine.cli.cluster import cluster_address  # noqa: E402
from engine.cli.main import build_parser, main  # noqa: E402
from engine.records.assess import assess  # noqa: E402
from engine.scenario.loader import load_scenario  # noqa: E402
from engine.util.cluster import ClusterError, use_cluster  # noqa: E402
from engine.util.parallel import run_all  # noqa: E402

SCRIPT = """\
name: bob
steps:
  - {at: 45, command: failover, target: web-vip}
  - {at: 90, command: restart, target: lb-1}
"""


class RunningCluster:
    """The module's cluster: its address and the certificates a client needs."""

    def __init__(self, address: str, security: Security, config: dict[str, str]) -> None:
        self.address = address
        self.security = security
        self.config = config
        """Dask configuration that points a plain client (the CLI's) at the certificate files."""


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory) -> RunningCluster:
    security = Security.temporary()
    folder = tmp_path_factory.mktemp("certs")
    files = {}
    for name, pem in (("ca.pem", security.tls_ca_file), ("client.pem", security.tls_client_cert),
                      ("client.key", security.tls_client_key)):
        (folder / name).write_text(pem)
        files[name] = str(folder / name)
    config = {"distributed.comm.tls.ca-file": files["ca.pem"], "distributed.comm.tls.client.cert": files["client.pem"],
              "distributed.comm.tls.client.key": files["client.key"], "distributed.comm.require-encryption": True}
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                           dashboard_address=None, protocol="tls://", security=security)
    try:
        assert cluster.scheduler_address.startswith("tls://127.0.0.1:")
        yield RunningCluster(cluster.scheduler_address, security, config)
    finally:
        cluster.close()


def _cli(capsys, argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_what_if_of_every_component_and_a_few_checked_seeds_match_the_local_run(dask_cluster) -> None:
    scenario = load_scenario("db-primary-async")
    components = list(analyze(scenario).components)
    local = [w.to_dict() for w in what_if(scenario, components, horizon=120, workers=1)]
    quick = load_scenario("lb-failover")
    local_check = check(quick, range(5), measure_difficulty=False, workers=1).to_dict()
    calls: list[tuple[int, int]] = []
    with use_cluster(dask_cluster.address, security=dask_cluster.security) as cluster:
        remote = [w.to_dict() for w in what_if(scenario, components, horizon=120,
                                                progress=lambda done, total: calls.append((done, total)))]
        remote_check = check(quick, range(5), measure_difficulty=False).to_dict()
        assert cluster._client is not None  # it really ran there
    assert remote == local
    assert [row["component"] for row in remote] == components
    assert remote_check == local_check
    assert calls[-1] == (len(components), len(components))
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_assess_of_three_scripts_matches_the_local_run(dask_cluster, tmp_path) -> None:
    scenario = load_scenario("lb-failover")
    (tmp_path / "alice.yaml").write_text(SCRIPT)
    (tmp_path / "twin.yaml").write_text(SCRIPT)  # identical jobs: Dask must not merge them into one task
    (tmp_path / "noop.yaml").write_text("steps: []\n")
    files = [str(tmp_path / name) for name in ("alice.yaml", "noop.yaml", "twin.yaml")]
    local = assess(scenario, files, jobs=1).to_dict()
    with use_cluster(dask_cluster.address, security=dask_cluster.security):
        remote = assess(scenario, files).to_dict()
    assert remote == local
    assert [row["file"] for row in remote["rows"]] == files


def test_a_job_that_raises_on_a_worker_raises_the_same_here(dask_cluster) -> None:
    with pytest.raises(ValueError) as here:
        run_all(math.sqrt, [4.0, -1.0, 9.0], workers=1)
    with use_cluster(dask_cluster.address, security=dask_cluster.security):
        with pytest.raises(ValueError) as there:
            run_all(math.sqrt, [4.0, -1.0, 9.0])
        assert run_all(math.sqrt, [4.0, 9.0, 16.0]) == [2.0, 3.0, 4.0]  # the client is still usable
    assert str(there.value) == str(here.value)


def test_the_cli_flag_and_the_environment_variable_give_the_local_json(dask_cluster, tmp_path, capsys, monkeypatch) -> None:
    analyze_args = ["analyze", "db-primary-async", "--horizon", "60", "--chaos-days", "5"]  # what-if, pairs, chaos
    check_args = ["check", "lb-failover", "--seeds", "5", "--quick"]
    monkeypatch.delenv("SPOFDRILL_CLUSTER", raising=False)
    local = [_cli(capsys, [*analyze_args, "--json", str(tmp_path / "a-local.json")]),
             _cli(capsys, [*check_args, "--json", str(tmp_path / "c-local.json")])]
    with dask.config.set(dask_cluster.config):  # the TLS certificates, as a user's Dask config would give them
        flag = _cli(capsys, [*analyze_args, "--json", str(tmp_path / "a-flag.json"), "--cluster", dask_cluster.address])
        monkeypatch.setenv("SPOFDRILL_CLUSTER", dask_cluster.address)
        env = _cli(capsys, [*check_args, "--json", str(tmp_path / "c-env.json")])
    assert (flag[0], flag[2]) == (local[0][0], "") and (env[0], env[2]) == (local[1][0], "")
    assert flag[1].replace("a-flag", "a-local") == local[0][1]
    assert env[1].replace("c-env", "c-local") == local[1][1]
    for ours, theirs in (("a-flag", "a-local"), ("c-env", "c-local")):
        assert json.loads((tmp_path / f"{ours}.json").read_text()) == json.loads((tmp_path / f"{theirs}.json").read_text())
    document = json.loads((tmp_path / "a-flag.json").read_text())
    assert document["what_if_pairs"] and document["chaos_availability"] is not None


def test_the_flag_wins_over_the_variable_and_only_commands_with_the_flag_read_it(monkeypatch) -> None:
    parser = build_parser()
    monkeypatch.setenv("SPOFDRILL_CLUSTER", " tcp://from-env:8786 ")
    assert cluster_address(parser.parse_args(["check", "lb-failover"])) == "tcp://from-env:8786"
    assert cluster_address(parser.parse_args(["check", "lb-failover", "--cluster", "tls://flag:8786"])) == "tls://flag:8786"
    assert cluster_address(parser.parse_args(["assess", "x.yaml", "--scenario", "s", "--cluster", ""])) is None  # here
    assert cluster_address(parser.parse_args(["run", "lb-failover"])) is None
    monkeypatch.setenv("SPOFDRILL_CLUSTER", "")
    assert cluster_address(parser.parse_args(["analyze", "lb-failover"])) is None


@pytest.mark.parametrize("address, words", [
    ("tcp://127.0.0.1:1", ["Dask scheduler at tcp://127.0.0.1:1"]),
    ("scheduler", ["'scheduler' is not a Dask scheduler address", "tcp://scheduler:8786"]),
    ("http://scheduler:8786", ["is not a Dask scheduler address", "unknown address scheme"]),
])
def test_a_bad_or_unreachable_address_is_one_line_and_exit_2(address, words, capsys, monkeypatch) -> None:
    monkeypatch.setattr(cluster_module, "CONNECT_TIMEOUT", 1.0)  # the real 5 s is the same code path, only slower
    code, out, err = _cli(capsys, ["check", "lb-failover", "--seeds", "5", "--quick", "--cluster", address])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("spofdrill: ")
    for word in words:
        assert word in err


def test_a_listener_that_never_answers_is_given_up_on(capsys, monkeypatch) -> None:
    monkeypatch.setattr(cluster_module, "CONNECT_TIMEOUT", 0.5)
    with socket.create_server(("127.0.0.1", 0)) as server:  # the kernel accepts; nobody ever answers
        address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
        code, out, err = _cli(capsys, ["check", "lb-failover", "--seeds", "5", "--quick", "--cluster", address])
    assert (code, out) == (2, "")
    assert err == f"spofdrill: no answer from the Dask scheduler at {address} within 0.5 s " \
                  "(is the address right, and does it speak tcp:// or tls:// as given?)\n"


def test_a_tls_scheduler_turns_away_a_client_without_certificates(dask_cluster, capsys) -> None:
    plain = dask_cluster.address.replace("tls://", "tcp://")
    for address, words in ((dask_cluster.address, ["is a TLS address but no TLS certificates are configured",
                                                   "distributed.comm.tls.ca-file"]),
                           (plain, [f"cannot connect to the Dask scheduler at {plain}"])):
        code, out, err = _cli(capsys, ["check", "lb-failover", "--seeds", "5", "--quick", "--cluster", address])
        assert code == 2 and out == ""
        assert err.count("\n") == 1
        for word in words:
            assert word in err


def test_without_distributed_the_flag_says_what_to_install(capsys, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` now fails as if not installed
    code, out, err = _cli(capsys, ["analyze", "lb-failover", "--cluster", "tcp://127.0.0.1:8786"])
    assert code == 2 and out == ""
    assert err.strip() == ("spofdrill: running on a Dask cluster needs Dask's distributed package: "
                           "install spofdrill[cluster] (pip install 'spofdrill[cluster]')")


def test_workers_without_spofdrill_are_told_to_install_it(dask_cluster, tmp_path, monkeypatch) -> None:
    # a probe from a module only this process can import stands for workers that lack spofdrill
    (tmp_path / "only_here.py").write_text("def version():\n    return '0.1.0'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import only_here

    monkeypatch.setattr(cluster_module, "_worker_version", only_here.version)
    with use_cluster(dask_cluster.address, security=dask_cluster.security):
        with pytest.raises(ClusterError, match="cannot import spofdrill: the workers need spofdrill installed "
                                               r"in the same version as here \(0.1.0\)"):
            run_all(math.sqrt, [1.0, 4.0, 9.0])


def test_workers_of_another_version_are_refused_before_any_job_runs(dask_cluster, monkeypatch) -> None:
    monkeypatch.setattr(cluster_module, "__version__", "9.9.9")  # this side moved on; the workers still say 0.1.0
    with use_cluster(dask_cluster.address, security=dask_cluster.security):
        with pytest.raises(ClusterError, match=r"run spofdrill 0\.1\.0: the workers need spofdrill installed "
                                               r"in the same version as here \(9\.9\.9\)"):
            run_all(math.sqrt, [1.0, 4.0, 9.0])


def test_a_worker_killed_mid_run_loses_the_computation_in_one_line(dask_cluster) -> None:
    # last in the module: the nanny restarts the killed worker in the background
    with use_cluster(dask_cluster.address, security=dask_cluster.security):
        with pytest.raises(ClusterError, match=r"the computation on tls://127.0.0.1:\d+ is lost: workers died"):
            run_all(os._exit, [3, 3, 3])
