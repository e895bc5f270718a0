"""Crashes end with one line or a correct result: a lost pool worker is replaced, SIGKILL of a
run leaves no orphan worker and its temporary folder is removed (and reported) by the next run,
a closed or broken stdout ends quietly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")

FAST = [
    "--set",
    "scenario.horizon_years=3",
    "--set",
    "works[0].dwellings=900",
    "--set",
    "flow.referrals.per_year=60",
    "--bottleneck-replications",
    "0",
    "-q",
]


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


def _start(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sim", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _wait_children(proc: subprocess.Popen[str], n: int, timeout: float = 30) -> set[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = _children(proc.pid)
        if len(kids) >= n:
            return kids
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError("the worker processes never started")


def test_a_killed_pool_worker_is_replaced_and_results_do_not_change(tmp_path):
    proc = _start(["run", *FAST, "-n", "60", "-j", "2", "--out", "killed"], tmp_path)
    kids = _wait_children(proc, 2)
    time.sleep(0.3)
    os.kill(min(kids), signal.SIGKILL)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    ref = subprocess.run(
        [sys.executable, "-m", "sim", "run", *FAST, "-n", "60", "-j", "1", "--out", "ref"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ref.returncode == 0, ref.stderr
    a = (tmp_path / "killed" / "replications.csv").read_bytes()
    assert a == (tmp_path / "ref" / "replications.csv").read_bytes()


def test_sigkill_leaves_no_orphan_worker_and_the_next_run_removes_its_folder(tmp_path):
    proc = _start(["run", *FAST, "-n", "400", "-j", "2", "--out", "r"], tmp_path)
    kids = _wait_children(proc, 2)
    stray = [p for p in tmp_path.iterdir() if ".tmp-" in p.name]
    assert len(stray) == 1
    proc.kill()
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(k) for k in kids):
        time.sleep(0.05)
    assert not any(_alive(k) for k in kids), "worker processes outlived their killed parent"
    assert stray[0].exists()  # left by the killed run...
    # ...a user's hidden folder of the same shape, without the manifest, is not touched
    mine = tmp_path / ".r.tmp-1-0123abcd"
    mine.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "sim", "run", *FAST, "-n", "2", "-j", "1", "--out", "r"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert not stray[0].exists()
    # one line says so (other lines may be notices, e.g. a --set key declared uncertain)
    said = [ln for ln in done.stderr.splitlines() if f"removed {stray[0]}" in ln]
    assert len(said) == 1 and said[0].startswith("clause-sim: ")
    assert mine.is_dir()


def test_broken_pipe_and_closed_stdout_end_quietly(tmp_path):
    # a reader that goes away at once: the JSON is larger than a pipe's buffer
    big = ["--set", "scenario.horizon_years=90", "--set", 'works[0].name="' + "x" * 70000 + '"']
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "hours", "--json", *big],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    proc.stdout.read(10)
    proc.stdout.close()
    err = proc.stderr.read().decode() if proc.stderr else ""
    proc.wait(timeout=60)
    assert err == "" and proc.returncode in (0, 141), (proc.returncode, err)
    closed = subprocess.run(
        [sys.executable, "-m", "sim", "hours"], stdout=subprocess.DEVNULL, stdin=None, text=True
    )
    assert closed.returncode == 0
    closed = subprocess.run(
        f"{sys.executable} -m sim hours >&-", shell=True, capture_output=True, text=True
    )
    assert closed.returncode == 0 and closed.stderr == "", closed.stderr


def test_manifest_lists_every_file_of_a_run(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "sim", "run", *FAST, "-n", "2", "-j", "1", "--out", "r"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "r"
    manifest = json.loads((folder / ".clause-sim.json").read_text())
    on_disk = sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.name != ".clause-sim.json"
    )
    assert manifest["tool"] == "clause-sim" and sorted(manifest["files"]) == on_disk
    assert "figures" in on_disk and "summary.json" in on_disk


def test_sigkill_of_a_sweep_leaves_no_orphan_worker(tmp_path):
    sweep = tmp_path / "s.toml"
    sweep.write_text(
        """
[sweep]
replications = 40
batch = 2
set = ["scenario.horizon_years=3", "works[0].dwellings=900", "flow.referrals.per_year=60"]
[sweep.parameters]
"flow.facilitators.fte" = [1.0, 2.0, 3.0, 4.0]
""",
        encoding="utf-8",
    )
    proc = _start(["sweep", str(sweep), "--out", "o", "-j", "2", "-q", "--no-figures"], tmp_path)
    kids = _wait_children(proc, 2)
    proc.kill()
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(k) for k in kids):
        time.sleep(0.05)
    assert not any(_alive(k) for k in kids), "sweep workers outlived their killed parent"
