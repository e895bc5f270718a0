"""Results as immutable records: one replication (:class:`Run`), many (:class:`Runs`), statistics.

Per-year metrics are numpy arrays indexed by calendar year (``Run.years``: the horizon plus the
run-out years); totals are floats. Arrays are read-only. Units: hours, FTE, people, days, shares.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .scenario import MODES, OUTCOMES, PUBLIC_GROUPS, PUBLICS, SIAE_TYPES

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class Metric:
    """A metric's unit and labels."""

    name: str
    unit: str
    label_fr: str
    label_en: str


def _m(name: str, unit: str, fr: str, en: str) -> tuple[str, Metric]:
    return name, Metric(name, unit, fr, en)


PUBLIC_LABELS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "rsa": ("BRSA", "RSA"),
        "deld": ("DELD", "long-term jobseekers"),
        "under_26": ("-26 ans", "under 26"),
        "th": ("TH", "disabled workers"),
        "over_50": ("50 ans et +", "50 and over"),
        "qpv": ("QPV", "priority neighbourhoods"),
        "ase": ("ASE", "child welfare"),
        "other": ("autres publics", "other publics"),
    }
)
"""Short labels (fr, en) of the reporting publics."""

ROUTE_LABELS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "direct": ("embauche directe", "direct hire"),
        **{t: (t.upper(), t.upper()) for t in SIAE_TYPES},
    }
)


def _by_public() -> list[tuple[str, Metric]]:
    out = []
    for g in PUBLIC_GROUPS:
        fr, en = PUBLIC_LABELS[g]
        out += [
            _m(f"participants_{g}", "people", f"Participants {fr}", f"Participants, {en}"),
            _m(
                f"people_accompanied_{g}",
                "people",
                f"Personnes accompagnées {fr}",
                f"People accompanied, {en}",
            ),
            _m(
                f"positive_exit_rate_{g}",
                "share",
                f"Taux de sorties positives {fr}",
                f"Positive exit rate, {en}",
            ),
        ]
        if g not in ("rsa", "under_26"):
            out.append(
                _m(
                    f"positive_exits_{g}",
                    "people",
                    f"Sorties positives {fr}",
                    f"Positive exits, {en}",
                )
            )
    return out


def _clause_report() -> list[tuple[str, Metric]]:
    return [
        _m(
            "dynamic_exits",
            "people",
            "Sorties dynamiques (emploi durable, de transition, formation)",
            "Dynamic exits (durable, transition employment, training)",
        ),
        _m(
            "positive_exit_rate",
            "share",
            "Taux de sorties positives (sorties des participants)",
            "Positive exit rate (exits of participants)",
        ),
        _m("participants", "people", "Participants (personnes ayant travaillé)", "Participants"),
        _m("new_participants", "people", "Nouveaux participants", "New participants"),
        _m("contracts", "contracts", "Contrats (missions commencées)", "Contracts (missions)"),
        *[
            _m(
                f"contracts_{r}",
                "contracts",
                f"Contrats, {ROUTE_LABELS[r][0]}",
                f"Contracts, {ROUTE_LABELS[r][1]}",
            )
            for r in MODES
        ],
        _m("hours_per_participant", "h", "Heures par participant", "Hours per participant"),
        _m("people_accompanied", "people", "Personnes accompagnées", "People accompanied"),
        _m(
            "fallbacks",
            "contracts",
            "Offres SIAE reportées sur une autre voie",
            "SIAE offers moved to another route",
        ),
        *_by_public(),
    ]


