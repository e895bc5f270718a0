"""The event engine: a clock and timed calls.

A replication's calls are the model's own handlers, each named by an int (``ARRIVE``,
``END_MISSION``... in :mod:`sim.model.states`) with two int arguments, and made by the model's
``handle(call, a, b)`` at its time, the clock (``now``, days) set before. :class:`Engine` keeps
them in buckets of a week (a list indexed by week; shorter spans for a crowded run, about
:data:`PER_BUCKET` calls each) of :class:`Entry` (time, order, call, arguments), and runs them
in time order, then urgent calls (1 January's capacity change) before ordinary ones, then in
the order they were scheduled -- exactly SimPy's order ``(time, priority, event id)``; a call
before the clock is refused (``ValueError``: the model never makes one). A later bucket's calls
are only appended to it, and it is sorted once when its time comes; calls made for the running
bucket go into a small heap, merged with it as they run. A crowded programme (a hundred times
the fiche has tens of thousands of calls pending) thus never pushes into nor pops from a heap of
all of them, and sorts most calls once: about a third fewer comparisons than a heap a week (the
fiche's loop and the x100 programme's are both about 15 % shorter). An entry that has run is
kept and reused for a later call, and so is a bucket's list once run: no allocation, and nothing
for the collector's lists to unlink, as each freed object costs (about a tenth of the loop; a
bucket's list freed when run was unlinked from neighbours made long before, out of the caches:
2 % of the x100 programme's loop in a profile). Before a bucket's calls run, the model reads the
records they will read (:meth:`Engine.prefetch`), one after another.

For the compiled model (:mod:`sim.model.native`), a call is ints and an entry one object with
unboxed fields, compared by its own ``__lt__``: a tuple of a bound method and an argument tuple
cost it four objects a call and two generic comparisons a step of the heap, about 40 % of its
loop. (The pure-Python model pays a Python ``__lt__`` instead: about a sixth slower.)

Why not SimPy's loop: the model needs no processes, resources or event objects, only timed
calls. Driving SimPy's queue cost an event object and two extra Python calls per event (about a
tenth of a fiche replication). :class:`SimPyEngine` keeps the same contract on SimPy's own loop;
the tests run the fiche on both and require identical results.

A replication runs with the cyclic garbage collector paused (and restored after): the model
allocates many small objects and no cycle needs collecting while it runs; the collector would
otherwise cost about a fifth of the run.
"""

from __future__ import annotations

import gc
import heapq
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Final

import simpy
from simpy.core import NORMAL, URGENT

BUCKET_DAYS: Final = 7.0
"""Longest span (days) of a bucket of calls. (A week measured best against a day, a month and one
heap, on the fiche, the M/M/c reduction over 100 years and the fiche x100, with heaps a bucket.)"""
PER_BUCKET: Final = 64
"""Calls a bucket should hold, on average, when the run says how many it will make: a bucket is
sorted when its time comes, in about log2(calls) comparisons a call. The x100 programme's buckets
of a week held 1,600 calls; with 16 calls (spans of 1.4 hours, 78,000 buckets) its loop was 3 %
shorter, with 64 (5 hours) 5 % shorter again: fewer lists, each less often out of the caches when
a call is filed ahead; 256 measured no better. The fiche's buckets stay a week."""
MAX_BUCKETS: Final = 1 << 20
"""Most buckets of a run (a list of 8 MB): a run longer than 20,000 years gets wider ones."""


class Entry:
    """A timed call: its time (days), order (unique: urgent calls count from 0, ordinary ones
    from :data:`ORDINARY`), call and arguments; ordered by time, then order."""

    __slots__ = ("a", "b", "call", "seq", "t")

    def __init__(self, t: float, seq: int, call: int, a: int, b: int) -> None:
        self.t = t
        self.seq = seq
        self.call = call
        self.a = a
        self.b = b

    def __lt__(self, other: Entry) -> bool:
        return self.t < other.t or (self.t == other.t and self.seq < other.seq)


heappush: Final = heapq.heappush
heappop: Final = heapq.heappop
"""``Final``: the compiled model keeps them in C variables, not looked up by name at each call."""

