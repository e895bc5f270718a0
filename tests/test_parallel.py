"""The executor (sim.parallel): order, progress, cancellation, errors, lost workers, and results
bit-identical between this process, a process pool and a Dask cluster for run, size and the
bottleneck diagnosis."""

from __future__ import annotations

import json
import os
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sim import jobs, parallel
from sim.analysis import sizing
from sim.analysis.bottleneck import diagnose
from sim.runner import replicate
from sim.scenario import Scenario, load

SMALL = [
    "scenario.horizon_years=2",
    "works[0].dwellings=2000",
    "flow.referrals.per_year=50",
    "flow.siae.posts.etti=2",
]


def _square(x: int) -> int:
    return x * x


def _fail_on_three(x: int) -> int:
    if x == 3:
        raise ValueError("three")
    return x


def _sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def _deaf_to_sigterm(seconds: float) -> float:
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(seconds)
    return seconds


def _die_once(x: int) -> int:
    """Kills its worker process the first time it is called anywhere (a lost worker)."""
    marker = Path(os.environ["CLAUSE_SIM_TEST_MARKER"])
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL)
    except FileExistsError:
        return x + 100
    os.close(fd)
    os._exit(1)


@pytest.fixture(params=["in-process", "pool"])
def local(request: pytest.FixtureRequest) -> Iterator[parallel.Executor]:
    with parallel.executor(1 if request.param == "in-process" else 2) as ex:
        yield ex


def test_executor_picks_by_jobs():
    assert isinstance(parallel.executor(1), parallel.InProcess)
    pool = parallel.executor(3)
    assert isinstance(pool, parallel.LocalPool) and pool.workers == 3
    assert parallel.executor(3, tasks=1).workers == 1  # no idle workers for one task
    pool.close()


def test_map_keeps_order_and_reports_progress(local):
    seen: list[tuple[int, int]] = []
    out = local.map(_square, range(23), progress=lambda d, t: seen.append((d, t)))
    assert out == [x * x for x in range(23)]
    assert seen == [(k, 23) for k in range(1, 24)]
    # imap: every position once, values matching their position
    got = dict(local.imap(_square, [5, 6, 7]))
    assert got == {0: 25, 1: 36, 2: 49}


def test_groups_come_whole_in_task_order(local):
    # groups of 3, 0, 5 and 1 tasks: each group once, its values in its own order
    groups = [[1, 2, 3], [], [4, 5, 6, 7, 8], [9]]
    got = list(local.imap_groups(_square, groups))
    assert sorted(g for g, _ in got) == [0, 1, 2, 3]
    assert dict(got) == {0: [1, 4, 9], 1: [], 2: [16, 25, 36, 49, 64], 3: [81]}


def test_pool_is_kept_between_calls():
    with parallel.LocalPool(2) as ex:
        ex.map(_square, range(4))
        first = ex._pool
        ex.map(_square, range(4))
        assert first is not None and ex._pool is first
    assert ex._pool is None


def test_task_error_propagates_unchanged(local):
    with pytest.raises(ValueError, match="three"):
        local.map(_fail_on_three, range(6))
    assert local.map(_square, [2]) == [4]  # the executor still works afterwards


def test_cancel_stops_before_the_next_task(local):
    flag = threading.Event()
    done: list[int] = []

    def progress(d: int, _t: int) -> None:
        done.append(d)
        if d == 2:
            flag.set()

    with pytest.raises(parallel.Cancelled):
        local.map(_square, range(50), progress=progress, cancel=flag)
    assert 2 <= len(done) < 50


@pytest.mark.parametrize("n", [1, 2])
def test_cancelled_run_leaves_nothing(tmp_path, n):
    flag = threading.Event()
    calls: list[int] = []

    def progress(done: int, _total: int) -> None:
        calls.append(done)
        flag.set()

    with pytest.raises(jobs.Cancelled):
        jobs.run(
            load(None, SMALL),
            tmp_path / "out",
            jobs.Options(replications=40, seed=1, jobs=n, bottleneck_replications=0),
            progress=lambda _stage, done, total: progress(done, total),
            cancel=flag,
        )
    assert calls and calls[-1] < 40
    assert list(tmp_path.iterdir()) == []


def test_lost_worker_is_replaced(tmp_path, monkeypatch):
    monkeypatch.setenv("CLAUSE_SIM_TEST_MARKER", str(tmp_path / "died"))
    with parallel.LocalPool(2) as ex:
        out = ex.map(_die_once, range(6))
        assert ex.retries >= 1
    assert (tmp_path / "died").exists()
    assert out == [x + 100 for x in range(6)]


