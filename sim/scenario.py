"""Scenario files: read, override, validate, and turn into typed, immutable records.

A scenario is a TOML file (see ``scenarios/erbm-fiche-2023.toml``, whose comments document every
key). :func:`load` reads it, applies ``--set`` overrides, checks every key against the schema below
(unknown keys are refused with the closest known key suggested) and returns a :class:`Scenario`.
Units: amounts in EUR excluding VAT, hours in hours, times in days unless a key says otherwise.
"""

from __future__ import annotations

import copy
import copyreg
import dataclasses
import datetime
import difflib
import functools
import json
import math
import os
import re
import stat
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import tomli_w

from .errors import ScenarioError
from .provenance import Provenance, capture

METHODS = ("labour_share", "hours_per_eur", "hours_per_dwelling")
ROUNDINGS = ("none", "floor_per_dwelling", "round_per_dwelling", "round_total")
PROFILES = ("uniform", "ramp", "custom")
PUBLICS = ("rsa", "under_26", "ase", "other")
"""Publics tracked apart: RSA beneficiaries, under-26s, young people from child welfare, others."""
MODES = ("direct", "etti", "ai", "geiq", "ei", "aci")
"""Mission modes: direct hire by the firm, or through an SIAE of one of five types."""
SIAE_TYPES = MODES[1:]
CRITERIA = ("deld", "th", "over_50", "qpv")
"""Eligibility criteria a person may meet besides their main public, several at once:
long-term jobseeker (DELD, 12 months or more), recognised disabled worker (TH), 50 and over,
resident of a priority neighbourhood (QPV)."""
PUBLIC_GROUPS = ("rsa", "deld", "under_26", "th", "over_50", "qpv", "ase", "other")
"""Publics as clause reporting counts them: a person counts in each group they belong to."""
OUTCOMES = ("durable", "transition", "training", "other", "no_mission", "dropped_out")
"""Exit outcomes. The first four are drawn for people who worked; ``no_mission``: accompanied,
never worked; ``dropped_out``: gave up before any mission."""
DRAWN_OUTCOMES = OUTCOMES[:3]
"""Outcomes whose rates a scenario gives (``other`` is the rest)."""
POSITIVE_OUTCOMES = ("durable", "training")
"""Positive exits, PLIE definition: durable employment (CDI, or CDD of 6 months or more) or a
qualifying training. With ``transition`` they make the *dynamic* exits."""
DYNAMIC_OUTCOMES = OUTCOMES[:3]
RUN_OUT_RULES = ("taper", "hold")
DISTRIBUTIONS = ("exponential", "lognormal", "triangular", "fixed", "uniform", "empirical")
DEFAULT_SCENARIO = "erbm-fiche-2023.toml"

# --------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True)
class Dist:
    """A distribution spec, e.g. ``{dist = "exponential", mean = 90}``; ``kind="none"`` = never."""

    kind: str
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def mean(self) -> float:
        """Mean of the distribution (inf for ``none``)."""
        p = self.params
        if self.kind == "none":
            return math.inf
        if self.kind in ("exponential", "lognormal"):
            return float(p["mean"])
        if self.kind == "fixed":
            return float(p["value"])
        if self.kind == "uniform":
            return (p["low"] + p["high"]) / 2.0
        if self.kind == "triangular":
            return (p["low"] + p["mode"] + p["high"]) / 3.0
        values = [float(v) for v in p["values"]]
        weights = [float(w) for w in p.get("weights", [1.0] * len(values))]
        return sum(v * w for v, w in zip(values, weights, strict=True)) / sum(weights)


@dataclass(frozen=True)
class Clause:
    """How clause hours are computed (scenario-wide defaults; a works line may override)."""

    method: str
    insertion_rate: float
    hourly_cost_eur: float
    rounding: str
    fte_hours: float
    labour_share: float | None
    hours_per_eur: float | None
    hours_per_dwelling: float | None


@dataclass(frozen=True)
class Works:
    """One line of works: dwellings at a cost each, or an amount in EUR, spread over the years."""

    name: str
    dwellings: int | None
    cost_per_dwelling_eur: float | None
    amount_eur: float | None
    profile: str
    yearly_dwellings: tuple[int, ...] | None
    yearly_amount_eur: tuple[float, ...] | None
    method: str
    insertion_rate: float
    hourly_cost_eur: float
    labour_share: float | None
    hours_per_eur: float | None
    hours_per_dwelling: float | None


@dataclass(frozen=True)
class Operations:
    """How each year's works are cut into operations (a cité) that release job offers."""

    dwellings_per_operation: int
    amount_per_operation_eur: float
    start: str
    duration_days: Dist
    release_share: float


@dataclass(frozen=True)
class Missions:
    """Job offers (missions) released by the works and how they are carried out."""

    hours: Dist
    min_hours: float
    weekly_hours: Dist
    mode_shares: Mapping[str, float]
    next_mission_probability: float
    weekly_hours_by_route: Mapping[str, Dist]
    """Weekly hours (h/week) by route; a route not listed uses ``weekly_hours``."""

    def weekly(self, mode: str) -> Dist:
        """Weekly hours distribution of a route (h/week)."""
        return self.weekly_hours_by_route.get(mode, self.weekly_hours)


@dataclass(frozen=True)
class Facilitators:
    """Clause facilitators: a caseload of people from intake to exit."""

    fte: tuple[float, ...]
    caseload_per_fte: float
    priority: tuple[str, ...]
    patience_days: Dist
    max_parcours_days: Dist


@dataclass(frozen=True)
class Preparation:
    """Preparatory step ("sas", qualification) before being job-ready."""

    share: Mapping[str, float]
    duration_days: Dist
    places_per_year: int | None


@dataclass(frozen=True)
class Barrier:
    """A barrier to employment (mobility, childcare) lifted after a delay, maybe needing a place."""

    share: Mapping[str, float]
    delay_days: Dist
    places: int | None


@dataclass(frozen=True)
class Flow:
    """The beneficiary-flow model's parameters (see the ``[flow]`` section of a scenario)."""

    run_out_years: int
    referrals_per_year: tuple[float, ...]
    publics: Mapping[str, float]
    operations: Operations
    missions: Missions
    siae_posts: Mapping[str, int]
    facilitators: Facilitators
    placement_patience_days: Dist
    preparation: Preparation
    mobility: Barrier
    childcare: Barrier
    outcomes: Mapping[str, Mapping[str, float]]
    hours_uplift_per_1000h: float
    run_out_rule: str = "taper"
    criteria: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    fallback_after_days: float = 14.0
    fallback_to: tuple[str, ...] = ()
    post_hours_per_week: float = 35.0
    route_factor: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    outcomes_without_work: Mapping[str, Mapping[str, float]] = field(
        default_factory=lambda: MappingProxyType({})
    )