METRICS: Mapping[str, Metric] = MappingProxyType(
    dict(
        [
            _m("hours_offered", "h", "Heures offertes", "Hours offered"),
            _m("hours_realised", "h", "Heures réalisées", "Hours realised"),
            _m(
                "hours_realised_direct",
                "h",
                "Heures réalisées en embauche directe",
                "Hours realised, direct hire",
            ),
            _m("hours_realised_siae", "h", "Heures réalisées via SIAE", "Hours realised via SIAE"),
            _m(
                "hours_lapsed", "h", "Heures perdues (non réalisées)", "Hours lapsed (not realised)"
            ),
            _m("fte_realised", "FTE", "ETP réalisés", "FTE realised"),
            _m("referrals", "people", "Orientations", "Referrals"),
            _m("intakes", "people", "Entrées en accompagnement", "Intakes"),
            _m(
                "gave_up_before_intake",
                "people",
                "Abandons avant prise en charge",
                "Gave up before intake",
            ),
            _m(
                "gave_up_before_placement",
                "people",
                "Abandons avant placement",
                "Gave up before placement",
            ),
            _m("gave_up", "people", "Abandons", "Gave up"),
            _m(
                "active_end",
                "people",
                "Personnes accompagnées en fin d'année",
                "Active at year end",
            ),
            _m("active_mean", "people", "Personnes accompagnées (moyenne)", "Active (average)"),
            _m(
                "waiting_mean",
                "people",
                "En attente de prise en charge (moyenne)",
                "Waiting for intake (average)",
            ),
            _m("exits", "people", "Sorties", "Exits"),
            _m("positive_exits", "people", "Sorties positives", "Positive exits"),
            _m("positive_exits_rsa", "people", "Sorties positives BRSA", "Positive exits, RSA"),
            _m(
                "positive_exits_under_26",
                "people",
                "Sorties positives -26 ans",
                "Positive exits, under 26",
            ),
            *_clause_report(),
            _m(
                "mean_intake_wait_days",
                "days",
                "Attente moyenne avant prise en charge",
                "Mean wait for intake",
            ),
            _m(
                "p90_intake_wait_days",
                "days",
                "Attente avant prise en charge (90e centile)",
                "Wait for intake, 90th percentile",
            ),
            _m(
                "mean_placement_wait_days",
                "days",
                "Attente moyenne avant mission",
                "Mean wait for a mission",
            ),
            _m(
                "p90_placement_wait_days",
                "days",
                "Attente avant mission (90e centile)",
                "Wait for a mission, 90th percentile",
            ),
            _m(
                "facilitator_utilisation",
                "share",
                "Occupation du portefeuille des facilitateurs",
                "Facilitator caseload utilisation",
            ),
            _m("siae_occupancy", "share", "Occupation des postes SIAE", "SIAE post occupancy"),
            *[
                _m(
                    f"siae_occupancy_{t}",
                    "share",
                    f"Occupation des postes {t.upper()}",
                    f"{t.upper()} post occupancy",
                )
                for t in SIAE_TYPES
            ],
            _m(
                "hours_open_end",
                "h",
                "Heures ouvertes ou en cours à la fin",
                "Hours open or in progress at the end",
            ),
            _m(
                "waiting_end",
                "people",
                "En attente de prise en charge à la fin",
                "Waiting for intake at the end",
            ),
            _m(
                "time_full_facilitators",
                "share",
                "Temps à pleine capacité : facilitateurs",
                "Time at capacity: facilitators",
            ),
            _m(
                "time_full_preparation",
                "share",
                "Temps avec file d'attente : préparation",
                "Time with a queue: preparation",
            ),
            *[
                _m(
                    f"time_full_siae_{t}",
                    "share",
                    f"Temps à pleine capacité : postes {t.upper()}",
                    f"Time at capacity: {t.upper()} posts",
                )
                for t in SIAE_TYPES
            ],
            _m(
                "lapsed_works_timing",
                "h",
                "Heures perdues : calendrier des travaux",
                "Hours lapsed: works timing",
            ),
            _m(
                "lapsed_referrals",
                "h",
                "Heures perdues : manque d'orientations",
                "Hours lapsed: too few referrals",
            ),
            _m(
                "lapsed_facilitators",
                "h",
                "Heures perdues : portefeuille des facilitateurs plein",
                "Hours lapsed: facilitator caseload full",
            ),
            _m(
                "lapsed_preparation",
                "h",
                "Heures perdues : personnes en préparation",
                "Hours lapsed: people still in preparation",
            ),
            *[
                _m(
                    f"lapsed_siae_{t}",
                    "h",
                    f"Heures perdues : postes {t.upper()} pleins",
                    f"Hours lapsed: {t.upper()} posts full",
                )
                for t in SIAE_TYPES
            ],
            _m(
                "realised_share",
                "share",
                "Part des heures offertes réalisée",
                "Share of offered hours realised",
            ),
            _m(
                "lapsed_share",
                "share",
                "Part des heures offertes perdue",
                "Share of offered hours lapsed",
            ),
        ]
    )
)

