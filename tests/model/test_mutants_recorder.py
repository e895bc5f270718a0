"""The recorder: levels integrated over monthly bins, and results checked by hand computation.

Expected values are computed in the tests from the rules in :mod:`sim.model.recorder` (a month is
365 / 12 days; hours split pro rata across 31 December).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from sim.errors import ConservationError
from sim.model import FlowModel, simulate
from sim.model.recorder import Level
from sim.scenario import PUBLICS, load
from sim.schedule import offers
from sim.streams import replication_seed, stream

MONTH = 365 / 12


def test_level_integrates_value_times_days_per_month():
    lv = Level(24)
    lv.add(10.0, 2.0)  # 2 from day 10
    lv.add(50.0, 1.0)  # 3 from day 50
    lv.add(58.0, -3.0)  # 0 from day 58
    lv.advance(400.0)
    expect = np.zeros(24)
    expect[0] = 2 * (MONTH - 10)
    expect[1] = 2 * (50 - MONTH) + 3 * (58 - 50)
    np.testing.assert_allclose(lv.area, expect, atol=1e-9)
    assert lv.value == 0
    np.testing.assert_allclose(lv.yearly(), [expect.sum(), 0.0], atol=1e-9)


def test_level_spans_many_months_and_years():
    lv = Level(24, 1.5)  # 1.5 from day 0
    lv.add(3 * MONTH + 5.0, -0.5)  # then 1.0
    lv.advance(500.0)
    expect = np.zeros(24)
    expect[:3] = 1.5 * MONTH
    expect[3] = 1.5 * 5.0 + 1.0 * (MONTH - 5.0)
    k = math.floor(500 / MONTH)  # month of day 500
    expect[4:k] = MONTH
    expect[k] = 500.0 - k * MONTH
    np.testing.assert_allclose(lv.area, expect, atol=1e-9)
    np.testing.assert_allclose(lv.yearly(), [expect[:12].sum(), expect[12:].sum()], atol=1e-9)
    assert lv.yearly()[0] == pytest.approx(1.5 * 3 * MONTH + 1.5 * 5 + (365 - 3 * MONTH - 5))


def test_level_changes_on_a_month_edge_count_from_the_next_month():
    lv = Level(12, 1.0)  # 1 from day 0
    lv.add(MONTH, 1.0)  # 2 from the first month edge exactly
    lv.add(2 * MONTH, 1.0)  # 3 from the second edge exactly
    lv.add(2 * MONTH, -3.0)  # 0 at the same time
    lv.advance(2 * MONTH + 5.0)
    expect = np.zeros(12)
    expect[0] = 1.0 * MONTH
    expect[1] = 2.0 * MONTH
    np.testing.assert_allclose(lv.area, expect, atol=1e-9)
    lv.add(3 * MONTH + 1.0, 4.0)  # 4 from day 1 of the fourth month, read up to the change
    lv.advance(3 * MONTH + 3.0)
    expect[3] = 4.0 * 2.0
    np.testing.assert_allclose(lv.area, expect, atol=1e-9)
    assert lv.area.sum() == pytest.approx(3.0 * MONTH + 8.0)
    # a change on an edge adds the piece before it to what its month already holds
    lv = Level(12, 1.0)  # 1 from day 0
    lv.add(10.0, 1.0)  # 2 from day 10
    lv.add(MONTH, -2.0)  # 0 from the first edge exactly
    assert lv.area[0] == pytest.approx(1.0 * 10.0 + 2.0 * (MONTH - 10.0))


def test_level_time_past_the_last_month_goes_to_the_last_month():
    lv = Level(12, 2.0)
    lv.advance(365.0 + 10.0)
    assert lv.area[-1] == pytest.approx(2.0 * (MONTH + 10.0))
    assert sum(lv.area) == pytest.approx(2.0 * 375.0)
    # advancing to an earlier or the same time adds nothing
    lv.advance(375.0)
    assert sum(lv.area) == pytest.approx(2.0 * 375.0)


# --------------------------------------------------------------------------------------------
# A clockwork replication: abundant people, fixed 900 h missions at 35 h/week (180 days), one
# mission a person, no patience limits: every offer starts when released, so the results follow
# from the works schedule alone (sim.schedule, upstream of the model) by hand.

ZERO = "{rsa=0, under_26=0, ase=0, other=0}"
CLOCK = [
    "scenario.horizon_years=2",
    "flow.run_out_years=1",
    "flow.run_out_rule=hold",
    "works[0].dwellings=400",
    'flow.missions.hours={dist="fixed", value=900}',
    'flow.missions.weekly_hours={dist="fixed", value=35}',
    "flow.missions.weekly_hours_by_route={}",
    "flow.missions.mode_shares={direct=0.5, etti=0.5}",
    "flow.missions.next_mission_probability=0",
    "flow.siae.posts={etti=50, ai=0, geiq=0, ei=0, aci=0}",
    "flow.referrals.per_year=3000",
    "flow.referrals.publics={rsa=1, under_26=0, ase=0, other=0}",
    "flow.referrals.criteria={deld=1, th=0, over_50=0, qpv=0}",
    "flow.facilitators.fte=200",
    'flow.facilitators.patience_days="none"',
    'flow.placement.patience_days="none"',
    'flow.facilitators.max_parcours_days={dist="fixed", value=5000}',
    'flow.operations.duration_days={dist="fixed", value=720}',
    "flow.operations.release_share=0.1",
    f"flow.preparation.share={ZERO}",
    f"flow.barriers.mobility.share={ZERO}",
    f"flow.barriers.childcare.share={ZERO}",
    "flow.outcomes.hours_uplift_per_1000h=0",
    *(f"flow.outcomes.{p}={{durable=1, transition=0, training=0}}" for p in PUBLICS),
]
YEAR = 365.0
NY = 3


@pytest.fixture
def clock():
    """(run, offers): the clockwork replication and its works schedule (simulated for each test,
    so that each test exercises the model itself)."""
    sc = load(None, CLOCK)
    rep = replication_seed(1, 0)
    of = offers(
        sc,
        stream(rep, "operations"),
        stream(rep, "offers"),
        stream(rep, "modes"),
        stream(rep, "weekly_hours"),
    )
    return simulate(sc, 1), of


def _overlap(start: float, end: float, y: int) -> float:
    return max(0.0, min(end, (y + 1) * YEAR) - max(start, y * YEAR))


def test_clockwork_hours_contracts_and_participants(clock):
    run, of = clock
    start = of.release
    end = start + of.hours / 35.0 * 7.0
    assert of.hours.sum() == 22_800  # 400 dwellings x 57 h
    realised = np.zeros(NY)
    direct = np.zeros(NY)
    etti_days = np.zeros(NY)
    contracts = np.zeros(NY)
    contracts_etti = np.zeros(NY)
    participants = np.zeros(NY)
    offered = np.zeros(NY)
    exits = np.zeros(NY)
    for s, e, h, m in zip(start, end, of.hours, of.mode, strict=True):
        y0 = int(s // YEAR)
        offered[y0] += h
        contracts[y0] += 1
        contracts_etti[y0] += m == 1
        if e < NY * YEAR:
            exits[int(e // YEAR)] += 1
        for y in range(NY):
            part = _overlap(s, e, y)
            realised[y] += h * part / (e - s)
            direct[y] += h * part / (e - s) if m == 0 else 0.0
            etti_days[y] += part if m == 1 else 0.0  # a 35 h/week mission holds one post
            participants[y] += part > 0
    in_progress = sum(
        h * max(0.0, e - NY * YEAR) / (e - s) for s, e, h in zip(start, end, of.hours, strict=True)
    )
    y = run.yearly
    np.testing.assert_allclose(y["hours_offered"], offered)
    np.testing.assert_allclose(y["hours_realised"], realised, rtol=1e-9)
    np.testing.assert_allclose(y["hours_realised_direct"], direct, rtol=1e-9)
    np.testing.assert_allclose(y["hours_realised_siae"], realised - direct, rtol=1e-9)
    np.testing.assert_allclose(y["fte_realised"], realised / 1820, rtol=1e-9)
    np.testing.assert_allclose(y["hours_lapsed"], 0.0, atol=1e-9)
    np.testing.assert_allclose(y["contracts"], contracts)
    np.testing.assert_allclose(y["contracts_etti"], contracts_etti)
    np.testing.assert_allclose(y["contracts_direct"], contracts - contracts_etti)
    np.testing.assert_allclose(y["participants"], participants)
    np.testing.assert_allclose(y["new_participants"], contracts)  # one mission each
    np.testing.assert_allclose(y["hours_per_participant"], realised / participants, rtol=1e-9)
    np.testing.assert_allclose(y["siae_occupancy_etti"], etti_days / (50 * YEAR), rtol=1e-9)
    np.testing.assert_allclose(y["siae_occupancy"], etti_days / (50 * YEAR), rtol=1e-9)
    np.testing.assert_allclose(y["exits"], exits)
    # everybody who worked exits durable: every exit is positive
    np.testing.assert_allclose(y["positive_exits"], exits)
    np.testing.assert_allclose(y["dynamic_exits"], exits)
    np.testing.assert_allclose(y["positive_exit_rate"][exits > 0], 1.0)
    t = run.totals
    assert t["hours_realised"] == pytest.approx(realised.sum())
    assert t["hours_open_end"] == pytest.approx(in_progress)
    assert t["participants"] == len(start)
    assert t["hours_per_participant"] == pytest.approx(realised.sum() / len(start))
    assert t["realised_share"] == pytest.approx(realised.sum() / 22_800)
    assert t["lapsed_share"] == pytest.approx(0.0, abs=1e-12)
    assert t["positive_exit_rate"] == 1.0
    assert t["siae_occupancy_etti"] == pytest.approx(etti_days.sum() / (50 * NY * YEAR))
    assert t["time_full_siae_etti"] == 0.0
    assert t["time_full_siae_ai"] == pytest.approx(1.0)  # no AI post at all
    np.testing.assert_allclose(run.cohort_hours.sum(), realised.sum(), rtol=1e-9)


def test_clockwork_people(clock):
    run, of = clock
    y, t = run.yearly, run.totals
    ends = of.release + of.hours / 35.0 * 7.0
    exited = int((ends < NY * YEAR).sum())
    # nobody gives up, the caseload has room: all referred are taken in at once
    np.testing.assert_array_equal(y["intakes"], y["referrals"])
    assert t["waiting_end"] == 0 and t["gave_up"] == 0
    assert t["mean_intake_wait_days"] == 0.0 and t["p90_intake_wait_days"] == 0.0
    assert t["exits"] == exited
    assert t["active_end"] == t["intakes"] - exited
    # in the caseload at some time in the year: taken in by its end, not gone before its start
    taken_by = np.cumsum(y["intakes"])
    gone_before = np.concatenate(([0.0], np.cumsum(y["exits"])[:-1]))
    np.testing.assert_allclose(y["people_accompanied"], taken_by - gone_before)
    assert t["people_accompanied"] == t["intakes"]
    np.testing.assert_allclose(y["active_end"], taken_by - np.cumsum(y["exits"]))
    # the caseload is never full (14,400 slots)
    assert t["time_full_facilitators"] == 0.0
    assert 0 < t["facilitator_utilisation"] < 0.5
    np.testing.assert_array_equal(run.cohort_people, y["intakes"])
    # the placement waits are one per mission, the caseload times one per exit
    assert run.waits["placement"].size == len(ends)
    assert run.waits["caseload"].size == exited
    assert t["mean_placement_wait_days"] == pytest.approx(run.waits["placement"].mean())
    assert t["p90_placement_wait_days"] == pytest.approx(np.percentile(run.waits["placement"], 90))


def test_clockwork_by_public_cohort_and_month(clock):
    """Everyone is on RSA and long-term unemployed (DELD): the by-public figures of those two are
    the overall ones, the others' are zero (rates undefined). The first people referred take all
    28 missions (people far outnumber offers): the hours all go to the first year's cohort."""
    run, of = clock
    y, t = run.yearly, run.totals
    for g in ("rsa", "deld"):
        np.testing.assert_array_equal(y[f"participants_{g}"], y["participants"])
        np.testing.assert_array_equal(y[f"people_accompanied_{g}"], y["people_accompanied"])
        np.testing.assert_array_equal(y[f"positive_exits_{g}"], y["exits"])
        assert t[f"participants_{g}"] == t["participants"]
        assert t[f"people_accompanied_{g}"] == t["people_accompanied"]
        assert t[f"positive_exit_rate_{g}"] == 1.0
        rate = y[f"positive_exit_rate_{g}"]
        np.testing.assert_array_equal(rate[y["exits"] > 0], 1.0)
        assert np.isnan(rate[y["exits"] == 0]).all()
    for g in ("under_26", "th", "over_50", "qpv", "ase", "other"):
        assert y[f"participants_{g}"].sum() == 0 and t[f"participants_{g}"] == 0
        assert t[f"people_accompanied_{g}"] == 0
        assert math.isnan(t[f"positive_exit_rate_{g}"])
    # exits by year, outcome (durable first) and main public (RSA first)
    np.testing.assert_array_equal(run.exits_by[:, 0, 0], y["exits"])
    assert run.exits_by.sum() == t["exits"]
    np.testing.assert_array_equal(run.cohort_outcomes[:, 0], [t["exits"], 0, 0])
    assert run.cohort_outcomes.sum() == t["exits"]
    np.testing.assert_allclose(run.cohort_hours, [t["hours_realised"], 0, 0], rtol=1e-9)
    # monthly ETTI occupancy: ETTI mission days in the month over 50 posts x month
    start = of.release
    end = start + of.hours / 35.0 * 7.0
    days = np.zeros(NY * 12)
    for s, e, m in zip(start, end, of.mode, strict=True):
        if m == 1:
            for k in range(NY * 12):
                days[k] += max(0.0, min(e, (k + 1) * MONTH) - max(s, k * MONTH))
    np.testing.assert_allclose(run.monthly["siae_occupancy_etti"], days / (50 * MONTH), atol=1e-12)
    np.testing.assert_allclose(run.monthly["siae_occupancy"], days / (50 * MONTH), atol=1e-12)
    np.testing.assert_allclose(run.monthly["siae_occupancy_ai"], np.nan)  # no AI post
    # the caseload (200 FTE x 72 = 14,400 slots) fills at about 250 people a month
    util = run.monthly["facilitator_utilisation"]
    np.testing.assert_allclose(util, (np.arange(NY * 12) + 0.5) * 250 / 14_400, rtol=0.3)
    assert np.all(np.diff(util) > 0)
    assert t["facilitator_utilisation"] == pytest.approx(t["active_mean"] / 14_400, rel=1e-9)


