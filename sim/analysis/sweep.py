"""Sweeps: many variants of a scenario, run on a laptop or a Dask cluster, resumable point by point.

A sweep file (TOML) names a base scenario, the parameters to vary and a design::

    [sweep]
    scenario = "erbm-fiche-2023.toml"   # relative to the sweep file; the shipped one if omitted
    set = ["flow.run_out_years=1"]      # overrides applied to the base scenario (optional)
    design = "grid"                     # grid | lhs | sobol | morris
    replications = 20                   # replications per point (indices 0..n-1 of seed)
    seed = 20230612
    samples = 16                        # lhs: points; sobol: N (points = N (d + 2)); morris:
                                        # trajectories (points = N (d + 1))
    outputs = ["hours_realised", "lapsed_share", "positive_exits"]
    [sweep.parameters]
    "flow.facilitators.fte" = [2.5, 3.5, 4.5]                       # a list of values
    "flow.siae.posts.etti" = { low = 10, high = 40, step = 10 }      # a range (ends included)
    "clause.insertion_rate" = { dist = "uniform", low = 0.05, high = 0.1 }   # a distribution

Optional keys: ``name``, ``levels`` (Morris grid levels, default 4), ``batch`` (replications per
task, default: about 10). Lists and ranges work with every design (sampling designs pick among
their values); distributions (``uniform``, ``triangular``, ``integer = true`` to round) need
``lhs``, ``sobol`` or ``morris``. The points are a deterministic function of the file (the LHS
generator is seeded with ``seed``). Every point runs the same replication indices with the same
seed: common random numbers across points.

The work unit is (point, batch of replication indices), run by :func:`point_batch` (a thin
wrapper over :func:`sim.runner.run_batch` returning only the outputs' totals). Executors: the
current process (``jobs=1``), a local process pool (fork), or an existing ``dask.distributed``
cluster (``scheduler``), the executors of :mod:`sim.parallel`. A task lost with its worker is
resubmitted (:data:`sim.parallel.MAX_RETRIES` times).
Whatever the executor, the number of workers and the batch size, a point's replications are the
same numbers, gathered in replication order: the tables are identical.

Results folder::

    sweep.json        the resolved sweep (points, seed, fingerprint): what --resume checks
    sweep.toml        the sweep file as given; scenario.toml: the base scenario as run
    points.csv        one row per finished point, appended and fsync'ed as points finish:
                      point, parameter values, then <output>_mean, _ci_low, _ci_high
    table.csv         the same rows sorted by point id (written at the end)
    sensitivity.csv   indices with 95 % intervals (also sensitivity.json)
    figures/          sensitivity_<output>.png|svg (tornado or bars), scatter_<output>.png|svg

The three CSV files are in the ``--csv-dialect`` asked (``excel-fr``: UTF-8 with BOM, ``;``,
decimal commas with every digit kept, French column heads); a resumed sweep keeps the dialect its
points.csv was begun in.

Sensitivity: Sobol (first-order S1 and total ST) and Morris (mu*, sigma) indices come from SALib
(optional extra ``clause-sim[sensitivity]``). For grid and LHS designs, Spearman rank
correlations and standardised regression coefficients (SRC) of the point means on the
parameters, with 95 % percentile bootstrap intervals over the points. A parameter whose values
are not numbers is coded by its position in the list.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import hashlib
import importlib
import io
import itertools
import json
import math
import os
import re
import shutil
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__, fmt, parallel
from ..errors import ClauseSimError, ScenarioError, escape
from ..limits import MAX_REPLICATIONS
from ..output import (
    CSV_DIALECTS,
    OutputError,
    add_to_manifest,
    check_out,
    refuse_foreign,
    safe_cell,
    write_text_durably,
)
from ..parallel import Executor, ExecutorError, InProcess, LocalPool
from ..presentation import i18n
from ..results import METRICS, TOTAL_METRICS, describe
from ..runner import run_batch
from ..scenario import Scenario, load, parse_toml, read_text, toml_value
from ..streams import DEFAULT_SEED

DESIGNS = ("grid", "lhs", "sobol", "morris")
"""Designs of a sweep."""
DISTRIBUTIONS = ("uniform", "triangular")
"""Distributions a parameter may follow in the sampling designs."""
DEFAULT_OUTPUTS = ("hours_realised", "lapsed_share", "positive_exits")
"""Outputs recorded by default (per-replication totals, :data:`sim.results.TOTAL_METRICS`)."""
STATS = ("mean", "ci_low", "ci_high")
"""Statistics of each output in points.csv (mean and 95 % Student-t interval of the mean)."""
POINTS_FILE, TABLE_FILE, STATE_FILE = "points.csv", "table.csv", "sweep.json"
MAX_POINTS = 100_000
"""A sweep with more points than this is refused (a typo in a range, most likely)."""
MAX_STATE_BYTES = 64 * 1024 * 1024
"""Largest sweep.json read back by --resume (bytes)."""
BOOTSTRAP = 1000
"""Bootstrap resamples for the grid/LHS sensitivity intervals."""
SALIB_HINT = "pip install 'clause-sim[sensitivity]'"
"""How to install SALib (Sobol and Morris designs), as error messages say it."""
_SWEEP_KEYS = (
    "name",
    "scenario",
    "set",
    "design",
    "replications",
    "seed",
    "samples",
    "levels",
    "batch",
    "outputs",
    "parameters",
)


class SweepError(ClauseSimError):
    """A sweep cannot run as asked (folder, executor, lost work)."""


# --------------------------------------------------------------------------------------------
# The sweep file


@dataclass(frozen=True)
class Parameter:
    """A parameter varied by a sweep: discrete ``values`` or a distribution ``dist``.

    Attributes
    ----------
    key : the scenario key, e.g. ``flow.facilitators.fte``
    values : the values of a list or range (None for a distribution)
    dist : ``uniform`` or ``triangular`` (None for values)
    params : the distribution's ``low``, ``high`` (and ``mode``)
    integer : round the distribution's draws to whole numbers
    """

    key: str
    values: tuple[Any, ...] | None = None
    dist: str | None = None
    params: Mapping[str, float] = field(default_factory=dict)
    integer: bool = False

    @property
    def numeric(self) -> bool:
        """Whether the values are numbers (else they are coded by position)."""
        if self.values is None:
            return True
        return all(isinstance(v, int | float) and not isinstance(v, bool) for v in self.values)

    def from_unit(self, u: np.ndarray) -> list[Any]:
        """Map points of [0, 1] to values (inverse distribution function)."""
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        if self.values is not None:
            idx = np.minimum((u * len(self.values)).astype(int), len(self.values) - 1)
            return [self.values[i] for i in idx]
        p = self.params
        lo, hi = float(p["low"]), float(p["high"])
        if self.dist == "uniform":
            x = lo + u * (hi - lo)
        else:
            c = (float(p["mode"]) - lo) / (hi - lo)
            # inverse of the triangular distribution function
            x = np.where(
                u < c,
                lo + np.sqrt(u * (hi - lo) * (float(p["mode"]) - lo)),
                hi - np.sqrt((1 - u) * (hi - lo) * (hi - float(p["mode"]))),
            )
        if self.integer:
            return [round(float(v)) for v in x]
        return [float(v) for v in x]

    def code(self, value: Any) -> float:
        """A value as a number for the sensitivity analysis (its position if not a number)."""
        if self.numeric:
            return float(value)
        assert self.values is not None
        return float(self.values.index(value))


@dataclass(frozen=True)
class Sweep:
    """A validated sweep file."""

    file: str
    name: str
    scenario_file: str | None
    overrides: tuple[str, ...]
    design: str
    replications: int
    seed: int
    samples: int
    levels: int
    batch: int
    outputs: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    text: str

    @property
    def keys(self) -> tuple[str, ...]:
        """The parameters' scenario keys, in file order."""
        return tuple(p.key for p in self.parameters)


