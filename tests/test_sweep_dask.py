"""A sweep on a real Dask cluster (a scheduler and two workers on 127.0.0.1, started here): one
worker is killed midway, the sweep finishes, and its table equals the local executor's."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from dask_cluster import Cluster, need_distributed

import sim.analysis.sweep as sw

pytestmark = pytest.mark.dask

SWEEP = """
[sweep]
name = "dask test"
design = "grid"
replications = 8
seed = 11
batch = 2
outputs = ["hours_realised", "lapsed_share", "positive_exits"]
[sweep.parameters]
"flow.facilitators.fte" = [2.0, 3.0]
"flow.siae.posts.etti" = [15, 25]
"""
"""4 points x 8 replications of the fiche scenario in tasks of 2 (16 tasks of ~0.25 s)."""


def test_sweep_on_dask_survives_a_lost_worker(cluster: Cluster, tmp_path: Path) -> None:
    s = tmp_path / "sweep.toml"
    s.write_text(SWEEP, encoding="utf-8")
    out = tmp_path / "dask"
    result: dict[str, object] = {}

    def run() -> None:
        try:
            result["r"] = sw.run_sweep(s, out, scheduler=cluster.address, figures=False)
        except BaseException as exc:  # reported by the main thread
            result["error"] = exc

    th = threading.Thread(target=run, daemon=True)
    th.start()
    points = out / "points.csv"
    deadline = time.monotonic() + 60
    while not (points.exists() and points.read_text().count("\n") >= 2):  # header + a row
        assert th.is_alive() or "r" in result, result.get("error")
        assert time.monotonic() < deadline, "no point finished on the cluster in 60 s"
        time.sleep(0.01)
    rows_at_kill = points.read_text().count("\n") - 1
    cluster.kill_worker(0)
    th.join(timeout=120)
    assert not th.is_alive(), "the sweep did not finish after a worker was lost"
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    res = result["r"]
    assert isinstance(res, sw.SweepResult)
    assert res.ran == 4 and rows_at_kill < 4, "the worker was killed after the sweep ended"
    assert "Dask cluster at tcp://127.0.0.1:" in res.executor
    # one row per point, none duplicated by the rerun of the lost tasks
    lines = points.read_text().splitlines()
    assert len(lines) == 5 and len({line.split(",")[0] for line in lines[1:]}) == 4

    local = tmp_path / "local"
    sw.run_sweep(s, local, jobs=1, figures=False)
    assert (out / "table.csv").read_text() == (local / "table.csv").read_text()
    sens = json.loads((out / "sensitivity.json").read_text())
    assert sens == json.loads((local / "sensitivity.json").read_text())


def test_unreachable_scheduler_is_one_line(tmp_path: Path) -> None:
    need_distributed()
    s = tmp_path / "sweep.toml"
    s.write_text(SWEEP, encoding="utf-8")
    import socket

    with socket.socket() as sock:  # a free port on 127.0.0.1 that nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    p = sw.plan(s)
    with pytest.raises(sw.SweepError, match="cannot reach the Dask scheduler") as e:
        sw.DaskCluster(f"tcp://127.0.0.1:{port}", timeout=2.0)
    assert "\n" not in str(e.value)
    assert len(p.points) == 4


def _sweep_in_thread(
    s: Path, out: Path, address: str, **kw: object
) -> tuple[threading.Thread, dict]:
    result: dict[str, object] = {}

    def run() -> None:
        try:
            result["r"] = sw.run_sweep(s, out, scheduler=address, figures=False, **kw)
        except BaseException as exc:
            result["error"] = exc

    th = threading.Thread(target=run, daemon=True)
    th.start()
    points = out / "points.csv"
    deadline = time.monotonic() + 60
    while not (points.exists() and points.read_text().count("\n") >= 2):
        assert th.is_alive(), result
        assert time.monotonic() < deadline, "no point finished on the cluster in 60 s"
        time.sleep(0.01)
    return th, result


BIG_SWEEP = SWEEP.replace("[2.0, 3.0]", "[2.0, 3.0, 4.0, 5.0, 6.0, 7.0]").replace(
    "replications = 8", "replications = 16"
)


def test_lost_scheduler_is_one_line_suggesting_resume(cluster: Cluster, tmp_path: Path) -> None:
    s = tmp_path / "sweep.toml"
    s.write_text(BIG_SWEEP, encoding="utf-8")
    th, result = _sweep_in_thread(s, tmp_path / "out", cluster.address)
    os.killpg(cluster.procs[0].pid, signal.SIGKILL)  # the scheduler, no goodbye
    th.join(timeout=90)
    assert not th.is_alive(), "the sweep hangs after its scheduler was lost"
    err = result.get("error")
    assert isinstance(err, sw.SweepError), result
    assert "Dask scheduler" in str(err) and "--resume" in str(err) and "\n" not in str(err)


def test_a_cluster_without_workers_is_one_line(cluster: Cluster, tmp_path: Path) -> None:
    s = tmp_path / "sweep.toml"
    s.write_text(BIG_SWEEP, encoding="utf-8")
    th, result = _sweep_in_thread(s, tmp_path / "out", cluster.address, worker_timeout=3.0)
    cluster.kill_worker(0)
    cluster.kill_worker(1)
    th.join(timeout=90)
    assert not th.is_alive(), "the sweep waits forever without workers"
    err = result.get("error")
    assert isinstance(err, sw.SweepError), result
    assert "no Dask worker" in str(err) and "--resume" in str(err) and "\n" not in str(err)


@pytest.mark.parametrize("address", ["not a url", "/etc/hostname", "tcp://", "http://x:1"])
def test_bad_scheduler_is_one_line_before_any_folder(tmp_path: Path, address: str) -> None:
    s = tmp_path / "sweep.toml"
    s.write_text(SWEEP, encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "sweep", str(s), "--out", str(out), "--scheduler", address],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("clause-sim: error: --scheduler"), lines
    assert not out.exists()
