"""Hours engine: renovation volumes and costs -> insertion hours -> FTE, per year.

The formulas are those of the field (see the domain brief, section 3)::

    hours = amount HT (EUR) x labour share x insertion rate / loaded hourly cost (EUR/h)
    hours = amount HT (EUR) x hours per EUR
    hours = dwellings x hours per dwelling
    FTE   = hours / FTE base (hours, 1,820 in the fiche)

Every function works on numpy arrays and broadcasts, so that one call evaluates one scenario or a
million variants. Rounding to whole hours per dwelling, which the fiche's figure implies
(80,000 x 40 % x 5 % / 28 = 57.14 -> 57 h), is applied with a tolerance of 1e-9 h so that values
that are whole in exact arithmetic stay whole despite binary floating point.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import ScenarioError
from .scenario import ROUNDINGS, Scenario, Works

EPS = 1e-9
"""Tolerance (hours) below which a value is taken as whole before floor/round."""

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


# --------------------------------------------------------------------------------------------
# Vectorised formulas


def labour_share_hours(
    amount_eur: ArrayLike,
    labour_share: ArrayLike,
    insertion_rate: ArrayLike,
    hourly_cost_eur: ArrayLike,
) -> FloatArray:
    """Insertion hours = amount (EUR) x labour share x insertion rate / hourly cost (EUR/h)."""
    return (
        np.asarray(amount_eur, dtype=float)
        * np.asarray(labour_share, dtype=float)
        * np.asarray(insertion_rate, dtype=float)
        / np.asarray(hourly_cost_eur, dtype=float)
    )


def hours_per_eur_hours(amount_eur: ArrayLike, hours_per_eur: ArrayLike) -> FloatArray:
    """Insertion hours = amount (EUR) x hours per EUR."""
    return np.asarray(amount_eur, dtype=float) * np.asarray(hours_per_eur, dtype=float)


def round_unit(hours: ArrayLike, rounding: str) -> FloatArray:
    """Round hours per dwelling: ``floor_per_dwelling``, ``round_per_dwelling`` (half up).

    Other roundings leave the value as is.
    """
    if rounding not in ROUNDINGS:
        raise ValueError(f"unknown rounding {rounding!r}; expected one of {', '.join(ROUNDINGS)}")
    h = np.asarray(hours, dtype=float)
    if rounding == "floor_per_dwelling":
        return np.floor(h + EPS)
    if rounding == "round_per_dwelling":
        return np.floor(h + 0.5 + EPS)
    return h


def apportion(total: int, weights: ArrayLike) -> IntArray:
    """Split a whole ``total`` into whole parts proportional to ``weights``, summing exactly.

    Uses cumulative rounding: part k = round(total x W_k / W) - round(total x W_{k-1} / W), where
    W_k is the cumulative weight, so that parts differ from their exact share by less than one.
    """
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1 or w.size == 0:
        raise ValueError("weights must be a non-empty 1-D array")
    total_w = w.sum()
    if total == 0 or total_w <= 0:
        return np.zeros(w.size, dtype=np.int64)
    cum = np.floor(total * np.cumsum(w) / total_w + 0.5 + EPS).astype(np.int64)
    cum[-1] = total
    return np.diff(np.concatenate(([0], cum)))


def profile_weights(profile: str, horizon: int) -> FloatArray:
    """Yearly weights of a profile: uniform = 1 each; ramp = 1, 2, ..., horizon (linear rise)."""
    if profile == "uniform":
        return np.ones(horizon)
    if profile == "ramp":
        return np.arange(1, horizon + 1, dtype=float)
    raise ValueError(f"profile {profile!r} has no weights (custom profiles give their years)")


def fiche_variants(
    dwellings: ArrayLike,
    cost_per_dwelling_eur: ArrayLike,
    labour_share: ArrayLike,
    insertion_rate: ArrayLike,
    hourly_cost_eur: ArrayLike,
    *,
    rounding: str = "floor_per_dwelling",
    fte_hours: ArrayLike = 1820.0,
    horizon_years: ArrayLike = 10,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Total hours, FTE and FTE per year of many dwelling programmes at once (broadcasting).

    Returns
    -------
    hours, fte, fte_per_year : arrays
        Insertion hours, FTE (hours / fte_hours) and FTE a year (FTE / horizon_years).
    """
    unit = labour_share_hours(cost_per_dwelling_eur, labour_share, insertion_rate, hourly_cost_eur)
    d = np.asarray(dwellings, dtype=float)
    if rounding == "round_total":
        hours = np.floor(unit * d + 0.5 + EPS)
    else:
        hours = round_unit(unit, rounding) * d
    fte = hours / np.asarray(fte_hours, dtype=float)
    return hours, fte, fte / np.asarray(horizon_years, dtype=float)


