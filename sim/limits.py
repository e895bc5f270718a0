"""Limits on the work a command may start: refused with one line before any is done.

A replication simulates the people referred and the missions released; its cost (time and
memory) grows with their number, the *work units* of :func:`units_per_replication`. A command
whose estimate passes :data:`MAX_WORK` units is refused (``--max-work`` raises the ceiling);
one replication passing :data:`MAX_UNITS_PER_REPLICATION` is refused whatever the ceiling, for
it would not fit in memory.
"""

from __future__ import annotations

import math

from .errors import ClauseSimError
from .scenario import Scenario

MAX_REPLICATIONS = 100_000
"""Most replications a command runs (a run, a level of size, a point of a sweep)."""
MAX_WORK = 2e8
"""Default ceiling of a command's work units: about two hours on one core."""
MAX_UNITS_PER_REPLICATION = 4e6
"""Most people plus missions in one replication (memory: about 0.5 kB each, so about 2 GiB;
``scripts/bench_work_units.py`` measures it)."""
SECONDS_PER_UNIT = 40e-6
"""Cost of a work unit on one core (s), measured by ``scripts/bench_work_units.py``: for the
estimate in the message only."""


class WorkError(ClauseSimError):
    """A command would do more work than allowed."""


def units_per_replication(scenario: Scenario) -> float:
    """People referred plus missions released in one replication of ``scenario`` (an estimate:
    the mean referrals over horizon and run-out, the clause hours cut into missions of the mean
    size)."""
    from .hours import compute

    f = scenario.flow
    years = scenario.horizon_years + f.run_out_years
    people = sum(f.referrals_per_year) * years / scenario.horizon_years
    mission = max(f.missions.hours.mean, f.missions.min_hours, 1.0)
    missions = compute(scenario).total_hours / mission
    return float(people + missions)


def check_replications(n: int, what: str = "--replications") -> int:
    """``n`` if it is within :data:`MAX_REPLICATIONS`, else a one-line error."""
    if n > MAX_REPLICATIONS:
        raise WorkError(
            f"{what}: at most {MAX_REPLICATIONS:,} replications (the 95 % intervals stop "
            f"narrowing long before), got {_big(n)}"
        )
    return n


def check_work(
    units: float, replications: float, max_work: float | None = None, what: str = "this run"
) -> float:
    """Refuse ``replications`` of ``units`` each above the ceiling; return the total units."""
    ceiling = MAX_WORK if max_work is None else max_work
    if not math.isfinite(units) or units > MAX_UNITS_PER_REPLICATION:
        raise WorkError(
            f"{what}: one replication would simulate about {_big(units)} people and "
            f"missions, more than the {MAX_UNITS_PER_REPLICATION:,.0f} that fit in memory; "
            f"check the scenario's sizes"
        )
    total = units * replications
    if total > ceiling:
        hours = total * SECONDS_PER_UNIT / 3600
        raise WorkError(
            f"{what}: about {_big(total)} work units (people and missions x replications, "
            f"~{hours:,.1f} h on one core), above the ceiling of {ceiling:,.0f}; "
            f"fewer replications, or --max-work {_big(total * 1.01)} to run it anyway"
        )
    return total


def _big(x: float) -> str:
    if isinstance(x, int) and x.bit_length() > 60:
        return f"{len(str(x))}-digit number"
    return f"{x:,.0f}" if abs(x) < 1e15 else f"{x:.3g}"


def max_work_arg(text: str) -> float:
    """Parse ``--max-work`` (a positive number of work units)."""
    import argparse

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value
