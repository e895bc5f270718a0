"""SIAE posts: a freed post goes straight to the oldest open offer of its type.

One ETTI post, full-time missions, far more ETTI offers than the post can host, abundant people:
from the first offer's release on, each mission's end starts the next one at once, so the post is
held, and at capacity, exactly from the first release to the end of the run.
"""

from __future__ import annotations

import pytest

from sim.model import simulate
from sim.scenario import load
from sim.schedule import offers
from sim.streams import replication_seed, stream

ZERO = "{rsa=0, under_26=0, ase=0, other=0}"


@pytest.mark.parametrize("posts", [1, 3])
def test_a_freed_post_is_taken_at_once_while_offers_wait(posts):
    sc = load(
        None,
        [
            "scenario.horizon_years=2",
            "flow.run_out_years=1",
            "flow.run_out_rule=hold",
            "works[0].dwellings=1000",
            'flow.operations.duration_days={dist="fixed", value=900}',
            'flow.missions.hours={dist="fixed", value=570}',
            'flow.missions.weekly_hours={dist="fixed", value=35}',
            "flow.missions.weekly_hours_by_route={}",
            "flow.missions.mode_shares={etti=1}",
            "flow.missions.next_mission_probability=0",
            f"flow.siae.posts={{etti={posts}, ai=0, geiq=0, ei=0, aci=0}}",
            "flow.siae.fallback_to=[]",
            "flow.referrals.per_year=3000",
            "flow.facilitators.fte=200",
            'flow.facilitators.patience_days="none"',
            'flow.placement.patience_days="none"',
            'flow.facilitators.max_parcours_days={dist="fixed", value=5000}',
            f"flow.preparation.share={ZERO}",
            f"flow.barriers.mobility.share={ZERO}",
            f"flow.barriers.childcare.share={ZERO}",
        ],
    )
    rep = replication_seed(5, 0)
    of = offers(sc, *(stream(rep, n) for n in ("operations", "offers", "modes", "weekly_hours")))
    T = 3 * 365
    # the first `posts` offers start at their release; from the last of them on, all posts held
    first = sorted(of.release)[:posts]
    held = sum(T - r for r in first) / (posts * T)
    run = simulate(sc, 5)
    t = run.totals
    assert t["siae_occupancy_etti"] == pytest.approx(held, rel=1e-9)
    assert t["time_full_siae_etti"] == pytest.approx((T - first[-1]) / T, rel=1e-9)
    # offers not taken wait for a post, or lapse for want of one
    assert t["lapsed_siae_etti"] == pytest.approx(t["hours_lapsed"]) and t["hours_lapsed"] > 0
    assert t["contracts_direct"] == 0
