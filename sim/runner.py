"""Monte Carlo replications, in one process or several, with identical results either way.

Replication ``i`` always uses :func:`sim.streams.replication_seed` ``(seed, i)``: the split of the
work into batches and processes changes nothing in the results.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from .errors import ClauseSimError
from .model import simulate
from .results import Run, Runs
from .scenario import Scenario
from .streams import DEFAULT_SEED
from .uncertainty import resolve

LOST_WORKER_RETRIES = 1
"""Times the replications of a worker process that died are run again before a run stops."""
Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each finished batch of replications."""


def default_jobs() -> int:
    """Worker processes by default: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def run_one(scenario: Scenario, seed: int, replication: int) -> Run:
    """Run one replication: the scenario with that replication's draws of its uncertain
    parameters (:func:`sim.uncertainty.resolve`; none unless ``scenario.draws`` is set), then
    the model. Depends only on (scenario, seed, replication): any executor may call it."""
    return simulate(resolve(scenario, seed, replication), seed, replication=replication)


def run_batch(scenario: Scenario, seed: int, replications: Sequence[int]) -> list[Run]:
    """Run the given replication indices of a scenario (the unit of work sent to workers)."""
    return [run_one(scenario, seed, i) for i in replications]


def _batches(indices: Sequence[int], jobs: int) -> list[list[int]]:
    # about 4 batches a worker: balances load while keeping task overhead small
    size = max(1, min(25, len(indices) // (4 * jobs) or 1))
    return [list(indices[k : k + size]) for k in range(0, len(indices), size)]


def run_replications(
    scenario: Scenario,
    seed: int,
    indices: Sequence[int],
    jobs: int = 1,
    progress: Progress | None = None,
) -> list[Run]:
    """Run replications ``indices`` and return them in that order."""
    indices = list(indices)
    total = len(indices)
    if jobs <= 1 or total <= 1:
        runs: list[Run] = []
        for i in indices:
            runs.append(run_one(scenario, seed, i))
            if progress:
                progress(len(runs), total)
        return runs
    by_index: dict[int, Run] = {}
    # fork is fast and safe here (no threads yet) on Linux; elsewhere the platform's default
    ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else None)
    tries: dict[int, int] = {}  # first index of a batch -> times its worker was lost
    todo = _batches(indices, jobs)
    while todo:
        pool = ProcessPoolExecutor(
            max_workers=min(jobs, total),
            mp_context=ctx,
            initializer=die_with_parent,
            initargs=(os.getpid(),),
        )
        lost: list[list[int]] = []
        try:
            pending: dict[Future[list[Run]], list[int]] = {
                pool.submit(run_batch, scenario, seed, b): b for b in todo
            }
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    batch = pending.pop(fut)
                    try:
                        by_index.update(zip(batch, fut.result(), strict=True))
                    except BrokenProcessPool:
                        lost.append(batch)  # its worker died (killed, out of memory)
                        continue
                    if progress:
                        progress(len(by_index), total)
        except BaseException:
            _stop_pool(pool)
            raise
        if lost:
            _stop_pool(pool)
        else:
            pool.shutdown()
        for batch in lost:
            tries[batch[0]] = tries.get(batch[0], 0) + 1
            if tries[batch[0]] > LOST_WORKER_RETRIES:
                raise ClauseSimError(
                    f"a worker process died twice while running replications "
                    f"{batch[0]}-{batch[-1]} (killed, or out of memory?); rerun, perhaps "
                    f"with fewer --jobs"
                )
        todo = lost
    return [by_index[i] for i in indices]


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop a pool's workers now: an interrupted run leaves no process behind."""
    # take the workers before shutdown() forgets them, then stop them
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        proc.terminate()


def die_with_parent(parent: int) -> None:
    """Initializer of worker processes: the worker ends when its parent process does (a
    parent-death signal on Linux, else a watchdog thread), so that a killed run leaves no
    worker behind."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(1, signal.SIGKILL, 0, 0, 0) != 0:  # PR_SET_PDEATHSIG
            raise OSError(ctypes.get_errno(), "prctl")
    except (OSError, AttributeError):
        import threading
        import time

        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(1.0)
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent:  # the parent died before the signal was set
        os._exit(1)


def replicate(
    scenario: Scenario,
    n: int,
    seed: int = DEFAULT_SEED,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> Runs:
    """Run ``n`` replications with ``jobs`` worker processes (default: all cores).

    Results are bit-identical for any ``jobs``. A scenario with uncertain parameters draws
    one parameter set per replication, a Latin hypercube over the ``n`` replications.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    if scenario.uncertainty:
        scenario = scenario.for_replications(n)
    jobs = default_jobs() if jobs is None else max(1, int(jobs))
    runs = run_replications(scenario, seed, range(n), jobs, progress)
    return Runs.from_runs(scenario.name, seed, runs)
