"""Monte Carlo replications, in one process or several, with identical results either way.

Replication ``i`` always uses :func:`sim.streams.replication_seed` ``(seed, i)``: the split of the
work into batches and processes changes nothing in the results. The work runs on a
:class:`sim.parallel.Executor`: pass one (``executor=``) to share its workers across calls, or
``jobs`` for an executor of this call only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from . import parallel
from .model import simulate
from .parallel import CancelFlag, Executor, batches
from .results import Run, Runs
from .scenario import Scenario
from .streams import DEFAULT_SEED
from .uncertainty import resolve

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each finished batch of replications."""

__all__ = [
    "Progress",
    "replicate",
    "run_batch",
    "run_one",
    "run_replications",
]


def run_one(scenario: Scenario, seed: int, replication: int) -> Run:
    """Run one replication: the scenario with that replication's draws of its uncertain
    parameters (:func:`sim.uncertainty.resolve`; none unless ``scenario.draws`` is set), then
    the model. Depends only on (scenario, seed, replication): any executor may call it."""
    return simulate(resolve(scenario, seed, replication), seed, replication=replication)


def run_batch(scenario: Scenario, seed: int, replications: Sequence[int]) -> list[Run]:
    """Run the given replication indices of a scenario (the unit of work sent to workers)."""
    return [run_one(scenario, seed, i) for i in replications]


def run_replications(
    scenario: Scenario,
    seed: int,
    indices: Sequence[int],
    jobs: int | None = 1,
    progress: Progress | None = None,
    *,
    executor: Executor | None = None,
    cancel: CancelFlag | None = None,
) -> list[Run]:
    """Run replications ``indices`` and return them in that order.

    On ``executor`` if given (``jobs`` is then ignored), else on ``jobs`` worker processes.
    Once ``cancel`` is set, :class:`sim.parallel.Cancelled` is raised.
    """
    indices = list(indices)
    if executor is None:
        with parallel.executor(jobs, tasks=len(indices)) as ex:
            return run_replications(
                scenario, seed, indices, progress=progress, executor=ex, cancel=cancel
            )
    parts = batches(indices, executor.workers)
    total = len(indices)
    out: list[list[Run]] = [[] for _ in parts]
    done = 0
    for k, runs in executor.imap(partial(run_batch, scenario, seed), parts, cancel=cancel):
        out[k] = runs
        done += len(runs)
        if progress:
            progress(done, total)
    return [r for part in out for r in part]


def replicate(
    scenario: Scenario,
    n: int,
    seed: int = DEFAULT_SEED,
    jobs: int | None = None,
    progress: Progress | None = None,
    *,
    executor: Executor | None = None,
    cancel: CancelFlag | None = None,
) -> Runs:
    """Run ``n`` replications with ``jobs`` worker processes (default: all cores), or on
    ``executor`` if given.

    Results are bit-identical for any ``jobs`` and any executor. A scenario with uncertain
    parameters draws one parameter set per replication, a Latin hypercube over the ``n``
    replications.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    if scenario.uncertainty:
        scenario = scenario.for_replications(n)
    runs = run_replications(
        scenario, seed, range(n), jobs, progress, executor=executor, cancel=cancel
    )
    return Runs.from_runs(scenario.name, seed, runs)
