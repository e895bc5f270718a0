"""sim.output: the results folder, written atomically, whose files agree with each other."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import numpy as np
import pytest
from conftest import FICHE, make_runs

from sim import output
from sim import scenario as sc
from sim.errors import ClauseSimError
from sim.output import OutputError
from sim.presentation import plots, tables
from sim.results import FLOW_METRICS, KEY_METRICS, TOTAL_METRICS, YEARLY_METRICS

STAT_KEYS = {"mean", "ci_low", "ci_high", "p05", "p95"}
FAST = {"figures": False, "report": False}  # tables only: the figures are tested elsewhere


@pytest.fixture(scope="module")
def fiche() -> sc.Scenario:
    return sc.load(FICHE)


@pytest.fixture(scope="module")
def runs(hostile_results):
    """The 3 synthetic replications behind the shared results folder (see conftest)."""
    return hostile_results[2]


@pytest.fixture(scope="module")
def small(fiche):
    """Three replications of three years: quick to write (atomicity tests)."""
    return make_runs(3, years=range(2018, 2021), scenario=fiche.name)


@pytest.fixture(scope="module")
def folder(hostile_results) -> Path:
    """A complete results folder written from synthetic replications (see conftest)."""
    return hostile_results[0]


def _stray(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name]


# --------------------------------------------------------------------------------------------
# What the folder holds


def test_folder_layout(folder):
    names = {p.name for p in folder.iterdir()}
    assert {
        "summary.json",
        "yearly.csv",
        "replications.csv",
        "monthly.csv",
        "waits.csv",
        "scenario.toml",
        "figures",
        "report.html",
    } <= names
    figs = sorted(p.name for p in (folder / "figures").iterdir())
    assert len([f for f in figs if f.endswith(".png")]) == len(plots.RUN_FIGURES)
    assert len([f for f in figs if f.endswith(".svg")]) == len(plots.RUN_FIGURES)
    assert not _stray(folder.parent)


def test_summary_has_required_fields(folder, runs):
    s = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert s["scenario"] == runs.scenario
    assert s["seed"] == runs.seed
    assert s["replications"] == 3
    assert s["clause_hours_total"] == 1_311_000
    assert s["fte_hours"] == 1820
    assert s["version"]
    for m in KEY_METRICS:
        assert set(s[m]) == STAT_KEYS, m
    assert len(s["years"]) == len(runs.years)
    for row in s["years"]:
        for m in KEY_METRICS:
            assert set(row[m]) == STAT_KEYS
    # the clause's figure per year over the horizon, none in the run-out year
    assert [y["clause_hours"] for y in s["years"]] == [131_100.0] * 10 + [None]
    # extra sections are merged: the bottleneck diagnosis, with a sentence in both languages
    assert s["bottleneck"]["sentence_fr"] and s["bottleneck"]["sentence_en"]
    assert {c["constraint"] for c in s["bottleneck"]["constraints"]} >= {
        "referrals",
        "facilitators",
        "works_timing",
        "siae_etti",
    }
    assert s["overrides"] == ["flow.referrals.per_year=90"]


def test_summary_totals_equal_means_of_replications(folder):
    s = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    reps = output.read_csv(folder / "replications.csv")
    assert reps["replication"].tolist() == list(range(3))
    for m in TOTAL_METRICS:
        assert s[m]["mean"] == pytest.approx(float(np.mean(reps[m])), rel=1e-12, abs=1e-9), m


def test_summary_totals_equal_sums_of_yearly_rows(folder):
    s = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    yearly = output.read_csv(folder / "yearly.csv")
    for m in FLOW_METRICS:
        assert s[m]["mean"] == pytest.approx(float(yearly[f"{m}_mean"].sum()), rel=1e-9), m


def test_yearly_csv_matches_summary_years(folder):
    s = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    yearly = output.read_csv(folder / "yearly.csv")
    assert yearly["year"].tolist() == [y["year"] for y in s["years"]]
    for m in YEARLY_METRICS:
        for k in ("mean", "ci_low", "ci_high"):
            col = yearly[f"{m}_{k}"]
            want = np.array([np.nan if y[m][k] is None else y[m][k] for y in s["years"]])
            np.testing.assert_array_equal(col, want)


def test_yearly_columns_names(runs):
    cols = tables.yearly_columns(runs)
    assert next(iter(cols)) == "year"
    for m in YEARLY_METRICS:
        assert {f"{m}_mean", f"{m}_ci_low", f"{m}_ci_high"} <= set(cols)
    assert np.isnan(cols["clause_hours"]).all()  # no hours engine given


def test_scenario_toml_is_the_scenario_as_run(tmp_path, small):
    s = sc.load(FICHE, ["flow.referrals.per_year=40", "clause.insertion_rate=0.07"])
    output.write_run(tmp_path / "r", small, s, overrides=["flow.referrals.per_year=40"], **FAST)
    text = (tmp_path / "r" / "scenario.toml").read_text(encoding="utf-8")
    assert text.startswith("# Scénario tel que simulé par clause-sim")  # French, the default
    assert "\n# Pour le relancer : clause-sim run scenario.toml --seed " in text
    english = output.scenario_toml(s, ["flow.referrals.per_year=40"], 3, 5, lang="en")
    assert english.split("\n")[1:3] == [
        "# with --set flow.referrals.per_year=40",
        "# Re-run: clause-sim run scenario.toml --seed 3 --replications 5",
    ]
    assert tomllib.loads(english) == tomllib.loads(text)
    again = sc.load(tmp_path / "r" / "scenario.toml")
    assert again.raw == s.raw
    assert tomllib.loads(text)["flow"]["referrals"]["per_year"] == 40


def test_csv_round_trip_is_exact(tmp_path):
    cols = {"a": np.array([0.1 + 0.2, 1e-300, 2.0, np.nan, 131100.0]), "b": np.arange(5.0)}
    output.write_csv(tmp_path / "x.csv", cols)
    back = output.read_csv(tmp_path / "x.csv")
    np.testing.assert_array_equal(back["a"], cols["a"])
    assert (tmp_path / "x.csv").read_text().splitlines()[1] == "0.30000000000000004,0"


def test_wait_columns_are_shares(runs):
    cols = tables.wait_columns(runs)
    assert cols["intake_share"].sum() == pytest.approx(1.0)
    assert cols["placement_share"].sum() == pytest.approx(1.0)
    assert cols["intake_count"].sum() == runs.waits["intake"].size
    np.testing.assert_array_equal(cols["bin_low_days"][1:], cols["bin_high_days"][:-1])


def test_summary_text(folder, fiche):
    s = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    fr = output.summary_text(s, fiche, "fr", folder)
    assert "1\u202f311\u202f000 h" in fr and "72,0 ETP/an" in fr
    for word in (
        "Heures réalisées",
        "ETP réalisés",
        "IC 95 %",
        "perdues",
        "Sorties positives",
        "BRSA",
        "Ressource la plus chargée",
    ):
        assert word in fr
    en = output.summary_text(s, fiche, "en")
    for word in (
        "Hours realised",
        "FTE realised",
        "95% CI",
        "lapsed",
        "Positive exits",
        "Busiest resource",
        "1,311,000 h",
    ):
        assert word in en


def test_busiest_resource_skips_siae_types_without_posts(fiche):
    s = {
        "facilitator_utilisation": {"mean": 0.5},
        "siae_occupancy_etti": {"mean": 0.9},
        "siae_occupancy_ai": {"mean": 0.95},
    }
    assert tables.busiest_resource(s) == ("siae_ai", 0.95)
    no_ai = fiche.with_overrides(["flow.siae.posts.etti=3", "flow.siae.posts.ai=0"])
    assert tables.busiest_resource(s, no_ai) == ("siae_etti", 0.9)


# --------------------------------------------------------------------------------------------
# Atomic writing


def test_refuses_a_non_empty_folder(tmp_path, small, fiche):
    target = tmp_path / "r"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="not empty"):
        output.write_run(target, small, fiche)
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
    assert not _stray(tmp_path)
    assert issubclass(OutputError, ClauseSimError)  # the CLI reports it on one line, exit 2


def test_an_empty_folder_is_used(tmp_path, small, fiche):
    (tmp_path / "r").mkdir()
    output.write_run(tmp_path / "r", small, fiche, **FAST)
    assert (tmp_path / "r" / "summary.json").is_file()
    assert not _stray(tmp_path)


def test_force_replaces_a_previous_results_folder(tmp_path, small, fiche):
    target = tmp_path / "r"
    output.write_run(target, small, fiche, **FAST)
    (target / "waits.csv").unlink()  # a file it wrote, gone: still its folder
    output.write_run(target, make_runs(2, years=range(2018, 2021)), fiche, force=True, **FAST)
    assert json.loads((target / "summary.json").read_text())["replications"] == 2
    assert (target / output.MANIFEST).is_file()
    assert not _stray(tmp_path)


@pytest.mark.parametrize("foreign", ["thesis.docx", "photos/", "photos/x.jpg"])
def test_force_never_deletes_a_file_it_did_not_write(tmp_path, small, fiche, foreign):
    target = tmp_path / "r"
    output.write_run(target, small, fiche, **FAST)
    path = target / foreign
    if foreign.endswith("/"):
        path.mkdir()
    else:
        path.parent.mkdir(exist_ok=True)
        path.write_text("precious")
    before = sorted(p.relative_to(target).as_posix() for p in target.rglob("*"))
    with pytest.raises(OutputError, match="which clause-sim did not write") as info:
        output.write_run(target, small, fiche, force=True, **FAST)
    assert foreign.split("/")[0] in str(info.value) and "\n" not in str(info.value)
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*")) == before


def test_force_refuses_a_folder_whose_summary_json_is_not_ours(tmp_path, small, fiche):
    # a summary.json alone no longer makes a results folder: the manifest does
    target = tmp_path / "D"
    target.mkdir()
    (target / "summary.json").write_text("{}")
    (target / "thesis.docx").write_text("precious")
    with pytest.raises(OutputError, match=r"no \.clause-sim\.json"):
        output.write_run(target, small, fiche, force=True, **FAST)
    assert (target / "thesis.docx").read_text() == "precious"


def test_force_never_replaces_a_folder_that_is_not_results(tmp_path, small, fiche):
    target = tmp_path / "project"
    target.mkdir()
    (target / "thesis.tex").write_text("precious")
    with pytest.raises(OutputError, match="not a clause-sim results folder"):
        output.write_run(target, small, fiche, force=True)
    assert (target / "thesis.tex").read_text() == "precious"


def test_force_never_replaces_the_current_folder(tmp_path, small, fiche, monkeypatch):
    (tmp_path / "summary.json").write_text("{}")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputError, match="current folder"):
        output.check_target(Path("."), force=True)


def test_target_that_is_a_file(tmp_path, small, fiche):
    (tmp_path / "r").write_text("x")
    with pytest.raises(OutputError, match="not a folder"):
        output.write_run(tmp_path / "r", small, fiche, force=True)


@pytest.mark.parametrize("exc", [RuntimeError("plot failed"), KeyboardInterrupt()])
@pytest.mark.parametrize("existing", [False, True])
def test_a_failure_leaves_the_target_untouched(tmp_path, small, fiche, monkeypatch, exc, existing):
    target = tmp_path / "r"
    if existing:
        output.write_run(target, small, fiche, **FAST)
        before = {p.name: p.read_bytes() for p in target.iterdir() if p.is_file()}

    from sim.presentation import plots

    def boom(*_a, **_k):
        raise exc

    monkeypatch.setattr(plots, "run_figures", boom)
    with pytest.raises(type(exc)):
        output.write_run(target, small, fiche, force=True)
    if existing:
        assert {p.name: p.read_bytes() for p in target.iterdir() if p.is_file()} == before
    else:
        assert not target.exists()
    assert not _stray(tmp_path)


def test_a_failure_removes_the_parent_folders_it_made(tmp_path, small, fiche, monkeypatch):
    from sim.presentation import plots

    def boom(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(plots, "run_figures", boom)
    with pytest.raises(KeyboardInterrupt):
        output.write_run(tmp_path / "results" / "deep" / "r", small, fiche)
    assert list(tmp_path.iterdir()) == []


def test_no_waits_recorded(fiche):
    import dataclasses

    from sim.presentation import plots

    runs = dataclasses.replace(make_runs(2, years=range(2018, 2021)), waits={})
    cols = tables.wait_columns(runs)
    assert cols["intake_share"].sum() == 0 and cols["placement_count"].sum() == 0
    fig, _data = plots.waits_figure(runs, None, "fr")
    assert "aucune attente" in " ".join(t.get_text() for t in fig.axes[0].get_legend().texts)


def test_folder_permissions_follow_the_umask(tmp_path, small, fiche):
    output.write_run(tmp_path / "r", small, fiche, **FAST)
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "r").stat().st_mode & 0o777 == 0o777 & ~mask


def test_one_replication_has_no_interval(fiche):
    one = make_runs(1, years=range(2018, 2021), scenario=fiche.name)
    s = output.build_summary(one, fiche)
    text = output.summary_text(s, fiche)
    assert "1 réplication," in text and "IC 95" not in text and "–" not in text
    assert tables.replications_text(200, "fr") == "200 réplications"
    assert tables.replications_text(1000, "en") == "1,000 replications"


def test_busiest_resource_is_a_caseload_with_no_slot(fiche):
    s = {"facilitator_utilisation": {"mean": None}, "siae_occupancy_etti": {"mean": 0.2}}
    assert tables.busiest_resource(s) == ("siae_etti", 0.2)
    no_caseload = fiche.with_overrides(["flow.facilitators.fte=0"])
    assert tables.busiest_resource(s, no_caseload) == ("facilitators", 1.0)


def test_scenario_toml_header_by_hand():
    # every line of the header, in both languages: the version and source, the --set list as
    # given, placeholders when seed and replications are not known; a line break in the
    # source's name cannot end the comment
    import dataclasses

    import sim

    s = dataclasses.replace(sc.load(FICHE), source="dir\nname.toml")
    sets = ["flow.referrals.per_year=40", "clause.insertion_rate=0.07"]
    en = output.scenario_toml(s, sets, lang="en").split("\n")
    assert en[:4] == [
        f"# Scenario as run by clause-sim {sim.__version__}, from dir name.toml",
        "# with --set flow.referrals.per_year=40 --set clause.insertion_rate=0.07",
        "# Re-run: clause-sim run scenario.toml --seed SEED --replications N (see summary.json)",
        "",
    ]
    fr = output.scenario_toml(s, [], 7, 20, lang="fr").split("\n")
    assert fr[:3] == [
        f"# Scénario tel que simulé par clause-sim {sim.__version__} ; fichier : dir name.toml",
        "# Pour le relancer : clause-sim run scenario.toml --seed 7 --replications 20",
        "",
    ]
