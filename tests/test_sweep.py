"""Sweeps: the sweep file and its errors, designs, identical tables whatever the workers and
batches, points.csv written point by point, resume after a kill, lost local workers, sensitivity,
figures and ``clause-sim sweep``."""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

import numpy as np
import pytest

import sim.analysis.sweep as sw
from sim.errors import ScenarioError

SMALL = ["scenario.horizon_years=2", "works[0].dwellings=2000", "flow.referrals.per_year=50"]

GRID = """
[sweep]
name = "small grid"
set = {set}
design = "grid"
replications = 6
seed = 7
batch = {batch}
outputs = ["hours_realised", "lapsed_share", "positive_exits"]
[sweep.parameters]
"flow.facilitators.fte" = [0.5, 2.0]
"flow.siae.posts.etti" = {{ low = 1, high = 5, step = 2 }}
"""


def write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def grid(tmp_path: Path, batch: int = 6, name: str = "s.toml") -> Path:
    return write(tmp_path, GRID.format(set=json.dumps(SMALL), batch=batch), name)


# --------------------------------------------------------------------------------------------
# The sweep file


def test_load_grid_and_plan(tmp_path):
    s = sw.load_sweep(grid(tmp_path))
    assert s.design == "grid" and s.replications == 6 and s.seed == 7
    assert s.keys == ("flow.facilitators.fte", "flow.siae.posts.etti")
    assert s.parameters[1].values == (1, 3, 5)
    p = sw.plan(s)
    assert len(p.points) == 6
    assert [pt.values for pt in p.points][:3] == [(0.5, 1), (0.5, 3), (0.5, 5)]
    assert p.points[4].overrides == ("flow.facilitators.fte=2.0", "flow.siae.posts.etti=3")
    assert p.points[4].scenario.flow.siae_posts["etti"] == 3
    assert p.points[4].scenario.horizon_years == 2  # the sweep's set applies to the base
    assert p.header[:3] == ["point", "flow.facilitators.fte", "flow.siae.posts.etti"]
    assert p.header[3:6] == [
        "hours_realised_mean",
        "hours_realised_ci_low",
        "hours_realised_ci_high",
    ]
    assert p.fingerprint == sw.plan(s).fingerprint


def test_defaults_and_shipped_scenario(tmp_path):
    p = write(tmp_path, '[sweep]\n[sweep.parameters]\n"flow.facilitators.fte" = [2.5]\n')
    s = sw.load_sweep(p)
    assert s.scenario_file is None and s.design == "grid" and s.replications == 20
    assert s.outputs == sw.DEFAULT_OUTPUTS and s.batch == 10 and s.name == "s"
    assert sw.plan(s).base.name.startswith("ERBM")


def test_float_range_has_clean_values(tmp_path):
    p = write(
        tmp_path,
        "[sweep]\n[sweep.parameters]\n"
        '"clause.insertion_rate" = { low = 0.05, high = 0.1, step = 0.01 }\n',
    )
    assert sw.load_sweep(p).parameters[0].values == (0.05, 0.06, 0.07, 0.08, 0.09, 0.1)


def test_scenario_is_relative_to_the_sweep_file(tmp_path, fiche_text):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "base.toml").write_text(
        fiche_text.replace("per_year = 250", "per_year = 123")
    )
    p = write(
        tmp_path / "sub",
        '[sweep]\nscenario = "base.toml"\n[sweep.parameters]\n"flow.facilitators.fte" = [2.5]\n',
    )
    assert sw.plan(p).base.flow.referrals_per_year[0] == 123


