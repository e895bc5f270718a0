"""Tables from results: the arrays behind the CSV files and the figures (one source for both),
and the few readings of a summary that several outputs share.

Units: hours (h), FTE, people, days, shares in [0, 1].
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import fmt
from ..hours import HoursResult
from ..results import MONTHLY_SERIES, TOTAL_METRICS, YEARLY_METRICS, Runs, describe
from ..scenario import SIAE_TYPES, Scenario

FloatArray = NDArray[np.float64]

WAIT_BIN_WIDTHS = (1.0, 2.0, 5.0, 7.0, 10.0, 15.0, 30.0, 60.0, 90.0, 180.0, 365.0)
"""Candidate widths of the wait histogram's bins (days): the smallest giving at most 40 bins
up to the 99th percentile of the waits is used."""


def clause_per_year(runs: Runs, hours: HoursResult | None) -> tuple[FloatArray, FloatArray]:
    """The hours engine's hours and FTE aligned on ``runs.years`` (NaN outside the horizon)."""
    h = np.full(runs.years.shape, np.nan)
    f = np.full(runs.years.shape, np.nan)
    if hours is not None:
        index = {int(y): i for i, y in enumerate(hours.years)}
        for k, y in enumerate(runs.years):
            i = index.get(int(y))
            if i is not None:
                h[k] = hours.hours[i]
                f[k] = hours.hours[i] / hours.fte_hours
    return h, f


def yearly_columns(runs: Runs, hours: HoursResult | None = None) -> dict[str, FloatArray]:
    """Columns of ``yearly.csv``: ``year``, ``run_out`` (1 for the run-out years), then
    ``<metric>_mean/_ci_low/_ci_high`` for each of :data:`YEARLY_METRICS` (mean and 95 %
    interval of the mean) and ``<metric>_p05/_p95`` (5th and 95th percentiles across
    replications: what a year could be), then ``clause_hours`` and ``clause_fte`` (the hours
    engine's deterministic figure, h and FTE; NaN in run-out years)."""
    cols: dict[str, FloatArray] = {
        "year": np.asarray(runs.years, dtype=float),
        "run_out": np.asarray(runs.run_out, dtype=float),
    }
    for m in YEARLY_METRICS:
        st = runs.yearly_stat(m)
        cols[f"{m}_mean"] = np.asarray(st.mean, dtype=float)
        cols[f"{m}_ci_low"] = np.asarray(st.ci_low, dtype=float)
        cols[f"{m}_ci_high"] = np.asarray(st.ci_high, dtype=float)
        cols[f"{m}_p05"] = np.asarray(st.p05, dtype=float)
        cols[f"{m}_p95"] = np.asarray(st.p95, dtype=float)
    cols["clause_hours"], cols["clause_fte"] = clause_per_year(runs, hours)
    return cols


def replication_columns(runs: Runs) -> dict[str, FloatArray]:
    """Columns of ``replications.csv``: ``replication``, each of :data:`TOTAL_METRICS`, then
    ``events`` (SimPy events processed)."""
    cols: dict[str, FloatArray] = {"replication": np.arange(runs.n, dtype=float)}
    for m in TOTAL_METRICS:
        cols[m] = np.asarray(runs.totals[m], dtype=float)
    cols["events"] = np.asarray(runs.events, dtype=float)
    return cols


def month_positions(runs: Runs) -> FloatArray:
    """Mid-month positions in fractional calendar years (x axis of monthly series)."""
    n = next(iter(runs.monthly.values())).shape[1] if runs.monthly else 0
    span = len(runs.years)
    return np.asarray(
        float(runs.years[0]) + (np.arange(n) + 0.5) * span / max(n, 1), dtype=np.float64
    )


def monthly_columns(runs: Runs) -> dict[str, FloatArray]:
    """Columns of ``monthly.csv``: ``month`` (0-based), ``year_fraction`` (mid-month, calendar
    years), then ``<series>_mean/_ci_low/_ci_high`` for each of :data:`MONTHLY_SERIES` (shares)."""
    x = month_positions(runs)
    cols: dict[str, FloatArray] = {"month": np.arange(x.size, dtype=np.float64), "year_fraction": x}
    for s in MONTHLY_SERIES:
        st = describe(runs.monthly[s], axis=0)
        cols[f"{s}_mean"] = np.asarray(st.mean, dtype=float)
        cols[f"{s}_ci_low"] = np.asarray(st.ci_low, dtype=float)
        cols[f"{s}_ci_high"] = np.asarray(st.ci_high, dtype=float)
    return cols


