"""Observed-data files: parsing, one-line errors by line, simulated figures, `run --observed`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import FICHE, ROOT, make_runs

from sim import observed
from sim.cli import main
from sim.errors import ScenarioError
from sim.hours import compute
from sim.scenario import load

HEAD = "from_year,to_year,metric,value,source\n"
ERBM_CSV = ROOT / "scenarios" / "observed" / "erbm-2017-2023.csv"
ERBM = ROOT / "scenarios" / "erbm-actual-2017.toml"


def test_shipped_erbm_file_reads_with_the_public_figures():
    rows = observed.read(ERBM_CSV)
    by = {(r.metric, r.from_year, r.to_year): r.value for r in rows}
    assert by[("hours_realised", 2017, 2023)] == 530_000
    assert by[("dwellings_renovated", 2017, 2022)] == 7_000
    assert all(r.source for r in rows)
    # the ERBM scenario covers those years and builds 7,000 dwellings by the end of 2022
    sc = load(ERBM)
    observed.check_years(rows, list(sc.years), str(ERBM_CSV))
    h = compute(sc)
    assert h.dwellings[: 2022 - 2017 + 1].sum() == 7_000


def test_comments_blank_lines_spaces_and_bom():
    text = "\ufeff# a comment\n" + HEAD + "\n2020,2020,hours_realised,1 000,x\n"
    (row,) = observed.parse(text, "f.csv")
    assert (row.from_year, row.to_year, row.value, row.line) == (2020, 2020, 1000.0, 4)


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ("2020,2020,hours_realized,5,x\n", 2, "did you mean 'hours_realised'"),
        ("2020,2019,hours_realised,5,x\n", 2, "before from_year"),
        ("20x0,2020,hours_realised,5,x\n", 2, "expected a year"),
        ("2020,2020,hours_realised,-5,x\n", 2, ">= 0"),
        ("2020,2020,hours_realised,nan,x\n", 2, "finite"),
        ("2020,2020,hours_realised,lots,x\n", 2, "expected a number"),
        ("2020,2020,hours_realised,5\n", 2, "expected 5 columns"),
        ("2020,2020,hours_realised,5,x\n2020,2022,active_mean,5,x\n", 3, "one row a year"),
    ],
)
def test_bad_rows_name_file_and_line(body, line, words):
    with pytest.raises(ScenarioError) as info:
        observed.parse(HEAD + body, "obs.csv")
    text = str(info.value)
    assert text.startswith(f"obs.csv: line {line}: ") and words in text and "\n" not in text


def test_bad_header_and_empty_file():
    with pytest.raises(ScenarioError, match="line 1: expected the header"):
        observed.parse("year,metric,value\n2020,hours_realised,5\n", "o.csv")
    with pytest.raises(ScenarioError, match="empty"):
        observed.parse("# nothing\n", "o.csv")
    with pytest.raises(ScenarioError, match="no such file"):
        observed.read("/nonexistent/o.csv")


def test_years_outside_the_run_name_the_line():
    rows = observed.parse(HEAD + "2017,2017,exits,3,x\n2010,2017,exits,3,x\n", "o.csv")
    with pytest.raises(ScenarioError, match=r"o.csv: line 3: exits 2010-2017: outside"):
        observed.check_years(rows, list(range(2015, 2020)), "o.csv")


def test_simulated_spans_are_sums_of_years_by_hand():
    runs = make_runs(4)  # synthetic replications, years 2018-2028
    rows = observed.parse(
        HEAD + "2019,2019,hours_realised,1,x\n2018,2020,exits,1,x\n2020,2020,active_mean,1,x\n",
        "o.csv",
    )
    sims = observed.simulated(rows, list(runs.years), runs.yearly)
    h, e, a = runs.yearly["hours_realised"], runs.yearly["exits"], runs.yearly["active_mean"]
    for i in range(4):
        assert sims[i, 0] == h[i, 1]
        assert sims[i, 1] == e[i, 0] + e[i, 1] + e[i, 2]
        assert sims[i, 2] == a[i, 2]
    out = observed.compare(rows, runs)
    assert out[1]["mean"] == pytest.approx(np.mean(e[:, 0] + e[:, 1] + e[:, 2]))
    assert out[1]["relative_gap"] == pytest.approx(out[1]["mean"] / 1.0 - 1.0)


def test_run_observed_overlays_and_compares(tmp_path, capsys):
    obs = tmp_path / "obs.csv"
    obs.write_text(
        HEAD + "2018,2018,hours_realised,20000,report 2018\n2018,2020,exits,150,report\n"
        '2018,2019,dwellings_renovated,600,"works, 2 years"\n',
        encoding="utf-8",
    )
    out = tmp_path / "r"
    sets = ["scenario.horizon_years=3", "works[0].dwellings=900", "flow.referrals.per_year=60"]
    args = ["run", str(FICHE), *[a for s in sets for a in ("--set", s)], "-n", "4", "-j", "1"]
    code = main(
        [
            *args,
            "-q",
            "--no-uncertainty",
            "--bottleneck-replications",
            "0",
            "--observed",
            str(obs),
            "--out",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    rows = summary["observed"]
    assert [r["line"] for r in rows] == [2, 3, 4]
    assert rows[2]["mean"] == 600  # 300 dwellings a year, 2 years: the hours engine, by hand
    assert rows[0]["mean"] == pytest.approx(summary["years"][0]["hours_realised"]["mean"])
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "report 2018" in html and "Observé et simulé" in html
    svg = (out / "figures" / "1-hours.svg").read_text(encoding="utf-8")
    assert "observé" in svg
    # a row outside the simulated years: one line, exit 2, nothing written
    obs.write_text(HEAD + "2030,2030,hours_realised,1,x\n", encoding="utf-8")
    code = main([*args, "-q", "--observed", str(obs), "--out", str(tmp_path / "r2")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "line 2" in err
    assert not (tmp_path / "r2").exists()
