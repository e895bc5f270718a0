"""The event engine: a clock and a heap of plain calls.

A replication's handlers are the model's own methods, each called at its time with the clock
(``now``, days) set before. :class:`Engine` runs them from its own binary heap: an entry is
``(time, order, method, args)``, popped in time order, then urgent calls (1 January's capacity
change) before ordinary ones, then in the order they were scheduled -- exactly SimPy's order
``(time, priority, event id)``.

Why not SimPy's loop: the model needs no processes, resources or event objects, only timed
calls. Driving SimPy's queue cost an event object and two extra Python calls per event, about a
third of a replication. :class:`SimPyEngine` keeps the same contract on SimPy's own loop; the
tests run the fiche on both and require identical results, and the M/M/c validation compares
the model with a hand-written SimPy model.

A replication runs with the cyclic garbage collector paused (and restored after): the model
allocates many small objects and no cycle needs collecting while it runs; the collector would
otherwise cost about a fifth of the run.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from heapq import heappop, heappush
from itertools import count
from typing import Any

import simpy
from simpy.core import NORMAL, URGENT

ORDINARY = 1 << 62
"""First sequence number of ordinary calls (urgent ones count from 0), so that urgent calls of
the same time sort first."""


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
    """Clock and event heap of a replication (times in days).

    Handlers are the model's own methods; ``now`` (days) is set before each is called, so reading
    the clock is a plain attribute read.
    """

    def __init__(self, t_end: float) -> None:
        self.init_engine(t_end)

    def init_engine(self, t_end: float) -> None:
        """An empty heap, the clock at 0 and the end ``t_end`` (days)."""
        self._heap: list[tuple[float, int, Callable[..., None], tuple[Any, ...]]] = []
        self._seq = count(ORDINARY)
        self._urgent = count()
        self.t_end = t_end
        self.now = 0.0
        heap, seq = self._heap, self._seq

        def at(t: float, fn: Callable[..., None], *args: Any) -> None:
            if t < t_end:
                heappush(heap, (t, next(seq), fn, args))

        self.at = at  # type: ignore[method-assign]  # a closure: no look-ups on the hot path

    def at(self, t: float, fn: Callable[..., None], *args: Any) -> None:
        """Call ``fn(*args)`` at time ``t`` (days); nothing is scheduled at or past the end."""
        if t < self.t_end:
            heappush(self._heap, (t, next(self._seq), fn, args))

    def first_at(self, t: float, fn: Callable[..., None], *args: Any) -> None:
        """Call ``fn(*args)`` at time ``t``, before any ordinary call of that time."""
        if t < self.t_end:
            heappush(self._heap, (t, next(self._urgent), fn, args))

    def run(self) -> None:
        """Process the calls up to the end (days), with the cyclic collector paused."""
        heap = self._heap
        with collector_paused():
            while heap:
                t, _, fn, args = heappop(heap)
                self.now = t
                fn(*args)
            self.now = self.t_end

    def events(self) -> int:
        """Calls scheduled so far."""
        return int(next(self._seq)) - ORDINARY + int(next(self._urgent))


class _Call:
    """A bare SimPy event that calls ``fn(*args)`` when processed."""

    __slots__ = ("_ok", "args", "callbacks", "fn", "t")

    def __init__(self, fn: Callable[..., None], args: tuple[Any, ...], t: float) -> None:
        self.fn = fn
        self.args = args
        self.t = t
        self._ok = True
        self.callbacks: tuple[Callable[[_Call], None], ...] | None = _DISPATCH


def _dispatch(ev: _Call) -> None:
    fn = ev.fn
    fn.__self__.now = ev.t  # handlers are the model's methods
    fn(*ev.args)


_DISPATCH = (_dispatch,)


class SimPyEngine(Engine):
    """The same contract on SimPy's event loop (``Environment._queue`` and ``_eid``): a reference
    for :class:`Engine` in the tests. Mix it in before the model: ``class M(SimPyEngine, Model)``.
    """

    def init_engine(self, t_end: float) -> None:
        self.env = env = simpy.Environment()
        self._queue: list[Any] = env._queue
        self._eid = env._eid
        self.t_end = t_end
        self.now = 0.0

    def at(self, t: float, fn: Callable[..., None], *args: Any) -> None:
        if t < self.t_end:
            heappush(self._queue, (t, NORMAL, next(self._eid), _Call(fn, args, t)))

    def first_at(self, t: float, fn: Callable[..., None], *args: Any) -> None:
        if t < self.t_end:
            heappush(self._queue, (t, URGENT, next(self._eid), _Call(fn, args, t)))

    def run(self) -> None:
        with collector_paused():
            self.env.run(until=self.t_end)
            self.now = self.t_end

    def events(self) -> int:
        return int(next(self._eid))


# SimPy versions whose internals (``_queue``, ``_eid``, the event tuple) SimPyEngine relies on are
# bounded in pyproject.toml.
SIMPY_VERSION = simpy.__version__
