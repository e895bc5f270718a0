"""One executor for every command: this process, a process pool kept for the whole command, or a
``dask.distributed`` cluster.

The API is three calls::

    from sim import parallel
    with parallel.executor(jobs=None, scheduler=None) as ex:   # all cores by default
        out = ex.map(fn, items, progress=cb, cancel=event)        # [fn(item) for item in items]
        for i, value in ex.imap(fn, items): ...                   # (position, fn(item)) as done

* :func:`executor` picks the executor: ``scheduler`` (``tcp://HOST:PORT`` or a scheduler file)
  gives a :class:`DaskCluster`; ``jobs == 1`` runs in this process (:class:`InProcess`); more
  jobs give a :class:`LocalPool` whose worker processes start at the first task and live until
  :meth:`Executor.close` (the end of the ``with`` block), so one command pays for them once.
* :meth:`Executor.map` returns ``[fn(item) for item in items]`` in the order of ``items``;
  :meth:`Executor.imap` yields ``(position, result)`` pairs as tasks finish. ``fn`` must be a
  module-level function (or a :func:`functools.partial` of one) and ``items`` picklable.
* ``progress(done, total)`` is called after each finished item; ``cancel`` is anything with an
  ``is_set()`` method (a :class:`threading.Event`): once set, no new task starts, queued ones are
  dropped and :class:`Cancelled` is raised within about :data:`POLL` seconds (a task already
  running on a worker finishes there, its result unused).
* A task lost with its worker (a killed process, a lost Dask worker) is resubmitted up to
  :data:`MAX_RETRIES` times; an exception raised by ``fn`` itself propagates unchanged.

Results never depend on the executor or the number of workers: each task's randomness comes from
its arguments (seed and replication indices), never from where or when it runs.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import json
import multiprocessing
import os
import re
import signal
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from .errors import ClauseSimError, ScenarioError, escape

MAX_RETRIES = 3
"""How many times a task lost with its worker is resubmitted before giving up."""

POLL = 0.2
"""Seconds between checks of the ``cancel`` flag while waiting for tasks."""

WORKER_TIMEOUT = 120.0
"""Seconds a Dask cluster may have no worker before the work stops (``--worker-timeout``)."""

DASK_HINT = "pip install 'clause-sim[dask]'"
"""How to install dask.distributed, as error messages say it."""

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)``."""


class CancelFlag(Protocol):
    """What ``cancel`` must offer: a :class:`threading.Event` does."""

    def is_set(self) -> bool: ...


class ExecutorError(ClauseSimError):
    """The executor cannot run the work (unreachable cluster, work lost too many times)."""


class Cancelled(Exception):
    """Raised by :meth:`Executor.map` and :meth:`Executor.imap` once ``cancel`` is set."""


class Lost(Exception):
    """A task was lost with its worker: resubmit it."""