@pytest.mark.parametrize(
    "body, key, part",
    [
        ('[sweep]\ndesing = "grid"\n', "sweep.desing", "did you mean 'design'"),
        (
            '[sweep]\ndesign = "lattice"\n[sweep.parameters]\n"flow.facilitators.fte" = [1]\n',
            "sweep.design",
            "unknown design",
        ),
        ("[sweep]\n", "sweep.parameters", "missing"),
        (
            '[sweep]\noutputs = ["hours_realized"]\n'
            '[sweep.parameters]\n"flow.facilitators.fte" = [1]\n',
            "sweep.outputs",
            "did you mean 'hours_realised'",
        ),
        (
            '[sweep]\n[sweep.parameters]\n"flow.facilitators.fte" = { dist = "uniform", low = 1, '
            "high = 2 }\n",
            'sweep.parameters."flow.facilitators.fte"',
            "needs design lhs",
        ),
        (
            '[sweep]\ndesign = "lhs"\n'
            '[sweep.parameters]\n"flow.facilitators.fte" = { dist = "normal",'
            " low = 1, high = 2 }\n",
            'sweep.parameters."flow.facilitators.fte".dist',
            "unknown distribution",
        ),
        (
            '[sweep]\n[sweep.parameters]\n"flow.facilitators.fte" = { low = 1, high = 2 }\n',
            'sweep.parameters."flow.facilitators.fte"',
            "missing step",
        ),
        (
            "[sweep]\n"
            '[sweep.parameters]\n"flow.facilitators.fte" = { low = 2, high = 1, step = 1 }\n',
            'sweep.parameters."flow.facilitators.fte"',
            "low <= high",
        ),
        (
            '[sweep]\n[sweep.parameters]\n"flow.facilitators.fte" = []\n',
            'sweep.parameters."flow.facilitators.fte"',
            "empty",
        ),
        (
            '[sweep]\n[sweep.parameters]\n"flow.facilitator.fte" = [1, 2]\n',
            'sweep.parameters."flow.facilitator.fte"',
            "did you mean 'facilitators'",
        ),
        (
            '[sweep]\ndesign = "lhs"\n'
            '[sweep.parameters]\n"flow.siae.posts.etti" = { dist = "uniform",'
            " low = 10, high = 40 }\n",
            'sweep.parameters."flow.siae.posts.etti"',
            "integer = true",
        ),
        (
            '[sweep]\nreplications = 0\n[sweep.parameters]\n"flow.facilitators.fte" = [1]\n',
            "sweep.replications",
            "at least 1",
        ),
        (
            '[sweep]\nset = ["flow.nope=1"]\n[sweep.parameters]\n"flow.facilitators.fte" = [1]\n',
            "sweep.set",
            "no such key",
        ),
        (
            '[sweep]\n[sweep.parameters]\n"flow.facilitators.fte" = [-1.0]\n',
            'sweep.parameters."flow.facilitators.fte"',
            "point 0",
        ),
        ("[swep]\n", "swep", "did you mean 'sweep'"),
    ],
)
def test_sweep_file_errors_are_one_line(tmp_path, body, key, part):
    p = write(tmp_path, body)
    with pytest.raises(ScenarioError) as e:
        sw.plan(p)
    msg = str(e.value)
    assert msg.startswith(f"{p}: {key}"), msg
    assert part in msg
    assert "\n" not in msg


def test_sobol_needs_salib_and_a_power_of_two(tmp_path, monkeypatch):
    body = (
        '[sweep]\ndesign = "sobol"\nsamples = {n}\n[sweep.parameters]\n'
        '"flow.facilitators.fte" = {{ dist = "uniform", low = 1, high = 3 }}\n'
    )
    monkeypatch.setitem(sys.modules, "SALib", None)  # import SALib -> ImportError
    with pytest.raises(ScenarioError, match=r"pip install 'clause-sim\[sensitivity\]'"):
        sw.load_sweep(write(tmp_path, body.format(n=16)))
    with pytest.raises(ScenarioError, match="power of 2"):
        sw.load_sweep(write(tmp_path, body.format(n=12)))


