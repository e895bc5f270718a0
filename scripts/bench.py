"""Benchmark of clause-sim that holds on a shared machine (prints figures; not a test).

Every figure is a ratio of two timings taken in this process, in the same round, one right after
the other; rounds repeat (``--rounds``, at least 5) and the best round is kept, with the median
beside it. Other processes on the machine only ever slow a timing down, and a busy spell hits
both sides of a ratio alike::

    python scripts/bench.py                      # replication cost, M/M/c throughput
    python scripts/bench.py --run                # + the default `clause-sim run`, by phase
    python scripts/bench.py --run --baseline DIR # + its wall time against another source tree
    python scripts/bench.py --full               # + 1,000 fiche replications on 2 workers
    python scripts/bench.py --large              # + a programme scaled x100

Figures:

* **replication cost**: one fiche replication (``sim.simulate``) in events of a bare SimPy loop
  (a process yielding unit timeouts) timed in the same round. Target: at most 20,000. With
  ``--baseline DIR``, the same cost measured for DIR's model too (each tree in a fresh process,
  in turn) and the speed-up: the issue's "a replication at half its cost" is a 2x speed-up.
* **M/M/c**: the flow model reduced to M/M/c (as in tests/test_validation.py: no clause hours,
  no preparation, exponential parcours, c = 10 slots, load 0.8) in customers per second, against
  a hand-written SimPy M/M/c and against Ciw (``pip install 'clause-sim[bench]'``) simulating
  the same queue over the same horizon. Targets: >= 1.5x SimPy, >= 3x Ciw.
* **default run** (``--run``): `clause-sim run` on the shipped scenario with the command's
  defaults, by phase (imports, replications, bottleneck diagnosis, writing the folder), each in
  seconds and in bare-loop events; ``--baseline DIR`` also times the whole command from the
  source tree DIR (e.g. ``git archive <commit> | tar -x -C DIR``) interleaved with this one
  and prints the ratio. Target: at most 35 % of the issue-13 baseline's wall time.
* **a programme scaled x100** (``--large``: dwellings, referrals, facilitators, SIAE posts):
  time per event against the fiche's (20 fiche replications and the programme, timed in one
  fresh process a round; the best round of each side) and the peak memory of that process.
  Targets: <= 1.5x, < 500 MB.
* **1,000 replications on 2 workers** (``--full``): seconds, with the load average.

Only ``sim.simulate(scenario, seed, replication)``, ``sim.replicate(scenario, n, seed=, jobs=)``
and the results folder API are used, so the benchmark runs against any version of the model.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import simpy

import sim

ROOT = Path(__file__).resolve().parent.parent

# M/M/c as in tests/test_validation.py
C = 10
SERVICE_DAYS = 60.0
LOAD = 0.8


def load_avg() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def model_status() -> str:
    """Which flow model ``sim.simulate`` runs: compiled or pure Python (and why)."""
    import sim.model

    return str(getattr(sim.model, "MODEL_STATUS", "pure Python"))


def bare_event_seconds(n: int = 100_000) -> float:
    """Seconds per event of a bare SimPy loop: one process yielding unit timeouts."""
    env = simpy.Environment()

    def ticker(env: simpy.Environment) -> Any:
        while True:
            yield env.timeout(1)

    env.process(ticker(env))
    t0 = time.perf_counter()
    env.run(until=n)
    return (time.perf_counter() - t0) / n


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def summary(name: str, values: list[float], unit: str, best: str, target: str = "") -> None:
    """One line: best round (min or max), median, all rounds."""
    b = min(values) if best == "min" else max(values)
    rounds = " ".join(f"{v:,.3g}" for v in values)
    extra = f"   target {target}" if target else ""
    print(
        f"  {name:<44}{b:>12,.3g} {unit:<10} median {statistics.median(values):,.3g}"
        f"{extra}\n  {'':<44}rounds: {rounds}"
    )


def ratio(name: str, num: list[float], den: list[float], target: str = "") -> None:
    """``num / den`` from the best (smallest) of each side's rounds, then the median and every
    round's own ratio: both sides are costs (seconds per unit) timed in turn in each round."""
    per_round = [a / b for a, b in zip(num, den, strict=True)]
    rounds = " ".join(f"{v:,.3g}" for v in per_round)
    extra = f"   target {target}" if target else ""
    print(
        f"  {name:<44}{min(num) / min(den):>12,.3g}   (best of each side; median of rounds "
        f"{statistics.median(per_round):,.3g}){extra}\n  {'':<44}rounds: {rounds}"
    )


