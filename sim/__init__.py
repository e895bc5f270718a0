"""clause-sim: insertion clauses of public-works renovation programmes, from hours to people.

The importable API (the command line is a thin layer over it)::

    import sim
    scenario = sim.load_scenario()                 # the shipped fiche scenario
    sim.compute_hours(scenario).total_hours        # 1311000.0
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import ClauseSimError, ScenarioError
from .hours import HoursResult
from .hours import compute as compute_hours
from .scenario import Scenario
from .scenario import load as load_scenario

__all__ = [
    "ClauseSimError",
    "HoursResult",
    "Scenario",
    "ScenarioError",
    "__version__",
    "compute_hours",
    "load_scenario",
]
