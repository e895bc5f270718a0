"""Bottleneck diagnosis: which constraint limits the hours realised, and what one more unit buys.

For each constraint of the flow model, :func:`diagnose` gives three measures:

* **time at capacity** (share of the run, mean over replications): the facilitators' caseload
  full, people waiting for a preparation place, all posts of an SIAE type busy. Referrals, the
  timing of works and uncapped preparation have no capacity: not applicable.
* **hours lapsed attributed** (h, mean, and share of all lapsed hours): what was short when an
  offer lapsed (see :data:`sim.results.LAPSE_CAUSES`; the causes add up to the hours lapsed;
  ``preparation`` counts people still in preparation *or lifting a barrier*).
* **hours gained by one more unit** (h realised, paired difference with common random numbers:
  same seed, same replication indices, 95 % Student-t interval of the mean difference):

  ===============  ===============================================================================
  facilitators     +1 FTE every year (``flow.facilitators.fte``)
  preparation      +5 places a year (``flow.preparation.places_per_year``); not applicable when
                   places are not capped
  siae_<type>      +1 post (``flow.siae.posts.<type>``); not applicable when no offer goes
                   through that type
  referrals        +10 % referrals every year (``flow.referrals.per_year``), not +1 person
  works_timing     operations 30 days longer (``flow.operations.duration_days``: every parameter
                   of a fixed, uniform, triangular or empirical duration shifted by 30 days; the
                   mean of an exponential or lognormal one raised by 30 days)
  ===============  ===============================================================================

  A capacity never reached in any of the replications used cannot change anything when raised
  (the model only checks it when it is full): its gain is exactly 0 h and is not simulated.

The **binding constraint** is the one to which the most lapsed hours are attributed; none binds
when less than :data:`MIN_LAPSED_SHARE` of the offered hours lapse. The diagnosis holds figures
and keys only (a lever's ``kind`` and ``values``, a ``note`` key);
:mod:`sim.presentation.bottleneck` words it in French or English (the translation table).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..parallel import CancelFlag, Executor, batches, executor
from ..results import Runs, describe
from ..runner import Progress, run_one, run_replications
from ..scenario import SIAE_TYPES, Dist, Scenario, toml_value
from ..uncertainty import resolve

CONSTRAINTS: tuple[str, ...] = (
    "referrals",
    "facilitators",
    "preparation",
    *[f"siae_{t}" for t in SIAE_TYPES],
    "works_timing",
)
"""The constraints diagnosed, in display order."""

DEFAULT_REPLICATIONS = 40
"""Replications used for the +1 unit differences by default (at most those of the run)."""

MIN_LAPSED_SHARE = 0.01
"""Below this share of offered hours lapsed, no constraint is called binding."""

WORKS_EXTRA_DAYS = 30.0
"""Days added to the operations' duration for the works-timing lever."""

REFERRALS_FACTOR = 1.10
"""Factor applied to referrals for the referrals lever (+10 %)."""

PREPARATION_EXTRA = 5
"""Places a year added for the preparation lever."""


