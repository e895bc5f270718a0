"""Jobs: a scenario and options -> a results folder, with progress, cancellation and one atomic
write. The command line (``run``, ``compare``, ``size``, ``sweep``) and the web server
(:mod:`sim.web`) both go through this module; :mod:`sim.output` only writes files.

- **Progress**: ``progress(stage, done, total)`` is called after each batch of replications
  (stage ``"replications"``, or a scenario's label in a comparison), after each lever of the
  bottleneck diagnosis (``"bottleneck"``) and around the writing (``"writing"``).
- **Cancellation**: ``cancel`` is anything with ``is_set()`` (a :class:`threading.Event`, a
  :class:`multiprocessing.Event`); it is checked between batches, and a set one raises
  :class:`Cancelled`. The results folder is then left as it was (nothing half-written).
- **Atomic write**: :func:`sim.output.atomic_folder`; the folder appears complete or not at all.
- **Terminal**: :func:`in_terminal` draws one progress bar a stage on stderr and turns SIGTERM
  and Ctrl-C into a clean stop (:class:`Stopped`, exit codes 143 and 130) after the cleanup.

Workers: each job runs on one executor (:mod:`sim.parallel`) for all its replications and
every lever of its diagnosis: ``jobs`` local worker processes kept for the whole job, or the Dask
cluster ``scheduler`` (results do not depend on it).
"""

from __future__ import annotations

import math
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from .parallel import CancelFlag, Cancelled  # one cancellation, whoever notices it
from .streams import DEFAULT_SEED

if TYPE_CHECKING:
    from .scenario import Scenario

