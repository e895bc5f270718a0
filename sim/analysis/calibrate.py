"""Calibration: fit numeric scenario keys to observed figures by simulation.

``clause-sim calibrate SCENARIO --observed FILE --fit KEY=LOW:HIGH ... --out DIR``

Model of the data. Each observed row ``r`` (a yearly or cumulative figure, :mod:`sim.observed`)
is compared with ``m_r(theta)``, the mean of its simulated value over replications ``0..n-1`` of
the seed at parameter values ``theta``. Every candidate point runs the same replication indices
with the same seed (common random numbers), so the objective is a smooth-ish function of
``theta`` rather than noise. The objective weighs each figure by its scale (relative error)::

    objective(theta) = sum_r ((m_r(theta) - o_r) / o_r)^2

and, for the intervals, each relative error is scaled by its uncertainty::

    chi2(theta) = r' C^-1 r,   r_r = (m_r(theta) - o_r) / o_r,   C = s_obs^2 I + S(theta) / n

where ``s_obs`` is the relative error of a published figure (``--obs-error``, default 5 %: the
figures are "about" figures, rounded to two or three digits) and ``S / n`` the covariance of the
simulated means (relative to the observations; ``S`` over the replications, shrunk halfway to
its diagonal): the years of one replication move together, so their rows are not independent.

Search. A sequential importance sampler over boxes (a simple sequential Monte Carlo / ABC
scheme): generation 0 is a Latin hypercube over the whole box of ``--fit`` ranges (uniform
prior); each point gets the weight ``exp(-chi2 / 2) x prior / proposal``, where the proposal is
the mixture of every generation's uniform box so far (all points are kept); the next generation
is a Latin hypercube over the box of the current weighted 1st-99th percentiles (stretched to
hold the best quarter of the points so far), widened by half its width on each side. It stops
when the effective sample size reaches :data:`TARGET_ESS` or after ``generations``. Every point
of a generation runs in parallel (local pool or Dask).

Results. ``estimate``: the weighted median of each parameter (the point with the smallest
objective is also reported); ``ci_low``/``ci_high``: the weighted 2.5 and 97.5 % quantiles (a
95 % credible interval under the uniform prior). A parameter whose interval covers more than
:data:`FLAT_SHARE` of its range is not identified by the observed figures (``identifiable =
false``); the metric of the model whose mean moves most with it across the points evaluated
(Spearman rank correlation over the first generation, a Latin hypercube of the whole box;
reported totals and the ratios contracts per participant, hours per contract) is named as the
observed figure that would identify it.

``--holdout YEAR``: rows ending in YEAR are left out of the fit and reported against the
simulation at the estimate.

Folder::

    calibration.json   parameters {KEY: {estimate, ci_low, ci_high, identifiable, best, note,
                       identified_by}} (note in the run's --lang; identified_by: a metric or
                       NUM/DEN ratio that would identify a non-identified key),
                       objective, each observed row with its simulated mean and intervals
    calibrated.toml    the scenario with the estimates, each commented with the fit (in --lang)
    points.csv         every point evaluated (appended as they finish): --resume skips them
    fit.png, fit.svg   observed against simulated (with 90 % bands), by row
    report.html        a short report
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from .. import __version__, fmt
from ..errors import ClauseSimError, ScenarioError
from ..hours import compute as compute_hours
from ..observed import Observed, check_years, row_dict
from ..observed import read as read_observed
from ..output import write_text_durably
from ..provenance import annotate, lookup
from ..results import TOTAL_METRICS
from ..runner import run_batch
from ..scenario import Scenario, _thaw, toml_value
from ..streams import DEFAULT_SEED
from .sweep import csv_line  # one CSV line as sweep's points.csv writes it

REPORTED: tuple[str, ...] = tuple(
    m
    for m in (
        "hours_realised",
        "hours_realised_direct",
        "hours_realised_siae",
        "contracts",
        "participants",
        "new_participants",
        "intakes",
        "exits",
        "positive_exits",
        "gave_up",
        "fallbacks",
    )
    if m in TOTAL_METRICS
)
"""Totals that clause reporting publishes: the candidates to name as identifying a parameter."""
RATIOS: tuple[tuple[str, str], ...] = (
    ("contracts", "participants"),
    ("hours_realised", "contracts"),
)
"""Ratios of reported totals (numerator, denominator) that identify a parameter when both are
observed; named ``NUM/DEN`` in ``identified_by``."""
TARGET_ESS = 40.0
"""The search stops once the weighted points amount to this many independent ones."""
FLAT_SHARE = 0.5
"""A parameter whose 95 % interval spans more than this share of its range is not identified."""
STATE_FILE, POINTS_FILE = "calibration-state.json", "points.csv"
_OWN = (
    STATE_FILE,
    POINTS_FILE,
    "calibration.json",
    "calibrated.toml",
    "fit.png",
    "fit.svg",
    "report.html",
    "results.xlsx",
)


class CalibrationError(ClauseSimError):
    """A calibration cannot run as asked (folder, ranges)."""


@dataclass(frozen=True)
class Fit:
    """A key to fit between ``low`` and ``high``; ``integer`` keys are rounded."""

    key: str
    low: float
    high: float
    integer: bool = False
    rescale: bool = False
    """A share of a table that sums to 1: the other shares scale to keep the sum."""

    def value(self, u: float) -> float | int:
        """The key's value at ``u`` in [0, 1] of its range."""
        x = self.low + float(u) * (self.high - self.low)
        return round(x) if self.integer else x


