"""`clause-sim calibrate`: synthetic recovery, identifiability, holdout, resume, errors."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import pytest
from conftest import FICHE, ROOT

import sim
from sim import observed
from sim.analysis import calibrate as cal
from sim.cli import main
from sim.errors import ClauseSimError, ScenarioError
from sim.scenario import load

BASE = [
    "scenario.horizon_years=4",
    "works[0].dwellings=3000",
    "flow.referrals.per_year=30",
    "uncertainty={}",
    "flow.siae.fallback_to=[]",
    "flow.missions.mode_shares={direct=0.2, etti=0.6, ai=0.05, geiq=0.05, ei=0.06, aci=0.04}",
]
"""A small programme where people are scarce and ETTI posts bind (no fallback), so that both
fitted parameters move the observed figures: posts the hours and participants, the chance of a
next mission the contracts a participant."""
TRUTH = {"flow.missions.next_mission_probability": 0.5, "flow.siae.posts.etti": 10}
FITS = [
    "flow.missions.next_mission_probability=0.2:0.8",
    "flow.siae.posts.etti=4:16",
    # the works are given in dwellings: the amount per operation is never used
    "flow.operations.amount_per_operation_eur=1000000:10000000",
]
METRICS = ("hours_realised", "participants", "contracts")


def synthetic_rows(n: int = 60, seed: int = 99) -> tuple[observed.Observed, ...]:
    """Yearly figures made by the model at TRUTH, with another seed than the fit's."""
    sc = load(FICHE, BASE)
    runs = sim.replicate(sc.with_overrides([f"{k}={v}" for k, v in TRUTH.items()]), n, seed, 2)
    lines = ["from_year,to_year,metric,value,source"]
    for m in METRICS:
        for y, v in zip(runs.years, runs.yearly[m].mean(axis=0), strict=True):
            if y < sc.start_year + sc.horizon_years:
                lines.append(f"{y},{y},{m},{v:.2f},model at known values")
    return observed.parse("\n".join(lines) + "\n", "synthetic.csv")


def check_recovery(res: cal.Calibration) -> None:
    for key, true in TRUTH.items():
        p = res.parameters[key]
        assert p["identifiable"], (key, p)
        assert p["ci_low"] <= true <= p["ci_high"], (key, p)
        assert abs(p["estimate"] - true) <= 0.15 * true, (key, p)
    nothing = res.parameters["flow.operations.amount_per_operation_eur"]
    assert nothing["identifiable"] is False
    assert nothing["identified_by"] is None
    # the fit ran in French (the default): the sentence is French, and English on asking
    assert "ne peuvent pas le fixer" in nothing["note"]
    assert "cannot identify" in cal._sentence(
        "flow.operations.amount_per_operation_eur", None, 0.0, "en"
    )


@pytest.fixture(scope="module")
def rows() -> tuple[observed.Observed, ...]:
    return synthetic_rows()


@pytest.fixture(scope="module")
def fast(rows, tmp_path_factory):
    sc = load(FICHE, BASE)
    fits = [cal.parse_fit(t, sc) for t in FITS]
    out = tmp_path_factory.mktemp("cal") / "c"
    res = cal.calibrate(
        sc,
        rows,
        fits,
        out,
        replications=10,
        seed=1,
        jobs=2,
        obs_error=0.03,
        points_per_generation=16,
        generations=5,
        observed_file="synthetic.csv",
    )
    return res, out, sc


def test_synthetic_recovery_fast(fast):
    check_recovery(fast[0])


@pytest.mark.slow
def test_synthetic_recovery_default_design(rows, tmp_path):
    """The default design at 20 replications a point, with three seeds: a 95 % interval may
    miss once in a while, so each true value must be inside its interval and each estimate
    within 15 % for at least two seeds of three; the no-effect parameter never identified."""
    sc = load(FICHE, BASE)
    fits = [cal.parse_fit(t, sc) for t in FITS]
    inside = dict.fromkeys(TRUTH, 0)
    close = dict.fromkeys(TRUTH, 0)
    for seed in (1, 2, 3):
        res = cal.calibrate(
            sc,
            rows,
            fits,
            tmp_path / f"c{seed}",
            replications=20,
            seed=seed,
            jobs=2,
            obs_error=0.03,
        )
        for key, true in TRUTH.items():
            p = res.parameters[key]
            inside[key] += p["ci_low"] <= true <= p["ci_high"]
            close[key] += abs(p["estimate"] - true) <= 0.15 * true
        assert res.parameters["flow.operations.amount_per_operation_eur"]["identifiable"] is False
    assert all(v >= 2 for v in inside.values()), inside
    assert all(v >= 2 for v in close.values()), close


