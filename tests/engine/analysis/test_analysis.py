"""Dependency analysis: textbook reliability values, the built-in scenarios, and brute force.

The brute-force checker below is written directly on the scenario (nodes, edges,
VIPs, clusters), independently of the expressions :mod:`engine.analysis.structure` builds:
it says whether some request of a kind is still served when a given set of
components is down, with the same failover semantics (see the module docstring).
"""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.analysis.reliability import Availability, availability_from, nines, parallel, series
from engine.analysis.structure import analyze
from engine.scenario.loader import builtin_scenarios, load_scenario
from engine.scenario.schema import RateSpec, Scenario

# --------------------------------------------------------------------------- textbook values


def test_two_components_in_series():
    assert series(0.99, 0.99) == pytest.approx(0.9801, abs=1e-6)


def test_two_components_in_parallel():
    assert parallel(0.99, 0.99) == pytest.approx(0.9999, abs=1e-6)


def test_mtbf_mttr_and_nines():
    assert availability_from(999.0, 1.0) == pytest.approx(0.999)
    assert nines(0.9995) == pytest.approx(3.30, abs=0.01)
    assert math.isinf(nines(1.0))
    a = Availability(0.9995)
    assert a.downtime_hours_per_year == pytest.approx(4.383, abs=1e-3)
    assert "3.3 nines" in a.text()


# --------------------------------------------------------------------------- built-in scenarios


def test_spof_baseline():
    result = analyze(load_scenario("spof-baseline"))
    assert set(result.spofs) == {"lb-1", "db-1"}
    assert result.of("lb-1").status == "spof"
    assert result.of("db-1").status == "spof" and "write" in result.of("db-1").spof_for
    assert result.of("cache").status == "degrading"
    assert "cache" not in result.spofs
    assert result.of("app-1").status == "harmless"
    assert result.of("app-2").status == "harmless"
    assert ("app-1", "app-2") in result.kind("read").cut_sets
    assert any(f.code == "apps_in_one_region" for f in result.findings)


def _without_candidates(scenario: Scenario) -> Scenario:
    nodes = {
        name: spec.model_copy(update={"failover_candidate": False})
        if spec.kind == "database" and spec.role == "replica"
        else spec
        for name, spec in scenario.topology.nodes.items()
    }
    return scenario.model_copy(update={"topology": scenario.topology.model_copy(update={"nodes": nodes})})


def test_db_primary_async_primary_has_promotable_replicas():
    scenario = load_scenario("db-primary-async")
    result = analyze(scenario)
    assert "db-1" not in result.kind("write").spofs
    assert result.of("db-1").status == "harmless"
    assert ("db-1", "db-2", "db-3") in result.kind("write").cut_sets
    assert not any(f.code == "replica_not_candidate" for f in result.findings)

    crippled = analyze(_without_candidates(scenario))
    assert "db-1" in crippled.kind("write").spofs
    assert crippled.of("db-1").status == "spof"
    not_wired = {f.nodes for f in crippled.findings if f.code == "replica_not_candidate"}
    assert not_wired == {("db-2",), ("db-3",)}
    assert crippled.kind("write").availability.value < result.kind("write").availability.value


def test_lb_failover_standby_shares_the_vip():
    result = analyze(load_scenario("lb-failover"))
    assert "lb-1" not in result.spofs
    assert result.of("lb-1").status == "harmless"
    assert ("lb-1", "lb-2") in result.cut_sets
    # VRRP is off in this drill: the standby works, but only once somebody fails over
    manual = [f for f in result.findings if f.code == "vip_failover_manual"]
    assert manual and manual[0].needs_human


def test_region_outage_regions_are_redundant_but_dns_and_cdn_are_not():
    result = analyze(load_scenario("region-outage"))
    assert result.kind("read").spofs == ("dns",)
    assert result.kind("static").spofs == ("cdn",)
    assert ("region:eu-west", "region:us-east") in result.kind("read").cut_sets
    assert result.of("region:eu-west").status == "degrading"
    codes = {f.code: f for f in result.findings}
    assert codes["replica_not_candidate"].nodes == ("db-eu-2",)
    assert codes["dns_failover_manual"].needs_human


def test_standalone_load_balancer_is_redundancy_not_wired():
    scenario = load_scenario("lb-failover")
    nodes = dict(scenario.topology.nodes)
    nodes["lb-2"] = nodes["lb-2"].model_copy(update={"vip": None})
    result = analyze(scenario.model_copy(update={"topology": scenario.topology.model_copy(update={"nodes": nodes})}))
    assert "lb-1" in result.spofs
    assert {f.nodes for f in result.findings if f.code == "lb_no_shared_vip"} == {("lb-1",), ("lb-2",)}