# --------------------------------------------------------------------------------------------
# Scenario level


@dataclass(frozen=True)
class LineHours:
    """Hours of one works line, per year of the horizon."""

    name: str
    method: str
    dwellings: IntArray | None
    amount_eur: FloatArray
    hours: FloatArray
    hours_per_dwelling: float | None
    """Hours per dwelling after rounding (None for amount lines)."""


@dataclass(frozen=True)
class HoursResult:
    """Amounts (EUR HT), insertion hours and FTE per year, in total and per works line."""

    scenario: str
    years: IntArray
    fte_hours: float
    dwellings: IntArray
    amount_eur: FloatArray
    hours: FloatArray
    lines: tuple[LineHours, ...]

    @property
    def fte(self) -> FloatArray:
        """FTE per year (hours / FTE base)."""
        return self.hours / self.fte_hours

    @property
    def total_hours(self) -> float:
        return float(self.hours.sum())

    @property
    def total_fte(self) -> float:
        return self.total_hours / self.fte_hours

    @property
    def fte_per_year(self) -> float:
        """Mean FTE a year over the horizon."""
        return self.total_fte / len(self.years)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (numbers as int where whole, NaN as None)."""

        def num(x: float) -> float | int | None:
            if np.isnan(x):
                return None
            return int(x) if float(x).is_integer() else float(x)

        def year_rows(
            dw: IntArray | None, amount: FloatArray, hours: FloatArray
        ) -> list[dict[str, Any]]:
            return [
                {
                    "year": int(y),
                    "dwellings": None if dw is None else int(dw[i]),
                    "amount_eur": num(amount[i]),
                    "hours": num(hours[i]),
                    "fte": float(hours[i] / self.fte_hours),
                }
                for i, y in enumerate(self.years)
            ]

        return {
            "scenario": self.scenario,
            "total_dwellings": int(self.dwellings.sum()),
            "total_amount_eur": num(float(self.amount_eur.sum())),
            "total_hours": num(self.total_hours),
            "fte_hours": num(self.fte_hours),
            "fte": self.total_fte,
            "fte_per_year": self.fte_per_year,
            "years": year_rows(self.dwellings, self.amount_eur, self.hours),
            "lines": [
                {
                    "name": ln.name,
                    "method": ln.method,
                    "hours_per_dwelling": ln.hours_per_dwelling,
                    "total_hours": num(float(ln.hours.sum())),
                    "total_amount_eur": num(float(ln.amount_eur.sum())),
                    "years": year_rows(ln.dwellings, ln.amount_eur, ln.hours),
                }
                for ln in self.lines
            ],
        }


def yearly_dwellings(works: Works, horizon: int) -> IntArray | None:
    """Whole dwellings per year for a dwelling line (None for an amount line)."""
    if works.dwellings is None:
        return None
    if works.yearly_dwellings is not None:
        return np.asarray(works.yearly_dwellings, dtype=np.int64)
    return apportion(works.dwellings, profile_weights(works.profile, horizon))


def yearly_amount(works: Works, horizon: int) -> FloatArray:
    """Amount of works per year (EUR HT); NaN where a dwelling line has no cost."""
    dw = yearly_dwellings(works, horizon)
    if dw is not None:
        cost = works.cost_per_dwelling_eur
        return np.asarray(dw * (np.nan if cost is None else float(cost)), dtype=np.float64)
    if works.yearly_amount_eur is not None:
        return np.asarray(works.yearly_amount_eur, dtype=float)
    assert works.amount_eur is not None
    w = profile_weights(works.profile, horizon)
    return np.asarray(works.amount_eur * w / w.sum(), dtype=float)


def _given(value: float | None) -> float:
    """A value that scenario validation guarantees for the line's method."""
    if value is None:
        raise ValueError("a key needed by this works line's method is missing")
    return float(value)


