"""The examples run as they are shipped (the notebook in percent format, run as a script)."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT


def test_quickstart_notebook_runs(tmp_path):
    env = dict(os.environ, CLAUSE_SIM_EXAMPLE_OUT=str(tmp_path), CLAUSE_SIM_EXAMPLE_N="4")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    # the deterministic figure, by hand: 2,000 dwellings x 57 h
    assert lines[0] == "114,000 insertion hours, 62.6 FTE"
    assert lines[1].startswith("hours realised: ")
    assert "30 ETTI posts instead of" in lines[2] and " h realised (95 % CI " in lines[2]
    assert (tmp_path / "hours.png").stat().st_size > 10_000
    assert (tmp_path / "hours.svg").is_file()