def test_stop_leaves_no_thread_behind_after_a_half_sent_result():
    # A worker stopped halfway through sending its result leaves, on the pool's result pipe, a
    # length header and part of the bytes it announced. The pool's manager thread reads the
    # header and waits for the rest; the interpreter would wait for that thread at exit (a
    # run interrupted with Ctrl-C hung there). Stopping the pool must end that thread.
    ex = parallel.LocalPool(2)
    ex.submit(_sleep, 60.0)
    pool = ex._pool
    assert pool is not None
    manager = pool._executor_manager_thread
    writer = pool._result_queue._writer
    os.write(writer.fileno(), struct.pack("!i", 1000) + b"x" * 10)
    time.sleep(0.3)  # the thread is now inside the read of the 1,000 bytes
    try:
        assert manager.is_alive()
        ex._stop()
        assert not manager.is_alive()
    finally:
        if manager.is_alive():  # without the fix: end the thread, or pytest waits for it
            writer.close()
            manager.join(timeout=10)


def test_stop_kills_a_worker_that_ignores_sigterm(monkeypatch):
    monkeypatch.setattr(parallel.LocalPool, "stop_wait", 0.5)
    ex = parallel.LocalPool(1)
    ex.submit(_deaf_to_sigterm, 60.0)
    pool = ex._pool
    assert pool is not None
    deadline = time.monotonic() + 10
    while not pool._processes and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # the task has set its handler
    procs = list(pool._processes.values())
    manager = pool._executor_manager_thread
    ex._stop()
    assert procs and not any(p.is_alive() for p in procs)
    assert not manager.is_alive()


def test_batches_cover_indices_in_order():
    for n in (1, 7, 40, 200):
        for w in (1, 2, 5):
            parts = parallel.batches(list(range(n)), w)
            assert [i for p in parts for i in p] == list(range(n))
            assert max(len(p) for p in parts) <= 10


# --------------------------------------------------------------------------------------------
# Same results on every executor


def _everything(ex: parallel.Executor, sc: Scenario, folder: Path) -> dict[str, Any]:
    """run (folder with the diagnosis), size and a diagnosis with another seed, on ``ex``."""
    jobs.run(
        sc, folder, jobs.Options(replications=6, seed=4, bottleneck_replications=4), executor=ex
    )
    files = {
        p.name: p.read_bytes()
        for p in sorted(folder.iterdir())
        if p.suffix == ".csv" or p.name == "summary.json"
    }
    runs = replicate(sc, 5, seed=9, executor=ex)
    other_seed = diagnose(sc, runs, seed=10, replications=3, executor=ex)
    sized = sizing.size(
        sc, "siae.etti", "lapsed_share<=0.08", replications=5, seed=3, executor=ex
    ).to_dict()
    return {"files": files, "diagnosis": other_seed, "size": sized}


@pytest.fixture(scope="module")
def small() -> Scenario:
    return load(None, SMALL)


@pytest.fixture(scope="module")
def in_process(small, tmp_path_factory) -> dict[str, Any]:
    with parallel.InProcess() as ex:
        return _everything(ex, small, tmp_path_factory.mktemp("p") / "run")


def test_in_process_results_are_not_trivial(in_process):
    diag = json.loads(in_process["files"]["summary.json"])["bottleneck"]
    simulated = [c for c in diag["constraints"] if c["hours_gained"] and c["note_en"] is None]
    assert simulated, "no lever was simulated: the comparison would prove nothing"
    assert in_process["size"]["evaluations"] >= 2
    assert {"replications.csv", "yearly.csv", "summary.json"} <= set(in_process["files"])


def test_pool_gives_identical_results(small, tmp_path, in_process):
    with parallel.LocalPool(2) as ex:
        got = _everything(ex, small, tmp_path / "run")
    assert got == in_process


@pytest.mark.dask
def test_dask_gives_identical_results(small, tmp_path, in_process):
    try:
        from distributed import LocalCluster
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("dask.distributed is not installed but CI is set")
        pytest.skip("dask.distributed is not installed (pip install 'clause-sim[dask]')")
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",  # any free port: none is ever taken
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        with parallel.DaskCluster(cluster.scheduler_address) as ex:
            assert ex.workers == 2
            got = _everything(ex, small, tmp_path / "run")
    assert got == in_process
