"""Fallback of SIAE offers, timed by hand from the works schedule.

The offers (release, operation end, hours) come from :func:`sim.schedule.offers`, upstream of the
model, drawn from the replication's named streams; the expected results follow from the rules in
:mod:`sim.model.matching`: a fallen-back offer takes its new route's weekly hours, hence a new
expiry (the last moment a mission of ``min_hours`` fits before its operation ends).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.model import simulate
from sim.scenario import load
from sim.schedule import offers
from sim.streams import replication_seed, stream

ZERO = "{rsa=0, under_26=0, ase=0, other=0}"
YEAR = 365.0
NY = 3
T = NY * YEAR
# 2 operations a year of 100 dwellings (5,700 h): 10 missions of 570 h each
BASE = [
    "scenario.horizon_years=2",
    "flow.run_out_years=1",
    "flow.run_out_rule=hold",
    "works[0].dwellings=400",
    'flow.missions.hours={dist="fixed", value=570}',
    "flow.missions.min_hours=70",
    'flow.missions.weekly_hours={dist="fixed", value=35}',
    'flow.missions.weekly_hours_by_route={etti={dist="fixed", value=17.5}}',
    "flow.missions.mode_shares={etti=1}",
    "flow.missions.next_mission_probability=0",
    "flow.siae.posts={etti=0, ai=0, geiq=0, ei=0, aci=0}",
    'flow.siae.fallback_to=["etti", "direct"]',
    "flow.facilitators.fte=200",
    'flow.facilitators.patience_days="none"',
    'flow.placement.patience_days="none"',
    'flow.facilitators.max_parcours_days={dist="fixed", value=5000}',
    f"flow.preparation.share={ZERO}",
    f"flow.barriers.mobility.share={ZERO}",
    f"flow.barriers.childcare.share={ZERO}",
]


def _schedule(sc, seed):
    rep = replication_seed(seed, 0)
    g = [stream(rep, n) for n in ("operations", "offers", "modes", "weekly_hours")]
    return offers(sc, *g)


def _by_year(times, weights) -> np.ndarray:
    out = np.zeros(NY)
    for t, w in zip(times, weights, strict=True):
        if t < T:
            out[int(t // YEAR)] += w
    return out


@pytest.mark.parametrize("after", [0, 7])
def test_unfilled_fallen_back_offers_lapse_at_their_new_routes_expiry(after):
    """Nobody referred. ETTI offers (17.5 h/week) find no ETTI post and fall back to direct hire
    (35 h/week) ``after`` days after release; they then lapse when a 70 h mission at 35 h/week no
    longer fits (14 days before their operation ends), not 28 days before (the ETTI expiry).
    Operations last 653.75 days so that the first ends 745 days in: its offers lapse on day 731,
    in year 3, not in year 2; the third ends on day 1110: its offers are still open at the end
    (day 1095), not lapsed on day 1082."""
    sc = load(
        None,
        [
            *BASE,
            "flow.referrals.per_year=0",
            'flow.operations.duration_days={dist="fixed", value=653.75}',
            f"flow.siae.fallback_after_days={after}",
        ],
    )
    of = _schedule(sc, 4)
    lapse_t = of.op_end - 70 / 35 * 7
    assert np.isclose(lapse_t, 731).sum() == 10 and np.isclose(lapse_t, 1096).sum() == 10
    run = simulate(sc, 4)
    y, t = run.yearly, run.totals
    np.testing.assert_allclose(y["hours_offered"], _by_year(of.release, of.hours))
    np.testing.assert_allclose(y["hours_lapsed"], _by_year(lapse_t, of.hours))
    np.testing.assert_allclose(
        y["fallbacks"], _by_year(of.release + after, np.ones(of.release.size))
    )
    assert t["lapsed_referrals"] == pytest.approx(_by_year(lapse_t, of.hours).sum())
    assert t["lapsed_siae_etti"] == 0
    assert t["hours_open_end"] == pytest.approx(of.hours[lapse_t >= T].sum())


@pytest.mark.parametrize("after", [0, 0.5])
def test_fallen_back_offers_start_at_once_with_the_direct_routes_weekly_hours(after):
    """Abundant people: each ETTI offer falls back ``after`` days after release (no ETTI post)
    and starts at once as a direct hire at 35 h/week, lasting hours / 35 weeks (not / 17.5)."""
    sc = load(
        None,
        [
            *BASE,
            "flow.referrals.per_year=3000",
            'flow.operations.duration_days={dist="fixed", value=720}',
            f"flow.siae.fallback_after_days={after}",
        ],
    )
    of = _schedule(sc, 2)
    start = of.release + after
    end = start + of.hours / 35 * 7
    realised = np.zeros(NY)
    for s, e, h in zip(start, end, of.hours, strict=True):
        for yr in range(NY):
            part = max(0.0, min(e, (yr + 1) * YEAR) - max(s, yr * YEAR))
            realised[yr] += h * part / (e - s)
    run = simulate(sc, 2)
    y, t = run.yearly, run.totals
    np.testing.assert_allclose(y["hours_realised"], realised, rtol=1e-9)
    np.testing.assert_allclose(y["hours_realised_direct"], realised, rtol=1e-9)
    np.testing.assert_allclose(y["fallbacks"], _by_year(start, np.ones(start.size)))
    assert t["contracts_direct"] == t["contracts"] == start.size
    assert t["hours_lapsed"] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize(("weekly", "at_once"), [(17.5, 2), (35.0, 1)])
def test_fallback_to_an_siae_type_takes_its_share_of_a_post(weekly, at_once):
    """ETTI offers with no ETTI post fall back to AI (one post) or else to direct hire. An AI
    mission at ``weekly`` h/week holds weekly / 35 of the post: two half-time missions or one
    full-time mission at once, the post then fully used."""
    sc = load(
        None,
        [
            *BASE,
            "flow.referrals.per_year=3000",
            'flow.operations.duration_days={dist="fixed", value=720}',
            "flow.siae.fallback_after_days=0",
            "flow.siae.posts={etti=0, ai=1, geiq=0, ei=0, aci=0}",
            'flow.siae.fallback_to=["etti", "ai", "direct"]',
            f'flow.missions.weekly_hours_by_route={{etti={{dist="fixed", value=17.5}}, '
            f'ai={{dist="fixed", value={weekly}}}}}',
        ],
    )
    run = simulate(sc, 2)
    t = run.totals
    assert t["contracts_ai"] > 0 and t["contracts_direct"] > 0
    assert t["contracts_ai"] + t["contracts_direct"] == t["contracts"] == t["fallbacks"]
    occ = run.monthly["siae_occupancy_ai"]
    assert np.nanmax(occ) == pytest.approx(1.0)
    # AI missions last 570 / weekly weeks; a post serves `at_once` of them at a time
    days = 570 / weekly * 7
    assert t["contracts_ai"] <= at_once * math.ceil(T / days)
