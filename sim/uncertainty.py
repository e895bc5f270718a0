"""Uncertain parameters: the ``[uncertainty]`` table of a scenario, drawn once per replication.

A scenario may declare any numeric key uncertain, by the same dotted path as ``--set``, with one
of the distribution tables the scenario already uses::

    [uncertainty]
    "flow.siae.posts.etti" = { dist = "triangular", low = 12, mode = 20, high = 30 }
    "flow.missions.next_mission_probability" = { dist = "uniform", low = 0.3, high = 0.7 }

Draws. Over ``n`` replications each parameter follows a Latin hypercube: replication ``i`` gets
the quantile ``u_i = (pi(i) + v_i) / n`` of the parameter's distribution, where ``pi`` is a random
permutation of ``0..n-1`` and ``v_i`` uniform in [0, 1). ``pi`` and ``v`` come from the
parameter's own stream, ``SeedSequence(seed, spawn_key=(crc32("uncertainty"), crc32(key)))``,
independent of the model's streams: a replication's parameter set depends only on (seed, n,
replication index), so ``--jobs`` changes nothing and two scenarios declaring the same key get
the same draws (common random numbers). Keys whose check asks for whole numbers (SIAE posts) are
rounded to the nearest one.

Central values are the values the scenario itself gives the keys: ``--no-uncertainty``, an empty
table and :func:`sim.simulate` run there.

Share of the spread. With a Latin hypercube the parameters are (nearly) uncorrelated by
construction, so the squared Spearman rank correlations ``rho_j²`` of the parameters with a
per-replication total add up to about the R² of the rank regression of the total on all of them.
Each ``rho_j²`` also carries sampling noise of about 1/n, which over 20 parameters and 40
replications would add up to 0.5: the shares are therefore normalised, ``share_j = R²_adj x
rho_j² / sum_k rho_k²``, where ``R²_adj`` is the adjusted R² of that rank regression (which
corrects for the number of parameters), and ``other = 1 - R²_adj`` is what is left to the
simulation's own randomness, to interactions and to non-monotone effects. Sobol indices would
need a paired design of N (d + 2) runs with N in the hundreds; a run's few hundred replications
do not afford it, whereas rank correlations are stable at that size (95 % interval about
±2/sqrt(n)).
"""

from __future__ import annotations

import copy
import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from .errors import ScenarioError
from .scenario import (
    _PATH_PART,
    SCHEMA,
    Dist,
    Key,
    Scenario,
    Table,
    TableArray,
    _check_table,
    _dist,
    _set_path,
    _thaw,
    _Where,
    apply_overrides,
    from_dict,
    toml_value,
)

_TAG = zlib.crc32(b"uncertainty")
CONTRIBUTION_METRICS: tuple[str, ...] = (
    "hours_realised",
    "fte_realised",
    "positive_exits",
    "lapsed_share",
)
"""Per-replication totals whose spread is shared among the uncertain parameters."""
TAIL = 1e-3
"""Unbounded distributions (exponential, lognormal) are checked against the key's domain at
these quantiles (and 1 - TAIL)."""


