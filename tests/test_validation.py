"""Validation against queueing theory: the intake stage as M/M/c (Erlang C), M/M/c+M (Erlang A),
and Little's law on the intake queue and the caseload.

With no clause hours (insertion rate 0) nobody is placed; with no preparation, no barriers and
no patience while job-ready, a person holds a caseload slot for exactly their drawn maximum
parcours. With exponential parcours, Poisson referrals and FIFO intake, the intake stage is an
M/M/c queue with c = fte x caseload_per_fte slots.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.results import describe
from sim.runner import replicate
from sim.scenario import load

C = 10  # caseload slots
SERVICE_DAYS = 60.0  # mean time in caseload (days)
WARMUP_YEARS = 3


def queue_scenario(load_factor: float, years: int, patience: str = '"none"'):
    lam_per_year = load_factor * C / SERVICE_DAYS * 365
    return load(
        None,
        [
            "clause.insertion_rate=0",
            f"scenario.horizon_years={years}",
            "flow.run_out_years=0",
            f"flow.referrals.per_year={lam_per_year}",
            "flow.facilitators.fte=1",
            f"flow.facilitators.caseload_per_fte={C}",
            f"flow.facilitators.patience_days={patience}",
            f'flow.facilitators.max_parcours_days={{dist="exponential", mean={SERVICE_DAYS}}}',
            'flow.placement.patience_days="none"',
            "flow.preparation.share={rsa=0, under_26=0, ase=0, other=0}",
            "flow.barriers.mobility.share={rsa=0, under_26=0, ase=0, other=0}",
            "flow.barriers.childcare.share={rsa=0, under_26=0, ase=0, other=0}",
        ],
    )


def erlang_c_wait(c: int, lam: float, mu: float) -> float:
    """Mean wait in queue (days) of M/M/c: Erlang C probability of waiting / (c mu - lambda)."""
    a = lam / mu
    erlang_b = stats.poisson.pmf(c, a) / stats.poisson.cdf(c, a)
    rho = a / c
    p_wait = erlang_b / (1 - rho + rho * erlang_b)
    return p_wait / (c * mu - lam)


def erlang_a(c: int, lam: float, mu: float, theta: float, n_max: int = 2000):
    """M/M/c+M by its birth-death chain: mean queue length and probability of abandoning."""
    death = np.array([min(n, c) * mu + max(n - c, 0) * theta for n in range(1, n_max + 1)])
    log_p = np.concatenate(([0.0], np.cumsum(np.log(lam) - np.log(death))))
    p = np.exp(log_p - log_p.max())
    p /= p.sum()
    n = np.arange(n_max + 1)
    lq = float((np.maximum(n - c, 0) * p).sum())
    return lq, theta * lq / lam


def after_warmup_mean_wait(runs) -> np.ndarray:
    """Per replication: mean intake wait (days) of people taken in after the warm-up years."""
    w = runs.yearly["mean_intake_wait_days"][:, WARMUP_YEARS:]
    n = runs.yearly["intakes"][:, WARMUP_YEARS:]
    return np.nansum(w * n, axis=1) / n.sum(axis=1)


def check_erlang_c(load_factor: float, years: int, reps: int) -> None:
    runs = replicate(queue_scenario(load_factor, years), reps, seed=2024, jobs=2)
    lam = load_factor * C / SERVICE_DAYS
    expected = erlang_c_wait(C, lam, 1 / SERVICE_DAYS)
    got = describe(after_warmup_mean_wait(runs))
    assert got.ci_low <= expected <= got.ci_high, (load_factor, expected, got)
    # the caseload's utilisation is the offered load per slot
    util = describe(runs.totals["facilitator_utilisation"])
    assert util.mean == pytest.approx(load_factor, rel=0.03)


@pytest.mark.parametrize(("load_factor", "years"), [(0.5, 100), (0.8, 40)])
def test_intake_wait_matches_erlang_c(load_factor, years):
    # at load 0.5 waits are rare and skewed: a longer horizon keeps the interval honest
    check_erlang_c(load_factor, years=years, reps=30)


@pytest.mark.slow
def test_intake_wait_matches_erlang_c_heavy_load():
    # 100 years (the longest horizon a scenario accepts) x 72 replications: as many simulated
    # years as the 120 x 60 this test was set with
    check_erlang_c(0.95, years=100, reps=72)


@pytest.mark.slow
@pytest.mark.parametrize("load_factor", [0.5, 0.8])
def test_intake_wait_matches_erlang_c_long(load_factor):
    check_erlang_c(load_factor, years=100, reps=72)


def test_give_up_matches_erlang_a():
    """M/M/c+M: exponential patience (mean 30 days) at offered load 1.1 (queue stays finite)."""
    patience = 30.0
    sc = queue_scenario(1.1, 40, patience=f'{{dist="exponential", mean={patience}}}')
    runs = replicate(sc, 30, seed=7, jobs=2)
    lam, mu, theta = 1.1 * C / SERVICE_DAYS, 1 / SERVICE_DAYS, 1 / patience
    lq, p_abandon = erlang_a(C, lam, mu, theta)
    waiting = describe(runs.yearly["waiting_mean"][:, WARMUP_YEARS:].mean(axis=1))
    assert waiting.ci_low <= lq <= waiting.ci_high, (lq, waiting)
    gave_up = runs.yearly["gave_up_before_intake"][:, WARMUP_YEARS:].sum(axis=1)
    referred = runs.yearly["referrals"][:, WARMUP_YEARS:].sum(axis=1)
    share = describe(gave_up / referred)
    assert share.ci_low <= p_abandon <= share.ci_high, (p_abandon, share)


def test_littles_law_on_intake_queue_and_caseload():
    """L = lambda W on each replication's sample path: time-average number waiting (caseload)
    against arrivals per day times mean time waiting (in caseload). The horizon (40 years) is
    long against the times involved, so edge effects stay well under 2 %."""
    sc = queue_scenario(0.9, 40, patience='{dist="exponential", mean=45}')
    runs = replicate(sc, 8, seed=11, jobs=1)
    days = runs.years.size * 365
    for r in range(runs.n):
        referrals = runs.totals["referrals"][r]
        queue_times = np.concatenate(
            [_rep_waits(runs, r, "intake"), _rep_waits(runs, r, "intake_gave_up")]
        )
        assert runs.totals["waiting_mean"][r] == pytest.approx(
            referrals / days * queue_times.mean(), rel=0.02
        )
        caseload = _rep_waits(runs, r, "caseload")
        assert runs.totals["active_mean"][r] == pytest.approx(
            runs.totals["intakes"][r] / days * caseload.mean(), rel=0.02
        )


def _rep_waits(runs, r: int, key: str) -> np.ndarray:
    """Replication r's waits: Runs pools them, so rebuild by counts in replication order."""
    counts = {
        "intake": runs.totals["intakes"],
        "intake_gave_up": runs.totals["gave_up_before_intake"],
        "caseload": runs.totals["exits"],
    }[key].astype(int)
    start = int(counts[:r].sum())
    return runs.waits[key][start : start + counts[r]]
