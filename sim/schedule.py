"""Works schedule: each year's works cut into operations, each releasing job offers (missions).

An operation (a *cité*) groups ``dwellings_per_operation`` dwellings (or
``amount_per_operation_eur`` of an amount line). Its clause hours are the hours engine's, with
the same rounding, so that a scenario's offers add up exactly to its clause hours. Operations
start evenly through their year (``start = "spread"``) or at uniform random times, and last a
drawn duration. Their hours are cut into missions of drawn size: the last takes the remainder,
and one under ``min_hours`` is merged into the one before. Mission k of n is released at
``start + release_share x slack x (k + 0.5) / n``, where slack is the operation's duration less
the mission's own (hours / weekly hours x 7 days). Each mission's route (direct hire or an SIAE
type) and its weekly hours (by route) are drawn with its size, and its size is capped to what
its operation can hold: a mission taken up when released fits before the works end; one taken up
later is shrunk to what still fits.

Times are in days from 1 January of the first year; a year is 365 days.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .hours import apportion, line_hours
from .scenario import MODES, Scenario, Works
from .streams import sample

YEAR_DAYS = 365.0


@dataclass(frozen=True)
class Offers:
    """Job offers of a scenario, sorted by release time (arrays of equal length).

    Attributes
    ----------
    release : release time (days)
    expiry : last time at which a mission of ``min_hours`` still fits before the operation ends
    op_end : end of the operation (days)
    hours : hours of the offer (h)
    weekly_hours : hours a week of the mission (h/week)
    mode : index in :data:`sim.scenario.MODES`
    operation : index of the operation
    """

    release: NDArray[np.float64]
    expiry: NDArray[np.float64]
    op_end: NDArray[np.float64]
    hours: NDArray[np.float64]
    weekly_hours: NDArray[np.float64]
    mode: NDArray[np.int64]
    operation: NDArray[np.int64]
    op_start: NDArray[np.float64]
    op_hours: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.hours.size)


def operations(
    scenario: Scenario, gen: np.random.Generator
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Start (days), duration (days) and clause hours (h) of every operation of the scenario."""
    ops = scenario.flow.operations
    starts: list[float] = []
    hours: list[float] = []
    for works in scenario.works:
        for y, spread, part in _operations_of(
            works,
            scenario.clause.rounding,
            scenario.horizon_years,
            ops.dwellings_per_operation,
            ops.amount_per_operation_eur,
        ):
            if ops.start == "spread":
                starts.extend(spread)
            else:
                starts.extend((YEAR_DAYS * (y + np.sort(gen.random(len(part))))).tolist())
            hours.extend(part)
    start = np.asarray(starts, dtype=float)
    duration = sample(gen, ops.duration_days, start.size)
    return start, np.maximum(duration, 1.0), np.asarray(hours, dtype=float)


@functools.lru_cache(maxsize=16)  # a few works lines; a large programme line holds ~MBs
def _operations_of(
    works: Works,
    rounding: str,
    horizon: int,
    dwellings_per_operation: int,
    amount_per_operation_eur: float,
) -> tuple[tuple[int, tuple[float, ...], tuple[float, ...]], ...]:
    """The operations of one works line, the same in every replication: for each year with
    clause hours, its index, the start of each operation when starts are spread (days) and the
    clause hours of each (h). Computed once per works line and cutting."""
    line = line_hours(works, rounding, horizon)
    out: list[tuple[int, tuple[float, ...], tuple[float, ...]]] = []
    for y in range(horizon):
        h = float(line.hours[y])
        if h <= 0:
            continue
        if line.dwellings is not None:
            dw = int(line.dwellings[y])
            n = max(1, math.ceil(dw / dwellings_per_operation))
            size = apportion(dw, np.ones(n))
            if line.hours_per_dwelling is not None and rounding in (
                "floor_per_dwelling",
                "round_per_dwelling",
            ):
                part = size * line.hours_per_dwelling
            else:
                part = _split(h, size.astype(float))
        else:
            amount = float(line.amount_eur[y])
            n = max(1, math.ceil(amount / amount_per_operation_eur - 1e-9))
            part = _split(h, np.ones(n))
        spread = YEAR_DAYS * (y + (np.arange(n) + 0.5) / n)
        out.append((y, tuple(spread.tolist()), tuple(np.asarray(part, dtype=float).tolist())))
    return tuple(out)


def _split(total: float, weights: NDArray[np.float64]) -> NDArray[np.float64]:
    """Split hours over operations: whole hours stay whole and sum exactly."""
    if float(total).is_integer():
        return apportion(int(total), weights).astype(float)
    return total * weights / weights.sum()


