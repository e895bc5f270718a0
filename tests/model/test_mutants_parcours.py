"""Parcours: exits at the parcours' end by state, giving up, and missions shrunk to their works.

Times are fixed so that each expected figure is a hand computation from the rules of
:mod:`sim.model.parcours` and :mod:`sim.model.preparation`.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import FlowModel, simulate
from sim.scenario import OUTCOMES, load
from sim.schedule import offers
from sim.streams import replication_seed, stream

ZERO = "{rsa=0, under_26=0, ase=0, other=0}"
ONE = "{rsa=1, under_26=1, ase=1, other=1}"
NO_WORKS = [
    "scenario.horizon_years=2",
    "clause.insertion_rate=0",
    "flow.referrals.per_year=300",
    "flow.facilitators.fte=100",
    'flow.facilitators.patience_days="none"',
    'flow.placement.patience_days="none"',
    'flow.facilitators.max_parcours_days={dist="fixed", value=50}',
    f"flow.preparation.share={ZERO}",
    f"flow.barriers.mobility.share={ZERO}",
    f"flow.barriers.childcare.share={ZERO}",
]
"""No offers at all; people never give up; a 50-day parcours."""


@pytest.mark.parametrize(
    ("extra", "days"),
    [
        ([], 50.0),  # job-ready, waiting for an offer: leaves at the parcours' end
        ([f"flow.preparation.share={ONE}", "flow.preparation.places_per_year=0"], 50.0),
        ([f"flow.barriers.mobility.share={ONE}", "flow.barriers.mobility.places=0"], 50.0),
        ([f"flow.barriers.childcare.share={ONE}", "flow.barriers.childcare.places=0"], 50.0),
        # in preparation or lifting a barrier at the parcours' end: leaves when it ends
        (
            [
                f"flow.preparation.share={ONE}",
                'flow.preparation.duration_days={dist="fixed", value=80}',
            ],
            80.0,
        ),
        (
            [
                f"flow.barriers.childcare.share={ONE}",
                "flow.barriers.childcare.places=100000",
                'flow.barriers.childcare.delay_days={dist="fixed", value=70}',
            ],
            70.0,
        ),
        (
            [
                f"flow.preparation.share={ONE}",
                'flow.preparation.duration_days={dist="fixed", value=30}',
                f"flow.barriers.mobility.share={ONE}",
                'flow.barriers.mobility.delay_days={dist="fixed", value=30}',
            ],
            60.0,
        ),
    ],
)
def test_the_parcours_end_exits_people_waiting_and_ends_steps_in_progress(extra, days):
    run = simulate(load(None, [*NO_WORKS, *extra]), 1)
    t = run.totals
    caseload = run.waits["caseload"]
    assert caseload.size == t["exits"] > 300
    np.testing.assert_allclose(caseload, days, rtol=1e-12)
    # nobody worked: no employment outcome, nobody counted as giving up
    assert run.exits_by[:, OUTCOMES.index("no_mission"), :].sum() == t["exits"]
    assert t["gave_up_before_placement"] == 0 and t["positive_exits"] == 0


def test_people_giving_up_waiting_for_a_mission_drop_out():
    run = simulate(
        load(
            None,
            [
                *NO_WORKS,
                'flow.placement.patience_days={dist="fixed", value=20}',
                'flow.facilitators.max_parcours_days={dist="fixed", value=5000}',
            ],
        ),
        1,
    )
    y, t = run.yearly, run.totals
    np.testing.assert_allclose(run.waits["caseload"], 20.0, rtol=1e-12)
    np.testing.assert_array_equal(y["gave_up_before_placement"], y["exits"])
    np.testing.assert_array_equal(y["gave_up"], y["gave_up_before_placement"])
    assert run.exits_by[:, OUTCOMES.index("dropped_out"), :].sum() == t["exits"] > 300


def test_missions_shrink_to_what_fits_before_their_operation_ends():
    """ETTI offers (570 h at 17.5 h/week) in 300-day operations find no ETTI post; 150 days after
    release they fall back to direct hire (35 h/week, 114 days) and start at once, abundant
    people waiting. A mission that no longer fits shrinks to the hours left before its operation
    ends: (end - start) / 7 x 35 hours; the rest lapses, blamed on what kept the offer waiting
    (here nothing but the referrals: no post was missing on the direct route)."""
    sc = load(
        None,
        [
            "scenario.horizon_years=2",
            "flow.run_out_years=1",
            "flow.run_out_rule=hold",
            "works[0].dwellings=400",
            'flow.operations.duration_days={dist="fixed", value=300}',
            'flow.missions.hours={dist="fixed", value=570}',
            'flow.missions.weekly_hours={dist="fixed", value=35}',
            'flow.missions.weekly_hours_by_route={etti={dist="fixed", value=17.5}}',
            "flow.missions.mode_shares={etti=1}",
            "flow.missions.next_mission_probability=0",
            "flow.siae.posts={etti=0, ai=0, geiq=0, ei=0, aci=0}",
            'flow.siae.fallback_to=["direct"]',
            "flow.siae.fallback_after_days=150",
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
    rep = replication_seed(6, 0)
    of = offers(sc, *(stream(rep, n) for n in ("operations", "offers", "modes", "weekly_hours")))
    start = of.release + 150
    hours = np.minimum(of.hours, (of.op_end - start) / 7 * 35)
    assert (hours < of.hours).sum() > 5 and (hours == of.hours).sum() > 5
    end = start + hours / 35 * 7
    realised = np.zeros(3)
    lapsed = np.zeros(3)
    for s, e, h, full in zip(start, end, hours, of.hours, strict=True):
        lapsed[int(s // 365)] += full - h
        for yr in range(3):
            realised[yr] += h * max(0.0, min(e, (yr + 1) * 365) - max(s, yr * 365)) / (e - s)
    run = simulate(sc, 6)
    y, t = run.yearly, run.totals
    np.testing.assert_allclose(y["hours_realised"], realised, rtol=1e-9)
    np.testing.assert_allclose(y["hours_lapsed"], lapsed, rtol=1e-9, atol=1e-9)
    assert t["lapsed_referrals"] == pytest.approx(lapsed.sum())
    assert t["contracts_direct"] == of.hours.size
    # the shrunk missions end with their operation
    assert t["hours_open_end"] == pytest.approx(0.0, abs=1e-9)


# One 570 h mission each (an operation's 5,700 h is 10 of them), started at release by abundant
# people: every outcome is drawn with a rise known by hand, 1 + uplift x 570 / 1000.
ONE_MISSION = [
    "scenario.horizon_years=2",
    "flow.run_out_years=1",
    "flow.run_out_rule=hold",
    "works[0].dwellings=6000",
    'flow.operations.duration_days={dist="fixed", value=720}',
    'flow.missions.hours={dist="fixed", value=570}',
    'flow.missions.weekly_hours={dist="fixed", value=35}',
    "flow.missions.weekly_hours_by_route={}",
    "flow.missions.mode_shares={direct=0.5, etti=0.5}",
    "flow.missions.next_mission_probability=0",
    "flow.siae.posts={etti=1000, ai=0, geiq=0, ei=0, aci=0}",
    "flow.referrals.per_year=3000",
    "flow.facilitators.fte=200",
    'flow.facilitators.patience_days="none"',
    'flow.placement.patience_days="none"',
    'flow.facilitators.max_parcours_days={dist="fixed", value=5000}',
    f"flow.preparation.share={ZERO}",
    f"flow.barriers.mobility.share={ZERO}",
    f"flow.barriers.childcare.share={ZERO}",
    "flow.outcomes.route_factor={geiq=3}",  # routes not listed get 1 (direct, ETTI used)
    *(
        f"flow.outcomes.{p}={{durable=0.3, transition=0.2, training=0.1}}"
        for p in ("rsa", "under_26", "ase", "other")
    ),
]
WORKED = [OUTCOMES.index(o) for o in ("durable", "transition", "training", "other")]


@pytest.mark.parametrize(
    ("uplift", "expected"),
    [
        # rise 1.285: rates 0.3855, 0.257, 0.1285, the rest (0.229) "other"
        (0.5, [0.3855, 0.257, 0.1285, 0.229]),
        # rise 2.71: the rates would sum to 1.626, so they are scaled to sum to 1
        (3.0, [0.5, 1 / 3, 1 / 6, 0.0]),
    ],
)
def test_outcome_rates_rise_with_hours_worked_capped_at_one(uplift, expected):
    run = simulate(load(None, [*ONE_MISSION, f"flow.outcomes.hours_uplift_per_1000h={uplift}"]), 1)
    t = run.totals
    assert t["participants"] == t["contracts"] > 550
    worked = run.exits_by.sum(axis=(0, 2))[WORKED]
    assert worked.sum() > 550
    share = worked / worked.sum()
    np.testing.assert_allclose(share, expected, atol=0.06)
    if expected[-1] == 0.0:
        assert worked[-1] == 0


def test_the_uplift_counts_all_the_hours_worked():
    """Two 114-day missions each (570 h, offers always open) in a 150-day parcours: a person
    exits after the second with 1,140 h. With an uplift of 0.8 per 1,000 h, rates summing to 0.6
    rise to 0.6 x 1.912 > 1 and are scaled to sum to 1: nobody who worked exits "other" (after
    one mission's 570 h they would sum to 0.87, leaving 13 % "other")."""
    from .test_mutants_preparation import OPEN_OFFERS

    run = simulate(
        load(
            None,
            [
                *OPEN_OFFERS,
                "flow.missions.next_mission_probability=1",
                'flow.facilitators.max_parcours_days={dist="fixed", value=150}',
                "flow.outcomes.hours_uplift_per_1000h=0.8",
                "flow.outcomes.route_factor={direct=1}",
                *(
                    f"flow.outcomes.{p}={{durable=0.3, transition=0.2, training=0.1}}"
                    for p in ("rsa", "under_26", "ase", "other")
                ),
            ],
        ),
        3,
    )
    t = run.totals
    assert t["contracts"] > 1.9 * t["participants"] > 500
    worked = run.exits_by.sum(axis=(0, 2))[WORKED]
    assert worked.sum() > 400
    assert worked[-1] == 0


def test_outcomes_follow_the_rule_at_each_threshold_by_hand():
    """Outcomes drawn after the run, checked person by person against a hand computation: the
    rates of the public times the last route's factor times 1 + uplift x hours / 1000, scaled
    down when they sum above 1; a uniform just below / above each cumulative threshold."""
    from sim.model.parcours import DROPPED, NO_MISSION, OTHER
    from sim.scenario import MODES, PUBLICS

    sc = load(
        None,
        [
            "flow.outcomes.hours_uplift_per_1000h=0.5",
            "flow.outcomes.route_factor={direct=1.0, etti=1.0, ai=1.0, geiq=2.0, ei=1.0, aci=1.0}",
            "flow.outcomes.rsa={durable=0.2, transition=0.1, training=0.1}",
            "flow.outcomes.without_work={other={durable=0.05, transition=0.0, training=0.0}}",
        ],
    )
    m = FlowModel(sc, replication_seed(1, 0))
    rsa, other = PUBLICS.index("rsa"), PUBLICS.index("other")
    geiq = MODES.index("geiq")
    durable, transition, training = (
        OUTCOMES.index(o) for o in ("durable", "transition", "training")
    )
    # rsa, 1,000 h direct: rise 1.5 -> durable < 0.3, transition < 0.45, training < 0.6
    # rsa, 1,000 h, last mission GEIQ: rise 3.0, sum 0.4 x 3 = 1.2 > 1 -> scaled to 2.5:
    #   durable < 0.5, transition < 0.75, training < 1.0
    # other without work, not given up: its table (durable < 0.05); rsa without work: no_mission
    # rsa without work who gave up: dropped_out (no draw)
    people = [
        # (public, missions, hours, last route, gave up, uniform or None, expected)
        (rsa, 1, 1000.0, 0, False, 0.2999, durable),
        (rsa, 1, 1000.0, 0, False, 0.3001, transition),
        (rsa, 1, 1000.0, 0, False, 0.4499, transition),
        (rsa, 1, 1000.0, 0, False, 0.4501, training),
        (rsa, 1, 1000.0, 0, False, 0.5999, training),
        (rsa, 1, 1000.0, 0, False, 0.6001, OTHER),
        (rsa, 2, 1000.0, geiq, False, 0.4999, durable),
        (rsa, 2, 1000.0, geiq, False, 0.55, transition),  # unscaled (x 3.0): still durable
        (rsa, 2, 1000.0, geiq, False, 0.7499, transition),
        (rsa, 2, 1000.0, geiq, False, 0.8, training),  # unscaled: transition
        (rsa, 2, 1000.0, geiq, False, 0.9999, training),
        (other, 0, 0.0, 0, False, 0.0499, durable),
        (other, 0, 0.0, 0, False, 0.0501, OTHER),
        (rsa, 0, 0.0, 0, False, None, NO_MISSION),
        (rsa, 0, 0.0, 0, True, None, DROPPED),
    ]
    n = len(people)
    m.public = [p[0] for p in people]
    order = list(reversed(range(n)))  # exit order differs from person order
    m.u_outcome = iter([people[i][5] for i in order if people[i][5] is not None])
    got = m.outcomes(
        np.array(m.public),
        np.array([p[1] for p in people]),
        np.array([p[2] for p in people]),
        np.array([p[3] for p in people]),
        np.array(order),
        np.array([people[i][4] for i in order]),
    )
    assert got.tolist() == [p[6] for p in people]
    assert next(m.u_outcome, "none left") == "none left"  # one draw for each person with rates
