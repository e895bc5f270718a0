"""Benchmark: `clause-sim calibrate` of 3 parameters, 20 replications a point, on 2 cores.

Fits the shipped ERBM scenario (scenarios/erbm-actual-2017.toml) to the shipped observed
figures (scenarios/observed/erbm-2017-2023.csv) on three keys, as a planner would:

* ``clause.insertion_rate`` in 0.04-0.12 (identified by the hours realised),
* ``flow.missions.hours.mean`` in 500-1400 h (identified by hours per contract),
* ``flow.missions.next_mission_probability`` in 0.2-0.8 (a people-side parameter the
  published ERBM figures do not identify),

with 20 replications a candidate point on a local pool of 2 worker processes, and prints the
wall time, the points and replications run, and the estimates. Target: under 5 minutes.
Usage::

    python scripts/bench_calibrate.py [--replications 20] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from sim.analysis import calibrate as cal
from sim.observed import read
from sim.scenario import load

ROOT = Path(__file__).resolve().parent.parent
FITS = (
    "clause.insertion_rate=0.04:0.12",
    "flow.missions.hours.mean=500:1400",
    "flow.missions.next_mission_probability=0.2:0.8",
)
TARGET_S = 300.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", "-n", type=int, default=20)
    ap.add_argument("--jobs", "-j", type=int, default=2)
    args = ap.parse_args()
    scenario = load(ROOT / "scenarios" / "erbm-actual-2017.toml")
    csv = ROOT / "scenarios" / "observed" / "erbm-2017-2023.csv"
    rows = read(csv)
    fits = [cal.parse_fit(f, scenario) for f in FITS]
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        res = cal.calibrate(
            scenario,
            rows,
            fits,
            Path(tmp) / "c",
            replications=args.replications,
            jobs=args.jobs,
            observed_file=str(csv.relative_to(ROOT)),
            figures=True,
        )
        wall = time.perf_counter() - start
    reps = (res.points + 1) * args.replications
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores visible, jobs {args.jobs}")
    print(f"points evaluated: {res.points} (+1 at the estimate), {reps} replications")
    print(f"wall time: {wall:.1f} s ({reps / wall:.1f} replications/s); target < {TARGET_S:.0f} s")
    for key, p in res.parameters.items():
        tag = "" if p["identifiable"] else "  not identifiable"
        print(f"  {key} = {p['estimate']:.4g} [{p['ci_low']:.4g}, {p['ci_high']:.4g}]{tag}")
    print("PASS" if wall < TARGET_S else "FAIL: slower than the target")
    return 0 if wall < TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