def _suggest(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _pkey(key: str) -> str:
    return f'sweep.parameters."{key}"'


def _parameter(key: str, spec: Any, file: str) -> Parameter:
    where = _pkey(key)

    def fail(msg: str, sub: str = "") -> ScenarioError:
        return ScenarioError(file, f"{where}.{sub}" if sub else where, msg)

    if isinstance(spec, list):
        if not spec:
            raise fail("the list of values is empty")
        for i, v in enumerate(spec):
            if isinstance(v, list | dict) or (isinstance(v, float) and not math.isfinite(v)):
                raise fail(f"value {i} ({v!r}): expected a number, a string or a boolean")
        if len(set(map(repr, spec))) != len(spec):
            raise fail("the list repeats a value")
        return Parameter(key, values=tuple(spec))
    if not isinstance(spec, dict):
        raise fail(
            "expected a list of values, a range {low = .., high = .., step = ..} or a "
            'distribution {dist = "uniform", low = .., high = ..}'
        )
    integer = spec.get("integer", False)
    if not isinstance(integer, bool):
        raise fail(f"expected true or false, got {integer!r}", "integer")
    if "dist" in spec:
        kind = spec["dist"]
        if kind not in DISTRIBUTIONS:
            raise fail(
                f"unknown distribution {kind!r}{_suggest(str(kind), DISTRIBUTIONS)}; "
                f"expected one of {', '.join(DISTRIBUTIONS)}",
                "dist",
            )
        needed = ("low", "high") if kind == "uniform" else ("low", "mode", "high")
        for k in spec:
            if k not in (*needed, "dist", "integer"):
                raise fail(
                    f"unknown key for {kind}{_suggest(k, needed)}; expected {', '.join(needed)}", k
                )
        for k in needed:
            if k not in spec:
                raise fail(f"{kind} needs {', '.join(needed)}; missing {k}")
            if not _is_number(spec[k]):
                raise fail(f"expected a number, got {spec[k]!r}", k)
        lo, hi = float(spec["low"]), float(spec["high"])
        if not lo < hi:
            raise fail(f"needs low < high, got low = {spec['low']}, high = {spec['high']}")
        if kind == "triangular" and not lo <= float(spec["mode"]) <= hi:
            raise fail("triangular needs low <= mode <= high")
        return Parameter(
            key, dist=kind, params={k: float(spec[k]) for k in needed}, integer=integer
        )
    if {"low", "high", "step"} <= set(spec):
        for k in spec:
            if k not in ("low", "high", "step", "integer"):
                raise fail(
                    f"unknown key for a range{_suggest(k, ('low', 'high', 'step'))}; "
                    f"expected low, high, step",
                    k,
                )
        for k in ("low", "high", "step"):
            if not _is_number(spec[k]):
                raise fail(f"expected a number, got {spec[k]!r}", k)
        low, high, step = spec["low"], spec["high"], spec["step"]
        if step <= 0:
            raise fail(f"must be positive, got {step!r}", "step")
        if high < low:
            raise fail(f"needs low <= high, got low = {low}, high = {high}")
        span = (high - low) / step
        if not span < MAX_POINTS:
            raise fail(f"more than {MAX_POINTS:,} values: too many (step too small?)")
        n = math.floor(span + 1e-9) + 1
        whole = integer or all(isinstance(v, int) for v in (low, step))
        vals = [low + k * step for k in range(n)]
        values = tuple(round(v) if whole else round(float(v), 12) for v in vals)
        return Parameter(key, values=values)
    missing = [k for k in ("low", "high", "step") if k not in spec]
    raise fail(
        f"a range needs low, high and step (missing {', '.join(missing)}); a "
        f'distribution needs dist = "uniform" or "triangular"'
    )


def _int(raw: Mapping[str, Any], key: str, default: int, file: str, minimum: int = 1) -> int:
    v = raw.get(key, default)
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int):
        raise ScenarioError(file, f"sweep.{key}", f"expected a whole number, got {v!r}")
    if v < minimum:
        raise ScenarioError(file, f"sweep.{key}", f"must be at least {minimum}, got {v}")
    return v


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep file; errors name the file, the key and what is wrong."""
    p = Path(path)
    file = str(path)
    text = read_text(p, "sweep file")
    data = parse_toml(text, file)
    for k in data:
        if k != "sweep":
            raise ScenarioError(
                file,
                k,
                f"unknown table{_suggest(k, ['sweep'])}; a sweep file has one [sweep] table",
            )
    raw = data.get("sweep")
    if not isinstance(raw, dict):
        raise ScenarioError(file, "sweep", "missing [sweep] table")
    for k in raw:
        if k not in _SWEEP_KEYS:
            raise ScenarioError(file, f"sweep.{k}", f"unknown key{_suggest(k, _SWEEP_KEYS)}")
    design = raw.get("design", "grid")
    if design not in DESIGNS:
        raise ScenarioError(
            file,
            "sweep.design",
            f"unknown design {design!r}"
            f"{_suggest(str(design), DESIGNS)}; expected "
            f"one of {', '.join(DESIGNS)}",
        )
    name = raw.get("name", p.stem)
    if not isinstance(name, str):
        raise ScenarioError(file, "sweep.name", f"expected a string, got {name!r}")
    scen = raw.get("scenario")
    if scen is not None and not isinstance(scen, str):
        raise ScenarioError(file, "sweep.scenario", f"expected a file name, got {scen!r}")
    if scen is not None:
        sp = Path(scen)
        scen = str(sp if sp.is_absolute() else (p.parent / sp))
    overrides = raw.get("set", [])
    if not isinstance(overrides, list) or not all(isinstance(o, str) for o in overrides):
        raise ScenarioError(file, "sweep.set", 'expected a list of "KEY=VALUE" strings')
    seed = raw.get("seed", DEFAULT_SEED)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ScenarioError(
            file, "sweep.seed", f"expected a non-negative whole number, got {seed!r}"
        )
    replications = _int(raw, "replications", 20, file)
    if replications > MAX_REPLICATIONS:
        raise ScenarioError(
            file,
            "sweep.replications",
            f"at most {MAX_REPLICATIONS:,} a point, got {replications:,}",
        )
    samples = _int(raw, "samples", 16, file, minimum=2)
    levels = _int(raw, "levels", 4, file, minimum=2)
    if levels > 1000:
        raise ScenarioError(file, "sweep.levels", f"at most 1,000 levels, got {levels:,}")
    if seed >= 2**64:
        raise ScenarioError(
            file, "sweep.seed", f"must be below 2**64, got a {len(str(seed))}-digit number"
        )
    batch = _int(raw, "batch", -(-replications // -(-replications // 10)), file)
    outputs = raw.get("outputs", list(DEFAULT_OUTPUTS))
    if not isinstance(outputs, list) or not outputs:
        raise ScenarioError(file, "sweep.outputs", "expected a non-empty list of metric names")
    for o in outputs:
        if o not in TOTAL_METRICS:
            raise ScenarioError(
                file, "sweep.outputs", f"unknown metric {o!r}{_suggest(str(o), TOTAL_METRICS)}"
            )
    if len(set(outputs)) != len(outputs):
        raise ScenarioError(file, "sweep.outputs", "the list repeats a metric")
    params = raw.get("parameters")
    if not isinstance(params, dict) or not params:
        raise ScenarioError(
            file,
            "sweep.parameters",
            'missing: give at least one parameter, e.g. "flow.facilitators.fte" = [2.5, 3.5]',
        )
    parameters = tuple(_parameter(k, v, file) for k, v in params.items())
    for prm in parameters:
        if design == "grid" and prm.values is None:
            raise ScenarioError(
                file,
                _pkey(prm.key),
                "a distribution needs design lhs, sobol or morris; give a list "
                "or a range for a grid",
            )
    if design == "sobol" and samples & (samples - 1):
        raise ScenarioError(
            file, "sweep.samples", f"sobol needs a power of 2 (e.g. 16, 32, 64), got {samples}"
        )
    d = len(parameters)
    n_points = {"lhs": samples, "sobol": samples * (d + 2), "morris": samples * (d + 1)}.get(
        design, 0
    )
    if n_points > MAX_POINTS:  # checked before any design is drawn
        raise ScenarioError(
            file,
            "sweep.samples",
            f"{samples:,} samples make {n_points:,} points with {d} parameter(s): too many "
            f"(at most {MAX_POINTS:,})",
        )
    if design in ("sobol", "morris"):
        try:
            import SALib  # noqa: F401
        except ImportError:
            raise ScenarioError(
                file, "sweep.design", f"design {design} needs SALib: {SALIB_HINT}"
            ) from None
        try:
            for mod in (
                "SALib.sample.sobol",
                "SALib.sample.morris",
                "SALib.analyze.sobol",
                "SALib.analyze.morris",
            ):
                importlib.import_module(mod)
        except ImportError:
            raise ScenarioError(
                file, "sweep.design", f"design {design} needs SALib 1.5 or later: {SALIB_HINT}"
            ) from None
    return Sweep(
        file=file,
        name=name,
        scenario_file=scen,
        overrides=tuple(overrides),
        design=design,
        replications=replications,
        seed=int(seed),
        samples=samples,
        levels=levels,
        batch=min(batch, replications),
        outputs=tuple(outputs),
        parameters=parameters,
        text=text,
    )


# --------------------------------------------------------------------------------------------
# Designs and plan


def _lhs(n: int, d: int, seed: int) -> np.ndarray:
    """A Latin hypercube of ``n`` points in [0, 1)^d, from a generator seeded with ``seed``."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x4C4853]))
    u = np.empty((n, d))
    for j in range(d):
        u[:, j] = (rng.permutation(n) + rng.random(n)) / n
    return u