def unit_hours(works: Works, rounding: str) -> float | None:
    """Hours per dwelling of a dwelling line after rounding, None for an amount line.

    With ``none`` and ``round_total`` the value is unrounded.
    """
    if works.dwellings is None:
        return None
    if works.method == "hours_per_dwelling":
        raw = float(works.hours_per_dwelling)  # type: ignore[arg-type]
    elif works.method == "hours_per_eur":
        raw = float(
            hours_per_eur_hours(_given(works.cost_per_dwelling_eur), _given(works.hours_per_eur))
        )
    else:
        raw = float(
            labour_share_hours(
                _given(works.cost_per_dwelling_eur),
                _given(works.labour_share),
                works.insertion_rate,
                works.hourly_cost_eur,
            )
        )
    return float(round_unit(raw, rounding))


def line_hours(works: Works, rounding: str, horizon: int) -> LineHours:
    """Hours per year of one works line under a rounding rule.

    Per-dwelling roundings apply to dwelling lines; an amount line has no dwelling, so any
    rounding other than ``none`` rounds its total to whole hours and spreads it over the years.
    """
    dw = yearly_dwellings(works, horizon)
    amount = yearly_amount(works, horizon)
    unit = unit_hours(works, rounding)
    if dw is not None:
        assert unit is not None
        raw = dw * unit
    elif works.method == "hours_per_eur":
        raw = hours_per_eur_hours(amount, _given(works.hours_per_eur))
    else:
        raw = labour_share_hours(
            amount, _given(works.labour_share), works.insertion_rate, works.hourly_cost_eur
        )
    per_dwelling_rounded = dw is not None and rounding in (
        "floor_per_dwelling",
        "round_per_dwelling",
    )
    if rounding != "none" and not per_dwelling_rounded:
        hours = apportion(int(np.floor(raw.sum() + 0.5 + EPS)), raw).astype(float)
    else:
        hours = np.asarray(raw, dtype=float)
    return LineHours(works.name, works.method, dw, amount, hours, unit)


def compute(scenario: Scenario) -> HoursResult:
    """Amounts, insertion hours and FTE per year of a scenario (the deterministic figure)."""
    h = scenario.horizon_years
    with np.errstate(over="ignore", invalid="ignore"):
        lines = tuple(line_hours(w, scenario.clause.rounding, h) for w in scenario.works)
    for i, ln in enumerate(lines):
        if (
            not np.isfinite(ln.hours).all()
            or not np.isfinite(ln.amount_eur[~np.isnan(ln.amount_eur)]).all()
        ):
            raise ScenarioError(
                scenario.source, f"works[{i}]", "amounts or hours too large to compute (overflow)"
            )
    dwellings = sum(
        (ln.dwellings for ln in lines if ln.dwellings is not None), np.zeros(h, dtype=np.int64)
    )
    amount = sum((ln.amount_eur for ln in lines), np.zeros(h))
    hours = sum((ln.hours for ln in lines), np.zeros(h))
    return HoursResult(
        scenario=scenario.name,
        years=np.asarray(scenario.years, dtype=np.int64),
        fte_hours=float(scenario.clause.fte_hours),
        dwellings=np.asarray(dwellings, dtype=np.int64),
        amount_eur=np.asarray(amount, dtype=float),
        hours=np.asarray(hours, dtype=float),
        lines=lines,
    )
