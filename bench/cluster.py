"""What-if on a Dask cluster against the local process pool and one process: wall time, speed-up, same output.

Run from the repository root (needs ``spofdrill[cluster]``)::

    .venv/bin/python bench/cluster.py                      # generated 200-component topology, median of 3
    .venv/bin/python bench/cluster.py --repeat 5 --horizon 600
    .venv/bin/python bench/cluster.py --scenario my-architecture.yaml
    .venv/bin/python bench/cluster.py --cluster tcp://scheduler:8786   # a real cluster instead of a local one

The job is ``engine.analysis.whatif.what_if`` of every component of the
architecture (one simulation per component). It is timed three ways:

* **one process**: each component in turn in this process (``workers=1``);
  this also gives the per-job median;
* **local pool**: ``run_all``'s default, a process pool of up to 2 workers;
* **cluster**: inside ``use_cluster``, on a ``distributed.LocalCluster`` of 2
  worker processes of one thread on loopback (started once, untimed, with one
  untimed warm-up run so the workers have imported the engine, as a standing
  cluster would have), or on ``--cluster ADDRESS``. Connecting is timed: a
  command pays it once.

The three take turns within each repeat, so a change in the machine's load
weighs on all of them alike.

It prints the figures, the speed-up ratios and whether the three outputs are
identical, and always exits 0: it is a report, not a test. Timings are
wall-clock (``time.perf_counter``) on whatever else the machine is doing; the
load average is printed beside them.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
for folder in (ROOT, BENCH):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from topology import generate  # noqa: E402

from engine.analysis.structure import analyze  # noqa: E402
from engine.analysis.whatif import what_if  # noqa: E402
from engine.scenario.loader import load_scenario  # noqa: E402
from engine.scenario.schema import Scenario  # noqa: E402
from engine.util.cluster import use_cluster  # noqa: E402


def interleaved(modes: dict[str, Callable[[], list[dict]]], repeat: int) -> dict[str, tuple[float, list[dict]]]:
    """Per mode, the median wall seconds of ``repeat`` calls and the output of the last.

    The modes take turns within each repeat, so a change in the machine's load
    (other work starting or ending) weighs on all of them alike.
    """
    times: dict[str, list[float]] = {name: [] for name in modes}
    outputs: dict[str, list[dict]] = {}
    for _ in range(repeat):
        for name, fn in modes.items():
            gc.collect()
            start = time.perf_counter()
            outputs[name] = fn()
            times[name].append(time.perf_counter() - start)
    return {name: (statistics.median(times[name]), outputs[name]) for name in modes}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", metavar="FILE", help="an architecture to use instead of the generated one")
    parser.add_argument("--nodes", type=int, default=200, help="size of the generated topology (default 200)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the topology and of the runs (default 0)")
    parser.add_argument("--horizon", type=float, default=120.0,
                        help="simulated seconds of each what-if run (default 120; `analyze` uses 600)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median), default 3")
    parser.add_argument("--cluster", metavar="ADDRESS", help="use this Dask scheduler instead of a local cluster")
    args = parser.parse_args(argv)

    scenario: Scenario = load_scenario(args.scenario) if args.scenario else generate(args.nodes, args.seed)
    components = list(analyze(scenario).components)
    label = args.scenario or f"generated {args.nodes} nodes (seed {args.seed})"
    print(f"what-if of {label}: {len(components)} jobs, horizon {args.horizon:g} s, median of {args.repeat}")
    print(f"{os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, Python {platform.python_version()}; "
          f"load average before {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    per_job: list[float] = []

    def one_process() -> list[dict]:
        out = []
        for name in components:
            start = time.perf_counter()
            out.extend(w.to_dict() for w in what_if(scenario, [name], horizon=args.horizon, seed=args.seed, workers=1))
            per_job.append(time.perf_counter() - start)
        return out

    def pool() -> list[dict]:
        return [w.to_dict() for w in what_if(scenario, components, horizon=args.horizon, seed=args.seed)]

    local_cluster = None
    address = args.cluster
    if address is None:
        import distributed

        local_cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                                 host="127.0.0.1", dashboard_address=None)
        address = local_cluster.scheduler_address
    try:
        def on_cluster() -> list[dict]:
            with use_cluster(address):
                return pool()

        with use_cluster(address):  # warm-up: the workers import the engine once
            what_if(scenario, components[:4], horizon=min(args.horizon, 60.0), seed=args.seed)
        figures = interleaved({"cluster": on_cluster, "pool": pool, "one": one_process}, args.repeat)
    finally:
        if local_cluster is not None:
            local_cluster.close()
    (cluster_wall, cluster_out), (pool_wall, pool_out), (one_wall, one_out) = (
        figures["cluster"], figures["pool"], figures["one"])
    load_after = " ".join(f"{x:.2f}" for x in os.getloadavg())

    where = args.cluster or "LocalCluster, 2 workers x 1 thread, loopback"
    print()
    print(f"  {'mode':<56}{'wall s':>9}{'speed-up':>10}")
    print(f"  {'one process':<56}{one_wall:>9.2f}{1.0:>9.2f}x")
    print(f"  {'local process pool (run_all default)':<56}{pool_wall:>9.2f}{one_wall / pool_wall:>9.2f}x")
    print(f"  {'cluster (' + where + ')':<56}{cluster_wall:>9.2f}{one_wall / cluster_wall:>9.2f}x")
    print()
    print(f"  jobs {len(components)}; per-job median {statistics.median(per_job):.3f} s "
          f"(one process, every repeat); cluster / local pool {cluster_wall / pool_wall:.2f}")
    same = one_out == pool_out == cluster_out
    print(f"  outputs identical (one process, pool, cluster): {'yes' if same else 'NO'}")
    print(f"  load average after {load_after}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
