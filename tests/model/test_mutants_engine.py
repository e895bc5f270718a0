"""The event engine's contract: calls at their time with the clock set, urgent calls first,
nothing scheduled at or past the end, the collector paused during a run and restored. Every
contract test runs on the own heap loop and on SimPy's loop, and a fiche replication gives
identical results on both."""

from __future__ import annotations

import gc
import re

import numpy as np
import pytest

import sim
from sim.model import FlowModel
from sim.model.engine import BUCKET_DAYS, MAX_BUCKETS, Engine, Entry, SimPyEngine
from sim.streams import replication_seed

NOTE, TICK, GC_STATE, BOOM, SPAWN = range(5)
"""The test clocks' calls."""


class OwnClock(Engine):
    """An engine whose calls note (time, call, a, b) when made."""

    __test__ = False

    def __init__(self, t_end: float) -> None:
        super().__init__(t_end)
        self.seen: list[tuple[float, int, int, int]] = []
        self.gc_during: list[bool] = []

    def handle(self, call: int, a: int, b: int) -> None:
        self.seen.append((self.now, call, a, b))
        if call == TICK and a:  # ticks a - 1 more times, every 2 days
            self.at(self.now + 2.0, TICK, a - 1)
        elif call == GC_STATE:
            self.gc_during.append(gc.isenabled())
        elif call == BOOM:
            raise RuntimeError("boom")
        elif call == SPAWN:
            self.spawn()

    def spawn(self) -> None:
        raise NotImplementedError


class SimPyClock(SimPyEngine, OwnClock):
    """The same clock on SimPy's loop."""

    __test__ = False


@pytest.fixture(params=[OwnClock, SimPyClock], ids=["own-heap", "simpy"])
def Clock(request):
    return request.param


def test_calls_run_in_time_order_with_their_arguments_and_clock(Clock):
    e = Clock(8.0)
    assert e.now == 0.0
    e.at(5.0, NOTE, 2, 20)
    e.at(1.5, NOTE, 1, 10)
    e.at(7.5, NOTE, 3)  # b defaults to 0
    e.run()
    assert e.seen == [(1.5, NOTE, 1, 10), (5.0, NOTE, 2, 20), (7.5, NOTE, 3, 0)]


def test_nothing_is_scheduled_at_or_past_the_end(Clock):
    e = Clock(10.0)
    e.at(10.0, NOTE, 1)  # at the end
    e.at(12.0, NOTE, 2)  # past the end
    e.first_at(10.0, NOTE, 3)  # urgent, at the end
    assert e.events() == 0  # no event id was used
    e.at(9.5, NOTE, 4)
    e.run()
    assert e.seen == [(9.5, NOTE, 4, 0)]
    assert e.now == 10.0  # the clock ends at the end, not at the last call


def test_first_at_runs_before_ordinary_calls_of_the_same_time(Clock):
    e = Clock(4.0)
    e.at(3.0, NOTE, 1)
    e.at(3.0, NOTE, 2)
    e.first_at(3.0, NOTE, 9)
    e.first_at(3.0, NOTE, 8)  # urgent ones in the order they were scheduled, too
    e.first_at(3.0, NOTE, 7)
    e.at(2.0, NOTE, 0)
    assert e.events() == 6
    e.run()
    assert [a for _, _, a, _ in e.seen] == [0, 9, 8, 7, 1, 2]
    assert [t for t, _, _, _ in e.seen] == [2.0, 3.0, 3.0, 3.0, 3.0, 3.0]


def test_calls_scheduled_from_a_call_and_the_event_count(Clock):
    e = Clock(100.0)
    e.at(1.0, TICK, 3)
    e.first_at(50.0, NOTE, 7)
    assert e.events() == 2  # scheduled so far, none run yet
    e.run()
    assert e.seen == [
        (1.0, TICK, 3, 0),
        (3.0, TICK, 2, 0),
        (5.0, TICK, 1, 0),
        (7.0, TICK, 0, 0),
        (50.0, NOTE, 7, 0),
    ]


@pytest.mark.parametrize("enabled", [True, False])
def test_collector_paused_during_the_run_and_restored(Clock, enabled):
    was = gc.isenabled()
    try:
        if enabled:
            gc.enable()
        else:
            gc.disable()
        e = Clock(2.0)
        e.at(1.0, GC_STATE, 0)
        e.run()
        assert e.gc_during == [False]
        assert gc.isenabled() is enabled
    finally:
        if was:
            gc.enable()
        else:
            gc.disable()