def test_a_breach_of_conservation_names_the_balance():
    sc = load(None, ["scenario.horizon_years=2", "works[0].dwellings=400"])
    m = FlowModel(sc, replication_seed(1, 0))
    m.run()
    good = dict(simulate(sc, 1).totals)
    m.check(good)
    cases = [
        (
            "referrals",
            1,
            r"^referrals \d+ != intakes \+ gave up before intake \+ waiting at end "
            r"\(\d+\)$",
        ),
        ("exits", -1, r"^intakes \d+ != exits \+ active at end \(\d+\)$"),
        (
            "hours_lapsed",
            5.0,
            r"^hours offered [\d.]+ != realised \+ lapsed \+ open at end "
            r"\([\d.]+\)$",
        ),
        ("hours_open_end", -0.01, r"^hours offered"),
    ]
    for key, delta, message in cases:
        bad = dict(good)
        bad[key] += delta
        with pytest.raises(ConservationError) as exc:
            m.check(bad)
        assert re.search(message, str(exc.value)), (key, str(exc.value))


LITTLE = [
    "scenario.horizon_years=2",
    "flow.run_out_years=1",
    "flow.run_out_rule=taper",
    "clause.insertion_rate=0",
    "flow.referrals.per_year=300",
    'flow.placement.patience_days="none"',
    'flow.facilitators.max_parcours_days={dist="fixed", value=50}',
    f"flow.preparation.share={ZERO}",
    f"flow.barriers.mobility.share={ZERO}",
    f"flow.barriers.childcare.share={ZERO}",
]
"""No works (so no run-out referrals under ``taper``), a 50-day parcours: everyone referred has
left by the end, and each level's area is a sum of known times (Little's law on a closed path)."""