def default_jobs() -> int:
    """Worker processes by default: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


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

        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(1.0)
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent:  # the parent died before the signal was set
        os._exit(1)


class Executor:
    """Where tasks run. Use :meth:`map` or :meth:`imap`; :meth:`close` (or a ``with`` block)
    releases the workers.

    Subclasses implement ``submit``, ``wait``, ``result`` and ``close``.
    """

    workers = 1
    """Tasks that run at the same time."""
    window = 1
    """Tasks in flight at most (submitted, not yet collected)."""
    label = "executor"
    label_fr = "exécuteur"

    # -- what subclasses implement ---------------------------------------------------------
    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Start ``fn(*args)``; return a future."""
        raise NotImplementedError

    def wait(self, futures: Sequence[Any], timeout: float | None = None) -> list[Any]:
        """Some finished futures among ``futures`` (possibly none after ``timeout`` s)."""
        raise NotImplementedError

    def result(self, future: Any) -> Any:
        """The value of a finished future; raises :class:`Lost` if its worker was lost."""
        raise NotImplementedError

    def drop(self, futures: Sequence[Any]) -> None:
        """Cancel futures not needed any more (best effort)."""
        for f in futures:
            f.cancel()

    def close(self, error: bool = False) -> None:
        """Release the workers (``error``: stop them now)."""

    # -- the API ---------------------------------------------------------------------------
    def imap(
        self,
        fn: Callable[[Any], Any],
        items: Iterable[Any],
        *,
        progress: Progress | None = None,
        cancel: CancelFlag | None = None,
    ) -> Iterator[tuple[int, Any]]:
        """Yield ``(position, fn(item))`` for every item, as tasks finish.

        At most :attr:`window` tasks are in flight, taken in the order of ``items``, so results
        arrive roughly in order.
        """
        todo = list(items)
        total = len(todo)
        queue: deque[int] = deque(range(total))
        pending: dict[Any, int] = {}
        tries: Counter[int] = Counter()
        done = 0
        timeout = POLL if cancel is not None else None
        try:
            while queue or pending:
                if cancel is not None and cancel.is_set():
                    raise Cancelled()
                while queue and len(pending) < max(1, self.window):
                    k = queue.popleft()
                    pending[self.submit(fn, todo[k])] = k
                    if cancel is not None and cancel.is_set():
                        raise Cancelled()
                for fut in self.wait(list(pending), timeout):
                    k = pending.pop(fut)
                    try:
                        value = self.result(fut)
                    except Lost as exc:
                        tries[k] += 1
                        self.retries += 1
                        if tries[k] > MAX_RETRIES:
                            raise ExecutorError(
                                f"the same task lost its worker {MAX_RETRIES + 1} times (killed, "
                                f"or out of memory?): {exc}; rerun, perhaps with fewer --jobs"
                            ) from None
                        queue.appendleft(k)
                        continue
                    done += 1
                    if progress is not None:
                        progress(done, total)
                    yield k, value
        finally:
            if pending:
                self.drop(list(pending))

    def map(
        self,
        fn: Callable[[Any], Any],
        items: Iterable[Any],
        *,
        progress: Progress | None = None,
        cancel: CancelFlag | None = None,
    ) -> list[Any]:
        """``[fn(item) for item in items]``, run on the workers, in the order of ``items``."""
        todo = list(items)
        out: list[Any] = [None] * len(todo)
        for k, value in self.imap(fn, todo, progress=progress, cancel=cancel):
            out[k] = value
        return out

    def imap_groups(
        self,
        fn: Callable[[Any], Any],
        groups: Sequence[Sequence[Any]],
        *,
        cancel: CancelFlag | None = None,
    ) -> Iterator[tuple[int, list[Any]]]:
        """Yield ``(g, [fn(task) for task in groups[g]])`` for every group, as soon as all its
        tasks are done; every task of every group is submitted through one :meth:`imap` (a
        group: the batches of replications of one scenario)."""
        where = [(g, j) for g, tasks in enumerate(groups) for j in range(len(tasks))]
        values: list[list[Any]] = [[None] * len(tasks) for tasks in groups]
        left = [len(tasks) for tasks in groups]
        for g, n in enumerate(left):
            if not n:
                yield g, []
        for k, value in self.imap(fn, [t for tasks in groups for t in tasks], cancel=cancel):
            g, j = where[k]
            values[g][j] = value
            left[g] -= 1
            if not left[g]:
                done, values[g] = values[g], []
                yield g, done

    retries = 0
    """Tasks resubmitted so far after a lost worker."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(error=exc_type is not None)


class InProcess(Executor):
    """Runs each task in this process, when submitted."""

    label = "this process"
    label_fr = "ce processus"

    def submit(self, fn: Callable[..., Any], *args: Any) -> cf.Future[Any]:
        fut: cf.Future[Any] = cf.Future()
        fut.set_result(fn(*args))
        return fut

    def wait(self, futures: Sequence[Any], timeout: float | None = None) -> list[Any]:
        return list(futures)

    def result(self, future: Any) -> Any:
        return future.result()


class LocalPool(Executor):
    """Worker processes on this machine (fork on Linux), started at the first task and kept
    until :meth:`close`; restarted if one dies."""

    stop_wait = 5.0
    """Seconds a stop waits for each worker to end after SIGTERM, then after SIGKILL."""

    def __init__(self, jobs: int, start_method: str | None = None) -> None:
        self.workers = max(1, int(jobs))
        self.window = 2 * self.workers
        self.label = f"local pool of {self.workers} worker process(es)"
        self.label_fr = f"{self.workers} processus locaux"
        if start_method is None:
            # fork is fast and safe here on Linux; elsewhere the platform's default
            start_method = "fork" if sys.platform.startswith("linux") else None
        self._ctx = multiprocessing.get_context(start_method)
        self._pool: cf.ProcessPoolExecutor | None = None

    def _get(self) -> cf.ProcessPoolExecutor:
        if self._pool is None:
            self._pool = cf.ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=self._ctx,
                initializer=die_with_parent,
                initargs=(os.getpid(),),
            )
        return self._pool

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return self._get().submit(fn, *args)
        except cf.process.BrokenProcessPool:
            self._stop()
            return self._get().submit(fn, *args)

    def wait(self, futures: Sequence[Any], timeout: float | None = None) -> list[Any]:
        done, _ = cf.wait(futures, timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return list(done)

    def result(self, future: Any) -> Any:
        try:
            return future.result()
        except cf.process.BrokenProcessPool as exc:
            raise Lost(str(exc) or "a worker process died") from exc

    def _stop(self) -> None:
        """Stop the workers now; the next task starts new ones."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        # take the workers, the pool's manager thread and its result pipe before shutdown()
        # forgets them, then stop the workers: nothing is left behind
        procs = list((getattr(pool, "_processes", None) or {}).values())
        manager = getattr(pool, "_executor_manager_thread", None)
        results = getattr(pool, "_result_queue", None)
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.join(timeout=self.stop_wait)
            if proc.is_alive():  # a task that holds off SIGTERM: SIGKILL cannot be
                proc.kill()
                proc.join(timeout=self.stop_wait)
        # A worker stopped halfway through sending a result leaves the manager thread waiting
        # for the rest of it, and the interpreter would wait for that thread at exit. With
        # every worker gone, closing this end of the pipe turns the wait into end-of-file; the
        # thread then closes its wake-up pipe itself, before the interpreter's exit hook
        # could write to it while it is being closed.
        writer = getattr(results, "_writer", None)
        if writer is not None and not any(proc.is_alive() for proc in procs):
            writer.close()
        if manager is not None:
            manager.join(timeout=self.stop_wait)

    def close(self, error: bool = False) -> None:
        if error:
            self._stop()
        elif self._pool is not None:
            self._pool.shutdown()
            self._pool = None