# --------------------------------------------------------------------------------------------
# Replication cost


def bench_replication(rounds: int, per_round: int) -> None:
    sc = sim.load_scenario()
    sim.simulate(sc, 1, 0)  # imports and caches
    reps: list[float] = []  # s per replication, each round the same replications
    bare: list[float] = []  # s per bare-loop event
    events: list[int] = []
    for r in range(rounds):
        t_rep = t_bare = 0.0
        for i in range(per_round):  # bare loop and replication in turn, in small pieces
            t_bare += bare_event_seconds(20_000)
            secs, run = timed(partial(sim.simulate, sc, 1, i))
            t_rep += secs
            if r == 0:
                events.append(int(getattr(run, "events", 0)))
        reps.append(t_rep / per_round)
        bare.append(t_bare / per_round)
        print(
            f"    round {r + 1}: bare loop {bare[-1] * 1e6:.3f} us/event, replication "
            f"{reps[-1] * 1e3:.1f} ms",
            flush=True,
        )
    print("one fiche replication (sim.simulate), in bare-SimPy-loop events of time:")
    ratio("replication cost (events)", reps, bare, "<= 20,000")
    if any(events):
        print(f"  ({statistics.mean(events):,.0f} model events a replication)")


REPLICATION_CHILD = """
import sys, time
sys.path.insert(0, sys.argv[1])
import simpy, sim
sc = sim.load_scenario(sys.argv[1] + "/scenarios/erbm-fiche-2023.toml")
sim.simulate(sc, 1, 0)

def bare(n):
    env = simpy.Environment()
    def ticker(env):
        while True:
            yield env.timeout(1)
    env.process(ticker(env))
    t0 = time.process_time()
    env.run(until=n)
    return (time.process_time() - t0) / n

t_rep = t_bare = 0.0
for i in range(int(sys.argv[2])):
    t_bare += bare(20_000)
    t0 = time.process_time()
    sim.simulate(sc, 1, i)
    t_rep += time.process_time() - t0
print(t_rep / t_bare)
"""


def bench_replication_baseline(rounds: int, per_round: int, baseline: str) -> None:
    """A fiche replication's cost in bare-loop events, this tree against ``baseline``, each
    measured in its own fresh process (CPU time), the two in turn every round."""
    here: list[float] = []
    base: list[float] = []
    for r in range(rounds):
        for tree, acc in ((str(ROOT), here), (baseline, base)):
            out = subprocess.run(
                [sys.executable, "-c", REPLICATION_CHILD, tree, str(per_round)],
                capture_output=True,
                text=True,
                check=True,
            )
            acc.append(float(out.stdout))
        print(
            f"    round {r + 1}: this tree {here[-1]:,.0f} events, baseline {base[-1]:,.0f}",
            flush=True,
        )
    print("one fiche replication against the baseline, in bare-SimPy-loop events of time:")
    summary("this tree (events)", here, "events", "min")
    summary("baseline (events)", base, "events", "min")
    summary(
        "speed-up (baseline / this tree)",
        [b / a for a, b in zip(here, base, strict=True)],
        "x",
        "max",
        ">= 2x (a replication at half its cost)",
    )


# --------------------------------------------------------------------------------------------
# M/M/c


def mmc_scenario(years: int) -> Any:
    lam_per_year = LOAD * C / SERVICE_DAYS * 365
    return sim.load_scenario(
        None,
        [
            "clause.insertion_rate=0",
            f"scenario.horizon_years={years}",
            "flow.run_out_years=0",
            f"flow.referrals.per_year={lam_per_year}",
            "flow.facilitators.fte=1",
            f"flow.facilitators.caseload_per_fte={C}",
            'flow.facilitators.patience_days="none"',
            f'flow.facilitators.max_parcours_days={{dist="exponential", mean={SERVICE_DAYS}}}',
            'flow.placement.patience_days="none"',
            "flow.preparation.share={rsa=0, under_26=0, ase=0, other=0}",
            "flow.barriers.mobility.share={rsa=0, under_26=0, ase=0, other=0}",
            "flow.barriers.childcare.share={rsa=0, under_26=0, ase=0, other=0}",
        ],
    )


