"""Calibration on a real Dask cluster (a scheduler and two workers on 127.0.0.1, started by the
``cluster`` fixture of conftest.py) gives the same calibration.json as the local pool."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FICHE
from dask_cluster import Cluster
from test_calibrate import BASE, FITS, synthetic_rows

from sim.analysis import calibrate as cal
from sim.scenario import load

pytestmark = pytest.mark.dask


def _fit(out: Path, **where: object) -> tuple[cal.Calibration, dict[str, object]]:
    sc = load(FICHE, BASE)
    res = cal.calibrate(
        sc,
        synthetic_rows(n=8),
        [cal.parse_fit(t, sc) for t in FITS],
        out,
        replications=4,
        seed=5,
        obs_error=0.05,
        points_per_generation=8,
        generations=2,
        observed_file="synthetic.csv",
        figures=False,
        **where,  # type: ignore[arg-type]
    )
    return res, json.loads((out / "calibration.json").read_text(encoding="utf-8"))


def test_calibrate_on_dask_matches_the_local_pool(cluster: Cluster, tmp_path: Path) -> None:
    dres, dask = _fit(tmp_path / "dask", scheduler=cluster.address)
    lres, local = _fit(tmp_path / "local", jobs=2)
    assert "Dask cluster at tcp://127.0.0.1:" in dres.executor, dres.executor
    assert "Dask" not in lres.executor
    assert dres.points == lres.points > 0
    assert dask["parameters"] == local["parameters"]
    assert dask["objective"] == local["objective"]
    assert dask["rows"] == local["rows"]
