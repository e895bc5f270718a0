"""The recorder: clause-report metrics agree with each other and with hand counts."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import simulate
from sim.scenario import MODES

from .conftest import small


@pytest.fixture(scope="module")
def run():
    return simulate(small("flow.referrals.per_year=90"), 11)


def test_hours_per_participant_is_hours_over_participants(run):
    t, y = run.totals, run.yearly
    assert t["hours_per_participant"] == pytest.approx(t["hours_realised"] / t["participants"])
    busy = y["participants"] > 0
    np.testing.assert_allclose(
        y["hours_per_participant"][busy], y["hours_realised"][busy] / y["participants"][busy]
    )


def test_participants_are_distinct_people_who_worked(run):
    t, y = run.totals, run.yearly
    # each participant is new exactly once; a participant may work in several years
    assert y["new_participants"].sum() == t["participants"]
    assert y["participants"].sum() >= t["participants"]
    assert (y["participants"] >= y["new_participants"]).all()
    # at least one contract each, no more participants than people accompanied
    assert t["contracts"] >= t["participants"]
    assert t["participants"] <= t["people_accompanied"] == t["intakes"]
    assert t["contracts"] == sum(t[f"contracts_{m}"] for m in MODES)
    # every contract of a year starts in that year
    assert y["contracts"].sum() == t["contracts"]


def test_people_accompanied_in_a_year(run):
    y = run.yearly
    # accompanied in year k = in the caseload on 1 January + taken in during the year
    start = np.concatenate(([0.0], y["active_end"][:-1]))
    np.testing.assert_array_equal(y["people_accompanied"], start + y["intakes"])


def test_realised_hours_split_by_route(run):
    t = run.totals
    assert t["hours_realised_direct"] + t["hours_realised_siae"] == pytest.approx(
        t["hours_realised"]
    )
    assert (t["contracts_direct"] > 0) == (t["hours_realised_direct"] > 0)


def test_missions_hours_split_pro_rata_across_years_by_hand():
    from sim.model.recorder import split_by_year

    # days 300 to 800, 500 h: 65 days in year 0, 365 in year 1, 70 in year 2 (1 h a day);
    # days 10 to 20, 30 h: all in year 0; days 700 to 1200, 100 h: 30 days in year 1 (6 h),
    # 365 in year 2 (73 h), the rest past the last year (3 years here) left out
    ms, me, mh = (
        np.array([300.0, 10.0, 700.0]),
        np.array([800.0, 20.0, 1200.0]),
        np.array([500.0, 30.0, 100.0]),
    )
    mission, year, days, hours, by_mission = split_by_year(ms, me, mh, 3)
    assert mission.tolist() == [0, 0, 0, 1, 2, 2]
    assert year.tolist() == [0, 1, 2, 0, 1, 2]
    assert days.tolist() == [65.0, 365.0, 70.0, 10.0, 30.0, 365.0]
    np.testing.assert_allclose(hours, [65.0, 365.0, 70.0, 30.0, 6.0, 73.0])
    np.testing.assert_allclose(by_mission, [500.0, 30.0, 79.0])


@pytest.mark.parametrize("ny", [1, 2, 9])
def test_missions_hours_by_year_are_the_table_s_sums_exactly(ny):
    """The pairs give, bit for bit, what the missions x years table gives summed by year
    (numpy: in mission order, or pairwise for one column) and by mission (numpy's row sum),
    missions of one day to six years."""
    from sim.model.recorder import split_by_year, sum_by_year

    rng = np.random.default_rng(3 + ny)
    n = 3000
    ms = rng.uniform(0, ny * 365, n)
    me = ms + rng.choice([0.0, 1.0, 30.0, 200.0, 400.0, 800.0, 2200.0], n) * rng.random(n)
    me[::97] = np.ceil(me[::97] / 365) * 365  # some end on 31 December
    mh = rng.uniform(0, 2000, n)
    edges = np.arange(ny + 1) * 365.0
    overlap = np.clip(
        np.minimum(me[:, None], edges[None, 1:]) - np.maximum(ms[:, None], edges[None, :-1]),
        0,
        None,
    )
    table = overlap / np.maximum(me - ms, 1e-12)[:, None] * mh[:, None]
    mission, year, days, hours, by_mission = split_by_year(ms, me, mh, ny)
    if ny > 3:
        assert ((me - ms) > 3 * 365).sum() > 10  # rows of many cells, summed pairwise
    np.testing.assert_array_equal(sum_by_year(year, hours, ny), table.sum(axis=0))
    some = mission % 3 == 0  # a subset of the missions, as the direct hires are
    np.testing.assert_array_equal(
        sum_by_year(year[some], hours[some], ny), table[np.arange(n) % 3 == 0].sum(axis=0)
    )
    np.testing.assert_array_equal(by_mission, table.sum(axis=1))
    cells, cell_days = np.zeros_like(table), np.zeros_like(table)
    cells[mission, year] = hours
    cell_days[mission, year] = days
    np.testing.assert_array_equal(cells, table)  # every non-empty cell, once
    np.testing.assert_array_equal(cell_days, overlap)


def test_people_put_back_in_the_order_they_were_numbered():
    from sim.model.recorder import in_order

    # person 2 first, then 3, then 0; person 1 never numbered
    assert in_order(np.array([2, -1, 0, 1])).tolist() == [2, 3, 0]
    assert in_order(np.array([-1, -1])).tolist() == []


def test_waits_are_the_records_times_in_the_order_they_happened():
    """Intake waits in intake order (the records' intake minus referral times), mission waits in
    the order missions started, time in the caseload in exit order."""
    from sim.model import FlowModel
    from sim.streams import replication_seed

    m = FlowModel(small(), replication_seed(4, 0))
    run = m.simulate()
    taken = sorted((p.intake_seq, i) for i, p in enumerate(m.people) if p.intake_seq >= 0)
    assert [s for s, _ in taken] == list(range(len(taken)))
    intake = [m.people[i].intake_t - m.arrival[i] for _, i in taken]
    np.testing.assert_array_equal(run.waits["intake"], intake)
    np.testing.assert_array_equal(run.waits["placement"], [x.wait for x in m.missions])
    exits = sorted((p.exit_seq, i) for i, p in enumerate(m.people) if p.exit_seq >= 0)
    caseload = [m.people[i].exit_t - m.people[i].intake_t for _, i in exits]
    np.testing.assert_array_equal(run.waits["caseload"], caseload)
    assert len(caseload) == run.totals["exits"] > 10
