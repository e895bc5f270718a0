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