T = TypeVar("T")

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: ``done`` of ``total`` units of a stage are finished."""

MAX_REPLICATIONS = 10_000
"""Most replications a job may ask for (the web API refuses more)."""


class Terminated(BaseException):
    """Raised in the main process on SIGTERM so that ``finally`` blocks clean up."""


class Stopped(Exception):
    """A terminal job stopped by a signal: ``code`` is the exit code, ``message`` one line."""

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Options:
    """How to run a scenario (see ``clause-sim run --help``).

    Parameters
    ----------
    replications : Monte Carlo replications (1 .. :data:`MAX_REPLICATIONS`)
    seed : root random seed
    jobs : worker processes (None: the cores available); results do not depend on it
    scheduler : a Dask cluster (``tcp://HOST:PORT`` or a scheduler file) instead of ``jobs``
    lang : language of the report, figures and summary ("fr" or "en")
    force : replace an existing results folder (only at the very end)
    overrides : the ``KEY=VALUE`` overrides already applied, recorded in the results
    bottleneck_replications : replications of the bottleneck diagnosis (0: skip it)
    extra : merged into ``summary.json``
    observed : rows of an observed-data file (:mod:`sim.observed`), compared and drawn
    """

    replications: int = 200
    seed: int = DEFAULT_SEED
    jobs: int | None = None
    scheduler: str | None = None
    lang: str = "fr"
    force: bool = False
    overrides: tuple[str, ...] = ()
    bottleneck_replications: int = 20
    extra: Mapping[str, Any] = field(default_factory=dict)
    observed: tuple[Any, ...] = ()


def check_size(
    scenario: Scenario, replications: int, bottleneck: int, max_work: float | None = None
) -> None:
    """Refuse a run too large for the work ceiling (:mod:`sim.limits`) before any work: its
    replications and the diagnosis's (``bottleneck`` a lever, at most ``replications``)."""
    from . import limits
    from .analysis.bottleneck import CONSTRAINTS

    m = min(bottleneck, replications)
    limits.check_work(
        limits.units_per_replication(scenario), replications + m * len(CONSTRAINTS), max_work
    )


def _stage(progress: Progress | None, cancel: CancelFlag | None, stage: str) -> Any:
    """A runner-style ``progress(done, total)`` that checks ``cancel`` and reports ``stage``."""

    def on(done: int, total: int) -> None:
        check(cancel)
        if progress is not None:
            progress(stage, done, total)

    return on


def check(cancel: CancelFlag | None) -> None:
    """Raise :class:`Cancelled` if ``cancel`` is set."""
    if cancel is not None and cancel.is_set():
        raise Cancelled()


def run(
    scenario: Scenario,
    target: str | Path,
    options: Options | None = None,
    *,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
    executor: Any = None,
) -> dict[str, Any]:
    """Run the replications of ``scenario`` (and the bottleneck diagnosis) and write its results
    folder at ``target`` atomically; return the summary (``summary.json``). Everything runs on
    ``executor`` (a :class:`sim.parallel.Executor`) if given, else on one executor of
    ``options.jobs`` / ``options.scheduler`` kept for the whole job."""
    from . import output, parallel
    from .runner import replicate

    options = Options() if options is None else options
    check(cancel)
    output.check_target(Path(target), options.force)  # before any work
    with (
        nullcontext(executor)
        if executor is not None
        else parallel.executor(options.jobs, options.scheduler) as executor,
        output.atomic_folder(target, options.force) as tmp,
    ):
        output.write_scenario(
            tmp, scenario, options.overrides, options.seed, options.replications, options.lang
        )
        runs = replicate(
            scenario,
            options.replications,
            options.seed,
            progress=_stage(progress, cancel, "replications"),
            executor=executor,
        )
        check(cancel)
        more = dict(options.extra)
        drawn = None
        if options.bottleneck_replications > 0:
            # the diagnosis runs on the executor's workers while this process draws the figures
            more["bottleneck"], drawn = _diagnose_while(
                lambda: output.write_figures(
                    tmp, runs, scenario, lang=options.lang, observed=options.observed
                ),
                scenario,
                runs,
                options,
                progress,
                cancel,
                executor,
            )
        check(cancel)
        if progress is not None:
            progress("writing", 0, 1)
        summary = output.write_results(
            tmp,
            runs,
            scenario,
            lang=options.lang,
            extra={"overrides": list(options.overrides), **more},
            observed=options.observed,
            drawn=drawn,
        )
    if progress is not None:
        progress("writing", 1, 1)
    return summary


class _Either:
    """Set when either flag is set (the caller's cancel flag, or a local stop)."""

    def __init__(self, *flags: CancelFlag | None) -> None:
        self.flags = [f for f in flags if f is not None]

    def is_set(self) -> bool:
        return any(f.is_set() for f in self.flags)


def _diagnose_while(
    work: Callable[[], T],
    scenario: Scenario,
    runs: Any,
    options: Options,
    progress: Progress | None,
    cancel: CancelFlag | None,
    executor: Any,
) -> tuple[dict[str, Any], T]:
    """The bottleneck diagnosis, run from a helper thread (its replications go to ``executor``)
    while ``work()`` runs here; both results. If either fails, the other is stopped."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from .analysis.bottleneck import diagnose

    stop = threading.Event()
    either = _Either(cancel, stop)
    with ThreadPoolExecutor(1, thread_name_prefix="clause-sim-diagnosis") as pool:
        fut = pool.submit(
            diagnose,
            scenario,
            runs,
            options.seed,
            options.bottleneck_replications,
            progress=_stage(progress, either, "bottleneck"),
            executor=executor,
            cancel=either,
        )
        try:
            done = work()
        except BaseException:
            stop.set()
            raise
        try:
            return fut.result(), done
        except BaseException:
            stop.set()
            raise


def compare(
    scenarios: Sequence[Scenario],
    labels: Sequence[str],
    target: str | Path,
    options: Options | None = None,
    *,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> list[dict[str, Any]]:
    """Run every scenario with the same seed (common random numbers) and write the comparison
    folder (:func:`sim.analysis.compare.write_comparison`) atomically; return its rows.
    Progress stages are the scenarios' labels, then ``"writing"``."""
    from . import output, parallel
    from .analysis.compare import write_comparison
    from .errors import ClauseSimError
    from .runner import replicate

    if len(scenarios) < 2:
        raise ClauseSimError("compare needs at least two scenarios")
    options = Options() if options is None else options
    check(cancel)
    output.check_target(Path(target), options.force)
    with (
        parallel.executor(options.jobs, options.scheduler) as ex,
        output.atomic_folder(target, options.force) as tmp,
    ):
        runs_list = [
            replicate(
                sc,
                options.replications,
                options.seed,
                progress=_stage(progress, cancel, labels[k]),
                executor=ex,
            )
            for k, sc in enumerate(scenarios)
        ]
        check(cancel)
        if progress is not None:
            progress("writing", 0, 1)
        rows = write_comparison(
            tmp, scenarios, runs_list, labels, lang=options.lang, overrides=options.overrides
        )
    if progress is not None:
        progress("writing", 1, 1)
    return rows


def plan(options: Options, stages: Sequence[str] = ("replications",)) -> dict[str, float]:
    """Weights of the stages of a job in its overall progress (they sum to 1).

    A replication of the bottleneck diagnosis costs about as much as one of the run and runs
    once for each of about 7 levers; writing (figures, report) costs about 8 replications.
    """
    w = {s: float(options.replications) for s in stages}
    if options.bottleneck_replications > 0 and list(stages) == ["replications"]:
        w["bottleneck"] = 7.0 * min(options.bottleneck_replications, options.replications)
    w["writing"] = 8.0 * len(stages)
    total = sum(w.values())
    return {s: v / total for s, v in w.items()}


class Tracker:
    """Overall progress in [0, 1] of a job from its ``progress(stage, done, total)`` calls."""

    def __init__(self, weights: Mapping[str, float]) -> None:
        self.weights = dict(weights)
        self.parts: dict[str, float] = {}
        self.stage = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.stage = stage
        self.parts[stage] = done / total if total else 1.0

    @property
    def fraction(self) -> float:
        """Share of the work done, 0 .. 1."""
        f = sum(self.weights.get(s, 0.0) * v for s, v in self.parts.items())
        return max(0.0, min(1.0, f))


# --------------------------------------------------------------------------------------------
# Terminal: progress bars on stderr, signals turned into a clean stop


class ProgressBar:
    """A one-line progress bar on a terminal (``progress(done, total)``), throttled.

    Draws nothing unless ``enabled`` (default: the stream is a terminal).
    """

    def __init__(
        self,
        label: str,
        stream: TextIO | None = None,
        enabled: bool | None = None,
        width: int = 30,
        min_interval: float = 0.1,
    ) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.label = label
        self.width = width
        self.min_interval = min_interval
        self.start = time.monotonic()
        self._last = -math.inf
        self._drawn = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if done < total and now - self._last < self.min_interval:
            return
        self._last = now
        frac = done / total if total else 1.0
        full = round(frac * self.width)
        elapsed = now - self.start
        eta = elapsed * (total - done) / done if done else math.nan
        eta_txt = "" if math.isnan(eta) or done >= total else f", ~{_clock(eta)} left"
        self.stream.write(
            f"\r{self.label} [{'#' * full}{'.' * (self.width - full)}] "
            f"{done}/{total} {frac:4.0%} {_clock(elapsed)}{eta_txt}\x1b[K"
        )
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """End the line if anything was drawn."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 60}:{s % 60:02d}"


class Bars:
    """A :data:`Progress` that draws one :class:`ProgressBar` a stage (the writing stage has
    none); each bar's line ends when the next stage starts or on :meth:`close`."""

    def __init__(self, quiet: bool = False, stream: TextIO | None = None) -> None:
        self.quiet = quiet
        self.stream = stream
        self.bars: dict[str, ProgressBar] = {}
        self.current: ProgressBar | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage == "writing":
            self.close()
            return
        bar = self.bars.get(stage)
        if bar is None:
            self.close()
            bar = self.bars[stage] = ProgressBar(
                stage, self.stream, enabled=False if self.quiet else None
            )
        self.current = bar
        bar(done, total)

    def close(self) -> None:
        if self.current is not None:
            self.current.close()
            self.current = None


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` (and SIGINT KeyboardInterrupt) in
    this process, so that cleanup runs in ``finally`` blocks; worker processes forked meanwhile
    exit at once on SIGTERM instead.

    Whatever exception such a signal ends up propagating (cleanup code may fail on the way)
    leaves the block as :class:`Terminated` or KeyboardInterrupt, and worker processes still
    alive are terminated. A second SIGTERM kills at once (default action). The previous
    handlers are restored on exit. Outside the main thread it does nothing.
    """
    import multiprocessing
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    owner = os.getpid()
    hit: type[BaseException] | None = None

    def on_term(signum: int, _frame: Any) -> None:
        nonlocal hit
        if os.getpid() != owner:  # a forked worker: leave now, the parent cleans up
            os._exit(128 + signum)
        hit = Terminated
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise Terminated()

    def on_int(_signum: int, _frame: Any) -> None:
        nonlocal hit
        if os.getpid() == owner:
            hit = hit or KeyboardInterrupt
        raise KeyboardInterrupt()

    previous_term = signal.signal(signal.SIGTERM, on_term)
    previous_int = signal.signal(signal.SIGINT, on_int)
    try:
        yield
    except BaseException as exc:
        if hit is not None and not isinstance(exc, hit):
            raise hit() from exc
        raise
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        signal.signal(signal.SIGINT, previous_int)
        if hit is not None:
            for child in multiprocessing.active_children():
                child.terminate()


def in_terminal(work: Callable[[Progress], T], *, quiet: bool = False, left: str = "") -> T:
    """Run ``work(progress)`` from the command line: progress bars on stderr, SIGTERM and
    Ctrl-C turned into :class:`Stopped` (exit 143 / 130) once cleanup has run.

    ``left`` says what a stop leaves behind (e.g. ``"results/x left as it was"``).
    """
    bars = Bars(quiet)
    tail = f"; {left}" if left else ""
    try:
        with sigterm_raises():
            return work(bars)
    except Terminated:
        raise Stopped(143, f"terminated{tail}") from None
    except KeyboardInterrupt:
        raise Stopped(130, f"interrupted{tail}") from None
    finally:
        bars.close()
