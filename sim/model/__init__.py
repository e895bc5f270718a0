"""The beneficiary-flow model: a discrete-event simulation (times in days, a year is 365 days).

One module per mechanism, each stating its rule and units:

* :mod:`~sim.model.referrals`: people referred (Poisson, by public and eligibility criteria),
  tapered in the run-out years;
* :mod:`~sim.model.intake`: the facilitators' caseload, the intake queue and patience;
* :mod:`~sim.model.preparation`: preparatory step and barriers (mobility, childcare);
* :mod:`~sim.model.matching`: offers released by the works, matching, fallback of SIAE offers,
  expiry and lapse blame;
* :mod:`~sim.model.posts`: SIAE posts, held in FTE by missions;
* :mod:`~sim.model.parcours`: missions, next mission or exit, outcomes;
* :mod:`~sim.model.recorder`: what is counted and the :class:`~sim.results.Run` built from it;
* :mod:`~sim.model.engine`: the event loop (its own heaps; a SimPy twin for the tests);
* :mod:`~sim.model.flow`: the components put together;
* :mod:`~sim.model.native`: the same model compiled to C, used when it is built (bit-identical).

The works schedule (operations and their offers) is :mod:`sim.schedule`. Conservation of people
and hours is checked at the end of every replication (:class:`sim.errors.ConservationError`).
"""

from __future__ import annotations

from ..results import Run
from ..scenario import Scenario
from ..streams import DEFAULT_SEED, replication_seed
from .engine import collector_paused
from .flow import FlowModel
from .native import status

COMPILED, MODEL_STATUS = status()
"""The compiled ``FlowModel`` (``None``: not built, or built from other sources) and, in a few
words, which model :func:`simulate` runs."""


def simulate(scenario: Scenario, seed: int = DEFAULT_SEED, replication: int = 0) -> Run:
    """Run one replication of the flow model.

    Parameters
    ----------
    scenario : the validated scenario
    seed : root seed; replication ``i`` uses ``SeedSequence(seed).spawn(n)[i]``
    replication : the replication's index

    Returns
    -------
    Run
        Yearly metrics, totals, cohorts and waits (days) of the replication.
    """
    with collector_paused():  # set-up, run and results: no cycle needs collecting
        model = COMPILED or FlowModel
        return model(scenario, replication_seed(seed, replication)).simulate()


__all__ = ["MODEL_STATUS", "FlowModel", "simulate"]
