"""The recorder: what a replication counts, and the run's results built from it.

Levels (people in the caseload, posts held, people waiting) are integrated over monthly bins
(level x days); counts are kept per calendar year; each mission is recorded (start, end, hours,
route, person) so that hours realised are split pro rata across 31 December and participants
(distinct people who worked) are counted per year. Results follow the annual clause report's
vocabulary (participants, contracts, hours per participant, people accompanied, positive exits
by public). Conservation of people and hours is checked at the end of every replication.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import chain, compress
from typing import Any, Final

import numpy as np

from ..errors import ConservationError
from ..results import LAPSE_CAUSES, Run
from ..scenario import (
    DYNAMIC_OUTCOMES,
    MODES,
    OUTCOMES,
    POSITIVE_OUTCOMES,
    PUBLIC_GROUPS,
    PUBLICS,
    SIAE_TYPES,
)
from ..schedule import YEAR_DAYS
from .parcours import DROPPED, Mission

MONTH_DAYS: Final = YEAR_DAYS / 12
N_PUB = len(PUBLICS)
N_OUT = len(OUTCOMES)
POS = [OUTCOMES.index(o) for o in POSITIVE_OUTCOMES]
DYN = [OUTCOMES.index(o) for o in DYNAMIC_OUTCOMES]
WORKED_OUT = [OUTCOMES.index(o) for o in ("durable", "transition", "training", "other")]
N_GROUPS = len(PUBLIC_GROUPS)
N_CODES = 1 << N_GROUPS
CODE_BITS = (np.arange(N_CODES)[:, None] >> np.arange(N_GROUPS)) & 1
"""(codes, groups): whether people of each membership code (one bit a group) count in a group."""


class Level:
    """A piecewise-constant level (people, posts) integrated over monthly bins (level x days).

    Each change closes the piece of constant level since the last one and adds its level x days
    to its month, split at month edges: a change costs a few float operations during the run and
    nothing is left to integrate when the results are built. Time past the last month counts in
    the last month."""

    __slots__ = ("_m", "_s", "acc", "end", "n_months", "value")

    def __init__(self, n_months: int, value: float = 0.0) -> None:
        self.n_months = n_months
        self.value = value
        self.end = 0.0
        self.acc: list[float] = [0.0] * n_months  # level x days of each month, up to _s
        self._s = 0.0  # start (days) of the open piece: the last change
        self._m = 0  # its month: month edges at or before _s

    def add(self, t: float, delta: float) -> None:
        """Change the level by ``delta`` at time ``t`` (days, never before the last change)."""
        acc, s, m, v = self.acc, self._s, self._m, self.value
        last = self.n_months - 1
        while m < last:
            e = (m + 1) * MONTH_DAYS  # the next month edge
            if e >= t:
                if e == t:  # the new level starts on the edge: in the next month
                    acc[m] = acc[m] + v * (t - s)
                    s, m = e, m + 1
                break
            acc[m] = acc[m] + v * (e - s)
            s, m = e, m + 1
        acc[m] = acc[m] + v * (t - s)
        self._s, self._m = t, m
        self.value = v + delta

    def advance(self, t: float) -> None:
        """Integrate the level up to time ``t`` (days) at least."""
        if t > self.end:
            self.end = t

    @property
    def area(self) -> np.ndarray:
        """Level x days in each month, up to the later of the last change and :meth:`advance`."""
        if self.end <= self._s:
            return np.array(self.acc)
        out = Level(self.n_months, self.value)
        out.acc, out._s, out._m = list(self.acc), self._s, self._m
        out.add(self.end, 0)
        return np.array(out.acc)

    def yearly(self) -> np.ndarray:
        """Level x days per calendar year."""
        return self.area.reshape(-1, 12).sum(axis=1)


def integrate(levels: Sequence[Level]) -> np.ndarray:
    """Level x days in each month of each level (levels x months, levels of equal months)."""
    k = len(levels)
    n = levels[0].n_months if k else 0
    if any(lv.n_months != n for lv in levels):
        raise ValueError("levels of unequal months")
    return np.array([lv.area for lv in levels]).reshape(k, n)


def year_overlap(ms: np.ndarray, me: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Days of each mission (start ``ms``, end ``me``, days) in each year (``edges``: the years'
    starts and the last one's end, days): missions x years."""
    return np.clip(
        np.minimum(me[:, None], edges[None, 1:]) - np.maximum(ms[:, None], edges[None, :-1]),
        0.0,
        None,
    )


