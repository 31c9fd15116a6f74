"""A big, realistic architecture for benchmarking the engine.

:func:`generate` builds a :class:`~engine.scenario.schema.Scenario` of about
``n_nodes`` components (exactly ``n_nodes`` when it is large enough):

* 3 or 4 regions behind one global DNS traffic manager and one CDN;
* per region several VIP groups, each two load balancers (a primary and a
  ``role: standby`` sharing the ``vip``), each fronting a pool of app servers;
* app servers are most of the nodes, in pools built from one template each
  (autoscaling groups); every pool reads through one cache,
  writes to one database cluster (a primary and 1-2 async replicas, one of
  them sometimes in the next region as a DR copy) and calls 1-2 services over
  soft edges (``"... -> svc (soft, share=...)"``);
* several client populations (constant, diurnal and spiky) sending a few
  thousand requests per second in total;
* a handful of faults so the run is not idle: two app-server crashes (brought
  back by auto-restart), a service slowdown, a replica lag spike and the crash
  of a primary load balancer (VRRP moves its VIP to the standby).

Everything is drawn from ``random.Random(seed)``: the same arguments always
give the same scenario.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

if __package__ in (None, ""):  # run or imported from inside bench/
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.scenario.schema import Scenario

REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-1", "us-west-2")
SHORT = {"us-east-1": "use1", "eu-west-1": "euw1", "ap-southeast-1": "apse1", "us-west-2": "usw2"}
SERVICES = ("search", "recommendations", "reviews", "inventory", "pricing", "payments", "profile")
POPULATIONS = ("web-na", "web-eu", "web-apac", "mobile-app", "partner-api", "internal-tools")

DURATION = 600.0
MIN_NODES = 60


def _chunks(items: list[str], sizes: list[int]) -> list[list[str]]:
    out, i = [], 0
    for size in sizes:
        out.append(items[i : i + size])
        i += size
    return out


def _split(total: int, parts: int, rng: random.Random, spread: float = 0.3) -> list[int]:
    """``total`` split into ``parts`` positive integers of unequal sizes (sum exact)."""
    weights = [1.0 + rng.uniform(-spread, spread) for _ in range(parts)]
    s = sum(weights)
    sizes = [max(1, int(total * w / s)) for w in weights]
    i = 0
    while sum(sizes) < total:
        sizes[i % parts] += 1
        i += 1
    while sum(sizes) > total:
        j = max(range(parts), key=lambda k: sizes[k])
        sizes[j] -= 1
    return sizes


def generate(n_nodes: int = 1000, seed: int = 0) -> Scenario:
    """A realistic multi-region architecture of ``n_nodes`` components as a scenario."""
    if n_nodes < MIN_NODES:
        raise ValueError(f"n_nodes must be at least {MIN_NODES}")
    rng = random.Random(seed)
    n_regions = rng.choice((3, 4))
    regions = list(REGIONS[:n_regions])
    scale = n_nodes / 1000.0

    nodes: dict[str, dict] = {}
    edges: list[str] = []

    # ---------------------------------------------------------------- sizing
    n_clients = rng.randint(4, 6)
    fixed = 2 + n_clients  # dns + cdn + client populations
    plan = {}
    for region in regions:
        vips = max(1, round(rng.uniform(4.0, 6.0) * scale * 4 / n_regions))
        caches = max(1, round(rng.uniform(6.0, 10.0) * scale * 4 / n_regions))
        clusters = max(1, round(rng.uniform(3.0, 5.0) * scale * 4 / n_regions))
        replicas = [rng.choice((1, 2)) for _ in range(clusters)]
        services = rng.randint(3, 5)
        plan[region] = (vips, caches, replicas, services)
        fixed += 2 * vips + caches + sum(1 + r for r in replicas) + services
    total_pools = sum(p[0] for p in plan.values())
    n_apps = n_nodes - fixed
    if n_apps < 2 * total_pools:
        raise ValueError(f"n_nodes={n_nodes} is too small for the generated infrastructure ({fixed} nodes)")
    apps_per_pool = _split(n_apps, total_pools, rng)

    # ---------------------------------------------------------------- global entry
    nodes["dns"] = {"kind": "dns", "region": regions[0], "ttl": 60.0, "label": "global traffic manager"}
    nodes["cdn"] = {"kind": "cdn", "region": regions[0], "hit_ratio": round(rng.uniform(0.9, 0.97), 3)}

    all_apps: list[str] = []
    primary_lbs: list[str] = []
    replicas_all: list[str] = []
    services_all: list[str] = []
    pool_index = 0
    for r_index, region in enumerate(regions):
        short = SHORT[region]
        n_vips, n_caches, replicas, n_services = plan[region]

        caches = []
        for c in range(n_caches):
            name = f"{short}-cache-{c + 1:02d}"
            nodes[name] = {
                "kind": "cache", "region": region, "group": f"{short}-cache",
                "hit_ratio": round(rng.uniform(0.85, 0.95), 3), "capacity": 50000.0,
            }
            caches.append(name)

        primaries = []
        for c, n_rep in enumerate(replicas):
            cluster = f"{short}-orders-{c + 1}"
            primary = f"{cluster}-db-1"
            nodes[primary] = {"kind": "database", "region": region, "cluster": cluster, "role": "primary",
                              "capacity": rng.choice((3000.0, 4000.0, 5000.0))}
            primaries.append(primary)
            for k in range(n_rep):
                name = f"{cluster}-db-{k + 2}"
                # the second replica is a DR copy in the next region
                where = regions[(r_index + 1) % n_regions] if k == 1 else region
                nodes[name] = {
                    "kind": "database", "region": where, "cluster": cluster, "role": "replica",
                    "lag": round(rng.uniform(0.1, 0.5) if k == 0 else rng.uniform(1.0, 3.0), 2),
                }
                replicas_all.append(name)

        services = []
        for s in rng.sample(SERVICES, n_services):
            name = f"{short}-svc-{s}"
            nodes[name] = {"kind": "service", "region": region, "group": f"svc-{s}", "feature": f"{short}-{s}",
                           "capacity": 3000.0, "latency": round(rng.uniform(0.01, 0.05), 3)}
            services.append(name)
        services_all.extend(services)

        for v in range(n_vips):
            vip = f"{short}-vip-{v + 1}"
            lb_a, lb_b = f"{short}-lb-{v + 1}a", f"{short}-lb-{v + 1}b"
            nodes[lb_a] = {"kind": "load_balancer", "region": region, "vip": vip, "role": "primary", "priority": 150}
            nodes[lb_b] = {"kind": "load_balancer", "region": region, "vip": vip, "role": "standby", "priority": 100}
            primary_lbs.append(lb_a)
            group = f"{short}-pool-{v + 1}"
            # a pool is an autoscaling group: every instance is built from one template
            # (same instance type, same dependencies), as in production
            capacity = float(rng.choice((20, 30, 40, 50)))
            service_time = round(rng.uniform(0.01, 0.04), 3)
            pool = [f"{short}-app-{v + 1}-{i + 1:03d}" for i in range(apps_per_pool[pool_index])]
            for app in pool:
                nodes[app] = {"kind": "app_server", "region": region, "group": group, "capacity": capacity,
                              "service_time": service_time}
            all_apps.extend(pool)
            edges.append(f"{lb_a}, {lb_b} -> {', '.join(pool)}")
            # the pool reads through one cache and writes to one cluster
            edges.append(f"{', '.join(pool)} -> {caches[pool_index % n_caches]}")
            pool_index += 1
            edges.append(f"{', '.join(pool)} -> {primaries[v % len(primaries)]}")
            # soft dependencies on 1-2 services
            for svc in rng.sample(services, min(len(services), rng.choice((1, 2)))):
                share = round(rng.uniform(0.2, 0.6), 2)
                edges.append(f"{', '.join(pool)} -> {svc} (soft, share={share})")

    edges.append(f"dns -> {', '.join(primary_lbs)}")
    edges.append("cdn -> dns")

    # ---------------------------------------------------------------- users
    total_rate = rng.uniform(2500.0, 4000.0)
    shares = [rng.uniform(0.5, 1.5) for _ in range(n_clients)]
    s = sum(shares)
    for i in range(n_clients):
        rate = total_rate * shares[i] / s
        pattern = ("constant", "diurnal", "spiky")[i % 3]
        read: float | dict = round(rate * 0.70, 1)
        if pattern != "constant":
            read = {"base": read, "pattern": pattern, "noise": 0.05, "amplitude": 0.3, "spike_every": 180.0}
        name = POPULATIONS[i]
        nodes[name] = {
            "kind": "client", "region": regions[i % n_regions],
            "rates": {"read": read, "write": round(rate * 0.08, 1), "static": round(rate * 0.22, 1)},
        }
        edges.append(f"{name} -> dns, cdn")

    # ---------------------------------------------------------------- faults
    app_a, app_b = rng.sample(all_apps, 2)
    method = [
        {"type": "crash", "target": app_a, "at": {"between": [60.0, 90.0]}},
        {"type": "crash", "target": app_b, "at": {"between": [240.0, 300.0]}},
        {"type": "slowdown", "target": rng.choice(services_all), "at": {"between": [150.0, 200.0]},
         "duration": 120.0, "factor": 8.0},
        {"type": "replication_lag", "target": rng.choice(replicas_all), "at": {"between": [300.0, 330.0]},
         "duration": 90.0, "factor": 20.0},
        {"type": "crash", "target": rng.choice(primary_lbs), "at": {"between": [420.0, 450.0]}, "duration": 60.0},
    ]

    data = {
        "id": f"generated-{n_nodes}",
        "title": f"Generated {len(nodes)}-node architecture over {n_regions} regions",
        "description": "Synthetic multi-region architecture for engine benchmarks (bench/topology.py).",
        "tags": ["benchmark", "generated"],
        "difficulty": "expert",
        "duration": DURATION,
        "topology": {"regions": regions, "nodes": nodes, "edges": edges},
        "automation": {
            "vrrp": {"enabled": True},
            "restart": {"enabled": True, "delay": 60.0},
            "dns_failover": {"enabled": True},
        },
        "method": method,
    }
    return Scenario.model_validate(data)


if __name__ == "__main__":
    import argparse
    from collections import Counter

    parser = argparse.ArgumentParser(description="Print a summary of a generated topology.")
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sc = generate(args.nodes, args.seed)
    kinds = Counter(spec.kind for spec in sc.topology.nodes.values())
    print(sc.title)
    print(f"{len(sc.topology.nodes)} nodes: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    print(f"{len(sc.topology.edges)} edge lines, {len(sc.method)} faults")