def test_lhs_is_deterministic_and_stratified(tmp_path):
    p = write(
        tmp_path,
        '[sweep]\ndesign = "lhs"\nsamples = 10\nseed = 3\n[sweep.parameters]\n'
        '"clause.insertion_rate" = { dist = "uniform", low = 0.05, high = 0.1 }\n'
        '"flow.siae.posts.etti" = { dist = "triangular", low = 10, mode = 20, '
        "high = 40, integer = true }\n"
        '"flow.operations.start" = ["spread", "random"]\n',
    )
    s = sw.load_sweep(p)
    a, ua = sw.design_points(s)
    b, ub = sw.design_points(s)
    assert a == b and np.array_equal(ua, ub)
    assert ua is not None and ua.shape == (10, 3)
    for j in range(3):  # one point in each tenth of every axis
        assert sorted((ua[:, j] * 10).astype(int).tolist()) == list(range(10))
    rates = [v[0] for v in a]
    assert all(0.05 <= r <= 0.1 for r in rates)
    posts = [v[1] for v in a]
    assert all(isinstance(x, int) and 10 <= x <= 40 for x in posts)
    assert {v[2] for v in a} == {"spread", "random"}
    other = write(tmp_path, p.read_text().replace("seed = 3", "seed = 4"), "o.toml")
    assert sw.design_points(sw.load_sweep(other))[0] != a
    plan = sw.plan(s)
    assert plan.points[0].scenario.flow.operations.start == a[0][2]


def test_triangular_inverse():
    prm = sw.Parameter("k", dist="triangular", params={"low": 0.0, "mode": 1.0, "high": 4.0})
    u = np.linspace(0, 1, 100001)
    x = np.array(prm.from_unit(u))
    assert x[0] == 0.0 and x[-1] == 4.0
    assert math.isclose(x.mean(), 5.0 / 3.0, rel_tol=1e-3)
    assert math.isclose(np.interp(0.25, u, x), 1.0, rel_tol=1e-6)  # F(mode) = 1/4


# --------------------------------------------------------------------------------------------
# Running