def test_files_of_a_calibration(fast):
    res, out, _sc = fast
    data = json.loads((out / "calibration.json").read_text(encoding="utf-8"))
    assert set(data["parameters"]) == {f.split("=")[0] for f in FITS}
    for p in data["parameters"].values():
        assert {"estimate", "ci_low", "ci_high", "identifiable"} <= set(p)
        assert p["ci_low"] <= p["estimate"] <= p["ci_high"]
    assert len(data["rows"]) == 12 and all("mean" in r and "p05" in r for r in data["rows"])
    assert data["objective"]["at_estimate"] == pytest.approx(
        sum(((r["mean"] - r["value"]) / r["value"]) ** 2 for r in data["rows"])
    )
    # calibrated.toml: a valid scenario at the estimates, each fitted key commented
    text = (out / "calibrated.toml").read_text(encoding="utf-8")
    back = load(out / "calibrated.toml")
    assert back.flow.siae_posts["etti"] == res.parameters["flow.siae.posts.etti"]["estimate"]
    assert back.flow.missions.next_mission_probability == pytest.approx(
        res.parameters["flow.missions.next_mission_probability"]["estimate"]
    )
    assert "synthetic.csv" in text
    # (the run is French, the default: its comments too)
    marked = [line for line in text.splitlines() if "  # calé sur synthetic.csv : 95 %" in line]
    assert [m.split(" =")[0] for m in marked] == [
        "amount_per_operation_eur",
        "next_mission_probability",
        "etti",
    ]
    tomllib.loads(text)
    # above each fitted key, what it replaced instead of the old value's source
    lines = text.split("\n")
    for m in marked:
        i = lines.index(m)
        while lines[i - 1].startswith("# "):
            i -= 1
        assert lines[i].startswith("# calé sur synthetic.csv"), lines[i]
    assert (out / "fit.png").stat().st_size > 0 and (out / "fit.svg").is_file()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "flow.siae.posts.etti" in html and "<svg" in html


def test_resume_reuses_every_point(fast, rows):
    res, out, sc = fast
    before = (out / cal.POINTS_FILE).read_text(encoding="utf-8")
    with pytest.raises(cal.CalibrationError, match="not empty"):
        cal.calibrate(
            sc,
            rows,
            res.fits,
            out,
            replications=10,
            seed=1,
            jobs=2,
            obs_error=0.03,
            points_per_generation=16,
            generations=5,
        )
    again = cal.calibrate(
        sc,
        rows,
        res.fits,
        out,
        replications=10,
        seed=1,
        jobs=2,
        obs_error=0.03,
        points_per_generation=16,
        generations=5,
        resume=True,
        observed_file="synthetic.csv",
    )
    assert (out / cal.POINTS_FILE).read_text(encoding="utf-8") == before  # nothing rerun
    assert again.parameters == res.parameters
    # another calibration cannot resume this folder
    with pytest.raises(cal.CalibrationError, match="another calibration"):
        cal.calibrate(sc, rows, res.fits, out, replications=11, seed=1, resume=True)


def test_force_refuses_a_folder_it_did_not_write(tmp_path, rows):
    (tmp_path / "mine.txt").write_text("keep me", encoding="utf-8")
    sc = load(FICHE, BASE)
    with pytest.raises(cal.CalibrationError, match="not a calibration folder"):
        cal.calibrate(sc, rows, [cal.parse_fit(FITS[1], sc)], tmp_path, force=True)
    assert (tmp_path / "mine.txt").read_text(encoding="utf-8") == "keep me"


