"""Benchmark the vectorised hours engine: a million variants of the fiche in one call.

    python scripts/bench_hours.py [--variants 1000000] [--repeat 5] [--seed 2023]

Draws random programmes around the fiche's values (23,000 dwellings at 80,000 EUR HT, 40 % labour,
5 % insertion, 28 EUR/h) from a seeded numpy Generator, evaluates them all with
:func:`sim.hours.fiche_variants`, repeats, and prints the best wall time and variants per second.
Target: 1,000,000 variants in under a second. Not a test: always exits 0 unless the engine no
longer reproduces the fiche.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from sim.hours import fiche_variants

TARGET_VARIANTS = 1_000_000
TARGET_SECONDS = 1.0


def draw_variants(n: int, seed: int) -> dict[str, np.ndarray]:
    """Random programmes around the fiche's values (seeded, so runs are comparable)."""
    rng = np.random.default_rng(seed)
    return {
        "dwellings": rng.integers(15_000, 30_001, size=n),
        "cost_per_dwelling_eur": rng.uniform(60_000.0, 100_000.0, size=n),
        "labour_share": rng.uniform(0.30, 0.50, size=n),
        "insertion_rate": rng.uniform(0.05, 0.10, size=n),
        "hourly_cost_eur": rng.uniform(25.0, 30.0, size=n),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=TARGET_VARIANTS)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument(
        "--rounding",
        default="floor_per_dwelling",
        choices=("none", "floor_per_dwelling", "round_per_dwelling", "round_total"),
    )
    args = parser.parse_args(argv)

    # The fiche itself, as a sanity check of what is being timed.
    fiche_hours = float(fiche_variants(23_000, 80_000, 0.40, 0.05, 28.0)[0])
    if fiche_hours != 1_311_000:
        print(f"the engine no longer reproduces the fiche: {fiche_hours} h", file=sys.stderr)
        return 1

    t0 = time.perf_counter()
    v = draw_variants(args.variants, args.seed)
    draw_s = time.perf_counter() - t0

    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        hours, _fte, per_year = fiche_variants(
            v["dwellings"],
            v["cost_per_dwelling_eur"],
            v["labour_share"],
            v["insertion_rate"],
            v["hourly_cost_eur"],
            rounding=args.rounding,
        )
        times.append(time.perf_counter() - t0)
    best = min(times)

    rate = args.variants / best
    print(f"fiche_variants, rounding={args.rounding}, seed={args.seed}")
    print(f"  variants        {args.variants:>14,}")
    print(f"  drawing them    {draw_s:>14.3f} s (not timed below)")
    print(f"  runs            {args.repeat:>14}  ({', '.join(f'{t:.3f}' for t in times)} s)")
    print(f"  best wall time  {best:>14.4f} s")
    print(f"  variants/s      {rate:>14,.0f}")
    print(
        f"  hours           mean {hours.mean():,.0f}, min {hours.min():,.0f}, "
        f"max {hours.max():,.0f}; FTE a year mean {per_year.mean():.1f}"
    )
    met = rate * TARGET_SECONDS >= TARGET_VARIANTS
    print(
        f"target ({TARGET_VARIANTS:,} variants in under {TARGET_SECONDS:g} s): "
        f"{'met' if met else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
