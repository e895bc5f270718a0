"""Result records and statistics."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from sim.model import simulate
from sim.results import TOTAL_METRICS, Runs, Stat, describe
from sim.scenario import load


def test_describe_by_hand():
    # 1, 2, 3, 4: mean 2.5, sd 1.2910, t(0.975, 3) = 3.1824 -> 2.5 +/- 2.0543
    s = describe([1.0, 2.0, 3.0, 4.0])
    assert s.mean == 2.5
    assert s.ci_low == pytest.approx(2.5 - 3.182446 * 1.290994 / 2, abs=1e-5)
    assert s.ci_high == pytest.approx(2.5 + 3.182446 * 1.290994 / 2, abs=1e-5)
    assert s.p05 == pytest.approx(1.15)  # linear interpolation: 1 + 0.05 x 3
    assert s.p95 == pytest.approx(3.85)


def test_describe_per_year_ignores_nan_and_flags_single_value():
    s = describe(np.array([[1.0, np.nan], [3.0, 5.0]]))
    assert s.mean[0] == 2.0 and s.mean[1] == 5.0
    assert np.isnan(s.ci_low[1])  # one value: no interval
    assert s.to_dict()["ci_low"][1] is None


def test_describe_two_values_by_hand():
    # 1 and 3: mean 2, sd sqrt(2), sem 1, t(0.975, 1) = 12.7062 -> 2 +/- 12.7062
    s = describe([1.0, 3.0])
    assert s.mean == 2.0
    assert s.ci_low == pytest.approx(2.0 - 12.706205, abs=1e-5)
    assert s.ci_high == pytest.approx(2.0 + 12.706205, abs=1e-5)
    assert s.p05 == pytest.approx(1.1) and s.p95 == pytest.approx(2.9)


def test_describe_columns_with_and_without_nan_match_each_column_alone():
    # per column, by hand: the values left without NaN, their mean, t(0.975, n - 1) and
    # numpy's linear percentiles; column 2 has one NaN, column 3 two, others none
    rng = np.random.default_rng(7)
    a = rng.normal(10.0, 3.0, size=(9, 5))
    a[4, 2] = np.nan
    a[[0, 8], 3] = np.nan
    _check_columns(a, describe(a), range(5))
    # per year and public (replications x years x publics): counts differ by cell
    b = rng.normal(10.0, 3.0, size=(6, 2, 3))
    b[0, 1, 2] = np.nan
    b[[1, 2, 3], 0, 0] = np.nan
    sb = describe(b)
    assert sb.mean.shape == (2, 3)
    flat = Stat(*(np.asarray(getattr(sb, k)).reshape(-1) for k in STAT_FIELDS))
    _check_columns(b.reshape(6, -1), flat, range(6))


STAT_FIELDS = ("mean", "ci_low", "ci_high", "p05", "p95")


def _check_columns(a, s, columns):
    from scipy import stats

    for j in columns:
        x = a[:, j][~np.isnan(a[:, j])]
        half = stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size)
        assert s.mean[j] == pytest.approx(x.mean(), rel=1e-12)
        assert s.ci_low[j] == pytest.approx(x.mean() - half, rel=1e-12)
        assert s.ci_high[j] == pytest.approx(x.mean() + half, rel=1e-12)
        assert s.p05[j] == pytest.approx(np.percentile(x, 5), rel=1e-12)
        assert s.p95[j] == pytest.approx(np.percentile(x, 95), rel=1e-12)


def test_run_is_immutable_and_pickles():
    run = simulate(load(None, ["scenario.horizon_years=2", "works[0].dwellings=400"]), 1)
    with pytest.raises(ValueError):
        run.yearly["hours_realised"][0] = 1.0
    with pytest.raises(TypeError):
        run.totals["hours_realised"] = 1.0  # type: ignore[index]
    back = pickle.loads(pickle.dumps(run))
    assert back.totals == run.totals
    np.testing.assert_array_equal(back.exits_by, run.exits_by)


def test_runs_stack_and_summarise():
    sc = load(None, ["scenario.horizon_years=2", "works[0].dwellings=400"])
    runs = Runs.from_runs(sc.name, 5, [simulate(sc, 5, replication=i) for i in range(3)])
    assert runs.n == 3
    assert runs.yearly["hours_realised"].shape == (3, 4)  # 2 years + 2 run-out years
    s = runs.summary()
    for m in ("hours_realised", "positive_exits_rsa", "facilitator_utilisation"):
        assert s[m]["mean"] == pytest.approx(runs.totals[m].mean())
    assert set(TOTAL_METRICS) <= set(s)
    assert [y["year"] for y in s["years"]] == [2018, 2019, 2020, 2021]
    assert s["years"][1]["hours_realised"]["mean"] == pytest.approx(
        runs.yearly["hours_realised"][:, 1].mean()
    )
    assert runs.waits["intake"].size == runs.totals["intakes"].sum()


def test_intervals_stay_within_the_metrics_domain():
    from sim.results import within_domain

    s = within_domain(describe([0.0, 0.0, 0.0, 30.0]), "hours_lapsed")
    assert s.ci_low == 0.0 and s.ci_high > 7.5  # raw t-interval starts below zero
    assert describe([0.0, 0.0, 0.0, 30.0]).ci_low < 0
    share = within_domain(
        describe(np.array([[0.99, 0.5], [1.0, 0.6], [1.0, 0.7]])), "realised_share"
    )
    assert share.ci_high[0] == 1.0 and share.ci_high[1] < 1.0
    assert np.isnan(within_domain(describe([1.0]), "hours_lapsed").ci_low)