def test_force_refuses_a_calibration_folder_holding_a_foreign_file(tmp_path, rows):
    # a folder clause-sim set up (its manifest), then a file of the user's put in it
    sc = load(FICHE, BASE)
    cal.prepare_folder(tmp_path, "x", resume=False, force=False)
    (tmp_path / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(cal.CalibrationError, match=r"notes\.txt, which clause-sim did not write"):
        cal.calibrate(sc, rows, [cal.parse_fit(FITS[1], sc)], tmp_path, force=True)
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "keep me"
    link = tmp_path.parent / f"{tmp_path.name}-link"
    link.symlink_to(tmp_path)
    with pytest.raises(cal.CalibrationError, match="symbolic link"):
        cal.calibrate(sc, rows, [cal.parse_fit(FITS[1], sc)], link, force=True)


def test_holdout_reports_the_held_year(tmp_path, rows):
    sc = load(FICHE, BASE)
    fits = [cal.parse_fit(FITS[1], sc)]
    res = cal.calibrate(
        sc,
        rows,
        fits,
        tmp_path / "h",
        replications=4,
        seed=1,
        jobs=1,
        holdout=2021,
        points_per_generation=8,
        generations=2,
    )
    assert {r["to_year"] for r in res.holdout} == {2021} and len(res.holdout) == 3
    assert all(r["to_year"] != 2021 for r in res.rows) and len(res.rows) == 9
    assert all(r["fitted"] is False and r["mean"] is not None for r in res.holdout)
    with pytest.raises(ClauseSimError, match="no observed row ends in 2030"):
        cal.calibrate(sc, rows, fits, tmp_path / "h2", holdout=2030)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("flow.siae.posts.etti", "KEY=LOW:HIGH"),
        ("flow.siae.posts.etti=4-16", "KEY=LOW:HIGH"),
        ("flow.siae.posts.etti=16:4", "LOW < HIGH"),
        ("flow.siae.posts.etty=4:16", "did you mean 'etti'"),
        ("flow.missions.next_mission_probability=0.2:1.4", "outside the key's domain"),
        ("flow.facilitators.priority=0:1", "not a numeric key"),
    ],
)
def test_bad_fit_is_one_line(text, words):
    with pytest.raises(ScenarioError) as info:
        cal.parse_fit(text, load(FICHE, BASE))
    assert str(info.value).startswith("--fit") and words in str(info.value)


def test_calibrate_command_on_the_erbm_files(tmp_path, capsys):
    out = tmp_path / "erbm"
    args = [
        "calibrate",
        str(ROOT / "scenarios" / "erbm-actual-2017.toml"),
        "--observed",
        str(ROOT / "scenarios" / "observed" / "erbm-2017-2023.csv"),
        "--fit",
        "clause.insertion_rate=0.04:0.12",
        "-n",
        "2",
        "-j",
        "1",
        "-q",
        "--set",
        "flow.referrals.per_year=40",
        "--out",
        str(out),
        "--lang",
        "en",
    ]
    code = main(args)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "clause.insertion_rate" in captured.out and "hours_realised 2017-2023" in captured.out
    data = json.loads((out / "calibration.json").read_text(encoding="utf-8"))
    est = data["parameters"]["clause.insertion_rate"]["estimate"]
    # realised hours are nearly proportional to the rate: 530,000 h need more than 5 %
    assert 0.05 < est < 0.12
    # a second run into the same folder: one-line refusal, exit 2
    assert main(args) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_chi2_by_hand():
    values = np.array([[90.0, 10.0], [110.0, 14.0]])  # 2 replications, 2 rows
    obj, c2 = cal.chi2(values, np.array([100.0, 10.0]), 0.1)
    assert obj == pytest.approx(0.0 + 0.2**2)
    # relative values (0.9, 1.0), (1.1, 1.4): variances 0.02, 0.08, covariance 0.04, shrunk
    # halfway to 0.02; C = 0.1² I + S / 2 = [[0.02, 0.01], [0.01, 0.05]]; r = (0, 0.2):
    # r' C^-1 r = 0.2² x 0.02 / (0.02 x 0.05 - 0.01²) = 0.0008 / 0.0009
    assert c2 == pytest.approx(0.0008 / 0.0009)


def test_fitting_a_share_keeps_its_table_summing_to_one():
    sc = load(FICHE, BASE)
    fit = cal.parse_fit("flow.missions.mode_shares.direct=0.1:0.7", sc)
    assert fit.rescale
    shares = dict(cal.scenario_at(sc, [fit], [0.4]).flow.missions.mode_shares)
    assert shares["direct"] == 0.4 and sum(shares.values()) == pytest.approx(1.0)
    assert shares["etti"] == pytest.approx(0.6 * 0.6 / 0.8)  # 0.6 of the 0.8 left, scaled to 0.6