def table(folder: Path) -> str:
    return (folder / "table.csv").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The small grid run in this process (jobs=1, one batch a point)."""
    d = tmp_path_factory.mktemp("ref")
    s = grid(d)
    res = sw.run_sweep(s, d / "out", jobs=1, figures=False)
    return res, table(d / "out")


def test_reference_table(reference):
    res, text = reference
    rows = [line.split(",") for line in text.splitlines()]
    assert rows[0] == res.plan.header
    assert [int(r[0]) for r in rows[1:]] == list(range(6))
    assert res.ran == 6 and res.resumed == 0 and res.replications_run == 36
    means = sw.means_from_rows(res.plan, {int(r[0]): r for r in rows[1:]})
    # more ETTI posts: more hours realised (fte fixed)
    assert means[0, 0] < means[1, 0] < means[2, 0]
    # mean and interval columns are consistent
    for r in rows[1:]:
        m, lo, hi = (float(x) for x in r[3:6])
        assert lo <= m <= hi


def test_same_table_for_any_workers_and_batches(tmp_path, reference):
    _, ref = reference
    a = sw.run_sweep(grid(tmp_path, batch=2, name="a.toml"), tmp_path / "a", jobs=2, figures=False)
    assert table(tmp_path / "a") == ref
    assert a.executor.startswith("local pool of 2")
    sw.run_sweep(grid(tmp_path, batch=1, name="b.toml"), tmp_path / "b", jobs=1, figures=False)
    assert table(tmp_path / "b") == ref


def test_points_are_appended_point_by_point(tmp_path, monkeypatch, reference):
    _, ref = reference
    s = grid(tmp_path, batch=2)
    seen: list[int] = []
    real = sw.point_batch
    out = tmp_path / "o"

    def spy(*args):
        path = out / "points.csv"
        seen.append(path.read_text().count("\n") - 1 if path.exists() else -1)
        return real(*args)

    monkeypatch.setattr(sw, "point_batch", spy)
    sw.run_sweep(s, out, jobs=1, figures=False)
    # 3 batches a point: rows appear as points finish, not at the end
    assert seen == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5]
    assert table(out) == ref


def test_resume_after_a_kill_gives_the_same_table(tmp_path, monkeypatch, reference):
    _, ref = reference
    s = grid(tmp_path, batch=3)
    out = tmp_path / "o"
    real = sw.point_batch
    calls = {"n": 0}

    def dying(*args):
        calls["n"] += 1
        if calls["n"] == 6:  # in the middle of point 2
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(sw, "point_batch", dying)
    with pytest.raises(KeyboardInterrupt):
        sw.run_sweep(s, out, jobs=1, figures=False)
    lines = (out / "points.csv").read_text().splitlines()
    assert len(lines) == 1 + 2  # header and points 0, 1: nothing half-written
    assert not (out / "table.csv").exists()
    # a kill during a write leaves a partial last line: resume drops it
    with open(out / "points.csv", "a") as f:
        f.write("2,0.5,5,1234.5,")
    with pytest.raises(sw.SweepError, match="not empty"):
        sw.run_sweep(s, out, jobs=1, figures=False)
    monkeypatch.setattr(sw, "point_batch", real)
    calls["n"] = 0
    res = sw.run_sweep(s, out, jobs=1, resume=True, figures=False)
    assert (res.resumed, res.ran) == (2, 4)
    assert table(out) == ref
    # resuming a finished sweep runs nothing and rewrites the same table
    again = sw.run_sweep(s, out, jobs=2, resume=True, figures=False)
    assert (again.resumed, again.ran) == (6, 0)
    assert table(out) == ref


def test_resume_refuses_another_sweep(tmp_path, reference):
    res, _ = reference
    out = res.folder
    other = write(
        tmp_path, GRID.format(set=json.dumps(SMALL), batch=6).replace("seed = 7", "seed = 8")
    )
    with pytest.raises(sw.SweepError, match="holds another sweep"):
        sw.run_sweep(other, out, jobs=1, resume=True, figures=False)
    # batch size is not part of the sweep's identity
    same = grid(tmp_path, batch=2, name="same.toml")
    assert sw.run_sweep(same, out, jobs=1, resume=True, figures=False).ran == 0


def test_force_only_replaces_a_sweep_folder(tmp_path):
    s = grid(tmp_path)
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("keep me")
    with pytest.raises(sw.SweepError, match="not a clause-sim results folder"):
        sw.run_sweep(s, stranger, jobs=1, force=True, figures=False)
    with pytest.raises(sw.SweepError, match="cannot resume"):
        sw.run_sweep(s, stranger, jobs=1, resume=True, figures=False)
    assert (stranger / "notes.txt").read_text() == "keep me"
    out = tmp_path / "o"
    sw.run_sweep(s, out, jobs=1, figures=False)
    (out / "points.csv").write_text("garbage\n")
    res = sw.run_sweep(s, out, jobs=1, force=True, figures=False)
    assert res.ran == 6


_REAL_BATCH = sw.point_batch


def _die_once(scenario, seed, indices, outputs):
    """A work unit whose first call kills its worker process (a lost worker)."""
    marker = Path(os.environ["CLAUSE_SIM_TEST_MARKER"])
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL)
    except FileExistsError:
        return _REAL_BATCH(scenario, seed, indices, outputs)
    os.close(fd)
    os._exit(1)


def test_lost_local_worker_is_replaced(tmp_path, monkeypatch, reference):
    _, ref = reference
    monkeypatch.setenv("CLAUSE_SIM_TEST_MARKER", str(tmp_path / "died"))
    monkeypatch.setattr(sw, "point_batch", _die_once)
    res = sw.run_sweep(grid(tmp_path, batch=3), tmp_path / "o", jobs=2, figures=False)
    assert (tmp_path / "died").exists()
    assert res.retries >= 1
    assert table(tmp_path / "o") == ref


# --------------------------------------------------------------------------------------------
# Sensitivity and figures


def test_grid_sensitivity(reference):
    res, _ = reference
    rows = {(r["output"], r["parameter"], r["method"]): r for r in res.sensitivity}
    etti = rows[("hours_realised", "flow.siae.posts.etti", "spearman")]
    assert etti["value"] > 0.5 and etti["ci_low"] <= etti["value"] <= etti["ci_high"]
    lapsed = rows[("lapsed_share", "flow.siae.posts.etti", "spearman")]
    assert lapsed["value"] < -0.5
    assert ("hours_realised", "flow.siae.posts.etti", "src") in rows
    data = json.loads((res.folder / "sensitivity.json").read_text())
    assert len(data["indices"]) == len(res.sensitivity) == 3 * 2 * 2


def test_sensitivity_of_a_constant_parameter_is_nan(tmp_path):
    p = write(
        tmp_path,
        "[sweep]\nreplications = 1\n[sweep.parameters]\n"
        '"flow.facilitators.fte" = [2.5]\n"flow.siae.posts.etti" = [10, 20, 30]\n',
    )
    plan = sw.plan(p)
    means = np.array([[1.0, 0.1, 5.0], [2.0, 0.05, 6.0], [3.0, 0.02, 7.0]])
    rows = sw.sensitivity(plan, means)
    fte = [r for r in rows if r["parameter"] == "flow.facilitators.fte"]
    assert all(math.isnan(r["value"]) for r in fte)
    etti = [
        r for r in rows if r["parameter"] == "flow.siae.posts.etti" and r["method"] == "spearman"
    ]
    assert [r["value"] for r in etti] == [1.0, -1.0, 1.0]


def test_figures_and_text(tmp_path):
    s = write(
        tmp_path,
        GRID.format(set=json.dumps(SMALL), batch=6)
        .replace('"hours_realised", "lapsed_share", "positive_exits"', '"lapsed_share"')
        .replace("replications = 6", "replications = 2"),
    )
    res = sw.run_sweep(s, tmp_path / "o", jobs=1, lang="en")
    figs = sorted(p.name for p in (tmp_path / "o" / "figures").iterdir())
    assert figs == [
        "scatter_lapsed_share.png",
        "scatter_lapsed_share.svg",
        "sensitivity_lapsed_share.png",
        "sensitivity_lapsed_share.svg",
    ]
    from matplotlib.image import imread

    from sim.presentation.plots import PNG_SIZE

    img = imread(tmp_path / "o" / "figures" / "sensitivity_lapsed_share.png")
    assert (img.shape[1], img.shape[0]) == PNG_SIZE
    text = sw.sweep_text(res, "en")
    assert (
        "6 points x 2 replications" in text
        and "Share of offered hours lapsed: SIAE posts: ETTI" in text
    )
    fr = sw.sweep_text(res, "fr")
    assert "Balayage" in fr


SALIB_BODY = """
[sweep]
set = {set}
design = "{design}"
replications = 2
seed = 5
samples = 4
outputs = ["hours_realised"]
[sweep.parameters]
"flow.siae.posts.etti" = {{ dist = "uniform", low = 1, high = 8, integer = true }}
"flow.facilitators.fte" = {{ dist = "uniform", low = 0.5, high = 3 }}
"""


@pytest.mark.parametrize(
    "design, n_points, indices",
    [
        ("sobol", 4 * (2 + 2), {"S1", "ST"}),
        ("morris", 4 * (2 + 1), {"mu_star", "sigma"}),
    ],
)
def test_salib_designs(tmp_path, design, n_points, indices):
    pytest.importorskip("SALib", reason="SALib is an optional extra (clause-sim[sensitivity])")
    s = write(tmp_path, SALIB_BODY.format(set=json.dumps(SMALL), design=design))
    res = sw.run_sweep(s, tmp_path / "o", jobs=2, figures=False)
    assert res.points == n_points
    rows = [r for r in res.sensitivity if r["method"] == design]
    assert {r["index"] for r in rows} == indices
    main = "ST" if design == "sobol" else "mu_star"
    etti = next(r for r in rows if r["index"] == main and r["parameter"] == "flow.siae.posts.etti")
    assert etti["value"] > 0 and math.isfinite(etti["ci_low"])
    again = sw.run_sweep(s, tmp_path / "o2", jobs=1, figures=False)
    assert table(tmp_path / "o") == table(tmp_path / "o2")
    assert [r["value"] for r in again.sensitivity] == [r["value"] for r in res.sensitivity]


# --------------------------------------------------------------------------------------------
# Command line


def test_cli_sweep(tmp_path, capsys, reference):
    from sim.cli import main

    _, ref = reference
    s = grid(tmp_path)
    out = tmp_path / "o"
    assert (
        main(["sweep", str(s), "--out", str(out), "--jobs", "2", "--lang", "en", "--no-figures"])
        == 0
    )
    printed = capsys.readouterr().out
    assert "6 points x 6 replications" in printed
    assert table(out) == ref
    assert main(["sweep", str(s), "--out", str(out), "--jobs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--resume" in err
    assert main(["sweep", str(s), "--out", str(out), "--resume", "--no-figures"]) == 0


def test_cli_sweep_bad_file_is_one_line(tmp_path, capsys):
    from sim.cli import main

    s = write(tmp_path, '[sweep]\ndesign = "grd"\n')
    assert main(["sweep", str(s), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "did you mean 'grid'" in err


def test_example_sweep_file_is_valid():
    from conftest import SCENARIOS

    p = sw.plan(SCENARIOS / "sweeps" / "fiche-sensitivity.toml")
    assert len(p.points) == p.sweep.samples
    assert p.sweep.design == "lhs"


def test_excel_fr_dialect_for_every_csv_and_resume(tmp_path, reference):
    from sim.cli import main

    _, ref = reference
    s = grid(tmp_path, batch=3)
    out = tmp_path / "fr"
    assert (
        main(
            [
                "sweep",
                str(s),
                "--out",
                str(out),
                "-j",
                "1",
                "--no-figures",
                "-q",
                "--csv-dialect",
                "excel-fr",
            ]
        )
        == 0
    )
    for name in ("points.csv", "table.csv", "sensitivity.csv"):
        raw = (out / name).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), name  # UTF-8 with BOM, for French Excel
        head = raw[3:].decode("utf-8").splitlines()[0]
        assert ";" in head and "," not in head, name
    table_fr = (out / "table.csv").read_text(encoding="utf-8-sig").splitlines()
    ref_rows = [line.split(",") for line in ref.splitlines()]
    assert table_fr[0].split(";")[:4] == [
        "point",
        "flow.facilitators.fte",
        "flow.siae.posts.etti",
        "Heures réalisées – moyenne",
    ]
    # the same figures as the machine dialect's, every digit, with a decimal comma
    fr_rows = [line.split(";") for line in table_fr[1:]]
    assert fr_rows == [[c.replace(".", ",") for c in r] for r in ref_rows[1:]]
    assert "0,5" in fr_rows[0] and any("," in c for c in fr_rows[0][3:])
    # resume a killed French sweep: the rows it kept are read back, the table is the same
    lines = (out / "points.csv").read_text(encoding="utf-8-sig").splitlines()
    (out / "points.csv").write_text("\ufeff" + "\n".join(lines[:3]) + "\n", encoding="utf-8")
    again = sw.run_sweep(s, out, jobs=1, resume=True, figures=False, csv_dialect="excel-fr")
    assert (again.resumed, again.ran) == (2, 4)
    assert (out / "table.csv").read_text(encoding="utf-8-sig").splitlines() == table_fr
    assert sw.read_table(out / "table.csv")[1:] == ref_rows[1:]
    # resuming in the other dialect is refused in one line, the folder untouched
    before = (out / "points.csv").read_bytes()
    with pytest.raises(sw.SweepError, match="excel-fr CSV dialect; resume with --csv-dialect"):
        sw.run_sweep(s, out, jobs=1, resume=True, figures=False)
    assert (out / "points.csv").read_bytes() == before
