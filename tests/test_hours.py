"""sim.hours: the hours engine, against hand computations and invariants."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from conftest import FICHE, ROOT, SCENARIOS, build_raw
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import hours as h
from sim import scenario as sc

# --------------------------------------------------------------------------------------------
# Formulas


def test_labour_share_worked_example():
    # Maison de l'Emploi Sud 77: 1,000,000 EUR x 50 % x 5 % / 30 EUR/h = 833.33 h -> 833 h
    x = h.labour_share_hours(1_000_000, 0.50, 0.05, 30.0)
    assert x == pytest.approx(833.3333333, abs=1e-6)
    assert h.round_unit(x, "floor_per_dwelling") == 833
    assert h.round_unit(x, "round_per_dwelling") == 833
    assert h.round_unit(x, "none") == pytest.approx(833.3333333, abs=1e-6)


def test_labour_share_per_dwelling_of_the_fiche():
    # 80,000 x 0.40 x 0.05 / 28 = 1,600 / 28 = 57.142857... -> 57 h a dwelling
    x = h.labour_share_hours(80_000, 0.40, 0.05, 28.0)
    assert x == pytest.approx(1600 / 28)
    assert h.round_unit(x, "floor_per_dwelling") == 57
    assert h.round_unit(x, "round_per_dwelling") == 57


def test_floor_and_round_differ_above_one_half():
    # 80,000 x 0.40 x 0.05 / 26 = 61.54 -> floor 61, round 62
    x = h.labour_share_hours(80_000, 0.40, 0.05, 26.0)
    assert h.round_unit(x, "floor_per_dwelling") == 61
    assert h.round_unit(x, "round_per_dwelling") == 62
    # half up, as planners round
    assert h.round_unit(57.5, "round_per_dwelling") == 58
    assert h.round_unit(56.5, "round_per_dwelling") == 57
    assert h.round_unit(57.49, "round_per_dwelling") == 57
    # round_total and none leave hours per dwelling as they are
    assert h.round_unit(57.5, "round_total") == 57.5
    assert h.round_unit(57.5, "none") == 57.5


def test_whole_values_stay_whole_despite_binary_floats():
    # 80,000 x 0.40 x 0.07 / 28 = 80 exactly, but 0.07 is not exact in binary
    x = h.labour_share_hours(80_000, 0.40, 0.07, 28.0)
    assert h.round_unit(x, "floor_per_dwelling") == 80
    # 0.1 + 0.2 = 0.30000000000000004; 0.7 + 0.1 = 0.7999999999999999
    assert h.round_unit((0.7 + 0.1) * 10, "floor_per_dwelling") == 8


def test_hours_per_eur():
    # the fiche as a ratio: 57 h per 80,000 EUR
    assert h.hours_per_eur_hours(80_000, 57 / 80_000) == pytest.approx(57)
    assert h.hours_per_eur_hours(1_840_000_000, 57 / 80_000) == pytest.approx(1_311_000)
    assert h.hours_per_eur_hours(2_000_000, 0.0015) == pytest.approx(3000)


def test_formulas_broadcast():
    x = h.labour_share_hours([80_000, 100_000], 0.40, [0.05, 0.05], 28.0)
    assert x.shape == (2,)
    np.testing.assert_allclose(x, [1600 / 28, 2000 / 28])
    np.testing.assert_array_equal(h.round_unit(x, "floor_per_dwelling"), [57, 71])


# --------------------------------------------------------------------------------------------
# Apportion and profiles


def test_apportion_uniform_fiche():
    np.testing.assert_array_equal(h.apportion(23_000, np.ones(10)), [2300] * 10)


def test_apportion_uneven_total():
    parts = h.apportion(23_001, np.ones(10))
    assert parts.sum() == 23_001
    assert sorted(set(parts.tolist())) == [2300, 2301]
    assert (parts == 2301).sum() == 1
    # 10 over 3 equal years: cumulative 3.33 -> 3, 6.67 -> 7, 10 -> parts 3, 4, 3
    np.testing.assert_array_equal(h.apportion(10, [1, 1, 1]), [3, 4, 3])


def test_apportion_ramp_by_hand():
    # weights 1..10 sum to 55; cumulative shares k(k+1)/2/55 of 23,000:
    # 418.18, 1254.55, 2509.09, 4181.82, 6272.73, 8781.82, 11709.09, 15054.55, 18818.18, 23000
    # rounded 418, 1255, 2509, 4182, 6273, 8782, 11709, 15055, 18818, 23000
    parts = h.apportion(23_000, h.profile_weights("ramp", 10))
    np.testing.assert_array_equal(parts, [418, 837, 1254, 1673, 2091, 2509, 2927, 3346, 3763, 4182])
    assert parts.sum() == 23_000


def test_apportion_edge_cases():
    np.testing.assert_array_equal(h.apportion(0, [1, 2, 3]), [0, 0, 0])
    np.testing.assert_array_equal(h.apportion(5, [0, 0]), [0, 0])
    np.testing.assert_array_equal(h.apportion(5, [0, 1, 0]), [0, 5, 0])
    np.testing.assert_array_equal(h.apportion(7, [3]), [7])
    assert h.apportion(7, [1, 1]).dtype == np.int64
    with pytest.raises(ValueError):
        h.apportion(5, [])
    with pytest.raises(ValueError):
        h.apportion(5, [[1, 2]])


def test_profile_weights():
    np.testing.assert_array_equal(h.profile_weights("uniform", 3), [1, 1, 1])
    np.testing.assert_array_equal(h.profile_weights("ramp", 4), [1, 2, 3, 4])
    with pytest.raises(ValueError, match="custom"):
        h.profile_weights("custom", 3)


# --------------------------------------------------------------------------------------------
# The fiche


def test_fiche_reproduced():
    r = h.compute(sc.load(FICHE))
    assert r.total_hours == 1_311_000  # 23,000 x 57
    assert round(r.total_fte) == 720
    assert r.total_fte == pytest.approx(1_311_000 / 1_820)  # 720.33
    assert r.fte_per_year == pytest.approx(72.03296703)
    assert round(r.fte_per_year) == 72
    np.testing.assert_array_equal(r.hours, [131_100] * 10)
    np.testing.assert_array_equal(r.dwellings, [2_300] * 10)
    np.testing.assert_array_equal(r.amount_eur, [184_000_000] * 10)
    np.testing.assert_array_equal(r.years, range(2018, 2028))
    assert r.lines[0].hours_per_dwelling == 57


def test_fiche_under_each_rounding():
    s = sc.load(FICHE)
    exact = 23_000 * 1600 / 28  # 1,314,285.71 h
    totals = {
        rounding: h.compute(s.with_overrides([f"clause.rounding={rounding}"])).total_hours
        for rounding in sc.ROUNDINGS
    }
    assert totals["none"] == pytest.approx(exact)
    assert totals["floor_per_dwelling"] == 1_311_000
    assert totals["round_per_dwelling"] == 1_311_000  # 57.14 rounds to 57 as well
    assert totals["round_total"] == 1_314_286


def test_round_total_spreads_whole_hours():
    r = h.compute(sc.load(FICHE, ["clause.rounding=round_total"]))
    assert r.hours.sum() == 1_314_286
    assert np.all(r.hours == np.round(r.hours))
    assert set(r.hours.tolist()) == {131_428, 131_429}  # 131,428.57 a year


def test_round_per_dwelling_differs_from_floor():
    # 26 EUR/h: 61.54 h a dwelling -> floor 61 x 23,000 = 1,403,000; round 62 x 23,000 = 1,426,000
    s = sc.load(FICHE, ["clause.hourly_cost_eur=26"])
    assert h.compute(s).total_hours == 1_403_000
    s2 = s.with_overrides(["clause.rounding=round_per_dwelling"])
    assert h.compute(s2).total_hours == 1_426_000


def test_fiche_by_the_other_methods():
    hpe = sc.load(FICHE, ["clause.method=hours_per_eur", f"clause.hours_per_eur={57 / 80_000!r}"])
    assert h.compute(hpe).total_hours == 1_311_000
    hpd = sc.load(FICHE, ["clause.method=hours_per_dwelling", "clause.hours_per_dwelling=57"])
    r = h.compute(hpd)
    assert r.total_hours == 1_311_000
    assert r.amount_eur.sum() == 1_840_000_000  # the cost still gives amounts


def test_hours_per_dwelling_is_rounded_too():
    s = sc.load(FICHE, ["clause.method=hours_per_dwelling", "clause.hours_per_dwelling=57.5"])
    assert h.compute(s).total_hours == 23_000 * 57
    s = s.with_overrides(["clause.rounding=round_per_dwelling"])
    assert h.compute(s).total_hours == 23_000 * 58
    s = s.with_overrides(["clause.rounding=none"])
    assert h.compute(s).total_hours == 23_000 * 57.5


def test_climat_resilience_scenario():
    # 100,000 x 0.40 x 0.05 / 28 = 71.43 -> 71 h; 30,000 x 71 = 2,130,000 h
    r = h.compute(sc.load(SCENARIOS / "erbm-30000-climat-resilience.toml"))
    assert r.lines[0].hours_per_dwelling == 71
    assert r.total_hours == 2_130_000
    assert r.total_fte == pytest.approx(2_130_000 / 1_820)


def test_observed_ramp_scenario():
    r = h.compute(sc.load(SCENARIOS / "erbm-observed-ramp.toml"))
    np.testing.assert_array_equal(
        r.hours, np.array([600, 1100, 1300, 1800, 2200, 1300, 1200, 1250, 1250, 1250]) * 57
    )
    assert r.total_hours == 13_250 * 57


def _reproduce(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # the script imports sim from the checkout
    return subprocess.run(
        [sys.executable, "scripts/reproduce_fiche.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


def test_reproduce_fiche_script_ok():
    out = _reproduce()
    assert out.returncode == 0, out.stdout + out.stderr
    assert "REPRODUCED" in out.stdout
    assert "131\u202f100 h a year" in out.stdout


def test_reproduce_fiche_script_fails_on_another_rate(tmp_path, fiche_text):
    p = tmp_path / "other.toml"
    p.write_text(
        fiche_text.replace("insertion_rate = 0.05", "insertion_rate = 0.06", 1), encoding="utf-8"
    )
    assert "insertion_rate = 0.06" in p.read_text(encoding="utf-8")
    out = _reproduce(str(p))
    assert out.returncode != 0
    assert "NOT REPRODUCED" in out.stdout


# --------------------------------------------------------------------------------------------
# Profiles on a scenario


def _compute(works, horizon=10, **clause):
    return h.compute(sc.from_dict(build_raw(works, horizon=horizon, **clause)))


FICHE_LINE = {"dwellings": 23_000, "cost_per_dwelling_eur": 80_000, "labour_share": 0.40}


def test_uniform_profile():
    r = _compute([FICHE_LINE])
    np.testing.assert_array_equal(r.dwellings, [2_300] * 10)


def test_ramp_profile():
    r = _compute([{**FICHE_LINE, "profile": "ramp"}])
    assert r.dwellings.sum() == 23_000
    assert r.total_hours == 1_311_000  # the profile moves hours between years, not their total
    np.testing.assert_array_equal(r.hours, r.dwellings * 57)
    # the last year has about horizon_years times the first (4182 / 418)
    assert r.dwellings[-1] / r.dwellings[0] == pytest.approx(10, rel=0.01)
    assert np.all(np.diff(r.dwellings) > 0)


def test_custom_profile():
    years = [0, 1000, 2000, 3000, 4000, 4000, 3000, 3000, 2000, 1000]
    r = _compute([{**FICHE_LINE, "profile": "custom", "yearly_dwellings": years}])
    np.testing.assert_array_equal(r.dwellings, years)
    np.testing.assert_array_equal(r.hours, np.array(years) * 57)
    np.testing.assert_array_equal(r.amount_eur, np.array(years) * 80_000)


def test_amount_line_uniform():
    # 10 M EUR over 4 years, 50 % x 5 % / 30 = 8,333.33 h -> 8,333 h (whole, as the total rounds)
    r = _compute([{"amount_eur": 10_000_000, "labour_share": 0.5}], horizon=4, hourly_cost_eur=30.0)
    np.testing.assert_allclose(r.amount_eur, [2_500_000] * 4)
    assert r.total_hours == 8_333
    np.testing.assert_array_equal(r.hours, [2083, 2084, 2083, 2083])  # cumulative rounding
    assert r.lines[0].hours_per_dwelling is None
    assert r.lines[0].dwellings is None
    np.testing.assert_array_equal(r.dwellings, [0, 0, 0, 0])


def test_amount_line_rounding_none():
    r = _compute(
        [{"amount_eur": 10_000_000, "labour_share": 0.5}],
        horizon=4,
        hourly_cost_eur=30.0,
        rounding="none",
    )
    np.testing.assert_allclose(r.hours, [10_000_000 / 4 * 0.5 * 0.05 / 30] * 4)


def test_amount_line_ramp():
    # weights 1, 2, 3: 1 M, 2 M, 3 M of 6 M EUR
    r = _compute(
        [{"amount_eur": 6_000_000, "labour_share": 0.5, "profile": "ramp"}],
        horizon=3,
        hourly_cost_eur=25.0,
    )
    np.testing.assert_allclose(r.amount_eur, [1e6, 2e6, 3e6])
    np.testing.assert_array_equal(r.hours, [1000, 2000, 3000])  # 1 M x 0.5 x 0.05 / 25 = 1,000


# --------------------------------------------------------------------------------------------
# Several works lines


def test_several_lines_by_hand():
    works = [
        # A: 300 dwellings at 80,000 EUR, 57 h each, 100 a year -> 5,700 h a year
        {"name": "A", "dwellings": 300, "cost_per_dwelling_eur": 80_000, "labour_share": 0.40},
        # B: an amount line, 1 M + 2 M + 0 EUR, its own rate (10 %) and hourly cost (25):
        #    1 M x 0.5 x 0.10 / 25 = 2,000 h; 2 M -> 4,000 h
        {
            "name": "B",
            "amount_eur": 3_000_000,
            "yearly_amount_eur": [1_000_000, 2_000_000, 0],
            "labour_share": 0.5,
            "insertion_rate": 0.10,
            "hourly_cost_eur": 25.0,
        },
        # C: hours per EUR, 1.5 M EUR x 0.001 = 1,500 h, 500 a year
        {"name": "C", "amount_eur": 1_500_000, "method": "hours_per_eur", "hours_per_eur": 0.001},
        # D: 12.5 h a dwelling -> 12 (floor), 60 dwellings on a ramp 10, 20, 30
        {
            "name": "D",
            "dwellings": 60,
            "cost_per_dwelling_eur": 50_000,
            "profile": "ramp",
            "method": "hours_per_dwelling",
            "hours_per_dwelling": 12.5,
        },
    ]
    r = _compute(works, horizon=3, insertion_rate=0.05, hourly_cost_eur=28.0)
    by_name = {ln.name: ln for ln in r.lines}
    np.testing.assert_array_equal(by_name["A"].hours, [5_700] * 3)
    np.testing.assert_array_equal(by_name["B"].hours, [2_000, 4_000, 0])
    np.testing.assert_array_equal(by_name["C"].hours, [500] * 3)
    np.testing.assert_array_equal(by_name["D"].hours, [120, 240, 360])
    assert (by_name["A"].hours_per_dwelling, by_name["D"].hours_per_dwelling) == (57, 12)
    np.testing.assert_array_equal(r.hours, [8_320, 10_440, 6_560])
    assert r.total_hours == 25_320
    np.testing.assert_array_equal(r.dwellings, [110, 120, 130])
    np.testing.assert_allclose(
        r.amount_eur, [8e6 + 1e6 + 5e5 + 5e5, 8e6 + 2e6 + 5e5 + 1e6, 8e6 + 0 + 5e5 + 1.5e6]
    )
    np.testing.assert_allclose(r.fte, np.array([8_320, 10_440, 6_560]) / 1820)
    assert r.total_fte == pytest.approx(25_320 / 1820)  # 13.91
    assert r.fte_per_year == pytest.approx(25_320 / 1820 / 3)


def test_dwelling_line_without_cost_has_no_amount():
    r = _compute(
        [{"dwellings": 20, "method": "hours_per_dwelling", "hours_per_dwelling": 57}], horizon=2
    )
    assert np.isnan(r.amount_eur).all()
    assert r.total_hours == 1_140
    d = r.to_dict()
    assert d["total_amount_eur"] is None
    assert [y["amount_eur"] for y in d["years"]] == [None, None]


# --------------------------------------------------------------------------------------------
# Results as a dict


def test_to_dict_fiche():
    d = h.compute(sc.load(FICHE)).to_dict()
    assert d["total_hours"] == 1_311_000 and isinstance(d["total_hours"], int)
    assert d["total_amount_eur"] == 1_840_000_000
    assert d["total_dwellings"] == 23_000
    assert d["fte_hours"] == 1820
    assert d["fte"] == pytest.approx(720.3296703)
    assert d["fte_per_year"] == pytest.approx(72.03296703)
    assert d["years"][0] == {
        "year": 2018,
        "dwellings": 2300,
        "amount_eur": 184_000_000,
        "hours": 131_100,
        "fte": pytest.approx(131_100 / 1820),
    }
    assert len(d["years"]) == 10
    (line,) = d["lines"]
    assert line["hours_per_dwelling"] == 57
    assert line["total_hours"] == 1_311_000
    assert line["method"] == "labour_share"


# --------------------------------------------------------------------------------------------
# fiche_variants (vectorised)


def test_fiche_variants_scalar():
    hours, fte, per_year = h.fiche_variants(23_000, 80_000, 0.40, 0.05, 28.0)
    assert hours == 1_311_000
    assert fte == pytest.approx(720.3296703)
    assert per_year == pytest.approx(72.03296703)


def test_fiche_variants_roundings():
    args = (23_000, 80_000, 0.40, 0.05, 28.0)
    assert h.fiche_variants(*args, rounding="none")[0] == pytest.approx(23_000 * 1600 / 28)
    assert h.fiche_variants(*args, rounding="round_total")[0] == 1_314_286
    assert h.fiche_variants(*args, rounding="round_per_dwelling")[0] == 1_311_000
    assert (
        h.fiche_variants(23_000, 80_000, 0.40, 0.05, 26.0, rounding="round_per_dwelling")[0]
        == 1_426_000
    )


def test_fiche_variants_broadcast():
    hours, fte, per_year = h.fiche_variants(
        [23_000, 30_000],
        [80_000, 100_000],
        0.40,
        0.05,
        28.0,
        fte_hours=[1820, 1607],
        horizon_years=[10, 5],
    )
    np.testing.assert_array_equal(hours, [1_311_000, 2_130_000])
    np.testing.assert_allclose(fte, [1_311_000 / 1820, 2_130_000 / 1607])
    np.testing.assert_allclose(per_year, [1_311_000 / 1820 / 10, 2_130_000 / 1607 / 5])
    assert h.fiche_variants(np.ones((3, 4)), 80_000, 0.4, 0.05, 28.0)[0].shape == (3, 4)


# --------------------------------------------------------------------------------------------
# Invariants (hypothesis)

ROUNDINGS = st.sampled_from(sc.ROUNDINGS)
RATES = st.floats(0.01, 0.20)
LABOUR = st.floats(0.10, 0.90)
HOURLY = st.floats(15.0, 60.0)
COSTS = st.floats(1_000.0, 500_000.0)


@st.composite
def dwelling_lines(draw, horizon):
    profile = draw(st.sampled_from(sc.PROFILES))
    line = {
        "cost_per_dwelling_eur": draw(COSTS),
        "labour_share": draw(LABOUR),
        "insertion_rate": draw(RATES),
        "hourly_cost_eur": draw(HOURLY),
    }
    if profile == "custom":
        line["yearly_dwellings"] = draw(
            st.lists(st.integers(0, 5_000), min_size=horizon, max_size=horizon).filter(
                lambda v: sum(v) > 0
            )
        )
    else:
        line["dwellings"] = draw(st.integers(1, 100_000))
        line["profile"] = profile
    return line


@st.composite
def amount_lines(draw, horizon):
    line = {
        "labour_share": draw(LABOUR),
        "insertion_rate": draw(RATES),
        "hourly_cost_eur": draw(HOURLY),
    }
    profile = draw(st.sampled_from(sc.PROFILES))
    if profile == "custom":
        years = draw(
            st.lists(st.floats(0, 1e8), min_size=horizon, max_size=horizon).filter(
                lambda v: sum(v) > 0
            )
        )
        line["yearly_amount_eur"] = years
        line["amount_eur"] = float(sum(years))
    else:
        line["amount_eur"] = draw(st.floats(1e3, 1e9))
        line["profile"] = profile
    return line


@st.composite
def scenarios(draw):
    horizon = draw(st.integers(1, 15))
    n = draw(st.integers(1, 3))
    works = [draw(st.one_of(dwelling_lines(horizon), amount_lines(horizon))) for _ in range(n)]
    raw = build_raw(
        works, horizon=horizon, rounding=draw(ROUNDINGS), fte_hours=draw(st.floats(1_000, 2_000))
    )
    return sc.from_dict(raw)


def _expected_line_total(w: sc.Works, rounding: str) -> float:
    """Total hours of a line computed independently of the yearly split."""
    if w.dwellings is not None:
        unit = w.cost_per_dwelling_eur * w.labour_share * w.insertion_rate / w.hourly_cost_eur
        if rounding == "floor_per_dwelling":
            return w.dwellings * math.floor(unit + 1e-9)
        if rounding == "round_per_dwelling":
            return w.dwellings * math.floor(unit + 0.5 + 1e-9)
        exact = w.dwellings * unit
    else:
        exact = w.amount_eur * w.labour_share * w.insertion_rate / w.hourly_cost_eur
    return exact if rounding == "none" else math.floor(exact + 0.5 + 1e-9)


@settings(max_examples=80, deadline=None)
@given(scenarios())
def test_yearly_sums_equal_totals(s):
    r = h.compute(s)
    assert len(r.hours) == s.horizon_years
    assert np.all(r.hours >= 0)
    rounding = s.clause.rounding
    for w, ln in zip(s.works, r.lines, strict=True):
        want = _expected_line_total(w, rounding)
        if rounding == "none":
            assert ln.hours.sum() == pytest.approx(want, rel=1e-9)
        else:
            assert np.all(ln.hours == np.round(ln.hours))  # whole hours every year
            # exact but for float noise at a .5 boundary of the total, which random floats miss
            assert ln.hours.sum() == pytest.approx(want, abs=1e-6)
        if w.dwellings is not None:
            assert ln.dwellings.sum() == w.dwellings
            assert ln.amount_eur.sum() == pytest.approx(w.dwellings * w.cost_per_dwelling_eur)
        else:
            assert ln.amount_eur.sum() == pytest.approx(w.amount_eur)
    assert r.dwellings.sum() == sum(w.dwellings or 0 for w in s.works)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 10**9), st.lists(st.integers(0, 1000), min_size=1, max_size=30))
def test_apportion_sums_exactly_and_stays_within_one(total, weights):
    parts = h.apportion(total, weights)
    assert parts.dtype == np.int64
    assert len(parts) == len(weights)
    assert np.all(parts >= 0)
    if sum(weights) == 0:
        assert parts.sum() == 0
        return
    assert int(parts.sum()) == total
    for part, w in zip(parts.tolist(), weights, strict=True):
        exact = Fraction(total * w, sum(weights))
        assert abs(part - exact) < 1


@settings(max_examples=60, deadline=None)
@given(st.floats(1e3, 1e9), st.integers(2, 50), LABOUR, RATES, HOURLY, st.integers(1, 12))
def test_hours_proportional_to_amount(amount, k, labour, rate, hourly, horizon):
    def run(amount_eur):
        return _compute(
            [{"amount_eur": amount_eur, "labour_share": labour}],
            horizon=horizon,
            rounding="none",
            insertion_rate=rate,
            hourly_cost_eur=hourly,
        )

    base, scaled = run(amount), run(amount * k)
    np.testing.assert_allclose(scaled.hours, k * base.hours, rtol=1e-12)
    assert base.total_hours == pytest.approx(amount * labour * rate / hourly, rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 10_000), st.integers(2, 20), COSTS, LABOUR, RATES, HOURLY)
def test_hours_proportional_to_dwellings(dwellings, k, cost, labour, rate, hourly):
    def run(d):
        return _compute(
            [
                {
                    "dwellings": d,
                    "cost_per_dwelling_eur": cost,
                    "labour_share": labour,
                    "profile": "custom",
                    "yearly_dwellings": [d],
                }
            ],
            horizon=1,
            rounding="none",
            insertion_rate=rate,
            hourly_cost_eur=hourly,
        )

    assert run(dwellings * k).total_hours == pytest.approx(
        k * run(dwellings).total_hours, rel=1e-12
    )


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_fte_is_hours_over_base(s):
    r = h.compute(s)
    base = s.clause.fte_hours
    np.testing.assert_allclose(r.fte, r.hours / base, rtol=1e-15)
    assert r.total_fte == pytest.approx(r.hours.sum() / base, rel=1e-12)
    assert r.fte_per_year == pytest.approx(r.hours.sum() / base / s.horizon_years, rel=1e-12)
    d = r.to_dict()
    assert [y["fte"] for y in d["years"]] == pytest.approx((r.hours / base).tolist())


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 100_000),
            COSTS,
            LABOUR,
            RATES,
            HOURLY,
            st.integers(1, 15),
            st.floats(1_000, 2_000),
        ),
        min_size=1,
        max_size=8,
    ),
    ROUNDINGS,
)
def test_fiche_variants_equal_scalar_path(rows, rounding):
    d, cost, labour, rate, hourly, horizon, base = (np.array(c) for c in zip(*rows, strict=True))
    hours, fte, per_year = h.fiche_variants(
        d, cost, labour, rate, hourly, rounding=rounding, fte_hours=base, horizon_years=horizon
    )
    for i, row in enumerate(rows):
        r = _compute(
            [{"dwellings": row[0], "cost_per_dwelling_eur": row[1], "labour_share": row[2]}],
            horizon=row[5],
            rounding=rounding,
            insertion_rate=row[3],
            hourly_cost_eur=row[4],
            fte_hours=row[6],
        )
        if rounding == "none":
            assert hours[i] == pytest.approx(r.total_hours, rel=1e-12)
        else:
            assert hours[i] == r.total_hours
        assert fte[i] == pytest.approx(r.total_fte, rel=1e-12)
        assert per_year[i] == pytest.approx(r.fte_per_year, rel=1e-12)