LAPSE_CAUSES: tuple[str, ...] = (
    "works_timing",
    "referrals",
    "facilitators",
    "preparation",
    *[f"siae_{t}" for t in SIAE_TYPES],
)
"""What was short when hours lapsed (an offer unfilled, or the part of a mission that no longer
fitted because it started late): SIAE posts of the offer's type (``siae_<type>``), else
job-ready people because the caseload was full (``facilitators``), because people were still in
preparation or lifting barriers (``preparation``), or because too few were referred
(``referrals``); ``works_timing`` when the offer came too late to fit at all. For a shrunk
mission, the cause is what held its offer when it was released."""

YEARLY_METRICS: tuple[str, ...] = (
    "hours_offered",
    "hours_realised",
    "hours_realised_direct",
    "hours_realised_siae",
    "hours_lapsed",
    "fte_realised",
    "referrals",
    "intakes",
    "gave_up_before_intake",
    "gave_up_before_placement",
    "gave_up",
    "active_end",
    "active_mean",
    "waiting_mean",
    "exits",
    "positive_exits",
    "positive_exits_rsa",
    "positive_exits_under_26",
    "dynamic_exits",
    "positive_exit_rate",
    "participants",
    "new_participants",
    "contracts",
    *[f"contracts_{r}" for r in MODES],
    "hours_per_participant",
    "people_accompanied",
    "fallbacks",
    *[f"{k}_{g}" for g in PUBLIC_GROUPS for k in ("participants", "people_accompanied")],
    *[f"positive_exits_{g}" for g in PUBLIC_GROUPS if g not in ("rsa", "under_26")],
    *[f"positive_exit_rate_{g}" for g in PUBLIC_GROUPS],
    "mean_intake_wait_days",
    "p90_intake_wait_days",
    "mean_placement_wait_days",
    "p90_placement_wait_days",
    "facilitator_utilisation",
    "siae_occupancy",
    *[f"siae_occupancy_{t}" for t in SIAE_TYPES],
    *[f"lapsed_{c}" for c in LAPSE_CAUSES],
)
"""Metrics recorded per calendar year. Wait metrics are over the waits that ended that year;
lapsed hours by cause in the year they lapsed."""


BOTTLENECK_METRICS: tuple[str, ...] = (
    "time_full_facilitators",
    "time_full_preparation",
    *[f"time_full_siae_{t}" for t in SIAE_TYPES],
    *[f"lapsed_{c}" for c in LAPSE_CAUSES],
)
"""Per replication: share of time each resource was at capacity (caseload full, people waiting
for a preparation place, all posts of an SIAE type busy) and hours lapsed by cause (h)."""