GENERATIONS = 5
"""Generations of the search at most."""


def generation_size(d: int) -> int:
    """Points a generation evaluates when fitting ``d`` keys."""
    return max(12, 6 * d)


def max_points(d: int) -> int:
    """The most points a calibration of ``d`` keys evaluates (with the default design)."""
    return generation_size(d) * GENERATIONS + 1


def parse_fit(text: str, scenario: Scenario) -> Fit:
    """``KEY=LOW:HIGH`` checked against the scenario: a numeric key, both ends in its domain."""
    from ..uncertainty import parse

    if "=" not in text or ":" not in text.split("=", 1)[1]:
        raise ScenarioError(
            "--fit", text, "expected KEY=LOW:HIGH, e.g. clause.insertion_rate=0.04:0.12"
        )
    key, rng = (s.strip() for s in text.split("=", 1))
    lo_t, hi_t = (s.strip() for s in rng.split(":", 1))
    try:
        lo, hi = float(lo_t), float(hi_t)
    except ValueError:
        raise ScenarioError("--fit", key, f"cannot read the range {rng!r} as two numbers") from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        raise ScenarioError("--fit", key, f"needs LOW < HIGH, got {rng!r}")
    try:
        (u,) = parse(scenario, {key: {"dist": "uniform", "low": lo, "high": hi}})
    except ScenarioError as exc:
        raise ScenarioError("--fit", key, exc.message) from None
    return Fit(key, lo, hi, u.integer, u.rescale)


def _raw_at(
    raw: dict[str, Any], fits: Sequence[Fit], values: Sequence[Any], file: str
) -> dict[str, Any]:
    """``raw`` with the fitted keys set (the same rules as uncertain keys: shares rescaled)."""
    from ..scenario import Dist
    from ..uncertainty import Uncertain, _with_values

    params = [Uncertain(f.key, Dist("fixed"), f.integer, 0.0, f.rescale) for f in fits]
    return _with_values(raw, dict(zip([f.key for f in fits], values, strict=True)), params, file)


def scenario_at(scenario: Scenario, fits: Sequence[Fit], values: Sequence[Any]) -> Scenario:
    """The scenario with the fitted keys at ``values``."""
    from ..scenario import from_dict

    raw = _raw_at(_thaw(scenario.raw), fits, values, scenario.source)
    return from_dict(raw, scenario.source)


# --------------------------------------------------------------------------------------------
# Work unit


def _point_task(task: tuple[Scenario, int, list[int], Sequence[Observed]]) -> np.ndarray:
    """One task of the executor (:mod:`sim.parallel`): :func:`point_values` of its arguments."""
    return point_values(*task)