@dataclass(frozen=True)
class Scenario:
    """A validated scenario. ``raw`` is the TOML data as run (overrides applied)."""

    name: str
    start_year: int
    horizon_years: int
    clause: Clause
    works: tuple[Works, ...]
    flow: Flow
    source: str
    raw: Mapping[str, Any]
    provenance: Provenance = field(default_factory=Provenance, compare=False)
    uncertainty: tuple[Any, ...] = ()
    """Uncertain parameters (:class:`sim.uncertainty.Uncertain`) drawn per replication."""
    pinned: tuple[str, ...] = ()
    """Keys declared uncertain but set with ``--set``: they run at their set value."""
    draws: int | None = None
    """Replications the Latin hypercube of the uncertain parameters spans (set by the runner);
    None runs at the central values (the values the scenario gives)."""

    @property
    def years(self) -> tuple[int, ...]:
        """Calendar years of the horizon."""
        return tuple(range(self.start_year, self.start_year + self.horizon_years))

    def to_toml(self) -> str:
        """The scenario as TOML text, overrides applied, so that a run can be redone."""
        return tomli_w.dumps(_thaw(self.raw))

    def with_overrides(self, overrides: Sequence[str]) -> Scenario:
        """A new scenario with ``KEY=VALUE`` overrides applied (see :func:`apply_overrides`).

        Uncertain keys set here run at their set value (they join :attr:`pinned`)."""
        raw = apply_overrides(_thaw(self.raw), overrides, self.source)
        pinned = _pin(raw, overrides)
        sc = _from_dict_blaming(raw, self.source, overrides)
        p = self.provenance
        origins = dict(p.origins)
        for item in overrides:
            origins[item.split("=", 1)[0].strip()] = "set"
        prov = Provenance(
            p.file, p.header, p.notes, MappingProxyType(origins), (*p.overrides, *overrides)
        )
        return dataclasses.replace(
            sc, pinned=self.pinned + pinned, draws=self.draws, provenance=prov
        )

    def for_replications(self, n: int | None) -> Scenario:
        """The scenario whose uncertain parameters are drawn over ``n`` replications (a Latin
        hypercube, see :mod:`sim.uncertainty`); None: run at the central values."""
        return dataclasses.replace(self, draws=None if n is None else int(n))

    def without_uncertainty(self) -> Scenario:
        """The scenario at its central values, with an empty ``[uncertainty]`` table."""
        if not self.uncertainty and "uncertainty" not in self.raw:
            return self
        raw = _thaw(self.raw)
        raw["uncertainty"] = {}
        return dataclasses.replace(from_dict(raw, self.source), provenance=self.provenance)

    def text(self, key: str, lang: str = "fr") -> str:
        """A free-text key of ``[scenario]`` (``name``, ``description``) in ``lang``: the plain
        string, or the entry of ``{fr = "...", en = "..."}`` for that language (else the other)."""
        return localised(self.raw.get("scenario", {}).get(key, ""), lang)

    def title(self, lang: str = "fr") -> str:
        """The scenario's name in ``lang``, followed by the ``--set`` overrides it was run with
        (so that a title never shows a figure the run did not use)."""
        name = self.text("name", lang)
        changed = self.provenance.overridden()
        if not changed:
            return name
        items = ", ".join(f"{k} = {v}" for k, v in changed.items())
        return f"{name} (--set {items})"


def localised(value: Any, lang: str = "fr") -> str:
    """A free text given as a string or as ``{fr = "...", en = "..."}``, in ``lang``."""
    if isinstance(value, Mapping):
        other = "en" if lang != "en" else "fr"
        return str(value.get(lang) or value.get(other) or "")
    return "" if value is None else str(value)


def _proxy(d: dict[str, Any]) -> MappingProxyType[str, Any]:
    """A read-only mapping again, when a pickled scenario is loaded."""
    return MappingProxyType(d)


# A scenario and its parts are frozen dataclasses holding read-only mappings, which pickle does
# not know: pickle them as dicts that become read-only mappings again when loaded. Loading a
# scenario (each task a worker receives) then costs microseconds, not a validation.
copyreg.pickle(MappingProxyType, lambda m: (_proxy, (dict(m),)))


def _pin(raw: dict[str, Any], overrides: Sequence[str]) -> tuple[str, ...]:
    """Take out of ``raw["uncertainty"]`` the keys that ``overrides`` set; return them."""
    table = raw.get("uncertainty")
    if not isinstance(table, dict) or not table:
        return ()
    pinned = []
    for item in overrides:
        path = item.split("=", 1)[0].strip()
        for key in list(table):
            if key == path or key.startswith(path + ".") or key.startswith(path + "["):
                del table[key]
                pinned.append(key)
    return tuple(pinned)


# --------------------------------------------------------------------------------------------
# Schema: a tiny declarative checker. Each leaf is a function (value, where) -> normalised value.

Check = Callable[[Any, "_Where"], Any]


@dataclass(frozen=True)
class _Where:
    file: str
    key: str

    def sub(self, name: str | int) -> _Where:
        if isinstance(name, int):
            return _Where(self.file, f"{self.key}[{name}]")
        return _Where(self.file, f"{self.key}.{name}" if self.key else name)

    def fail(self, message: str) -> ScenarioError:
        return ScenarioError(self.file, self.key, message)


@dataclass(frozen=True)
class Key:
    """A key of a table: its check, and its default (``REQUIRED`` if it must be given)."""

    check: Check | Table | TableArray
    default: Any = None
    doc: str = ""


REQUIRED = object()


@dataclass(frozen=True)
class Table:
    keys: Mapping[str, Key]


@dataclass(frozen=True)
class TableArray:
    table: Table
    min_items: int = 1


def _type_name(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
        datetime.datetime: "a date and time",
        datetime.date: "a date",
        datetime.time: "a time of day",
    }.get(type(value), type(value).__name__)


def _got(value: Any) -> str:
    """What was given, for an error line: its kind and value (a date as TOML writes it)."""
    if isinstance(value, datetime.date | datetime.time):
        return f"{_type_name(value)} {value.isoformat()}"
    return f"{_type_name(value)} {value!r}"


def number(
    *,
    positive: bool = False,
    nonneg: bool = False,
    rate: bool = False,
    integer: bool = False,
    allow_inf: bool = False,
) -> Check:
    """A numeric check: positive (> 0), nonneg (>= 0), rate (in [0, 1]), integer."""

    def check(value: Any, where: _Where) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise where.fail(f"expected a number, got {_got(value)}")
        if integer and not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise where.fail(f"expected a whole number, got {value!r}")
        if isinstance(value, int) and abs(value) > 2**53:  # beyond exact floats, numpy's int64
            raise where.fail(f"too large, got {_short(value)}")
        if isinstance(value, float) and math.isnan(value):
            raise where.fail("expected a number, got nan")
        if math.isinf(value) and not allow_inf:
            raise where.fail(f"expected a finite number, got {value!r}")
        if rate and not 0.0 <= value <= 1.0:
            raise where.fail(f"must be a share between 0 and 1, got {value!r}")
        if positive and value <= 0:
            raise where.fail(f"must be positive, got {value!r}")
        if nonneg and value < 0:
            raise where.fail(f"must not be negative, got {value!r}")
        return value

    check.numeric = not rate  # type: ignore[attr-defined]  # needs a domain bound (BOUNDS)
    check.kind = "int" if integer else "float"  # type: ignore[attr-defined]
    return check


def _short(value: Any) -> str:
    """A value for an error line: a number of many digits cut to its first ones."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:20]}... ({len(text)} digits)"


def string(choices: Sequence[str] | None = None) -> Check:
    """A string check, optionally one of ``choices``."""

    def check(value: Any, where: _Where) -> Any:
        if not isinstance(value, str):
            raise where.fail(f"expected a string, got {_got(value)}")
        if choices is not None and value not in choices:
            hint = _suggest(value, choices)
            raise where.fail(f"unknown value {value!r}; expected one of {', '.join(choices)}{hint}")
        return value

    return check


def free_text() -> Check:
    """A planner's text: a string, or one per language ``{fr = "...", en = "..."}``."""

    def check(value: Any, where: _Where) -> Any:
        if isinstance(value, dict):
            for k, v in value.items():
                if k not in ("fr", "en"):
                    raise where.sub(k).fail("unknown language; expected fr or en")
                if not isinstance(v, str):
                    raise where.sub(k).fail(f"expected a string, got {_got(v)}")
            if not value:
                raise where.fail("give the text in fr, en or both")
            return value
        return string()(value, where)

    return check


def list_of(item: Check, *, min_len: int = 1) -> Check:
    def check(value: Any, where: _Where) -> Any:
        if not isinstance(value, list):
            raise where.fail(f"expected a list, got {_got(value)}")
        if len(value) < min_len:
            raise where.fail(f"expected at least {min_len} item(s)")
        return [item(v, where.sub(i)) for i, v in enumerate(value)]

    check.numeric = getattr(item, "numeric", False)  # type: ignore[attr-defined]
    return check


