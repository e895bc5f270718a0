"""SIAE posts in FTE: a part-time mission holds part of a post."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import simulate
from sim.schedule import YEAR_DAYS

from .conftest import ABUNDANT_PEOPLE, small


def ai_only(weekly: float, posts: int = 1):
    return small(
        "flow.missions.mode_shares={ai=1.0}",
        f'flow.missions.weekly_hours_by_route={{ai={{dist="fixed", value={weekly}}}}}',
        f"flow.siae.posts={{etti=0, ai={posts}, geiq=0, ei=0, aci=0}}",
        "flow.siae.fallback_to=[]",
        "works[0].dwellings=3000",
        *ABUNDANT_PEOPLE,
    )


def test_half_time_missions_hold_half_a_post():
    # one AI post, saturated: it can hold one 35 h mission or two 17.5 h missions at once, so
    # at most 35 h a week x 52 weeks of work a year, whatever the missions' weekly hours
    full = simulate(ai_only(35.0), 1)
    half = simulate(ai_only(17.5), 1)
    cap = 35.0 * YEAR_DAYS / 7.0  # hours a year a full post can hold
    for run in (full, half):
        assert run.yearly["hours_realised"].max() <= cap + 1e-6
        assert np.nanmax(run.monthly["siae_occupancy_ai"]) <= 1.0 + 1e-9
    # half-time missions fill the post as well as full-time ones: more than one at a time
    assert half.yearly["hours_realised"][1] > 0.5 * cap * 1.3
    assert half.totals["siae_occupancy_ai"] == pytest.approx(
        full.totals["siae_occupancy_ai"], rel=0.15
    )


def test_posts_held_never_exceed_posts():
    run = simulate(ai_only(20.0, posts=3), 2)
    occ = run.monthly["siae_occupancy_ai"]
    assert np.nanmax(occ) <= 1.0 + 1e-9
    assert np.nanmax(occ) > 0.9  # saturated
    assert run.totals["time_full_siae_ai"] > 0.5
