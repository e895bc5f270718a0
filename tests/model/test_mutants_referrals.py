"""Referrals: run-out factors, arrival times by year and publics with several criteria.

Expected values are hand computations from the rules stated in :mod:`sim.model.referrals`.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

from sim.model import simulate
from sim.model.referrals import arrivals, publics, run_out_factors
from sim.scenario import PUBLIC_GROUPS, PUBLICS, load
from sim.schedule import YEAR_DAYS
from sim.streams import replication_seed, stream


def _sc(*extra: str):
    return load(None, ["scenario.horizon_years=2", "flow.run_out_years=3", *extra])


def test_taper_is_the_years_released_hours_over_the_last_horizon_year_capped_at_one():
    # horizon 2 years, 3 run-out years; last horizon year released 200 h
    got = run_out_factors(_sc(), [100.0, 200.0, 50.0, 400.0, 0.0])
    assert got == pytest.approx([1.0, 1.0, 50 / 200, 1.0, 0.0])


def test_taper_with_missing_years_or_nothing_released_in_the_last_horizon_year():
    # released hours shorter than the simulated years: the missing years released nothing
    assert run_out_factors(_sc(), [100.0, 200.0, 100.0]) == pytest.approx([1, 1, 0.5, 0, 0])
    # nothing released in the last horizon year: no run-out activity at all
    assert run_out_factors(_sc(), [100.0, 0.0, 100.0, 100.0, 100.0]) == [1, 1, 0, 0, 0]
    # the last horizon year itself missing
    assert run_out_factors(_sc(), [100.0]) == [1, 1, 0, 0, 0]


def test_hold_keeps_the_last_level():
    assert run_out_factors(_sc("flow.run_out_rule=hold"), [1.0, 2.0, 0, 0, 0]) == [1.0] * 5


def test_arrivals_follow_the_years_rate_and_factor():
    sc = _sc("flow.referrals.per_year=[20000, 8000]")
    t = arrivals(sc, np.random.default_rng(3), [1.0, 1.0, 0.5, 0.0, 1.0])
    assert np.all(np.diff(t) >= 0)
    counts = np.bincount((t // YEAR_DAYS).astype(int), minlength=5)
    assert counts.size == 5
    # rates: 20000, 8000, then the last horizon year's 8000 times the factor
    for got, rate in zip(counts, [20000, 8000, 4000, 0, 8000], strict=True):
        assert abs(got - rate) <= 5 * np.sqrt(rate) + 1e-9, (got, rate)
    # spread over each year, not bunched at its start
    in_year = t[t < YEAR_DAYS]
    assert in_year.mean() == pytest.approx(YEAR_DAYS / 2, rel=0.02)
    assert in_year.max() > 0.99 * YEAR_DAYS
    assert arrivals(sc, np.random.default_rng(3), []).size == 0


def test_publics_and_criteria_shares():
    n = 40_000
    sc = load(
        None,
        [
            "flow.referrals.publics={rsa=0.5, under_26=0.3, ase=0.2, other=0}",
            "flow.referrals.criteria={deld=0.25, th=0, over_50=1, qpv=0.6}",
        ],
    )
    main, member = publics(sc, n, partial(stream, replication_seed(4, 0)))
    assert member.shape == (n, len(PUBLIC_GROUPS))
    share = np.bincount(main, minlength=len(PUBLICS)) / n
    np.testing.assert_allclose(share, [0.5, 0.3, 0.2, 0.0], atol=0.012)
    col = {g: member[:, PUBLIC_GROUPS.index(g)] for g in PUBLIC_GROUPS}
    for k, p in enumerate(PUBLICS):
        np.testing.assert_array_equal(col[p], main == k)
    assert col["deld"].mean() == pytest.approx(0.25, abs=0.012)
    assert col["qpv"].mean() == pytest.approx(0.6, abs=0.012)
    assert not col["th"].any()
    # everybody is 50 or over except the under 26
    np.testing.assert_array_equal(col["over_50"], ~col["under_26"])


def test_run_out_referrals_follow_the_taper():
    """Run-out referrals are Poisson at the last year's rate times the released-hours ratio:
    with no works in the run-out years (offers all released in the horizon) nobody is referred
    after it; with ``hold`` the rate stays."""
    base = [
        "scenario.horizon_years=2",
        "works[0].dwellings=400",
        "flow.run_out_years=2",
        "flow.referrals.per_year=400",
        'flow.operations.duration_days={dist="fixed", value=60}',
    ]
    taper = simulate(load(None, base), 2).yearly["referrals"]
    assert taper[2:].sum() == 0 and taper[:2].min() > 300
    hold = simulate(load(None, [*base, "flow.run_out_rule=hold"]), 2).yearly["referrals"]
    assert hold[2:].min() > 300


ZERO = "{rsa=0, under_26=0, ase=0, other=0}"
OPEN = [
    "scenario.horizon_years=2",
    "works[0].dwellings=2000",
    'flow.operations.duration_days={dist="fixed", value=720}',
    "flow.missions.mode_shares={direct=1}",
    "flow.referrals.per_year=300",
    "flow.referrals.publics={rsa=0.5, under_26=0, ase=0, other=0.5}",
    "flow.facilitators.fte=100",
    'flow.facilitators.patience_days="none"',
    'flow.placement.patience_days="none"',
    f"flow.preparation.share={ZERO}",
    f"flow.barriers.mobility.share={ZERO}",
    f"flow.barriers.childcare.share={ZERO}",
]
"""Half RSA, half other publics, no steps unless a test adds them, plenty of offers."""


@pytest.mark.parametrize(
    ("blocked", "extra"),
    [
        (
            "rsa",
            [
                "flow.preparation.share={rsa=1, under_26=0, ase=0, other=0}",
                "flow.preparation.places_per_year=0",
            ],
        ),
        (
            "other",
            [
                "flow.barriers.mobility.share={rsa=0, under_26=0, ase=0, other=1}",
                "flow.barriers.mobility.places=0",
            ],
        ),
        (
            "rsa",
            [
                "flow.barriers.childcare.share={rsa=1, under_26=0, ase=0, other=0}",
                "flow.barriers.childcare.places=0",
            ],
        ),
    ],
)
def test_steps_are_drawn_by_main_public(blocked, extra):
    """A step with no place, needed by all of one public and none of the other: that public
    never works, the other does."""
    t = simulate(load(None, [*OPEN, *extra]), 2).totals
    free = "other" if blocked == "rsa" else "rsa"
    assert t[f"people_accompanied_{blocked}"] > 100
    assert t[f"participants_{blocked}"] == 0
    assert t[f"participants_{free}"] > 100


def test_referrals_come_from_their_own_stream_year_by_year():
    """Under ``hold`` every year keeps its rate (factor 1): the people referred each year are
    the Poisson draws of the replication's "referrals" stream, whatever else the scenario says."""
    for extra in ([], ["flow.facilitators.fte=0.2", "flow.missions.mode_shares={ai=1}"]):
        sc = load(None, ["scenario.horizon_years=3", "flow.run_out_rule=hold", *extra])
        rep = replication_seed(8, 0)
        t = arrivals(sc, stream(rep, "referrals"), [1.0] * 5)
        expected = np.bincount((t // YEAR_DAYS).astype(int), minlength=5)
        np.testing.assert_array_equal(simulate(sc, 8).yearly["referrals"], expected)
