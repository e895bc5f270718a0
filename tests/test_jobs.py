"""The jobs layer: a scenario and options -> a results folder, with progress, cancellation and
an atomic write; the terminal's progress bars."""

from __future__ import annotations

import io
import json
import math
import multiprocessing
import threading
import time

import pytest
from conftest import FICHE

from sim import jobs
from sim import scenario as sc

SMALL = ["works[0].dwellings=2000", "scenario.horizon_years=3"]


@pytest.fixture(scope="module")
def small():
    return sc.load(FICHE, SMALL)


def test_run_writes_the_folder_and_reports_each_stage(tmp_path, small):
    calls: list[tuple[str, int, int]] = []
    options = jobs.Options(replications=3, seed=7, jobs=1, bottleneck_replications=2)
    summary = jobs.run(small, tmp_path / "r", options, progress=lambda *a: calls.append(a))
    on_disk = json.loads((tmp_path / "r" / "summary.json").read_text(encoding="utf-8"))
    assert on_disk["replications"] == summary["replications"] == 3
    assert on_disk["seed"] == 7 and "bottleneck" in on_disk
    assert (tmp_path / "r" / "report.html").is_file()
    stages = [c[0] for c in calls]
    assert stages[:3] == ["replications"] * 3
    assert [c[1] for c in calls[:3]] == [1, 2, 3] and {c[2] for c in calls[:3]} == {3}
    assert "bottleneck" in stages and stages[-2:] == ["writing", "writing"]
    assert calls[-1] == ("writing", 1, 1)


@pytest.mark.parametrize("workers", [1, 2])
def test_cancel_between_batches_leaves_nothing(tmp_path, small, workers):
    cancel = threading.Event()
    seen: list[int] = []

    def progress(stage: str, done: int, total: int) -> None:
        seen.append(done)
        cancel.set()  # after the first batch

    options = jobs.Options(replications=40, seed=1, jobs=workers, bottleneck_replications=0)
    with pytest.raises(jobs.Cancelled):
        jobs.run(small, tmp_path / "r", options, progress=progress, cancel=cancel)
    assert len(seen) == 1 and seen[0] < 40  # stopped at the next batch, not at the end
    assert list(tmp_path.iterdir()) == []  # no results folder, no temporary folder
    deadline = time.monotonic() + 10
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert multiprocessing.active_children() == []  # the workers were stopped


def test_a_cancelled_job_keeps_the_previous_results(tmp_path, small):
    target = tmp_path / "r"
    jobs.run(small, target, jobs.Options(replications=2, seed=1, jobs=1, bottleneck_replications=0))
    before = (target / "summary.json").read_bytes()
    cancel = threading.Event()
    cancel.set()
    options = jobs.Options(replications=3, seed=2, jobs=1, force=True, bottleneck_replications=0)
    with pytest.raises(jobs.Cancelled):
        jobs.run(small, target, options, cancel=cancel)
    assert (target / "summary.json").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r"]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failure_drawing_figures_stops_the_diagnosis_running_alongside(
    tmp_path, small, monkeypatch, workers
):
    from sim import output

    def broken(*_a, **_k):
        time.sleep(0.3)  # the diagnosis has started meanwhile
        raise RuntimeError("disk full")

    monkeypatch.setattr(output, "write_figures", broken)
    options = jobs.Options(replications=4, seed=1, jobs=workers, bottleneck_replications=4)
    t0 = time.monotonic()
    with pytest.raises(RuntimeError, match="disk full"):
        jobs.run(small, tmp_path / "r", options)
    names = [t.name for t in threading.enumerate()]
    assert not [n for n in names if n.startswith("clause-sim-diagnosis")], names  # ended
    assert list(tmp_path.iterdir()) == []
    assert time.monotonic() - t0 < 60


def test_figures_are_drawn_while_the_diagnosis_runs(tmp_path, small, monkeypatch):
    """The figures are drawn before the diagnosis ends: they overlap in time."""
    from sim import output
    from sim.analysis import bottleneck

    marks: dict[str, float] = {}
    real_diag, real_fig = bottleneck.diagnose, output.write_figures

    def diag(*a, **k):
        out = real_diag(*a, **k)
        marks["diagnosis_end"] = time.monotonic()
        return out

    def figs(*a, **k):
        marks["figures_start"] = time.monotonic()
        return real_fig(*a, **k)

    monkeypatch.setattr(bottleneck, "diagnose", diag)
    monkeypatch.setattr(output, "write_figures", figs)
    options = jobs.Options(replications=4, seed=1, jobs=2, bottleneck_replications=4)
    summary = jobs.run(small, tmp_path / "r", options)
    assert marks["figures_start"] < marks["diagnosis_end"]
    assert "bottleneck" in summary and (tmp_path / "r" / "figures" / "1-hours.svg").is_file()
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert "<svg" in html  # the report inlines the figures drawn alongside