def point_values(
    scenario: Scenario, seed: int, indices: Sequence[int], rows: Sequence[Observed]
) -> np.ndarray:
    """Run replications ``indices`` of a candidate point: each row's simulated figure, then the
    total of each of :data:`REPORTED`. Shape (len(indices), rows + metrics)."""
    from ..observed import run_values

    hours = (
        compute_hours(scenario) if any(r.metric == "dwellings_renovated" for r in rows) else None
    )
    out = []
    for run in run_batch(scenario, seed, indices):
        out.append(
            np.concatenate([run_values(rows, run, hours), [run.totals[m] for m in REPORTED]])
        )
    return np.asarray(out, dtype=float).reshape(len(indices), len(rows) + len(REPORTED))


# --------------------------------------------------------------------------------------------
# Statistics of a point


def chi2(values: np.ndarray, obs: np.ndarray, obs_error: float) -> tuple[float, float]:
    """(objective, chi2) of a point's per-replication row values (replications, rows).

    chi2 = r' C^-1 r with r the relative gaps and C = obs_error² I + S / n, S the covariance of
    the rows' relative values over the replications (shrunk halfway to its diagonal so that it
    stays invertible with few replications): rows that share replications (the years of one
    run, a metric and its span) do not count as independent evidence."""
    n = values.shape[0]
    mean = values.mean(axis=0)
    rel = (mean - obs) / obs
    k = rel.size
    cov = np.zeros((k, k))
    if n > 1:
        z = values / obs
        s = np.atleast_2d(np.cov(z, rowvar=False, ddof=1))
        cov = 0.5 * s + 0.5 * np.diag(np.diag(s))
    c = obs_error**2 * np.eye(k) + cov / max(n, 1)
    c += 1e-12 * np.eye(k)
    return float((rel**2).sum()), float(rel @ np.linalg.solve(c, rel))


def _wquantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(x, kind="stable")
    cw = np.cumsum(w[order])
    cw = cw / cw[-1]
    return float(x[order][min(int(np.searchsorted(cw, q)), x.size - 1)])