def _problem(sweep: Sweep) -> dict[str, Any]:
    d = len(sweep.parameters)
    return {"num_vars": d, "names": list(sweep.keys), "bounds": [[0.0, 1.0]] * d}


def design_points(sweep: Sweep) -> tuple[list[tuple[Any, ...]], np.ndarray | None]:
    """The design's points (parameter values, in file order) and, for sampling designs, the
    points in the unit cube they come from."""
    params = sweep.parameters
    d = len(params)
    if sweep.design == "grid":
        assert all(p.values is not None for p in params)
        n = math.prod(len(p.values or ()) for p in params)
        if n > MAX_POINTS:
            raise ScenarioError(
                sweep.file,
                "sweep.parameters",
                f"the grid has {n} points: too many (at most {MAX_POINTS})",
            )
        return list(itertools.product(*[p.values or () for p in params])), None
    if sweep.design == "lhs":
        unit = _lhs(sweep.samples, d, sweep.seed)
    elif sweep.design == "sobol":
        from SALib.sample import sobol

        unit = sobol.sample(
            _problem(sweep), sweep.samples, calc_second_order=False, seed=sweep.seed
        )
    else:
        from SALib.sample import morris

        unit = morris.sample(
            _problem(sweep), sweep.samples, num_levels=sweep.levels, seed=sweep.seed
        )
    unit = np.asarray(unit, dtype=float)
    if unit.shape[0] > MAX_POINTS:
        raise ScenarioError(sweep.file, "sweep.samples", f"{unit.shape[0]} points: too many")
    cols = [p.from_unit(unit[:, j]) for j, p in enumerate(params)]
    return [tuple(c[i] for c in cols) for i in range(unit.shape[0])], unit


def cell(v: Any) -> str:
    """A value as written in the CSV files (floats round-trip exactly; NaN is empty)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float | np.floating):
        return "" if math.isnan(v) else repr(float(v))
    if isinstance(v, int | np.integer):
        return str(v)
    return safe_cell(str(v))  # text: never a spreadsheet formula


@dataclass(frozen=True)
class Point:
    """A point of the sweep: its id (position in the design), values and scenario."""

    id: int
    values: tuple[Any, ...]
    overrides: tuple[str, ...]
    scenario: Scenario


@dataclass(frozen=True)
class Plan:
    """A sweep resolved into scenarios, ready to run."""

    sweep: Sweep
    base: Scenario
    points: tuple[Point, ...]
    unit: np.ndarray | None
    fingerprint: str

    @property
    def header(self) -> list[str]:
        """Columns of points.csv and table.csv."""
        return ["point", *self.sweep.keys, *[f"{o}_{s}" for o in self.sweep.outputs for s in STATS]]

    @property
    def batches(self) -> list[list[int]]:
        """Replication indices of each task of a point."""
        r, b = self.sweep.replications, self.sweep.batch
        return [list(range(k, min(k + b, r))) for k in range(0, r, b)]


def plan(sweep: Sweep | str | Path) -> Plan:
    """Load the base scenario, build and validate every point's scenario."""
    sw = sweep if isinstance(sweep, Sweep) else load_sweep(sweep)
    try:
        base = load(sw.scenario_file, sw.overrides)
    except ScenarioError as exc:
        if exc.file == "--set":
            raise ScenarioError(sw.file, f"sweep.set: {exc.key}", exc.message) from None
        raise
    values, unit = design_points(sw)
    points = []
    for i, vals in enumerate(values):
        ov = tuple(f"{k}={toml_value(v)}" for k, v in zip(sw.keys, vals, strict=True))
        try:
            sc = base.with_overrides(list(ov))
        except ScenarioError as exc:
            key = next((k for k in sw.keys if exc.key == k or exc.key.startswith(k)), sw.keys[0])
            shown = ", ".join(f"{k}={toml_value(v)}" for k, v in zip(sw.keys, vals, strict=True))
            hint = " (add integer = true?)" if "whole number" in exc.message else ""
            raise ScenarioError(
                sw.file, _pkey(key), f"point {i} ({shown}): {exc.message}{hint}"
            ) from None
        points.append(Point(i, tuple(vals), ov, sc))
    finger = hashlib.sha256(
        json.dumps(
            {
                "format": 1,
                "scenario": base.to_toml(),
                "keys": list(sw.keys),
                "points": [[cell(v) for v in p.values] for p in points],
                "seed": sw.seed,
                "replications": sw.replications,
                "outputs": list(sw.outputs),
            },
            sort_keys=True,
        ).encode()
    ).hexdigest()
    return Plan(sw, base, tuple(points), unit, finger)


# --------------------------------------------------------------------------------------------
# Work unit and executors


def point_batch(
    scenario: Scenario, seed: int, indices: Sequence[int], outputs: Sequence[str]
) -> np.ndarray:
    """Run replications ``indices`` of a point and return their outputs' totals.

    Returns
    -------
    numpy.ndarray
        Shape (len(indices), len(outputs)), in the order of ``indices``.
    """
    runs = run_batch(scenario, seed, indices)
    return np.array([[r.totals[o] for o in outputs] for r in runs], dtype=float).reshape(
        len(runs), len(outputs)
    )


def _point_task(task: tuple[Scenario, int, list[int], list[str]]) -> np.ndarray:
    return point_batch(*task)


def check_scheduler(address: str) -> str:
    """Check ``--scheduler`` before anything is started (see
    :func:`sim.parallel.check_scheduler`); a :class:`SweepError` otherwise."""
    try:
        return parallel.check_scheduler(address)
    except ExecutorError as exc:
        raise SweepError(str(exc)) from None