@pytest.mark.skipif(not hasattr(signal, "SIGINT"), reason="needs POSIX signals")
def test_interrupt_keeps_the_points_and_resume_finishes(tmp_path, rows):
    csv_path = tmp_path / "obs.csv"
    csv_path.write_text(
        "from_year,to_year,metric,value,source\n"
        + "".join(
            f"{r.from_year},{r.to_year},{r.metric},{r.value},x\n" for r in rows if r.to_year < 2020
        ),
        encoding="utf-8",
    )
    out = tmp_path / "c"
    args = [
        sys.executable,
        "-m",
        "sim",
        "calibrate",
        str(FICHE),
        *[a for s in [*BASE, "scenario.horizon_years=2"] for a in ("--set", s)],
        "--observed",
        str(csv_path),
        "--fit",
        FITS[1],
        "-n",
        "2",
        "-j",
        "2",
        "--out",
        str(out),
    ]
    proc = subprocess.Popen(
        args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    points = out / cal.POINTS_FILE
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (
        not points.is_file() or points.read_text(encoding="utf-8").count("\n") < 2
    ):
        time.sleep(0.05)
    assert proc.poll() is None, "the calibration ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "interrupted" in stderr and "Traceback" not in stderr
    assert "--resume" in stderr and not (out / "calibration.json").exists()
    kept = points.read_text(encoding="utf-8")
    assert kept.count("\n") >= 2
    done = subprocess.run(
        [*args, "--resume", "-q"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    final = points.read_text(encoding="utf-8")
    assert final.startswith(kept)  # nothing lost
    keys = [line.split(",", 1)[0] for line in final.splitlines()]
    assert len(keys) == len(set(keys))  # nothing redone
    assert (out / "calibration.json").is_file()


def test_calibration_workbook(fast):
    """results.xlsx of a calibration: the estimates as numbers, the fit rows by role."""
    import openpyxl

    res, out, _sc = fast
    wb = openpyxl.load_workbook(out / "results.xlsx")
    assert wb.sheetnames == ["paramètres calés", "ajustement"]
    got = {r[1].value: r for r in wb["paramètres calés"].iter_rows(min_row=2)}
    for key, p in res.parameters.items():
        assert got[key][2].value == pytest.approx(p["estimate"])
        assert got[key][7].value == ("oui" if p["identifiable"] else "non")
    fit = list(wb["ajustement"].iter_rows(min_row=2, values_only=True))
    assert len(fit) == len(res.rows) + len(res.holdout)
    assert [r[4] for r in fit[: len(res.rows)]] == pytest.approx([r["mean"] for r in res.rows])
    assert {r[-1] for r in fit[: len(res.rows)]} == {"calé"}


@pytest.mark.parametrize("address", ["not a url", "/etc/hostname", "tcp://", "http://x:1"])
def test_bad_scheduler_is_one_line_before_any_folder(tmp_path, address):
    """Checked up front, as sweep does: one line, exit 2, no folder created."""
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "calibrate",
            str(ROOT / "scenarios" / "erbm-actual-2017.toml"),
            "--observed",
            str(ROOT / "scenarios" / "observed" / "erbm-2017-2023.csv"),
            "--fit",
            "clause.insertion_rate=0.04:0.12",
            "--out",
            str(out),
            "--scheduler",
            address,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("clause-sim: error: --scheduler"), lines
    assert not out.exists()


def test_identifiability_sentence_in_both_languages():
    from sim.presentation.i18n import unidentified_sentence

    key = "flow.missions.next_mission_probability"
    assert unidentified_sentence(key, "contracts/participants", 0.8123, "en") == (
        f"The observed figures do not pin down {key}; yearly figures of contracts per "
        "participant (contracts and participants) would (rank correlation +0.81 over a Latin "
        "hypercube of the --fit ranges)."
    )
    assert unidentified_sentence(key, "participants", -0.5, "fr") == (
        f"Les chiffres observés ne fixent pas {key} ; des chiffres annuels de l'indicateur "
        "participants le fixeraient (corrélation de rang -0,50 sur un hypercube latin des plages "
        "--fit)."
    )
    assert unidentified_sentence(key, None, None, "fr").startswith(
        "Aucun total annuel du modèle ne varie avec"
    )


def test_calibration_texts_follow_the_language(fast):
    res, out, sc = fast
    fr = cal.calibration_text(res, "fr")
    en = cal.calibration_text(res, "en")
    assert "(non identifiable)" in fr and "ne peuvent pas le fixer" in fr
    assert "observé" in fr and "simulé" in fr
    for word in ("observed", "simulated", "cannot", "holdout", "would"):
        assert word not in fr, word
    assert "(not identifiable)" in en and "cannot identify it" in en and "observed" in en
    assert "ne peuvent" not in en and "observé" not in en
    # the report of a French run (the default) reads French
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "ne peuvent pas le fixer" in report and "réplications par point" in report
    assert "Échantillonnage d'importance" in report or "Échantillonnage d&#x27;importance" in report
    for word in ("cannot identify", "replications", "Sequential importance"):
        assert word not in report, word
    # calibrated.toml's comments follow the language too; the data are the same
    toml_fr, toml_en = cal.calibrated_toml(sc, res, "fr"), cal.calibrated_toml(sc, res, "en")
    assert toml_fr == (out / "calibrated.toml").read_text(encoding="utf-8")
    assert toml_fr.startswith("# Calé par clause-sim") and "lignes observées" in toml_fr
    assert toml_en.startswith("# Calibrated by clause-sim") and "observed rows" in toml_en
    for word in ("Calibrated", "fitted", "calibrated on", "IDENTIFIED", "observed rows"):
        assert word not in toml_fr, word
    for word in ("Calé", "calé", "IDENTIFIÉ", "lignes observées"):
        assert word not in toml_en, word
    assert tomllib.loads(toml_fr) == tomllib.loads(toml_en)


def test_calibrated_toml_by_hand():
    # a calibration result written by hand: the header, the fitted values and their notes
    # (what each replaced), the inline intervals, the [uncertainty] table without fitted keys
    sc = load(FICHE)
    etti, nmp = "flow.siae.posts.etti", "flow.missions.next_mission_probability"
    res = cal.Calibration(
        folder=Path("unused"),
        fits=(cal.Fit(etti, 10, 30, integer=True), cal.Fit(nmp, 0.3, 0.7)),
        parameters={
            etti: {
                "estimate": 17,
                "low": 10,
                "high": 30,
                "ci_low": 12,
                "ci_high": 24,
                "identifiable": True,
            },
            nmp: {  # more digits than the comments keep (6 significant)
                "estimate": 0.45123456,
                "low": 0.2999996,
                "high": 0.7000004,
                "ci_low": 0.31234567,
                "ci_high": 0.68765432,
                "identifiable": False,
            },
        },
        objective={},
        rows=[{}, {}, {}],
        holdout=[],
        points=0,
        seconds=0.0,
        executor="",
        data={"observed_file": "/data/obs.csv", "replications": 20, "seed": 7},
    )
    text = cal.calibrated_toml(sc, res, "en")
    lines = text.split("\n")
    assert lines[:5] == [
        f"# Calibrated by clause-sim {sim.__version__} from {sc.source}",
        "# against /data/obs.csv (3 observed rows, 20 replications a point, seed 7)",
        "#   flow.siae.posts.etti = 17: fitted in [10, 30], 95 % interval 12 to 24",
        "#   flow.missions.next_mission_probability = 0.451235: fitted in [0.3, 0.7], 95 % "
        "interval 0.312346 to 0.687654 NOT IDENTIFIED by these figures",
        "",
    ]
    data = tomllib.loads(text)
    assert data["flow"]["siae"]["posts"]["etti"] == 17
    assert data["flow"]["missions"]["next_mission_probability"] == 0.45123456
    assert etti not in data["uncertainty"] and nmp not in data["uncertainty"]
    assert "flow.referrals.per_year" in data["uncertainty"]  # the others stay
    i = lines.index("etti = 17  # calibrated on obs.csv: 95 % 12 to 24")
    assert lines[i - 2 : i] == ["[flow.siae.posts]", "# fitted on obs.csv"]  # no note of its own
    j = lines.index(
        "next_mission_probability = 0.45123456  # calibrated on obs.csv: 95 % 0.312346 to "
        "0.687654, NOT IDENTIFIED"
    )
    assert lines[j - 2 : j] == [
        "# fitted on obs.csv; the scenario had 0.5: after a mission, takes another rather than "
        "exiting:",
        "# assumption",
    ]
    # without the observed file's name; every fitted key out of [uncertainty]: no table left
    bare = cal.Calibration(**{**res.__dict__, "data": {"replications": 20, "seed": 7}})
    bare_lines = cal.calibrated_toml(sc, bare, "en").split("\n")
    assert bare_lines[1] == (
        "# against the observed file (3 observed rows, 20 replications a point, seed 7)"
    )
    assert "etti = 17  # calibrated on the observed file: 95 % 12 to 24" in bare_lines
    ranges = 'uncertainty={"flow.siae.posts.etti" = {dist = "uniform", low = 5, high = 9}}'
    only = load(None, [ranges])
    assert "uncertainty" in only.raw
    data = tomllib.loads(cal.calibrated_toml(only, res, "en"))
    assert "uncertainty" not in data and data["flow"]["siae"]["posts"]["etti"] == 17


def test_calibrated_toml_in_french_with_set_keys():
    # French words and typography; a fitted key also set with --set names the run's value
    # (what the scenario had), not the file's; another --set key says so in French
    sets = ["flow.missions.next_mission_probability=0.61234567", "clause.insertion_rate=0.06"]
    sc = load(FICHE, sets)
    nmp = "flow.missions.next_mission_probability"
    res = cal.Calibration(
        folder=Path("unused"),
        fits=(cal.Fit(nmp, 0.3, 0.7),),
        parameters={
            nmp: {
                "estimate": 0.45,
                "low": 0.3,
                "high": 0.7,
                "ci_low": 0.31,
                "ci_high": 0.69,
                "identifiable": True,
            },
        },
        objective={},
        rows=[{}],
        holdout=[],
        points=0,
        seconds=0.0,
        executor="",
        data={"observed_file": "obs.csv", "replications": 20, "seed": 7},
    )
    lines = cal.calibrated_toml(sc, res, "fr").split("\n")
    j = lines.index("next_mission_probability = 0.45  # calé sur obs.csv : 95 % de 0.31 à 0.69")
    assert lines[j - 1] == "# calé sur obs.csv ; le scénario avait 0.612346, défini par --set"
    k = lines.index("insertion_rate = 0.06")
    assert lines[k - 2].startswith("# défini par --set ; le fichier avait 0.05 : ANRU")
    lines = cal.calibrated_toml(sc, res, "en").split("\n")  # the same in English
    j = lines.index("next_mission_probability = 0.45  # calibrated on obs.csv: 95 % 0.31 to 0.69")
    assert lines[j - 1] == "# fitted on obs.csv; the scenario had 0.612346, set with --set"
    k = lines.index("insertion_rate = 0.06")
    assert lines[k - 2].startswith("# set with --set; the file had 0.05: ANRU")
    plain = load(FICHE)
    lines = cal.calibrated_toml(plain, res, "fr").split("\n")
    j = lines.index("next_mission_probability = 0.45  # calé sur obs.csv : 95 % de 0.31 à 0.69")
    assert lines[j - 2 : j] == [
        "# calé sur obs.csv ; le scénario avait 0.5 : after a mission, takes another rather than",
        "# exiting: assumption",
    ]


def test_an_interrupted_finish_leaves_no_calibration_json(rows, tmp_path, monkeypatch):
    """calibration.json is written last: there only once the folder is complete, so an interrupt
    while the other files are written leaves the points for --resume, not a half folder."""
    import sim.presentation.workbook as workbook

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(workbook, "calibration_workbook", interrupted)
    sc = load(FICHE, [*BASE, "scenario.horizon_years=2"])
    out = tmp_path / "c"
    with pytest.raises(KeyboardInterrupt):
        cal.calibrate(
            sc,
            [r for r in rows if r.to_year < 2020],
            [cal.parse_fit(FITS[1], sc)],
            out,
            replications=2,
            seed=1,
            points_per_generation=4,
            generations=1,
        )
    assert (out / "calibrated.toml").is_file() and (out / "report.html").is_file()
    assert not (out / "calibration.json").exists()
    assert (out / cal.POINTS_FILE).read_text(encoding="utf-8").count("\n") >= 2