ORDINARY: Final = 1 << 48
"""First sequence number of ordinary calls (urgent ones count from 0), so that urgent calls of
the same time sort first (and a machine-word integer in the compiled model)."""


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (restored after, even on error)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Engine:
    """Clock and timed calls of a replication (times in days).

    A subclass (the model) names its calls by ints and makes them in :meth:`handle`; ``now``
    (days) is set before each, so reading the clock is a plain attribute read.
    """

    def __init__(self, t_end: float, calls: int = 0) -> None:
        self.init_engine(t_end, calls)

    def init_engine(self, t_end: float, calls: int = 0) -> None:
        """No call yet, the clock at 0 and the end ``t_end`` (days, finite); ``calls``: about
        how many calls the run will make (0: unknown), for the buckets' span."""
        span = BUCKET_DAYS
        if calls > 0:  # about PER_BUCKET calls a bucket, a week at most
            span = min(span, PER_BUCKET * t_end / calls)
        span = max(span, t_end / MAX_BUCKETS)
        self._per = 1.0 / span  # buckets a day
        # bucket k: the calls of [k, k + 1) x span, as filed (None: no call yet)
        self._buckets: list[list[Entry] | None] = [None] * (int(t_end * self._per) + 1)
        self._k = -1  # the bucket being run (-1: none yet)
        self._current: list[Entry] = []  # calls scheduled into it while it runs, a heap
        self._lists: list[list[Entry]] = []  # buckets' lists run and emptied, to be reused
        self._start(t_end)

    def _start(self, t_end: float) -> None:
        """No call made yet, the clock at 0 and the end ``t_end`` (days)."""
        self._seq = ORDINARY  # sequence number of the next ordinary call
        self._urgent = 0  # of the next urgent call
        self._spare: list[Entry] = []  # entries already run, to be reused
        self.t_end = t_end
        self.now = 0.0

    def handle(self, call: int, a: int, b: int) -> None:
        """Make ``call`` with its arguments (the model's handlers)."""
        raise NotImplementedError

    def prefetch(self, bucket: list[Entry]) -> int:
        """Read what the calls of ``bucket`` (sorted, about to run) will read first: a hint for
        the memory, with no effect on the run (the model's; here nothing). Returns how many
        records were read."""
        return 0

    def at(self, t: float, call: int, a: int, b: int = 0) -> None:
        """Make ``call`` with ``a`` and ``b`` at time ``t`` (days, not before the clock);
        nothing is scheduled at or past the end."""
        if t < self.t_end:
            seq = self._seq
            self._seq = seq + 1
            self._push(self._entry(t, seq, call, a, b))

    def first_at(self, t: float, call: int, a: int, b: int = 0) -> None:
        """Make ``call`` at time ``t`` (days, not before the clock), before any ordinary call
        of that time."""
        if t < self.t_end:
            seq = self._urgent
            self._urgent = seq + 1
            self._push(self._entry(t, seq, call, a, b))

    def _entry(self, t: float, seq: int, call: int, a: int, b: int) -> Entry:
        """An entry: one already run, reused, if any (no allocation, nothing to free); a call
        before the clock is refused."""
        if t < self.now:
            raise ValueError(f"a call at {t} days, before the clock ({self.now} days)")
        spare = self._spare
        if not spare:
            return Entry(t, seq, call, a, b)
        e = spare.pop()
        e.t = t
        e.seq = seq
        e.call = call
        e.a = a
        e.b = b
        return e

    def _push(self, entry: Entry) -> None:
        """File ``entry`` in its week's bucket, or in the heap of the week being run."""
        k = int(entry.t * self._per)
        if k == self._k:
            heappush(self._current, entry)
            return
        bucket = self._buckets[k]
        if bucket is None:  # a list already run if any
            lists = self._lists
            bucket = lists.pop() if lists else []
            self._buckets[k] = bucket
        bucket.append(entry)

    def run(self) -> None:
        """Process the calls up to the end (days), with the cyclic collector paused: each week's
        bucket sorted, merged with the calls made for that week while it runs."""
        buckets = self._buckets
        spare = self._spare
        lists = self._lists
        with collector_paused():
            for k in range(len(buckets)):
                b = buckets[k]
                if b is None:
                    continue
                self._k = k
                b.sort()
                self.prefetch(b)
                cur = self._current
                n = len(b)
                j = 0  # the bucket's next call
                while True:  # the earlier of the bucket's next call and the running week's heap
                    if j < n:
                        e = b[j]
                        if cur and cur[0] < e:
                            e = heappop(cur)
                        else:
                            j += 1
                    elif cur:
                        e = heappop(cur)
                    else:
                        break
                    self.now = e.t
                    self.handle(e.call, e.a, e.b)
                    spare.append(e)  # run: reused by a later call
                buckets[k] = None
                b.clear()
                lists.append(b)  # run: reused by a later bucket
            self.now = self.t_end

    def events(self) -> int:
        """Calls scheduled so far."""
        return self._seq - ORDINARY + self._urgent


class _Call:
    """A bare SimPy event that makes ``engine.handle(call, a, b)`` of an entry when processed."""

    __slots__ = ("_ok", "callbacks", "engine", "entry")

    def __init__(self, engine: Engine, entry: Entry) -> None:
        self.engine = engine
        self.entry = entry
        self._ok = True
        self.callbacks: tuple[Callable[[_Call], None], ...] | None = _DISPATCH


def _dispatch(ev: _Call) -> None:
    e = ev.entry
    ev.engine.now = e.t
    ev.engine.handle(e.call, e.a, e.b)


_DISPATCH = (_dispatch,)


class SimPyEngine(Engine):
    """The same contract on SimPy's event loop (``Environment._queue`` and ``_eid``): a reference
    for :class:`Engine` in the tests. Mix it in before the model: ``class M(SimPyEngine, Model)``.
    It keeps :class:`Engine`'s scheduling and puts each entry in SimPy's queue instead of a
    bucket."""

    def init_engine(self, t_end: float, calls: int = 0) -> None:
        self.env = env = simpy.Environment()
        self._queue: list[Any] = env._queue
        self._eid = env._eid
        self._start(t_end)  # its spare entries stay none: SimPy's loop keeps its events

    def _push(self, entry: Entry) -> None:
        priority = URGENT if entry.seq < ORDINARY else NORMAL
        heappush(self._queue, (entry.t, priority, next(self._eid), _Call(self, entry)))

    def run(self) -> None:
        with collector_paused():
            self.env.run(until=self.t_end)
            self.now = self.t_end


# SimPy versions whose internals (``_queue``, ``_eid``, the event tuple) SimPyEngine relies on are
# bounded in pyproject.toml.
SIMPY_VERSION = simpy.__version__
