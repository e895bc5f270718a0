"""The server's runs: one folder each under the data folder, run by the jobs layer in a child
process, at most ``workers`` at once.

Layout of ``DATA/runs/<id>/``::

    job.json         id, kind, status, progress, error, scenario name, seed, replications, dates
    input-0.toml     the scenario as submitted (a comparison has input-1.toml, ...)
    out/             the results folder, written atomically by :mod:`sim.jobs`

``job.json`` is replaced atomically at each change of status. After a restart, finished runs are
listed again; runs that were queued or running are marked failed (interrupted): their ``out/``
was never renamed into place, so nothing half-written is shown.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import secrets
import shutil
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..parallel import default_jobs

STATUSES = ("queued", "running", "done", "failed", "cancelled")
ID_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")
INTERRUPTED = "interrupted: the server stopped during the run"


@dataclass
class Job:
    """What ``GET /api/runs/{id}`` tells about a run (progress in [0, 1])."""

    id: str
    kind: str  # "run" | "compare"
    scenario: str
    seed: int
    replications: int
    lang: str
    bottleneck_replications: int
    created: float
    status: str = "queued"
    progress: float = 0.0
    stage: str = ""
    error: str | None = None
    finished: float | None = None
    labels: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        """The JSON the API returns."""
        return asdict(self)


class _Watch:
    """The cancel flag of a child process: set when asked, or when the server is gone."""

    def __init__(self, cancel: Any, server: int) -> None:
        self.cancel = cancel
        self.server = server

    def is_set(self) -> bool:
        return bool(self.cancel.is_set()) or os.getppid() != self.server


def _child(
    kind: str,
    texts: Sequence[str],
    names: Sequence[str],
    labels: Sequence[str],
    out: str,
    options: dict[str, Any],
    conn: Any,
    cancel: Any,
    server: int,
) -> None:
    """Run one job in a child process; send ``("progress", stage, done, total)`` messages, then
    ``("done",)``, ``("cancelled",)`` or ``("failed", message)``."""
    import signal

    from .. import jobs
    from ..errors import ClauseSimError
    from .scenarios import scenario_from_text

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's: it cancels us
    watch = _Watch(cancel, server)
    try:
        opts = jobs.Options(**options)
        scenarios = [scenario_from_text(t, n) for t, n in zip(texts, names, strict=True)]

        def progress(stage: str, done: int, total: int) -> None:
            conn.send(("progress", stage, done, total))

        if kind == "compare":
            jobs.compare(scenarios, labels, out, opts, progress=progress, cancel=watch)
        else:
            jobs.run(scenarios[0], out, opts, progress=progress, cancel=watch)
        conn.send(("done",))
    except jobs.Cancelled:
        conn.send(("cancelled",))
    except ClauseSimError as exc:
        conn.send(("failed", str(exc)))
    except Exception as exc:  # a bug: one line for the page, never a traceback
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


class Store:
    """The runs under ``data/runs``: create, queue, run, cancel, list, delete."""

    def __init__(self, data: Path, workers: int = 1, jobs_per_run: int | None = None) -> None:
        self.root = Path(data) / "runs"
        self.root.mkdir(parents=True, exist_ok=True)
        self.workers = max(1, int(workers))
        self.jobs_per_run = jobs_per_run or max(1, default_jobs() // self.workers)
        self.lock = threading.Lock()
        self.jobs: dict[str, Job] = {}
        self.cancels: dict[str, Any] = {}
        self.deleted: set[str] = set()
        self.closing = False
        self.ctx = multiprocessing.get_context("spawn")
        self.pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="run")
        self._recover()

    # ----------------------------------------------------------------------------------------
    # folders

    def folder(self, run_id: str) -> Path:
        return self.root / run_id

    def out(self, run_id: str) -> Path:
        """The run's results folder (exists only once the run is done)."""
        return self.folder(run_id) / "out"

    def _save(self, job: Job) -> None:
        folder = self.folder(job.id)
        if not folder.is_dir():
            return
        tmp = folder / f".job.json.tmp-{os.getpid()}-{secrets.token_hex(4)}"
        tmp.write_text(json.dumps(job.public(), ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, folder / "job.json")

    def _recover(self) -> None:
        for folder in sorted(self.root.iterdir()):
            meta = folder / "job.json"
            if not (ID_RE.fullmatch(folder.name) and folder.is_dir() and meta.is_file()):
                continue
            try:
                job = Job(**json.loads(meta.read_text(encoding="utf-8")))
            except (ValueError, TypeError):
                continue
            if job.status in ("queued", "running"):
                job.status, job.error, job.finished = "failed", INTERRUPTED, time.time()
                for stale in folder.glob(".out.*"):  # this run's own temporary folders
                    shutil.rmtree(stale, ignore_errors=True)
                self._save(job)
            if job.status == "done" and not self.out(job.id).is_dir():
                job.status, job.error = "failed", "results folder missing"
            self.jobs[job.id] = job

    # ----------------------------------------------------------------------------------------
    # runs

    def submit(
        self,
        kind: str,
        texts: Sequence[str],
        names: Sequence[str],
        *,
        title: str,
        seed: int,
        replications: int,
        lang: str,
        bottleneck_replications: int,
        labels: Sequence[str] = (),
        sources: Sequence[str] = (),
    ) -> Job:
        """Create the run's folder with its inputs and queue it."""
        run_id = secrets.token_urlsafe(12)
        folder = self.folder(run_id)
        folder.mkdir()
        for k, text in enumerate(texts):
            (folder / f"input-{k}.toml").write_text(text, encoding="utf-8")
        job = Job(
            id=run_id,
            kind=kind,
            scenario=title,
            seed=seed,
            replications=replications,
            lang=lang,
            bottleneck_replications=bottleneck_replications,
            created=time.time(),
            labels=list(labels),
            sources=list(sources),
        )
        with self.lock:
            self.jobs[run_id] = job
            self.cancels[run_id] = self.ctx.Event()
        self._save(job)
        self.pool.submit(self._execute, job, list(texts), list(names))
        return job

    def _execute(self, job: Job, texts: list[str], names: list[str]) -> None:
        try:
            self._simulate(job, texts, names)
        except Exception as exc:  # never leave a run "running" for ever
            job.status, job.error, job.finished = (
                "failed",
                f"{type(exc).__name__}: {exc}",
                time.time(),
            )
            self._save(job)

    def _simulate(self, job: Job, texts: list[str], names: list[str]) -> None:
        from .. import jobs

        cancel = self.cancels.get(job.id)
        if cancel is None or cancel.is_set() or job.id in self.deleted:
            return
        options: dict[str, Any] = {
            "replications": job.replications,
            "seed": job.seed,
            "jobs": self.jobs_per_run,
            "lang": job.lang,
            "bottleneck_replications": job.bottleneck_replications,
        }
        stages = job.labels if job.kind == "compare" else ["replications"]
        tracker = jobs.Tracker(jobs.plan(jobs.Options(**options), stages))
        job.status = "running"
        self._save(job)
        parent, child = self.ctx.Pipe(duplex=False)
        proc = self.ctx.Process(
            target=_child,
            args=(
                job.kind,
                texts,
                names,
                job.labels,
                str(self.out(job.id)),
                options,
                child,
                cancel,
                os.getpid(),
            ),
        )
        proc.start()
        child.close()
        end: tuple[Any, ...] = ("failed", "the simulation process stopped unexpectedly")
        asked_at: float | None = None
        while True:
            if cancel.is_set() and asked_at is None:
                asked_at = time.monotonic()
            if asked_at is not None and time.monotonic() - asked_at > 10 and proc.is_alive():
                proc.terminate()  # did not stop at a batch boundary in time
                end = ("cancelled",)
            try:
                ready = parent.poll(0.2)
            except (EOFError, OSError):
                break
            if not ready:
                if not proc.is_alive() and not parent.poll(0):
                    break
                continue
            try:
                msg = parent.recv()
            except (EOFError, OSError):
                break
            if msg[0] == "progress":
                tracker(msg[1], msg[2], msg[3])
                job.stage, job.progress = msg[1], round(tracker.fraction, 4)
            else:
                end = msg
                break
        proc.join(timeout=30)
        parent.close()
        job.status = end[0]
        job.error = end[1] if len(end) > 1 else None
        if self.closing and job.status == "cancelled":
            job.status, job.error = "failed", INTERRUPTED
        if job.status == "done":
            job.progress = 1.0
        job.finished = time.time()
        if job.id in self.deleted:
            shutil.rmtree(self.folder(job.id), ignore_errors=True)
            return
        self._save(job)

    def get(self, run_id: str) -> Job | None:
        if not ID_RE.fullmatch(run_id):
            return None
        return self.jobs.get(run_id)

    def runs(self) -> list[Job]:
        return sorted(self.jobs.values(), key=lambda j: j.created, reverse=True)

    def cancel_or_delete(self, run_id: str) -> Job | None:
        """Cancel a queued or running run; delete a finished one (its whole folder)."""
        job = self.get(run_id)
        if job is None:
            return None
        if job.status in ("queued", "running"):
            cancel = self.cancels.get(run_id)
            if cancel is not None:
                cancel.set()
            if job.status == "queued":
                job.status, job.finished = "cancelled", time.time()
                self._save(job)
            return job
        with self.lock:
            self.jobs.pop(run_id, None)
            self.deleted.add(run_id)
        shutil.rmtree(self.folder(run_id), ignore_errors=True)
        return job

    def inputs(self, run_id: str) -> list[str]:
        folder = self.folder(run_id)
        return [
            p.read_text(encoding="utf-8")
            for p in sorted(folder.glob("input-*.toml"), key=lambda p: int(p.stem.split("-")[1]))
        ]

    def shutdown(self) -> None:
        """Stop every run and wait for the workers: the runs end failed (interrupted)."""
        self.closing = True
        for job in list(self.jobs.values()):
            if job.status == "queued":
                job.status, job.error, job.finished = "failed", INTERRUPTED, time.time()
                self._save(job)
        for cancel in self.cancels.values():
            cancel.set()
        self.pool.shutdown(wait=True, cancel_futures=True)


def safe_file(root: Path, name: str) -> Path | None:
    """The file ``name`` inside ``root``, or None if it is not a plain file there.

    Refused: empty names, absolute paths, ``..``, hidden parts, backslashes, NUL and any
    symbolic link on the way (nothing outside ``root`` can be reached).
    """
    if not name or "\x00" in name or "\\" in name or name.startswith("/"):
        return None
    parts = name.split("/")
    if not parts or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        return None
    if not root.is_dir() or root.is_symlink():
        return None
    path = root
    for part in parts:
        path = path / part
        if path.is_symlink():
            return None
    if not path.is_file():
        return None
    try:
        path.resolve(strict=True).relative_to(root.resolve(strict=True))
    except (OSError, ValueError):
        return None
    return path
