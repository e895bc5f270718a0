"""Caseload and intake: whole slots, the run-out floor, priority classes, the full indicator."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.model import simulate
from sim.scenario import load

ZERO = "{rsa=0, under_26=0, ase=0, other=0}"
SATURATED = [
    "scenario.horizon_years=2",
    "clause.insertion_rate=0",
    'flow.placement.patience_days="none"',
    "flow.referrals.per_year=2000",
    'flow.facilitators.patience_days="none"',
    'flow.facilitators.max_parcours_days={dist="fixed", value=5000}',
    f"flow.preparation.share={ZERO}",
    f"flow.barriers.mobility.share={ZERO}",
    f"flow.barriers.childcare.share={ZERO}",
]
"""No works, far more people referred than slots, nobody leaving the queue or the caseload."""


def test_slots_are_whole_people_despite_float_rounding():
    # 0.29 x 100 and 0.58 x 100 are just under 29 and 58 in floating point
    sc = load(
        None,
        [
            *SATURATED,
            "flow.facilitators.fte=[0.29, 0.58]",
            "flow.facilitators.caseload_per_fte=100",
            "flow.run_out_rule=hold",
        ],
    )
    run = simulate(sc, 1)
    np.testing.assert_array_equal(run.yearly["active_end"], [29, 58, 58, 58])
    np.testing.assert_array_equal(run.yearly["intakes"], [29, 29, 0, 0])
    assert run.totals["time_full_facilitators"] > 0.99
    np.testing.assert_allclose(run.yearly["facilitator_utilisation"][1:], 1.0)


def test_no_facilitator_time_means_always_full_and_no_utilisation():
    run = simulate(load(None, [*SATURATED, "flow.facilitators.fte=0"]), 1)
    assert run.totals["time_full_facilitators"] == 1.0
    assert math.isnan(run.totals["facilitator_utilisation"])
    assert run.totals["intakes"] == 0


def test_run_out_caseload_never_below_the_people_accompanied_on_1_january():
    """Taper with no works (none at all) in the run-out years: the caseload drops to the 10
    people it holds on 1 January, no lower; as they leave (parcours of 100 days), people still
    waiting are taken in up to those 10 slots."""
    sc = load(
        None,
        [
            *SATURATED,
            "flow.facilitators.fte=1",
            "flow.facilitators.caseload_per_fte=10",
            'flow.facilitators.max_parcours_days={dist="fixed", value=100}',
            "flow.run_out_years=2",
            "flow.run_out_rule=taper",
        ],
    )
    run = simulate(sc, 1)
    y = run.yearly
    np.testing.assert_array_equal(y["referrals"][2:], [0, 0])
    np.testing.assert_array_equal(y["active_end"], [10, 10, 10, 10])
    # about 365 / 100 x 10 people a year go through the 10 slots
    assert (y["intakes"] >= 30).all()
    np.testing.assert_allclose(y["facilitator_utilisation"], 1.0, atol=0.01)


def test_priority_classes_in_their_order_then_everyone_else():
    """10 slots, 100-day parcours: about 36 people a year are taken in. Under 26 first (20 a
    year), then RSA (40 a year), then the rest (140 a year); people give up after 200 days. The
    first 10 slots go to whoever comes first; then young and RSA people always wait (60 a year
    for 36 places): none of the rest is taken in."""
    base = [
        *SATURATED,
        "scenario.horizon_years=3",
        "flow.run_out_years=0",
        "flow.referrals.per_year=200",
        "flow.referrals.publics={rsa=0.2, under_26=0.1, ase=0, other=0.7}",
        "flow.facilitators.fte=1",
        "flow.facilitators.caseload_per_fte=10",
        'flow.facilitators.patience_days={dist="fixed", value=200}',
        'flow.facilitators.max_parcours_days={dist="fixed", value=100}',
    ]
    sc = load(None, [*base, 'flow.facilitators.priority=["under_26", "rsa"]'])
    for seed in (1, 2):
        t = simulate(sc, seed).totals
        assert t["people_accompanied_other"] <= 10
        assert t["people_accompanied_under_26"] >= 40
        young, rsa = t["people_accompanied_under_26"], t["people_accompanied_rsa"]
        assert rsa >= t["people_accompanied"] - 10 - young
        assert rsa > 20
    # first come, first served: the rest, most of the referrals, take most of the slots
    fifo = simulate(load(None, base), 1).totals
    assert fifo["people_accompanied_other"] > 0.5 * fifo["people_accompanied"]


@pytest.mark.parametrize("fte", [0.5, 2.0])
def test_facilitator_full_indicator_and_utilisation(fte):
    """The caseload (fte x 72 slots) fills at 2000 people a year, then stays full to the end
    (4 years with the run-out years)."""
    run = simulate(
        load(None, [*SATURATED, f"flow.facilitators.fte={fte}", "flow.run_out_rule=hold"]), 3
    )
    t = run.totals
    slots = math.floor(fte * 72)
    fill_days = slots / (2000 / 365)
    assert t["time_full_facilitators"] == pytest.approx(1 - fill_days / (4 * 365), abs=0.004)
    assert t["facilitator_utilisation"] == pytest.approx(1 - fill_days / 2 / (4 * 365), abs=0.004)
    assert t["active_end"] == slots
