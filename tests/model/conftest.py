"""Shared small scenarios for the model's component tests."""

from __future__ import annotations

from sim.scenario import Scenario, load

SMALL = [
    "scenario.horizon_years=3",
    "works[0].dwellings=900",
    "flow.referrals.per_year=60",
]
"""About 150,000 clause hours over 3 years: a replication in a few milliseconds."""

NO_STEPS = [
    "flow.preparation.share={rsa=0, under_26=0, ase=0, other=0}",
    "flow.barriers.mobility.share={rsa=0, under_26=0, ase=0, other=0}",
    "flow.barriers.childcare.share={rsa=0, under_26=0, ase=0, other=0}",
]
"""Everyone job-ready at intake."""

ABUNDANT_PEOPLE = [
    "flow.referrals.per_year=3000",
    "flow.facilitators.fte=200",
    'flow.facilitators.patience_days="none"',
    'flow.placement.patience_days="none"',
    'flow.facilitators.max_parcours_days={dist="fixed", value=5000}',
    "flow.missions.next_mission_probability=1",
    *NO_STEPS,
]
"""People always waiting for work, never giving up: only works timing can lose hours."""

ALL_ROUTES_RATE_1 = "flow.outcomes.route_factor={direct=1, etti=1, ai=1, geiq=1, ei=1, aci=1}"


def small(*extra: str) -> Scenario:
    return load(None, [*SMALL, *extra])