def test_time_in_caseload_sums_to_the_caseload_level():
    run = simulate(load(None, [*LITTLE, 'flow.facilitators.patience_days="none"']), 2)
    y, t = run.yearly, run.totals
    assert y["referrals"][2] == 0 and t["referrals"] > 500
    assert t["exits"] == t["intakes"] == t["referrals"] and t["active_end"] == 0
    np.testing.assert_allclose(run.waits["caseload"], 50.0)
    assert t["active_mean"] == pytest.approx(50.0 * t["exits"] / (3 * YEAR), rel=1e-12)
    assert y["active_mean"].sum() * YEAR == pytest.approx(50.0 * t["exits"], rel=1e-12)
    assert t["waiting_mean"] == 0 and t["waiting_end"] == 0
    np.testing.assert_array_equal(
        y["active_end"],
        [y["intakes"][0] - y["exits"][0], y["intakes"][:2].sum() - y["exits"][:2].sum(), 0],
    )
    assert math.isnan(t["hours_per_participant"]) and t["participants"] == 0
    np.testing.assert_array_equal(run.cohort_hours, 0.0)
    np.testing.assert_array_equal(run.cohort_people, y["intakes"])
    assert math.isnan(t["mean_placement_wait_days"]) and math.isnan(t["realised_share"])


