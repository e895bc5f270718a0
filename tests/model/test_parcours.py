"""Parcours and exits: next mission, outcomes only for people who worked, route and hours."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import simulate
from sim.runner import replicate
from sim.scenario import OUTCOMES, load

from .conftest import ALL_ROUTES_RATE_1, NO_STEPS, small

WORKED = [OUTCOMES.index(o) for o in ("durable", "transition", "training", "other")]
EMPLOYMENT = [OUTCOMES.index(o) for o in ("durable", "transition", "training")]


def test_people_who_never_worked_get_no_employment_outcome():
    t = replicate(load(None, ["clause.insertion_rate=0"]), 3, seed=1, jobs=1)
    assert t.totals["hours_offered"].sum() == 0
    assert t.totals["exits"].sum() > 100
    assert t.totals["positive_exits"].sum() == 0
    assert t.totals["dynamic_exits"].sum() == 0
    assert t.totals["participants"].sum() == 0
    # every exit is no_mission or dropped_out
    by = t.exits_by.sum(axis=(0, 1, 3))
    assert by[WORKED].sum() == 0
    assert by[OUTCOMES.index("no_mission")] > 0


def test_outcomes_without_work_come_only_from_their_table():
    table = "flow.outcomes.without_work={rsa={durable=0.5, transition=0.0, training=0.5}}"
    runs = replicate(load(None, ["clause.insertion_rate=0", table]), 3, seed=1, jobs=1)
    ex = runs.exits_by.sum(axis=(0, 1))  # (outcome, public)
    rsa, other = 0, 3
    assert ex[OUTCOMES.index("durable"), rsa] > 0
    assert ex[OUTCOMES.index("transition"), rsa] == 0
    assert ex[EMPLOYMENT, other].sum() == 0  # no table for "other": no outcome


@pytest.mark.parametrize("p", [0.0, 0.9])
def test_next_mission_probability_sets_contracts_per_participant(p):
    t = simulate(
        small(
            f"flow.missions.next_mission_probability={p}",
            "works[0].dwellings=3000",
            "flow.referrals.per_year=6",
            'flow.placement.patience_days="none"',
            'flow.facilitators.max_parcours_days={dist="fixed", value=3000}',
            *NO_STEPS,
        ),
        2,
    ).totals
    per = t["contracts"] / t["participants"]
    if p == 0.0:
        assert per == 1.0  # exactly one contract each
    else:
        assert per > 3.0  # geometric with mean 10, cut by the works' end (3 years)


def test_positive_exits_rise_with_hours_worked_and_route():
    common = [ALL_ROUTES_RATE_1, "flow.referrals.per_year=120"]
    flat = replicate(small(*common, "flow.outcomes.hours_uplift_per_1000h=0"), 8, seed=3, jobs=1)
    up = replicate(small(*common, "flow.outcomes.hours_uplift_per_1000h=2"), 8, seed=3, jobs=1)
    assert up.totals["positive_exits"].sum() > 1.2 * flat.totals["positive_exits"].sum()
    # route factor 0 on the only route: nobody who worked has an employment outcome
    zero = simulate(
        small(
            "flow.missions.mode_shares={direct=1.0}",
            "flow.outcomes.route_factor={direct=0}",
        ),
        3,
    )
    assert zero.totals["participants"] > 0
    assert zero.exits_by[:, EMPLOYMENT, :].sum() == 0


def test_positive_exit_rate_is_over_exits_of_people_who_worked():
    run = simulate(small(), 5)
    ex = run.exits_by.sum(axis=(0, 2))
    pos = ex[OUTCOMES.index("durable")] + ex[OUTCOMES.index("training")]
    assert run.totals["positive_exits"] == pos
    assert run.totals["positive_exit_rate"] == pytest.approx(pos / ex[WORKED].sum())
    assert run.totals["dynamic_exits"] == ex[EMPLOYMENT].sum()


def test_parcours_ends_after_the_mission_in_progress():
    run = simulate(
        small(
            'flow.facilitators.max_parcours_days={dist="fixed", value=100}',
            "flow.missions.next_mission_probability=1",
            'flow.missions.hours={dist="fixed", value=140}',
            "flow.missions.mode_shares={direct=1.0}",
            *NO_STEPS,
        ),
        1,
    )
    # 140 h at 35 h a week = 28 days: a mission started before day 100 ends by day 128
    assert run.waits["caseload"].max() <= 128 + 1e-9
    # people who stay to their deadline leave at day 100 or after their mission in progress
    assert np.sum(run.waits["caseload"] > 100 + 1e-9) > 0