class DaskCluster(parallel.DaskCluster):
    """:class:`sim.parallel.DaskCluster` whose start-up errors are :class:`SweepError`."""

    def __init__(
        self, address: str, timeout: float = 20.0, worker_timeout: float | None = None
    ) -> None:
        try:
            super().__init__(address, timeout, worker_timeout)
        except ExecutorError as exc:
            raise SweepError(str(exc)) from None


def executor(
    jobs: int | None = None, scheduler: str | None = None, worker_timeout: float | None = None
) -> Executor:
    """The executor for ``--scheduler`` (Dask) or ``--jobs`` (1: this process; more: a pool);
    see :func:`sim.parallel.executor`."""
    if scheduler:
        return DaskCluster(scheduler, worker_timeout=worker_timeout)
    return parallel.executor(jobs)


# --------------------------------------------------------------------------------------------
# The results folder


_OWN_FILES = (
    POINTS_FILE,
    TABLE_FILE,
    STATE_FILE,
    "sweep.toml",
    "scenario.toml",
    "sensitivity.csv",
    "sensitivity.json",
)


def _state(p: Plan) -> dict[str, Any]:
    sw = p.sweep
    return {
        "version": __version__,
        "fingerprint": p.fingerprint,
        "name": sw.name,
        "sweep_file": os.path.abspath(sw.file),
        "scenario": p.base.name,
        "scenario_file": p.base.source,
        "set": list(sw.overrides),
        "design": sw.design,
        "replications": sw.replications,
        "seed": sw.seed,
        "samples": sw.samples,
        "outputs": list(sw.outputs),
        "parameters": list(sw.keys),
        "n_points": len(p.points),
        "points": [{"point": pt.id, "overrides": list(pt.overrides)} for pt in p.points],
    }


def prepare_folder(out: str | Path, p: Plan, *, resume: bool = False, force: bool = False) -> Path:
    """Check and set up the results folder; return it.

    A non-empty folder needs ``resume`` (then it must hold this very sweep: same points, seed,
    replications and outputs) or ``force`` (then clause-sim must have written everything in
    it, as its manifest says: its entries are removed; anything else is refused). A symbolic
    link is refused, as for every command's ``--out``.
    """
    try:
        folder = check_out(out)
    except OutputError as exc:
        raise SweepError(str(exc)) from None
    state_path = folder / STATE_FILE
    if folder.is_dir() and any(folder.iterdir()):
        if resume:
            if not state_path.is_file() or state_path.is_symlink():
                raise SweepError(f"{folder}: no {STATE_FILE}: not a sweep folder, cannot resume")
            try:
                if state_path.stat().st_size > MAX_STATE_BYTES:
                    raise ValueError(f"larger than {MAX_STATE_BYTES // (1024 * 1024)} MiB")
                old = json.loads(state_path.read_text(encoding="utf-8"))
                if not isinstance(old, dict):
                    raise ValueError("not a JSON object")
            except (OSError, ValueError, RecursionError) as exc:
                raise SweepError(f"{state_path}: cannot read it ({exc})") from None
            if old.get("fingerprint") != p.fingerprint:
                raise SweepError(
                    f"{folder}: holds another sweep (its points, seed, replications, "
                    f"outputs or base scenario differ); use a new --out, or "
                    f"--force to start over"
                )
        elif force:
            try:
                refuse_foreign(folder, "empty it")
            except OutputError as exc:
                raise SweepError(str(exc)) from None
            cwd = Path.cwd().resolve()
            if cwd == folder.resolve() or folder.resolve() in cwd.parents:
                raise SweepError(f"{folder}: holds the current folder, will not empty it")
            for entry in sorted(folder.iterdir()):
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
        else:
            raise SweepError(
                f"{folder}: folder is not empty (use --resume to go on with the "
                f"sweep in it, or --force to start over)"
            )
    folder.mkdir(parents=True, exist_ok=True)
    add_to_manifest(folder, [STATE_FILE, "sweep.toml", "scenario.toml", POINTS_FILE], kind="sweep")
    sw = p.sweep
    if not state_path.is_file():
        write_text_durably(state_path, json.dumps(_state(p), ensure_ascii=False, indent=2) + "\n")
    head = f"# Sweep file as run by clause-sim {__version__}, from {os.path.abspath(sw.file)}\n"
    write_text_durably(folder / "sweep.toml", head + sw.text)
    write_text_durably(
        folder / "scenario.toml",
        f"# Base scenario of sweep {escape(sw.name)!r}, from {escape(p.base.source)}"
        + (f", with set {escape(list(sw.overrides))}" if sw.overrides else "")
        + "\n\n"
        + p.base.to_toml(),
    )
    return folder


def read_points(path: Path, p: Plan, *, repair: bool = False) -> dict[int, list[str]]:
    """Rows of points.csv by point id (cells as written). A last line cut short by a kill is
    left out (and, with ``repair``, removed from the file)."""
    if not path.is_file():
        return {}
    if path.is_symlink():
        raise SweepError(f"{path}: is a symbolic link; not a file this sweep wrote")
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        data = data[:cut]
        if repair:
            with open(path, "r+b") as f:
                f.truncate(cut)
    if not data:
        return {}
    dialect = points_dialect(path)
    try:
        rows = _parse(data.decode("utf-8-sig"), dialect)
    except UnicodeDecodeError as exc:
        raise SweepError(
            f"{path}: not UTF-8 text (byte {exc.start}); not a file this sweep wrote: "
            f"use a new --out, or --force to start over"
        ) from None
    except csv.Error as exc:
        raise SweepError(f"{path}: not a CSV file this sweep wrote ({exc})") from None
    if not rows or rows[0] != _head(p.header, dialect):
        raise SweepError(
            f"{path}: columns differ from this sweep's; use a new --out, or --force to start over"
        )
    out: dict[int, list[str]] = {}
    for n, row in enumerate(rows[1:], start=2):
        try:
            pid = int(row[0])
        except (ValueError, IndexError):
            raise SweepError(f"{path}: line {n}: cannot read the point id") from None
        if len(row) != len(p.header) or not 0 <= pid < len(p.points):
            raise SweepError(f"{path}: line {n}: not a row of this sweep")
        out.setdefault(pid, row)
    return out


def _row(p: Plan, pid: int, values: np.ndarray) -> list[str]:
    row = [str(pid), *[cell(v) for v in p.points[pid].values]]
    for j in range(len(p.sweep.outputs)):
        s = describe(values[:, j])
        row += [cell(s.mean), cell(s.ci_low), cell(s.ci_high)]
    return row


_POINT_NUMBER = re.compile(r"-?\d+\.\d+(e[-+]?\d+)?")
_COMMA_NUMBER = re.compile(r"-?\d+,\d+(e[-+]?\d+)?")
BOM = "\ufeff"


def _head(header: Sequence[str], dialect: str) -> list[str]:
    """Column heads in ``dialect`` (``excel-fr``: French labels where known)."""
    if dialect != "excel-fr":
        return list(header)
    return [i18n.column_label(h, "fr") for h in header]


def csv_line(row: Sequence[str], dialect: str = "machine") -> str:
    """One CSV line of cells as :func:`cell` writes them, in ``dialect`` (``excel-fr``:
    semicolons and decimal commas, every digit kept, so it reads back exactly)."""
    buf = io.StringIO()
    if dialect == "excel-fr":
        row = [c.replace(".", ",") if _POINT_NUMBER.fullmatch(c) else c for c in row]
        csv.writer(buf, delimiter=";", lineterminator="\n").writerow(row)
    else:
        csv.writer(buf, lineterminator="\n").writerow(row)
    return buf.getvalue()