def simpy_mmc(days: float, seed: int) -> int:
    """A hand-written SimPy M/M/c over ``days``: customers arrived."""
    rng = np.random.default_rng(seed)
    lam, mu = LOAD * C / SERVICE_DAYS, 1 / SERVICE_DAYS
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=C)
    count = 0

    def customer(env: simpy.Environment, service: float) -> Any:
        with servers.request() as req:
            yield req
            yield env.timeout(service)

    def source(env: simpy.Environment) -> Any:
        nonlocal count
        while True:
            yield env.timeout(rng.exponential(1 / lam))
            count += 1
            env.process(customer(env, rng.exponential(1 / mu)))

    env.process(source(env))
    env.run(until=days)
    return count


def ciw_mmc(days: float, seed: int) -> int | None:
    """Ciw's M/M/c over ``days``: customers arrived (None without Ciw)."""
    try:
        import ciw
    except ImportError:
        return None
    lam, mu = LOAD * C / SERVICE_DAYS, 1 / SERVICE_DAYS
    net = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=lam)],
        service_distributions=[ciw.dists.Exponential(rate=mu)],
        number_of_servers=[C],
    )
    ciw.seed(seed)
    q = ciw.Simulation(net)
    q.simulate_until_max_time(days)
    served = len(q.get_all_records())
    in_system = sum(len(node.all_individuals) for node in q.transitive_nodes)
    return served + in_system


def bench_mmc(rounds: int, years: int, per_round: int = 3) -> None:
    sc = mmc_scenario(years)
    days = years * 365.0
    sim.simulate(sc, 1, 0)
    has_ciw = ciw_mmc(10.0, 0) is not None
    cost: dict[str, list[float]] = {"model": [], "simpy": [], "ciw": []}  # s per customer
    for r in range(rounds):
        spent = dict.fromkeys(cost, 0.0)
        served = dict.fromkeys(cost, 0)
        for i in range(per_round):  # the three in turn, the same seeds every round
            secs, run = timed(partial(sim.simulate, sc, 1, i))
            spent["model"] += secs
            served["model"] += int(run.totals["referrals"])
            secs, n = timed(partial(simpy_mmc, days, i))
            spent["simpy"] += secs
            served["simpy"] += n
            if has_ciw:
                secs, n = timed(partial(ciw_mmc, days, i))
                spent["ciw"] += secs
                served["ciw"] += n or 0
        line = f"    round {r + 1}:"
        for k in cost:
            if served[k]:
                cost[k].append(spent[k] / served[k])
                line += f" {k} {1 / cost[k][-1]:,.0f}/s"
        print(line, flush=True)
    print(
        f"M/M/c ({C} slots, load {LOAD}, {years} years, ~{served['simpy'] // per_round:,} "
        f"customers a run), customers per second, model / other:"
    )
    ratio("model / hand-written SimPy M/M/c", cost["simpy"], cost["model"], ">= 1.5x")
    if cost["ciw"]:
        ratio("model / Ciw", cost["ciw"], cost["model"], ">= 3x")
    else:
        print("  (Ciw not installed: pip install 'clause-sim[bench]')")


# --------------------------------------------------------------------------------------------
# The default run


def run_defaults() -> tuple[int, int]:
    """Replications and diagnosis replications of `clause-sim run` by default."""
    from sim.cli import build_parser

    args = build_parser().parse_args(["run"])
    return int(args.replications), int(getattr(args, "bottleneck_replications", 0))


def import_seconds(pythonpath: str | None = None) -> float:
    """Wall time of ``import sim.cli`` in a fresh interpreter, less the interpreter's own."""
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    t_bare, _ = timed(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True, env=env))
    t_sim, _ = timed(
        lambda: subprocess.run([sys.executable, "-c", "import sim.cli"], check=True, env=env)
    )
    return max(0.0, t_sim - t_bare)