@dataclass(frozen=True)
class Uncertain:
    """An uncertain parameter: its key (dotted path), distribution, whole-number flag and the
    value the scenario gives it (the central value)."""

    key: str
    dist: Dist
    integer: bool
    central: float
    rescale: bool = False
    """A share in a table whose shares sum to 1: the other shares of the table are scaled so
    that the sum stays 1 (e.g. the share of direct hire; the SIAE routes keep their mix)."""

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Quantiles ``u`` (in [0, 1)) of the distribution, rounded for whole-number keys."""
        x = ppf(self.dist, u)
        return np.rint(x) if self.integer else x

    def spec(self) -> dict[str, Any]:
        """The distribution as a JSON-ready table."""
        return {"dist": self.dist.kind, **{k: _plain(v) for k, v in self.dist.params.items()}}


def _plain(v: Any) -> Any:
    return list(v) if isinstance(v, tuple) else v


def ppf(dist: Dist, u: np.ndarray) -> np.ndarray:
    """Inverse distribution function of a distribution spec at ``u`` in [0, 1)."""
    u = np.asarray(u, dtype=float)
    p: Any = dist.params
    kind = dist.kind
    if kind == "fixed":
        return np.full(u.shape, float(p["value"]))
    if kind == "uniform":
        return p["low"] + u * (p["high"] - p["low"])
    if kind == "triangular":
        lo, mode, hi = float(p["low"]), float(p["mode"]), float(p["high"])
        c = (mode - lo) / (hi - lo)
        left = lo + np.sqrt(u * (hi - lo) * (mode - lo))
        right = hi - np.sqrt((1 - u) * (hi - lo) * (hi - mode))
        return np.where(u < c, left, right)
    if kind == "exponential":
        return -float(p["mean"]) * np.log1p(-u)
    if kind == "lognormal":
        mean, sd = float(p["mean"]), float(p["sd"])
        s2 = math.log1p((sd / mean) ** 2)
        from scipy import special  # here, not at start-up

        z = special.ndtri(np.clip(u, 1e-12, 1 - 1e-12))
        return np.exp(math.log(mean) - s2 / 2 + math.sqrt(s2) * z)
    if kind == "empirical":
        values = np.asarray(p["values"], dtype=float)
        w = np.asarray(p.get("weights", np.ones(values.size)), dtype=float)
        order = np.argsort(values, kind="stable")
        cum = np.cumsum(w[order]) / w.sum()
        idx = np.minimum(np.searchsorted(cum, u, side="right"), values.size - 1)
        return values[order][idx]
    raise ValueError(f"unknown distribution {kind!r}")


def _support(dist: Dist) -> tuple[float, float]:
    """The smallest and largest values a key may take under ``dist``."""
    p: Any = dist.params
    if dist.kind in ("uniform", "triangular"):
        return float(p["low"]), float(p["high"])
    if dist.kind == "fixed":
        return float(p["value"]), float(p["value"])
    if dist.kind == "empirical":
        return float(min(p["values"])), float(max(p["values"]))
    lo, hi = ppf(dist, np.array([TAIL, 1.0 - TAIL]))
    return float(lo), float(hi)


# --------------------------------------------------------------------------------------------
# Parsing


def _leaf(key: str, file: str) -> tuple[str | None, bool]:
    """Walk the schema along ``key``: its kind ("int", "float", None if not a number) and
    whether it is a share in a table whose shares must sum to 1."""
    where = _Where(file, f"uncertainty.{key}")
    node: Any = Key(SCHEMA)
    parts = key.split(".")
    for n, part in enumerate(parts):
        m = _PATH_PART.fullmatch(part)
        check = node.check if isinstance(node, Key) else node
        if not m:
            raise where.fail(f"cannot read key {part!r}")
        name = m.group(1)
        if isinstance(check, Table):
            if name not in check.keys:
                return None, False
            node = check.keys[name]
            if isinstance(node.check, TableArray):
                node = Key(node.check.table)
            continue
        entries = getattr(check, "entries", None)
        if entries is not None and n == len(parts) - 1:
            return getattr(entries[1], "kind", None), bool(getattr(check, "sums_to_one", 0))
        if entries is not None:  # a table of tables (a distribution by route): one level down
            node = entries[1]
            continue
        if getattr(check, "is_dist", False) and n == len(parts) - 1:
            return ("float" if name != "values" else None), False
        return None, False
    check = node.check if isinstance(node, Key) else node
    if isinstance(check, Table | TableArray):
        return None, False
    kind = getattr(check, "kind", None)
    if kind is None and hasattr(check, "item"):
        kind = getattr(check.item, "kind", None)
    return kind, False


def _get(data: Any, key: str) -> Any:
    """The value at a dotted path with list indices in validated data (None if absent)."""
    node = data
    for part in key.split("."):
        m = _PATH_PART.fullmatch(part)
        if m is None or not isinstance(node, Mapping):
            return None
        node = node.get(m.group(1))
        for idx in (int(i) for i in m.group(2).strip("[]").split("][") if i):
            if not isinstance(node, list | tuple) or idx >= len(node):
                return None
            node = node[idx]
    return node


def parse(scenario: Scenario, table: Mapping[str, Mapping[str, Any]]) -> tuple[Uncertain, ...]:
    """Check an ``[uncertainty]`` table against a valid scenario: every key a numeric key the
    schema knows, with a single value, and every value its distribution can draw inside the
    key's domain. Errors name the file and ``uncertainty.KEY``."""
    file = scenario.source
    raw = _thaw(scenario.raw)
    raw.pop("uncertainty", None)
    full = _check_table(SCHEMA, _thaw(raw), _Where(file, ""))
    out = []
    for key, spec in table.items():
        where = _Where(file, f"uncertainty.{key}")
        try:
            apply_overrides(raw, [f"{key}=0"], file)  # the path exists (lists: the item too)
        except ScenarioError as exc:
            raise where.fail(exc.message) from None
        numeric, rescale = _leaf(key, file)
        if numeric is None:
            raise where.fail("not a numeric key: only a number can be uncertain")
        central = _get(full, key)
        if central is None:
            try:  # an entry the schema refuses (a misspelt SIAE type): its own message
                from_dict(apply_overrides(raw, [f"{key}=0"], file), file)
            except ScenarioError as exc:
                raise where.fail(exc.message) from None
        if isinstance(central, list | tuple):
            raise where.fail("holds a list of yearly values: an uncertain key must be one number")
        if central is None or isinstance(central, bool) or not isinstance(central, int | float):
            raise where.fail("has no value in the scenario to be the central value")
        u = Uncertain(key, _dist(spec), numeric == "int", float(central), rescale)
        lo, hi = _support(u.dist)
        if u.integer:
            lo, hi = float(np.rint(lo)), float(np.rint(hi))
        for bound, v in (("lowest", lo), ("highest", hi)):
            value = int(v) if u.integer else v
            try:
                from_dict(_with_values(raw, {key: value}, (u,), file), file)
            except ScenarioError as exc:
                raise where.fail(
                    f"its {bound} value {toml_value(value, 6)} is outside the key's domain "
                    f"({exc.message})"
                ) from None
        out.append(u)
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Draws


