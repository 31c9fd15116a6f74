"""Engine speed report: shipped scenarios, a generated 1,000-node topology and the bare-simpy floor.

Run from the repository root::

    .venv/bin/python bench/run.py            # median of 5 repeats
    .venv/bin/python bench/run.py --quick    # 1 repeat, smoke test only

It prints one table and one line per target, and always exits 0: it is a
report, not a test. See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import simpy  # noqa: E402

from bench.topology import DURATION, generate  # noqa: E402
from engine.sim.runner import NO_ACTION, simulate  # noqa: E402
from engine.scenario.schema import Scenario  # noqa: E402
from engine.sim.simulation import Simulation  # noqa: E402

SHIPPED_SPEEDUP = 2000.0  # a 10-minute shipped scenario in at most 0.3 s
BIG_SPEEDUP = 100.0  # the generated 1,000- and 4,000-node topologies
BIG_SIZES = (1000, 4000)  # generated topologies judged against BIG_SPEEDUP
FIT_SIZES = (250, 500, 1000, 2000, 4000)  # generated topologies the cost exponent is fitted over
SLICE = 60.0  # runner.simulate advances in 60 s slices; the extrapolated run does the same
FLOOR_MIN_SECONDS = 0.05  # repeat the floor loop inside one measurement until it lasts this long


# --------------------------------------------------------------------------- helpers


def load_scenarios() -> list[Scenario]:
    """Every scenarios/*.yaml of this checkout, with its id set to the file stem."""
    try:
        from engine.scenario.loader import load_scenario  # the loader, if this checkout has one
    except ImportError:
        load_scenario = None
    out = []
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        if load_scenario is not None:
            sc = load_scenario(path)
            if sc.id is None:
                sc = sc.model_copy(update={"id": path.stem})
        else:
            import yaml

            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            sc = Scenario.model_validate(data).model_copy(update={"id": path.stem})
        out.append(sc)
    return out


def measure(fn: Callable[[], object], repeat: int) -> list[float]:
    """Wall seconds (time.perf_counter) of ``repeat`` calls of ``fn``."""
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


@contextmanager
def counting_steps():
    """Count calls of simpy.Environment.step (one per processed event) while active."""
    counter = [0]
    original = simpy.Environment.step

    def step(self):  # type: ignore[no-untyped-def]
        counter[0] += 1
        return original(self)

    simpy.Environment.step = step
    try:
        yield counter
    finally:
        simpy.Environment.step = original


def floor_loop(steps: int) -> None:
    """A bare simpy run with exactly ``steps`` calls of env.step: one process, one timeout after another."""
    env = simpy.Environment()

    def proc(n: int):
        timeout = env.timeout
        for _ in range(n):
            yield timeout(0.5)

    # Initialize + n timeouts + the process's own end event + the final EmptySchedule = n + 3 steps
    env.process(proc(max(0, steps - 3)))
    env.run()


def floor_time(steps: int, repeat: int) -> tuple[float, int]:
    """Median wall seconds of one floor run of ``steps`` events, and the events it really processed."""
    with counting_steps() as counter:
        floor_loop(steps)
    inner = 1
    while True:  # find how many floor runs make one measurement long enough to time reliably
        t0 = time.perf_counter()
        for _ in range(inner):
            floor_loop(steps)
        if time.perf_counter() - t0 >= FLOOR_MIN_SECONDS or inner >= 1 << 20:
            break
        inner *= 2
    per_run = [t / inner for t in measure(lambda: [floor_loop(steps) for _ in range(inner)], repeat)]
    return statistics.median(per_run), counter[0]


def machine() -> list[str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "?"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    commit = "?"
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=5).stdout.strip() or "?"
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "engine"], capture_output=True,
                               text=True, timeout=5).stdout.strip()
        if dirty:
            commit += " + uncommitted engine changes"
    except (OSError, subprocess.SubprocessError):
        pass
    now = _dt.datetime.now().astimezone()
    return [
        f"date     {now:%Y-%m-%d %H:%M:%S %Z}",
        f"machine  {os.cpu_count()} CPUs ({usable} usable), {cpu}, {platform.system()} {platform.release()}",
        f"python   {platform.python_implementation()} {platform.python_version()}, simpy {simpy.__version__}",
        f"code     {commit}",
    ]


def fmt_int(n: int | None) -> str:
    return "-" if n is None else f"{n:,}"


def fmt_wall(s: float | None) -> str:
    if s is None:
        return "-"
    if s < 0.01:
        return f"{s:.6f}"
    return f"{s:.4f}" if s < 1 else f"{s:.2f}"


def fmt_speed(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:,.0f}x" if x >= 100 else f"{x:.1f}x"


@dataclass
class Row:
    figure: str
    sim_s: str = "-"
    events: str = "-"
    wall: str = "-"
    speed: str = "-"
    target: str = ""
    result: str = ""


@dataclass
class Verdict:
    name: str
    met: bool | None = None  # None: could not be measured
    measured: list[str] = field(default_factory=list)


def print_table(rows: list[Row], notes: list[str]) -> None:
    head = Row("run", "sim s", "events", "wall s", "sim-s/wall-s", "target", "result")
    cols = ["figure", "sim_s", "events", "wall", "speed", "target", "result"]
    right = {"sim_s", "events", "wall", "speed"}
    widths = {c: max(len(getattr(r, c)) for r in [head, *rows]) for c in cols}

    def line(r: Row) -> str:
        cells = []
        for c in cols:
            v = getattr(r, c)
            cells.append(v.rjust(widths[c]) if c in right else v.ljust(widths[c]))
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * widths[c] for c in cols)
    print(line(head))
    print(rule)
    for r in rows:
        print(r.figure and line(r) or "")
    print(rule)
    for n in notes:
        print(n)


def fit_exponent(points: list[tuple[int, float]]) -> float | None:
    """``k`` of the least-squares fit of ``log(wall) = k log(n) + c`` (None with fewer than two sizes)."""
    import math

    if len({n for n, _ in points}) < 2:
        return None
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(w) for _, w in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def sizes(text: str) -> list[int]:
    return sorted({int(part) for part in text.split(",") if part.strip()})


def error_text(exc: BaseException) -> str:
    return f"error: {type(exc).__name__}: {exc}".splitlines()[0][:120]


# --------------------------------------------------------------------------- the figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="repeats per figure; the median is shown (default 5)")
    parser.add_argument("--quick", action="store_true", help="1 repeat and a 60 s big run: a smoke test, not a measurement")
    parser.add_argument("--nodes", type=sizes, default=list(BIG_SIZES),
                        help="sizes of the generated topologies judged against the target, comma-separated "
                             "(default 1000,4000)")
    parser.add_argument("--fit", type=sizes, default=list(FIT_SIZES),
                        help="sizes the cost exponent is fitted over, comma-separated (default "
                             "250,500,1000,2000,4000; the --nodes sizes are measured anyway)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the runs and the generated topology (default 0)")
    parser.add_argument("--full", action="store_true", help="always run the generated topology for its whole 600 s")
    parser.add_argument("--budget", type=float, default=120.0,
                        help="seconds the big run's repeats may take before it is measured over 60 s and "
                             "extrapolated (default 120)")
    parser.add_argument("--floor-scenario", default=None, help="shipped scenario for the floor row (default: the first)")
    args = parser.parse_args(argv)
    repeat = 1 if args.quick else max(1, args.repeat)
    seed = args.seed

    print(f"spofdrill engine benchmark - wall times are the median of {repeat} run(s), time.perf_counter")
    for line in machine():
        print(line)
    print()

    rows: list[Row] = []
    notes: list[str] = []
    shipped = Verdict(f"shipped scenarios, 10 min in <= 0.3 s (>= {SHIPPED_SPEEDUP:,.0f}x real time)")
    bigs = {n: Verdict(f"generated {n:,}-node topology, >= {BIG_SPEEDUP:,.0f}x real time") for n in args.nodes}
    fitted: list[tuple[int, float]] = []  # (nodes, wall of a 600 s run) of every generated size
    floor_pairs: list[tuple[str, int, float]] = []  # (label, events, engine wall of that same run)

    # ---------------------------------------------------------------- shipped scenarios
    try:
        scenarios = load_scenarios()
    except Exception as exc:  # noqa: BLE001 - a report keeps going
        scenarios = []
        rows.append(Row("shipped scenarios", result=error_text(exc)))
    floor_name = args.floor_scenario or (scenarios[0].id if scenarios else None)
    for sc in scenarios:
        for label, script in (("no action", NO_ACTION), ("reference", sc.reference_solution)):
            name = f"{sc.id} - {label}"
            try:
                run = lambda: simulate(sc, seed, script, name=label)  # noqa: E731
                run()  # warm-up, untimed
                with counting_steps() as counter:
                    run()
                events = counter[0]
                wall = statistics.median(measure(run, repeat))
                speed = sc.duration / wall
                limit = sc.duration / SHIPPED_SPEEDUP
                ok = wall <= limit
                rows.append(Row(name, f"{sc.duration:g}", fmt_int(events), fmt_wall(wall), fmt_speed(speed),
                                f"<= {limit:.3f} s", "met" if ok else "NOT met"))
                shipped.met = ok if shipped.met is None else (shipped.met and ok)
                if not ok:
                    shipped.measured.append(f"{name} {wall:.3f} s, {speed:,.0f}x")
                if sc.id == floor_name and label == "no action":
                    floor_pairs.append((f"{sc.id} no action", events, wall))
            except Exception as exc:  # noqa: BLE001
                rows.append(Row(name, result=error_text(exc)))
                shipped.met = False
                shipped.measured.append(f"{name}: {error_text(exc)}")
    if not scenarios:
        shipped.measured.append("no shipped scenario could be loaded")

    # ---------------------------------------------------------------- the generated topologies
    rows.append(Row(""))
    extrapolated: list[int] = []
    for size in sorted(set(args.nodes) | set(args.fit)):
        judged = size in bigs
        big = bigs.get(size) or Verdict("")
        try:
            t0 = time.perf_counter()
            sc = generate(size, seed)
            gen_s = time.perf_counter() - t0
            n = len(sc.topology.nodes)
            kinds: dict[str, int] = {}
            for spec in sc.topology.nodes.values():
                kinds[spec.kind] = kinds.get(spec.kind, 0) + 1
            duration = sc.duration
            if judged:
                notes.append(
                    f"generated topology: {n:,} nodes in {len(sc.topology.regions)} regions ("
                    + ", ".join(f"{v} {k}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]))
                    + f"), {len(sc.method)} faults, seed {seed}; generate() took {gen_s * 1000:.0f} ms"
                )

            def build(sc: Scenario = sc) -> Simulation:
                return Simulation(sc, seed, budget=False)  # built in code: past the file budget on purpose

            def first_slice(build=build) -> tuple[float, float]:
                gc.collect()
                t0 = time.perf_counter()
                sim = build()
                t1 = time.perf_counter()
                sim.run(SLICE)
                return t1 - t0, time.perf_counter() - t1

            # calibration (also the warm-up): one build and one 60 s slice
            cal_build, cal_slice = first_slice()
            estimate = cal_build + cal_slice * duration / SLICE
            extrapolate = not args.full and (args.quick or estimate * repeat > args.budget)
            if not extrapolate:
                run = lambda sc=sc: simulate(sc, seed, NO_ACTION, name="no action", budget=False)  # noqa: E731
                with counting_steps() as counter:
                    run()
                events = counter[0]
                wall = statistics.median(measure(run, repeat))
                sim_label = f"{duration:g}"
                if judged:
                    floor_pairs.append((f"{n:,} nodes, {duration:g} s", events, wall))
            else:
                with counting_steps() as counter:
                    build().run(SLICE)
                events = counter[0]
                samples = [first_slice() for _ in range(repeat)]
                build_s = statistics.median(s[0] for s in samples)
                slice_s = statistics.median(s[1] for s in samples)
                wall = build_s + slice_s * duration / SLICE
                sim_label = f"{duration:g}*"
                extrapolated.append(n)
                if judged:
                    floor_pairs.append((f"{n:,} nodes, first {SLICE:g} s", events, build_s + slice_s))
            fitted.append((n, wall))
            speed = duration / wall
            ok = speed >= BIG_SPEEDUP
            rows.append(Row(f"generated {n:,} nodes - no action", sim_label, fmt_int(events), fmt_wall(wall),
                            fmt_speed(speed), f">= {BIG_SPEEDUP:,.0f}x" if judged else "(fit)",
                            ("met" if ok else "NOT met") if judged else ""))
            big.met = ok
            if not ok:
                big.measured.append(f"{speed:,.1f}x, {wall:.2f} s for {duration:g} simulated s"
                                    + (" (extrapolated)" if extrapolate else ""))
        except Exception as exc:  # noqa: BLE001
            traceback.print_exc()
            rows.append(Row(f"generated {size:,} nodes", result=error_text(exc)))
            big.measured.append(error_text(exc))
    if extrapolated:
        notes.append(
            f"* extrapolated ({', '.join(f'{n:,}' for n in extrapolated)} nodes): a full run was estimated past "
            f"--budget, so each repeat built the simulation and ran its first {SLICE:g} s; wall = build + "
            f"{DURATION / SLICE:g} x the {SLICE:g} s slice. The events column counts that {SLICE:g} s run. "
            "The first 60 s precede the faults, and outcome scoring is not included."
        )
    k = fit_exponent(fitted)
    if k is not None:
        notes.append(
            f"cost ~ n^{k:.2f}: least-squares fit of log(wall) on log(nodes) over the generated sizes "
            + ", ".join(f"{n:,}" for n, _ in fitted) + " (1.00 = linear)"
        )

    # ---------------------------------------------------------------- the floor
    rows.append(Row(""))
    for label, events, engine_wall in floor_pairs:
        try:
            floor_s, processed = floor_time(events, repeat)
            check = "" if processed == events else f" (floor processed {processed:,})"
            rows.append(Row(f"floor: bare simpy, events of {label}", "-", fmt_int(processed), fmt_wall(floor_s), "-",
                            "engine/floor", f"{engine_wall / floor_s:,.0f}x{check}"))
        except Exception as exc:  # noqa: BLE001
            rows.append(Row(f"floor: {label}", result=error_text(exc)))

    print_table(rows, notes)
    print()
    for verdict in (shipped, *bigs.values()):
        if verdict.met:
            print(f"target {verdict.name}: met")
        else:
            measured = "; ".join(verdict.measured) or "not measured"
            print(f"target {verdict.name}: NOT met (measured {measured})")
    return 0


if __name__ == "__main__":
    try:
        main()
    except Exception:  # noqa: BLE001 - a report, not a test: always exit 0
        traceback.print_exc()
    sys.exit(0)
