"""Works schedule: operations and offers add up to the hours engine's figures."""

from __future__ import annotations

import numpy as np
import pytest

from sim import hours
from sim.scenario import MODES, load
from sim.schedule import YEAR_DAYS, offers, operations
from sim.streams import replication_seed, stream


def _offers(sc, rep=0):
    r = replication_seed(1, rep)
    return offers(sc, stream(r, "operations"), stream(r, "offers"), stream(r, "modes"))


@pytest.mark.parametrize(
    "overrides",
    [
        [],
        ["clause.rounding=none"],
        ["clause.rounding=round_total", "works[0].profile=ramp"],
        ["works[0].dwellings=1234", "flow.operations.dwellings_per_operation=37"],
        ["flow.operations.start=random"],
    ],
)
def test_offers_sum_to_clause_hours_year_by_year(overrides):
    sc = load(None, overrides)
    of = _offers(sc)
    engine = hours.compute(sc)
    assert of.hours.sum() == pytest.approx(engine.total_hours, rel=1e-12)
    # operations start in their year; their hours are the year's clause hours
    start, _, op_hours = operations(sc, stream(replication_seed(1, 0), "operations"))
    by_year = np.bincount(
        (start // YEAR_DAYS).astype(int), weights=op_hours, minlength=sc.horizon_years
    )
    np.testing.assert_allclose(by_year, engine.hours, rtol=1e-12)
    # each operation's missions sum to its hours
    per_op = np.bincount(of.operation, weights=of.hours, minlength=of.op_hours.size)
    np.testing.assert_allclose(per_op, of.op_hours, rtol=1e-12)


def test_fiche_operations_of_100_dwellings_at_57_hours():
    sc = load()
    start, duration, op_hours = operations(sc, stream(replication_seed(1, 0), "operations"))
    assert start.size == 230  # 23 operations of 100 dwellings a year, 10 years
    assert set(op_hours) == {5700.0}  # 100 x 57 h
    assert (duration >= 180).all() and (duration <= 540).all()  # triangular(180, 365, 540)


def test_missions_respect_minimum_and_timing():
    sc = load()
    of = _offers(sc)
    assert of.hours.min() >= sc.flow.missions.min_hours
    assert (of.release >= of.op_start[of.operation]).all()
    assert (of.release < of.op_end).all()
    assert np.all(np.diff(of.release) >= 0)
    # a mission started when released fits before its works end, when it can fit at all
    dur = of.hours / of.weekly_hours * 7
    fits = dur <= (of.op_end - of.op_start[of.operation])
    assert (of.release[fits] + dur[fits] <= of.op_end[fits] + 1e-9).all()
    # mean mission size near the ERBM figure (530,000 h / 586 contracts ~ 900 h)
    assert 800 < of.hours.mean() < 1000
    # the last moment a minimum mission fits
    np.testing.assert_allclose(of.expiry, of.op_end - 70 / of.weekly_hours * 7)


def test_modes_follow_shares():
    sc = load()
    of = _offers(sc)
    share = np.bincount(of.mode, minlength=len(MODES)) / len(of)
    expected = np.array([sc.flow.missions.mode_shares[m] for m in MODES])
    np.testing.assert_allclose(share, expected, atol=0.04)


def test_amount_line_cut_by_amount_per_operation():
    sc = load(None, ["works[0].profile=uniform"]).with_overrides([])
    raw = sc.to_toml() + (
        '\n[[works]]\nname = "Voirie"\namount_eur = 20000000\nlabour_share = 0.5\n'
    )
    import tomllib

    from sim.scenario import from_dict

    sc2 = from_dict(tomllib.loads(raw))
    of = _offers(sc2)
    assert of.hours.sum() == pytest.approx(hours.compute(sc2).total_hours)
    # 2,000,000 EUR a year / 5,000,000 EUR per operation -> one operation a year
    start, _, _ = operations(sc2, stream(replication_seed(1, 0), "operations"))
    assert start.size == 230 + 10