def test_cancel_during_the_diagnosis_is_the_jobs_cancellation(tmp_path, small, monkeypatch):
    """Noticed by the executor inside the diagnosis or by the jobs layer, a cancellation is the
    one exception callers (the web store) catch."""
    from sim.analysis import bottleneck

    cancel = threading.Event()
    real = bottleneck.diagnose

    def cancelled_meanwhile(*a, **k):
        cancel.set()
        return real(*a, **k)

    monkeypatch.setattr(bottleneck, "diagnose", cancelled_meanwhile)
    options = jobs.Options(replications=4, seed=1, jobs=1, bottleneck_replications=4)
    with pytest.raises(jobs.Cancelled):
        jobs.run(small, tmp_path / "r", options, cancel=cancel)
    assert list(tmp_path.iterdir()) == []


def test_compare_reports_each_scenario_by_label(tmp_path, small):
    calls: list[str] = []
    other = small.with_overrides(["flow.facilitators.fte=4"])
    rows = jobs.compare(
        [small, other],
        ["a", "b"],
        tmp_path / "c",
        jobs.Options(replications=2, seed=3, jobs=1),
        progress=lambda stage, *_: calls.append(stage),
    )
    assert rows and (tmp_path / "c" / "comparison.json").is_file()
    assert calls == ["a", "a", "b", "b", "writing", "writing"]


def test_tracker_weights_sum_to_one_and_progress_is_monotone():
    options = jobs.Options(replications=10, bottleneck_replications=4)
    weights = jobs.plan(options)
    assert math.isclose(sum(weights.values()), 1.0)
    # by hand: 10 replications, 7 levers x 4, 8 for writing -> 46 units
    assert math.isclose(weights["replications"], 10 / 46)
    assert math.isclose(weights["bottleneck"], 28 / 46)
    t = jobs.Tracker(weights)
    last = 0.0
    for stage, total in (("replications", 10), ("bottleneck", 7), ("writing", 1)):
        for done in range(total + 1):
            t(stage, done, total)
            assert t.fraction >= last
            last = t.fraction
    assert math.isclose(t.fraction, 1.0)


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bars_draw_one_line_a_stage_and_nothing_when_quiet():
    tty = _Tty()
    bars = jobs.Bars(stream=tty)
    for stage in ("replications", "bottleneck"):
        for i in range(1, 3):
            bars(stage, i, 2)
    bars("writing", 0, 1)
    text = tty.getvalue()
    assert text.count("\n") == 2 and "replications [" in text and "bottleneck [" in text
    quiet = _Tty()
    q = jobs.Bars(quiet=True, stream=quiet)
    q("replications", 1, 1)
    q.close()
    assert quiet.getvalue() == ""


def test_in_terminal_turns_signals_into_exit_codes():
    def interrupted(_progress):
        raise KeyboardInterrupt

    with pytest.raises(jobs.Stopped) as info:
        jobs.in_terminal(interrupted, quiet=True, left="x left as it was")
    assert info.value.code == 130 and info.value.message == "interrupted; x left as it was"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_on_a_terminal_only():
    tty = _Tty()
    bar = jobs.ProgressBar("replications", stream=tty, min_interval=0)
    for i in range(1, 5):
        bar(i, 4)
    bar.close()
    text = tty.getvalue()
    assert "\r" in text and "4/4" in text and "100%" in text and text.endswith("\n")
    pipe = io.StringIO()
    bar = jobs.ProgressBar("replications", stream=pipe)
    bar(1, 4)
    bar.close()
    assert pipe.getvalue() == ""
    quiet = _Tty()
    jobs.ProgressBar("x", stream=quiet, enabled=False)(1, 2)
    assert quiet.getvalue() == ""


def test_progress_bar_is_throttled():
    tty = _Tty()
    bar = jobs.ProgressBar("r", stream=tty, min_interval=3600)
    for i in range(1, 101):
        bar(i, 100)
    assert tty.getvalue().count("\r") == 2  # the first draw and the final one


def test_clock():
    assert jobs._clock(0) == "0:00"
    assert jobs._clock(125.7) == "2:05"
    assert not math.isnan(float(jobs._clock(61).split(":")[1]))