def split_by_year(
    ms: np.ndarray, me: np.ndarray, mh: np.ndarray, n_years: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Missions' hours split pro rata across calendar years (start ``ms`` and end ``me`` in
    days, hours ``mh``; years 0 to ``n_years - 1``, the time past them left out).

    Returns, for each (mission, year) pair from a mission's first year to its last, in mission
    then year order: the mission, the year, the days of the mission in the year and its hours
    there; then each mission's hours in the years. The same floats as the missions x years
    table (:func:`year_overlap`) summed by year (in mission order) and by mission, but only its
    few non-empty cells are made: a mission spans one or two years, the table all of them."""
    n = ms.size
    edges = np.arange(n_years + 1) * YEAR_DAYS
    first = (ms // YEAR_DAYS).astype(np.int64)
    last = np.maximum(np.minimum(-(-me // YEAR_DAYS).astype(np.int64) - 1, n_years - 1), first)
    width = int((last - first).max()) + 1 if n else 1
    year = first[:, None] + np.arange(width)[None, :]
    inside = year <= last[:, None]  # the mission's years (a table row's cells that can be > 0)
    mission = np.broadcast_to(np.arange(n)[:, None], year.shape)[inside]
    year = year[inside]
    s, e = ms[mission], me[mission]
    days = np.clip(np.minimum(e, edges[year + 1]) - np.maximum(s, edges[year]), 0.0, None)
    span = np.maximum(me - ms, 1e-12)
    hours = days / span[mission] * mh[mission]
    by_mission = np.bincount(mission, weights=hours, minlength=n)
    # a row of three or more cells is summed as numpy sums a table's row (pairwise, not in turn)
    long = np.flatnonzero(last - first >= 2)
    if long.size:
        rows = year_overlap(ms[long], me[long], edges) / span[long, None] * mh[long, None]
        by_mission[long] = rows.sum(axis=1)
    return mission, year, days, hours, by_mission


def sum_by_year(year: np.ndarray, hours: np.ndarray, n_years: int) -> np.ndarray:
    """Hours of (mission, year) pairs (in mission order) summed by year, as numpy sums a
    missions x years table's columns: in mission order, but pairwise when the table has one
    column (one year), numpy then summing it as one contiguous run."""
    if n_years == 1:
        return np.array([hours.sum()])
    return np.bincount(year, weights=hours, minlength=n_years)


def in_order(seq: np.ndarray) -> np.ndarray:
    """The indices of the items numbered 0, 1, 2... by ``seq`` (-1: not numbered), in that
    order."""
    numbered = np.flatnonzero(seq >= 0)
    out = np.empty(numbered.size, dtype=np.int64)
    out[seq[numbered]] = numbered
    return out


def _ratio(a: Any, b: Any) -> Any:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)


def group_mean_p90(groups: Sequence[Sequence[float] | np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Mean and 90th percentile (numpy's linear rule) of each group of waits (days), in one
    pass; NaN for an empty group."""
    sizes = [len(g) for g in groups]
    s = np.fromiter(chain.from_iterable(groups), dtype=float, count=sum(sizes))
    return _mean_p90(s, sizes)