def scalar_or_list(item: Check) -> Check:
    """A number, or a list of numbers (one a year)."""
    as_list = list_of(item)

    def check(value: Any, where: _Where) -> Any:
        return as_list(value, where) if isinstance(value, list) else item(value, where)

    check.numeric = getattr(item, "numeric", False)  # type: ignore[attr-defined]
    check.item = item  # type: ignore[attr-defined]
    return check


def by_name(
    names: Sequence[str],
    item: Check,
    *,
    complete: bool = False,
    sums_to_one: bool = False,
    max_sum_one: bool = False,
) -> Check:
    """A table keyed by names (publics, modes, SIAE types) with a check per value."""

    def check(value: Any, where: _Where) -> Any:
        if not isinstance(value, dict):
            raise where.fail(f"expected a table like {{{names[0]} = ...}}, got {value!r}")
        out = {}
        for k, v in value.items():
            if k not in names:
                raise where.sub(k).fail(
                    f"unknown key{_suggest(k, names)}; known: {', '.join(names)}"
                )
            out[k] = item(v, where.sub(k))
        if complete and set(out) != set(names):
            missing = [n for n in names if n not in out]
            raise where.fail(f"missing {', '.join(missing)}")
        if not (sums_to_one or max_sum_one):
            return out
        total = sum(out.values())
        if sums_to_one and not math.isclose(total, 1.0, abs_tol=1e-9):
            raise where.fail(f"shares must sum to 1, they sum to {total:g}")
        if max_sum_one and total > 1.0 + 1e-9:
            raise where.fail(f"shares must sum to at most 1, they sum to {total:g}")
        return out

    check.numeric = getattr(item, "numeric", False)  # type: ignore[attr-defined]
    check.entries = (tuple(names), item)  # type: ignore[attr-defined]
    check.sums_to_one = sums_to_one  # type: ignore[attr-defined]
    return check


_DIST_PARAMS: dict[str, tuple[str, ...]] = {
    "exponential": ("mean",),
    "lognormal": ("mean", "sd"),
    "triangular": ("low", "mode", "high"),
    "fixed": ("value",),
    "uniform": ("low", "high"),
    "empirical": ("values", "weights"),
}


def _distinct(check: Check) -> Check:
    """A list check whose items must not repeat."""

    def inner(value: Any, where: _Where) -> Any:
        items = check(value, where)
        repeated = sorted({x for x in items if items.count(x) > 1})
        if repeated:
            raise where.fail(f"{', '.join(map(str, repeated))} given more than once")
        return items

    return inner


def dist(*, allow_none: bool = False, positive: bool = False) -> Check:
    """A distribution spec table; with ``allow_none`` the string "none" means never (no limit);
    with ``positive`` every value it can draw must be above zero (a size, a rate)."""

    def check(value: Any, where: _Where) -> Any:
        if allow_none and value == "none":
            return {"dist": "none"}
        if not isinstance(value, dict) or "dist" not in value:
            extra = ' or "none"' if allow_none else ""
            raise where.fail(
                f'expected a distribution like {{dist = "exponential", mean = 90}}{extra}, '
                f"got {value!r}"
            )
        kind = string(DISTRIBUTIONS)(value["dist"], where.sub("dist"))
        allowed = _DIST_PARAMS[kind]
        for k in value:
            if k != "dist" and k not in allowed:
                raise where.sub(k).fail(
                    f"unknown parameter for {kind}{_suggest(k, allowed)}; "
                    f"expected {', '.join(allowed)}"
                )
        needed = [p for p in allowed if p != "weights"]
        for p in needed:
            if p not in value:
                raise where.fail(f"{kind} needs {', '.join(needed)}; missing {p}")
        pos = number(positive=True)
        nonneg = pos if positive else number(nonneg=True)
        out: dict[str, Any] = {"dist": kind}
        if kind in ("exponential", "lognormal"):
            out["mean"] = pos(value["mean"], where.sub("mean"))
            if kind == "lognormal":
                out["sd"] = pos(value["sd"], where.sub("sd"))
        elif kind == "fixed":
            out["value"] = nonneg(value["value"], where.sub("value"))
        elif kind == "uniform":
            out["low"] = nonneg(value["low"], where.sub("low"))
            out["high"] = nonneg(value["high"], where.sub("high"))
            if out["high"] < out["low"]:
                raise where.fail("uniform needs low <= high")
        elif kind == "triangular":
            for p in ("low", "mode", "high"):
                out[p] = nonneg(value[p], where.sub(p))
            if not out["low"] <= out["mode"] <= out["high"] or out["low"] == out["high"]:
                raise where.fail("triangular needs low <= mode <= high and low < high")
        else:
            out["values"] = list_of(nonneg)(value["values"], where.sub("values"))
            if "weights" in value:
                w = list_of(nonneg)(value["weights"], where.sub("weights"))
                if len(w) != len(out["values"]):
                    raise where.sub("weights").fail(
                        f"has {len(w)} items but values has {len(out['values'])}"
                    )
                if sum(w) <= 0:
                    raise where.sub("weights").fail("must not all be zero")
                out["weights"] = w
        return out

    check.numeric = True  # type: ignore[attr-defined]
    check.is_dist = True  # type: ignore[attr-defined]
    return check