def run_command(tmp: Path, pythonpath: str | None) -> float:
    """Wall time (s) of the default ``clause-sim run`` (with another source tree on the path)."""
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    out = tmp / ("out-baseline" if pythonpath else "out")  # each tree its own results folder
    cmd = [sys.executable, "-m", "sim", "run", "-o", str(out), "--force", "-q"]
    secs, _ = timed(
        lambda: subprocess.run(cmd, check=True, env=env, cwd=tmp, stdout=subprocess.DEVNULL)
    )
    return secs


def run_phases(tmp: Path, reps: int, diag_reps: int) -> dict[str, float]:
    """Seconds of each phase of the default run, done here as the command does it."""
    from sim import output, parallel
    from sim.analysis.bottleneck import diagnose

    sc = sim.load_scenario()
    from sim.streams import DEFAULT_SEED as seed

    out: dict[str, float] = {"imports": import_seconds()}
    with parallel.executor() as ex:
        out["replications"], runs = timed(lambda: sim.replicate(sc, reps, seed, executor=ex))
        diag: dict[str, Any] = {}
        if diag_reps:
            out["diagnosis"], diag = timed(lambda: diagnose(sc, runs, seed, diag_reps, executor=ex))
    folder = tmp / "phases"
    folder.mkdir(exist_ok=True)
    out["writing"], _ = timed(
        lambda: output.write_results(folder, runs, sc, extra={"bottleneck": diag} if diag else {})
    )
    return out


def bench_run(rounds: int, baseline: str | None, phases_too: bool = True) -> None:
    reps, diag_reps = run_defaults()
    phases: dict[str, list[float]] = {}
    totals: list[float] = []
    base_totals: list[float] = []
    with tempfile.TemporaryDirectory(prefix="clause-sim-bench-") as t:
        tmp = Path(t)
        for r in range(rounds):
            ev = bare_event_seconds()
            got = run_phases(tmp, reps, diag_reps) if phases_too else {}
            for k, v in got.items():
                phases.setdefault(k, []).append(v)
            # the whole command, then the baseline's, in turn
            totals.append(run_command(tmp, None))
            line = f"    round {r + 1}: clause-sim run {totals[-1]:.2f} s"
            if baseline:
                base_totals.append(run_command(tmp, baseline))
                line += f", baseline {base_totals[-1]:.2f} s"
            phase_txt = ", ".join(f"{k} {v:.2f} s" for k, v in got.items())
            print(f"{line}; phases: {phase_txt}; bare loop {ev * 1e6:.2f} us/event", flush=True)
            phases.setdefault("_event", []).append(ev)
    per_event = phases.pop("_event")
    print(
        f"default `clause-sim run` ({reps} replications, diagnosis on {diag_reps}), "
        f"{os.cpu_count()} CPU(s):"
    )
    for k, secs in phases.items():
        summary(f"{k} (s)", secs, "s", "min")
        summary(
            f"{k} (M bare-loop events)",
            [s / e / 1e6 for s, e in zip(secs, per_event, strict=True)],
            "M",
            "min",
        )
    summary("whole command (s)", totals, "s", "min")
    if base_totals:
        ratios = [a / b for a, b in zip(totals, base_totals, strict=True)]
        summary("whole command / baseline", ratios, "x", "min", "<= 0.35x of issue 13's")
        summary("baseline whole command (s)", base_totals, "s", "min")