def offers(
    scenario: Scenario,
    gen_ops: np.random.Generator,
    gen_offers: np.random.Generator,
    gen_modes: np.random.Generator,
    gen_weekly: np.random.Generator | None = None,
) -> Offers:
    """All job offers of a scenario, drawn from the given streams.

    Sizes come from ``gen_offers``, routes from ``gen_modes`` and weekly hours (by route) from
    ``gen_weekly`` (``gen_offers`` if not given), so that each random process keeps its draws
    when another changes.
    """
    flow = scenario.flow
    mis = flow.missions
    start, duration, op_hours = operations(scenario, gen_ops)
    hours, operation, mode, weekly = _missions(
        op_hours, duration, gen_offers, gen_modes, gen_weekly or gen_offers, scenario
    )
    # k-th of n missions of an operation: released at start + share x slack x (k + 0.5) / n
    count = np.bincount(operation, minlength=start.size)
    first = np.concatenate(([0], np.cumsum(count)[:-1]))
    rank = np.arange(hours.size) - first[operation]
    slack = np.maximum(duration[operation] - hours / weekly * 7.0, 0.0)
    release = start[operation] + flow.operations.release_share * slack * (
        (rank + 0.5) / count[operation]
    )
    op_end = (start + duration)[operation]
    expiry = op_end - mis.min_hours / weekly * 7.0
    order = np.argsort(release, kind="stable")
    return Offers(
        release=release[order],
        expiry=expiry[order],
        op_end=op_end[order],
        hours=hours[order],
        weekly_hours=weekly[order],
        mode=mode[order].astype(np.int64),
        operation=operation[order],
        op_start=start,
        op_hours=op_hours,
    )


def _missions(
    totals: NDArray[np.float64],
    duration: NDArray[np.float64],
    gen: np.random.Generator,
    gen_modes: np.random.Generator,
    gen_weekly: np.random.Generator,
    scenario: Scenario,
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Cut each operation's hours into missions that sum exactly to its total.

    Each candidate mission draws a size (h), a route and weekly hours (h/week) for its route. Its
    size is capped so that, started when released, it fits in its operation's duration: no hour
    is lost to timing by construction, only to waiting. Returns the missions' hours (h), their
    operation's index (grouped by operation), route index and weekly hours (h/week).
    """
    mis = scenario.flow.missions
    mean = max(mis.hours.mean, mis.min_hours)
    n = np.where(totals > 0, np.ceil(totals / mean * 1.5) + 4, 0).astype(np.int64)
    m = int(n.sum())
    sizes = np.maximum(np.round(sample(gen, mis.hours, m)), 1.0)
    shares = np.array([mis.mode_shares[x] for x in MODES], dtype=float)
    mode = gen_modes.choice(len(MODES), size=m, p=shares / shares.sum()).astype(np.int64)
    weekly = np.empty(m)
    for k, name in enumerate(MODES):
        idx = np.flatnonzero(mode == k)
        weekly[idx] = np.maximum(sample(gen_weekly, mis.weekly(name), idx.size), 1.0)
    seg = np.repeat(np.arange(totals.size), n)
    fit = duration[seg] * weekly / 7.0  # hours a mission can hold over its whole operation
    cap = np.where(fit >= 2.0 * mis.min_hours, fit - mis.min_hours, fit)
    sizes = np.maximum(np.minimum(sizes, np.floor(cap)), 1.0)
    for k in np.flatnonzero(
        np.bincount(seg, weights=sizes, minlength=totals.size) < totals
    ).tolist():
        # rare: the draws fell short of this operation's hours; repeat its candidates
        own = np.flatnonzero(seg == k)
        reps = int(np.ceil(totals[k] / sizes[own].sum()))
        extra = np.tile(own, reps - 1)
        at = int(own[-1]) + 1
        sizes = np.insert(sizes, at, sizes[extra])
        mode = np.insert(mode, at, mode[extra])
        weekly = np.insert(weekly, at, weekly[extra])
        seg = np.insert(seg, at, np.full(extra.size, k))
    cum = np.cumsum(sizes)
    first = np.searchsorted(seg, np.arange(totals.size))
    base = np.where(first < sizes.size, (cum - sizes)[np.minimum(first, sizes.size - 1)], 0.0)
    before = cum - sizes - base[seg]  # hours of the operation's earlier missions
    keep = before < totals[seg]
    out = sizes.copy()
    kept = np.bincount(seg[keep], minlength=totals.size)
    has = kept > 0
    last = first[has] + kept[has] - 1
    out[last] = totals[has] - before[last]
    short = last[(out[last] < mis.min_hours) & (kept[has] > 1)]
    out[short - 1] += out[short]
    keep[short] = False
    return out[keep], seg[keep], mode[keep], weekly[keep]
