"""Cost of a work unit (prints figures; not a test): the measure behind
``sim.limits.SECONDS_PER_UNIT`` and the memory note of ``MAX_UNITS_PER_REPLICATION``.

    python scripts/bench_work_units.py

For scenarios of growing size (the fiche, more referrals, more dwellings), one replication
in this process: its work units (:func:`sim.limits.units_per_replication`), wall time, seconds
per unit and the peak memory added (tracemalloc, MiB).
"""

from __future__ import annotations

import time
import tracemalloc

from sim.limits import MAX_UNITS_PER_REPLICATION, SECONDS_PER_UNIT, units_per_replication
from sim.model import simulate
from sim.scenario import load

CASES = [
    [],
    ["flow.referrals.per_year=1000"],
    ["flow.referrals.per_year=4000"],
    ["works[0].dwellings=100000"],
    ["works[0].dwellings=200000", "flow.referrals.per_year=4000"],
]


def main() -> None:
    print(f"{'overrides':60} {'units':>9} {'s':>7} {'us/unit':>8} {'MiB':>7} {'B/unit':>7}")
    worst = worst_bytes = 0.0
    for overrides in CASES:
        sc = load(None, overrides)
        units = units_per_replication(sc)
        t = time.perf_counter()
        simulate(sc, 1, replication=0)
        dt = time.perf_counter() - t
        tracemalloc.start()  # a second pass: tracing slows the model down
        simulate(sc, 1, replication=0)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        per = dt / units
        worst = max(worst, per)
        worst_bytes = max(worst_bytes, peak / units)
        label = " ".join(overrides) or "(fiche)"
        print(
            f"{label:60} {units:9.0f} {dt:7.2f} {per * 1e6:8.1f} {peak / 2**20:7.1f} "
            f"{peak / units:7.0f}"
        )
    gib = MAX_UNITS_PER_REPLICATION * worst_bytes / 2**30
    print(
        f"\nworst {worst * 1e6:.1f} us and {worst_bytes:.0f} bytes a unit; "
        f"SECONDS_PER_UNIT = {SECONDS_PER_UNIT * 1e6:.1f} us (message only); "
        f"MAX_UNITS_PER_REPLICATION x worst bytes = {gib:.1f} GiB"
    )


if __name__ == "__main__":
    main()