def _first_line(header: Sequence[str], dialect: str) -> str:
    """A sweep CSV's first line in ``dialect``: the column heads, after a byte-order mark in
    ``excel-fr`` (which is how :func:`points_dialect` knows it again)."""
    return (BOM if dialect == "excel-fr" else "") + csv_line(_head(header, dialect), dialect)


def _parse(text: str, dialect: str) -> list[list[str]]:
    """Rows of a CSV in ``dialect``, cells back as :func:`cell` writes them."""
    if dialect != "excel-fr":
        return list(csv.reader(io.StringIO(text)))
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    return [[c.replace(",", ".") if _COMMA_NUMBER.fullmatch(c) else c for c in r] for r in rows]


def points_dialect(path: Path) -> str:
    """The CSV dialect a sweep's CSV file was written in (``excel-fr`` files start with a
    byte-order mark)."""
    with open(path, "rb") as f:
        return "excel-fr" if f.read(3) == BOM.encode("utf-8") else "machine"


# --------------------------------------------------------------------------------------------
# Running


@dataclass
class SweepResult:
    """What :func:`run_sweep` did and where the results are.

    Attributes
    ----------
    folder : the results folder
    points : points in the sweep; ``resumed``: already in points.csv; ``ran``: run now
    replications_run : replications run now; ``seconds``: wall time of the running (s)
    executor : a description of where it ran
    sensitivity : rows of sensitivity.csv (dicts)
    """

    folder: Path
    plan: Plan
    points: int
    resumed: int
    ran: int
    replications_run: int
    seconds: float
    executor: str
    executor_fr: str = ""
    retries: int = 0
    sensitivity: list[dict[str, Any]] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    csv_dialect: str = "machine"

    @property
    def throughput(self) -> float:
        """Replications per second while running (NaN if nothing ran)."""
        return self.replications_run / self.seconds if self.seconds > 0 else math.nan


def execute(
    p: Plan, todo: Sequence[int], ex: Executor, on_point: Callable[[int, np.ndarray], None]
) -> int:
    """Run points ``todo`` on ``ex``; call ``on_point(id, values)`` as each point finishes.

    ``values`` is (replications, outputs), in replication order. At most ``ex.window`` tasks are
    in flight, taken in point order, so points finish roughly in order. Returns the number of
    tasks resubmitted after a lost worker.
    """
    batches = p.batches
    nb = len(batches)
    sw = p.sweep
    groups = [
        [(p.points[pid].scenario, sw.seed, batches[b], list(sw.outputs)) for b in range(nb)]
        for pid in todo
    ]
    before = ex.retries
    try:
        for g, values in ex.imap_groups(_point_task, groups):
            on_point(todo[g], np.concatenate([np.asarray(v, dtype=float) for v in values], axis=0))
    except ExecutorError as exc:
        raise SweepError(
            f"{exc}; finished points are in {POINTS_FILE}: rerun with --resume"
        ) from None
    return ex.retries - before


def run_sweep(
    sweep: Sweep | Plan | str | Path,
    out: str | Path,
    *,
    resume: bool = False,
    force: bool = False,
    jobs: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    lang: str = "fr",
    figures: bool = True,
    worker_timeout: float | None = None,
    csv_dialect: str = "machine",
) -> SweepResult:
    """Run a sweep into folder ``out`` (see the module docstring for its files).

    Parameters
    ----------
    sweep : a sweep file, a :class:`Sweep` or a :class:`Plan`
    resume : go on with the sweep already in ``out``, skipping its finished points
    force : empty a previous sweep folder ``out`` and start over
    jobs : local worker processes (default: all cores; 1 runs in this process)
    scheduler : address or scheduler file of a Dask cluster (then ``jobs`` is ignored)
    progress : ``progress(points_done, points_total)`` after each point
    figures : write the figures (PNG and SVG)
    worker_timeout : seconds a Dask cluster may have no worker before the sweep stops
    csv_dialect : of points.csv, table.csv and sensitivity.csv (``machine`` or ``excel-fr``,
        as ``--csv-dialect``); a resumed sweep keeps the dialect its points.csv was begun in
    """
    if csv_dialect not in CSV_DIALECTS:
        raise SweepError(
            f"--csv-dialect: unknown {csv_dialect!r}; expected {', '.join(CSV_DIALECTS)}"
        )
    p = sweep if isinstance(sweep, Plan) else plan(sweep)
    begun = Path(out) / POINTS_FILE
    if resume and begun.is_file() and not begun.is_symlink() and begun.stat().st_size:
        was = points_dialect(begun)
        if was != csv_dialect:
            raise SweepError(
                f"{begun}: written in the {was} CSV dialect; resume with --csv-dialect {was}"
            )
    # a cluster is reached before any folder is made: a bad --scheduler leaves nothing behind
    cluster = executor(None, scheduler, worker_timeout) if scheduler else None
    try:
        folder = prepare_folder(out, p, resume=resume, force=force)
        points_path = folder / POINTS_FILE
        done = read_points(points_path, p, repair=True)
    except BaseException:
        if cluster is not None:
            cluster.close(error=True)
        raise
    todo = [pt.id for pt in p.points if pt.id not in done]
    total = len(p.points)
    if progress:
        progress(len(done), total)
    ran = 0
    seconds = 0.0
    retries = 0
    label, label_fr = "nothing to run", "rien à calculer"
    if not todo and cluster is not None:
        cluster.close()
    if todo:
        ex = cluster if cluster is not None else executor(jobs)
        label, label_fr = ex.label, ex.label_fr
        new = not points_path.is_file() or points_path.stat().st_size == 0
        start = time.perf_counter()
        ok = False
        with open(points_path, "a", newline="", encoding="utf-8") as f:
            if new:
                f.write(_first_line(p.header, csv_dialect))
                f.flush()
                os.fsync(f.fileno())

            def on_point(pid: int, values: np.ndarray) -> None:
                nonlocal ran
                f.write(csv_line(_row(p, pid, values), csv_dialect))
                f.flush()
                os.fsync(f.fileno())
                ran += 1
                if progress:
                    progress(len(done) + ran, total)

            try:
                retries = execute(p, todo, ex, on_point)
                ok = True
            finally:
                ex.close(error=not ok)
        seconds = time.perf_counter() - start
    result = SweepResult(
        folder=folder,
        plan=p,
        points=total,
        resumed=len(done),
        ran=ran,
        replications_run=ran * p.sweep.replications,
        seconds=seconds,
        executor=label,
        executor_fr=label_fr,
        retries=retries,
        csv_dialect=csv_dialect,
    )
    finish(result, lang=lang, figures=figures)
    return result