@dataclass(frozen=True)
class Lever:
    """One more unit of a constraint: the overrides that add it, and what it is (``kind``, one
    of ``referrals``, ``facilitators``, ``preparation``, ``siae``, ``works_timing``, with the
    figures of its wording in ``values``; texts are the presentation layer's)."""

    overrides: tuple[str, ...]
    kind: str
    values: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"kind", "values", "overrides"}``."""
        return {"kind": self.kind, "values": dict(self.values), "overrides": list(self.overrides)}


def _toml(value: Any) -> str:
    """A value as inline TOML, floats rounded to 9 decimals (hides binary noise)."""
    return toml_value(value, digits=9)


def _per_year(values: Sequence[float], factor: float = 1.0, add: float = 0.0) -> str:
    new = [v * factor + add for v in values]
    return _toml(new[0]) if len(set(new)) == 1 else _toml(new)


def _shifted(d: Dist, days: float) -> dict[str, Any]:
    p = dict(d.params)
    out: dict[str, Any] = {"dist": d.kind}
    if d.kind == "fixed":
        out["value"] = float(p["value"]) + days
    elif d.kind == "uniform":
        out.update(low=float(p["low"]) + days, high=float(p["high"]) + days)
    elif d.kind == "triangular":
        out.update({k: float(p[k]) + days for k in ("low", "mode", "high")})
    elif d.kind == "empirical":
        out["values"] = [float(v) + days for v in p["values"]]
        if "weights" in p:
            out["weights"] = [float(w) for w in p["weights"]]
    elif d.kind == "exponential":
        out["mean"] = float(p["mean"]) + days
    elif d.kind == "lognormal":
        out.update(mean=float(p["mean"]) + days, sd=float(p["sd"]))
    else:  # pragma: no cover - durations have no "none"
        raise ValueError(f"cannot shift a {d.kind} duration")
    return out


def levers(scenario: Scenario) -> dict[str, Lever | None]:
    """The +1 unit of each constraint for this scenario (None when not applicable)."""
    f = scenario.flow
    out: dict[str, Lever | None] = {
        "referrals": Lever(
            (f"flow.referrals.per_year={_per_year(f.referrals_per_year, REFERRALS_FACTOR)}",),
            "referrals",
            {"pct": round((REFERRALS_FACTOR - 1.0) * 100)},
        ),
        "facilitators": Lever(
            (f"flow.facilitators.fte={_per_year(f.facilitators.fte, add=1.0)}",),
            "facilitators",
            {"n": 1},
        ),
    }
    places = f.preparation.places_per_year
    out["preparation"] = (
        None
        if places is None
        else Lever(
            (f"flow.preparation.places_per_year={places + PREPARATION_EXTRA}",),
            "preparation",
            {"n": PREPARATION_EXTRA},
        )
    )
    for t in SIAE_TYPES:
        out[f"siae_{t}"] = (
            None
            if f.missions.mode_shares[t] <= 0
            else Lever(
                (f"flow.siae.posts.{t}={f.siae_posts[t] + 1}",),
                "siae",
                {"n": 1, "type": t.upper()},
            )
        )
    dur = _shifted(f.operations.duration_days, WORKS_EXTRA_DAYS)
    out["works_timing"] = Lever(
        (f"flow.operations.duration_days={_toml(dur)}",),
        "works_timing",
        {"days": round(WORKS_EXTRA_DAYS)},
    )
    return out


_TIME_FULL = {
    "facilitators": "time_full_facilitators",
    "preparation": "time_full_preparation",
    **{f"siae_{t}": f"time_full_siae_{t}" for t in SIAE_TYPES},
}


def _stat(x: Any) -> dict[str, Any]:
    return describe(np.asarray(x, dtype=float)).to_dict()


def _clean(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def diagnose(
    scenario: Scenario,
    runs: Runs,
    seed: int | None = None,
    replications: int = DEFAULT_REPLICATIONS,
    jobs: int = 1,
    progress: Progress | None = None,
    *,
    executor: Executor | None = None,
    cancel: CancelFlag | None = None,
) -> dict[str, Any]:
    """How binding each constraint was in ``runs``, and the hours one more unit would realise.

    Parameters
    ----------
    scenario : the scenario of ``runs``
    runs : replications ``0..n-1`` of ``seed`` (as :func:`sim.runner.replicate` makes them)
    seed : root seed (default ``runs.seed``); if it differs from ``runs.seed`` the base
        replications are run again with it
    replications : replications for the +1 unit differences (``min(replications, runs.n)``)
    jobs : worker processes for those replications (ignored with ``executor``)
    progress : called as ``progress(done, total)`` over the levers simulated
    executor : where to run them (:mod:`sim.parallel`); every lever's replications go to it
        at once
    cancel : once set, :class:`sim.parallel.Cancelled` is raised

    Returns
    -------
    dict
        JSON-ready: ``constraints`` (one entry per constraint, see the module docstring; hours in
        h, times as shares of the run), ``binding`` (a constraint name or None),
        ``best_lever`` and the method's parameters; no text (see
        :func:`sim.presentation.bottleneck.with_texts`).
    """
    seed = runs.seed if seed is None else int(seed)
    m = max(1, min(int(replications), runs.n))
    if scenario.uncertainty and scenario.draws is None:
        scenario = scenario.for_replications(runs.n)  # replication i draws as in ``runs``
    if seed == runs.seed:
        base = np.asarray(runs.totals["hours_realised"][:m], dtype=float)
        base_full = {k: np.asarray(runs.totals[v][:m]) for k, v in _TIME_FULL.items()}
    else:
        base_runs = run_replications(
            scenario, seed, range(m), jobs, executor=executor, cancel=cancel
        )
        base = np.array([r.totals["hours_realised"] for r in base_runs])
        base_full = {k: np.array([r.totals[v] for r in base_runs]) for k, v in _TIME_FULL.items()}
    lapsed_total = float(np.mean(runs.totals["hours_lapsed"]))
    offered = float(np.mean(runs.totals["hours_offered"]))
    lv = levers(scenario)
    to_run = [
        c
        for c in CONSTRAINTS
        if lv[c] is not None and not (c in base_full and not np.any(base_full[c] > 0))
    ]
    gained = _run_levers(
        scenario,
        to_run,
        seed,
        m,
        jobs,
        progress,
        executor,
        cancel,
    )
    entries: list[dict[str, Any]] = []
    for c in CONSTRAINTS:
        lapsed = np.asarray(runs.totals[f"lapsed_{c}"], dtype=float)
        cap = _TIME_FULL.get(c)
        lever = lv[c]
        entry: dict[str, Any] = {
            "constraint": c,
            "time_at_capacity": (
                None
                if cap is None or (c == "preparation" and lever is None)
                else _stat(runs.totals[cap])
            ),
            "hours_lapsed": _stat(lapsed),
            "share_of_lapsed": (
                _clean(float(lapsed.mean()) / lapsed_total) if lapsed_total > 0 else None
            ),
            "lever": None if lever is None else lever.to_dict(),
            "hours_gained": None,
            "note": None,
        }
        if lever is None:
            entry["note"] = "na_siae" if c.startswith("siae_") else f"na_{c}"
        elif c not in to_run:
            entry["hours_gained"] = _stat(np.zeros(m))
            entry["note"] = "never_full"
        else:
            entry["hours_gained"] = _stat(gained[c] - base)
        entries.append(entry)
    binding = _binding(entries, lapsed_total, offered)
    best = _best_lever(entries)
    diag: dict[str, Any] = {
        "method": {
            "replications": m,
            "seed": seed,
            "replications_run": runs.n,
            "interval": "95 % Student-t interval of the mean paired difference "
            "(common random numbers)",
            "levers": {
                "referrals": "+10 % a year",
                "facilitators": "+1 FTE every year",
                "preparation": f"+{PREPARATION_EXTRA} places a year",
                "siae": "+1 post",
                "works_timing": "operations 30 days longer",
            },
        },
        "hours_offered": _clean(offered),
        "hours_lapsed": _clean(lapsed_total),
        "lapsed_share": _clean(lapsed_total / offered) if offered > 0 else None,
        "constraints": entries,
        "binding": binding,
        "best_lever": best,
    }
    return diag


def lever_batch(scenario: Scenario, constraint: str, seed: int, indices: list[int]) -> list[float]:
    """Hours realised (h) in replications ``indices`` with one more unit of ``constraint`` (a
    task). The unit is added to each replication's own values: with uncertain parameters, to
    that replication's draws (``+1 post`` to the posts it drew), never in place of them."""
    same = None if scenario.uncertainty else _plus_one(scenario, constraint)  # nothing drawn
    out = []
    for i in indices:
        plus = same if same is not None else _plus_one(resolve(scenario, seed, i), constraint)
        out.append(run_one(plus, seed, i).totals["hours_realised"])
    return out