FLOW_METRICS: tuple[str, ...] = (
    "hours_offered",
    "hours_realised",
    "hours_realised_direct",
    "hours_realised_siae",
    "hours_lapsed",
    "fte_realised",
    "referrals",
    "intakes",
    "gave_up_before_intake",
    "gave_up_before_placement",
    "gave_up",
    "exits",
    "positive_exits",
    "positive_exits_rsa",
    "positive_exits_under_26",
    "dynamic_exits",
    "new_participants",
    "contracts",
    *[f"contracts_{r}" for r in MODES],
    "fallbacks",
    *[f"positive_exits_{g}" for g in PUBLIC_GROUPS if g not in ("rsa", "under_26")],
    *[f"lapsed_{c}" for c in LAPSE_CAUSES],
)
"""Yearly metrics that are flows: a replication's total is the sum of its years. The others
(levels, waits, utilisation) are rates or averages and do not add up over years."""

TOTAL_METRICS: tuple[str, ...] = (
    *YEARLY_METRICS,
    "hours_open_end",
    "waiting_end",
    "realised_share",
    "lapsed_share",
    *[m for m in BOTTLENECK_METRICS if m not in YEARLY_METRICS],
)
"""Metrics recorded per replication: flows summed over years, levels over the whole run
(``active_end`` at the end, ``active_mean`` and occupancies time-averaged, waits over all)."""

KEY_METRICS: tuple[str, ...] = (
    "hours_realised",
    "hours_lapsed",
    "fte_realised",
    "referrals",
    "intakes",
    "gave_up",
    "exits",
    "positive_exits",
    "positive_exits_rsa",
    "positive_exits_under_26",
    "participants",
    "contracts",
    "hours_per_participant",
    "people_accompanied",
    "positive_exit_rate",
    "fallbacks",
    "mean_intake_wait_days",
    "facilitator_utilisation",
    "siae_occupancy",
)
"""Metrics that ``summary.json`` must hold at least (all of :data:`TOTAL_METRICS` are there)."""

KEY_COMPARE_METRICS: tuple[str, ...] = (
    "hours_offered",
    "hours_realised",
    "hours_lapsed",
    "lapsed_share",
    "fte_realised",
    "referrals",
    "intakes",
    "gave_up",
    "exits",
    "participants",
    "contracts",
    "hours_per_participant",
    "positive_exits",
    "positive_exit_rate",
    "positive_exits_rsa",
    "positive_exits_under_26",
    "fallbacks",
    "mean_intake_wait_days",
    "mean_placement_wait_days",
    "facilitator_utilisation",
    "siae_occupancy",
)
"""Metrics shown in a comparison's report and summary (its CSV holds all of them)."""

YEAR_TABLE_METRICS: tuple[str, ...] = (
    "hours_offered",
    "hours_realised",
    "hours_lapsed",
    "fte_realised",
    "referrals",
    "people_accompanied",
    "participants",
    "contracts",
    "hours_per_participant",
    "exits",
    "positive_exits",
    "positive_exit_rate",
    "positive_exits_rsa",
    "positive_exits_under_26",
    "mean_intake_wait_days",
    "facilitator_utilisation",
)
"""Metrics of the report's table by year."""

COMPARE_METRICS: tuple[str, ...] = ("hours_realised", "fte_realised", "positive_exits")
"""Yearly metrics overlaid in a comparison's figures."""

PUBLIC_TABLE_METRICS: tuple[str, ...] = (
    "people_accompanied",
    "participants",
    "positive_exits",
    "positive_exit_rate",
)
"""Metrics given by public (``<metric>_<public>``) in the report's table by public."""

MONTHLY_SERIES: tuple[str, ...] = (
    "facilitator_utilisation",
    "siae_occupancy",
    *[f"siae_occupancy_{t}" for t in SIAE_TYPES],
)
"""Time series recorded per month (time-averaged shares)."""


def _readonly(a: Any, dtype: Any = np.float64) -> NDArray[Any]:
    arr = np.array(a, dtype=dtype, copy=True)
    arr.flags.writeable = False
    return arr


