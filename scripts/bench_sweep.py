"""Benchmark: sweep throughput (replications per second) on this machine, in one run.

Runs the same small sweep of the shipped fiche scenario (4 points x 20 replications, tasks of
5 replications) three ways and prints replications per second:

* a local pool of 1 worker process,
* a local pool of 2 worker processes,
* a 2-worker ``dask.distributed`` cluster started here on 127.0.0.1 (``dask scheduler`` and two
  ``dask worker --nthreads 1``, Dask's default settings), torn down at the end. The scheduler
  (which unpickles the tasks, hence imports ``sim``) and the workers import the model before the
  clock starts, as on a cluster kept for several sweeps.

``--repeat`` rounds each run every executor once, in turn (interleaved), and each executor's
best round is kept (other processes on the machine only ever slow a round down; interleaving
spreads a busy spell over all executors instead of one).

Targets: 2 workers >= 1.8 x 1 worker; Dask >= 80 % of the local pool at 2 workers. The three
tables must be identical. Usage::

    python scripts/bench_sweep.py [--replications 20] [--points 4] [--batch 5] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import sim.analysis.sweep as sw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from dask_cluster import DASK, Cluster


def sweep_file(folder: Path, points: int, replications: int, batch: int) -> Path:
    posts = [15 + 5 * k for k in range(points)]
    text = (
        f'[sweep]\nname = "bench"\ndesign = "grid"\nreplications = {replications}\n'
        f"seed = 20230612\nbatch = {batch}\n"
        f'outputs = ["hours_realised", "lapsed_share", "positive_exits"]\n'
        f'[sweep.parameters]\n"flow.siae.posts.etti" = {posts}\n'
    )
    path = folder / "bench.toml"
    path.write_text(text, encoding="utf-8")
    return path


def timed(plan: sw.Plan, ex: sw.Executor) -> tuple[float, dict[int, np.ndarray]]:
    """Run every point of ``plan`` on ``ex``; return the wall time (s) and the values."""
    got: dict[int, np.ndarray] = {}
    start = time.perf_counter()
    sw.execute(plan, [p.id for p in plan.points], ex, lambda pid, v: got.__setitem__(pid, v))
    return time.perf_counter() - start, got


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--replications", type=int, default=20, help="per point (default 20)")
    ap.add_argument("--points", type=int, default=4, help="points of the sweep (default 4)")
    ap.add_argument("--batch", type=int, default=5, help="replications per task (default 5)")
    ap.add_argument(
        "--repeat",
        type=int,
        default=5,
        help="interleaved rounds; each executor's best round is kept (default 5)",
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="clause-sim-bench-") as t:
        tmp = Path(t)
        plan = sw.plan(sweep_file(tmp, args.points, args.replications, args.batch))
        reps = len(plan.points) * plan.sweep.replications
        print(
            f"clause-sim sweep benchmark: fiche scenario, {len(plan.points)} points x "
            f"{plan.sweep.replications} replications = {reps} replications a run, tasks of "
            f"{plan.sweep.batch}; best of {args.repeat} rounds; {os.cpu_count()} CPU(s), "
            f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f}"
        )
        times: dict[str, list[float]] = {}
        values: dict[str, dict[int, np.ndarray]] = {}

        def record(name: str, ex: sw.Executor) -> None:
            secs, got = timed(plan, ex)
            times.setdefault(name, []).append(secs)
            values[name] = got

        cluster = Cluster(tmp)
        dask_ex: sw.Executor | None = None
        try:
            if not DASK.exists():
                print(f"(no {DASK}: install clause-sim[dask] for the Dask figure)")
            else:
                cluster.start()  # a scheduler and two workers, both connected
                dask = sw.DaskCluster(str(cluster.scheduler_file))
                dask_ex = dask
                dask.workers, dask.window = 2, 4  # as LocalPool(2)
                # warm the imports (the scheduler unpickles tasks too), as on a cluster kept
                # for several sweeps
                dask.client.run(__import__, "sim.analysis.sweep")
                dask.client.run_on_scheduler(__import__, "sim.analysis.sweep")
            # every round runs each executor once, in turn: a busy spell on the machine slows
            # one round of every executor rather than all rounds of one
            for _ in range(args.repeat):
                for jobs in (1, 2):
                    with sw.LocalPool(jobs) as ex:
                        record(f"local, {jobs} worker(s)", ex)
                if dask_ex is not None:
                    record("dask, 2 workers", dask_ex)
        finally:
            if dask_ex is not None:
                dask_ex.close()
            cluster.stop()
        print(f"\n{'executor':<22}{'best s':>9}{'reps/s':>9}   all rounds (s)")
        rate = {}
        for name, secs in times.items():
            rate[name] = reps / min(secs)
            rounds = " ".join(f"{x:.2f}" for x in secs)
            print(f"{name:<22}{min(secs):>9.2f}{rate[name]:>9.2f}   {rounds}")
        one, two = rate["local, 1 worker(s)"], rate["local, 2 worker(s)"]
        print(
            f"\nspeed-up 2 workers / 1 worker: {two / one:.2f}x (target >= 1.8x): "
            f"{'met' if two / one >= 1.8 else 'NOT met'}"
        )
        if "dask, 2 workers" in rate:
            r = rate["dask, 2 workers"] / two
            print(
                f"Dask / local pool at 2 workers: {100 * r:.0f} % (target >= 80 %): "
                f"{'met' if r >= 0.8 else 'NOT met'}"
            )
        ref = values["local, 1 worker(s)"]
        same = all(
            set(got) == set(ref) and all(np.array_equal(ref[k], got[k]) for k in ref)
            for got in values.values()
        )
        print(f"identical results across executors: {'yes' if same else 'NO'}")
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