def test_time_waiting_sums_to_the_waiting_level():
    """No caseload at all, a fixed 10-day patience: everyone waits 10 days, then gives up."""
    run = simulate(
        load(
            None,
            [
                *LITTLE,
                "flow.facilitators.fte=0",
                'flow.facilitators.patience_days={dist="fixed", value=10}',
            ],
        ),
        2,
    )
    y, t = run.yearly, run.totals
    assert t["gave_up_before_intake"] == t["referrals"] > 500
    np.testing.assert_allclose(run.waits["intake_gave_up"], 10.0)
    assert t["waiting_mean"] == pytest.approx(10.0 * t["referrals"] / (3 * YEAR), rel=1e-12)
    assert y["waiting_mean"].sum() * YEAR == pytest.approx(10.0 * t["referrals"], rel=1e-12)
    assert t["intakes"] == 0 and t["people_accompanied"] == 0
    assert math.isnan(t["mean_intake_wait_days"]) and math.isnan(t["p90_intake_wait_days"])
    assert t["time_full_facilitators"] == 1.0


def test_yearly_waits_are_the_years_share_of_the_waits():
    """Intake waits are kept by year of intake, placement waits by year of the mission's start:
    the yearly mean and 90th percentile are those of the year's slice of the pooled waits."""
    sc = load(
        None,
        [
            "scenario.horizon_years=3",
            "works[0].dwellings=900",
            "flow.referrals.per_year=120",
            "flow.facilitators.fte=0.5",
            "flow.facilitators.caseload_per_fte=20",
        ],
    )
    run = simulate(sc, 3)
    y = run.yearly
    for kind, counts in (("intake", y["intakes"]), ("placement", y["contracts"])):
        waits = run.waits[kind]
        assert waits.size == counts.sum()
        edges = np.concatenate(([0], np.cumsum(counts).astype(int)))
        for k in range(counts.size):
            part = waits[edges[k] : edges[k + 1]]
            if part.size:
                assert y[f"mean_{kind}_wait_days"][k] == pytest.approx(part.mean())
                assert y[f"p90_{kind}_wait_days"][k] == pytest.approx(np.percentile(part, 90))
            else:
                assert math.isnan(y[f"mean_{kind}_wait_days"][k])
        assert run.totals[f"p90_{kind}_wait_days"] == pytest.approx(np.percentile(waits, 90))


