"""sim.cli: ``python -m sim hours`` end to end, through a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib

import pytest
from conftest import ROOT

NNBSP = "\u202f"  # narrow no-break space, the thousands separator


def run(*args: str, cwd=ROOT, env=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sim", "hours", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


def run_json(*args: str) -> dict:
    out = run("--json", *args)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def n(x: int) -> str:
    """1311000 -> '1 311 000' with the narrow no-break space."""
    return f"{x:,}".replace(",", NNBSP)


def modified(tmp_path, text: str, old: str, new: str, name: str = "scenario.toml"):
    """Write ``text`` with its first ``old`` replaced by ``new``; return the path."""
    assert old in text, old
    p = tmp_path / name
    p.write_text(text.replace(old, new, 1), encoding="utf-8")
    return p


def assert_one_line_error(out: subprocess.CompletedProcess[str], *names: str) -> str:
    """Exit code 2, one ``clause-sim: error:`` line on stderr naming each of ``names``."""
    assert out.returncode == 2, (out.returncode, out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    assert out.stdout == ""
    lines = out.stderr.splitlines()
    assert len(lines) == 1, out.stderr
    assert out.stderr.endswith("\n")
    (line,) = lines
    assert line.startswith("clause-sim: error: ")
    for name in names:
        assert name in line, (name, line)
    return line


# --------------------------------------------------------------------------------------------
# Output


def test_text_table_of_the_fiche():
    out = run()
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    lines = out.stdout.splitlines()
    assert lines[0].startswith("Scénario lu :") and lines[0].endswith("erbm-fiche-2023.toml")
    lines = lines[1:]
    assert lines[0] == "ERBM, fiche action 1 (2023): 23 000 logements à 80 000 EUR HT"
    assert lines[2].split()[0] == "Année"
    rows = [ln.split("  ") for ln in lines if ln[:4].isdigit()]
    rows = [[c.strip() for c in r if c.strip()] for r in rows]
    assert [r[0] for r in rows] == [str(y) for y in range(2018, 2028)]
    for r in rows:
        assert r[1:] == [n(2300), n(184_000_000), n(131_100), "72,0"]
    (total,) = [ln for ln in lines if ln.startswith("Total")]
    assert total.split("  ")[0] == "Total"
    assert [c.strip() for c in total.split("  ") if c.strip()][1:] == [
        n(23_000),
        n(1_840_000_000),
        n(1_311_000),
        "720,3",
    ]
    assert (
        f"{n(1_311_000)} heures d'insertion, soit 720 ETP (base ETP à {n(1820)} h), "
        f"sur 10 ans : 72 ETP/an (72,0)."
    ) in out.stdout
    assert "Par ligne" not in out.stdout  # one works line only


def test_text_lists_works_lines_when_several(tmp_path, fiche_text):
    p = tmp_path / "two.toml"
    p.write_text(
        fiche_text + '\n[[works]]\nname = "Voirie"\namount_eur = 2800000\nlabour_share = 0.5\n',
        encoding="utf-8",
    )
    out = run(str(p))
    assert out.returncode == 0, out.stderr
    # 2.8 M x 0.5 x 0.05 / 28 = 2,500 h on top of 1,311,000
    assert "Par ligne de travaux :" in out.stdout
    assert f"  Voirie: {n(2_500)} h" in out.stdout
    assert f"  Réhabilitation des logements miniers: {n(1_311_000)} h" in out.stdout
    assert f"{n(1_313_500)} heures d'insertion" in out.stdout


def test_json_of_the_fiche():
    d = run_json()
    assert d["scenario"] == "ERBM, fiche action 1 (2023): 23 000 logements à 80 000 EUR HT"
    assert d["total_amount_eur"] == 1_840_000_000
    assert d["total_hours"] == 1_311_000
    assert d["fte_hours"] == 1820
    assert d["fte"] == pytest.approx(1_311_000 / 1820)
    assert round(d["fte"]) == 720
    assert d["fte_per_year"] == pytest.approx(72.03, abs=0.005)
    assert [y["year"] for y in d["years"]] == list(range(2018, 2028))
    for y in d["years"]:
        assert set(y) == {"year", "dwellings", "amount_eur", "hours", "fte"}
        assert (y["dwellings"], y["amount_eur"], y["hours"]) == (2300, 184_000_000, 131_100)
        assert y["fte"] == pytest.approx(131_100 / 1820)
    (line,) = d["lines"]
    assert line["name"] == "Réhabilitation des logements miniers"
    assert line["hours_per_dwelling"] == 57
    assert line["total_hours"] == 1_311_000
    assert len(line["years"]) == 10


def test_set_insertion_rate():
    # 80,000 x 0.40 x 0.07 / 28 = 80 h a dwelling (exactly) -> 23,000 x 80 = 1,840,000 h
    d = run_json("--set", "clause.insertion_rate=0.07")
    assert d["lines"][0]["hours_per_dwelling"] == 80
    assert d["total_hours"] == 1_840_000
    assert d["fte"] == pytest.approx(1_840_000 / 1820)  # 1,010.99
    assert [y["hours"] for y in d["years"]] == [184_000] * 10


def test_set_dwellings():
    # 30,000 x 57 = 1,710,000 h, 3,000 dwellings and 171,000 h a year
    d = run_json("--set", "works[0].dwellings=30000")
    assert d["total_hours"] == 1_710_000
    assert d["total_amount_eur"] == 30_000 * 80_000
    assert [(y["dwellings"], y["hours"]) for y in d["years"]] == [(3000, 171_000)] * 10


def test_set_both():
    # 30,000 x 80 = 2,400,000 h
    d = run_json("--set", "clause.insertion_rate=0.07", "--set", "works[0].dwellings=30000")
    assert d["total_hours"] == 2_400_000


def test_set_yearly_dwellings():
    years = [1000, 1500, 2000, 2500, 3000, 3000, 2500, 2500, 2500, 2500]  # 23,000
    d = run_json("--set", f"works[0].yearly_dwellings={years}")
    assert [y["dwellings"] for y in d["years"]] == years
    assert [y["hours"] for y in d["years"]] == [57 * x for x in years]
    assert d["years"][0]["hours"] == 57_000
    assert d["total_hours"] == 1_311_000


def test_help_on_hours():
    out = run("--help")
    assert out.returncode == 0
    assert out.stdout.startswith("usage: clause-sim hours")
    for word in ("--set", "--json", "scenario"):
        assert word in out.stdout


def test_default_scenario_from_another_folder(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = run("--json", cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["total_hours"] == 1_311_000


def test_climat_resilience_scenario():
    # 100,000 x 0.40 x 0.05 / 28 = 71.43 -> 71 h a dwelling; 30,000 x 71 = 2,130,000 h
    d = run_json("scenarios/erbm-30000-climat-resilience.toml")
    assert d["lines"][0]["hours_per_dwelling"] == 71
    assert d["total_hours"] == 2_130_000


# --------------------------------------------------------------------------------------------
# Bad input: one line, exit code 2, the file and the key named


def test_missing_file(tmp_path):
    p = tmp_path / "nope.toml"
    line = assert_one_line_error(run(str(p)), str(p))
    assert line == f"clause-sim: error: {p}: no such file"


def test_not_toml_names_the_line(tmp_path, fiche_text):
    p = modified(tmp_path, fiche_text, "horizon_years = 10", "horizon_years = = 10")
    text = p.read_text(encoding="utf-8")
    lineno = 1 + next(i for i, ln in enumerate(text.split("\n")) if "= = 10" in ln)
    assert lineno > 1
    line = assert_one_line_error(run(str(p)), str(p), "not valid TOML")
    # tomllib's own message carries the line (and column) of the mistake
    with pytest.raises(tomllib.TOMLDecodeError, match=f"line {lineno}"):
        tomllib.loads(text)
    assert f"line {lineno}" in line


def test_a_folder_is_not_a_scenario(tmp_path):
    assert_one_line_error(run(str(tmp_path)), str(tmp_path), "folder")


def test_unknown_key_in_the_file(tmp_path, fiche_text):
    p = modified(tmp_path, fiche_text, "insertion_rate = 0.05", "insertion_rat = 0.05")
    line = assert_one_line_error(run(str(p)), str(p), "clause.insertion_rat:")
    assert line.endswith("unknown key (did you mean 'insertion_rate'?)")


def test_unknown_key_in_a_works_line(tmp_path, fiche_text):
    p = modified(tmp_path, fiche_text, "dwellings = 23000", "dwelings = 23000")
    assert_one_line_error(run(str(p)), str(p), "works[0].dwelings", "'dwellings'")


def test_unknown_key_via_set():
    # the mistake is in the override, so the error names --set rather than the file
    line = assert_one_line_error(
        run("--set", "clause.insertion_rat=0.07"), "--set", "clause.insertion_rat"
    )
    assert "did you mean 'insertion_rate'?" in line


# Value mistakes written in the file: (old text, new text, key, words in the message).
FILE_CASES = [
    (
        "hourly_cost_eur = 28.0",
        'hourly_cost_eur = "28"',
        "clause.hourly_cost_eur",
        "expected a number, got a string '28'",
    ),
    (
        "cost_per_dwelling_eur = 80000",
        "cost_per_dwelling_eur = -80000",
        "works[0].cost_per_dwelling_eur",
        "must be positive, got -80000",
    ),
    (
        "hourly_cost_eur = 28.0",
        "hourly_cost_eur = 0",
        "clause.hourly_cost_eur",
        "must be positive, got 0",
    ),
    (
        "hourly_cost_eur = 28.0",
        "hourly_cost_eur = inf",
        "clause.hourly_cost_eur",
        "expected a finite number, got inf",
    ),
    ("fte_hours = 1820", "fte_hours = nan", "clause.fte_hours", "got nan"),
    (
        "insertion_rate = 0.05",
        "insertion_rate = 1.5",
        "clause.insertion_rate",
        "must be a share between 0 and 1, got 1.5",
    ),
    ("labour_share = 0.40", "labour_share = 40", "works[0].labour_share", "between 0 and 1"),
    (
        'profile = "uniform"',
        'profile = "custom"\nyearly_dwellings = [7000, 8000, 8000]',
        "works[0].yearly_dwellings",
        "has 3 years but horizon_years is 10",
    ),
    (
        'profile = "uniform"',
        'profile = "custom"\nyearly_dwellings = [2300, 2300, 2300, 2300, 2300, 2300, 2300, 2300, '
        "2300, 2000]",
        "works[0].yearly_dwellings",
        "sums to 22700 but dwellings is 23000",
    ),
    (
        "horizon_years = 10",
        "horizon_years = 0",
        "scenario.horizon_years",
        "must be at least 1 year, got 0",
    ),
    (
        'method = "labour_share"',
        'method = "labor_share"',
        "clause.method",
        "unknown value 'labor_share'",
    ),
    (
        'rounding = "floor_per_dwelling"',
        'rounding = "floor"',
        "clause.rounding",
        "expected one of none, floor_per_dwelling, round_per_dwelling, round_total",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "key", "words"),
    FILE_CASES,
    ids=[f"{c[2]}={c[1].split('=', 1)[1].strip()[:20]}" for c in FILE_CASES],
)
def test_bad_value_in_the_file(tmp_path, fiche_text, old, new, key, words):
    p = modified(tmp_path, fiche_text, old, new)
    line = assert_one_line_error(run(str(p)), f"{p}: {key}: ", words)
    assert line.startswith(f"clause-sim: error: {p}: {key}: ")


# The same kinds of mistakes given with --set on a copy of the fiche: (override, key, words).
SET_CASES = [
    ('clause.insertion_rate="0.07"', "clause.insertion_rate", "expected a number, got a string"),
    ("clause.insertion_rate=abc", "clause.insertion_rate", "got a string 'abc'"),
    ("clause.hourly_cost_eur=0", "clause.hourly_cost_eur", "must be positive"),
    ("clause.hourly_cost_eur=inf", "clause.hourly_cost_eur", "finite"),
    ("clause.hourly_cost_eur=nan", "clause.hourly_cost_eur", "nan"),
    ("clause.insertion_rate=1.01", "clause.insertion_rate", "between 0 and 1"),
    ("works[0].yearly_dwellings=[23000]", "works[0].yearly_dwellings", "has 1 year but"),
    ("scenario.horizon_years=0", "scenario.horizon_years", "at least 1"),
    ("clause.method=by_magic", "clause.method", "unknown value 'by_magic'"),
    ("works[3].dwellings=1", "works[3].dwellings", "no item 3: works has 1"),
    ("works[0].dwellings=1e20", "works[0].dwellings", "too large"),
    ("scenario.horizon_years=100000000", "scenario.horizon_years", "at most 100 years"),
]


@pytest.mark.parametrize(("override", "key", "words"), SET_CASES, ids=[c[0] for c in SET_CASES])
def test_bad_value_via_set(tmp_path, fiche_text, override, key, words):
    p = tmp_path / "fiche.toml"
    p.write_text(fiche_text, encoding="utf-8")
    # the value is checked once merged into the file, so the file is named
    assert_one_line_error(run(str(p), "--set", override), f"{p}: {key}: ", words)


@pytest.mark.parametrize(
    ("override", "key", "words"),
    [
        ("clause.nope=1", "clause.nope", "no such key 'clause.nope'"),
        ("works[0].dwelings=1", "works[0].dwelings", "did you mean 'dwellings'?"),
        ("clause.insertion_rate", "clause.insertion_rate", "expected KEY=VALUE"),
        ("clause.insertion_rate=[0.05,", "clause.insertion_rate", "cannot read value"),
    ],
)
def test_bad_set_path(override, key, words):
    assert_one_line_error(run("--set", override), f"--set: {key}: ", words)


def test_set_error_names_the_override_and_the_file():
    out = subprocess.run(
        [sys.executable, "-m", "sim", "hours", "--set", "works[0].dwellings=-1"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1
    assert "works[0].dwellings: must be positive" in out.stderr
    assert "(from --set works[0].dwellings)" in out.stderr
    assert "erbm-fiche-2023.toml" in out.stderr


def test_argparse_errors_are_one_line():
    out = subprocess.run(
        [sys.executable, "-m", "sim", "run", "-n", "0"], capture_output=True, text=True, cwd=ROOT
    )
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("clause-sim: error: ")


def test_unwritable_out_is_a_one_line_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "run",
            "-n",
            "1",
            "--bottleneck-replications",
            "0",
            "--quiet",
            "--out",
            str(blocker / "sub"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.returncode == 2, out.stderr
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert blocker.read_text() == "x"