def finish(result: SweepResult, lang: str = "fr", figures: bool = True) -> None:
    """Write table.csv, the sensitivity indices and the figures from points.csv."""
    p, folder = result.plan, result.folder
    rows = read_points(folder / POINTS_FILE, p)
    missing = [pt.id for pt in p.points if pt.id not in rows]
    if missing:  # pragma: no cover - execute() finishes every point or raises
        raise SweepError(f"{folder}: points {missing[:5]} are missing; rerun with --resume")
    d = result.csv_dialect
    text = _first_line(p.header, d) + "".join(csv_line(rows[i], d) for i in sorted(rows))
    write_text_durably(folder / TABLE_FILE, text)
    means = means_from_rows(p, rows)
    sens = sensitivity(p, means)
    result.sensitivity = sens
    cols = ["output", "parameter", "method", "index", "value", "ci_low", "ci_high"]
    write_text_durably(
        folder / "sensitivity.csv",
        _first_line(cols, d)
        + "".join(
            csv_line(
                [cell(r[c]) if isinstance(r[c], float) else safe_cell(str(r[c])) for c in cols], d
            )
            for r in sens
        ),
    )
    write_text_durably(
        folder / "sensitivity.json",
        json.dumps(
            {
                "design": p.sweep.design,
                "points": len(p.points),
                "replications": p.sweep.replications,
                "seed": p.sweep.seed,
                "indices": [
                    {
                        k: (None if isinstance(v, float) and math.isnan(v) else v)
                        for k, v in r.items()
                    }
                    for r in sens
                ],
            },
            ensure_ascii=False,
            indent=2,
            allow_nan=False,
        )
        + "\n",
    )
    written = [TABLE_FILE, "sensitivity.csv", "sensitivity.json"]
    add_to_manifest(folder, written, kind="sweep")
    result.files = [
        folder / POINTS_FILE,
        folder / TABLE_FILE,
        folder / "sensitivity.csv",
        folder / "sensitivity.json",
    ]
    if figures:
        add_to_manifest(folder, ["figures"], kind="sweep")
        figs = write_figures(folder / "figures", p, rows, sens, lang)
        add_to_manifest(folder, [f.relative_to(folder).as_posix() for f in figs], kind="sweep")
        result.files += figs
        add_to_manifest(folder, ["report.html"], kind="sweep")
        result.files.append(write_report(folder, p, sens, lang))
    add_to_manifest(folder, ["results.xlsx"], kind="sweep")
    xlsx = write_workbook(folder, p, rows, sens, lang)
    if xlsx is not None:
        result.files.append(xlsx)


def write_report(folder: Path, p: Plan, sens: Sequence[Mapping[str, Any]], lang: str) -> Path:
    """``report.html`` of a sweep: its parameters, the sensitivity indices and the figures."""
    from ..presentation import report

    esc = report.esc
    t = i18n.section("report")[i18n.norm(lang)]
    st = _TEXT[i18n.norm(lang)]
    sw = p.sweep
    prm_rows = [[esc(i18n.param_label(k, lang)), f"<code>{esc(k)}</code>"] for k in sw.keys]
    sens_rows = [
        [
            esc(i18n.metric_label(r["output"], lang) if r["output"] in METRICS else r["output"]),
            esc(i18n.param_label(r["parameter"], lang)),
            esc(f"{r['method']} {r['index']}"),
            fmt.number(r["value"], 2, lang),
            f"{fmt.number(r['ci_low'], 2, lang)} – {fmt.number(r['ci_high'], 2, lang)}",
        ]
        for r in sens
    ]
    figs = sorted((folder / "figures").glob("*.svg"))
    svgs = {f.stem: f for f in figs}
    body = [
        f"<header><h1>{esc(st['report_title'].format(name=sw.name))}</h1>",
        "<p class=meta>"
        + esc(
            st["report_meta"].format(
                design=sw.design, points=len(p.points), n=sw.replications, seed=sw.seed
            )
        )
        + "</p>",
        f"<p class=meta>{esc(t['file'])}{report._colon(lang)} "
        f"<span class=mono>{esc(str(p.base.source))}</span></p></header>",
        f"<section><h2>{esc(st['report_params'])}</h2>"
        + report._table([esc(t["param"]), esc(st["report_key"])], prm_rows, [False, False])
        + "</section>",
        f"<section><h2>{esc(st['report_sens'])}</h2>"
        + report._table(
            [esc(x) for x in st["report_sens_head"].split("|")],
            sens_rows,
            [False, False, False, True, True],
        )
        + "</section>",
        f"<section><h2>{esc(t['figures'])}</h2>"
        + report._figures_html(svgs, {k: k for k in svgs}, lang)
        + "</section>",
    ]
    path = folder / "report.html"
    write_text_durably(
        path, report._page(st["report_title"].format(name=sw.name), lang, "\n".join(body))
    )
    return path


def write_workbook(
    folder: Path,
    p: Plan,
    rows: Mapping[int, Sequence[str]],
    sens: Sequence[Mapping[str, Any]],
    lang: str,
) -> Path | None:
    """``results.xlsx`` of a sweep: the points (numbers) and the sensitivity indices."""
    from ..presentation import workbook

    if not workbook.available():
        return None
    from ..presentation.i18n import column_label

    t = i18n.section("xlsx")[i18n.norm(lang)]
    head = list(p.header)

    def as_number(c: str) -> Any:
        try:
            return float(c) if c != "" else None
        except ValueError:
            return c

    labels = []
    for h in head:
        if h in p.sweep.keys:
            labels.append(i18n.param_label(h, lang))
        else:
            labels.append(column_label(h, lang))
    wb = workbook.new_workbook()
    workbook.add_sheet(
        wb, t["points"], labels, [[as_number(c) for c in rows[i]] for i in sorted(rows)]
    )
    st = _TEXT[i18n.norm(lang)]
    workbook.add_sheet(
        wb,
        st["report_sens"],
        [*st["report_sens_head"].split("|")[:4], t["ci_low"], t["ci_high"]],
        [
            [
                i18n.metric_label(r["output"], lang) if r["output"] in METRICS else r["output"],
                i18n.param_label(r["parameter"], lang),
                f"{r['method']} {r['index']}",
                r["value"],
                r["ci_low"],
                r["ci_high"],
            ]
            for r in sens
        ],
        [None, None, None, "0.00", "0.00", "0.00"],
    )
    path = folder / "results.xlsx"
    workbook.save(wb, path)
    return path


def means_from_rows(p: Plan, rows: Mapping[int, Sequence[str]]) -> np.ndarray:
    """Point means of each output, (points, outputs), read back from the CSV cells."""
    k = len(p.sweep.keys)
    out = np.full((len(p.points), len(p.sweep.outputs)), np.nan)
    for pid, row in rows.items():
        for j in range(len(p.sweep.outputs)):
            c = row[1 + k + 3 * j]
            out[pid, j] = float(c) if c else np.nan
    return out