LARGE_CHILD = """
import json, resource, sys, time
import sim
from sim.scenario import toml_value

factor = {factor}
sc = sim.load_scenario()
f = sc.flow
overrides = [
    f"works[0].dwellings={{sc.works[0].dwellings * factor}}",
    f"flow.referrals.per_year={{toml_value([v * factor for v in f.referrals_per_year])}}",
    f"flow.facilitators.fte={{toml_value([v * factor for v in f.facilitators.fte])}}",
]
overrides += [f"flow.siae.posts.{{t}}={{toml_value(v * factor)}}" for t, v in f.siae_posts.items()]
places = getattr(f.preparation, "places_per_year", None)
if places is not None:
    overrides.append(f"flow.preparation.places_per_year={{toml_value(places * factor)}}")
big = sim.load_scenario(None, overrides)
sim.simulate(sc, 1, 0)
t0 = time.perf_counter()
small = [sim.simulate(sc, 1, i) for i in range(20)]
t_small = time.perf_counter() - t0
t0 = time.perf_counter()
run = sim.simulate(big, 1, 0)
t_big = time.perf_counter() - t0
print(json.dumps({{
    "small_s_per_event": t_small / sum(r.events for r in small),
    "big_s_per_event": t_big / run.events,
    "big_events": run.events,
    "big_s": t_big,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "overrides": overrides,
}}))
"""


def bench_large(rounds: int, factor: int = 100) -> None:
    """A programme scaled x``factor`` (dwellings, referrals, facilitators, posts): time per
    event against the fiche's, timed in turn in one fresh process a round, and peak memory."""
    import json

    big: list[float] = []
    small: list[float] = []
    peaks: list[float] = []
    got: dict[str, Any] = {}
    for r in range(rounds):
        proc = subprocess.run(
            [sys.executable, "-c", LARGE_CHILD.format(factor=factor)],
            check=True,
            capture_output=True,
            text=True,
        )
        got = json.loads(proc.stdout.strip().splitlines()[-1])
        big.append(got["big_s_per_event"])
        small.append(got["small_s_per_event"])
        peaks.append(got["peak_mb"])
        print(
            f"    round {r + 1}: {got['big_events']:,} events in {got['big_s']:.1f} s, "
            f"peak {got['peak_mb']:.0f} MB",
            flush=True,
        )
    print(f"programme x{factor} ({', '.join(got['overrides'])}):")
    ratio("time per event / the fiche's", big, small, "<= 1.5x")
    summary("peak memory of the process (MB)", peaks, "MB", "min", "< 500 MB")


def bench_full(workers: int = 2, n: int = 1000) -> None:
    sc = sim.load_scenario()
    before = load_avg()
    secs, _ = timed(lambda: sim.replicate(sc, n, seed=1, jobs=workers))
    print(
        f"{n:,} fiche replications on {workers} workers: {secs:.1f} s "
        f"(target < 20 s on a quiet 2-core machine; {before} before, {load_avg()} after)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds (at least 5)")
    ap.add_argument("--per-round", type=int, default=5, help="fiche replications a round")
    ap.add_argument("--mmc-years", type=int, default=100, help="M/M/c horizon (years, <= 100)")
    ap.add_argument("--run", action="store_true", help="time the default clause-sim run")
    ap.add_argument("--baseline", default=None, metavar="DIR", help="source tree to compare")
    ap.add_argument("--full", action="store_true", help="1,000 replications on 2 workers")
    ap.add_argument("--large", action="store_true", help="a programme scaled x100")
    ap.add_argument(
        "--skip", nargs="*", default=(), choices=("replication", "mmc", "phases"), help="parts"
    )
    args = ap.parse_args()
    if args.rounds < 5:
        ap.error("--rounds: at least 5 (best of rounds)")
    if args.baseline and not (Path(args.baseline) / "sim" / "__init__.py").is_file():
        ap.error(f"--baseline {args.baseline}: no sim/ package there")
    print(
        f"clause-sim {sim.__version__} benchmark, Python {platform.python_version()}, "
        f"SimPy {simpy.__version__}, {os.cpu_count()} CPU(s), {load_avg()}; "
        f"best of {args.rounds} interleaved rounds; flow model: {model_status()}"
    )
    if "replication" not in args.skip:
        bench_replication(args.rounds, args.per_round)
        if args.baseline:
            bench_replication_baseline(args.rounds, args.per_round, args.baseline)
    if "mmc" not in args.skip:
        bench_mmc(args.rounds, args.mmc_years)
    if args.run:
        bench_run(args.rounds, args.baseline, "phases" not in args.skip)
    if args.large:
        bench_large(args.rounds)
    if args.full:
        bench_full()
    print(f"done; {load_avg()}")


if __name__ == "__main__":
    main()