def wait_columns(runs: Runs) -> dict[str, FloatArray]:
    """Columns of ``waits.csv``: a histogram of the intake and placement waits (days) pooled
    over replications: ``bin_low_days``, ``bin_high_days``, ``intake_share``,
    ``placement_share`` (share of that kind of wait in the bin; the last bin holds every longer
    wait), ``intake_count``, ``placement_count``."""
    kinds = ("intake", "placement")
    samples = {k: np.asarray(runs.waits.get(k, np.empty(0)), dtype=float) for k in kinds}
    pooled = np.concatenate([samples[k] for k in kinds])
    pooled = pooled[np.isfinite(pooled)]
    top = max(float(np.percentile(pooled, 99)) if pooled.size else 0.0, 10.0)
    width = next((w for w in WAIT_BIN_WIDTHS if top / w <= 40), WAIT_BIN_WIDTHS[-1])
    n_bins = max(2, math.ceil(top / width))
    edges = np.arange(n_bins + 1, dtype=np.float64) * width
    cols: dict[str, FloatArray] = {"bin_low_days": edges[:-1], "bin_high_days": edges[1:]}
    for k in kinds:
        s = samples[k][np.isfinite(samples[k])]
        counts = np.histogram(np.clip(s, 0.0, edges[-1] - 1e-9), bins=edges)[0].astype(float)
        cols[f"{k}_share"] = counts / s.size if s.size else np.zeros(n_bins)
        cols[f"{k}_count"] = counts
    return cols


def replications_text(n: int, lang: str = "fr") -> str:
    """``"1 réplication"``, ``"200 réplications"`` (or English)."""
    from . import i18n

    word = i18n.tr("resources", "replication", lang)
    return f"{fmt.number(n, 0, lang)} {word}{'s' if n > 1 else ''}"


def busiest_resource(
    summary: Mapping[str, Any], scenario: Scenario | None = None
) -> tuple[str, float]:
    """The resource with the highest mean utilisation over the run: ``("facilitators" |
    "siae_<type>", share)``. SIAE types without posts are left out."""
    cands = {"facilitators": summary["facilitator_utilisation"]["mean"]}
    no_caseload = scenario is not None and not any(scenario.flow.facilitators.fte)
    if cands["facilitators"] is None and no_caseload:  # no slot at all: the binding one
        cands["facilitators"] = 1.0
    for t in SIAE_TYPES:
        if scenario is not None and not scenario.flow.siae_posts.get(t, 0):
            continue
        key = f"siae_occupancy_{t}"
        if key in summary:
            cands[f"siae_{t}"] = summary[key]["mean"]
    cands = {k: v for k, v in cands.items() if v is not None}
    if not cands:
        return "facilitators", math.nan
    name = max(cands, key=lambda k: cands[k])
    return name, float(cands[name])


def resource_label(name: str, lang: str = "fr") -> str:
    """Human label of a resource returned by :func:`busiest_resource`."""
    from . import i18n

    if name == "facilitators":
        return str(i18n.tr("resources", "facilitators", lang))
    t = name.removeprefix("siae_").upper()
    return str(i18n.tr("resources", "siae", lang)).format(t=t)


def utilisation_by_type(
    summary: Mapping[str, Any], scenario: Scenario | None = None
) -> dict[str, float | None]:
    """Mean utilisation of each resource type over the run, never averaged across types:
    ``facilitators`` (None when there is no facilitator), then ``siae_<type>`` for each type
    with posts (shares in [0, 1])."""
    out: dict[str, float | None] = {}
    fac = summary.get("facilitator_utilisation", {}).get("mean")
    no_fte = scenario is not None and not any(scenario.flow.facilitators.fte)
    out["facilitators"] = None if no_fte else fac
    for t in SIAE_TYPES:
        if scenario is not None and not scenario.flow.siae_posts.get(t, 0):
            continue
        s = summary.get(f"siae_occupancy_{t}")
        if isinstance(s, Mapping):
            out[f"siae_{t}"] = s.get("mean")
    return out