def test_collector_restored_when_a_call_raises(Clock):
    was = gc.isenabled()
    gc.enable()
    try:
        e = Clock(2.0)
        e.at(1.0, BOOM, 0)
        with pytest.raises(RuntimeError, match="boom"):
            e.run()
        assert gc.isenabled()
    finally:
        if not was:
            gc.disable()


def test_entries_order_by_time_then_by_order():
    early, late = Entry(1.0, 9, NOTE, 0, 0), Entry(2.0, 1, NOTE, 0, 0)
    assert early < late and not late < early  # time first, whatever the order
    first, second = Entry(3.0, 4, NOTE, 7, 0), Entry(3.0, 5, NOTE, 1, 0)
    assert first < second and not second < first  # same time: order, not the arguments
    assert not first < Entry(3.0, 4, TICK, 0, 0)  # equal time and order: neither first


def test_buckets_a_week_narrower_for_crowded_runs_wider_only_for_very_long_ones():
    assert len(Engine(100.0)._buckets) == 100 // BUCKET_DAYS + 1  # weeks 0 to 14
    assert len(Engine(100.0, calls=640)._buckets) == 15  # 64 calls a bucket: 10 days, a week
    assert len(Engine(100.0, calls=6400)._buckets) == 101  # 64 calls a bucket: a day
    assert len(Engine(100.0, calls=12800)._buckets) == 201  # half a day
    assert len(Engine(1e9)._buckets) == MAX_BUCKETS + 1  # 2.7 million years: wider buckets
    e = OwnClock(1e9)
    e.at(9e8, NOTE, 2)
    e.at(5.0, NOTE, 1)
    e.run()
    assert e.seen == [(5.0, NOTE, 1, 0), (9e8, NOTE, 2, 0)]


def test_a_call_before_the_clock_is_refused(Clock):
    class Back(Clock):
        def handle(self, call: int, a: int, b: int) -> None:
            super().handle(call, a, b)
            if a == 1:
                self.at(self.now - 0.5, NOTE, 2)

    e = Back(10.0)
    e.at(5.0, NOTE, 1)
    why = re.escape("a call at 4.5 days, before the clock (5.0 days)")
    with pytest.raises(ValueError, match=why):
        e.run()
    e = Back(10.0)
    e.at(5.0, NOTE, 0)
    e.at(5.0, NOTE, 3)  # at the clock's time: fine
    e.run()
    assert [a for _, _, a, _ in e.seen] == [0, 3]


FALLBACK_TOO_LATE = [
    "flow.siae.fallback_after_days=0",
    'flow.siae.fallback_to=["ai", "direct"]',
    "flow.siae.posts={etti=0, ai=50, geiq=0, ei=0, aci=0}",
    "flow.missions.min_hours=300",
    'flow.missions.weekly_hours_by_route.ai={dist="fixed", value=15}',
    'flow.operations.duration_days={dist="fixed", value=100}',
]
"""Offers that fall back at once to AI lending at 15 h a week, where a 300 h mission no longer
fits before their operation ends: they lapse right after their release."""


def test_an_offer_whose_fallback_leaves_too_little_time_lapses_on_both_loops():
    sc = sim.load_scenario(overrides=["uncertainty={}", *FALLBACK_TOO_LATE])
    for rep in range(2):
        own = FlowModel(sc, replication_seed(3, rep)).simulate()
        ref = SimPyFlow(sc, replication_seed(3, rep)).simulate()
        assert own.totals["fallbacks"] > 0 and own.totals["hours_lapsed"] > 0
        for k in own.yearly:
            np.testing.assert_array_equal(own.yearly[k], ref.yearly[k], err_msg=k)


def test_the_engine_alone_makes_no_call():
    e = Engine(2.0)
    e.at(1.0, NOTE, 0)
    with pytest.raises(NotImplementedError):
        e.run()


def test_same_calls_in_the_same_order_on_both_loops():
    """Many calls at equal times, urgent and ordinary, scheduled from calls: same order."""

    def script(e):
        for k in range(30):
            e.at(float(k % 4), TICK, k % 3)
            if k % 7 == 0:
                e.first_at(float(k % 4), NOTE, k)
        e.run()
        return e.seen

    assert script(OwnClock(50.0)) == script(SimPyClock(50.0))


class SimPyFlow(SimPyEngine, FlowModel):
    """The flow model on SimPy's loop."""