def unit_draws(key: str, seed: int, n: int) -> np.ndarray:
    """The Latin hypercube quantiles of one parameter over ``n`` replications (shape (n,))."""
    ss = np.random.SeedSequence(int(seed), spawn_key=(_TAG, zlib.crc32(key.encode())))
    rng = np.random.Generator(np.random.PCG64(ss))
    perm = rng.permutation(n)
    return (perm + rng.random(n)) / n


def draws(params: Sequence[Uncertain], seed: int, n: int) -> np.ndarray:
    """Every replication's parameter values, shape (n, len(params))."""
    u = _unit_matrix(tuple(p.key for p in params), int(seed), n)
    out = np.empty((n, len(params)))
    for j, p in enumerate(params):
        out[:, j] = p.ppf(u[:, j])
    return out


def parameter_set(scenario: Scenario, seed: int, replication: int) -> dict[str, float | int]:
    """The values of the uncertain parameters in one replication ({} at the central values)."""
    n = scenario.draws
    if not scenario.uncertainty or n is None:
        return {}
    if not 0 <= replication < n:
        raise ValueError(f"replication {replication} outside the {n} the draws span")
    out: dict[str, float | int] = {}
    u = _unit_matrix(tuple(p.key for p in scenario.uncertainty), int(seed), n)
    for j, p in enumerate(scenario.uncertainty):
        v = float(p.ppf(u[replication : replication + 1, j])[0])
        out[p.key] = int(v) if p.integer else v
    return out


@lru_cache(maxsize=2)
def _unit_matrix(keys: tuple[str, ...], seed: int, n: int) -> np.ndarray:
    """The Latin hypercube quantiles of every key over ``n`` replications, (n, keys), read-only:
    drawn once a process, not once a replication."""
    out = np.empty((n, len(keys)))
    for j, key in enumerate(keys):
        out[:, j] = unit_draws(key, seed, n)
    out.setflags(write=False)
    return out


def resolve(scenario: Scenario, seed: int, replication: int) -> Scenario:
    """The scenario one replication runs: its uncertain parameters set to their draws."""
    values = parameter_set(scenario, seed, replication)
    if not values:
        return scenario
    raw = _thaw(scenario.raw)
    raw["uncertainty"] = {}
    raw = _with_values(raw, values, scenario.uncertainty, scenario.source)
    return from_dict(raw, scenario.source)


def _with_values(
    raw: dict[str, Any], values: Mapping[str, Any], params: Sequence[Uncertain], file: str
) -> dict[str, Any]:
    """``raw`` with the keys set to ``values``; the other shares of a sums-to-one table whose
    share is uncertain are scaled so that the table still sums to 1."""
    before = raw
    raw = copy.deepcopy(raw)
    for k, v in values.items():  # numbers set as they are (no round trip through TOML text)
        _set_path(raw, k, v, file)
    rescaled = [p for p in params if p.rescale and p.key in values]
    if not rescaled:
        return raw
    full = _check_table(SCHEMA, _thaw({**before, "uncertainty": {}}), _Where(file, ""))
    for p in rescaled:
        parent, name = p.key.rsplit(".", 1)
        table = dict(_get(full, parent) or {})
        others = {k: float(v) for k, v in table.items() if k != name}
        rest, left = sum(others.values()), 1.0 - float(values[p.key])
        if rest > 0 and left >= 0:
            for k, v in others.items():
                _set_path(raw, f"{parent}.{k}", v * left / rest, file)
    return raw


