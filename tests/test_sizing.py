"""Capacity sizing: target and resource parsing, the galloping search, the cache, common random
numbers, the answer's minimality on evaluated data, the written figure, and ``clause-sim size``."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import sim.runner
from sim.analysis import sizing as sz
from sim.errors import ClauseSimError, ScenarioError
from sim.runner import run_replications
from sim.scenario import load

SMALL = [
    "scenario.horizon_years=2",
    "works[0].dwellings=2000",
    "flow.referrals.per_year=50",
    "flow.siae.posts.etti=2",
    "flow.siae.fallback_to=[]",
]
"""A small scenario (about 10 ms a replication) in which ETTI posts bind (no fallback)."""


@pytest.fixture(scope="module")
def small():
    return load(None, SMALL)


# --------------------------------------------------------------------------------------------
# Parsing


def test_parse_target_forms():
    assert sz.parse_target("lapsed_share<=0.1") == sz.Target("lapsed_share", "<=", 0.1)
    assert sz.parse_target(" realised_share >= 90% ") == sz.Target("realised_share", ">=", 0.9)
    t = sz.parse_target("positive_exits_rsa>=60")
    assert (t.metric, t.op, t.value) == ("positive_exits_rsa", ">=", 60.0)
    assert list(t.met([59.0, 60.0, np.nan, 61.0])) == [False, True, False, True]
    assert list(sz.Target("x", "<=", 1.0).met([0.5, 1.5])) == [True, False]


@pytest.mark.parametrize(
    "text, part",
    [
        ("lapse_share<=0.1", "did you mean 'lapsed_share'"),
        ("lapsed_share<0.1", "use >= or <="),
        ("lapsed_share<=ten", "cannot read value"),
        ("lapsed_share", "expected KEY>=VALUE"),
        ("lapsed_share<=inf", "finite"),
    ],
)
def test_parse_target_errors(text, part):
    with pytest.raises(ScenarioError) as e:
        sz.parse_target(text)
    assert part in str(e.value)
    assert str(e.value).startswith("--target: ")
    assert "\n" not in str(e.value)


def test_parse_resource():
    f = sz.parse_resource("facilitators")
    assert (f.key, f.step, f.integer, f.unit) == ("flow.facilitators.fte", 0.5, False, "FTE")
    e = sz.parse_resource("siae.etti")
    assert (e.key, e.step, e.integer) == ("flow.siae.posts.etti", 1.0, True)
    r = sz.parse_resource("referrals")
    assert r.key == "flow.referrals.per_year"
    assert f.override(3.5) == "flow.facilitators.fte=3.5"
    assert f.override(3.0) == "flow.facilitators.fte=3.0"
    assert e.override(25.0) == "flow.siae.posts.etti=25"
    with pytest.raises(ScenarioError, match="did you mean 'facilitators'"):
        sz.parse_resource("facilitator_fte")
    with pytest.raises(ScenarioError, match="unknown resource"):
        sz.parse_resource("siae.xyz")


def test_resource_current_level():
    sc = load()
    assert sz.parse_resource("facilitators").current(sc) == 3.0
    assert sz.parse_resource("siae.etti").current(sc) == 20
    assert sz.parse_resource("referrals").current(sc) == 250


# --------------------------------------------------------------------------------------------
# The search, on a predicate


@pytest.mark.parametrize("top", [0, 1, 2, 7, 40, 100])
def test_search_finds_the_smallest_level_in_few_calls(top):
    budget = 2 * math.ceil(math.log2(top + 1)) + 3
    for threshold in range(top + 2):  # top + 1: never holds
        for start in {0, top // 3, top, top + 5}:
            calls: list[int] = []

            def holds(k: int, t: int = threshold, log: list[int] = calls) -> bool:
                log.append(k)
                return k >= t

            got = sz.search(holds, start, top)
            assert got == (threshold if threshold <= top else None)
            assert len(calls) == len(set(calls)), "a level was evaluated twice"
            assert len(calls) <= budget
            assert all(0 <= k <= top for k in calls)


def test_size_with_a_synthetic_curve_caches_levels():
    calls: list[float] = []

    def evaluate(level: float) -> np.ndarray:
        calls.append(level)
        return 0.2 - 0.02 * level + np.linspace(-0.01, 0.01, 20)  # lapsed share, 20 reps

    sc = load()
    r = sz.size(sc, "facilitators", "lapsed_share<=0.1", confidence=0.9, evaluate=evaluate)
    # the 18th of 20 values is 0.2 - 0.02 L + 0.0079: <= 0.1 from L = 5.395, so 5.5 on the grid
    assert r.answer == 5.5
    assert r.status == "found"
    assert len(calls) == len(set(calls)) == len(r.levels)
    assert sorted(calls) == [lv.level for lv in r.levels]
    assert r.order == calls
    assert r.monotone
    assert r.level(5.5).holds and not r.level(5.0).holds
    assert r.max_level == 12.0  # default: max(4 x 3 FTE, 20 steps of 0.5)


def test_size_reports_when_even_the_max_level_fails():
    r = sz.size(
        load(),
        "siae.etti",
        "lapsed_share<=0.01",
        max_level=30,
        evaluate=lambda level: np.full(10, 0.05),
    )
    assert r.answer is None and r.status == "not_reached"
    assert r.level(30.0) is not None and not r.level(30.0).holds
    assert "No answer" in sz.sizing_text(r, "en")
    assert "Pas de réponse" in sz.sizing_text(r, "fr")
    assert r.to_dict()["answer"] is None


def test_size_answer_at_the_minimum():
    r = sz.size(load(), "referrals", "lapsed_share<=0.5", evaluate=lambda level: np.zeros(5))
    assert r.answer == 0.0
    assert "lowest level" in sz.sizing_text(r, "en")


def test_non_monotone_curve_is_flagged():
    def evaluate(level: float) -> np.ndarray:
        # share meeting the target: 0.5 at 20, 0.25 at 21, 1 from 22 on (falls from 20 to 21)
        k = {20.0: 2, 21.0: 1}.get(level, 4 if level > 21 else 0)
        return np.array([1.0] * k + [0.0] * (4 - k))

    r = sz.size(load(), "siae.etti", "hours_realised>=1", confidence=0.75, evaluate=evaluate)
    assert r.answer == 22.0
    assert r.level(20.0).share_met == 0.5 and r.level(21.0).share_met == 0.25
    assert not r.monotone
    assert "not monotone" in sz.sizing_text(r, "en")
    ok = sz.size(load(), "siae.etti", "hours_realised>=1", evaluate=lambda lv: np.ones(3))
    assert ok.monotone


@pytest.mark.parametrize(
    "kwargs, part",
    [
        ({"confidence": 0.0}, "--confidence"),
        ({"confidence": 1.5}, "--confidence"),
        ({"replications": 0}, "--replications"),
        ({"step": 0.5, "resource": "siae.etti"}, "whole numbers"),
        ({"step": -1.0}, "--step"),
        ({"max_level": 1.0, "min_level": 2.0}, "--max-level"),
    ],
)
def test_size_argument_errors(kwargs, part):
    resource = kwargs.pop("resource", "facilitators")
    with pytest.raises(ClauseSimError, match=part):
        sz.size(load(), resource, "lapsed_share<=0.1", evaluate=lambda level: np.zeros(3), **kwargs)


# --------------------------------------------------------------------------------------------
# With the model


def test_size_etti_posts_on_the_model(small, monkeypatch):
    calls = {"n": 0}
    real = sim.runner.simulate

    def counting(*args, **kwargs):
        calls["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(sim.runner, "simulate", counting)
    reps = 8
    r = sz.size(
        small, "siae.etti", "lapsed_share<=0.08", confidence=0.75, replications=reps, seed=5, jobs=1
    )
    assert r.status == "found"
    # the cache: every level simulated exactly once, nothing rerun
    assert calls["n"] == len(r.levels) * reps
    assert len({lv.level for lv in r.levels}) == len(r.levels)
    # the answer meets the target on its evaluated data, one step below does not
    got = r.level(r.answer)
    below = r.level(r.answer - 1)
    assert got is not None and below is not None
    assert np.mean(got.values <= 0.08) >= 0.75
    assert np.mean(below.values <= 0.08) < 0.75
    assert r.answer > 2  # 2 posts (the scenario's level) are not enough
    # common random numbers: the same replications rerun give the same values
    monkeypatch.setattr(sim.runner, "simulate", real)
    again = run_replications(
        small.with_overrides([f"flow.siae.posts.etti={int(r.answer)}"]), 5, range(reps)
    )
    assert np.array_equal(np.array([x.totals["lapsed_share"] for x in again]), got.values)


def test_size_jobs_do_not_change_the_answer(small):
    a = sz.size(small, "siae.etti", "lapsed_share<=0.08", replications=6, seed=3, jobs=1)
    b = sz.size(small, "siae.etti", "lapsed_share<=0.08", replications=6, seed=3, jobs=2)
    assert a.answer == b.answer
    assert [lv.values.tolist() for lv in a.levels] == [lv.values.tolist() for lv in b.levels]


def test_write_sizing(small, tmp_path):
    r = sz.size(small, "siae.etti", "lapsed_share<=0.08", replications=4, seed=3)
    files = sz.write_sizing(tmp_path / "out", r, "en")
    names = sorted(p.name for p in files)
    assert names == ["results.xlsx", "sizing.csv", "sizing.json", "sizing.png", "sizing.svg"]
    import openpyxl

    ws = openpyxl.load_workbook(tmp_path / "out" / "results.xlsx").active
    assert [c.value for c in ws["A"][1:]] == [lv.level for lv in r.levels]
    assert all(isinstance(c.value, int | float) for c in ws["B"][1:])
    data = json.loads((tmp_path / "out" / "sizing.json").read_text())
    assert data["answer"] == r.answer and data["resource"] == "siae.etti"
    assert len(data["levels"]) == len(r.levels)
    from matplotlib.image import imread

    from sim.presentation.plots import PNG_SIZE

    img = imread(tmp_path / "out" / "sizing.png")
    assert (img.shape[1], img.shape[0]) == PNG_SIZE
    csv_lines = (tmp_path / "out" / "sizing.csv").read_text().splitlines()
    assert len(csv_lines) == 1 + len(r.levels)
    text = sz.sizing_text(r, "fr")
    assert "Réponse" in text and "postes" in text


def test_sizing_figure_has_labels(small):
    r = sz.size(small, "siae.etti", "lapsed_share<=0.08", replications=4, seed=3)
    fig = sz.sizing_figure(r, "en")
    ax = fig.axes[0]
    assert "posts" in ax.get_xlabel()
    assert "%" in ax.get_ylabel()
    texts = [t.get_text() for t in fig.texts]
    assert any("seed 3" in t for t in texts)


# --------------------------------------------------------------------------------------------
# Command line


def test_cli_size(tmp_path, capsys):
    from sim.cli import main

    code = main(
        [
            "size",
            "--set",
            SMALL[0],
            "--set",
            SMALL[1],
            "--set",
            SMALL[2],
            "--set",
            SMALL[3],
            "--resource",
            "siae.etti",
            "--target",
            "lapsed_share<=0.08",
            "--confidence",
            "0.75",
            "--replications",
            "4",
            "--jobs",
            "1",
            "--out",
            str(tmp_path / "o"),
            "--lang",
            "en",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Answer:" in out and "posts" in out
    assert (tmp_path / "o" / "sizing.png").is_file()


def test_cli_size_not_reached_and_json(capsys):
    from sim.cli import main

    code = main(
        [
            "size",
            "--set",
            SMALL[0],
            "--set",
            SMALL[1],
            "--resource",
            "siae.etti",
            "--target",
            "lapsed_share<=0.0001",
            "--replications",
            "2",
            "--jobs",
            "1",
            "--max-level",
            "3",
            "--json",
        ]
    )
    assert code == 1
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "not_reached"


def test_cli_size_unknown_target_is_one_line(capsys):
    from sim.cli import main

    code = main(["size", "--resource", "facilitators", "--target", "lapse_share<=0.1"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "did you mean 'lapsed_share'" in err
