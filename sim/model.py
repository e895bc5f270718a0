"""The beneficiary-flow model: a discrete-event simulation on SimPy.

One replication follows, day by day (times in days, a year is 365 days):

* **works -> offers**: the operations of :mod:`sim.schedule` release job offers (missions of N
  hours). An offer not filled by the last moment a mission of ``min_hours`` still fits before its
  operation ends *lapses*; a mission started later than its full length allows is shrunk to what
  fits, and the rest lapses.
* **referrals**: people arrive as a Poisson process (yearly rate), each of one public.
* **intake**: a caseload of ``fte x caseload_per_fte`` slots (``fte`` may change each 1 January);
  a person holds a slot from intake to exit. People wait first come first served (or by public,
  ``priority``) and give up after a drawn patience.
* **preparation and barriers**: a share of people (by public) go through a preparatory step
  (optionally limited to ``places_per_year``), then lift a mobility and a childcare barrier in turn
  (each after a delay, optionally needing one of ``places``, held until exit).
* **matching**: a job-ready person takes the oldest open offer that can start now; an offer
  through an SIAE needs a free post of its type, held for the mission. A released offer takes the
  longest-waiting job-ready person. Job-ready people give up after a drawn patience.
* **parcours**: after a mission a person takes another (``next_mission_probability``) or exits; a
  person's parcours ends at a drawn maximum length (after the mission in progress). Outcomes are
  drawn by public, optionally rising with hours worked; a person who gave up before any mission
  exits as ``dropped_out``.

SimPy schedules every event; handlers are plain callbacks on timeouts, which keeps the model
close to the speed of a bare SimPy loop. Hours are credited pro rata over a mission's days, so
yearly figures split missions across 31 December. Conservation of people and hours is checked at
the end of every replication (:class:`sim.errors.ConservationError`).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from functools import partial
from heapq import heappush
from typing import Any

import numpy as np
import simpy
from simpy.core import NORMAL, URGENT

from .errors import ConservationError
from .results import LAPSE_CAUSES, Run
from .scenario import MODES, OUTCOMES, POSITIVE_OUTCOMES, PUBLICS, SIAE_TYPES, Scenario
from .schedule import YEAR_DAYS, offers
from .streams import DEFAULT_SEED, Draws, Uniforms, replication_seed, sample, stream

MONTH_DAYS = YEAR_DAYS / 12

# person states
WAITING, PREP_WAIT, PREP, BARRIER_WAIT, BARRIER, READY, MISSION, GONE = range(8)
DROPPED = OUTCOMES.index("dropped_out")
OTHER = OUTCOMES.index("other")
N_PUB = len(PUBLICS)
N_OUT = len(OUTCOMES)
RSA, UNDER_26 = PUBLICS.index("rsa"), PUBLICS.index("under_26")
POS = [OUTCOMES.index(o) for o in POSITIVE_OUTCOMES]


class _Level:
    """A piecewise-constant level (people, posts) integrated over monthly bins (level x days)."""

    __slots__ = ("area", "last", "value")

    def __init__(self, n_months: int, value: float = 0.0) -> None:
        self.area = [0.0] * n_months
        self.last = 0.0
        self.value = value

    def advance(self, t: float) -> None:
        v, last = self.value, self.last
        if v and t > last:
            area = self.area
            b = int(last / MONTH_DAYS)
            n = len(area)
            while last < t:
                edge = (b + 1) * MONTH_DAYS
                step = (edge if edge < t else t) - last
                area[b if b < n else n - 1] += v * step
                last += step
                b += 1
        self.last = t

    def add(self, t: float, delta: float) -> None:
        self.advance(t)
        self.value += delta

    def yearly(self) -> np.ndarray:
        return np.asarray(self.area).reshape(-1, 12).sum(axis=1)


class _Call:
    """A bare SimPy event that calls ``fn(*args)`` when processed.

    SimPy's event loop only needs ``callbacks`` and ``_ok`` on what it pops from its queue; this
    saves the cost of a full ``Timeout`` and a closure per event.
    """

    __slots__ = ("_ok", "args", "callbacks", "fn")

    def __init__(self, fn: Callable[..., None], args: tuple[Any, ...]) -> None:
        self.fn = fn
        self.args = args
        self._ok = True
        self.callbacks: tuple[Callable[[_Call], None], ...] | None = _DISPATCH


def _dispatch(ev: _Call) -> None:
    ev.fn(*ev.args)


_DISPATCH = (_dispatch,)


class _Model:
    def __init__(self, scenario: Scenario, rep_seed: np.random.SeedSequence) -> None:
        self.sc = scenario
        f = scenario.flow
        self.flow = f
        self.h = scenario.horizon_years
        self.n_years = ny = self.h + f.run_out_years
        self.T = ny * YEAR_DAYS
        nm = ny * 12
        self.env = env = simpy.Environment()
        # Environment.schedule() without its call overhead: same queue, same ordering
        self.queue: list[Any] = env._queue
        self.eid = env._eid
        g: Callable[[str], np.random.Generator] = partial(stream, rep_seed)

        # works and offers
        of = offers(scenario, g("operations"), g("offers"), g("modes"))
        self.o_release = of.release.tolist()
        self.o_expiry = of.expiry.tolist()
        self.o_end = of.op_end.tolist()
        self.o_hours = of.hours.tolist()
        self.o_weekly = of.weekly_hours.tolist()
        self.o_mode = of.mode.tolist()
        self.o_open = [False] * len(of)
        self.o_cause = ["works_timing"] * len(of)
        self.open: list[deque[int]] = [deque() for _ in MODES]

        # people: arrivals and their attributes, drawn up front from their own streams
        rng = g("referrals")
        times = []
        for y in range(ny):
            rate = f.referrals_per_year[min(y, self.h - 1)]
            n = rng.poisson(rate)
            times.append(YEAR_DAYS * (y + np.sort(rng.random(n))))
        arrival = np.concatenate(times) if times else np.empty(0)
        n = arrival.size
        self.arrival = arrival.tolist()
        shares = np.array([f.publics[p] for p in PUBLICS])
        public = g("publics").choice(N_PUB, size=n, p=shares / shares.sum())
        self.public = public.tolist()
        fac = f.facilitators
        self.patience = sample(g("intake_patience"), fac.patience_days, n).tolist()
        self.parcours = sample(g("parcours"), fac.max_parcours_days, n).tolist()
        gp = g("preparation")
        prep_share = np.array([f.preparation.share[p] for p in PUBLICS])[public]
        self.prep = (gp.random(n) < prep_share).tolist()
        self.prep_dur = sample(gp, f.preparation.duration_days, n).tolist()
        gb = g("barriers")
        self.barriers = []
        for b in (f.mobility, f.childcare):
            share = np.array([b.share[p] for p in PUBLICS])[public]
            self.barriers.append(
                ((gb.random(n) < share).tolist(), sample(gb, b.delay_days, n).tolist(), b.places)
            )
        self.place_patience = Draws(g("placement_patience"), f.placement_patience_days)
        self.u_next = Uniforms(g("next_mission"))
        self.u_outcome = Uniforms(g("outcomes"))
        self.probs = [[float(f.outcomes[p][o]) for o in POSITIVE_OUTCOMES] for p in PUBLICS]
        self.uplift = f.hours_uplift_per_1000h

        # person state
        self.state = [WAITING] * n
        self.spell = [0] * n
        self.ready_since = [0.0] * n
        self.intake_t = [math.nan] * n
        self.cohort = [-1] * n
        self.hours = [0.0] * n
        self.missions_n = [0] * n
        self.deadline = [False] * n
        self.held = [[False, False] for _ in range(n)]  # barrier places held

        # resources
        self.slots = [math.floor(fte * fac.caseload_per_fte + 1e-9) for fte in fac.fte]
        self.capacity = self.slots[0]
        order = {p: i for i, p in enumerate(fac.priority)}
        self.klass = [order.get(PUBLICS[p], len(order)) for p in self.public]
        self.queues: list[deque[int]] = [deque() for _ in range(len(order) + 1)]
        self.prep_quota: Any = f.preparation.places_per_year  # places left this year, None: no cap
        self.prep_queue: deque[int] = deque()
        self.barrier_free: list[Any] = [b[2] for b in self.barriers]  # free places, None: no cap
        self.barrier_queue: list[deque[int]] = [deque(), deque()]
        self.ready: deque[tuple[int, int]] = deque()
        self.posts = [0] + [f.siae_posts[t] for t in SIAE_TYPES]
        self.busy = [0] * len(MODES)

        # accounting
        self.lv_occ = _Level(nm)
        self.lv_cap = _Level(nm, self.capacity)
        self.lv_wait = _Level(nm)
        self.lv_posts = [_Level(nm) for _ in MODES]
        self.waiting = 0
        self.n_state = [0] * 8
        self.n_state[WAITING] = n
        self.lv_fac_full = _Level(nm)
        self.lv_prep_full = _Level(nm)
        self.lv_post_full = [
            _Level(nm, 1.0 if (m and self.posts[m] == 0) else 0.0) for m in range(len(MODES))
        ]
        self.lapsed_by = dict.fromkeys(LAPSE_CAUSES, 0.0)
        self.y_count = {
            k: [0] * ny
            for k in (
                "referrals",
                "intakes",
                "gave_up_before_intake",
                "gave_up_before_placement",
                "exits",
            )
        }
        self.y_offered = [0.0] * ny
        self.y_lapsed = [0.0] * ny
        self.active_end = [0] * ny
        self.exits_by = [0] * (ny * N_OUT * N_PUB)  # flat (year, outcome, public) counts
        self.cohort_out = [0] * (ny * N_OUT)  # flat (entry year, outcome) counts
        self.w_intake: list[tuple[int, float]] = []
        self.w_place: list[tuple[int, float]] = []
        self.w_gave_up: list[float] = []
        self.w_caseload: list[float] = []
        self.mis: list[tuple[float, float, float, int, int]] = []  # start, end, h, mode, cohort

        # schedule the known events
        at = self.at
        for i, t in enumerate(self.arrival):
            at(t, self.arrive, i)
        for k, t in enumerate(self.o_release):
            if t < self.T:
                at(t, self.release, k)
        for y in range(1, ny):
            env.schedule(_Call(self.new_year, (y,)), URGENT, y * YEAR_DAYS)  # type: ignore[arg-type]
        self.y = 0  # current year index, kept by new_year() (URGENT: first on 1 January)
        self.new_year(0)
        del env

    # ---- helpers

    def at(self, t: float, fn: Callable[..., None], *args: Any) -> None:
        """Call ``fn(*args)`` at time ``t`` (days), scheduled in SimPy's event queue."""
        heappush(self.queue, (t, NORMAL, next(self.eid), _Call(fn, args)))

    def set_state(self, i: int, state: int) -> None:
        """Change a person's state, keeping the count of people in each state."""
        n = self.n_state
        n[self.state[i]] -= 1
        n[state] += 1
        self.state[i] = state
        if (n[PREP_WAIT] > 0) != (self.lv_prep_full.value > 0):
            self.lv_prep_full.add(self.env.now, 1 if n[PREP_WAIT] > 0 else -1)

    def track_full(self, m: int = -1) -> None:
        """Keep the at-capacity indicators of the caseload and (``m`` > 0) SIAE type ``m``."""
        now = self.env.now
        full = self.lv_occ.value >= self.capacity
        if full != (self.lv_fac_full.value > 0):
            self.lv_fac_full.add(now, 1 if full else -1)
        if m > 0:
            lv = self.lv_post_full[m]
            full = self.busy[m] >= self.posts[m]
            if full != (lv.value > 0):
                lv.add(now, 1 if full else -1)

    # ---- referrals and intake

    def arrive(self, i: int) -> None:
        self.y_count["referrals"][self.y] += 1
        if self.lv_occ.value < self.capacity and self.waiting == 0:
            self.intake(i)
            return
        self.queues[self.klass[i]].append(i)
        self.waiting += 1
        self.lv_wait.add(self.env.now, 1)
        p = self.patience[i]
        if p != math.inf:
            self.at(self.env.now + p, self.renege, i)

    def renege(self, i: int) -> None:
        if self.state[i] != WAITING:
            return
        self.set_state(i, GONE)
        self.waiting -= 1
        self.lv_wait.add(self.env.now, -1)
        self.y_count["gave_up_before_intake"][self.y] += 1
        self.w_gave_up.append(self.env.now - self.arrival[i])

    def admit(self) -> None:
        """Take people from the intake queue while slots are free."""
        now = self.env.now
        while self.waiting and self.lv_occ.value < self.capacity:
            for q in self.queues:
                while q and self.state[q[0]] != WAITING:
                    q.popleft()
                if q:
                    i = q.popleft()
                    break
            self.waiting -= 1
            self.lv_wait.add(now, -1)
            self.intake(i)

    def intake(self, i: int) -> None:
        now = self.env.now
        y = self.y
        self.lv_occ.add(now, 1)
        self.track_full()
        self.y_count["intakes"][y] += 1
        self.w_intake.append((y, now - self.arrival[i]))
        self.intake_t[i] = now
        self.cohort[i] = y
        self.at(now + self.parcours[i], self.end_parcours, i)
        if self.prep[i]:
            if self.prep_quota is None:
                self.set_state(i, PREP)
                self.at(now + self.prep_dur[i], self.barrier, i, 0)
            else:
                self.set_state(i, PREP_WAIT)
                self.prep_queue.append(i)
                self.start_prep()
        else:
            self.barrier(i, 0)

    def start_prep(self) -> None:
        now = self.env.now
        q = self.prep_queue
        while q and self.prep_quota:
            i = q.popleft()
            if self.state[i] != PREP_WAIT:
                continue
            self.prep_quota -= 1
            self.set_state(i, PREP)
            self.at(now + self.prep_dur[i], self.barrier, i, 0)

    def new_year(self, y: int) -> None:
        now = self.env.now
        self.y = y
        if y > 0:
            self.active_end[y - 1] = int(self.lv_occ.value)
        cap = self.slots[min(y, self.h - 1)]
        self.lv_cap.add(now, cap - self.capacity)
        self.capacity = cap
        self.track_full()
        self.admit()
        if self.flow.preparation.places_per_year is not None:
            self.prep_quota = self.flow.preparation.places_per_year
            self.start_prep()

    # ---- barriers

    def barrier(self, i: int, b: int) -> None:
        """Lift barrier ``b`` (0 mobility, 1 childcare) if the person has it, then the next."""
        if self.state[i] == GONE:
            return
        if self.deadline[i]:
            self.exit(i)
            return
        while b < 2 and not self.barriers[b][0][i]:
            b += 1
        if b == 2:
            self.job_ready(i)
            return
        if self.barrier_free[b] is not None:
            if self.barrier_free[b] == 0:
                self.set_state(i, BARRIER_WAIT)
                self.barrier_queue[b].append(i)
                return
            self.barrier_free[b] -= 1
            self.held[i][b] = True
        self.set_state(i, BARRIER)
        self.at(self.env.now + self.barriers[b][1][i], self.barrier, i, b + 1)

    def free_barrier_place(self, b: int) -> None:
        q = self.barrier_queue[b]
        self.barrier_free[b] += 1
        while q:
            i = q.popleft()
            if self.state[i] == BARRIER_WAIT:
                self.barrier(i, b)
                return

    # ---- matching

    def job_ready(self, i: int) -> None:
        now = self.env.now
        self.set_state(i, READY)
        self.ready_since[i] = now
        self.spell[i] += 1
        k = self.best_offer()
        if k >= 0:
            self.start_mission(i, k)
            return
        self.ready.append((i, self.spell[i]))
        p = self.place_patience()
        if p != math.inf:
            self.at(now + p, self.give_up_ready, i, self.spell[i])

    def best_offer(self) -> int:
        """The oldest open offer that can start now (SIAE offers need a free post), or -1."""
        best, best_t = -1, math.inf
        for m, q in enumerate(self.open):
            while q and not self.o_open[q[0]]:
                q.popleft()
            if q and (m == 0 or self.busy[m] < self.posts[m]):
                t = self.o_release[q[0]]
                if t < best_t:
                    best, best_t = m, t
        return self.open[best].popleft() if best >= 0 else -1

    def next_ready(self) -> int:
        """The longest-waiting job-ready person, or -1."""
        q = self.ready
        while q:
            i, spell = q.popleft()
            if self.state[i] == READY and self.spell[i] == spell:
                return i
        return -1

    def release(self, k: int) -> None:
        now = self.env.now
        self.y_offered[self.y] += self.o_hours[k]
        if self.o_expiry[k] <= now:
            self.lapse(k, "works_timing")
            return
        self.o_open[k] = True
        self.at(self.o_expiry[k], self.expire, k)
        m = self.o_mode[k]
        if m == 0 or self.busy[m] < self.posts[m]:
            i = self.next_ready()
            if i >= 0:
                self.start_mission(i, k)
                return
        self.o_cause[k] = self.lapse_cause(k)  # what keeps it waiting, if it later shrinks
        self.open[m].append(k)

    def expire(self, k: int) -> None:
        if self.o_open[k]:
            self.lapse(k, self.lapse_cause(k))

    def lapse(self, k: int, cause: str) -> None:
        self.o_open[k] = False
        self.y_lapsed[self.y] += self.o_hours[k]
        self.lapsed_by[cause] += self.o_hours[k]

    def lapse_cause(self, k: int) -> str:
        """What was short when offer ``k`` lapsed unfilled: SIAE posts, or job-ready people (then
        because of the caseload, of preparation and barriers, or of referrals)."""
        m = self.o_mode[k]
        if m and self.busy[m] >= self.posts[m]:
            return f"siae_{MODES[m]}"
        if self.waiting:
            return "facilitators"
        n = self.n_state
        if n[PREP_WAIT] + n[PREP] + n[BARRIER_WAIT] + n[BARRIER]:
            return "preparation"
        return "referrals"

    def start_mission(self, i: int, k: int) -> None:
        now = self.env.now
        y = self.y
        self.o_open[k] = False
        weekly = self.o_weekly[k]
        fit = (self.o_end[k] - now) / 7.0 * weekly
        h = self.o_hours[k]
        if fit < h:
            self.y_lapsed[y] += h - fit
            self.lapsed_by[self.o_cause[k]] += h - fit
            h = fit
        dur = h / weekly * 7.0
        m = self.o_mode[k]
        if m:
            self.busy[m] += 1
            self.lv_posts[m].add(now, 1)
            self.track_full(m)
        self.mis.append((now, now + dur, h, m, self.cohort[i]))
        self.w_place.append((y, now - self.ready_since[i]))
        self.set_state(i, MISSION)
        self.hours[i] += h
        self.missions_n[i] += 1
        self.at(now + dur, self.end_mission, i, m)

    def end_mission(self, i: int, m: int) -> None:
        if m:
            self.busy[m] -= 1
            self.lv_posts[m].add(self.env.now, -1)
            self.track_full(m)
            self.fill_mode(m)
        if self.deadline[i] or self.u_next() >= self.flow.missions.next_mission_probability:
            self.exit(i)
        else:
            self.job_ready(i)

    def fill_mode(self, m: int) -> None:
        """A post of SIAE type ``m`` is free: give it to the oldest open offer of that type."""
        q = self.open[m]
        while q and self.busy[m] < self.posts[m]:
            while q and not self.o_open[q[0]]:
                q.popleft()
            if not q:
                return
            i = self.next_ready()
            if i < 0:
                return
            self.start_mission(i, q.popleft())

    def give_up_ready(self, i: int, spell: int) -> None:
        if self.state[i] == READY and self.spell[i] == spell:
            self.exit(i, gave_up=True)

    def end_parcours(self, i: int) -> None:
        s = self.state[i]
        if s == GONE:
            return
        self.deadline[i] = True
        if s in (READY, PREP_WAIT, BARRIER_WAIT):
            self.exit(i)

    # ---- exit

    def exit(self, i: int, gave_up: bool = False) -> None:
        now = self.env.now
        y = self.y
        self.set_state(i, GONE)
        self.lv_occ.add(now, -1)
        self.track_full()
        self.w_caseload.append(now - self.intake_t[i])
        p = self.public[i]
        if gave_up and self.missions_n[i] == 0:
            o = DROPPED
            self.y_count["gave_up_before_placement"][y] += 1
        else:
            probs = self.probs[p]  # positive outcomes' probabilities; "other" is the rest
            if self.uplift:
                rise = 1.0 + self.uplift * self.hours[i] / 1000.0
                s = sum(probs) * rise
                probs = [q * rise / max(s, 1.0) for q in probs]
            u = self.u_outcome()
            o = OTHER
            acc = 0.0
            for k, q in zip(POS, probs, strict=True):
                acc += q
                if u < acc:
                    o = k
                    break
        self.y_count["exits"][y] += 1
        self.exits_by[(y * N_OUT + o) * N_PUB + p] += 1
        self.cohort_out[self.cohort[i] * N_OUT + o] += 1
        for b in (0, 1):
            if self.held[i][b]:
                self.held[i][b] = False
                self.free_barrier_place(b)
        self.admit()

    # ---- run and results

    def run(self) -> Run:
        self.env.run(until=self.T)
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

    def result(self) -> Run:
        ny, T = self.n_years, self.T
        fte_hours = float(self.sc.clause.fte_hours)
        edges = np.arange(ny + 1) * YEAR_DAYS
        if self.mis:
            ms, me, mh, mm, mc = (np.asarray(c) for c in zip(*self.mis, strict=True))
        else:
            ms = me = mh = np.empty(0)
            mm = mc = np.empty(0, dtype=np.int64)
        span = np.maximum(me - ms, 1e-12)
        # realised hours per (mission, year), pro rata over the mission's days
        overlap = np.clip(
            np.minimum(me[:, None], edges[None, 1:]) - np.maximum(ms[:, None], edges[None, :-1]),
            0.0,
            None,
        )
        per = overlap / span[:, None] * mh[:, None]
        realised = per.sum(axis=0)
        direct = per[mm == 0].sum(axis=0)
        siae = realised - direct
        in_progress = float((mh * np.clip(me - T, 0, None) / span).sum())
        open_hours = sum(h for h, o in zip(self.o_hours, self.o_open, strict=True) if o)
        offered = np.asarray(self.y_offered)
        lapsed = np.asarray(self.y_lapsed)
        cohort_hours = np.bincount(mc.astype(np.int64), weights=per.sum(axis=1), minlength=ny)
        cohort_people = np.bincount([c for c in self.cohort if c >= 0], minlength=ny)

        c = {k: np.asarray(v, dtype=float) for k, v in self.y_count.items()}
        gave_up = c["gave_up_before_intake"] + c["gave_up_before_placement"]
        exits_by = np.asarray(self.exits_by, dtype=np.int64).reshape(ny, N_OUT, N_PUB)
        pos = exits_by[:, POS, :].sum(axis=1)
        occ, cap, wait = self.lv_occ.yearly(), self.lv_cap.yearly(), self.lv_wait.yearly()
        busy = [lv.yearly() for lv in self.lv_posts]
        posts = np.asarray(self.posts[1:], dtype=float)
        busy_siae = np.sum(busy[1:], axis=0)

        def ratio(a: Any, b: Any) -> Any:
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(
                    np.asarray(b) > 0, np.asarray(a) / np.where(np.asarray(b) > 0, b, 1.0), np.nan
                )

        yw_i, w_i = _split_waits(self.w_intake, ny)
        yw_p, w_p = _split_waits(self.w_place, ny)
        yearly: dict[str, Any] = {
            "hours_offered": offered,
            "hours_realised": realised,
            "hours_realised_direct": direct,
            "hours_realised_siae": siae,
            "hours_lapsed": lapsed,
            "fte_realised": realised / fte_hours,
            "referrals": c["referrals"],
            "intakes": c["intakes"],
            "gave_up_before_intake": c["gave_up_before_intake"],
            "gave_up_before_placement": c["gave_up_before_placement"],
            "gave_up": gave_up,
            "active_end": np.asarray(self.active_end, dtype=float),
            "active_mean": occ / YEAR_DAYS,
            "waiting_mean": wait / YEAR_DAYS,
            "exits": c["exits"],
            "positive_exits": pos.sum(axis=1),
            "positive_exits_rsa": pos[:, RSA],
            "positive_exits_under_26": pos[:, UNDER_26],
            "mean_intake_wait_days": [_mean(w) for w in yw_i],
            "p90_intake_wait_days": [_p90(w) for w in yw_i],
            "mean_placement_wait_days": [_mean(w) for w in yw_p],
            "p90_placement_wait_days": [_p90(w) for w in yw_p],
            "facilitator_utilisation": ratio(occ, cap),
            "siae_occupancy": ratio(busy_siae, posts.sum() * YEAR_DAYS),
        }
        for j, t in enumerate(SIAE_TYPES, start=1):
            yearly[f"siae_occupancy_{t}"] = ratio(busy[j], posts[j - 1] * YEAR_DAYS)
        totals = {k: float(np.sum(v)) for k, v in yearly.items()}
        totals.update(
            {
                "active_end": float(self.lv_occ.value),
                "active_mean": float(occ.sum() / T),
                "waiting_mean": float(wait.sum() / T),
                "mean_intake_wait_days": _mean(w_i),
                "p90_intake_wait_days": _p90(w_i),
                "mean_placement_wait_days": _mean(w_p),
                "p90_placement_wait_days": _p90(w_p),
                "facilitator_utilisation": float(ratio(occ.sum(), cap.sum())),
                "siae_occupancy": float(ratio(busy_siae.sum(), posts.sum() * T)),
                "hours_open_end": open_hours + in_progress,
                "waiting_end": float(self.waiting),
                "realised_share": float(ratio(realised.sum(), offered.sum())),
                "lapsed_share": float(ratio(lapsed.sum(), offered.sum())),
            }
        )
        for j, t in enumerate(SIAE_TYPES, start=1):
            totals[f"siae_occupancy_{t}"] = float(ratio(busy[j].sum(), posts[j - 1] * T))
            totals[f"time_full_siae_{t}"] = float(self.lv_post_full[j].yearly().sum() / T)
        totals["time_full_facilitators"] = float(self.lv_fac_full.yearly().sum() / T)
        totals["time_full_preparation"] = float(self.lv_prep_full.yearly().sum() / T)
        for cause, h in self.lapsed_by.items():
            totals[f"lapsed_{cause}"] = h
        months = np.arange(ny * 12)
        monthly = {
            "facilitator_utilisation": ratio(
                np.asarray(self.lv_occ.area), np.asarray(self.lv_cap.area)
            ),
            "siae_occupancy": ratio(
                np.sum([lv.area for lv in self.lv_posts[1:]], axis=0),
                posts.sum() * MONTH_DAYS * np.ones(months.size),
            ),
        }
        for j, t in enumerate(SIAE_TYPES, start=1):
            monthly[f"siae_occupancy_{t}"] = ratio(
                np.asarray(self.lv_posts[j].area), posts[j - 1] * MONTH_DAYS * np.ones(months.size)
            )
        self.check(totals)
        return Run.build(
            years=np.arange(self.sc.start_year, self.sc.start_year + ny),
            yearly=yearly,
            totals=totals,
            exits_by=exits_by,
            cohort_people=cohort_people,
            cohort_hours=cohort_hours,
            cohort_outcomes=np.asarray(self.cohort_out, dtype=np.int64).reshape(ny, N_OUT),
            monthly=monthly,
            waits={
                "intake": w_i,
                "placement": w_p,
                "intake_gave_up": self.w_gave_up,
                "caseload": self.w_caseload,
            },
            events=_events(self.env),
        )

    def check(self, t: dict[str, float]) -> None:
        """Conservation of people and hours; a breach is a bug and raises."""
        people_in = t["intakes"] + t["gave_up_before_intake"] + t["waiting_end"]
        if people_in != t["referrals"]:
            raise ConservationError(
                f"referrals {t['referrals']:.0f} != intakes + gave up before "
                f"intake + waiting at end ({people_in:.0f})"
            )
        if t["exits"] + t["active_end"] != t["intakes"]:
            raise ConservationError(
                f"intakes {t['intakes']:.0f} != exits + active at end "
                f"({t['exits'] + t['active_end']:.0f})"
            )
        hours_out = t["hours_realised"] + t["hours_lapsed"] + t["hours_open_end"]
        if not math.isclose(hours_out, t["hours_offered"], rel_tol=1e-9, abs_tol=1e-6):
            raise ConservationError(
                f"hours offered {t['hours_offered']:.3f} != realised + lapsed"
                f" + open at end ({hours_out:.3f})"
            )


def _split_waits(waits: list[tuple[int, float]], ny: int) -> tuple[list[list[float]], np.ndarray]:
    by_year: list[list[float]] = [[] for _ in range(ny)]
    for y, w in waits:
        by_year[y].append(w)
    return by_year, np.asarray([w for _, w in waits], dtype=float)


def _mean(w: Any) -> float:
    return float(np.mean(w)) if len(w) else math.nan


def _p90(w: Any) -> float:
    return float(np.percentile(w, 90)) if len(w) else math.nan


def _events(env: simpy.Environment) -> int:
    """Events scheduled by the environment (SimPy keeps a counter for its event queue)."""
    counter = getattr(env, "_eid", None)
    return int(next(counter)) if counter is not None else 0


def simulate(scenario: Scenario, seed: int = DEFAULT_SEED, replication: int = 0) -> Run:
    """Run one replication of the flow model.

    Parameters
    ----------
    scenario : the validated scenario
    seed : root seed; replication ``i`` uses ``SeedSequence(seed).spawn(n)[i]``
    replication : the replication's index

    Returns
    -------
    Run
        Yearly metrics, totals, cohorts and waits (days) of the replication.
    """
    return _Model(scenario, replication_seed(seed, replication)).run()