def read_table(path: str | Path) -> list[list[str]]:
    """table.csv (or points.csv) as rows of cells, header first (as written), in either
    dialect."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        return _parse(f.read(), points_dialect(Path(path)))


# --------------------------------------------------------------------------------------------
# Sensitivity


def _corr(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson correlation of each column of ``x`` (..., n, d) with ``y`` (..., n); NaN for a
    constant column."""
    xc = x - x.mean(axis=-2, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (xc * yc[..., None]).sum(axis=-2) / np.sqrt(
            (xc**2).sum(axis=-2) * (yc**2).sum(axis=-1)[..., None]
        )
    return np.where(np.isfinite(r), r, np.nan)


def _spearman(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman rank correlation (average ranks for ties) of each column of ``x`` with ``y``."""
    from scipy.stats import rankdata

    return _corr(rankdata(x, axis=-2), rankdata(y, axis=-1))


def _src(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Standardised regression coefficients of ``y`` (..., n) on the columns of ``x``
    (..., n, d); NaN for a constant column or output."""
    sx = x.std(axis=-2, keepdims=True)
    sy = y.std(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        xs = np.where(sx > 0, (x - x.mean(axis=-2, keepdims=True)) / np.where(sx > 0, sx, 1), 0)
        ys = np.where(sy > 0, (y - y.mean(axis=-1, keepdims=True)) / np.where(sy > 0, sy, 1), 0)
    a = np.concatenate([np.ones((*xs.shape[:-1], 1)), xs], axis=-1)
    coef = (np.linalg.pinv(a) @ ys[..., None])[..., 1:, 0]
    bad = (sx[..., 0, :] <= 0) | (sy <= 0)
    return np.where(bad, np.nan, coef)


def _bootstrap(
    stat: Callable[[np.ndarray, np.ndarray], np.ndarray],
    x: np.ndarray,
    y: np.ndarray,
    rng: np.random.Generator,
    chunk: int = 100,
) -> tuple[np.ndarray, np.ndarray]:
    """95 % percentile bootstrap interval of ``stat(x, y)`` over resamples of the rows."""
    n = len(y)
    draws = []
    for start in range(0, BOOTSTRAP, chunk):
        idx = rng.integers(0, n, (min(chunk, BOOTSTRAP - start), n))
        draws.append(stat(x[idx], y[idx]))
    d = np.concatenate(draws, axis=0)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = np.nanpercentile(d, [2.5, 97.5], axis=0)
    return lo, hi


def sensitivity(p: Plan, means: np.ndarray) -> list[dict[str, Any]]:
    """Sensitivity indices of each output to each parameter, with 95 % intervals.

    Returns rows ``{output, parameter, method, index, value, ci_low, ci_high}`` (NaN when not
    defined: a constant output or parameter, or an interval SALib does not give).
    """
    sw = p.sweep
    rows: list[dict[str, Any]] = []

    def add(out: str, prm: str, method: str, index: str, v: float, lo: float, hi: float) -> None:
        rows.append(
            {
                "output": out,
                "parameter": prm,
                "method": method,
                "index": index,
                "value": float(v),
                "ci_low": float(lo),
                "ci_high": float(hi),
            }
        )

    if sw.design in ("grid", "lhs"):
        x = np.array(
            [
                [prm.code(v) for prm, v in zip(sw.parameters, pt.values, strict=True)]
                for pt in p.points
            ],
            dtype=float,
        )
        for j, out in enumerate(sw.outputs):
            y = means[:, j]
            ok = ~np.isnan(y)
            xo, yo = x[ok], y[ok]
            rng = np.random.default_rng(np.random.SeedSequence([sw.seed, 0x53454E53, j]))
            if len(yo) < 3:
                for prm in sw.keys:
                    add(out, prm, "spearman", "rho", math.nan, math.nan, math.nan)
                    add(out, prm, "src", "src", math.nan, math.nan, math.nan)
                continue
            rho = _spearman(xo, yo)
            lo, hi = _bootstrap(_spearman, xo, yo, rng)
            src = _src(xo, yo)
            slo, shi = _bootstrap(_src, xo, yo, rng)
            for k, prm in enumerate(sw.keys):
                add(out, prm, "spearman", "rho", rho[k], lo[k], hi[k])
                add(out, prm, "src", "src", src[k], slo[k], shi[k])
        return rows
    problem = _problem(sw)
    for j, out in enumerate(sw.outputs):
        y = means[:, j]
        if np.isnan(y).any() or np.ptp(y) == 0:
            for prm in sw.keys:
                for idx in ("S1", "ST") if sw.design == "sobol" else ("mu_star", "sigma"):
                    add(out, prm, sw.design, idx, math.nan, math.nan, math.nan)
            continue
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            if sw.design == "sobol":
                from SALib.analyze import sobol

                si = sobol.analyze(
                    problem, y, calc_second_order=False, conf_level=0.95, seed=sw.seed
                )
                for k, prm in enumerate(sw.keys):
                    for idx in ("S1", "ST"):
                        v, c = float(si[idx][k]), float(si[f"{idx}_conf"][k])
                        add(out, prm, "sobol", idx, v, v - c, v + c)
            else:
                from SALib.analyze import morris

                assert p.unit is not None
                si = morris.analyze(
                    problem, p.unit, y, conf_level=0.95, num_levels=sw.levels, seed=sw.seed
                )
                for k, prm in enumerate(sw.keys):
                    v, c = float(si["mu_star"][k]), float(si["mu_star_conf"][k])
                    add(out, prm, "morris", "mu_star", v, v - c, v + c)
                    add(out, prm, "morris", "sigma", float(si["sigma"][k]), math.nan, math.nan)
    return rows


# --------------------------------------------------------------------------------------------
# Figures and text

_TEXT: Mapping[str, Mapping[str, str]] = i18n.section("sweep_figure")


def _metric_label(metric: str, lang: str) -> str:
    m = METRICS[metric]
    unit = {"share": "%"}.get(m.unit, m.unit)
    return f"{m.label_en if lang == 'en' else m.label_fr} ({unit})"


def _source(fig: Any, p: Plan, t: Mapping[str, str]) -> None:
    from ..presentation.plots import footer, plain

    sw = p.sweep
    text = t["source"].format(
        v=__version__,
        name=plain(sw.name, 40),
        design=sw.design,
        n=len(p.points),
        r=sw.replications,
        seed=sw.seed,
    )
    footer(fig, plain(text, 170))


def sensitivity_figure(
    p: Plan, sens: Sequence[Mapping[str, Any]], output: str, lang: str = "fr"
) -> Any:
    """Bars of the sensitivity indices of one output, largest first (a tornado for Spearman)."""
    from ..presentation.plots import new_figure, plain

    t = _TEXT["en" if lang == "en" else "fr"]
    sw = p.sweep
    fig = new_figure()
    ax = fig.add_subplot()
    ax.grid(True, axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    if sw.design in ("grid", "lhs"):
        series = [("spearman", "rho", "#4575b4")]
        title = t["spearman"]
    elif sw.design == "sobol":
        series = [("sobol", "S1", "#4575b4"), ("sobol", "ST", "#d73027")]
        title = t["sobol"]
    else:
        series = [("morris", "mu_star", "#4575b4"), ("morris", "sigma", "#e08214")]
        title = t["morris"]
    rows = {(r["method"], r["index"], r["parameter"]): r for r in sens if r["output"] == output}
    main = series[0]
    order = sorted(sw.keys, key=lambda k: -abs(np.nan_to_num(rows[(main[0], main[1], k)]["value"])))
    y = np.arange(len(order))[::-1].astype(float)
    h = 0.8 / len(series)
    for s, (method, index, color) in enumerate(series):
        vals = np.array([rows[(method, index, k)]["value"] for k in order], dtype=float)
        lo = np.array([rows[(method, index, k)]["ci_low"] for k in order], dtype=float)
        hi = np.array([rows[(method, index, k)]["ci_high"] for k in order], dtype=float)
        pos = y + (len(series) - 1) * h / 2 - s * h
        err = np.nan_to_num(np.vstack([vals - lo, hi - vals]))
        ax.barh(
            pos,
            np.nan_to_num(vals),
            height=h * 0.9,
            color=color,
            label=index,
            xerr=np.maximum(err, 0),
            error_kw={"elinewidth": 1, "capsize": 3},
        )
    ax.axvline(0, color="#000000", linewidth=0.8)
    ax.set_yticks(y, [plain(i18n.param_label(k, lang), 45) for k in order])
    ax.set_xlabel(t["index_x"])
    ax.set_title(
        plain(t["sens_title"].format(output=_metric_label(output, lang)) + " - " + title, 110),
        fontsize=11.5,
        loc="left",
    )
    if len(series) > 1:
        ax.legend(loc="best", fontsize=8.5, frameon=False)
    _source(fig, p, t)
    return fig


def scatter_figure(
    p: Plan, rows: Mapping[int, Sequence[str]], output: str, lang: str = "fr"
) -> Any:
    """One panel per parameter: the output's point means (95 % CI) against the parameter."""
    from matplotlib.ticker import FuncFormatter

    from ..presentation.plots import FIGSIZE, new_figure, plain, tick_formatter

    t = _TEXT["en" if lang == "en" else "fr"]
    sw = p.sweep
    k = len(sw.parameters)
    ncol = min(k, 3)
    nrow = -(-k // ncol)
    fig = new_figure((FIGSIZE[0], max(FIGSIZE[1], 3.0 * nrow + 1.0)))
    j = sw.outputs.index(output)
    unit = METRICS[output].unit
    col = 1 + len(sw.keys) + 3 * j
    y, lo, hi = (np.array([_num(rows.get(pt.id), col + s) for pt in p.points]) for s in range(3))
    axes = fig.subplots(nrow, ncol, squeeze=False, sharey=True)
    for i, prm in enumerate(sw.parameters):
        ax = axes[i // ncol][i % ncol]
        ax.grid(True, color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        x = np.array([prm.code(pt.values[i]) for pt in p.points], dtype=float)
        err = np.nan_to_num(np.vstack([y - lo, hi - y]))
        ax.errorbar(
            x,
            y,
            yerr=np.maximum(err, 0),
            fmt="o",
            markersize=3.5,
            color="#1b7837",
            ecolor="#9ecae1",
            elinewidth=1,
            capsize=0,
        )
        if not prm.numeric and prm.values is not None:
            ax.set_xticks(range(len(prm.values)), [plain(str(v), 12) for v in prm.values])
        else:
            ax.xaxis.set_major_formatter(FuncFormatter(tick_formatter(ax.xaxis, False, lang)))
        ax.set_xlabel(plain(i18n.param_label(prm.key, lang), 50), fontsize=9)
        ax.yaxis.set_major_formatter(FuncFormatter(tick_formatter(ax.yaxis, unit == "share", lang)))
        if i % ncol == 0:
            ax.set_ylabel(plain(_metric_label(output, lang), 50), fontsize=9)
    for i in range(k, nrow * ncol):
        axes[i // ncol][i % ncol].set_visible(False)
    fig.suptitle(
        plain(
            t["scatter_title"].format(
                output=METRICS[output].label_en if lang == "en" else METRICS[output].label_fr
            ),
            110,
        ),
        fontsize=11.5,
        x=0.01,
        ha="left",
    )
    _source(fig, p, t)
    return fig


def _num(row: Sequence[str] | None, i: int) -> float:
    if row is None or not row[i]:
        return math.nan
    return float(row[i])


def write_figures(
    folder: Path,
    p: Plan,
    rows: Mapping[int, Sequence[str]],
    sens: Sequence[Mapping[str, Any]],
    lang: str = "fr",
) -> list[Path]:
    """Write the sensitivity and scatter figures of each output (PNG and SVG) into ``folder``."""
    from ..presentation.plots import save

    folder.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    for out in p.sweep.outputs:
        files += save(sensitivity_figure(p, sens, out, lang), folder / f"sensitivity_{out}")
        files += save(scatter_figure(p, rows, out, lang), folder / f"scatter_{out}")
    return files


def sweep_text(result: SweepResult, lang: str = "fr") -> str:
    """What ``clause-sim sweep`` prints at the end: what ran, where, and the main influences."""
    fr = lang == "fr"
    p = result.plan
    sw = p.sweep
    n = fmt.number
    rate = result.throughput
    lines = [
        (
            f"Balayage « {escape(sw.name)} » : plan {sw.design}, {result.points} points × "
            f"{sw.replications} réplications (graine {sw.seed}, nombres aléatoires communs)."
            if fr
            else f"Sweep \u201c{escape(sw.name)}\u201d: {sw.design} design, "
            f"{result.points} points x "
            f"{sw.replications} replications (seed {sw.seed}, common random numbers)."
        ),
        (
            f"{result.ran} points calculés maintenant, {result.resumed} repris de points.csv ; "
            f"{n(result.replications_run, 0, lang)} réplications en {n(result.seconds, 1, lang)} s"
            + (f" ({n(rate, 1, lang)} réplications/s)" if math.isfinite(rate) else "")
            + f", sur : {result.executor_fr or result.executor}."
            if fr
            else f"{result.ran} points run now, {result.resumed} resumed from points.csv; "
            f"{n(result.replications_run, 0, lang)} replications in {n(result.seconds, 1, lang)} s"
            + (f" ({n(rate, 1, lang)} replications/s)" if math.isfinite(rate) else "")
            + f", on: {result.executor}."
        ),
    ]
    if result.retries:
        lines.append(
            f"{result.retries} tâche(s) relancée(s) après la perte d'un worker."
            if fr
            else f"{result.retries} task(s) resubmitted after a lost worker."
        )
    main = {
        "grid": ("spearman", "rho"),
        "lhs": ("spearman", "rho"),
        "sobol": ("sobol", "ST"),
        "morris": ("morris", "mu_star"),
    }[sw.design]
    lines.append(
        "Paramètre le plus influent par sortie :"
        if fr
        else "Most influential parameter per output:"
    )
    for out in sw.outputs:
        rows = [
            r
            for r in result.sensitivity
            if r["output"] == out
            and (r["method"], r["index"]) == main
            and not math.isnan(r["value"])
        ]
        label = i18n.metric_label(out, lang) if out in METRICS else out
        label += ":" if lang == "en" else "\u202f:"
        if not rows:
            lines.append(f"  {label} –")
            continue
        best = max(rows, key=lambda r: abs(r["value"]))
        ci = (
            f" [{n(best['ci_low'], 2, lang)} ; {n(best['ci_high'], 2, lang)}]"
            if not math.isnan(best["ci_low"])
            else ""
        )
        prm = i18n.param_label(best["parameter"], lang)
        lines.append(f"  {label} {prm} ({main[1]} {n(best['value'], 2, lang)}{ci})")
    lines.append(
        f"Résultats dans {result.folder} : report.html, points.csv, table.csv, sensitivity.csv, "
        "figures/."
        if fr
        else f"Results in {result.folder}: report.html, points.csv, table.csv, sensitivity.csv, "
        "figures/."
    )
    return "\n".join(lines) + "\n"


def default_out(sweep_file: str | Path) -> Path:
    """The default results folder of a sweep file: ``results/sweep-<file stem>``."""
    return Path("results") / f"sweep-{Path(sweep_file).stem}"


__all__ = [
    "DESIGNS",
    "DaskCluster",
    "Executor",
    "InProcess",
    "LocalPool",
    "Parameter",
    "Plan",
    "Point",
    "Sweep",
    "SweepError",
    "SweepResult",
    "default_out",
    "design_points",
    "execute",
    "executor",
    "finish",
    "load_sweep",
    "plan",
    "point_batch",
    "prepare_folder",
    "read_points",
    "read_table",
    "run_sweep",
    "sensitivity",
    "sweep_text",
]


def command(args: Any) -> int:
    """``clause-sim sweep``: run (or resume) a sweep file and print what it did."""
    import sys

    from .. import jobs, limits

    out = Path(args.out) if args.out else default_out(args.sweep)
    if args.scheduler:
        check_scheduler(args.scheduler)
    sw = load_sweep(args.sweep)
    if getattr(args, "replications", None):
        n = int(args.replications)
        sw = dataclasses.replace(sw, replications=n, batch=min(sw.batch, n))
    p = plan(sw)
    from ..cli import announce

    announce([p.base.source], args.lang)
    step = max(1, len(p.points) // 50)  # the sizes of at most ~50 points, and the base's
    units = max(limits.units_per_replication(pt.scenario) for pt in p.points[::step])
    limits.check_work(
        max(units, limits.units_per_replication(p.base)),
        len(p.points) * p.sweep.replications,
        getattr(args, "max_work", None),
        "this sweep",
    )

    def work(progress: jobs.Progress) -> SweepResult:
        return run_sweep(
            p,
            out,
            resume=args.resume,
            force=args.force,
            jobs=args.jobs,
            scheduler=args.scheduler,
            progress=lambda done, total: progress("points", done, total),
            lang=args.lang,
            figures=not args.no_figures,
            worker_timeout=getattr(args, "worker_timeout", None),
            csv_dialect=getattr(args, "csv_dialect", "machine"),
        )

    result = jobs.in_terminal(
        work,
        quiet=args.quiet,
        left=f"finished points are in {out / POINTS_FILE}: rerun with --resume",
    )
    sys.stdout.write(sweep_text(result, args.lang))
    return 0
