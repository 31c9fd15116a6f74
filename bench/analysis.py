"""Dependency-analysis speed report: built-in scenarios, generated topologies and the what-if simulation.

Run from the repository root::

    .venv/bin/python bench/analysis.py           # median of 3 runs per figure
    .venv/bin/python bench/analysis.py --repeat 5

Targets (on the reference 2-core machine):

* ``analyze()`` of the generated 1,000-node topology (``bench/topology.py``) in at most 1 s;
* the what-if simulation of every component of a ~30-node, two-region topology over a 600 s
  horizon (``engine.analysis.whatif.what_if``, both cores) in at most 2 s.

It also reports (no target) the chaos run that measures availability
(``engine.analysis.chaosrun``, five simulated years, both cores) on the seed system, a
two-region built-in and the ~30-node topology: wall time, outages, simulated hours.

It prints one table and one ``met`` / ``NOT met (measured ...)`` line per target, and
always exits 0: it is a report, not a test. Timings are wall-clock (``time.perf_counter``).
"""

from __future__ import annotations

import argparse
import gc
import os
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
from engine.scenario.loader import builtin_scenarios, load_scenario  # noqa: E402
from engine.scenario.schema import Scenario  # noqa: E402
from engine.analysis.whatif import what_if  # noqa: E402

ANALYSIS_TARGET = 1.0  # seconds, analyze() of the 1,000-node topology
WHATIF_TARGET = 2.0  # seconds, what-if of every component of the ~30-node topology
HORIZON = 600.0


def small_topology() -> Scenario:
    """Two regions x (2 load balancers in a VIP, 7 app servers, a cache, 2 databases, a service), DNS, CDN, users: 29 nodes."""
    regions = ["eu-west", "us-east"]
    nodes: dict[str, dict] = {
        "users": {"kind": "client", "rates": {"read": 400.0, "write": 40.0, "static": 150.0}},
        "dns": {"kind": "dns", "ttl": 60.0},
        "cdn": {"kind": "cdn", "hit_ratio": 0.95},
    }
    edges = ["users -> dns, cdn", "cdn -> dns"]
    entry = []
    for region in regions:
        short = region.split("-")[0]
        lbs = [f"lb-{short}-1", f"lb-{short}-2"]
        apps = [f"app-{short}-{i}" for i in range(1, 8)]
        service = f"pricing-{short}"
        cache, dbs = f"cache-{short}", [f"db-{short}-1", f"db-{short}-2"]
        for i, lb in enumerate(lbs):
            nodes[lb] = {"kind": "load_balancer", "region": region, "vip": f"vip-{short}",
                         "role": "primary" if i == 0 else "standby"}
        for app in apps:
            nodes[app] = {"kind": "app_server", "region": region, "group": f"web-{short}", "capacity": 200.0}
        nodes[cache] = {"kind": "cache", "region": region, "hit_ratio": 0.9}
        nodes[service] = {"kind": "service", "region": region, "capacity": 2000.0}
        nodes[dbs[0]] = {"kind": "database", "region": region, "cluster": f"orders-{short}", "role": "primary"}
        nodes[dbs[1]] = {"kind": "database", "region": region, "cluster": f"orders-{short}", "role": "replica",
                         "lag": 0.2, "failover_candidate": True}
        edges.append(f"{', '.join(lbs)} -> {', '.join(apps)}")
        edges.append(f"{', '.join(apps)} -> {cache}, {dbs[0]}")
        edges.append(f"{', '.join(apps)} -> {service} (soft, share=0.3)")
        entry.append(lbs[0])
    edges.append(f"dns -> {', '.join(entry)}")
    data = {
        "id": "bench-30",
        "title": f"Two-region {len(nodes)}-node shop (bench/analysis.py)",
        "duration": HORIZON,
        "topology": {"regions": regions, "nodes": nodes, "edges": edges},
        "automation": {"vrrp": {"enabled": True}, "dns_failover": {"enabled": True}, "db_failover": {"enabled": True}},
    }
    return Scenario.model_validate(data)


def median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def verdict(measured: float, target: float) -> str:
    return "met" if measured <= target else f"NOT met (measured {measured:.3f} s)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median), default 3")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    repeat = max(1, args.repeat)

    print(f"analysis benchmark: median of {repeat} run(s), {os.cpu_count()} CPU(s)")
    print(f"{'case':<40} {'components':>10} {'wall s':>9} {'exact':>6}")
    rows: dict[str, float] = {}
    cases = [(name, lambda name=name: load_scenario(name)) for name in builtin_scenarios()]
    cases += [(f"generated {n} nodes", lambda n=n: generate(n, args.seed)) for n in (60, 200, 1000)]
    for label, make in cases:
        scenario = make()
        result = analyze(scenario)
        exact = result.availability.exact and all(k.availability.exact for k in result.kinds)
        wall = median_time(lambda: analyze(scenario), repeat)
        rows[label] = wall
        print(f"{label:<40} {len(result.components):>10} {wall:>9.4f} {'yes' if exact else 'NO':>6}")

    small = small_topology()
    components = list(analyze(small).components)
    wall_whatif = median_time(lambda: what_if(small, components, horizon=HORIZON), repeat)
    print(f"{'what-if ' + str(len(small.topology.nodes)) + '-node topology':<40} {len(components):>10} "
          f"{wall_whatif:>9.4f} {'':>6}  ({len(components)} simulations of {HORIZON:.0f} s, "
          f"{min(2, os.cpu_count() or 1)} workers)")
    print()
    print(f"{'chaos run (1,825 simulated days)':<40} {'outages':>10} {'wall s':>9} {'sim h':>6}  measured / diagram")
    from engine.analysis.chaosrun import chaos_availability

    for label, scenario in (("spof-baseline", load_scenario("spof-baseline")),
                            ("region-outage", load_scenario("region-outage")),
                            (f"{len(small.topology.nodes)}-node topology", small)):
        result = chaos_availability(scenario, days=1825.0, seed=args.seed)
        wall = median_time(lambda: chaos_availability(scenario, days=1825.0, seed=args.seed), repeat)
        print(f"{label:<40} {result.outages:>10} {wall:>9.2f} {result.simulated_hours:>6.0f}  "
              f"{100 * result.availability:.4f} % / {100 * result.diagram_availability:.4f} %")
    print()
    big = rows["generated 1000 nodes"]
    print(f"target: analyze() of the 1,000-node topology <= {ANALYSIS_TARGET:.0f} s: {verdict(big, ANALYSIS_TARGET)}")
    print(f"target: what-if of every component of the {len(small.topology.nodes)}-node topology <= "
          f"{WHATIF_TARGET:.0f} s: {verdict(wall_whatif, WHATIF_TARGET)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
