"""The event engine: SimPy's event queue driven with lean events.

This is the only module that touches SimPy's internals (``Environment._queue`` and ``_eid``):
handlers are plain callbacks pushed straight into SimPy's heap, which keeps a replication close
to the speed of a bare SimPy loop. Times are in days.

A replication runs with the cyclic garbage collector paused (and restored after): the model
allocates many small objects and no cycle needs collecting while it runs; the collector would
otherwise cost about a fifth of the run.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from heapq import heappush
from typing import Any

import simpy
from simpy.core import NORMAL, URGENT


class Call:
    """A bare SimPy event that calls ``fn(*args)`` when processed.

    SimPy's event loop only needs ``callbacks`` and ``_ok`` on what it pops from its queue; this
    saves the cost of a full ``Timeout`` and a closure per event.
    """

    __slots__ = ("_ok", "args", "callbacks", "fn", "t")

    def __init__(self, fn: Callable[..., None], args: tuple[Any, ...], t: float) -> None:
        self.fn = fn
        self.args = args
        self.t = t
        self._ok = True
        self.callbacks: tuple[Callable[[Call], None], ...] | None = _DISPATCH


def _dispatch(ev: Call) -> None:
    fn = ev.fn
    fn.__self__.now = ev.t  # handlers are the model's methods
    fn(*ev.args)


_DISPATCH = (_dispatch,)


class Engine:
    """Clock and event queue of a replication (times in days).

    Handlers are the model's own methods; ``now`` (days) is set before each is called, so reading
    the clock is a plain attribute read.
    """

    def __init__(self, t_end: float) -> None:
        self.env = env = simpy.Environment()
        self._queue: list[Any] = env._queue
        self._eid = env._eid
        self.t_end = t_end
        self.now = 0.0

    def at(self, t: float, fn: Callable[..., None], *args: Any) -> None:
        """Call ``fn(*args)`` at time ``t`` (days); nothing is scheduled at or past the end."""
        if t < self.t_end:
            heappush(self._queue, (t, NORMAL, next(self._eid), Call(fn, args, t)))

    def first_at(self, t: float, fn: Callable[..., None], *args: Any) -> None:
        """Call ``fn(*args)`` at time ``t``, before any ordinary event of that time."""
        heappush(self._queue, (t, URGENT, next(self._eid), Call(fn, args, t)))

    def run(self) -> None:
        """Process events up to the end (days), with the cyclic collector paused."""
        enabled = gc.isenabled()
        gc.disable()
        try:
            self.env.run(until=self.t_end)
        finally:
            if enabled:
                gc.enable()

    def events(self) -> int:
        """Events scheduled so far (SimPy's event counter)."""
        return int(next(self._eid))


# SimPy versions whose internals (``_queue``, ``_eid``, the event tuple) this module relies on are
# bounded in pyproject.toml.
SIMPY_VERSION = simpy.__version__