@pytest.mark.parametrize("name", builtin_scenarios())
def test_builtin_scenarios_are_fast_deterministic_and_match_brute_force(name):
    scenario = load_scenario(name)
    start = time.perf_counter()
    result = analyze(scenario)
    assert time.perf_counter() - start < 1.0
    assert json.dumps(result.to_dict(), sort_keys=True) == json.dumps(analyze(scenario).to_dict(), sort_keys=True)
    _check_against_brute_force(scenario, result)


def test_engine_analysis_does_not_import_the_screen():
    code = "import sys, engine.analysis.structure; print(any(m.split('.')[0] in ('textual', 'rich') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------- brute force


class Checker:
    """Is some request of a kind served while ``failed`` components are down? Written on the scenario itself."""

    def __init__(self, scenario: Scenario) -> None:
        topo = scenario.topology
        self.nodes = topo.nodes
        self.regions = topo.regions
        self.multi = len(topo.regions) > 1
        self.edges = [e for e in topo.edges]  # built programmatically or loaded: always EdgeSpec
        self.components = [n for n, s in self.nodes.items() if s.kind != "client"]
        if self.multi:
            self.components += [f"region:{r}" for r in topo.regions]

    def region(self, name):
        return self.nodes[name].region or self.regions[0]

    def out(self, name):
        return [e for e in self.edges if e.source == name]

    def needed(self, name):
        return [e.target for e in self.out(name) if e.required and not e.fallback and e.share >= 1.0]

    def up(self, name, failed):
        if name in failed:
            return False
        if self.multi and self.nodes[name].kind not in ("dns", "cdn"):
            return f"region:{self.region(name)}" not in failed
        return True

    def vip_members(self, lb):
        vip = self.nodes[lb].vip or lb
        return [n for n, s in self.nodes.items() if s.kind == "load_balancer" and (s.vip or n) == vip]

    def writable(self, db, failed):
        cluster = self.nodes[db].cluster or db
        members = [n for n, s in self.nodes.items() if s.kind == "database" and (s.cluster or n) == cluster]
        return any(
            self.up(m, failed) and (self.nodes[m].role == "primary" or self.nodes[m].failover_candidate)
            for m in members
        )

    def serves(self, name, kind, failed):
        spec = self.nodes[name]
        if spec.kind == "load_balancer":
            return any(
                self.up(m, failed) and any(self.serves(e.target, kind, failed) for e in self.out(m))
                for m in self.vip_members(name)
            )
        if spec.kind == "dns":
            return self.up(name, failed) and any(
                self.serves(e.target, kind, failed) for e in self.out(name)
                if self.nodes[e.target].kind in ("load_balancer", "dns")
            )
        if spec.kind == "database":
            return self.writable(name, failed)
        if spec.kind in ("cache", "cdn"):
            return self.up(name, failed)
        if spec.kind == "service":
            return self.up(name, failed) and all(self.serves(t, kind, failed) for t in self.needed(name))
        # app server
        if not self.up(name, failed):
            return False
        needed = self.needed(name)
        caches = [t for t in needed if self.nodes[t].kind == "cache"][:1]
        dbs = [t for t in needed if self.nodes[t].kind == "database"][:1]
        if kind == "static":
            return True
        if kind == "write":
            return not dbs or self.writable(dbs[0], failed)
        if dbs and not (any(self.up(c, failed) for c in caches) or self.writable(dbs[0], failed)):
            return False
        services = [t for t in needed if self.nodes[t].kind not in ("cache", "database")]
        return all(self.serves(s, kind, failed) for s in services)

    def served(self, kind, failed):
        for name, spec in self.nodes.items():
            if spec.kind != "client":
                continue
            rate = getattr(spec.rates, kind)
            if (rate.base if isinstance(rate, RateSpec) else rate) <= 0:
                continue
            targets = [e.target for e in self.out(name)]
            cdns = [t for t in targets if self.nodes[t].kind == "cdn"]
            if kind == "static" and cdns:
                if any(self.up(c, failed) for c in cdns):
                    return True
            elif any(self.serves(t, kind, failed) for t in targets if self.nodes[t].kind in ("dns", "load_balancer")):
                return True
        return False

    def minimal_cuts(self, kind, limit=3):
        stops = {}
        for size in range(0, limit + 1):
            for combo in itertools.combinations(self.components, size):
                stops[frozenset(combo)] = not self.served(kind, frozenset(combo))
        if stops[frozenset()]:
            return set()
        return {
            s for s, stopped in stops.items()
            if s and stopped and not any(stops[frozenset(sub)] for k in range(len(s)) for sub in itertools.combinations(s, k))
        }


