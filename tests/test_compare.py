"""sim.analysis.compare: paired differences under common random numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import FICHE, make_runs

from sim import jobs
from sim import scenario as sc
from sim.analysis import compare
from sim.results import TOTAL_METRICS, describe

SMALL = ["scenario.horizon_years=3", "works[0].dwellings=900", "flow.referrals.per_year=60"]


def test_rows_are_paired_differences():
    a = make_runs(6, seed=1)
    b = make_runs(6, seed=2, scale=1.2)
    rows = compare.comparison_rows([a, b])
    assert [r["metric"] for r in rows] == list(TOTAL_METRICS)
    r = next(r for r in rows if r["metric"] == "hours_realised")
    assert r["means"] == [
        pytest.approx(a.totals["hours_realised"].mean()),
        pytest.approx(b.totals["hours_realised"].mean()),
    ]
    want = describe(b.totals["hours_realised"] - a.totals["hours_realised"])
    d = r["diffs"][0]
    assert (d["mean"], d["ci_low"], d["ci_high"]) == pytest.approx(
        (want.mean, want.ci_low, want.ci_high)
    )
    assert d["ci_low"] < d["mean"] < d["ci_high"]


def test_identical_runs_differ_by_zero():
    a = make_runs(4, seed=3)
    rows = compare.comparison_rows([a, a])
    for r in rows:
        assert r["diffs"][0]["mean"] == 0.0
        assert r["diffs"][0]["ci_low"] == r["diffs"][0]["ci_high"] == 0.0


def test_replication_counts_must_match():
    with pytest.raises(ValueError, match="same number"):
        compare.comparison_rows([make_runs(3), make_runs(4)])


def test_columns():
    a, b, c = make_runs(3, seed=1), make_runs(3, seed=2), make_runs(3, seed=3)
    cols = compare.comparison_columns(compare.comparison_rows([a, b, c]), ["a", "b", "c"])
    assert list(cols)[:5] == ["metric", "unit", "a_mean", "b_mean", "c_mean"]
    assert list(cols)[5:] == [
        "b_minus_a_mean",
        "b_minus_a_ci_low",
        "b_minus_a_ci_high",
        "c_minus_a_mean",
        "c_minus_a_ci_low",
        "c_minus_a_ci_high",
    ]
    assert all(len(v) == len(TOTAL_METRICS) for v in cols.values())


def test_labels_and_default_out():
    assert compare.labels_for(["x/a.toml", "y/a.toml", "b c.toml", None]) == [
        "a",
        "a-2",
        "b_c",
        "erbm-fiche-2023",
    ]
    assert compare.labels_for(["figures.toml", ".hidden.toml"]) == ["scenario-figures", "hidden"]
    assert compare.default_out(["s/a.toml", "s/b.toml"]) == Path("results/compare-a-vs-b")


def test_text_table():
    a, b = make_runs(3, seed=1), make_runs(3, seed=2, scale=1.1)
    text = compare.comparison_text(compare.comparison_rows([a, b]), ["a", "b"])
    lines = text.splitlines()
    assert lines[0].startswith("Indicateur") and "b − a (IC 95 %)" in lines[0]
    assert any(line.startswith("Heures réalisées") for line in lines)
    assert "Hours realised" in compare.comparison_text(
        compare.comparison_rows([a, b]), ["a", "b"], "en"
    )


def test_common_random_numbers_narrow_the_interval():
    """The same model with one parameter changed: the paired interval of the difference is
    much narrower than what independent replications would give."""
    from sim.runner import replicate

    base = sc.load(FICHE, SMALL)
    more = sc.load(FICHE, [*SMALL, "flow.facilitators.fte=3.0"])
    a, b = (replicate(s, 8, seed=5, jobs=1) for s in (base, more))
    c = replicate(more, 8, seed=6, jobs=1)  # independent random numbers
    metric = "intakes"
    paired = describe(b.totals[metric] - a.totals[metric])
    indep = describe(c.totals[metric] - a.totals[metric])
    # referrals are drawn from their own stream: identical under CRN, whatever the staffing
    np.testing.assert_array_equal(a.totals["referrals"], b.totals["referrals"])
    assert paired.ci_high - paired.ci_low < indep.ci_high - indep.ci_low


def test_run_and_write_is_atomic_on_failure(tmp_path, monkeypatch):
    scenarios = [sc.load(FICHE, SMALL), sc.load(FICHE, SMALL)]

    def boom(*_a, **_k):
        raise RuntimeError("figure failed")

    from sim.presentation import plots

    monkeypatch.setattr(plots, "compare_figures", boom)
    with pytest.raises(RuntimeError):
        jobs.compare(
            scenarios, ["a", "b"], tmp_path / "c", jobs.Options(replications=2, seed=1, jobs=1)
        )
    assert list(tmp_path.iterdir()) == []
