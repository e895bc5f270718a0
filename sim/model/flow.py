"""One replication of the flow model: its components put together on the engine."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from ..scenario import MODES, PUBLICS, SIAE_TYPES, Scenario
from ..schedule import YEAR_DAYS, offers
from ..streams import BATCH, sample, stream, uniforms
from .engine import Engine, Entry
from .intake import Caseload, caseload_slots
from .matching import Matching
from .parcours import Parcours
from .posts import Posts
from .preparation import Preparation
from .recorder import Recorder
from .referrals import Referrals, run_out_factors
from .states import (
    ARRIVE,
    END_MISSION,
    END_PARCOURS,
    EXPIRE,
    FALLBACK_DUE,
    GIVE_UP,
    GONE,
    N_STATES,
    NEW_YEAR,
    NEXT_BARRIER,
    PARCOURS_OVER,
    PERSON_CALLS,
    RELEASE,
    RENEGE,
    WAITING,
)


class Served:
    """Draws served one at a time (:meth:`next`), ``fill()`` giving the next batch (a batch
    of :func:`sim.streams.sample`, or of ``Generator.random`` as :func:`sim.streams.uniforms`
    serves them). A method, not a generator: the compiled model calls it directly, where
    ``next()`` on a generator costs a Python frame."""

    def __init__(self, fill: Callable[[], list[float]]) -> None:
        self.fill = fill
        self.batch: list[float] = []
        self.i = 0

    def next(self) -> float:
        """The next draw."""
        i = self.i
        if i == len(self.batch):
            self.batch = self.fill()
            i = 0
        self.i = i + 1
        return self.batch[i]


class FlowModel(Referrals, Caseload, Preparation, Matching, Posts, Parcours, Recorder, Engine):
    """The state of one replication; :meth:`run` simulates it and returns a :class:`Run`."""

    def __init__(self, scenario: Scenario, rep_seed: np.random.SeedSequence) -> None:
        f = scenario.flow
        self.h = h = scenario.horizon_years
        self.n_years = ny = h + f.run_out_years
        self.T = ny * YEAR_DAYS
        self.sc = scenario
        self.flow = f
        self.g = g = partial(stream, rep_seed)
        mis = f.missions

        # works and offers
        of = offers(scenario, g("operations"), g("offers"), g("modes"), g("weekly_hours"))
        self.post_hours: float = f.post_hours_per_week
        self.min_hours: float = mis.min_hours
        self.o_release: list[float] = of.release.tolist()
        self.o_expiry: list[float] = of.expiry.tolist()
        self.o_end: list[float] = of.op_end.tolist()
        self.o_hours: list[float] = of.hours.tolist()
        self.o_weekly: list[float] = of.weekly_hours.tolist()
        self.o_share: list[float] = (of.weekly_hours / self.post_hours).tolist()
        self.o_mode: list[int] = of.mode.tolist()
        self.o_open = [False] * len(of)
        self.n_open = 0  # offers open (released, not yet filled or lapsed)
        self.o_cause = ["works_timing"] * len(of)
        self.open: list[deque[int]] = [deque() for _ in MODES]
        self.route_weekly: list[float] = [mis.weekly(m).mean for m in MODES]
        self.full_share = [w / self.post_hours for w in self.route_weekly]
        self.fallback_idx = [MODES.index(r) for r in f.fallback_to]
        self.fallback_after: float = f.fallback_after_days
        year = np.minimum((of.release // YEAR_DAYS).astype(np.int64), ny - 1)
        released = np.bincount(year, weights=of.hours, minlength=ny).tolist()
        factors = run_out_factors(scenario, released)

        # people
        self.draw_people(factors)
        n = len(self.arrival)
        # about three calls a person or offer (a fiche replication: 12,000 for 4,100)
        self.init_engine(self.T, 3 * (n + len(of)))
        g_patience, g_next = g("placement_patience"), g("next_mission")
        self.place_patience = Served(
            lambda: sample(g_patience, f.placement_patience_days, BATCH).tolist()
        )
        self.u_next = Served(lambda: g_next.random(BATCH).tolist())
        self.u_outcome = uniforms(g("outcomes"))
        self.p_next: float = mis.next_mission_probability
        drawn = ("durable", "transition", "training")
        self.probs = [[float(f.outcomes[p][o]) for o in drawn] for p in PUBLICS]
        self.probs_without_work: list[Any] = [
            [float(f.outcomes_without_work[p][o]) for o in drawn]
            if p in f.outcomes_without_work
            else None
            for p in PUBLICS
        ]
        self.route_factor = [float(f.route_factor.get(m, 1.0)) for m in MODES]
        self.uplift: float = f.hours_uplift_per_1000h

        # resources
        fac = f.facilitators
        self.slots = [
            caseload_slots(fac.fte[min(y, h - 1)] * factors[y], fac.caseload_per_fte)
            for y in range(ny)
        ]
        self.capacity = self.slots[0]
        self.queues: list[deque[int]] = [deque() for _ in range(len(fac.priority) + 1)]
        self.prep_quota: Any = f.preparation.places_per_year  # places left this year, None: no cap
        self.prep_queue: deque[int] = deque()
        # free places of each barrier, None: no cap
        self.barrier_free: list[Any] = [f.mobility.places, f.childcare.places]
        self.barrier_queue: list[deque[int]] = [deque(), deque()]
        # job-ready people waiting for an offer, in order (see next_ready): indices, not
        # (person, spell) tuples, nothing for the collector's lists to unlink when taken out
        self.ready: deque[int] = deque()
        self.posts = [0.0] + [float(f.siae_posts[t]) for t in SIAE_TYPES]
        self.busy = [0.0] * len(MODES)
        self.waiting = 0
        self.n_state = [0] * N_STATES
        self.n_state[WAITING] = n
        self.init_recorder()

        # arrivals and releases are fed one at a time: each schedules the next when it happens
        self.n_people = n
        if n:
            self.at(self.arrival[0], ARRIVE, 0)
        self.n_release = int(np.count_nonzero(of.release < self.T))  # released in time order
        if self.n_release:
            self.at(self.o_release[0], RELEASE, 0)
        for y in range(1, ny):
            self.first_at(y * YEAR_DAYS, NEW_YEAR, y)
        self.y = 0  # current year index, kept by new_year() (first on 1 January)
        self.new_year(0)

    def handle(self, call: int, a: int, b: int) -> None:
        """Make a timed call (see :mod:`sim.model.states`), the most frequent tested first."""
        if call == END_MISSION:
            self.end_mission(a, b)
        elif call == NEXT_BARRIER:
            self.barrier(a, b)
        elif call == ARRIVE:
            self.arrive(a)
        elif call == GIVE_UP:
            self.ready_timeout(a, b, True)
        elif call == PARCOURS_OVER:
            self.ready_timeout(a, b, False)
        elif call == RENEGE:
            self.renege(a)
        elif call == RELEASE:
            self.release(a)
        elif call == EXPIRE:
            self.expire(a)
        elif call == END_PARCOURS:
            self.end_parcours(a)
        elif call == FALLBACK_DUE:
            self.fallback_due(a)
        elif call == NEW_YEAR:
            self.new_year(a)
        else:
            raise ValueError(f"unknown call {call}")

    def prefetch(self, bucket: list[Entry]) -> int:
        """Read the record of each person a call of ``bucket`` names (a person's calls,
        :data:`~sim.model.states.PERSON_CALLS`), before the calls run; the number of records
        read of people still in the flow.

        A crowded programme's calls were mostly filed long before and their records have left
        the processor's caches: read one after another in this short loop, the loads overlap
        (the processor runs on to the next while one waits for the memory), where the calls,
        each waiting for its record, would pay them one at a time. The x100 programme's loop
        12 % shorter; the fiche's, whose records stay in the caches, unchanged."""
        people = self.people
        made = len(people)  # the records of people not arrived yet are not made
        read = 0
        for e in bucket:
            if (PERSON_CALLS >> e.call) & 1 and e.a < made and people[e.a].state != GONE:
                read += 1
        return read

    def simulate(self) -> Any:
        """Simulate the horizon and run-out years; the replication's :class:`~sim.results.Run`."""
        self.run()
        T = self.T
        for lv in (
            self.lv_occ,
            self.lv_cap,
            self.lv_wait,
            *self.lv_posts,
            self.lv_fac_full,
            self.lv_prep_full,
            *self.lv_post_full,
        ):
            lv.advance(T)
        self.active_end[-1] = int(self.lv_occ.value)
        return self.result()