# --------------------------------------------------------------------------------------------
# Share of the spread


def ranks(a: np.ndarray) -> np.ndarray:
    """Ranks from 1 of the values of ``a``, tied values sharing their average rank, all NaN if a
    value is NaN (as ``scipy.stats.rankdata``; numpy only: scipy.stats takes about half a
    second to import)."""
    a = np.asarray(a, dtype=float)
    if np.isnan(a).any():
        return np.full(a.size, np.nan)
    order = np.argsort(a, kind="stable")
    s = a[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])  # first place of each distinct value
    ends = np.r_[starts[1:], s.size]
    out = np.empty(a.size)
    out[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    return out


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation: the correlation of the ranks (0 if either is constant or
    has a NaN)."""
    if np.ptp(x) == 0 or np.ptp(y) == 0 or x.size < 3:
        return 0.0
    rho = np.corrcoef(np.column_stack((ranks(x), ranks(y))), rowvar=False)[1, 0]
    return 0.0 if not np.isfinite(rho) else float(rho)


def section(scenario: Scenario, seed: int, totals: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """The ``uncertainty`` section of ``summary.json``: parameters, distributions, central
    values, and for each metric of :data:`CONTRIBUTION_METRICS` the rank correlation and share
    of the spread each parameter explains (``other``: simulation noise and interactions). Keys
    pinned by ``--set`` are not in it (they ran at their set value: the scenario as run, which
    ``scenario.toml`` records, does not declare them uncertain)."""
    params = scenario.uncertainty
    n = len(next(iter(totals.values()))) if totals else 0
    out: dict[str, Any] = {
        "method": "latin hypercube over the replications; share = squared Spearman rank "
        "correlation with the per-replication total",
        "parameters": [
            {"key": p.key, "distribution": p.spec(), "central": p.central, "integer": p.integer}
            for p in params
        ],
        "contributions": {},
    }
    if not params or n < 3:
        return out
    x = draws(params, seed, n)
    for metric in CONTRIBUTION_METRICS:
        y = np.asarray(totals[metric], dtype=float)
        rhos = [_spearman(x[:, j], y) for j in range(len(params))]
        r2 = rank_r2(x, y)
        sq = sum(r * r for r in rhos)
        rows = {
            p.key: {"rank_correlation": r, "share": (r2 * r * r / sq) if sq > 0 else 0.0}
            for p, r in zip(params, rhos, strict=True)
        }
        out["contributions"][metric] = {
            "parameters": rows,
            "rank_r2_adjusted": r2,
            "other": 1.0 - r2,
        }
    return out


def rank_r2(x: np.ndarray, y: np.ndarray) -> float:
    """Adjusted R² (clipped to [0, 1]) of the least-squares regression of the ranks of ``y`` on
    the ranks of the columns of ``x``; 0 when there are too few rows or a value is NaN."""
    n, d = x.shape
    if n <= d + 1 or np.ptp(y) == 0 or np.isnan(x).any() or np.isnan(y).any():
        return 0.0
    ry = ranks(y)
    rx = np.column_stack([ranks(x[:, j]) for j in range(d)] + [np.ones(n)])
    coef, *_ = np.linalg.lstsq(rx, ry, rcond=None)
    resid = ry - rx @ coef
    ss_res = float(resid @ resid)
    ss_tot = float(((ry - ry.mean()) ** 2).sum())
    r2 = 1.0 - ss_res / ss_tot
    adj = 1.0 - (1.0 - r2) * (n - 1) / (n - d - 1)
    return float(min(1.0, max(0.0, adj)))


def driver(section_: Mapping[str, Any], metric: str = "hours_realised") -> str | None:
    """The parameter that explains the largest share of a metric's spread (None if none)."""
    rows = section_.get("contributions", {}).get(metric, {}).get("parameters", {})
    if not rows:
        return None
    return max(rows, key=lambda k: rows[k]["share"])
