"""The database write path from first principles (issue 12, items 5-7).

Every expected figure is derived by hand in the test's docstring from what the
real system does (PostgreSQL streaming replication, synchronous commit, promotion)
and the scenario's own numbers; none is an earlier output of the engine.
Rates have ``noise: 0`` so the arithmetic is exact.
"""

from __future__ import annotations

import re
import textwrap

import pytest

from engine.commands import build_command
from engine.scenario.loader import load_scenario_text
from engine.sim.simulation import Simulation


def scenario(nodes: str, edges: str, rest: str = "", duration: int = 300):
    text = textwrap.dedent(
        """
        title: write physics
        duration: {duration}
        topology:
          nodes:
        {nodes}
          edges:
        {edges}
        {rest}
        """
    ).format(
        duration=duration,
        nodes=textwrap.indent(textwrap.dedent(nodes).strip("\n"), "    "),
        edges=textwrap.indent(textwrap.dedent(edges).strip("\n"), "    "),
        rest=textwrap.dedent(rest),
    )
    return load_scenario_text(text, "physics.yaml")


def lost_in_journal(sim: Simulation) -> int:
    return sum(e.data["count"] for e in sim.journal.of_type("WritesLost"))


# --------------------------------------------------------------------------- item 5


SYNC_NODES = """
users: {kind: client, rates: {read: {base: 80, noise: 0}, write: {base: 40, noise: 0}}}
lb: {kind: load_balancer}
app: {kind: app_server, capacity: 500, workers: 64, service_time: 0.02}
db-1: {kind: database, cluster: main}
db-2: {kind: database, cluster: main, role: replica, replication: sync}
"""
SYNC_EDGES = """
- users -> lb
- lb -> app
- app -> db-1
"""


def test_a_crashed_sync_primary_refuses_writes_at_once_and_the_app_stays_healthy():
    """Synchronous commit waits for the standby only on a *live* primary; a crashed one refuses.

    PostgreSQL: a client connecting to a crashed host gets "connection refused" (RST) at once;
    there is no commit to wait on, so ``synchronous_standby_names`` plays no part. The model's
    refused-connection latency is 2 ms (calls.py, fails_fast).

    After db-1 crashes at t=30 the app server's requests hold a worker for
      read  = service_time + refused call = 0.020 + 0.002 = 0.022 s
      write = service_time + refused call = 0.020 + 0.002 = 0.022 s  (no 3 s sync stall)
    Little's law: worker capacity = 64 / 0.022 = 2909 req/s; CPU capacity = 500 req/s
    (every request costs one service_time), so the CPUs bind and
      utilisation = (80 + 40) / 500 = 0.24.
    (Charging the 3 s stall instead would make the write hold 3.022 s, the mean hold
    (80*0.022 + 40*3.022)/120 = 1.022 s, worker capacity 62.6 req/s < 120 req/s: the pool
    fills, the queue wait passes the 2 s health-check timeout and the LB ejects a healthy app.)
    Writes fail fast (well under a second); reads do not touch the database in this model
    without a cache, so they fail fast too, but are answered (not queued).
    """
    sim = Simulation(scenario(SYNC_NODES, SYNC_EDGES, "method: [{type: crash, target: db-1, at: 30}]"), seed=0)
    sim.run(90)
    assert not sim.journal.of_type("BackendMarkedDown"), "a healthy app server was ejected"
    util = sim.node_series("app", "utilisation")
    assert util[-20:] == pytest.approx([0.24] * 20, abs=0.01)
    assert sim.nodes["app"].hold == pytest.approx(0.022, abs=1e-3)
    # writes fail at once: the refused-connection latency, not the 3 s commit timeout
    assert sim.series["write_error_ratio"][60] == 1.0
    assert sim.series["p99"][60] < 0.1


def test_a_black_holed_sync_primary_costs_the_connect_timeout_not_more():
    """A partitioned (black-holed) primary: the SYN is never answered, so the client waits the
    3 s TCP connect timeout and fails, exactly as with async replication; the sync standby
    adds nothing on top. Write hold = 0.020 + 3.000 = 3.020 s (not 0.020 + 3 + 3).
    """
    sim = Simulation(
        scenario(SYNC_NODES, SYNC_EDGES, "method: [{type: partition, between: [app, db-1], at: 30}]"), seed=0
    )
    sim.run(40)
    read_hold = 0.020 + 3.0
    write_hold = 0.020 + 3.0
    assert sim.nodes["app"].hold == pytest.approx((80 * read_hold + 40 * write_hold) / 120, abs=0.02)