def _check_against_brute_force(scenario, result):
    checker = Checker(scenario)
    assert list(result.components) == checker.components
    union = set()
    for kind_result in result.kinds:
        cuts = checker.minimal_cuts(kind_result.kind)
        assert {frozenset(c) for c in kind_result.cut_sets} == cuts, kind_result.kind
        assert set(kind_result.spofs) == {next(iter(c)) for c in cuts if len(c) == 1}
        assert kind_result.served == checker.served(kind_result.kind, frozenset())
        union |= cuts
    system = {c for c in union if not any(o < c for o in union)}
    assert {frozenset(c) for c in result.cut_sets} == system
    spof_any = {next(iter(c)) for c in system if len(c) == 1}
    assert set(result.spofs) == spof_any


@st.composite
def topologies(draw):
    """Random small architectures: a client, 1-2 load balancers, 1-3 app servers, 0-1 cache,
    1-3 databases in one cluster, 0-2 services, over one or two regions."""
    regions = ["r1", "r2"] if draw(st.booleans()) else ["r1"]
    region = st.sampled_from(regions)
    reliability = {"mtbf": draw(st.sampled_from([20.0, 100.0, 1000.0])), "mttr": draw(st.sampled_from([1.0, 5.0, 20.0]))}
    rate = st.sampled_from([0.0, 10.0, 10.0])
    nodes = {"users": {"kind": "client", "rates": {"read": draw(rate), "write": draw(rate), "static": draw(rate)}}}
    edges = []
    n_lb = draw(st.integers(1, 2))
    shared = draw(st.booleans())
    for i in range(1, n_lb + 1):
        nodes[f"lb-{i}"] = {"kind": "load_balancer", "region": draw(region), "vip": "vip" if shared else None,
                            "role": "primary" if i == 1 else "standby", **reliability}
    edges.append(("users", "lb-1", True, 1.0, False))
    if n_lb == 2 and not shared and draw(st.booleans()):
        edges.append(("users", "lb-2", True, 1.0, False))
    apps = [f"app-{i}" for i in range(1, draw(st.integers(1, 3)) + 1)]
    for app in apps:
        nodes[app] = {"kind": "app_server", "region": draw(region)}
    for i in range(1, n_lb + 1):
        for app in draw(st.lists(st.sampled_from(apps), min_size=1, unique=True)):
            edges.append((f"lb-{i}", app, True, 1.0, False))
    if draw(st.booleans()):
        nodes["cache"] = {"kind": "cache", "region": draw(region)}
        for app in apps:
            edges.append((app, "cache", True, 1.0, False))
    n_db = draw(st.integers(1, 3))
    for i in range(1, n_db + 1):
        nodes[f"db-{i}"] = {"kind": "database", "region": draw(region), "cluster": "main",
                            "role": "primary" if i == 1 else "replica", "failover_candidate": draw(st.booleans()),
                            "mtbf": draw(st.sampled_from([50.0, 500.0])), "mttr": 10.0}
    for app in apps:
        edges.append((app, "db-1", True, 1.0, False))
    for i in range(1, draw(st.integers(0, 2)) + 1):
        nodes[f"svc-{i}"] = {"kind": "service", "region": draw(region)}
        required, share, fallback = draw(st.booleans()), draw(st.sampled_from([1.0, 0.5])), draw(st.booleans())
        for app in apps:
            edges.append((app, f"svc-{i}", required, share, fallback))
    data = {
        "title": "random",
        "topology": {
            "regions": regions,
            "nodes": nodes,
            "edges": [{"from": s, "to": t, "required": r, "share": sh, "fallback": f} for s, t, r, sh, f in edges],
        },
    }
    return Scenario.model_validate(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(topologies())
def test_spofs_and_cut_sets_equal_brute_force(scenario):
    _check_against_brute_force(scenario, analyze(scenario))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(topologies())
def test_availability_equals_enumeration_of_every_state(scenario):
    result = analyze(scenario)
    checker = Checker(scenario)
    p = {r.name: r.availability for r in result.reliability}
    comps = checker.components
    kinds = [k.kind for k in result.kinds]
    totals = dict.fromkeys(kinds, 0.0)
    every = 0.0
    for states in itertools.product((True, False), repeat=len(comps)):
        weight = 1.0
        failed = set()
        for name, is_up in zip(comps, states):
            weight *= p[name] if is_up else 1.0 - p[name]
            if not is_up:
                failed.add(name)
        ok = [checker.served(k, failed) for k in kinds]
        for k, good in zip(kinds, ok):
            if good:
                totals[k] += weight
        if all(ok):
            every += weight
    for k in result.kinds:
        assert k.availability.value == pytest.approx(totals[k.kind], abs=1e-9)
    if kinds:
        assert result.availability.value == pytest.approx(every, abs=1e-9)


# --------------------------------------------------------------------------- the fast algorithms on raw expressions

from engine.analysis import dag as _dag  # noqa: E402
from engine.analysis.dag import Dag, minimal_cuts  # noqa: E402
from engine.analysis.expr import and_, holds, or_, var  # noqa: E402
from support import ROOT_DIR  # noqa: E402

_NAMES = [f"x{i}" for i in range(7)]


@st.composite
def expressions(draw, depth=3):
    """Random monotone AND/OR expressions over a few components, with many repeats."""
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return var(draw(st.sampled_from(_NAMES)))
    op = draw(st.sampled_from([and_, or_]))
    return op(*draw(st.lists(expressions(depth=depth - 1), min_size=1, max_size=4)))


def _variables(expr, into=None):
    """The components an expression names."""
    into = set() if into is None else into
    if expr[0] == "v":
        into.add(expr[1])
    elif expr[0] in ("a", "o"):
        for child in expr[1]:
            _variables(child, into)
    return into


def _enumerated_cuts(expr, limit):
    if not holds(expr, frozenset()):
        return []
    cuts, out = [], []
    names = sorted(_variables(expr), key=_NAMES.index)
    for size in range(1, limit + 1):
        for combo in itertools.combinations(names, size):
            failed = frozenset(combo)
            if not any(c <= failed for c in cuts) and not holds(expr, failed):
                cuts.append(failed)
                out.append(combo)
    return out


@settings(max_examples=300, deadline=None)
@given(expressions(), st.integers(1, 3))
def test_mocus_cut_sets_equal_subset_enumeration(expr, limit):
    dag = Dag(_NAMES)
    order = {n: i for i, n in enumerate(_NAMES)}
    assert minimal_cuts(dag, dag.intern(expr), order, limit) == _enumerated_cuts(expr, limit)


@settings(max_examples=300, deadline=None)
@given(expressions(), st.lists(st.sampled_from([0.5, 0.9, 0.99, 0.3]), min_size=7, max_size=7))
def test_dag_probability_equals_enumeration_of_every_state(expr, values):
    dag = Dag(_NAMES)
    dag.p = list(values)
    value, exact = dag.availability(dag.intern(expr))
    assert exact
    total = 0.0
    for states in itertools.product((True, False), repeat=len(_NAMES)):
        weight = math.prod(p if up else 1 - p for p, up in zip(values, states))
        if holds(expr, {n for n, up in zip(_NAMES, states) if not up}):
            total += weight
    assert value == pytest.approx(total, abs=1e-12)


def test_spofs_are_the_single_failures_that_stop_the_expression():
    expr = and_(var("x0"), or_(and_(var("x1"), var("x2")), and_(var("x1"), var("x3"))))
    dag = Dag(_NAMES)
    cuts = minimal_cuts(dag, dag.intern(expr), {n: i for i, n in enumerate(_NAMES)}, 3)
    assert [c for c in cuts if len(c) == 1] == [("x0",), ("x1",)]
    assert ("x2", "x3") in cuts


def test_availability_falls_back_to_a_flagged_approximation(monkeypatch):
    v = var
    # a bridge network: no series-parallel rewriting removes the shared components
    bridge = or_(and_(v("x0"), v("x1")), and_(v("x2"), v("x3")),
                     and_(v("x0"), v("x4"), v("x3")), and_(v("x2"), v("x4"), v("x1")))
    p = 0.9
    exact_value = sum(
        math.prod(p if up else 1 - p for up in states)
        for states in itertools.product((True, False), repeat=5)
        if holds(bridge, {f"x{i}" for i, up in enumerate(states) if not up})
    )
    dag = Dag(_NAMES)
    dag.p = [p] * 7
    value, exact = dag.availability(dag.intern(bridge))
    assert exact and value == pytest.approx(exact_value, abs=1e-12)
    monkeypatch.setattr(_dag, "EXACT_BUDGET", 0)
    dag = Dag(_NAMES)
    dag.p = [p] * 7
    value, exact = dag.availability(dag.intern(bridge))
    assert not exact
    assert value != exact_value and value == pytest.approx(exact_value, abs=0.02)  # close, not promised exact
    assert Availability(value, exact).to_dict()["exact"] is False


def test_generated_topologies_are_exact_and_fast():
    sys.path.insert(0, str(ROOT_DIR / "bench"))
    from topology import generate

    result = analyze(generate(200, 1))
    assert result.availability.exact and all(k.availability.exact for k in result.kinds)
    assert result.to_dict()["availability"]["exact"] is True