def _suggest(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_table(table: Table, value: Any, where: _Where) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise where.fail(f"expected a table, got {_got(value)}")
    for k in value:
        if k not in table.keys:
            raise where.sub(k).fail(f"unknown key{_suggest(k, list(table.keys))}")
    out: dict[str, Any] = {}
    for name, key in table.keys.items():
        sub = where.sub(name)
        if name not in value:
            if key.default is REQUIRED:
                raise sub.fail("missing required key")
            if isinstance(key.check, Table):
                out[name] = _check_table(key.check, {}, sub)
            elif key.default is None or isinstance(key.check, TableArray):
                out[name] = copy.deepcopy(key.default)
            else:  # a default (from the reference scenario) is checked and normalised too
                out[name] = _check(key.check, copy.deepcopy(key.default), sub)
            continue
        out[name] = _check(key.check, value[name], sub)
    return out


def _check(check: Check | Table | TableArray, value: Any, where: _Where) -> Any:
    if isinstance(check, Table):
        return _check_table(check, value, where)
    if isinstance(check, TableArray):
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise where.fail("expected a list of tables ([[...]] lines)")
        if len(value) < check.min_items:
            raise where.fail(f"expected at least {check.min_items} line(s)")
        return [_check_table(check.table, v, where.sub(i)) for i, v in enumerate(value)]
    out = check(value, where)
    bound = BOUNDS.get(_INDEX.sub("[]", where.key))
    if bound is not None:
        bound.apply(out, where)
    return out


# --------------------------------------------------------------------------------------------
# Domain bounds: every numeric key of the schema has one (tests check it), with its reason.


_INDEX = re.compile(r"\[\d+\]")
_LOCATION = ("mean", "low", "mode", "high", "value", "values")
"""Parameters of a distribution that the low bound applies to (not ``sd``, not ``weights``)."""
MAX_WEIGHT = 1e6
"""Largest weight of an empirical distribution (weights are relative: 1e6 is plenty)."""


_SINGULAR = {
    "days": "day",
    "years": "year",
    "dwellings": "dwelling",
    "people": "person",
    "people a year": "person a year",
    "posts": "post",
    "places": "place",
}
"""Units of the bounds in the singular, after a limit of 0 or 1."""


@dataclass(frozen=True)
class Bound:
    """The domain of a numeric key: ``low <= value <= high`` (None: no such side), in ``unit``,
    with ``why`` telling the user where the limits come from. It applies to a number, to each
    item of a list or table of numbers, and to a distribution's parameters."""

    low: float | None
    high: float
    unit: str
    why: str
    why_low: str | None = None
    """Reason of the low bound when it differs from ``why`` (empty: none given)."""
    grouped: bool = True
    """Whether the limits are written with thousands separators (not a year's)."""

    def _fail(self, where: _Where, value: Any) -> ScenarioError:
        limit: float | None
        if value > self.high:
            side, limit, why = "at most", self.high, self.why
        else:
            side, limit = "at least", self.low
            why = self.why if self.why_low is None else self.why_low
        unit = _SINGULAR.get(self.unit, self.unit) if abs(limit or 0) < 2 else self.unit
        unit = f" {unit}" if unit else ""
        reason = f" ({why})" if why else ""
        text = f"{limit:,g}" if self.grouped else f"{limit:g}"
        return where.fail(f"must be {side} {text}{unit}{reason}, got {value!r}")

    def apply(self, value: Any, where: _Where, low: bool = True) -> None:
        if isinstance(value, bool) or value is None:
            return
        if isinstance(value, int | float):
            if value > self.high or (low and self.low is not None and value < self.low):
                raise self._fail(where, value)
        elif isinstance(value, list | tuple):
            for i, v in enumerate(value):
                self.apply(v, where.sub(i), low)
        elif isinstance(value, Mapping):
            is_dist = "dist" in value
            for k, v in value.items():
                if k == "dist":
                    continue
                if is_dist and k == "weights":
                    for i, w in enumerate(v):
                        if w > MAX_WEIGHT:
                            raise (
                                where.sub(k)
                                .sub(i)
                                .fail(
                                    f"must be at most {MAX_WEIGHT:g} (weights are relative), "
                                    f"got {w!r}"
                                )
                            )
                    continue
                self.apply(v, where.sub(k), low and (not is_dist or k in _LOCATION))


_CENTURY_DAYS = 36_525  # a bound on durations (days), not a year
_PEOPLE = 100_000
_NATIONAL_EUR = 1e11
_NATIONAL_DWELLINGS = 10_000_000
_DAYS = Bound(None, _CENTURY_DAYS, "days", "a hundred years at most")
_HOURLY = Bound(5.0, 500.0, "EUR an hour", "an hourly labour cost: a few EUR to a few hundred")
_H_PER_EUR = Bound(None, 0.2, "h/EUR", "one hour per 5 EUR of works at most")
_H_PER_DWELLING = Bound(None, 5_000.0, "h", "about three full-time years a dwelling at most")
_EUR = Bound(None, _NATIONAL_EUR, "EUR", "100 billion EUR, above any national programme")
_DWELLINGS = Bound(
    None,
    _NATIONAL_DWELLINGS,
    "dwellings",
    "ten million, above France's whole social housing stock (about 5.5 million)",
)
_PLACES = Bound(None, _PEOPLE, "places", "a national-programme ceiling")

BOUNDS: dict[str, Bound] = {
    "scenario.start_year": Bound(1950, 2150, "", "a calendar year", grouped=False),
    "scenario.horizon_years": Bound(1, 100, "years", "a century of works at most", ""),
    "clause.hourly_cost_eur": _HOURLY,
    "clause.fte_hours": Bound(
        1_000, 2_500, "h", "hours of a full-time year: 1,607 legal, 1,820 paid in France"
    ),
    "clause.hours_per_eur": _H_PER_EUR,
    "clause.hours_per_dwelling": _H_PER_DWELLING,
    "works[].dwellings": _DWELLINGS,
    "works[].cost_per_dwelling_eur": Bound(
        None, 2_000_000, "EUR", "renovating a dwelling costs tens of thousands of EUR"
    ),
    "works[].amount_eur": _EUR,
    "works[].yearly_dwellings": _DWELLINGS,
    "works[].yearly_amount_eur": _EUR,
    "works[].hourly_cost_eur": _HOURLY,
    "works[].hours_per_eur": _H_PER_EUR,
    "works[].hours_per_dwelling": _H_PER_DWELLING,
    "flow.run_out_years": Bound(0, 50, "years", "horizon plus run-out is a century at most"),
    "flow.referrals.per_year": Bound(
        None, _PEOPLE, "people a year", "a national-programme ceiling of referrals"
    ),
    "flow.operations.dwellings_per_operation": _DWELLINGS,
    "flow.operations.amount_per_operation_eur": _EUR,
    "flow.operations.duration_days": _DAYS,
    "flow.missions.hours": Bound(None, 20_000, "h", "about ten full-time years"),
    "flow.missions.min_hours": Bound(1, 2_000, "h", "from an hour to a full-time year"),
    "flow.missions.weekly_hours": Bound(1, 60, "h a week", "the legal maximum is 48 h a week"),
    "flow.siae.posts": Bound(None, _PEOPLE, "posts", "a national-programme ceiling"),
    "flow.siae.fallback_after_days": _DAYS,
    "flow.siae.post_hours_per_week": Bound(
        1, 60, "h a week", "the legal maximum is 48 h a week", "an hour a week at least"
    ),
    "flow.missions.weekly_hours_by_route": Bound(
        1, 60, "h a week", "the legal maximum is 48 h a week"
    ),
    "flow.outcomes.route_factor": Bound(None, 10, "", "a factor on the chances of a positive exit"),
    "flow.facilitators.fte": Bound(None, 10_000, "FTE", "a national-programme ceiling"),
    "flow.facilitators.caseload_per_fte": Bound(
        1, 1_000, "people", "people followed by one full-time facilitator"
    ),
    "flow.facilitators.patience_days": _DAYS,
    "flow.facilitators.max_parcours_days": _DAYS,
    "flow.placement.patience_days": _DAYS,
    "flow.preparation.duration_days": _DAYS,
    "flow.preparation.places_per_year": _PLACES,
    "flow.barriers.mobility.delay_days": _DAYS,
    "flow.barriers.mobility.places": _PLACES,
    "flow.barriers.childcare.delay_days": _DAYS,
    "flow.barriers.childcare.places": _PLACES,
    "flow.outcomes.hours_uplift_per_1000h": Bound(
        None, 10.0, "per 1,000 h", "a relative rise of the exit rates per 1,000 hours worked"
    ),
}
"""Domain bound of every numeric key, by dotted path (list items as ``[]``). A new numeric key
declares its bound here; ``tests/test_bounds.py`` fails for a key without one."""
MAX_YEARS = 100
"""Longest span simulated: ``horizon_years + flow.run_out_years``."""


# Defaults below are documented, with their sources, in scenarios/erbm-fiche-2023.toml.
_POS = number(positive=True)
_NONNEG = number(nonneg=True)
_RATE = number(rate=True)
_POS_INT = number(positive=True, integer=True)
_NONNEG_INT = number(nonneg=True, integer=True)

SCHEMA = Table(
    {
        "scenario": Key(
            Table(
                {
                    "name": Key(free_text(), REQUIRED),
                    "description": Key(free_text(), ""),
                    "start_year": Key(number(integer=True), REQUIRED),
                    "horizon_years": Key(number(integer=True), REQUIRED),
                }
            ),
            REQUIRED,
        ),
        "clause": Key(
            Table(
                {
                    "method": Key(string(METHODS), "labour_share"),
                    "insertion_rate": Key(_RATE, 0.05),
                    "hourly_cost_eur": Key(_POS, 28.0),
                    "rounding": Key(string(ROUNDINGS), "floor_per_dwelling"),
                    "fte_hours": Key(_POS, 1820.0),
                    "labour_share": Key(_RATE, None),
                    "hours_per_eur": Key(_POS, None),
                    "hours_per_dwelling": Key(_POS, None),
                }
            )
        ),
        "works": Key(
            TableArray(
                Table(
                    {
                        "name": Key(string(), ""),
                        "dwellings": Key(_POS_INT, None),
                        "cost_per_dwelling_eur": Key(_POS, None),
                        "amount_eur": Key(_POS, None),
                        "profile": Key(string(PROFILES), "uniform"),
                        "yearly_dwellings": Key(list_of(_NONNEG_INT), None),
                        "yearly_amount_eur": Key(list_of(_NONNEG), None),
                        "method": Key(string(METHODS), None),
                        "insertion_rate": Key(_RATE, None),
                        "hourly_cost_eur": Key(_POS, None),
                        "labour_share": Key(_RATE, None),
                        "hours_per_eur": Key(_POS, None),
                        "hours_per_dwelling": Key(_POS, None),
                    }
                )
            ),
            REQUIRED,
        ),
        "flow": Key(
            Table(
                {
                    "run_out_years": Key(_NONNEG_INT, 2),
                    "run_out_rule": Key(string(RUN_OUT_RULES), "taper"),
                    "referrals": Key(
                        Table(
                            {
                                "per_year": Key(scalar_or_list(_NONNEG), 180.0),
                                "publics": Key(
                                    by_name(PUBLICS, _RATE, sums_to_one=True),
                                    {"rsa": 0.32, "under_26": 0.25, "ase": 0.03, "other": 0.40},
                                ),
                                "criteria": Key(
                                    by_name(CRITERIA, _RATE),
                                    {"deld": 0.45, "th": 0.08, "over_50": 0.12, "qpv": 0.5},
                                ),
                            }
                        )
                    ),
                    "operations": Key(
                        Table(
                            {
                                "dwellings_per_operation": Key(_POS_INT, 100),
                                "amount_per_operation_eur": Key(_POS, 5_000_000.0),
                                "start": Key(string(("spread", "random")), "spread"),
                                "duration_days": Key(
                                    dist(),
                                    {"dist": "triangular", "low": 180, "mode": 365, "high": 540},
                                ),
                                "release_share": Key(number(rate=True, positive=True), 0.7),
                            }
                        )
                    ),
                    "missions": Key(
                        Table(
                            {
                                "hours": Key(
                                    dist(positive=True),
                                    {"dist": "lognormal", "mean": 900, "sd": 350},
                                ),
                                "min_hours": Key(_POS, 70.0),
                                "weekly_hours": Key(
                                    dist(positive=True), {"dist": "uniform", "low": 20, "high": 35}
                                ),
                                "mode_shares": Key(
                                    by_name(MODES, _RATE, sums_to_one=True),
                                    {
                                        "direct": 0.6,
                                        "etti": 0.15,
                                        "ai": 0.05,
                                        "geiq": 0.05,
                                        "ei": 0.1,
                                        "aci": 0.05,
                                    },
                                ),
                                "next_mission_probability": Key(_RATE, 0.5),
                                "weekly_hours_by_route": Key(
                                    by_name(MODES, dist(positive=True)),
                                    {
                                        "direct": {"dist": "fixed", "value": 35},
                                        "etti": {"dist": "fixed", "value": 35},
                                        "geiq": {"dist": "fixed", "value": 35},
                                        "ai": {"dist": "uniform", "low": 15, "high": 35},
                                        "ei": {"dist": "uniform", "low": 20, "high": 35},
                                        "aci": {"dist": "uniform", "low": 20, "high": 35},
                                    },
                                ),
                            }
                        )
                    ),
                    "siae": Key(
                        Table(
                            {
                                "posts": Key(
                                    by_name(SIAE_TYPES, _NONNEG_INT, complete=True),
                                    {"etti": 12, "ai": 4, "geiq": 4, "ei": 8, "aci": 4},
                                ),
                                "fallback_after_days": Key(_NONNEG, 14.0),
                                "fallback_to": Key(
                                    _distinct(list_of(string(MODES), min_len=0)),
                                    ["etti", "ai", "geiq", "direct"],
                                ),
                                "post_hours_per_week": Key(_POS, 35.0),
                            }
                        )
                    ),
                    "facilitators": Key(
                        Table(
                            {
                                "fte": Key(scalar_or_list(_NONNEG), 2.5),
                                "caseload_per_fte": Key(_POS, 60.0),
                                "priority": Key(_distinct(list_of(string(PUBLICS), min_len=0)), []),
                                "patience_days": Key(
                                    dist(allow_none=True), {"dist": "exponential", "mean": 120}
                                ),
                                "max_parcours_days": Key(dist(), {"dist": "fixed", "value": 730}),
                            }
                        )
                    ),
                    "placement": Key(
                        Table(
                            {
                                "patience_days": Key(
                                    dist(allow_none=True), {"dist": "exponential", "mean": 240}
                                ),
                            }
                        )
                    ),
                    "preparation": Key(
                        Table(
                            {
                                "share": Key(
                                    by_name(PUBLICS, _RATE),
                                    {"rsa": 0.3, "under_26": 0.4, "ase": 0.5, "other": 0.15},
                                ),
                                "duration_days": Key(
                                    dist(),
                                    {"dist": "triangular", "low": 20, "mode": 45, "high": 90},
                                ),
                                "places_per_year": Key(_NONNEG_INT, None),
                            }
                        )
                    ),
                    "barriers": Key(
                        Table(
                            {
                                "mobility": Key(
                                    Table(
                                        {
                                            "share": Key(
                                                by_name(PUBLICS, _RATE),
                                                {
                                                    "rsa": 0.3,
                                                    "under_26": 0.3,
                                                    "ase": 0.4,
                                                    "other": 0.15,
                                                },
                                            ),
                                            "delay_days": Key(
                                                dist(), {"dist": "exponential", "mean": 30}
                                            ),
                                            "places": Key(_NONNEG_INT, None),
                                        }
                                    )
                                ),
                                "childcare": Key(
                                    Table(
                                        {
                                            "share": Key(
                                                by_name(PUBLICS, _RATE),
                                                {
                                                    "rsa": 0.15,
                                                    "under_26": 0.05,
                                                    "ase": 0.05,
                                                    "other": 0.05,
                                                },
                                            ),
                                            "delay_days": Key(
                                                dist(), {"dist": "exponential", "mean": 45}
                                            ),
                                            "places": Key(_NONNEG_INT, None),
                                        }
                                    )
                                ),
                            }
                        )
                    ),
                    "outcomes": Key(
                        Table(
                            {
                                "rsa": Key(
                                    by_name(DRAWN_OUTCOMES, _RATE, complete=True, max_sum_one=True),
                                    {"durable": 0.14, "transition": 0.16, "training": 0.06},
                                ),
                                "under_26": Key(
                                    by_name(DRAWN_OUTCOMES, _RATE, complete=True, max_sum_one=True),
                                    {"durable": 0.18, "transition": 0.24, "training": 0.10},
                                ),
                                "ase": Key(
                                    by_name(DRAWN_OUTCOMES, _RATE, complete=True, max_sum_one=True),
                                    {"durable": 0.14, "transition": 0.20, "training": 0.10},
                                ),
                                "other": Key(
                                    by_name(DRAWN_OUTCOMES, _RATE, complete=True, max_sum_one=True),
                                    {"durable": 0.22, "transition": 0.24, "training": 0.06},
                                ),
                                "hours_uplift_per_1000h": Key(_NONNEG, 0.2),
                                "route_factor": Key(
                                    by_name(MODES, _NONNEG),
                                    {
                                        "direct": 1.0,
                                        "etti": 1.0,
                                        "ai": 1.0,
                                        "geiq": 1.2,
                                        "ei": 0.9,
                                        "aci": 0.8,
                                    },
                                ),
                                "without_work": Key(
                                    by_name(
                                        PUBLICS,
                                        by_name(
                                            DRAWN_OUTCOMES, _RATE, complete=True, max_sum_one=True
                                        ),
                                    ),
                                    {},
                                ),
                            }
                        )
                    ),
                }
            )
        ),
        # uncertain parameters: checked in full by sim.uncertainty.parse once the rest is valid
        "uncertainty": Key(lambda value, where: _uncertainty_table(value, where), {}),
    }
)


def _uncertainty_table(value: Any, where: _Where) -> dict[str, Any]:
    """``[uncertainty]``: ``"dotted.key" = {dist = ...}`` entries (a distribution each)."""
    if not isinstance(value, dict):
        raise where.fail(f"expected a table of distributions, got {_got(value)}")
    check = dist(positive=False)
    return {k: check(v, _Where(where.file, f"uncertainty.{k}")) for k, v in value.items()}


# --------------------------------------------------------------------------------------------
# The reference scenario is the defaults

REFERENCE_TABLES = ("clause", "flow")
"""Tables whose missing keys take the reference scenario's value (and its source note)."""


def default_scenario_path() -> Path:
    """The shipped reference scenario (package data when installed, else ``scenarios/``)."""
    packaged = resources.files("sim") / "scenarios" / DEFAULT_SCENARIO
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "scenarios" / DEFAULT_SCENARIO


@functools.lru_cache(maxsize=1)
def reference_text() -> str:
    """The reference scenario's text (its comments document every default)."""
    return default_scenario_path().read_text(encoding="utf-8")


def _with_reference(table: Table, ref: Any) -> Table:
    ref = ref if isinstance(ref, dict) else {}
    keys: dict[str, Key] = {}
    for name, key in table.keys.items():
        if isinstance(key.check, Table):
            keys[name] = Key(_with_reference(key.check, ref.get(name)), key.default, key.doc)
        elif name in ref:
            keys[name] = Key(key.check, ref[name], key.doc)
        else:
            keys[name] = key
    return Table(keys)


def _reference_schema(schema: Table) -> Table:
    """The schema with the defaults of :data:`REFERENCE_TABLES` read from the reference file."""
    ref = tomllib.loads(reference_text())
    keys = dict(schema.keys)
    for name in REFERENCE_TABLES:
        key = keys[name]
        assert isinstance(key.check, Table)
        keys[name] = Key(_with_reference(key.check, ref.get(name)), key.default, key.doc)
    return Table(keys)


SCHEMA = _reference_schema(SCHEMA)


def is_leaf_key(key: str) -> bool:
    """Whether a dotted key (list indices allowed) names one value of the schema (a number, a
    string, or a table that is one value such as shares or a distribution)."""
    node: Any = Key(SCHEMA)
    for part in key.split("."):
        name = re.sub(r"\[\d+\]$", "", part)
        child = _schema_child(node, name)
        if child is None:
            return False
        node = Key(child.check.table) if isinstance(child.check, TableArray) else child
    return isinstance(node, Key) and not isinstance(node.check, Table | TableArray)


def _defaulted_keys(file_raw: Mapping[str, Any]) -> list[str]:
    """Dotted keys the file does not give but that have a value (reference or schema)."""
    out: list[str] = []

    def walk(table: Table, raw: Any, prefix: str) -> None:
        raw = raw if isinstance(raw, dict) else {}
        for name, key in table.keys.items():
            full = f"{prefix}.{name}" if prefix else name
            if isinstance(key.check, Table):
                walk(key.check, raw.get(name), full)
            elif isinstance(key.check, TableArray):
                items = raw.get(name)
                for i, item in enumerate(items if isinstance(items, list) else ()):
                    walk(key.check.table, item, f"{full}[{i}]")
            elif name not in raw and key.default is not None and key.default is not REQUIRED:
                out.append(full)

    walk(SCHEMA, file_raw, "")
    return out


# --------------------------------------------------------------------------------------------
# Loading

_FRENCH_DECIMAL = re.compile(r"=\s*-?\d+,\d+")
_SPACED_THOUSANDS = re.compile(r"=\s*-?\d{1,3}(?:[ \u00a0\u202f]\d{3})+\b")


def _toml_hint(text: str, exc: tomllib.TOMLDecodeError) -> str:
    """A hint for French-style numbers on the line a TOML error names."""
    m = re.search(r"line (\d+)", str(exc))
    lines = text.splitlines()
    n = int(m.group(1)) if m else 0
    candidates = [lines[i] for i in (n - 1, n - 2) if 0 <= i < len(lines)]  # or the one before
    for line in candidates:
        code = line.split("#", 1)[0]
        d = _FRENCH_DECIMAL.search(code)
        if d:
            number = d.group(0).lstrip("= \t")
            return f"; numbers take a decimal point: write {number.replace(',', '.')}, not {number}"
        t = _SPACED_THOUSANDS.search(code)
        if t:
            number = t.group(0).lstrip("= \t")
            plain = re.sub(r"[ \u00a0\u202f]", "", number)
            return f"; no spaces inside numbers: write {plain} (or {number.replace(' ', '_')})"
    return ""


MAX_FILE_BYTES = 2 * 1024 * 1024
"""Largest scenario or sweep file read (bytes): real ones are a few kB."""
MAX_DEPTH = 24
"""Deepest nesting of tables, arrays and dotted keys read in a TOML text (real files: 6)."""

_TOML_SPECIAL = re.compile(r"[\[\]{}\"'#=,.\n]")


def toml_depth(text: str) -> int:
    """An upper bound of the nesting depth of a TOML text (arrays, inline tables, headers and
    dotted keys), found by a scan that never recurses: checked before parsing, so that a
    hostile file cannot exhaust the stack or memory of the parser."""
    depth = most = dots = 0
    in_key = True
    i, n = 0, len(text)
    while True:
        m = _TOML_SPECIAL.search(text, i)
        if m is None:
            return most
        i = m.start()
        c = text[i]
        if c in "\"'":
            close = c * 3 if text.startswith(c * 3, i) else c
            j = i + len(close)
            while j < n:
                ch = text[j]
                if ch == "\\" and c == '"':
                    j += 2
                    continue
                if text.startswith(close, j) or (ch == "\n" and len(close) == 1):
                    break
                j += 1
            i = j + len(close)
            continue
        if c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if c in "[{":
            depth += 1
            in_key = c == "{" or in_key
        elif c in "]}":
            depth = max(0, depth - 1)
        elif c in "\n,":
            dots, in_key = 0, True
        elif c == "=":
            dots, in_key = 0, False
        elif c == "." and in_key:
            dots += 1
        most = max(most, depth + dots)
        if most > MAX_DEPTH:
            return most
        i += 1


def read_text(path: str | Path, what: str = "scenario file", limit: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes; errors name the file.

    Pipes, devices, sockets and folders are refused without being opened for a blocking read.
    """
    p = str(path)
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise ScenarioError(p, "", "no such file") from None
    except IsADirectoryError:
        raise ScenarioError(p, "", f"is a folder, not a {what}") from None
    except (OSError, ValueError) as exc:
        raise ScenarioError(p, "", getattr(exc, "strerror", None) or str(exc)) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise ScenarioError(p, "", f"is a folder, not a {what}")
        if not stat.S_ISREG(st.st_mode):
            raise ScenarioError(
                p, "", f"not a regular file (a pipe, device or socket); give a {what}"
            )
        if st.st_size > limit:
            raise ScenarioError(
                p, "", f"{st.st_size} bytes: larger than the {_size(limit)} a {what} may be"
            )
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise ScenarioError(p, "", exc.strerror or str(exc)) from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise ScenarioError(p, "", f"larger than the {_size(limit)} a {what} may be")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(p, "", f"not UTF-8 text (byte {exc.start})") from None


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n >= 1024 * 1024 else f"{n} bytes"


def parse_toml(text: str, file: str) -> dict[str, Any]:
    """Parse TOML text (nesting checked first); errors name the file and, for syntax, the line."""
    depth = toml_depth(text)
    if depth > MAX_DEPTH:
        raise ScenarioError(
            file, "", f"nested more than {MAX_DEPTH} levels deep (tables, arrays or dotted keys)"
        )
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(file, "", f"not valid TOML: {exc}{_toml_hint(text, exc)}") from None
    except ValueError:  # a number of thousands of digits
        raise ScenarioError(file, "", "holds a number too long to read") from None
    except (RecursionError, MemoryError) as exc:  # pragma: no cover - depth and size checked
        raise ScenarioError(file, "", f"cannot read it as TOML ({type(exc).__name__})") from None


def read_toml(path: str | Path, what: str = "scenario file") -> dict[str, Any]:
    """Read a TOML file (a regular file, at most :data:`MAX_FILE_BYTES`, nested at most
    :data:`MAX_DEPTH` deep); errors name the file and, for syntax errors, the line."""
    return parse_toml(read_text(path, what), str(path))


def load(path: str | Path | None = None, overrides: Sequence[str] = ()) -> Scenario:
    """Load, override and validate a scenario file (the shipped default when ``path`` is None).

    The file's comments and each key's origin (file, ``--set``, default from the reference
    scenario) are captured here, in :attr:`Scenario.provenance`.
    """
    p = default_scenario_path() if path is None else Path(path)
    text = read_text(p)
    file_raw = parse_toml(text, str(p))
    raw = apply_overrides(file_raw, overrides, str(p))
    pinned = _pin(raw, overrides)
    sc = _from_dict_blaming(raw, str(p), overrides)
    prov = capture(str(p), text, file_raw, overrides, reference_text(), _defaulted_keys(file_raw))
    return dataclasses.replace(sc, pinned=pinned, provenance=prov)


def _from_dict_blaming(raw: dict[str, Any], file: str, overrides: Sequence[str]) -> Scenario:
    """:func:`from_dict`, with errors on an overridden key blamed on its ``--set``."""
    try:
        return from_dict(raw, file)
    except ScenarioError as exc:
        key = exc.key
        for item in overrides:
            path = item.split("=", 1)[0].strip()
            if any(
                a == b or a.startswith(b + ".") or a.startswith(b + "[")
                for a, b in ((key, path), (path, key))
            ):
                raise ScenarioError(file, key, f"{exc.message} (from --set {path})") from None
        raise


_PATH_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)")


def _schema_child(node: Any, name: str) -> Any:
    if isinstance(node, Key):
        node = node.check
    if isinstance(node, Table) and name in node.keys:
        return node.keys[name]
    return None


def apply_overrides(raw: dict[str, Any], overrides: Sequence[str], file: str) -> dict[str, Any]:
    """Apply ``KEY=VALUE`` overrides (values parse as TOML, bare words as strings) to a copy.

    Keys are dotted paths with list indices, e.g. ``works[0].dwellings``. A path must name a key
    that the schema knows and, for lists, an existing item.
    """
    raw = copy.deepcopy(raw)
    for item in overrides:
        if "=" not in item:
            raise ScenarioError("--set", item, "expected KEY=VALUE")
        path, text = (s.strip() for s in item.split("=", 1))
        if any(c in item for c in "\n\r"):
            raise ScenarioError(
                "--set", path, "holds a line break; give one KEY=VALUE a --set, on one line"
            )
        if toml_depth(f"v = {text}") > MAX_DEPTH:
            raise ScenarioError("--set", path, f"value nested more than {MAX_DEPTH} levels deep")
        percent = re.fullmatch(r"(-?\d+(?:\.\d+)?)\s*%", text)
        if percent:  # a share written as a percentage: 5% -> 0.05
            _set_path(raw, path, float(percent.group(1)) / 100.0, file)
            continue
        try:
            value = tomllib.loads(f"v = {text}")["v"]
        except ValueError as exc:  # a number of thousands of digits: not a TOML error
            if not isinstance(exc, tomllib.TOMLDecodeError):
                raise ScenarioError("--set", path, "number too long to read") from None
            value = None
        except RecursionError:
            value = None
        if value is None:
            if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*", text):
                value = text
            else:
                raise ScenarioError("--set", path, f"cannot read value {text!r} as TOML") from None
        _set_path(raw, path, value, file)
    return raw


def _set_path(raw: dict[str, Any], path: str, value: Any, file: str) -> None:
    parts = path.split(".")
    node: Any = raw
    schema: Any = Key(SCHEMA)
    walked = ""
    for n, part in enumerate(parts):
        m = _PATH_PART.fullmatch(part)
        if not m:
            raise ScenarioError("--set", path, f"cannot read key {part!r}")
        name, index_text = m.group(1), m.group(2)
        indices = [int(i) for i in re.findall(r"\d+", index_text)]
        child = _schema_child(schema, name)
        if child is None:
            known = list(schema.check.keys) if isinstance(schema.check, Table) else []
            hint = _suggest(name, known)
            where = f"{walked}.{name}" if walked else name
            raise ScenarioError("--set", path, f"no such key {where!r} in a scenario{hint}")
        walked = f"{walked}.{name}" if walked else name
        last = n == len(parts) - 1
        if isinstance(child.check, TableArray):
            if len(indices) != 1:
                raise ScenarioError("--set", path, f"{name} is a list of tables: say {name}[0]")
            lst = node.get(name) if isinstance(node, dict) else None
            if not isinstance(lst, list) or indices[0] >= len(lst):
                size = len(lst) if isinstance(lst, list) else 0
                raise ScenarioError(file, path, f"no item {indices[0]}: {name} has {size}")
            if last:
                raise ScenarioError("--set", path, "name a key inside the table")
            node = lst[indices[0]]
            schema = Key(child.check.table)
            walked += f"[{indices[0]}]"
            continue
        if indices:
            raise ScenarioError("--set", path, f"{name} is not a list of tables")
        if last:
            node[name] = value
            return
        if not isinstance(child.check, Table):
            # a table of named values (shares, posts, a distribution) or of such tables (a
            # distribution by route): set one of its entries, e.g. weekly_hours_by_route.ai.high
            current = node.get(name)
            if current is None and child.default is not None and isinstance(child.default, dict):
                current = node[name] = copy.deepcopy(child.default)
            if not isinstance(current, dict):
                raise ScenarioError("--set", path, f"{walked} is a value, not a table")
            check: Any = child.check
            for inner in parts[n + 1 : -1]:
                entries = getattr(check, "entries", None)
                item = entries[1] if entries is not None else None
                if item is None or not (hasattr(item, "entries") or hasattr(item, "is_dist")):
                    raise ScenarioError("--set", path, f"{walked}.{inner} is a value, not a table")
                if not _PATH_PART.fullmatch(inner) or "[" in inner:
                    raise ScenarioError("--set", path, f"cannot read key {inner!r}")
                walked += f".{inner}"
                if current.get(inner) is None:
                    current[inner] = {}
                current = current[inner]
                if not isinstance(current, dict):
                    raise ScenarioError("--set", path, f"{walked} is a value, not a table")
                check = item
            current[parts[-1]] = value
            return
        if not isinstance(node.get(name), dict):
            node[name] = {}
        node = node[name]
        schema = child


def from_dict(raw: Mapping[str, Any], file: str = "<scenario>") -> Scenario:
    """Validate raw TOML data and build a :class:`Scenario`."""
    root = _Where(file, "")
    d = _check_table(SCHEMA, dict(raw), root)
    sc = d["scenario"]
    horizon = sc["horizon_years"]
    run_out = d["flow"]["run_out_years"]
    if horizon + run_out > MAX_YEARS:
        raise (
            root.sub("flow")
            .sub("run_out_years")
            .fail(
                f"horizon_years + run_out_years must be at most {MAX_YEARS} years, "
                f"got {horizon} + {run_out}"
            )
        )
    mis = d["flow"]["missions"]
    mean_hours = _dist(mis["hours"]).mean
    if mean_hours < mis["min_hours"]:
        raise (
            root.sub("flow")
            .sub("missions")
            .sub("hours")
            .fail(
                f"mean of {mean_hours:g} h is below min_hours ({mis['min_hours']:g} h); "
                f"missions are at least min_hours long"
            )
        )
    clause = Clause(**d["clause"])
    works = tuple(
        _works(w, clause, horizon, root.sub("works").sub(i)) for i, w in enumerate(d["works"])
    )
    flow = _flow(d["flow"], horizon, root.sub("flow"))
    scenario = Scenario(
        name=localised(sc["name"], "fr"),
        start_year=sc["start_year"],
        horizon_years=horizon,
        clause=clause,
        works=works,
        flow=flow,
        source=file,
        raw=_freeze(dict(raw)),
    )
    if d["uncertainty"]:
        from .uncertainty import parse

        scenario = dataclasses.replace(scenario, uncertainty=parse(scenario, d["uncertainty"]))
    return scenario


def _works(w: dict[str, Any], clause: Clause, horizon: int, where: _Where) -> Works:
    merged = {
        k: (w[k] if w[k] is not None else getattr(clause, k))
        for k in (
            "method",
            "insertion_rate",
            "hourly_cost_eur",
            "labour_share",
            "hours_per_eur",
            "hours_per_dwelling",
        )
    }
    by_dwelling = w["dwellings"] is not None or w["yearly_dwellings"] is not None
    by_amount = w["amount_eur"] is not None or w["yearly_amount_eur"] is not None
    if by_dwelling and by_amount:
        raise where.fail("give dwellings (with cost_per_dwelling_eur) or amount_eur, not both")
    if not by_dwelling and not by_amount:
        raise where.fail("give dwellings (with cost_per_dwelling_eur) or amount_eur")
    yearly_d = w["yearly_dwellings"]
    yearly_a = w["yearly_amount_eur"]
    profile = w["profile"]
    if by_dwelling:
        if yearly_d is not None:
            profile = "custom"  # a list of years is a custom profile, whatever profile says
            if w["dwellings"] is None:
                w["dwellings"] = sum(yearly_d)
        if profile == "custom":
            if yearly_d is None:
                raise where.sub("yearly_dwellings").fail("profile is custom: give the list")
            if len(yearly_d) != horizon:
                raise where.sub("yearly_dwellings").fail(
                    f"has {_years(len(yearly_d))} but horizon_years is {horizon}"
                )
            if sum(yearly_d) != w["dwellings"]:
                raise where.sub("yearly_dwellings").fail(
                    f"sums to {sum(yearly_d)} but dwellings is {w['dwellings']}"
                )
        if merged["method"] != "hours_per_dwelling" and w["cost_per_dwelling_eur"] is None:
            raise where.sub("cost_per_dwelling_eur").fail("missing: needed with dwellings")
    else:
        if yearly_a is not None:
            profile = "custom"
            if w["amount_eur"] is None:
                w["amount_eur"] = float(sum(yearly_a))
        if profile == "custom":
            if yearly_a is None:
                raise where.sub("yearly_amount_eur").fail("profile is custom: give the list")
            if len(yearly_a) != horizon:
                raise where.sub("yearly_amount_eur").fail(
                    f"has {_years(len(yearly_a))} but horizon_years is {horizon}"
                )
            if not math.isclose(sum(yearly_a), w["amount_eur"], rel_tol=1e-9):
                raise where.sub("yearly_amount_eur").fail(
                    f"sums to {sum(yearly_a):g} but amount_eur is {w['amount_eur']:g}"
                )
        if merged["method"] == "hours_per_dwelling":
            raise where.sub("method").fail(
                "hours_per_dwelling needs dwellings, this line has an amount"
            )
    method = merged["method"]
    needed = {
        "labour_share": "labour_share",
        "hours_per_eur": "hours_per_eur",
        "hours_per_dwelling": "hours_per_dwelling",
    }[method]
    if merged[needed] is None:
        raise where.sub(needed).fail(f"missing: method {method} needs it (here or in [clause])")
    return Works(
        name=w["name"] or f"works {where.key}",
        dwellings=w["dwellings"],
        cost_per_dwelling_eur=w["cost_per_dwelling_eur"],
        amount_eur=w["amount_eur"],
        profile=profile,
        yearly_dwellings=tuple(yearly_d) if yearly_d is not None else None,
        yearly_amount_eur=tuple(float(a) for a in yearly_a) if yearly_a is not None else None,
        **merged,
    )


def _years(n: int) -> str:
    """``n`` years, in words: "1 year", "3 years"."""
    return f"{n} year" if n == 1 else f"{n} years"


def _per_year(value: Any, horizon: int, where: _Where) -> tuple[float, ...]:
    if isinstance(value, list):
        if len(value) != horizon:
            raise where.fail(f"has {_years(len(value))} but horizon_years is {horizon}")
        return tuple(float(v) for v in value)
    return (float(value),) * horizon


def _dist(spec: Mapping[str, Any]) -> Dist:
    params = {k: (tuple(v) if isinstance(v, list) else v) for k, v in spec.items() if k != "dist"}
    return Dist(spec["dist"], MappingProxyType(params))


def _flow(f: dict[str, Any], horizon: int, where: _Where) -> Flow:
    ref, ops, mis, fac = f["referrals"], f["operations"], f["missions"], f["facilitators"]
    prep, bar, out = f["preparation"], f["barriers"], f["outcomes"]
    fte = _per_year(fac["fte"], horizon, where.sub("facilitators").sub("fte"))
    uplift = out.pop("hours_uplift_per_1000h")
    route_factor = out.pop("route_factor")
    without_work = out.pop("without_work")
    siae = f["siae"]
    return Flow(
        run_out_years=f["run_out_years"],
        referrals_per_year=_per_year(
            ref["per_year"], horizon, where.sub("referrals").sub("per_year")
        ),
        publics=MappingProxyType({p: ref["publics"].get(p, 0.0) for p in PUBLICS}),
        operations=Operations(
            dwellings_per_operation=ops["dwellings_per_operation"],
            amount_per_operation_eur=ops["amount_per_operation_eur"],
            start=ops["start"],
            duration_days=_dist(ops["duration_days"]),
            release_share=ops["release_share"],
        ),
        missions=Missions(
            hours=_dist(mis["hours"]),
            min_hours=mis["min_hours"],
            weekly_hours=_dist(mis["weekly_hours"]),
            mode_shares=MappingProxyType({m: mis["mode_shares"].get(m, 0.0) for m in MODES}),
            next_mission_probability=mis["next_mission_probability"],
            weekly_hours_by_route=MappingProxyType(
                {m: _dist(d) for m, d in mis["weekly_hours_by_route"].items()}
            ),
        ),
        siae_posts=MappingProxyType({t: f["siae"]["posts"].get(t, 0) for t in SIAE_TYPES}),
        facilitators=Facilitators(
            fte=fte,
            caseload_per_fte=fac["caseload_per_fte"],
            priority=tuple(fac["priority"]),
            patience_days=_dist(fac["patience_days"]),
            max_parcours_days=_dist(fac["max_parcours_days"]),
        ),
        placement_patience_days=_dist(f["placement"]["patience_days"]),
        preparation=Preparation(
            share=MappingProxyType({p: prep["share"].get(p, 0.0) for p in PUBLICS}),
            duration_days=_dist(prep["duration_days"]),
            places_per_year=prep["places_per_year"],
        ),
        mobility=_barrier(bar["mobility"]),
        childcare=_barrier(bar["childcare"]),
        outcomes=MappingProxyType({p: MappingProxyType(dict(out[p])) for p in PUBLICS}),
        hours_uplift_per_1000h=uplift,
        run_out_rule=f["run_out_rule"],
        criteria=MappingProxyType({c: ref["criteria"].get(c, 0.0) for c in CRITERIA}),
        fallback_after_days=siae["fallback_after_days"],
        fallback_to=tuple(siae["fallback_to"]),
        post_hours_per_week=siae["post_hours_per_week"],
        route_factor=MappingProxyType({m: route_factor.get(m, 1.0) for m in MODES}),
        outcomes_without_work=MappingProxyType(
            {p: MappingProxyType(dict(v)) for p, v in without_work.items()}
        ),
    )


def _barrier(b: dict[str, Any]) -> Barrier:
    return Barrier(
        share=MappingProxyType({p: b["share"].get(p, 0.0) for p in PUBLICS}),
        delay_days=_dist(b["delay_days"]),
        places=b["places"],
    )


def toml_value(value: Any, digits: int | None = None) -> str:
    """A value written as inline TOML (``--set`` values, display): numbers, strings, lists,
    inline tables. With ``digits``, floats are rounded first (hides binary noise)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(round(value, digits) if digits is not None else value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {toml_value(v, digits)}" for k, v in value.items()) + " }"
    if isinstance(value, Sequence):
        return "[" + ", ".join(toml_value(v, digits) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value