def test_a_fiche_replication_is_identical_on_simpy_and_the_own_loop():
    sc = sim.load_scenario(overrides=["uncertainty={}"])
    for rep in range(2):
        own = FlowModel(sc, replication_seed(3, rep)).simulate()
        ref = SimPyFlow(sc, replication_seed(3, rep)).simulate()
        assert own.totals.keys() == ref.totals.keys()
        for k in own.totals:
            assert own.totals[k] == ref.totals[k] or (
                np.isnan(own.totals[k]) and np.isnan(ref.totals[k])
            ), k
        for k in own.yearly:
            np.testing.assert_array_equal(own.yearly[k], ref.yearly[k], err_msg=k)


class Spawner(OwnClock):
    """Each call notes itself and schedules two more at drawn delays (some urgent)."""

    __test__ = False

    def setup(self, seed: int, n: int = 400) -> None:
        rng = np.random.default_rng(seed)
        self.delays = rng.choice([0.0, 0.0, 0.3, 0.999, 1.0, 2.5, 6.999, 7.0, 15.0], size=n)
        self.urgent = rng.random(n) < 0.2
        self.k = 0
        self.n = n

    def spawn(self) -> None:
        for _ in range(2):
            if self.k >= self.n:
                return
            k = self.k
            self.k += 1
            t = self.now + float(self.delays[k])
            (self.first_at if self.urgent[k] else self.at)(t, SPAWN, k)


class SimPySpawner(SimPyEngine, Spawner):
    __test__ = False


def test_random_calls_across_buckets_keep_simpys_order():
    """Calls scheduled from calls at random delays (often within the same bucket, often at equal
    times, some urgent): the own loop runs them in exactly SimPy's order."""
    for seed in range(5):
        seen = []
        for cls in (Spawner, SimPySpawner):
            e = cls(1e9)
            e.setup(seed)
            e.at(0.5, SPAWN, 1000)
            e.run()
            seen.append(e.seen)
        assert len(seen[0]) == 401
        assert seen[0] == seen[1]


def test_calls_filed_ahead_and_scheduled_within_the_running_week_keep_simpys_order():
    """Weekly buckets filled ahead in random order, then calls scheduled into the week being
    run (before, between and after those already filed, at equal times too, some urgent): the
    own loop runs them in exactly SimPy's order."""
    for seed in range(5):
        rng = np.random.default_rng(100 + seed)
        ahead = rng.choice([0.0, 1.0, 3.5, 6.999, 7.0, 10.0, 13.0, 20.5], size=60)
        urgent = rng.random(60) < 0.2
        seen = []
        for cls in (Spawner, SimPySpawner):
            e = cls(30.0)
            e.setup(seed, n=300)
            for j, (t, u) in enumerate(zip(ahead.tolist(), urgent.tolist(), strict=True)):
                (e.first_at if u else e.at)(t, SPAWN if j % 3 == 0 else NOTE, 2000 + j)
            e.run()
            seen.append(e.seen)
        assert len(seen[0]) > 200
        assert len({t for t, *_ in seen[0]}) > 40  # many distinct times, across 5 weeks
        assert seen[0] == seen[1]


def test_an_entry_run_is_reused_with_the_later_call_s_own_fields():
    """Ticks at 0.5, 2.5 and 4.5 days; a note (7, 9) at 1 day: the tick of 4.5 days, scheduled
    after the note ran, reuses its entry, and runs with its own time, call and arguments."""
    e = OwnClock(10.0)
    e.at(0.5, TICK, 2)
    e.at(1.0, NOTE, 7, 9)
    e.run()
    assert e.seen == [(0.5, TICK, 2, 0), (1.0, NOTE, 7, 9), (2.5, TICK, 1, 0), (4.5, TICK, 0, 0)]
    assert len(e._spare) == 3  # three entries made in all, for four calls


def test_a_bucket_s_list_run_is_reused_by_a_later_bucket():
    """Ticks every 2 days over 20 days, in weekly buckets: each tick files the next in a later
    week only after its own week's list was taken; every later week reuses the one list run,
    and each call still runs once, in order."""
    e = OwnClock(20.0)
    e.at(0.0, TICK, 9)
    e.run()
    assert [t for t, *_ in e.seen] == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0]
    # week 1's list is made while week 0's runs; week 2's, filed while week 1's runs, is week 0's
    assert len(e._lists) == 2  # two lists made for three weeks' buckets