def _mean_p90(s: np.ndarray, group_sizes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`group_mean_p90` of groups laid end to end in ``s`` (days; sorted in place, group
    by group)."""
    k = len(group_sizes)
    sizes = np.array(group_sizes, dtype=np.int64)
    mean, p90 = np.full(k, np.nan), np.full(k, np.nan)
    if s.size == 0:
        return mean, p90
    ends = np.cumsum(sizes)
    starts = ends - sizes
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        if b - a > 1:
            s[a:b].sort()  # sorted within each group
    has = sizes > 0
    n = sizes[has]
    start = starts[has]
    mean[has] = np.add.reduceat(s, start) / n
    v = (n - 1) * 0.9  # virtual index of the 90th percentile
    lo = np.floor(v)
    g = v - lo
    a = s[start + lo.astype(np.int64)]
    b = s[np.minimum(start + lo.astype(np.int64) + 1, start + n - 1)]
    d = b - a
    p90[has] = np.where(g >= 0.5, b - d * (1 - g), a + d * g)
    return mean, p90


class Recorder:
    """Counts kept during a replication and the :class:`~sim.results.Run` built from them."""

    def init_recorder(self) -> None:
        ny = self.n_years
        nm = ny * 12
        self.lv_occ = Level(nm)
        self.lv_cap = Level(nm, self.capacity)
        self.lv_wait = Level(nm)
        self.lv_posts = [Level(nm) for _ in MODES]
        self.lv_fac_full = Level(nm)
        self.lv_prep_full = Level(nm)
        self.lv_post_full = [
            Level(nm, 1.0 if (m and self.posts[m] <= 0) else 0.0) for m in range(len(MODES))
        ]
        self.lapsed_by = {c: [0.0] * ny for c in LAPSE_CAUSES}  # hours lapsed by cause, year
        # people (or offers) counted per calendar year
        self.y_referrals = [0] * ny
        self.y_intakes = [0] * ny
        self.y_gave_up_intake = [0] * ny
        self.y_exits = [0] * ny
        self.y_fallbacks = [0] * ny
        self.y_offered = [0.0] * ny
        self.y_lapsed = [0.0] * ny
        self.active_end = [0] * ny
        self.n_taken = 0  # people taken in so far (their intake order is in their record)
        self.n_exited = 0  # people exited so far (likewise)
        self.w_gave_up: list[float] = []  # waits (days) of people who gave up before intake
        # missions in the order they started
        self.missions: list[Mission] = []

    def person_fields(self) -> dict[str, np.ndarray]:
        """The people's records as arrays, one a field (see :class:`~sim.model.person.Person`):
        intake and exit times (days; NaN: none), intake and exit order (-1: none), last route,
        and whether they gave up waiting for a mission."""
        n = len(self.arrival)
        self.make_people(n)  # records not made yet (a model not run to its end)
        people = self.people
        return {
            "intake_t": np.fromiter([p.intake_t for p in people], np.float64, n),
            "exit_t": np.fromiter([p.exit_t for p in people], np.float64, n),
            "intake_seq": np.fromiter([p.intake_seq for p in people], np.int64, n),
            "exit_seq": np.fromiter([p.exit_seq for p in people], np.int64, n),
            "last_mode": np.fromiter([p.last_mode for p in people], np.int64, n),
            "gave_up": np.fromiter([p.gave_up for p in people], np.bool_, n),
        }

    def mission_fields(self) -> dict[str, np.ndarray]:
        """The missions' records as arrays, one a field (see :class:`~sim.model.parcours.Mission`),
        in the order the missions started."""
        ms = self.missions
        n = len(ms)
        return {
            "start": np.fromiter([x.start for x in ms], np.float64, n),
            "end": np.fromiter([x.end for x in ms], np.float64, n),
            "hours": np.fromiter([x.hours for x in ms], np.float64, n),
            "mode": np.fromiter([x.mode for x in ms], np.int64, n),
            "person": np.fromiter([x.person for x in ms], np.int64, n),
            "wait": np.fromiter([x.wait for x in ms], np.float64, n),
        }

    # ---- results

    def result(self) -> Run:
        """The replication's results (years, totals, cohorts, waits), conservation checked."""
        ny, T, h = self.n_years, self.T, self.h
        fte_hours = float(self.sc.clause.fte_hours)
        edges = np.arange(ny + 1) * YEAR_DAYS
        mf = self.mission_fields()
        ms, me, mh, mm, mp = mf["start"], mf["end"], mf["hours"], mf["mode"], mf["person"]
        span = np.maximum(me - ms, 1e-12)
        # hours of each (mission, year) pair, and of each mission within the years
        pair_m, pair_y, pair_days, pair_h, mission_h = split_by_year(ms, me, mh, ny)
        realised = sum_by_year(pair_y, pair_h, ny)
        direct_pair = mm[pair_m] == 0
        direct = sum_by_year(pair_y[direct_pair], pair_h[direct_pair], ny)
        in_progress = float((mh * np.clip(me - T, 0, None) / span).sum())
        open_hours = sum(compress(self.o_hours, self.o_open))
        offered = np.asarray(self.y_offered)
        lapsed = np.asarray(self.y_lapsed)

        # people: membership of each reporting public, cohorts, outcomes
        member = self.member
        pf = self.person_fields()
        intake_t, exit_t = pf["intake_t"], pf["exit_t"]
        cohort = np.full(intake_t.size, -1, dtype=np.int64)  # year of intake (-1: none)
        taken = pf["intake_seq"] >= 0
        cohort[taken] = intake_t[taken] // YEAR_DAYS  # 1 January's call comes first on its day
        who = in_order(pf["exit_seq"])  # people in the order they exited
        public = np.asarray(self.public, dtype=np.int64)
        # each person's missions and hours worked (their missions' hours added in the order
        # the missions started)
        n_people = public.size
        outcome = self.outcomes(
            public,
            np.bincount(mp, minlength=n_people).astype(np.int64, copy=False),
            np.bincount(mp, weights=mh, minlength=n_people).astype(np.float64, copy=False),
            pf["last_mode"],
            who,
            pf["gave_up"][who],
        )
        exited = outcome >= 0
        exit_y = np.where(exited, np.minimum((exit_t // YEAR_DAYS), ny - 1), -1).astype(np.int64)
        mc = cohort[mp] if mp.size else np.empty(0, dtype=np.int64)
        cohort_hours = np.bincount(mc, weights=mission_h, minlength=ny)
        cohort_people = np.bincount(cohort[cohort >= 0], minlength=ny)
        cohort_out = np.bincount(
            cohort[exited] * N_OUT + outcome[exited], minlength=ny * N_OUT
        ).reshape(ny, N_OUT)
        exits_by = np.bincount(
            (exit_y[exited] * N_OUT + outcome[exited]) * N_PUB + public[exited],
            minlength=ny * N_OUT * N_PUB,
        ).reshape(ny, N_OUT, N_PUB)
        # people counted by group and year: counted by membership code, then summed by group
        code = member @ (1 << np.arange(N_GROUPS))

        def by_group(counts: np.ndarray) -> np.ndarray:
            """(..., groups): people of each group, from people counted by code (..., codes)."""
            return counts @ CODE_BITS

        # participants: distinct people who worked (a mission overlapping the year)
        worked_in = np.zeros(len(self.public) * ny, dtype=np.bool_)  # (person, year) flags
        worked_in[(mp[pair_m] * ny + pair_y)[pair_days > 0]] = True
        pid_year = np.flatnonzero(worked_in)
        part_p, part_y = pid_year // ny, pid_year % ny
        participants_g = by_group(
            np.bincount(part_y * N_CODES + code[part_p], minlength=ny * N_CODES).reshape(
                ny, N_CODES
            )
        )
        participants = np.bincount(part_y, minlength=ny).astype(float)
        worked, first_idx = np.unique(mp, return_index=True)
        new_participants = np.bincount(
            (ms[first_idx] // YEAR_DAYS).astype(np.int64), minlength=ny
        ).astype(float)
        start_y = (ms // YEAR_DAYS).astype(np.int64)
        contracts = (
            np.bincount(mm * ny + start_y, minlength=len(MODES) * ny)
            .reshape(len(MODES), ny)
            .astype(float)
        )
        # people accompanied in a year: in the caseload at some time during it
        # (from the year of intake to the year of exit, or the last year): +1 and -1 at the ends
        taken = ~np.isnan(intake_t)
        first_y = np.searchsorted(edges, intake_t[taken], side="right") - 1
        after_y = np.minimum(np.searchsorted(edges, exit_t[taken], side="right"), ny)
        after_y[np.isnan(exit_t[taken])] = ny
        code_t = code[taken]
        n_yc = (ny + 1) * N_CODES
        change = np.bincount(first_y * N_CODES + code_t, minlength=n_yc) - np.bincount(
            after_y * N_CODES + code_t, minlength=n_yc
        )
        in_years = np.cumsum(change.reshape(ny + 1, N_CODES)[:ny], axis=0)  # (years, codes)
        accompanied = in_years.sum(axis=1).astype(float)
        acc_g = by_group(in_years).astype(float)
        # exits by year, outcome and membership code; by year and outcome
        exit_code = np.bincount(
            (exit_y[exited] * N_OUT + outcome[exited]) * N_CODES + code[exited],
            minlength=ny * N_OUT * N_CODES,
        ).reshape(ny, N_OUT, N_CODES)
        out_y = exits_by.sum(axis=2)
        pos_g = by_group(exit_code[:, POS].sum(axis=1)).astype(float)
        worked_exits_g = by_group(exit_code[:, WORKED_OUT].sum(axis=1)).astype(float)
        pos = out_y[:, POS].sum(axis=1).astype(float)
        worked_exits = out_y[:, WORKED_OUT].sum(axis=1).astype(float)
        dynamic = out_y[:, DYN].sum(axis=1).astype(float)

        c = {
            k: np.asarray(v, dtype=float)
            for k, v in (
                ("referrals", self.y_referrals),
                ("intakes", self.y_intakes),
                ("gave_up_before_intake", self.y_gave_up_intake),
                ("exits", self.y_exits),
                ("fallbacks", self.y_fallbacks),
            )
        }
        # people who never worked and gave up waiting for a mission (outcome drawn after the run)
        c["gave_up_before_placement"] = out_y[:, DROPPED].astype(float)
        # levels x days, by month then by year: caseload, capacity, waiting, posts held by route,
        # facilitators full, preparation queue, route's posts full
        n_modes = len(MODES)
        area = integrate(
            [
                self.lv_occ,
                self.lv_cap,
                self.lv_wait,
                *self.lv_posts,
                self.lv_fac_full,
                self.lv_prep_full,
                *self.lv_post_full,
            ]
        )
        in_year = area.reshape(area.shape[0], ny, 12).sum(axis=2)
        occ, cap, wait = in_year[0], in_year[1], in_year[2]
        busy = in_year[3 : 3 + n_modes]
        fac_full, prep_full = in_year[3 + n_modes], in_year[4 + n_modes]
        post_full = in_year[5 + n_modes :]
        posts = np.asarray(self.posts[1:], dtype=np.float64)
        busy_siae = np.sum(busy[1:], axis=0)
        # waits by year of their end, then all of them: for intake (in intake order), then for
        # a mission (in the order missions started)
        taken_in = in_order(pf["intake_seq"])
        all_i = intake_t[taken_in] - self.arrival_days[taken_in]
        all_p = mf["wait"]
        w_mean, w_p90 = _mean_p90(
            np.concatenate((all_i, all_i, all_p, all_p)),
            [
                *np.bincount(cohort[taken_in], minlength=ny).tolist(),
                all_i.size,
                *np.bincount(start_y, minlength=ny).tolist(),
                all_p.size,
            ],
        )

        yearly: dict[str, Any] = {
            "hours_offered": offered,
            "hours_realised": realised,
            "hours_realised_direct": direct,
            "hours_realised_siae": realised - direct,
            "hours_lapsed": lapsed,
            "fte_realised": realised / fte_hours,
            "referrals": c["referrals"],
            "intakes": c["intakes"],
            "gave_up_before_intake": c["gave_up_before_intake"],
            "gave_up_before_placement": c["gave_up_before_placement"],
            "gave_up": c["gave_up_before_intake"] + c["gave_up_before_placement"],
            "active_end": np.asarray(self.active_end, dtype=float),
            "active_mean": occ / YEAR_DAYS,
            "waiting_mean": wait / YEAR_DAYS,
            "exits": c["exits"],
            "positive_exits": pos,
            "dynamic_exits": dynamic,
            "positive_exit_rate": _ratio(pos, worked_exits),
            "participants": participants,
            "new_participants": new_participants,
            "contracts": contracts.sum(axis=0),
            "hours_per_participant": _ratio(realised, participants),
            "people_accompanied": accompanied,
            "fallbacks": c["fallbacks"],
            "mean_intake_wait_days": w_mean[:ny],
            "p90_intake_wait_days": w_p90[:ny],
            "mean_placement_wait_days": w_mean[ny + 1 : 2 * ny + 1],
            "p90_placement_wait_days": w_p90[ny + 1 : 2 * ny + 1],
            "facilitator_utilisation": _ratio(occ, cap),
            "siae_occupancy": _ratio(busy_siae, posts.sum() * YEAR_DAYS),
        }
        for k, m in enumerate(MODES):
            yearly[f"contracts_{m}"] = contracts[k]
        for cause, lapsed_y in self.lapsed_by.items():
            yearly[f"lapsed_{cause}"] = np.asarray(lapsed_y)
        pos_rate_g = _ratio(pos_g, worked_exits_g)
        for j, g in enumerate(PUBLIC_GROUPS):
            yearly[f"participants_{g}"] = participants_g[:, j]
            yearly[f"people_accompanied_{g}"] = acc_g[:, j]
            yearly[f"positive_exits_{g}"] = pos_g[:, j]
            yearly[f"positive_exit_rate_{g}"] = pos_rate_g[:, j]
        siae_occ = _ratio(busy[1:], posts[:, None] * YEAR_DAYS)
        for j, t in enumerate(SIAE_TYPES):
            yearly[f"siae_occupancy_{t}"] = siae_occ[j]

        sums = np.nansum(np.array(list(yearly.values()), dtype=float), axis=1)
        totals = dict(zip(yearly, sums.tolist(), strict=True))
        n_worked = float(worked.size)
        mi, pi = float(w_mean[ny]), float(w_p90[ny])
        mp_, pp = float(w_mean[-1]), float(w_p90[-1])
        totals.update(
            {
                "active_end": float(self.lv_occ.value),
                "active_mean": float(occ.sum() / T),
                "waiting_mean": float(wait.sum() / T),
                "participants": n_worked,
                "hours_per_participant": float(_ratio(realised.sum(), n_worked)),
                "people_accompanied": float(taken.sum()),
                "positive_exit_rate": float(_ratio(pos.sum(), worked_exits.sum())),
                "mean_intake_wait_days": mi,
                "p90_intake_wait_days": pi,
                "mean_placement_wait_days": mp_,
                "p90_placement_wait_days": pp,
                "facilitator_utilisation": float(_ratio(occ.sum(), cap.sum())),
                "siae_occupancy": float(_ratio(busy_siae.sum(), posts.sum() * T)),
                "hours_open_end": open_hours + in_progress,
                "waiting_end": float(self.waiting),
                "realised_share": float(_ratio(realised.sum(), offered.sum())),
                "lapsed_share": float(_ratio(lapsed.sum(), offered.sum())),
            }
        )
        worked_g = by_group(np.bincount(code[worked], minlength=N_CODES)).tolist()
        taken_g = by_group(np.bincount(code_t, minlength=N_CODES)).tolist()
        pos_rate_all_g = _ratio(pos_g.sum(axis=0), worked_exits_g.sum(axis=0)).tolist()
        for j, g in enumerate(PUBLIC_GROUPS):
            totals[f"participants_{g}"] = float(worked_g[j])
            totals[f"people_accompanied_{g}"] = float(taken_g[j])
            totals[f"positive_exit_rate_{g}"] = pos_rate_all_g[j]
        siae_occ_t = _ratio(busy[1:].sum(axis=1), posts * T).tolist()
        time_full = (post_full[1:].sum(axis=1) / T).tolist()
        for j, t in enumerate(SIAE_TYPES):
            totals[f"siae_occupancy_{t}"] = siae_occ_t[j]
            totals[f"time_full_siae_{t}"] = time_full[j]
        totals["time_full_facilitators"] = float(fac_full.sum() / T)
        totals["time_full_preparation"] = float(prep_full.sum() / T)
        n_months = ny * 12
        monthly = {
            "facilitator_utilisation": _ratio(area[0], area[1]),
            "siae_occupancy": _ratio(
                area[4 : 3 + n_modes].sum(axis=0),
                np.full(n_months, posts.sum() * MONTH_DAYS),
            ),
        }
        siae_occ_m = _ratio(area[4 : 3 + n_modes], posts[:, None] * MONTH_DAYS)
        for j, t in enumerate(SIAE_TYPES):
            monthly[f"siae_occupancy_{t}"] = siae_occ_m[j]
        self.check(totals)
        return Run.build(
            years=np.arange(self.sc.start_year, self.sc.start_year + ny),
            run_out=np.arange(ny) >= h,
            yearly=yearly,
            totals=totals,
            exits_by=exits_by,
            cohort_people=cohort_people,
            cohort_hours=cohort_hours,
            cohort_outcomes=cohort_out,
            monthly=monthly,
            waits={
                "intake": all_i,
                "placement": all_p,
                "intake_gave_up": self.w_gave_up,
                "caseload": exit_t[who] - intake_t[who],
            },
            events=self.events(),
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
