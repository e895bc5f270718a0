"""Benchmark of the flow model on the fiche scenario (prints figures; not a test).

    python scripts/bench.py            # model vs bare SimPy loop, 1 and 200 replications
    python scripts/bench.py --full     # also 1,000 replications with 2 jobs

Targets (issue 3): model throughput >= 40 % of a bare SimPy loop's events per second; one
fiche replication < 0.5 s; 1,000 replications < 60 s with 2 jobs.
"""

from __future__ import annotations

import argparse
import statistics
import time

import simpy

import sim
from sim.model import simulate
from sim.runner import replicate


def bare_loop_events_per_second(n: int = 300_000) -> float:
    """Events per second of a bare SimPy process yielding unit timeouts."""
    env = simpy.Environment()

    def ticker(env: simpy.Environment):
        while True:
            yield env.timeout(1)

    env.process(ticker(env))
    t0 = time.perf_counter()
    env.run(until=n)
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--full", action="store_true", help="also time 1,000 replications, 2 jobs")
    ap.add_argument("--reps", type=int, default=200)
    args = ap.parse_args()
    sc = sim.load_scenario()
    simulate(sc, 0)  # warm up imports and caches

    bare = statistics.median(bare_loop_events_per_second() for _ in range(3))
    times, events = [], 0
    for i in range(15):
        t0 = time.perf_counter()
        run = simulate(sc, 1, replication=i)
        times.append(time.perf_counter() - t0)
        events += run.events
    model = events / sum(times)
    print(f"bare SimPy loop         : {bare:12,.0f} events/s")
    print(
        f"model (fiche scenario)  : {model:12,.0f} events/s  "
        f"({model / bare:.0%} of bare; target 40 %)  {events / len(times):,.0f} events/rep"
    )
    one = statistics.median(times)
    print(f"one replication         : {one:12.3f} s   (median of {len(times)}; target < 0.5 s)")
    for jobs in (1, 2):
        t0 = time.perf_counter()
        replicate(sc, args.reps, seed=1, jobs=jobs)
        print(f"{args.reps} replications, jobs={jobs}: {time.perf_counter() - t0:8.2f} s")
    if args.full:
        t0 = time.perf_counter()
        replicate(sc, 1000, seed=1, jobs=2)
        print(f"1000 replications, jobs=2: {time.perf_counter() - t0:7.2f} s   (target < 60 s)")


if __name__ == "__main__":
    main()