_SCHEMES = ("tcp", "tls", "ws", "wss", "inproc", "ucx")


def check_scheduler(address: str) -> str:
    """Check ``--scheduler`` before anything is started: ``tcp://HOST:PORT`` (or ``HOST:PORT``)
    or a scheduler file (JSON with an ``address``). Returns it; a one-line error otherwise."""
    from urllib.parse import urlsplit

    from .scenario import read_text

    shown = escape(address)
    if "://" in address:
        try:
            parts = urlsplit(address)
            port = parts.port
        except ValueError:
            port = None
            parts = None
        if parts is None or parts.scheme not in _SCHEMES or not parts.hostname or port is None:
            raise ExecutorError(
                f"--scheduler {shown}: expected tcp://HOST:PORT or a scheduler file"
            )
        return address
    if os.path.lexists(address):
        try:
            data = json.loads(read_text(address, "scheduler file", 1024 * 1024))
        except ScenarioError as exc:
            raise ExecutorError(f"--scheduler {escape(exc)}") from None
        except (ValueError, RecursionError):
            raise ExecutorError(
                f"--scheduler {shown}: not a Dask scheduler file (JSON with an address)"
            ) from None
        inner = data.get("address") if isinstance(data, dict) else None
        if not isinstance(inner, str) or "://" not in inner:
            raise ExecutorError(
                f"--scheduler {shown}: not a Dask scheduler file (no tcp:// address in it)"
            )
        check_scheduler(inner)
        return address
    if re.fullmatch(r"[A-Za-z0-9.\-]+:\d{1,5}", address):
        return address
    raise ExecutorError(f"--scheduler {shown}: expected tcp://HOST:PORT or a scheduler file")


