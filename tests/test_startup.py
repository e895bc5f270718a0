"""Start-up: ``clause-sim hours`` loads neither scipy.stats, matplotlib nor Dask (they are
imported where used); ``python -X importtime`` measures the rest (scripts/bench.py)."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("scipy.stats", "matplotlib", "distributed", "asyncio")

CHECK = """
import contextlib, io, sys
from sim import cli
with contextlib.redirect_stdout(io.StringIO()) as out:
    code = cli.main(["hours"])
assert code == 0 and "ETP" in out.getvalue(), out.getvalue()
print(",".join(m for m in {heavy!r} if m in sys.modules))
"""


def test_hours_command_does_not_import_heavy_modules():
    proc = subprocess.run(
        [sys.executable, "-c", CHECK.format(heavy=HEAVY)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


def test_statistics_load_scipy_special_when_used_not_scipy_stats():
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, numpy as np; from sim.results import describe; "
            "s = describe(np.array([1.0, 2.0, 3.0])); "
            "print('scipy.special' in sys.modules, 'scipy.stats' in sys.modules, "
            "round(s.ci_high, 6))",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    # mean 2, sd 1, n 3: 2 + t(0.975, 2) / sqrt(3) with t = 4.302653 (tables)
    assert proc.stdout.split() == ["True", "False", f"{2 + 4.302653 / 3**0.5:.6f}"]