# --------------------------------------------------------------------------- items 6 and 7

ASYNC_NODES = """
users: {kind: client, rates: {write: {base: 100, noise: 0}}}
lb: {kind: load_balancer}
app: {kind: app_server}
db-1: {kind: database, cluster: main}
db-2: {kind: database, cluster: main, role: replica, lag: 2.0}
db-3: {kind: database, cluster: main, role: replica, lag: 0.5}
"""
ASYNC_EDGES = """
- users -> lb
- lb -> app
- app -> db-1
"""


def test_every_lost_write_is_counted_once():
    """Promote db-2 (2 s behind) of an async cluster at 100 writes/s, then rebuild the others.

    db-1 crashes at t=60 having acknowledged 100 w/s x 60 s = 6000 writes. db-2 has received
    what db-1 wrote up to 60 - 2 = 58 s: 5800 writes (apply_rate 2000/s replays them at once).
    Promoting it loses 6000 - 5800 = 200 writes, once. db-3 (lag 0.5 s, received 5950) is
    ahead of the new timeline and diverges; restarting it rewinds 150 writes that are among
    the 200 already lost; restarting db-1 rewinds the same 200 again. Neither is a new loss:
    the journal's WritesLost entries must add up to 200, the outcome's lost_writes.
    """
    sim = Simulation(scenario(ASYNC_NODES, ASYNC_EDGES, "method: [{type: crash, target: db-1, at: 60}]"), seed=0)
    sim.run(70)
    sim.apply(build_command("promote", "db-2"))
    sim.run(80)
    sim.apply(build_command("restart", "db-3"))
    sim.apply(build_command("restart", "db-1"))
    sim.run(200)
    assert sim.journal.of_type("ReplicaDiverged") and len(sim.journal.of_type("ReplicaRejoined")) == 2
    assert sim.outcome().lost_writes == 200
    assert lost_in_journal(sim) == 200
    # RPO: the lost writes were acknowledged over (58 s, 60 s]
    assert sim.outcome().rpo == pytest.approx(2.0, abs=0.02)


BACKLOG_NODES = """
users: {kind: client, rates: {write: {base: 100, noise: 0}}}
lb: {kind: load_balancer}
app: {kind: app_server}
db-1: {kind: database, cluster: main}
db-2: {kind: database, cluster: main, role: replica, lag: 1.0, apply_rate: 50}
"""


def test_promotion_replays_what_the_replica_received():
    """Network lag L = 1 s, write rate w = 100/s, replay rate 50/s (below w): a replay backlog grows.

    PostgreSQL's walreceiver writes and flushes WAL as it arrives (``lag`` is transit); the startup
    process replays it at its own pace (``apply_rate``). db-1 crashes at t=60 having acknowledged
    w x 60 = 6000 writes; db-2 received those written up to 60 - L = 59 s: 5900. It has applied at
    most 50/s x 60 s = 3000, so its replay backlog b is about 2900 writes.
    ``pg_promote()`` finishes replaying the received WAL before it opens for writes, so promotion
    loses only what never arrived: w x L = 100 writes, not w x L + b (about 3000).
    The preview states it from write positions, and the journal then reports exactly that number.
    """
    sim = Simulation(scenario(BACKLOG_NODES, ASYNC_EDGES, "method: [{type: crash, target: db-1, at: 60}]"), seed=0)
    sim.run(62)
    preview = sim.preview(build_command("promote", "db-2"))
    m = re.search(r"received up to write ([\d,]+) and applied ([\d,]+); promoting it loses the ([\d,]+) writes", preview.text)
    assert m, preview.text
    received, applied, loses = (int(g.replace(",", "")) for g in m.groups())
    assert received == 5900
    assert applied <= 50 * 62
    assert loses == 100
    sim.apply(build_command("promote", "db-2"))
    sim.run(100)
    assert lost_in_journal(sim) == loses
    assert sim.outcome().lost_writes == 100
    assert sim.outcome().rpo == pytest.approx(1.0, abs=0.02)  # acknowledged over (59 s, 60 s]
    assert sim.outcome().phantom_writes == 0
