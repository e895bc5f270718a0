"""`clause-sim run` and `clause-sim compare` end to end, on small scenarios."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import FICHE, ROOT

from sim import output
from sim.cli import main
from sim.presentation import plots
from sim.results import FLOW_METRICS, KEY_METRICS, TOTAL_METRICS

SMALL = [
    "--set",
    "scenario.horizon_years=3",
    "--set",
    "works[0].dwellings=900",
    "--set",
    "flow.referrals.per_year=60",
]
"""The fiche cut down: 3 years, 900 dwellings, 60 referrals a year (fast)."""


def run(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def _stray(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name]


@pytest.fixture(scope="module")
def small_run(tmp_path_factory) -> tuple[Path, str]:
    """One small run through the command line: (folder, stdout)."""
    out = tmp_path_factory.mktemp("run") / "small"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "run",
            str(FICHE),
            *SMALL,
            "--replications",
            "4",
            "--jobs",
            "2",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # no progress bar when stderr is not a terminal
    return out, proc.stdout


def test_summary_on_stdout(small_run):
    out, stdout = small_run
    for text in (
        "4 réplications, graine 20230612",
        "Heures de la clause",
        "Heures réalisées",
        "IC 95 %",
        "ETP réalisés",
        "Part des heures perdues",
        "Sorties positives",
        "BRSA",
        "Ressource la plus chargée",
        str(out),
    ):
        assert text in stdout, text


def test_files_agree_with_each_other(small_run):
    out, _ = small_run
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["replications"] == 4 and s["seed"] == 20230612
    assert s["clause_hours_total"] == 900 * 57
    assert s["overrides"] == [a for a in SMALL if a != "--set"]
    for m in KEY_METRICS:
        assert set(s[m]) == {"mean", "ci_low", "ci_high", "p05", "p95"}
    reps = output.read_csv(out / "replications.csv")
    yearly = output.read_csv(out / "yearly.csv")
    assert len(reps["replication"]) == 4
    assert yearly["year"].tolist() == [2018, 2019, 2020, 2021, 2022]  # 3 years + 2 run-out
    for m in TOTAL_METRICS:
        # a rate with no one to count in a replication is NaN there, left out as describe() does
        assert s[m]["mean"] == pytest.approx(float(np.nanmean(reps[m])), rel=1e-12, abs=1e-9), m
    for m in FLOW_METRICS:
        assert s[m]["mean"] == pytest.approx(
            float(yearly[f"{m}_mean"].sum()), rel=1e-9, abs=1e-6
        ), m
    # and each replication's flow totals are the sums of its own years
    assert s["hours_offered"]["mean"] == pytest.approx(900 * 57)
    figs = sorted(p.name for p in (out / "figures").iterdir())
    assert len(figs) == 2 * len(plots.RUN_FIGURES)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("<svg") == len(plots.RUN_FIGURES) and "<script" not in html


def test_scenario_toml_reruns_identically(small_run, tmp_path, capsys):
    out, _ = small_run
    again = tmp_path / "again"
    code, _stdout, err = run(
        [
            "run",
            str(out / "scenario.toml"),
            "--replications",
            "4",
            "--jobs",
            "1",
            "--out",
            str(again),
            "--quiet",
        ],
        capsys,
    )
    assert code == 0, err
    for name in ("yearly.csv", "replications.csv", "monthly.csv", "waits.csv"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name
    a = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    b = json.loads((again / "summary.json").read_text(encoding="utf-8"))
    for volatile in ("scenario_file", "overrides"):
        a.pop(volatile), b.pop(volatile)
    assert a == b


def test_refuses_to_overwrite(small_run, capsys):
    out, _ = small_run
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    code, stdout, err = run(["run", str(FICHE), *SMALL, "-n", "2", "--out", str(out)], capsys)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("clause-sim: error: ") and "--force" in err
    assert _only_announced(stdout)
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before


@pytest.mark.parametrize(
    "args, message",
    [
        (["--set", "clause.insertion_rat=0.07"], "did you mean 'insertion_rate'"),
        (["nowhere.toml"], "nowhere.toml: no such file"),
        (["--replications", "0"], "must be at least 1"),
        (["--jobs", "x"], "expected a whole number"),
        (["--lang", "de"], "invalid choice"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, args, message):
    out = tmp_path / "r"
    with pytest.raises(SystemExit) as exc:  # argparse errors exit directly
        code = main(["run", *args, "--out", str(out)])
        raise SystemExit(code)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "clause-sim: error: " in err and message in err
    assert err.strip().splitlines()[-1].startswith("clause-sim: error: ")
    assert not out.exists() and not _stray(tmp_path)


def test_default_out_english_and_force(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, stdout, err = run(["run", *SMALL, "-n", "2", "-j", "1", "--lang", "en", "-q"], capsys)
    assert code == 0, err
    out = tmp_path / "results" / "erbm-fiche-2023"
    assert (out / "summary.json").is_file()
    assert "Hours realised" in stdout and "2 replications, seed 20230612" in stdout
    html = (out / "report.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in html and "Key figures" in html
    # --force replaces it, with another seed: other results
    before = (out / "replications.csv").read_bytes()
    code, _, err = run(
        ["run", *SMALL, "-n", "2", "-j", "1", "--seed", "1", "--force", "-q"], capsys
    )
    assert code == 0, err
    assert json.loads((out / "summary.json").read_text())["seed"] == 1
    assert (out / "replications.csv").read_bytes() != before
    assert not _stray(out.parent)


def test_help_documents_the_default_seed():
    from sim.runner import DEFAULT_SEED

    proc = subprocess.run(
        [sys.executable, "-m", "sim", "run", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    assert f"default: {DEFAULT_SEED}" in text and "default: 200" in text


# --------------------------------------------------------------------------------------------
# Interrupted runs


def _children(pid: int) -> set[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return set()
    return {int(x) for x in text.split()}


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(
    not hasattr(signal, "SIGTERM") or not Path("/proc").is_dir(),
    reason="needs POSIX signals and /proc",
)
@pytest.mark.parametrize("jobs, signum", [(1, "SIGTERM"), (2, "SIGTERM"), (2, "SIGINT")])
def test_interrupt_leaves_previous_results_untouched(tmp_path, jobs, signum):
    target = tmp_path / "r"
    target.mkdir()
    (target / "summary.json").write_text('{"previous": true}')
    (target / "marker").write_text("previous results")
    (target / ".clause-sim.json").write_text(
        '{"tool": "clause-sim", "files": ["marker", "summary.json"]}'
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sim",
            "run",
            str(FICHE),
            "--replications",
            "200",
            "--jobs",
            str(jobs),
            "--out",
            str(target),
            "--force",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not _stray(tmp_path):
        time.sleep(0.05)
    assert _stray(tmp_path), "the temporary folder never appeared"
    time.sleep(0.5 if jobs == 1 else 1.0)  # into the replications (workers started)
    children = _children(proc.pid)
    if jobs > 1:
        assert children, "no worker process to check"
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(getattr(signal, signum))
    stdout, stderr = proc.communicate(timeout=30)
    code, word = (143, "terminated") if signum == "SIGTERM" else (130, "interrupted")
    assert proc.returncode == code, stderr
    assert word in stderr and "Traceback" not in stderr
    assert _only_announced(stdout)
    assert (target / "marker").read_text() == "previous results"
    assert sorted(p.name for p in target.iterdir()) == [
        ".clause-sim.json",
        "marker",
        "summary.json",
    ]
    assert not _stray(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["r"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(c) for c in children):
        time.sleep(0.05)
    assert not any(_alive(c) for c in children), "worker processes left running"


# --------------------------------------------------------------------------------------------
# compare


def test_compare(tmp_path, capsys):
    ramp = tmp_path / "ramp.toml"
    ramp.write_text(
        FICHE.read_text(encoding="utf-8").replace('profile = "uniform"', 'profile = "ramp"'),
        encoding="utf-8",
    )
    out = tmp_path / "cmp"
    code, stdout, err = run(
        [
            "compare",
            str(FICHE),
            str(ramp),
            str(FICHE),
            *SMALL,
            "-n",
            "4",
            "-j",
            "1",
            "--out",
            str(out),
            "-q",
        ],
        capsys,
    )
    assert code == 0, err
    assert "erbm-fiche-2023" in stdout and "ramp − erbm-fiche-2023" in stdout
    names = {p.name for p in out.iterdir()}
    assert {
        "comparison.csv",
        "comparison.json",
        "report.html",
        "figures",
        "erbm-fiche-2023",
        "ramp",
        "erbm-fiche-2023-2",
    } <= names
    table = (out / "comparison.csv").read_text(encoding="utf-8").splitlines()
    head = table[0].split(",")
    assert head[:5] == [
        "metric",
        "unit",
        "erbm-fiche-2023_mean",
        "ramp_mean",
        "erbm-fiche-2023-2_mean",
    ]
    assert "ramp_minus_erbm-fiche-2023_ci_low" in head
    rows = {r.split(",")[0]: r.split(",") for r in table[1:]}
    assert set(rows) == set(TOTAL_METRICS)
    # the same scenario twice, same seed: identical, a zero paired difference
    same = rows["hours_realised"][head.index("erbm-fiche-2023-2_minus_erbm-fiche-2023_mean") :]
    assert [float(x) for x in same[:3]] == [0.0, 0.0, 0.0]
    # per-scenario tables agree with the comparison
    reps = output.read_csv(out / "ramp" / "replications.csv")
    col = head.index("ramp_mean")
    assert float(rows["hours_realised"][col]) == pytest.approx(reps["hours_realised"].mean())
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 3 and "<script" not in html and "http" not in html
    assert "profile" in html  # the parameter that differs is listed
    assert len(list((out / "figures").glob("*.png"))) == 3


def test_compare_needs_two_scenarios(tmp_path, capsys):
    code, _, err = run(["compare", str(FICHE), "--out", str(tmp_path / "c")], capsys)
    assert code == 2 and "at least two" in err
    assert not (tmp_path / "c").exists()


def test_compare_default_out(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    other = tmp_path / "b.toml"
    other.write_text(FICHE.read_text(encoding="utf-8"), encoding="utf-8")
    code, _, err = run(
        ["compare", str(FICHE), str(other), *SMALL, "-n", "2", "-j", "1", "-q"], capsys
    )
    assert code == 0, err
    assert (tmp_path / "results" / "compare-erbm-fiche-2023-vs-b" / "comparison.csv").is_file()


def test_pid_helpers():
    assert _alive(os.getpid())


def _only_announced(stdout: str) -> bool:
    """Nothing on stdout but the line naming the scenario file read."""
    lines = stdout.splitlines()
    return len(lines) == 1 and lines[0].startswith("Scénario lu : ")
