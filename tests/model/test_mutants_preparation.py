"""Preparation and barriers, timed by hand.

With offers always open (large works, long operations) and one fixed-size mission a person, a
person's time in the caseload is exactly: preparation + mobility delay + childcare delay + the
mission (570 h at 35 h/week = 114 days). Place limits set how many people go through a step.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import simulate
from sim.scenario import load

ALL = "{{rsa={0}, under_26={0}, ase={0}, other={0}}}"
MISSION_DAYS = 570 / 35 * 7  # 114 days: an operation of 5,700 h is 10 missions

OPEN_OFFERS = [
    "scenario.horizon_years=3",
    "flow.run_out_years=0",
    "works[0].dwellings=30000",
    'flow.operations.duration_days={dist="fixed", value=3000}',
    "flow.operations.release_share=0.01",
    'flow.missions.hours={dist="fixed", value=570}',
    'flow.missions.weekly_hours={dist="fixed", value=35}',
    "flow.missions.weekly_hours_by_route={}",
    "flow.missions.mode_shares={direct=1}",
    "flow.missions.next_mission_probability=0",
    "flow.referrals.per_year=200",
    "flow.facilitators.fte=100",
    'flow.facilitators.patience_days="none"',
    'flow.placement.patience_days="none"',
    'flow.facilitators.max_parcours_days={dist="fixed", value=5000}',
    f"flow.preparation.share={ALL.format(0)}",
    f"flow.barriers.mobility.share={ALL.format(0)}",
    f"flow.barriers.childcare.share={ALL.format(0)}",
    "flow.barriers.childcare.places=100000",
]
"""Offers open from day 2 on, in operations outlasting the run; people never giving up, one
114-day mission each, no steps."""


def run(*extra: str, seed: int = 3):
    return simulate(load(None, [*OPEN_OFFERS, *extra]), seed)


@pytest.mark.parametrize(
    ("extra", "days"),
    [
        ([], 0.0),
        ([f"flow.preparation.share={ALL.format(1)}"], 40.0),
        ([f"flow.barriers.mobility.share={ALL.format(1)}"], 10.0),
        ([f"flow.barriers.childcare.share={ALL.format(1)}"], 25.0),
        (
            [
                f"flow.preparation.share={ALL.format(1)}",
                f"flow.barriers.mobility.share={ALL.format(1)}",
                f"flow.barriers.childcare.share={ALL.format(1)}",
            ],
            75.0,
        ),
        (
            [
                f"flow.preparation.share={ALL.format(1)}",
                "flow.preparation.places_per_year=1000",
                f"flow.barriers.mobility.share={ALL.format(1)}",
                "flow.barriers.mobility.places=1000",
                f"flow.barriers.childcare.share={ALL.format(1)}",
                "flow.barriers.childcare.places=1000",
            ],
            75.0,
        ),
    ],
)
def test_time_in_caseload_is_the_steps_then_the_mission(extra, days):
    r = run(
        'flow.preparation.duration_days={dist="fixed", value=40}',
        'flow.barriers.mobility.delay_days={dist="fixed", value=10}',
        'flow.barriers.childcare.delay_days={dist="fixed", value=25}',
        *extra,
    )
    caseload = r.waits["caseload"]
    assert caseload.size > 300
    # the first offers come out on day 2: the few people ready before wait for them
    exact = np.isclose(caseload, days + MISSION_DAYS, rtol=1e-9)
    assert exact.mean() > 0.98
    assert caseload.min() == pytest.approx(days + MISSION_DAYS)
    assert caseload.max() < days + MISSION_DAYS + 10
    assert r.totals["time_full_preparation"] == 0.0


def test_preparation_places_per_year_are_used_each_year():
    """5 places a year, everyone needs preparation (a hundredth of a day): exactly 5 people a
    year become job-ready and work, although people waiting for a place reach their parcours'
    end (200 days) and leave the queue."""
    r = run(
        f"flow.preparation.share={ALL.format(1)}",
        'flow.preparation.duration_days={dist="fixed", value=0.01}',
        "flow.preparation.places_per_year=5",
        'flow.facilitators.max_parcours_days={dist="fixed", value=200}',
    )
    np.testing.assert_array_equal(r.yearly["new_participants"], [5, 5, 5])
    assert r.totals["time_full_preparation"] > 0.9
    # everybody else left at the end of their parcours without working
    assert r.totals["exits"] > 300


def test_no_preparation_place_no_work():
    r = run(f"flow.preparation.share={ALL.format(1)}", "flow.preparation.places_per_year=0")
    assert r.totals["participants"] == 0
    assert r.totals["time_full_preparation"] > 0.99


@pytest.mark.parametrize("barrier", ["mobility", "childcare"])
def test_barrier_places_are_held_until_exit(barrier):
    """Two places, everyone has the barrier (50 days): a place serves one person at a time from
    the barrier's start to their exit after their mission, 50 + 114 days. People first reach the
    barrier within days of the start; missions start 50, 214, 378, 542, 706, 870 and 1034 days
    later, two at a time: 4, 6 and 4 contracts in the three years."""
    r = run(
        f"flow.barriers.{barrier}.share={ALL.format(1)}",
        f'flow.barriers.{barrier}.delay_days={{dist="fixed", value=50}}',
        f"flow.barriers.{barrier}.places=2",
        seed=5,
    )
    np.testing.assert_array_equal(r.yearly["contracts"], [4, 6, 4])
    # missions end 164, 328, ..., 984 days after the start, two at a time
    assert r.totals["exits"] == 12
    assert r.waits["caseload"].min() == pytest.approx(50 + MISSION_DAYS)


def test_no_barrier_place_no_work():
    r = run(f"flow.barriers.childcare.share={ALL.format(1)}", "flow.barriers.childcare.places=0")
    assert r.totals["participants"] == 0
