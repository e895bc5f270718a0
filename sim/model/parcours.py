"""Parcours and exits: missions, the next step after each, and the outcome at exit.

* A mission started at ``t`` on an offer of ``h`` hours at ``w`` hours a week lasts ``h / w x 7``
  days; if its operation ends sooner, it shrinks to what fits and the rest lapses.
* After a mission, a person takes another with ``next_mission_probability`` (job-ready again) or
  exits. The parcours ends at a drawn maximum length after intake (after the mission in
  progress).
* **Outcomes** are drawn only for people who worked: by main public (durable employment,
  transition employment, qualifying training; ``other`` is the rest), times the route factor of
  their last mission, times ``1 + hours_uplift_per_1000h x hours worked / 1000``, scaled down if
  they sum above 1. A person who never worked exits ``dropped_out`` if they gave up waiting for a
  mission, else ``no_mission``, unless ``outcomes.without_work`` gives rates for their public.
"""

from __future__ import annotations

from itertools import islice

import numpy as np
from numpy.typing import NDArray

from ..scenario import OUTCOMES
from .states import BARRIER_WAIT, END_MISSION, GONE, MISSION, PREP_WAIT, READY

DROPPED = OUTCOMES.index("dropped_out")
NO_MISSION = OUTCOMES.index("no_mission")
OTHER = OUTCOMES.index("other")
DRAWN = [OUTCOMES.index(o) for o in ("durable", "transition", "training")]


class Mission:
    """A mission as recorded: start and end (days), hours, route (index in
    :data:`~sim.scenario.MODES`), person, and the person's wait for it (days since job-ready).
    One record a mission, its numbers unboxed in the compiled model: the results read them side
    by side, not scattered over the memory as one list a field would leave them."""

    __slots__ = ("end", "hours", "mode", "person", "start", "wait")

    def __init__(
        self, start: float, end: float, hours: float, mode: int, person: int, wait: float
    ) -> None:
        self.start = start
        self.end = end
        self.hours = hours
        self.mode = mode
        self.person = person
        self.wait = wait


class Parcours:
    """Missions, the parcours clock and exits with an outcome."""

    def start_mission(self, i: int, k: int) -> None:
        now = self.now
        y = self.y
        self.o_open[k] = False
        self.n_open -= 1
        weekly = self.o_weekly[k]
        fit = (self.o_end[k] - now) / 7.0 * weekly
        h = self.o_hours[k]
        if fit < h:
            self.y_lapsed[y] = self.y_lapsed[y] + (h - fit)
            by_cause = self.lapsed_by[self.o_cause[k]]
            by_cause[y] = by_cause[y] + (h - fit)
            h = fit
        dur = h / weekly * 7.0
        m = self.o_mode[k]
        p = self.people[i]
        if m:
            share = self.o_share[k]
            self.take_post(m, share)
            p.held_share = share
        self.missions.append(Mission(now, now + dur, h, m, i, now - p.ready_since))
        self.set_state(i, MISSION)
        p.last_mode = m
        self.at(now + dur, END_MISSION, i, m)

    def end_mission(self, i: int, m: int) -> None:
        p = self.people[i]
        if m:
            self.free_post(m, p.held_share)
        if self.now >= p.deadline_t or self.u_next.next() >= self.p_next:
            self.exit(i)
        else:
            self.job_ready(i)

    def ready_timeout(self, i: int, spell: int, gave_up: bool) -> None:
        """A job-ready person still waiting gives up, or reaches the end of their parcours."""
        p = self.people[i]
        if p.state == READY and p.spell == spell:
            self.exit(i, gave_up=gave_up)

    def end_parcours(self, i: int) -> None:
        """End of the parcours of a person waiting for a preparation or barrier place. (Other
        states check the end lazily: a step or mission in progress finishes first.)"""
        if self.people[i].state in (PREP_WAIT, BARRIER_WAIT):
            self.exit(i)

    def outcomes(
        self,
        public_of: NDArray[np.int64],
        missions_of: NDArray[np.int64],
        hours_of: NDArray[np.float64],
        last_mode_of: NDArray[np.int64],
        who: NDArray[np.int64],
        gave_up: NDArray[np.bool_],
    ) -> np.ndarray:
        """Every person's outcome index (-1: not exited), drawn once the run is over, in the
        order people exited (one U(0, 1) draw each, from the ``outcomes`` stream, for those with
        rates: the same draws as at each exit, nothing else depends on them), given each
        person's main public, missions, hours worked (h) and last route, the people in the order
        they exited (``who``) and whether each gave up waiting for a mission."""
        out = np.full(len(public_of), -1, dtype=np.int64)
        if not who.size:
            return out
        public = public_of[who]
        worked = missions_of[who] > 0
        zero = [0.0, 0.0, 0.0]
        has_table = np.array([t is not None for t in self.probs_without_work])[public]
        without = np.array([t if t is not None else zero for t in self.probs_without_work])
        probs = np.where(worked[:, None], np.array(self.probs)[public], without[public])
        # rates rise with the last route and the hours worked, scaled down if above 1
        rise = np.asarray(self.route_factor)[last_mode_of[who]] * (
            1.0 + self.uplift * hours_of[who] / 1000.0
        )
        s = (probs[:, 0] + probs[:, 1] + probs[:, 2]) * rise
        scale = np.where(worked, rise / np.maximum(s, 1.0), 1.0)
        drawn = worked | (~gave_up & has_table)
        u = np.full(who.size, np.inf)
        u[drawn] = np.fromiter(islice(self.u_outcome, int(drawn.sum())), dtype=np.float64)
        res = np.full(who.size, OTHER, dtype=np.int64)
        acc = np.zeros(who.size)
        done = ~drawn
        for k, q in zip(DRAWN, probs.T, strict=True):
            acc = acc + q * scale
            hit = ~done & (u < acc)
            res[hit] = k
            done |= hit
        res[~worked & gave_up] = DROPPED
        res[~worked & ~gave_up & ~has_table] = NO_MISSION
        out[who] = res
        return out

    def exit(self, i: int, gave_up: bool = False) -> None:
        now = self.now
        self.set_state(i, GONE)
        self.lv_occ.add(now, -1)
        self.track_full()
        p = self.people[i]
        p.exit_t = now  # the time in the caseload is counted in the results
        p.exit_seq = self.n_exited
        self.n_exited += 1
        p.gave_up = gave_up
        self.y_exits[self.y] = self.y_exits[self.y] + 1
        held = p.held
        if held:  # barrier places freed, mobility's first
            p.held = 0
            if held & 1:
                self.free_barrier_place(0)
            if held & 2:
                self.free_barrier_place(1)
        if self.waiting:
            self.admit()