def _lhs(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    u = np.empty((n, d))
    for j in range(d):
        u[:, j] = (rng.permutation(n) + rng.random(n)) / n
    return u


# --------------------------------------------------------------------------------------------
# The folder


def prepare_folder(
    out: Path, fingerprint: str, *, resume: bool, force: bool
) -> dict[str, list[float]]:
    """Check and set up the folder; return the points already evaluated (resume).

    ``--out`` follows the one policy of every command (no symbolic link); ``force`` empties
    only a folder whose every entry clause-sim wrote (its manifest, ``.clause-sim.json``).
    """
    from ..output import OutputError, add_to_manifest, check_out, refuse_foreign

    try:
        check_out(out)
    except OutputError as exc:
        raise CalibrationError(str(exc)) from None
    state = out / STATE_FILE
    cached: dict[str, list[float]] = {}
    if out.is_dir() and any(out.iterdir()):
        if resume:
            try:
                old = json.loads(state.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                raise CalibrationError(
                    f"{out}: no readable {STATE_FILE}: not a calibration folder"
                ) from None
            if old.get("fingerprint") != fingerprint:
                raise CalibrationError(
                    f"{out}: holds another calibration (scenario, observed rows, --fit, -n, "
                    "--seed or --holdout differ); use a new --out, or --force to start over"
                )
            cached = _read_points(out / POINTS_FILE)
        elif force:
            if not state.is_file():
                raise CalibrationError(
                    f"{out}: not a calibration folder (no {STATE_FILE}); will not empty it"
                )
            try:
                refuse_foreign(out, "empty it")
            except OutputError as exc:
                raise CalibrationError(str(exc)) from None
            for name in _OWN:
                (out / name).unlink(missing_ok=True)
        else:
            raise CalibrationError(
                f"{out}: folder is not empty (use --resume to go on with the calibration in it, "
                "or --force to start over)"
            )
    out.mkdir(parents=True, exist_ok=True)
    add_to_manifest(out, list(_OWN), kind="calibration")
    write_text_durably(
        state, json.dumps({"version": __version__, "fingerprint": fingerprint}) + "\n"
    )
    return cached


def _read_points(path: Path) -> dict[str, list[float]]:
    if not path.is_file():
        return {}
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):  # a line cut short by a kill
        data = data[: data.rfind(b"\n") + 1]
        with open(path, "r+b") as f:
            f.truncate(len(data))
    out = {}
    try:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise CalibrationError(
            f"{path}: not a file this calibration wrote ({type(exc).__name__}); "
            "use a new --out, or --force to start over"
        ) from None
    for row in rows:
        if len(row) >= 2 and row[0] != "point":
            try:
                out[row[0]] = [float(c) for c in row[1:]]
            except ValueError:
                continue
    return out


# --------------------------------------------------------------------------------------------
# Running


@dataclass
class Calibration:
    """What :func:`calibrate` found (also written to ``calibration.json``)."""

    folder: Path
    fits: tuple[Fit, ...]
    parameters: dict[str, dict[str, Any]]
    objective: dict[str, Any]
    rows: list[dict[str, Any]]
    holdout: list[dict[str, Any]]
    points: int
    seconds: float
    executor: str
    data: dict[str, Any] = field(default_factory=dict)


def _key(theta: Sequence[float | int]) -> str:
    return "|".join(toml_value(v) for v in theta)


def _t(lang: str) -> Any:
    from ..presentation import i18n

    return i18n.section("calibration")[i18n.norm(lang)]


def _sentence(key: str, metric: str | None, rho: float | None, lang: str = "fr") -> str:
    """Why a parameter is not identified, and which observed figure would identify it."""
    from ..presentation.i18n import unidentified_sentence

    return unidentified_sentence(key, metric, rho, lang)


def calibrate(
    scenario: Scenario,
    observed: Sequence[Observed],
    fits: Sequence[Fit],
    out: str | Path,
    *,
    replications: int = 20,
    seed: int = DEFAULT_SEED,
    holdout: int | None = None,
    jobs: int | None = None,
    scheduler: str | None = None,
    obs_error: float = 0.05,
    points_per_generation: int | None = None,
    generations: int = GENERATIONS,
    resume: bool = False,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
    observed_file: str = "",
    lang: str = "fr",
    figures: bool = True,
) -> Calibration:
    """Fit ``fits`` to the ``observed`` rows (see the module docstring) and write ``out``."""
    from .sweep import executor

    if not fits:
        raise CalibrationError("nothing to fit: give at least one --fit KEY=LOW:HIGH")
    keys = [f.key for f in fits]
    if len(set(keys)) != len(keys):
        raise CalibrationError("a key is given twice to --fit")
    original = scenario
    scenario = scenario.without_uncertainty()
    years = list(
        range(
            scenario.start_year,
            scenario.start_year + scenario.horizon_years + scenario.flow.run_out_years,
        )
    )
    check_years(observed, years, observed_file or "observed")
    fit_rows = [r for r in observed if holdout is None or r.to_year != holdout]
    held = [r for r in observed if holdout is not None and r.to_year == holdout]
    if holdout is not None and not held:
        raise CalibrationError(f"--holdout {holdout}: no observed row ends in {holdout}")
    if not fit_rows:
        raise CalibrationError("no observed row left to fit on")
    obs = np.array([r.value for r in fit_rows])
    if (obs <= 0).any():
        bad = next(r for r in fit_rows if r.value <= 0)
        raise ScenarioError(
            observed_file, f"line {bad.line}", "a figure to fit must be above 0 (relative error)"
        )
    d = len(fits)
    m = points_per_generation or generation_size(d)
    rows_all = list(fit_rows) + held
    nr = len(rows_all)
    finger = hashlib.sha256(
        json.dumps(
            {
                "scenario": scenario.to_toml(),
                "rows": [[r.from_year, r.to_year, r.metric, r.value] for r in rows_all],
                "fits": [[f.key, f.low, f.high] for f in fits],
                "n": replications,
                "seed": seed,
                "holdout": holdout,
                "obs_error": obs_error,
                "m": m,
            },
            sort_keys=True,
        ).encode()
    ).hexdigest()
    folder = Path(out)
    cached = prepare_folder(folder, finger, resume=resume, force=force)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0xCA11B]))
    lo = np.zeros(d)
    hi = np.ones(d)
    boxes: list[tuple[np.ndarray, np.ndarray, int]] = []
    us: list[np.ndarray] = []
    vals: list[np.ndarray] = []  # per point: mean of rows + metrics, then se of rows
    stats_: list[tuple[float, float]] = []
    start = time.perf_counter()
    batch = max(1, math.ceil(replications / max(1, (jobs or os.cpu_count() or 1))))
    indices = list(range(replications))
    batches = [indices[k : k + batch] for k in range(0, replications, batch)]
    ex = None
    total = m * generations + 1
    done = 0
    points_path = folder / POINTS_FILE
    f = open(points_path, "a", newline="", encoding="utf-8")  # noqa: SIM115
    ok = False
    try:

        def evaluate(thetas: list[tuple[float | int, ...]]) -> list[np.ndarray]:
            nonlocal ex, done
            results: dict[int, np.ndarray] = {}
            todo = []
            first: dict[str, int] = {}  # a point met twice (whole-number keys) runs once
            for i, th in enumerate(thetas):
                c = cached.get(_key(th))
                if c is not None and len(c) == replications * (nr + len(REPORTED)):
                    results[i] = np.asarray(c).reshape(replications, nr + len(REPORTED))
                elif _key(th) not in first:
                    first[_key(th)] = i
                    todo.append(i)
            if todo and ex is None:
                ex = executor(jobs, scheduler)
            scen = {i: scenario_at(scenario, fits, thetas[i]) for i in todo}
            groups = [[(scen[i], seed, b, rows_all) for b in batches] for i in todo]
            for g, values in ex.imap_groups(_point_task, groups) if ex is not None else ():
                i = todo[g]
                arr = np.concatenate([np.asarray(v, dtype=float) for v in values], axis=0)
                results[i] = arr
                cached[_key(thetas[i])] = arr.ravel().tolist()
                f.write(csv_line([_key(thetas[i]), *[repr(float(x)) for x in arr.ravel()]]))
                f.flush()
                os.fsync(f.fileno())
                done += 1
                if progress:
                    progress(min(done, total), total)
            return [
                results[i] if i in results else results[first[_key(th)]]
                for i, th in enumerate(thetas)
            ]

        def record(u: np.ndarray, arr: np.ndarray) -> None:
            us.append(u)
            vals.append(arr)
            stats_.append(chi2(arr[:, : len(fit_rows)], obs, obs_error))

        for g in range(generations):
            ug = lo + _lhs(m, d, rng) * (hi - lo)
            thetas = [tuple(fi.value(x) for fi, x in zip(fits, row, strict=True)) for row in ug]
            for u, arr in zip(ug, evaluate(thetas), strict=True):
                record(u, arr)
            boxes.append((lo.copy(), hi.copy(), m))
            w = _weights(np.array(us), np.array([s[1] for s in stats_]), boxes)
            ess = float(w.sum() ** 2 / (w**2).sum()) if w.sum() > 0 else 0.0
            if ess >= TARGET_ESS or g == generations - 1:
                break
            u_all = np.array(us)
            qlo = np.array([_wquantile(u_all[:, j], w, 0.01) for j in range(d)])
            qhi = np.array([_wquantile(u_all[:, j], w, 0.99) for j in range(d)])
            # the box also holds the best quarter of the points so far: a few heavy weights
            # must not shrink it onto one point
            top = u_all[np.argsort([st[1] for st in stats_])[: max(4, len(us) // 4)]]
            qlo = np.minimum(qlo, top.min(axis=0))
            qhi = np.maximum(qhi, top.max(axis=0))
            width = np.maximum(qhi - qlo, 0.02)
            lo = np.clip(qlo - width / 2, 0.0, 1.0)
            hi = np.clip(qhi + width / 2, 0.0, 1.0)
        u_all = np.array(us)
        chis = np.array([s[1] for s in stats_])
        objs = np.array([s[0] for s in stats_])
        w = _weights(u_all, chis, boxes)
        theta_all = np.array(
            [
                [fi.low + x * (fi.high - fi.low) for fi, x in zip(fits, row, strict=True)]
                for row in u_all
            ]
        )
        means = np.array([v.mean(axis=0) for v in vals])
        params: dict[str, dict[str, Any]] = {}
        best = int(np.argmin(objs))
        estimate_theta = []
        for j, fi in enumerate(fits):
            est = _wquantile(theta_all[:, j], w, 0.5)
            lo_j = _wquantile(theta_all[:, j], w, 0.025)
            hi_j = _wquantile(theta_all[:, j], w, 0.975)
            if fi.integer:
                est, lo_j, hi_j = round(est), math.floor(lo_j), math.ceil(hi_j)
            flat = (hi_j - lo_j) > FLAT_SHARE * (fi.high - fi.low)
            entry: dict[str, Any] = {
                "estimate": est,
                "ci_low": lo_j,
                "ci_high": hi_j,
                "identifiable": not flat,
                "low": fi.low,
                "high": fi.high,
                "best": fi.value((theta_all[best, j] - fi.low) / (fi.high - fi.low)),
            }
            if flat:
                first = boxes[0][2]  # the first generation: a Latin hypercube over the whole box
                metric, rho = _identifying_metric(
                    theta_all[:first, j], means[:first, nr:], [r.metric for r in fit_rows]
                )
                entry["note"] = _sentence(fi.key, metric, rho, lang)
                entry["identified_by"] = metric
                entry["identified_rank_correlation"] = rho if metric is not None else None
            params[fi.key] = entry
            estimate_theta.append(est)
        # the simulation at the estimate: every row (fitted and held out) with its intervals
        final = evaluate([tuple(estimate_theta)])[0]
        obj_est, chi_est = chi2(final[:, : len(fit_rows)], obs, obs_error)
        rows_out = [row_dict(r, final[:, k]) for k, r in enumerate(rows_all)]
        for k, r in enumerate(rows_out):
            r["fitted"] = k < len(fit_rows)
        ok = True
    finally:
        f.close()
        if ex is not None:
            ex.close(error=not ok)
    seconds = time.perf_counter() - start
    ess = float(w.sum() ** 2 / (w**2).sum()) if w.sum() > 0 else 0.0
    objective = {
        "definition": "sum over fitted rows of ((simulated mean - observed) / observed)^2",
        "at_estimate": obj_est,
        "chi2_at_estimate": chi_est,
        "at_best_point": float(objs[best]),
        "obs_error": obs_error,
        "effective_sample_size": ess,
    }
    result = Calibration(
        folder=folder,
        fits=tuple(fits),
        parameters=params,
        objective=objective,
        rows=[r for r in rows_out if r["fitted"]],
        holdout=[r for r in rows_out if not r["fitted"]],
        points=len(us),
        seconds=seconds,
        executor=getattr(ex, "label", "cache"),
    )
    result.data = {
        "version": __version__,
        "scenario": scenario.name,
        "scenario_file": scenario.source,
        "observed_file": observed_file,
        "replications": replications,
        "seed": seed,
        "holdout": holdout,
        "method": "sequential importance sampling over shrinking Latin-hypercube boxes, "
        "common random numbers across points; estimate = weighted median, interval = weighted "
        "2.5-97.5 % quantiles (uniform prior over the --fit ranges)",
        "parameters": params,
        "objective": objective,
        "rows": result.rows,
        "holdout_rows": result.holdout,
        "points": len(us),
        "generations": len(boxes),
        "seconds": seconds,
    }
    _finish(result, original, lang, figures)
    return result


def _weights(
    u: np.ndarray, chis: np.ndarray, boxes: Sequence[tuple[np.ndarray, np.ndarray, int]]
) -> np.ndarray:
    """Importance weights: exp(-chi2/2) x uniform prior / mixture of the generations' boxes."""
    total = sum(b[2] for b in boxes)
    q = np.zeros(u.shape[0])
    for lo, hi, m in boxes:
        vol = float(np.prod(np.maximum(hi - lo, 1e-12)))
        inside = np.all((u >= lo - 1e-12) & (u <= hi + 1e-12), axis=1)
        q += (m / total) * inside / vol
    like = np.exp(-(chis - chis.min()) / 2)
    return np.where(q > 0, like / np.where(q > 0, q, 1.0), 0.0)


def _identifying_metric(
    x: np.ndarray, means: np.ndarray, observed: Sequence[str]
) -> tuple[str | None, float]:
    """The reported total (or ratio of two) not already observed that moves most with ``x``
    across the points of a Latin hypercube (``means``: points x :data:`REPORTED`)."""
    candidates: list[tuple[str, np.ndarray]] = [
        (m, means[:, k]) for k, m in enumerate(REPORTED) if m not in observed
    ]
    for num, den in RATIOS:
        if num in REPORTED and den in REPORTED and not (num in observed and den in observed):
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = means[:, REPORTED.index(num)] / means[:, REPORTED.index(den)]
            candidates.append((f"{num}/{den}", ratio))
    best, best_rho = None, 0.0
    for label, y in candidates:
        ok = np.isfinite(y)
        if ok.sum() < 5 or np.ptp(y[ok]) == 0 or np.ptp(x[ok]) == 0:
            continue
        rho = float(stats.spearmanr(x[ok], y[ok]).statistic)
        if np.isfinite(rho) and abs(rho) > abs(best_rho):
            best, best_rho = label, rho
    if best is None or abs(best_rho) < 0.5:
        return None, best_rho
    return best, best_rho


# --------------------------------------------------------------------------------------------
# Outputs


def calibrated_toml(scenario: Scenario, result: Calibration, lang: str = "fr") -> str:
    """The scenario with each fitted key set to its estimate and commented (comments in
    ``lang``); its ``[uncertainty]`` table keeps the keys that were not fitted."""
    import tomli_w

    from ..presentation import i18n

    t = _t(lang)
    values = {k: v["estimate"] for k, v in result.parameters.items()}
    raw = _thaw(scenario.raw)
    table = raw.get("uncertainty")
    if isinstance(table, dict):
        for k in values:
            table.pop(k, None)
        if not table:
            del raw["uncertainty"]
    raw = _raw_at(raw, result.fits, list(values.values()), scenario.source)
    obs = result.data.get("observed_file", "")
    obs_name = Path(obs).name if obs else t["toml_observed_file"]
    before: dict[str, str] = {}
    for k in result.parameters:  # a fitted value's note: what it replaced, and from where
        entry = scenario.provenance.notes.get(k)  # (the file's value, its note)
        if scenario.provenance.origin(k) == "set":  # the run's value, not the file's
            had = t["toml_had_set"].format(value=toml_value(lookup(scenario.raw, k), 6))
        elif entry:
            had = t["toml_had"].format(value=entry[0], note=entry[1])
        else:
            had = ""
        before[k] = t["toml_fitted_on"].format(obs=obs_name) + had
    words = i18n.section("scenario_file")[i18n.norm(lang)]
    body = annotate(tomli_w.dumps(raw), scenario.provenance, words, replaced=before)
    head = [
        t["toml_head"].format(version=__version__, source=scenario.source),
        t["toml_against"].format(
            obs=obs or obs_name,
            rows=len(result.rows),
            reps=result.data["replications"],
            seed=result.data["seed"],
        ),
    ]
    for k, v in result.parameters.items():
        head.append(
            t["toml_param"].format(
                key=k,
                estimate=toml_value(v["estimate"], 6),
                low=toml_value(v["low"], 6),
                high=toml_value(v["high"], 6),
                ci_low=toml_value(v["ci_low"], 6),
                ci_high=toml_value(v["ci_high"], 6),
                ident="" if v["identifiable"] else t["toml_not_identified"],
            )
        )
    lines = body.split("\n")  # not splitlines(): U+2028 and the like stay in strings
    for k, v in result.parameters.items():
        i = _key_line(lines, k)
        if i is not None:
            lines[i] += t["toml_inline"].format(
                obs=obs_name,
                ci_low=toml_value(v["ci_low"], 6),
                ci_high=toml_value(v["ci_high"], 6),
                ident="" if v["identifiable"] else t["toml_inline_not"],
            )
    return "\n".join(head) + "\n\n" + "\n".join(lines) + "\n"


def _key_line(lines: list[str], key: str) -> int | None:
    """The line of TOML text (as tomli_w writes it: one header per table) that sets ``key``."""
    parts = key.split(".")
    leaf, parent = parts[-1], parts[:-1]
    want = ".".join(re.sub(r"\[\d+\]", "", p) for p in parent)
    index = [int(i) for i in re.findall(r"\[(\d+)\]", ".".join(parent))]
    seen: dict[str, int] = {}
    header = ""
    for i, line in enumerate(lines):
        m = re.match(r"^\[\[?([^\]]+)\]\]?\s*$", line)
        if m:
            header = m.group(1).strip()
            seen[header] = seen.get(header, -1) + 1
            continue
        here = header == want and (not index or seen.get(header, 0) == index[-1])
        if here and re.match(rf"^{re.escape(leaf)}\s*=", line):
            return i
    return None


def _finish(result: Calibration, scenario: Scenario, lang: str, figures: bool) -> None:
    """Write the calibration's files; ``calibration.json`` last, so that it is there only once
    the folder is complete (an interrupt before leaves the points for ``--resume``)."""
    folder = result.folder
    write_text_durably(folder / "calibrated.toml", calibrated_toml(scenario, result, lang))
    svg = ""
    if figures:
        from ..presentation.calibration import fit_figure

        fig = fit_figure(result, lang)
        from ..presentation.plots import save

        _png, svg_path = save(fig, folder / "fit")
        svg = svg_path.read_text(encoding="utf-8")
    from ..presentation.calibration import report_html

    write_text_durably(folder / "report.html", report_html(result, lang, svg))
    from ..presentation.workbook import calibration_workbook

    calibration_workbook(
        folder / "results.xlsx", result.parameters, result.rows, result.holdout, lang
    )
    write_text_durably(
        folder / "calibration.json",
        json.dumps(_jsonable(result.data), ensure_ascii=False, indent=2, allow_nan=False) + "\n",
    )


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, float | np.floating):
        return None if not math.isfinite(float(x)) else float(x)
    if isinstance(x, np.integer):
        return int(x)
    return x


def calibration_text(result: Calibration, lang: str = "fr") -> str:
    """The short summary printed at the end."""
    n = fmt.number
    t = _t(lang)
    out = []
    for k, v in result.parameters.items():
        dec = 0 if isinstance(v["estimate"], int) else 4
        tag = "" if v["identifiable"] else f"  ({t['not_identifiable']})"
        out.append(
            f"{k} = {n(v['estimate'], dec, lang)} [{n(v['ci_low'], dec, lang)} – "
            f"{n(v['ci_high'], dec, lang)}]{tag}"
        )
        if not v["identifiable"]:
            out.append(
                "  "
                + _sentence(k, v.get("identified_by"), v.get("identified_rank_correlation"), lang)
            )
    for r in result.rows + result.holdout:
        years = (
            f"{r['from_year']}-{r['to_year']}"
            if r["from_year"] != r["to_year"]
            else str(r["from_year"])
        )
        kind = "" if r["fitted"] else f" ({t['held_out']})"
        out.append(
            f"{r['metric']} {years}{kind}: {t['observed']} {n(r['value'], 0, lang)}, "
            f"{t['simulated']} {n(r['mean'], 0, lang)} (p5–p95 {n(r['p05'], 0, lang)} – "
            f"{n(r['p95'], 0, lang)})"
        )
    out.append(
        t["summary"].format(
            points=result.points,
            s=f"{result.seconds:.0f}",
            executor=result.executor,
            folder=result.folder,
        )
    )
    return "\n".join(out) + "\n"


def command(args: Any, scenario: Scenario) -> int:
    """``clause-sim calibrate``."""
    import sys

    from .. import jobs

    observed = read_observed(args.observed)
    fits = [parse_fit(t, scenario) for t in args.fit]
    out = Path(args.out)

    def work(progress: jobs.Progress) -> Calibration:
        return calibrate(
            scenario,
            observed,
            fits,
            out,
            replications=args.replications,
            seed=DEFAULT_SEED if args.seed is None else args.seed,
            holdout=args.holdout,
            jobs=args.jobs,
            scheduler=args.scheduler,
            obs_error=args.obs_error,
            resume=args.resume,
            force=args.force,
            progress=lambda done, total: progress("calibration", done, total),
            observed_file=args.observed,
            lang=args.lang,
        )

    result = jobs.in_terminal(
        work,
        quiet=args.quiet,
        left=f"points evaluated are in {out / POINTS_FILE}: rerun with --resume",
    )
    sys.stdout.write(calibration_text(result, args.lang))
    return 0