def _plus_one(scenario: Scenario, constraint: str) -> Scenario:
    """``scenario`` with one more unit of ``constraint`` (unchanged if it has no lever)."""
    lever = levers(scenario)[constraint]
    return scenario if lever is None else scenario.with_overrides(list(lever.overrides))


def _lever_task(task: tuple[Scenario, str, int, list[int]]) -> list[float]:
    return lever_batch(*task)


def _run_levers(
    scenario: Scenario,
    names: Sequence[str],
    seed: int,
    m: int,
    jobs: int,
    progress: Progress | None,
    ex: Executor | None,
    cancel: CancelFlag | None = None,
) -> dict[str, np.ndarray]:
    """Hours realised in replications ``0..m-1`` with one more unit of each constraint in
    ``names``, all levers submitted to one executor at once; ``progress(levers done, levers)``."""
    if not names:
        return {}
    if ex is None:
        with executor(jobs, tasks=m * len(names)) as own:
            return _run_levers(scenario, names, seed, m, jobs, progress, own, cancel)
    parts = batches(range(m), ex.workers)
    groups = [[(scenario, c, seed, b) for b in parts] for c in names]
    out: dict[str, np.ndarray] = {}
    for g, values in ex.imap_groups(_lever_task, groups, cancel=cancel):
        out[names[g]] = np.array([x for v in values for x in v], dtype=float)
        if progress:
            progress(len(out), len(names))
    return {c: out[c] for c in names}


def _binding(entries: Sequence[Mapping[str, Any]], lapsed: float, offered: float) -> str | None:
    if offered <= 0 or lapsed / offered < MIN_LAPSED_SHARE:
        return None
    best = max(entries, key=lambda e: e["hours_lapsed"]["mean"] or 0.0)
    return str(best["constraint"]) if (best["hours_lapsed"]["mean"] or 0.0) > 0 else None


def _best_lever(entries: Sequence[Mapping[str, Any]]) -> str | None:
    """The constraint whose +1 unit gains the most hours, if its interval is above 0."""
    cands = [
        e
        for e in entries
        if e["hours_gained"]
        and e["hours_gained"]["mean"]
        and (e["hours_gained"]["ci_low"] or 0.0) > 0
    ]
    if not cands:
        return None
    return str(max(cands, key=lambda e: e["hours_gained"]["mean"])["constraint"])
