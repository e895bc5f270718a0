"""clause-sim: insertion clauses of public-works renovation programmes, from hours to people.

The importable API (the command line is a thin layer over it)::

    import sim
    scenario = sim.load_scenario()                 # the shipped fiche scenario
    sim.compute_hours(scenario).total_hours        # 1311000.0
    run = sim.simulate(scenario, seed=1)           # one replication of the flow model
    runs = sim.replicate(scenario, n=200, seed=1)  # Monte Carlo, all cores
    runs.total_stat("hours_realised")              # mean, 95 % interval, p05, p95
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import ClauseSimError, ConservationError, ScenarioError
from .hours import HoursResult
from .hours import compute as compute_hours
from .model import simulate
from .results import Run, Runs, Stat
from .runner import replicate
from .scenario import Scenario
from .scenario import load as load_scenario

__all__ = [
    "ClauseSimError",
    "ConservationError",
    "HoursResult",
    "Run",
    "Runs",
    "Scenario",
    "ScenarioError",
    "Stat",
    "__version__",
    "compute_hours",
    "load_scenario",
    "replicate",
    "simulate",
]