class DaskCluster(Executor):
    """An existing ``dask.distributed`` cluster, by address (``tcp://HOST:PORT``) or scheduler
    file (a JSON file written by ``dask scheduler --scheduler-file``).

    A lost scheduler, or no worker at all for ``worker_timeout`` seconds, raises
    :class:`ExecutorError` (one line)."""

    poll = 2.0
    """Seconds between checks of the cluster while waiting for tasks."""

    def __init__(
        self, address: str, timeout: float = 20.0, worker_timeout: float | None = None
    ) -> None:
        import asyncio

        check_scheduler(address)
        try:
            import distributed
        except ImportError:
            raise ExecutorError(f"--scheduler needs dask.distributed: {DASK_HINT}") from None
        from distributed.comm.core import CommClosedError
        from distributed.scheduler import KilledWorker

        self._distributed = distributed
        self._lost: tuple[type[BaseException], ...] = (
            KilledWorker,
            CommClosedError,
            cf.CancelledError,
            asyncio.CancelledError,
        )
        self.worker_timeout = WORKER_TIMEOUT if worker_timeout is None else worker_timeout
        self._no_workers_since: float | None = None
        self.address = address
        kwargs: dict[str, Any] = {"timeout": f"{timeout}s", "set_as_default": False}
        try:
            if Path(address).is_file():
                self.client = distributed.Client(scheduler_file=address, **kwargs)
            else:
                self.client = distributed.Client(address, **kwargs)
            threads = sum(self.client.nthreads().values())
            address = self.client.scheduler.address
        except Exception as exc:
            raise ExecutorError(
                f"--scheduler {escape(address)}: cannot reach the Dask scheduler "
                f"({type(exc).__name__}: {escape(exc)})"
            ) from None
        self.address = address
        self.workers = max(1, threads)
        self.window = max(4, 2 * threads)
        self.label = f"Dask cluster at {address} ({threads} thread(s))"
        self.label_fr = f"grappe Dask {address} ({threads} fil(s) d'exécution)"

    def _scheduler_lost(self, exc: BaseException | None = None) -> ExecutorError:
        why = f" ({type(exc).__name__})" if exc is not None else ""
        return ExecutorError(f"lost the Dask scheduler at {escape(self.address)}{why}")

    def _check_cluster(self) -> None:
        """Raise if the scheduler is gone, or if no worker has been there for too long."""
        if self.client.status not in ("running", "connecting", "newly-created"):
            raise self._scheduler_lost()
        try:
            workers = len(self.client.nthreads())
        except Exception as exc:
            raise self._scheduler_lost(exc) from None
        now = time.monotonic()
        if workers:
            self._no_workers_since = None
        elif self._no_workers_since is None:
            self._no_workers_since = now
        elif now - self._no_workers_since > self.worker_timeout:
            raise ExecutorError(
                f"no Dask worker at {escape(self.address)} for {self.worker_timeout:g} s"
            )

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return self.client.submit(fn, *args, pure=False)
        except Exception as exc:
            raise self._scheduler_lost(exc) from None

    def wait(self, futures: Sequence[Any], timeout: float | None = None) -> list[Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            step = self.poll
            if deadline is not None:
                step = max(0.0, min(step, deadline - time.monotonic()))
            try:
                with self.client.as_current():
                    done, _ = self._distributed.wait(
                        list(futures), timeout=step, return_when="FIRST_COMPLETED"
                    )
            except TimeoutError:
                done = set()
            except Exception as exc:
                raise self._scheduler_lost(exc) from None
            if done:
                return list(done)
            self._check_cluster()
            if deadline is not None and time.monotonic() >= deadline:
                return []

    def result(self, future: Any) -> Any:
        # A finished task whose worker dies before its result is gathered is computed again:
        # wait for it in steps, checking the cluster, so that no worker at all ends the wait.
        while True:
            try:
                return future.result(timeout=self.poll)
            except self._lost as exc:
                self._check_cluster()
                raise Lost(f"{type(exc).__name__}: {escape(exc)}") from None
            except TimeoutError:
                self._check_cluster()
            except OSError as exc:
                raise self._scheduler_lost(exc) from None

    def close(self, error: bool = False) -> None:
        with contextlib.suppress(Exception):
            self.client.close(timeout=5)


MAX_WORKERS = 4 * (os.cpu_count() or 1)
"""Most worker processes a local pool starts (more only compete for the same cores)."""


def executor(
    jobs: int | None = None,
    scheduler: str | None = None,
    tasks: int | None = None,
    worker_timeout: float | None = None,
) -> Executor:
    """The executor for ``--scheduler`` (Dask) or ``--jobs`` (default all cores; 1: this
    process). ``tasks``, when known, caps the pool's size (no idle workers);
    ``worker_timeout``: seconds a Dask cluster may have no worker."""
    if scheduler:
        return DaskCluster(scheduler, worker_timeout=worker_timeout)
    jobs = default_jobs() if jobs is None else max(1, int(jobs))
    jobs = min(jobs, MAX_WORKERS)  # -j 1000000 must not fork a million processes
    if tasks is not None:
        jobs = min(jobs, max(1, int(tasks)))
    return InProcess() if jobs == 1 else LocalPool(jobs)


def batches(indices: Sequence[int], workers: int, most: int = 10) -> list[list[int]]:
    """Split ``indices`` into about 4 batches a worker, at most ``most`` long (load balance
    against task overhead); the split never changes any result."""
    n = len(indices)
    size = max(1, min(most, n // (4 * max(1, workers)) or 1))
    return [list(indices[k : k + size]) for k in range(0, n, size)]


__all__ = [
    "DASK_HINT",
    "MAX_RETRIES",
    "WORKER_TIMEOUT",
    "CancelFlag",
    "Cancelled",
    "DaskCluster",
    "Executor",
    "ExecutorError",
    "InProcess",
    "LocalPool",
    "Lost",
    "Progress",
    "batches",
    "check_scheduler",
    "default_jobs",
    "die_with_parent",
    "executor",
]
