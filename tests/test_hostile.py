"""Hostile input, in process: formula neutraliser, escaped echo, one --out policy, --force under
the manifest for every command, input-file limits."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

import sim.analysis.sweep as sw
from sim import output
from sim.analysis import sizing
from sim.cli import main
from sim.errors import ScenarioError, escape
from sim.scenario import MAX_DEPTH, load, read_toml, toml_depth

CORPUS = Path(__file__).resolve().parent / "fuzz" / "corpus"


def run(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------------------------
# Formula injection


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_safe_cell(text, cell):
    assert output.safe_cell(text) == cell


def test_write_csv_neutralises_text_but_not_numbers(tmp_path):
    path = tmp_path / "t.csv"
    output.write_csv(path, {"name": ["=1+1", "ok"], "value": [-1.5, 2.0]})
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows == [["name", "value"], ["'=1+1", "-1.5"], ["ok", "2"]]


def test_sweep_tables_neutralise_string_parameter_values(tmp_path):
    res = sw.run_sweep(CORPUS / "sweep-formulas.toml", tmp_path / "s", jobs=1, figures=False)
    for name in ("table.csv", "points.csv"):
        rows = sw.read_table(res.folder / name)
        names = [r[1] for r in rows[1:]]
        assert len(names) == 4
        for n in names:
            assert n.startswith("'") and n[1] in "=+-@", (name, n)
        for r in rows[1:]:  # the numbers stay numbers
            float(r[2])


# --------------------------------------------------------------------------------------------
# Escaped echo


def test_escape():
    assert escape("a\nb\x1b[31m\u202e\t\x7f") == "a\\nb\\x1b[31m\\u202e\\t\\u007f"
    assert escape("plain é ü 1 %") == "plain é ü 1 %"


def test_names_with_escapes_reach_the_terminal_escaped(capsys):
    code, out, err = run(["hours", str(CORPUS / "escape-in-names.toml")], capsys)
    assert code == 0, err
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out
    assert "Red \\x1b[31malert\\x1b[0m\\nsecond line\\u202eevil" in out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["hours", str(CORPUS / "newline-in-key.toml")], "na\\nme"),
        (["hours", str(CORPUS / "escape-in-key.toml")], "\\x1b]0;pwned\\x07"),
        (["hours", "--set", "clause.insertion_rate=0.05\nhorizon_years = 99"], "line break"),
        (["hours", "no\nsuch\x1b.toml"], "no\\nsuch\\x1b.toml"),
        (["hours", "--set", "works[0].\x1b=1"], "\\x1b"),
    ],
)
def test_errors_are_one_escaped_line(capsys, args, words):
    code, out, err = run(args, capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("clause-sim: error: ")
    assert "\x1b" not in err and words in err, err


def test_percent_twice_is_refused():
    with pytest.raises(ScenarioError, match="one % at most"):
        sizing.parse_target("lapsed_share<=10%%")
    assert sizing.parse_target("lapsed_share<=10%").value == pytest.approx(0.1)


# --------------------------------------------------------------------------------------------
# Input files


def test_depth_scan_counts_arrays_tables_and_dotted_keys():
    assert toml_depth('a = 1\nb = "[[[[" # [[[[\n') == 0
    assert toml_depth("a.b.c = [[1], {x = [2]}]") >= 3
    assert toml_depth("x = " + "[" * 20 + "]" * 20) == 20
    assert toml_depth("[" + ".".join("a" * 30) + "]") > MAX_DEPTH
    assert toml_depth("x = 1.5\ny = [1.5, 2.5]") <= 2
    assert toml_depth('s = """\n[[[[[[[[\n"""') == 0
    fiche = Path(__file__).resolve().parent.parent / "scenarios" / "erbm-fiche-2023.toml"
    assert toml_depth(fiche.read_text(encoding="utf-8")) < MAX_DEPTH


@pytest.mark.parametrize("special", ["fifo", "/dev/zero", "/dev/urandom", "folder", "big"])
def test_only_regular_files_of_bounded_size_are_read(tmp_path, special):
    path = tmp_path / "x.toml"
    if special == "fifo":
        os.mkfifo(path)
    elif special == "folder":
        path.mkdir()
    elif special == "big":
        path.write_text("# pad\n" * 400_000)
    else:
        path.symlink_to(special)
    with pytest.raises(ScenarioError) as info:
        read_toml(path)
    assert ("2 MiB" in str(info.value)) == (special == "big")
    assert "\n" not in str(info.value)


# --------------------------------------------------------------------------------------------
# One --out policy, --force under the manifest


SMALL = ["scenario.horizon_years=2", "works[0].dwellings=400", "flow.referrals.per_year=30"]


def _setargs() -> list[str]:
    return [a for s in SMALL for a in ("--set", s)]


@pytest.mark.parametrize("command", ["run", "compare", "size", "sweep"])
def test_every_command_refuses_a_symlink_out(tmp_path, capsys, command):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    fiche = str(Path(__file__).resolve().parent.parent / "scenarios" / "erbm-fiche-2023.toml")
    args = {
        "run": ["run", *_setargs(), "-n", "2", "-j", "1", "-q"],
        "compare": ["compare", fiche, fiche, *_setargs(), "-n", "2", "-j", "1", "-q"],
        "size": [
            "size",
            *_setargs(),
            "--resource",
            "facilitators",
            "--target",
            "lapsed_share<=1",
            "-n",
            "2",
            "-j",
            "1",
            "-q",
        ],
        "sweep": ["sweep", str(CORPUS / "sweep-formulas.toml"), "-j", "1", "-q"],
    }[command]
    code, _, err = run([*args, "--out", str(link)], capsys)
    # exactly one line: notices (e.g. a --set key declared uncertain) are shown only on success
    assert code == 2 and err.count("\n") == 1 and "symbolic link" in err, err
    assert "Traceback" not in err
    assert list(real.iterdir()) == []


def test_sweep_force_never_deletes_a_file_it_did_not_write(tmp_path):
    s = CORPUS / "sweep-formulas.toml"
    out = tmp_path / "s"
    sw.run_sweep(s, out, jobs=1, figures=False)
    (out / "notes").mkdir()
    (out / "notes" / "mine.txt").write_bytes(b"precious")
    with pytest.raises(sw.SweepError, match=r"holds notes, which clause-sim did not write"):
        sw.run_sweep(s, out, jobs=1, force=True, figures=False)
    assert (out / "notes" / "mine.txt").read_bytes() == b"precious"
    (out / "notes" / "mine.txt").unlink()
    (out / "notes").rmdir()
    res = sw.run_sweep(s, out, jobs=1, force=True, figures=False)
    assert res.ran == 4


def test_sweep_force_refuses_a_folder_with_only_a_points_csv(tmp_path):
    out = tmp_path / "s"
    (out / "figures").mkdir(parents=True)
    (out / "points.csv").write_text("point\n")
    (out / "scenario.toml").write_text("# mine")
    with pytest.raises(sw.SweepError, match="not a clause-sim results folder"):
        sw.run_sweep(CORPUS / "sweep-formulas.toml", out, jobs=1, force=True, figures=False)
    assert (out / "scenario.toml").read_text() == "# mine" and (out / "figures").is_dir()


def test_size_never_overwrites_a_file_it_did_not_write(tmp_path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    (out / "sizing.csv").write_text("mine")
    args = [
        "size",
        *_setargs(),
        "--resource",
        "facilitators",
        "--target",
        "lapsed_share<=1",
        "-n",
        "2",
        "-j",
        "1",
        "-q",
        "--out",
        str(out),
    ]
    code, _, err = run(args, capsys)
    assert code == 2 and "sizing.csv, which clause-sim did not write" in err
    assert (out / "sizing.csv").read_text() == "mine"
    (out / "sizing.csv").unlink()
    code, _, err = run(args, capsys)
    assert code == 0, err
    code, _, err = run(args, capsys)  # its own files: replaced
    assert code == 0, err
    assert output.read_manifest(out) >= {"sizing.csv", "sizing.json", "sizing.png", "sizing.svg"}


def test_work_estimate_refuses_and_max_work_raises_it(tmp_path, capsys):
    base = ["run", *_setargs(), "-n", "2", "-j", "1", "-q", "--bottleneck-replications", "0"]
    code, _, err = run([*base, "--out", str(tmp_path / "a"), "--max-work", "10"], capsys)
    assert code == 2 and "--max-work" in err and "work units" in err, err
    assert not (tmp_path / "a").exists()
    code, _, err = run([*base, "--out", str(tmp_path / "b"), "--max-work", "1e9"], capsys)
    assert code == 0, err
    sc = load(None, ["works[0].dwellings=1000000", "flow.referrals.per_year=100000"])
    from sim import limits

    with pytest.raises(limits.WorkError, match="work units"):
        limits.check_work(limits.units_per_replication(sc), 200)


def test_json_output_stays_valid_json_with_hostile_names(capsys):
    import json

    name = "a\x7fb\u2028c\u202ed\x1b[0m"
    code, out, err = run(["hours", "--json", "--set", f"scenario.name={json.dumps(name)}"], capsys)
    assert code == 0, err
    assert json.loads(out)["scenario"] == name
