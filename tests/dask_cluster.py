"""A real local Dask cluster for tests: a scheduler and two single-threaded workers on
127.0.0.1, started as processes from this environment's ``dask`` console script. In CI (env CI)
a missing dask.distributed is a failure, not a skip. ``scripts/bench_sweep.py`` starts its
cluster with :class:`Cluster` too."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

DASK = Path(sys.executable).parent / "dask"
START_TIMEOUT = 45.0


def need_distributed() -> None:
    import pytest

    try:
        import distributed  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail(
                "dask.distributed is not installed but CI is set: install 'clause-sim[dask]'"
            )
        pytest.skip("dask.distributed is not installed (pip install 'clause-sim[dask]')")
    if not DASK.exists():
        if os.environ.get("CI"):
            pytest.fail(f"no dask console script at {DASK}")
        pytest.skip(f"no dask console script at {DASK}")


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process and its group (the worker's nanny and worker): TERM, then KILL."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


class Cluster:
    """A local Dask cluster: ``scheduler_file``, ``address`` and the worker processes."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.scheduler_file = tmp / "scheduler.json"
        self.procs: list[subprocess.Popen[bytes]] = []
        self.workers: list[subprocess.Popen[bytes]] = []
        self.address = ""

    def _spawn(self, args: list[str], log: str) -> subprocess.Popen[bytes]:
        out = open(self.tmp / log, "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [str(DASK), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=self.tmp,
        )
        out.close()
        self.procs.append(proc)
        return proc

    def start(self) -> None:
        self._spawn(
            [
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(self.scheduler_file),
            ],
            "scheduler.log",
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not self.scheduler_file.exists():
            if time.monotonic() > deadline or self.procs[0].poll() is not None:
                raise RuntimeError(
                    "the Dask scheduler did not start:\n"
                    + (self.tmp / "scheduler.log").read_text()[-2000:]
                )
            time.sleep(0.1)
        for i in range(2):
            self.workers.append(
                self._spawn(
                    [
                        "worker",
                        "--nthreads",
                        "1",
                        "--nworkers",
                        "1",
                        "--no-dashboard",
                        "--host",
                        "127.0.0.1",
                        "--scheduler-file",
                        str(self.scheduler_file),
                    ],
                    f"worker{i}.log",
                )
            )
        from distributed import Client

        with Client(
            scheduler_file=str(self.scheduler_file), timeout="30s", set_as_default=False
        ) as client:
            client.wait_for_workers(2, timeout=START_TIMEOUT)
            self.address = client.scheduler.address
        assert self.address.startswith("tcp://127.0.0.1:")

    def kill_worker(self, i: int) -> None:
        """Kill worker ``i`` and its nanny at once (SIGKILL: a lost worker, no goodbye)."""
        os.killpg(self.workers[i].pid, signal.SIGKILL)
        self.workers[i].wait(timeout=10)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            stop_process(proc)