def _readonly_table(values: Mapping[str, Any], keys: Sequence[str]) -> Mapping[str, FloatArray]:
    """Read-only float copies of ``values[k]`` for each of ``keys``: the rows of one copy if
    they are 1-D of one length (one conversion, not one per array), else one copy each."""
    arrays = [values[k] for k in keys]
    try:
        block = np.array(arrays, dtype=np.float64)
    except ValueError:  # of different shapes
        block = np.empty(0)
    if block.ndim == 2:
        block.flags.writeable = False
        rows = list(block)
    else:
        rows = [_readonly(a) for a in arrays]
    return MappingProxyType(dict(zip(keys, rows, strict=True)))


@dataclass(frozen=True)
class Run:
    """One replication.

    Attributes
    ----------
    years : calendar years simulated (horizon then run-out years)
    run_out : per year, True for the run-out years after the horizon (works finishing)
    yearly : metric -> array (n_years,) for each of :data:`YEARLY_METRICS`
    totals : metric -> float for each of :data:`TOTAL_METRICS`
    exits_by : people exiting, array (n_years, len(OUTCOMES), len(PUBLICS))
    cohort_people, cohort_hours : per entry (intake) year: people, hours worked (h)
    cohort_outcomes : per entry year, exits by outcome, array (n_years, len(OUTCOMES));
        people still active at the end are not counted
    monthly : series -> array (n_months,) for each of :data:`MONTHLY_SERIES`
    waits : waits (days) that ended during the run: "intake" (referral to intake),
        "placement" (job-ready to mission), "intake_gave_up" (referral to giving up),
        "caseload" (intake to exit)
    events : SimPy events processed
    """

    years: IntArray
    run_out: NDArray[np.bool_]
    yearly: Mapping[str, FloatArray]
    totals: Mapping[str, float]
    exits_by: IntArray
    cohort_people: IntArray
    cohort_hours: FloatArray
    cohort_outcomes: IntArray
    monthly: Mapping[str, FloatArray]
    waits: Mapping[str, FloatArray]
    events: int

    @classmethod
    def build(
        cls,
        *,
        years: Any,
        run_out: Any,
        yearly: Mapping[str, Any],
        totals: Mapping[str, float],
        exits_by: Any,
        cohort_people: Any,
        cohort_hours: Any,
        cohort_outcomes: Any,
        monthly: Mapping[str, Any],
        waits: Mapping[str, Any],
        events: int,
    ) -> Run:
        """Build a run with read-only arrays; checks that every metric is there."""
        missing = [m for m in YEARLY_METRICS if m not in yearly]
        missing += [m for m in TOTAL_METRICS if m not in totals]
        if missing:
            raise ValueError(f"run is missing metrics: {', '.join(missing)}")
        return cls(
            years=_readonly(years, np.int64),
            run_out=_readonly(run_out, np.bool_),
            yearly=_readonly_table(yearly, YEARLY_METRICS),
            totals=MappingProxyType({k: float(totals[k]) for k in TOTAL_METRICS}),
            exits_by=_readonly(exits_by, np.int64),
            cohort_people=_readonly(cohort_people, np.int64),
            cohort_hours=_readonly(cohort_hours),
            cohort_outcomes=_readonly(cohort_outcomes, np.int64),
            monthly=_readonly_table(monthly, MONTHLY_SERIES),
            waits=MappingProxyType({k: _readonly(v) for k, v in waits.items()}),
            events=int(events),
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # mapping proxies do not pickle: rebuild through build() (worker processes)
        return (
            _rebuild_run,
            (
                self.years,
                self.run_out,
                dict(self.yearly),
                dict(self.totals),
                self.exits_by,
                self.cohort_people,
                self.cohort_hours,
                self.cohort_outcomes,
                dict(self.monthly),
                dict(self.waits),
                self.events,
            ),
        )


def _rebuild_run(
    years: Any,
    run_out: Any,
    yearly: Any,
    totals: Any,
    exits_by: Any,
    cohort_people: Any,
    cohort_hours: Any,
    cohort_outcomes: Any,
    monthly: Any,
    waits: Any,
    events: int,
) -> Run:
    return Run.build(
        years=years,
        run_out=run_out,
        yearly=yearly,
        totals=totals,
        exits_by=exits_by,
        cohort_people=cohort_people,
        cohort_hours=cohort_hours,
        cohort_outcomes=cohort_outcomes,
        monthly=monthly,
        waits=waits,
        events=events,
    )


@dataclass(frozen=True)
class Stat:
    """Across replications: mean, 95 % Student-t interval of the mean, 5th and 95th percentiles.

    Fields are floats (a total) or arrays (per year). With one replication the interval is NaN.
    """

    mean: Any
    ci_low: Any
    ci_high: Any
    p05: Any
    p95: Any

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: floats or lists, NaN as None."""
        return {k: _jsonable(getattr(self, k)) for k in ("mean", "ci_low", "ci_high", "p05", "p95")}


def _jsonable(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        return [_jsonable(v) for v in x.tolist()]
    if isinstance(x, float | np.floating):
        return None if math.isnan(x) else float(x)
    return x


@functools.lru_cache(maxsize=1024)
def _t_quantile(q: float, df: int) -> float:
    """Student-t quantile ``q`` with ``df`` degrees of freedom (cached: a run asks for the same
    few many times)."""
    from scipy import special  # here, not at start-up; scipy.stats's t.ppf for 0 < q <= 1

    return float(special.stdtrit(df, q))


def describe(samples: Any, axis: int = 0, confidence: float = 0.95) -> Stat:
    """Mean, Student-t interval and 5/95 percentiles of ``samples`` along ``axis``.

    NaN values (e.g. a wait in a year with no intake) are left out; with fewer than two values
    the interval is NaN.
    """
    a = np.asarray(samples, dtype=float)
    nan = np.isnan(a)
    n = np.sum(~nan, axis=axis)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(a, axis=axis)
        sem = np.nanstd(a, axis=axis, ddof=1) / np.sqrt(n)
        q = 0.5 + confidence / 2
        df = np.maximum(n - 1, 1)
        t: Any
        if np.ndim(df) == 0:
            t = _t_quantile(q, int(df))
        else:  # one quantile per distinct count
            counts, where = np.unique(df, return_inverse=True)
            t = np.array([_t_quantile(q, int(c)) for c in counts])[where.reshape(df.shape)]
        half = np.where(n >= 2, t * sem, np.nan)
        lo, hi = mean - half, mean + half
        # numpy's linear rule either way; without NaN, without nanpercentile's per-column loop
        pct = np.nanpercentile if nan.any() else np.percentile
        p05, p95 = pct(a, [5, 95], axis=axis)
    if np.ndim(mean) == 0:
        return Stat(float(mean), float(lo), float(hi), float(p05), float(p95))
    return Stat(mean, lo, hi, p05, p95)


def within_domain(stat: Stat, metric: str) -> Stat:
    """Clip a metric's interval to what it can be: shares in [0, 1], the others >= 0.

    A Student-t interval of a mean near a bound can cross it (e.g. a few lapsed hours in a few
    replications); the clipped interval still holds the true mean whenever the raw one does.
    """
    unit = METRICS[metric].unit if metric in METRICS else ""
    if unit not in ("share", "h", "FTE", "people", "days", "contracts"):
        return stat
    high = 1.0 if unit == "share" else np.inf
    lo = np.clip(stat.ci_low, 0.0, high)
    hi = np.clip(stat.ci_high, 0.0, high)
    if np.ndim(lo) == 0:
        lo, hi = float(lo), float(hi)
    return Stat(stat.mean, lo, hi, stat.p05, stat.p95)


@dataclass(frozen=True)
class Runs:
    """Many replications of one scenario, stacked: replication on the first axis.

    Build with :meth:`from_runs`; ``yearly[m]`` is (n, n_years), ``totals[m]`` is (n,).
    """

    scenario: str
    seed: int
    years: IntArray
    run_out: NDArray[np.bool_]
    yearly: Mapping[str, FloatArray]
    totals: Mapping[str, FloatArray]
    exits_by: IntArray
    cohort_people: IntArray
    cohort_hours: FloatArray
    cohort_outcomes: IntArray
    monthly: Mapping[str, FloatArray]
    waits: Mapping[str, FloatArray]
    events: IntArray

    @classmethod
    def from_runs(cls, scenario: str, seed: int, runs: Sequence[Run]) -> Runs:
        """Stack replications (in replication order)."""
        if not runs:
            raise ValueError("no replication to stack")
        first = runs[0]
        keys = sorted({k for r in runs for k in r.waits})
        return cls(
            scenario=scenario,
            seed=int(seed),
            years=first.years,
            run_out=first.run_out,
            yearly=MappingProxyType(
                {m: _readonly([r.yearly[m] for r in runs]) for m in YEARLY_METRICS}
            ),
            totals=MappingProxyType(
                {m: _readonly([r.totals[m] for r in runs]) for m in TOTAL_METRICS}
            ),
            exits_by=_readonly([r.exits_by for r in runs], np.int64),
            cohort_people=_readonly([r.cohort_people for r in runs], np.int64),
            cohort_hours=_readonly([r.cohort_hours for r in runs]),
            cohort_outcomes=_readonly([r.cohort_outcomes for r in runs], np.int64),
            monthly=MappingProxyType(
                {m: _readonly([r.monthly[m] for r in runs]) for m in MONTHLY_SERIES}
            ),
            waits=MappingProxyType(
                {
                    k: _readonly(np.concatenate([r.waits.get(k, np.empty(0)) for r in runs]))
                    for k in keys
                }
            ),
            events=_readonly([r.events for r in runs], np.int64),
        )

    @property
    def n(self) -> int:
        """Number of replications."""
        return int(self.events.shape[0])

    def yearly_stat(self, metric: str) -> Stat:
        """Per-year statistics of a metric (arrays of n_years), interval within its domain."""
        return within_domain(describe(self.yearly[metric], axis=0), metric)

    def total_stat(self, metric: str) -> Stat:
        """Statistics of a metric's per-replication total, interval within its domain."""
        return within_domain(describe(self.totals[metric], axis=0), metric)

    def exits_stat(self, outcome: str, public: str) -> Stat:
        """Per-year statistics of exits with one outcome from one public."""
        i, j = OUTCOMES.index(outcome), PUBLICS.index(public)
        return describe(self.exits_by[:, :, i, j], axis=0)

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary: each metric's total statistics at the top level (``{mean, ci_low,
        ci_high, p05, p95}``), ``years`` with the same per year, cohorts and exits by public."""
        yearly = {m: self.yearly_stat(m).to_dict() for m in YEARLY_METRICS}
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "replications": self.n,
            **{m: self.total_stat(m).to_dict() for m in TOTAL_METRICS},
            "years": [
                {
                    "year": int(y),
                    "run_out": bool(self.run_out[i]),
                    **{m: {k: v[i] for k, v in yearly[m].items()} for m in YEARLY_METRICS},
                }
                for i, y in enumerate(self.years)
            ],
            "cohorts": [
                {
                    "entry_year": int(y),
                    "people": describe(self.cohort_people[:, i]).to_dict(),
                    "hours_worked": describe(self.cohort_hours[:, i]).to_dict(),
                    "outcomes": {
                        o: describe(self.cohort_outcomes[:, i, k]).to_dict()
                        for k, o in enumerate(OUTCOMES)
                    },
                }
                for i, y in enumerate(self.years)
            ],
            "exits_by_outcome_and_public": {
                o: {
                    p: describe(self.exits_by[:, :, k, j].sum(axis=1)).to_dict()
                    for j, p in enumerate(PUBLICS)
                }
                for k, o in enumerate(OUTCOMES)
            },
        }