def test_group_mean_p90_equals_numpy_group_by_group():
    from sim.model.recorder import group_mean_p90

    rng = np.random.default_rng(5)
    groups = [list(rng.exponential(40.0, n)) for n in (0, 1, 2, 7, 10, 11, 64, 0, 301)]
    mean, p90 = group_mean_p90(groups)
    for g, m, p in zip(groups, mean, p90, strict=True):
        if not g:
            assert math.isnan(m) and math.isnan(p)
            continue
        assert p == np.percentile(g, 90)  # the same linear rule, bit for bit
        assert m == pytest.approx(np.mean(g), rel=1e-12)
    assert [x for x in group_mean_p90([[], []])[0]] != [0.0, 0.0]
    # a hand computation: 10 values 1..10, index 8.1 -> 9 + 0.1 x (10 - 9)
    m, p = group_mean_p90([[float(x) for x in range(10, 0, -1)]])
    assert m[0] == 5.5 and p[0] == pytest.approx(9.1)


def test_group_mean_p90_edge_groups_and_the_upper_half_rule():
    """One value in all; a one-value group last; values where numpy's two interpolation forms
    differ in the last bit (index fraction 0.9 with 2 values, exactly 0.5 with 6): the result
    still equals np.percentile bit for bit."""
    from sim.model.recorder import group_mean_p90

    m, p = group_mean_p90([[5.0]])
    assert m.tolist() == [5.0] and p.tolist() == [5.0]
    two = [42.921, 12.338]  # 12.338 + 0.9 x d != 42.921 - 0.1 x d in floating point
    six = [15.74, 116.28, 11.915, 10.667, 10.549, 5.134]  # fraction exactly 0.5
    groups = [two, six, [3.0, 1.0], [7.5]]
    m, p = group_mean_p90(groups)
    assert p.tolist() == [np.percentile(g, 90) for g in groups]
    assert p[0] == 39.862700000000004 and p[1] == 66.00999999999999
    assert m[3] == 7.5 and m[2] == 2.0


def test_level_without_advance_integrates_to_its_last_change_only():
    lv = Level(12, 2.0)
    assert lv.area.sum() == 0.0  # 2 from day 0, but no time has passed
    lv.add(10.0, 1.0)  # 3 from day 10: integrated up to day 10 only
    assert lv.area.sum() == pytest.approx(20.0)
    lv.add(40.0, -3.0)  # 0 from day 40
    np.testing.assert_allclose(lv.area[:2], [2 * 10 + 3 * (MONTH - 10), 3 * (40 - MONTH)])
    assert lv.area[2:].sum() == 0.0
