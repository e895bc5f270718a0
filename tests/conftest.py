"""Shared fixtures: where the repository and the shipped scenarios are, and a scenario builder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
FICHE = SCENARIOS / "erbm-fiche-2023.toml"


@pytest.fixture
def fiche_text() -> str:
    """The text of the shipped fiche scenario (to copy and modify in a temp folder)."""
    return FICHE.read_text(encoding="utf-8")


def build_raw(
    works: list[dict[str, Any]], *, horizon: int = 10, start_year: int = 2018, **clause: Any
) -> dict[str, Any]:
    """Raw scenario data with only what the hours engine needs; [flow] takes its defaults."""
    return {
        "scenario": {"name": "test", "start_year": start_year, "horizon_years": horizon},
        "clause": dict(clause),
        "works": [dict(w) for w in works],
    }


@pytest.fixture(scope="session")
def raw_scenario() -> Callable[..., dict[str, Any]]:
    """``raw_scenario(works, horizon=10, **clause_keys)`` -> raw scenario data."""
    return build_raw


# --------------------------------------------------------------------------------------------
# Synthetic replications (for output, plots, report and compare tests; no model needed)


def make_run(rng: Any, years: Any, *, scale: float = 1.0) -> Any:
    """One synthetic, internally consistent :class:`sim.results.Run`: flows sum over years."""
    import numpy as np

    from sim.results import MONTHLY_SERIES, TOTAL_METRICS, YEARLY_METRICS, Run
    from sim.scenario import OUTCOMES, PUBLICS

    years = np.asarray(list(years), dtype=np.int64)
    ny = years.size
    offered = np.r_[np.full(ny - 1, 131_100.0), 0.0] * scale
    realised = np.floor(offered * rng.uniform(0.6, 0.9, ny))
    direct = np.floor(realised * 0.55)
    yearly = {m: rng.uniform(0, 100, ny) for m in YEARLY_METRICS}
    yearly.update(
        {
            "hours_offered": offered,
            "hours_realised": realised,
            "hours_realised_direct": direct,
            "hours_realised_siae": realised - direct,
            "hours_lapsed": offered - realised,
            "fte_realised": realised / 1820.0,
        }
    )
    for m in (
        "referrals",
        "intakes",
        "exits",
        "positive_exits",
        "gave_up_before_intake",
        "gave_up_before_placement",
        "active_end",
    ):
        yearly[m] = rng.integers(0, 200, ny).astype(float)
    yearly["gave_up"] = yearly["gave_up_before_intake"] + yearly["gave_up_before_placement"]
    yearly["positive_exits_rsa"] = np.floor(yearly["positive_exits"] * 0.3)
    yearly["positive_exits_under_26"] = np.floor(yearly["positive_exits"] * 0.25)
    for m in YEARLY_METRICS:
        if m.startswith(("facilitator", "siae")):
            yearly[m] = rng.uniform(0.5, 1.0, ny)
    totals = {m: float(np.sum(yearly[m])) for m in YEARLY_METRICS}
    for m in YEARLY_METRICS:
        if m.startswith(("facilitator", "siae", "mean_", "p90_")) or m in ("active_mean",):
            totals[m] = float(np.mean(yearly[m]))
    totals["active_end"] = float(yearly["active_end"][-1])
    totals.update(
        {
            "hours_open_end": 0.0,
            "waiting_end": 3.0,
            "realised_share": totals["hours_realised"] / totals["hours_offered"],
            "lapsed_share": totals["hours_lapsed"] / totals["hours_offered"],
        }
    )
    for m in TOTAL_METRICS:  # bottleneck metrics and any added later
        totals.setdefault(m, float(rng.uniform(0, 1)))
    exits_by = rng.integers(0, 5, (ny, len(OUTCOMES), len(PUBLICS)))
    return Run.build(
        years=years,
        run_out=np.arange(ny) >= ny - 1,
        yearly=yearly,
        totals=totals,
        exits_by=exits_by,
        cohort_people=rng.integers(50, 200, ny),
        cohort_hours=rng.uniform(1e4, 5e4, ny),
        cohort_outcomes=rng.integers(0, 40, (ny, len(OUTCOMES))),
        monthly={s: rng.uniform(0.3, 1.0, 12 * ny) for s in MONTHLY_SERIES},
        waits={"intake": rng.exponential(40, 300), "placement": rng.exponential(90, 200)},
        events=int(rng.integers(10_000, 20_000)),
    )


def make_runs(
    n: int = 5,
    *,
    seed: int = 7,
    years: Any = range(2018, 2029),
    scenario: str = "Synthetic scenario",
    scale: float = 1.0,
) -> Any:
    """``n`` synthetic replications stacked into a :class:`sim.results.Runs`."""
    import numpy as np

    from sim.results import Runs

    rng = np.random.default_rng(seed)
    return Runs.from_runs(scenario, seed, [make_run(rng, years, scale=scale) for _ in range(n)])


@pytest.fixture
def synthetic_runs() -> Any:
    """Five synthetic replications of an 11-year run (2018-2028), consistent flows."""
    return make_runs()


HOSTILE_NAME = "<script>document.title='pwned'</script> Bassin <b>minier</b> & co"
"""A scenario name that would run a script and add markup if it were not escaped."""
HOSTILE_COMMENT = "<img src=x onerror=alert(1)>"
"""A source comment that would request a URL and run a script if it were not escaped."""


@pytest.fixture(scope="session")
def hostile_results(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any, Any]:
    """A complete results folder (figures, report) written by :func:`sim.output.write_run` from 3
    synthetic replications of the fiche scenario, renamed :data:`HOSTILE_NAME`, with
    :data:`HOSTILE_COMMENT` on ``clause.fte_hours``, the override
    ``flow.referrals.per_year=90`` and an extra ``bottleneck`` section: (folder, scenario, runs).
    """
    from sim import output
    from sim import scenario as sc

    d = tmp_path_factory.mktemp("hostile")
    text = FICHE.read_text(encoding="utf-8")
    name = 'name = "ERBM, fiche action 1 (2023): 23 000 logements à 80 000 EUR HT"'
    assert name in text
    text = text.replace(name, f'name = "{HOSTILE_NAME}"', 1)
    text = text.replace(
        "fte_hours = 1820                 #",
        f"fte_hours = 1820                 # {HOSTILE_COMMENT}",
        1,
    )
    path = d / "hostile.toml"
    path.write_text(text, encoding="utf-8")
    overrides = ["flow.referrals.per_year=90"]
    scenario = sc.load(path, overrides)
    runs = make_runs(3, scenario=scenario.name)
    from sim.analysis.bottleneck import diagnose

    diag = diagnose(scenario, runs, replications=1)  # the real section's shape and texts
    output.write_run(d / "out", runs, scenario, overrides=overrides, extra={"bottleneck": diag})
    return d / "out", scenario, runs


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Any]:
    """A real local Dask cluster (scheduler and two workers on 127.0.0.1), stopped after the
    test; see tests/dask_cluster.py."""
    from dask_cluster import Cluster, need_distributed

    need_distributed()
    c = Cluster(tmp_path)
    try:
        c.start()
        yield c
    finally:
        c.stop()
