"""Capacity sizing: the smallest level of a resource for which a target holds, with a probability.

A planner asks, for instance, "how many facilitator FTEs so that no more than 10 % of the clause
hours lapse, in 9 replications out of 10?". :func:`size` answers it:

* the **resource** is ``facilitators`` (``flow.facilitators.fte``, FTE, one value for every year),
  ``siae.<type>`` (``flow.siae.posts.<type>``, posts) or ``referrals`` (``flow.referrals.per_year``,
  people a year, one value for every year);
* the **target** is ``KEY>=VALUE`` or ``KEY<=VALUE`` on a per-replication total
  (:data:`sim.results.TOTAL_METRICS`), e.g. ``lapsed_share<=0.1``; it *holds at a level* when the
  share of replications meeting it is at least ``confidence``;
* levels lie on a grid ``min_level + k x step`` (FTE by 0.5, posts by 1, referrals by 10 a year by
  default). Every level runs the same replications (same seed, same indices: common random
  numbers), so the curve is smooth and differences between levels are not noise;
* the search assumes that more of the resource never makes the target harder to meet. It starts
  at the scenario's own level, gallops (1, 2, 4, ... steps) up until the target holds or down
  until it fails, then bisects. Each level is simulated at most once (a cache), so the whole
  search costs about ``2 log2(range / step)`` levels. If the share of replications meeting the
  target falls from one evaluated level to a higher one, the result says so (``monotone`` is
  False): the assumption may not hold, or the replications are too few.
"""

from __future__ import annotations

import difflib
import itertools
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__, fmt
from ..errors import ClauseSimError, ScenarioError, escape
from ..parallel import CancelFlag, Executor
from ..parallel import executor as new_executor
from ..presentation import i18n
from ..results import METRICS, TOTAL_METRICS, describe
from ..runner import Progress, run_replications
from ..scenario import SIAE_TYPES, Scenario
from ..streams import DEFAULT_SEED

RESOURCE_NAMES: tuple[str, ...] = ("facilitators", *[f"siae.{t}" for t in SIAE_TYPES], "referrals")
"""Resources that :func:`size` can search over."""

DEFAULT_REPLICATIONS = 40
"""Replications per level by default."""

DEFAULT_CONFIDENCE = 0.9
"""Share of replications that must meet the target by default."""


class SizingError(ClauseSimError):
    """A sizing request is wrong (resource, target, levels)."""


# --------------------------------------------------------------------------------------------
# Target and resource


@dataclass(frozen=True)
class Target:
    """A condition on a per-replication total: ``metric >= value`` or ``metric <= value``."""

    metric: str
    op: str
    value: float

    def met(self, values: Any) -> np.ndarray:
        """Whether each replication meets the target (NaN never does)."""
        v = np.asarray(values, dtype=float)
        with np.errstate(invalid="ignore"):
            ok = v >= self.value if self.op == ">=" else v <= self.value
        return np.asarray(ok & ~np.isnan(v), dtype=bool)

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{self.value:g}"


_TARGET = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=|=>|=<|>|<|==|=)\s*(\S.*?)\s*$")


MAX_STEPS = 1_000_000
"""Most grid steps between the lowest and highest level searched."""


def parse_target(text: str) -> Target:
    """Read ``KEY>=VALUE`` or ``KEY<=VALUE`` (a trailing ``%`` divides by 100).

    Raises
    ------
    ScenarioError
        On an unknown metric (with suggestions), another operator or a value that is no number.
    """
    m = _TARGET.match(text)
    if not m:
        raise ScenarioError(
            "--target", text, "expected KEY>=VALUE or KEY<=VALUE, e.g. lapsed_share<=0.1"
        )
    key, op, raw = m.groups()
    if key not in TOTAL_METRICS:
        close = difflib.get_close_matches(key, TOTAL_METRICS, n=3, cutoff=0.5)
        hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
        raise ScenarioError(
            "--target", key, f"unknown metric{hint}; known: {', '.join(TOTAL_METRICS)}"
        )
    if op not in (">=", "<="):
        raise ScenarioError("--target", text, f"operator {op!r}: use >= or <=")
    percent = raw.endswith("%")
    if raw.count("%") > 1 or (percent and raw.index("%") != len(raw) - 1):
        raise ScenarioError(
            "--target", key, f"cannot read value {raw!r}: one % at most, at the end"
        )
    try:
        value = float(raw[:-1].strip() if percent else raw)
    except ValueError:
        raise ScenarioError("--target", key, f"cannot read value {raw!r} as a number") from None
    if not math.isfinite(value):
        raise ScenarioError("--target", key, f"value must be finite, got {raw!r}")
    return Target(key, op, value / 100.0 if percent else value)


@dataclass(frozen=True)
class Resource:
    """A resource whose level :func:`size` searches.

    Attributes
    ----------
    name : ``facilitators``, ``siae.<type>`` or ``referrals``
    key : the scenario key it sets
    unit : unit of a level (``FTE``, ``posts``, ``people/year``)
    step : default step between levels (same unit)
    integer : whether levels must be whole numbers
    """

    name: str
    key: str
    unit: str
    step: float
    integer: bool
    label_fr: str
    label_en: str

    def current(self, scenario: Scenario) -> float:
        """The scenario's own level (the highest year's when it varies by year)."""
        f = scenario.flow
        if self.name == "facilitators":
            return float(max(f.facilitators.fte))
        if self.name == "referrals":
            return float(max(f.referrals_per_year))
        return float(f.siae_posts[self.name.split(".", 1)[1]])

    def override(self, level: float) -> str:
        """The ``KEY=VALUE`` override setting this level (a scalar: the same every year)."""
        return f"{self.key}={format_level(level, self.integer)}"

    def label(self, lang: str = "fr") -> str:
        """Human label (without the unit)."""
        return self.label_en if lang == "en" else self.label_fr


def format_level(level: float, integer: bool = False) -> str:
    """A level as TOML text: ``3.5``, ``25``."""
    if integer:
        return str(round(level))
    x = round(float(level), 9)
    return repr(int(x)) + ".0" if x.is_integer() else repr(x)


def parse_resource(text: str) -> Resource:
    """``facilitators``, ``siae.<type>`` (etti, ai, geiq, ei, aci) or ``referrals``."""
    name = text.strip().lower()
    if name in ("facilitators", "facilitator", "fte"):
        return Resource(
            "facilitators",
            "flow.facilitators.fte",
            "FTE",
            0.5,
            False,
            "Facilitateurs",
            "Facilitators",
        )
    if name in ("referrals", "referral"):
        return Resource(
            "referrals",
            "flow.referrals.per_year",
            "people/year",
            10.0,
            False,
            "Orientations",
            "Referrals",
        )
    if name.startswith("siae.") or name.startswith("siae_"):
        t = name[5:]
        if t in SIAE_TYPES:
            return Resource(
                f"siae.{t}",
                f"flow.siae.posts.{t}",
                "posts",
                1.0,
                True,
                f"Postes SIAE {t.upper()}",
                f"SIAE {t.upper()} posts",
            )
    close = difflib.get_close_matches(name, RESOURCE_NAMES, n=1, cutoff=0.5)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ScenarioError(
        "--resource", text, f"unknown resource{hint}; expected one of {', '.join(RESOURCE_NAMES)}"
    )


# --------------------------------------------------------------------------------------------
# The search (pure: on grid indices, with a predicate)


def search(holds: Callable[[int], bool], start: int, top: int) -> int | None:
    """Smallest ``k`` in ``[0, top]`` with ``holds(k)``, assuming ``holds`` is monotone.

    Gallops from ``start`` (1, 2, 4, ... steps) up while the predicate fails or down while it
    holds, then bisects. Returns None if ``holds(top)`` is False. The predicate is called at most
    about ``2 log2(top)`` times; callers cache it.
    """
    if top < 0:
        return None
    start = min(max(start, 0), top)
    if holds(start):
        good, bad, d = start, -1, 1
        while good > 0:
            k = max(good - d, 0)
            if holds(k):
                good = k
                d *= 2
            else:
                bad = k
                break
        if good == 0:
            return 0
    else:
        bad, d = start, 1
        while True:
            if bad == top:
                return None
            k = min(bad + d, top)
            if holds(k):
                good = k
                break
            bad = k
            d *= 2
    while good - bad > 1:
        mid = (good + bad) // 2
        if holds(mid):
            good = mid
        else:
            bad = mid
    return good


# --------------------------------------------------------------------------------------------
# Evaluating levels


@dataclass(frozen=True)
class LevelResult:
    """A level simulated: the target metric in each replication and how often the target held.

    Attributes
    ----------
    level : the resource's level (its unit)
    values : the target metric's total in each replication (replication order)
    share_met : share of replications meeting the target
    holds : ``share_met >= confidence``
    """

    level: float
    values: np.ndarray
    share_met: float
    holds: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: level, share meeting the target, holds, and the metric's statistics."""
        return {
            "level": self.level,
            "share_met": self.share_met,
            "holds": self.holds,
            "metric": describe(self.values).to_dict(),
        }


Evaluate = Callable[[float], np.ndarray]
"""``evaluate(level) -> values``: the target metric in each replication at that level."""


def simulator(
    scenario: Scenario,
    resource: Resource,
    metric: str,
    *,
    seed: int,
    replications: int,
    jobs: int = 1,
    progress: Progress | None = None,
    executor: Executor | None = None,
    cancel: CancelFlag | None = None,
) -> Evaluate:
    """An :data:`Evaluate` that runs ``replications`` replications (indices 0..n-1, ``seed``)
    on ``executor`` (else on ``jobs`` worker processes started for each level)."""

    def evaluate(level: float) -> np.ndarray:
        sc = scenario.with_overrides([resource.override(level)])
        runs = run_replications(
            sc, seed, range(replications), jobs, progress, executor=executor, cancel=cancel
        )
        return np.array([r.totals[metric] for r in runs], dtype=float)

    return evaluate


@dataclass
class SizingResult:
    """The answer of :func:`size`, the levels it evaluated and how it searched.

    Attributes
    ----------
    answer : smallest level on the grid where the target holds, or None if even ``max_level``
        fails (``status = "not_reached"``)
    levels : every evaluated level, sorted by level
    order : levels in the order they were evaluated
    monotone : False if the share meeting the target falls from a level to a higher one
    """

    scenario: str
    source: str
    resource: Resource
    target: Target
    confidence: float
    replications: int
    seed: int
    step: float
    min_level: float
    max_level: float
    current: float
    answer: float | None
    levels: list[LevelResult] = field(default_factory=list)
    order: list[float] = field(default_factory=list)

    @property
    def status(self) -> str:
        """``found`` or ``not_reached`` (the target fails even at ``max_level``)."""
        return "found" if self.answer is not None else "not_reached"

    @property
    def monotone(self) -> bool:
        """Whether the share meeting the target never falls as the level rises (evaluated
        levels only)."""
        shares = [r.share_met for r in self.levels]
        return all(b >= a - 1e-12 for a, b in itertools.pairwise(shares))

    def level(self, level: float) -> LevelResult | None:
        """The evaluated result at ``level``, if it was evaluated."""
        for r in self.levels:
            if math.isclose(r.level, level, abs_tol=1e-9):
                return r
        return None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record of the question, the answer and the explored curve."""
        r = self.resource
        return {
            "scenario": self.scenario,
            "scenario_file": self.source,
            "version": __version__,
            "resource": r.name,
            "key": r.key,
            "unit": r.unit,
            "target": {
                "metric": self.target.metric,
                "op": self.target.op,
                "value": self.target.value,
                "unit": METRICS[self.target.metric].unit,
            },
            "confidence": self.confidence,
            "replications": self.replications,
            "seed": self.seed,
            "step": self.step,
            "min_level": self.min_level,
            "max_level": self.max_level,
            "current_level": self.current,
            "status": self.status,
            "answer": self.answer,
            "monotone": self.monotone,
            "evaluations": len(self.levels),
            "order": list(self.order),
            "levels": [lv.to_dict() for lv in self.levels],
        }


def _grid(min_level: float, step: float, k: int, integer: bool) -> float:
    x = min_level + k * step
    return float(round(x)) if integer else round(x, 9)


def size(
    scenario: Scenario,
    resource: Resource | str,
    target: Target | str,
    *,
    confidence: float = DEFAULT_CONFIDENCE,
    replications: int = DEFAULT_REPLICATIONS,
    seed: int = DEFAULT_SEED,
    jobs: int = 1,
    step: float | None = None,
    min_level: float = 0.0,
    max_level: float | None = None,
    progress: Progress | None = None,
    evaluate: Evaluate | None = None,
    on_level: Callable[[LevelResult], None] | None = None,
    executor: Executor | None = None,
    cancel: CancelFlag | None = None,
) -> SizingResult:
    """Find the smallest level of ``resource`` at which ``target`` holds with ``confidence``.

    Parameters
    ----------
    scenario : the scenario; only the resource's key changes between levels
    resource, target : objects or their text (see :func:`parse_resource`, :func:`parse_target`)
    confidence : share of replications that must meet the target, in (0, 1]
    replications : replications per level (indices 0..n-1 of ``seed``: common random numbers)
    jobs : worker processes (one pool for the whole search; ignored with ``executor``)
    step : distance between levels (resource unit; default 0.5 FTE, 1 post, 10 referrals/year)
    min_level, max_level : the range searched (default max: 4 x the scenario's level, at least
        ``min_level + 20 x step``)
    evaluate : replaces the simulation (tests); ``evaluate(level)`` -> values per replication
    on_level : called with each newly evaluated level
    executor : where the replications run (:mod:`sim.parallel`)
    cancel : once set, :class:`sim.parallel.Cancelled` is raised

    Returns
    -------
    SizingResult
        The answer (None when even ``max_level`` fails) and every level evaluated.
    """
    res = parse_resource(resource) if isinstance(resource, str) else resource
    tgt = parse_target(target) if isinstance(target, str) else target
    if not 0.0 < confidence <= 1.0:
        raise SizingError(f"--confidence: must be in (0, 1], got {confidence:g}")
    if replications < 1:
        raise SizingError(f"--replications: must be at least 1, got {replications}")
    step = res.step if step is None else float(step)
    if not step > 0 or not math.isfinite(step):
        raise SizingError(f"--step: must be positive, got {step:g}")
    if res.integer and not float(step).is_integer():
        raise SizingError(f"--step: {res.name} takes whole numbers, got {step:g}")
    if min_level < 0 or (res.integer and not float(min_level).is_integer()):
        raise SizingError(
            f"--min-level: must be a non-negative "
            f"{'whole number' if res.integer else 'number'}, got {min_level:g}"
        )
    current = res.current(scenario)
    if max_level is None:
        max_level = max(4.0 * current, min_level + 20.0 * step)
    if max_level < min_level:
        raise SizingError(f"--max-level: {max_level:g} is below the minimum level {min_level:g}")
    steps = (max_level - min_level) / step
    if not math.isfinite(max_level) or not steps <= MAX_STEPS:
        raise SizingError(
            f"--max-level: {max_level:g} is more than {MAX_STEPS:,} steps of {step:g} above "
            f"{min_level:g}; use a larger --step or a lower --max-level"
        )
    top = math.floor(steps + 1e-9)
    if evaluate is None and executor is None:
        with new_executor(jobs, tasks=replications) as ex:
            return size(
                scenario,
                res,
                tgt,
                confidence=confidence,
                replications=replications,
                seed=seed,
                step=step,
                min_level=min_level,
                max_level=max_level,
                progress=progress,
                on_level=on_level,
                executor=ex,
                cancel=cancel,
            )
    if evaluate is None:
        evaluate = simulator(
            scenario,
            res,
            tgt.metric,
            seed=seed,
            replications=replications,
            progress=progress,
            executor=executor,
            cancel=cancel,
        )
    cache: dict[int, LevelResult] = {}
    order: list[float] = []

    def holds(k: int) -> bool:
        if k not in cache:
            level = _grid(min_level, step, k, res.integer)
            values = np.asarray(evaluate(level), dtype=float)
            share = float(tgt.met(values).mean()) if values.size else 0.0
            cache[k] = LevelResult(level, values, share, share >= confidence - 1e-12)
            order.append(level)
            if on_level is not None:
                on_level(cache[k])
        return cache[k].holds

    start = round((current - min_level) / step)
    found = search(holds, start, top)
    answer = None if found is None else _grid(min_level, step, found, res.integer)
    return SizingResult(
        scenario=scenario.name,
        source=scenario.source,
        resource=res,
        target=tgt,
        confidence=confidence,
        replications=replications,
        seed=seed,
        step=step,
        min_level=min_level,
        max_level=_grid(min_level, step, top, res.integer),
        current=current,
        answer=answer,
        levels=[cache[k] for k in sorted(cache)],
        order=order,
    )


# --------------------------------------------------------------------------------------------
# Text and figure


def _value(x: float, unit: str, lang: str) -> str:
    if unit == "share":
        return fmt.percent(x, 1, lang)
    decimals = 0 if abs(x) >= 100 or float(x).is_integer() else 2
    return fmt.number(x, decimals, lang)


def _level_text(x: float, integer: bool, lang: str) -> str:
    if integer or float(x).is_integer():
        return fmt.number(x, 0, lang)
    text = fmt.number(x, 2, lang)
    return text.rstrip("0") if text[-1] == "0" else text


def _unit_text(unit: str, lang: str) -> str:
    fr = {
        "FTE": "ETP",
        "posts": "postes",
        "people/year": "personnes/an",
        "h": "h",
        "people": "personnes",
        "days": "jours",
        "share": "",
    }
    return fr.get(unit, unit) if lang == "fr" else unit.replace("share", "")


def sizing_text(result: SizingResult, lang: str = "fr") -> str:
    """The answer and the explored curve, as printed by ``clause-sim size``."""
    fr = lang == "fr"
    r, t = result.resource, result.target
    munit = METRICS[t.metric].unit
    runit = _unit_text(r.unit, lang)

    def lv(x: float) -> str:
        return _level_text(x, r.integer, lang)

    def pct(x: float) -> str:
        return fmt.percent(x, 0, lang)

    tv = _value(t.value, munit, lang)
    if fr:
        head = [
            escape(result.scenario),
            f"Dimensionnement : {r.label('fr')} ({r.key}), cible "
            f"« {i18n.metric_label(t.metric, 'fr')} » {t.op} {tv} "
            f"dans au moins {pct(result.confidence)} des réplications.",
            f"{result.replications} réplications par niveau, graine {result.seed} (nombres "
            f"aléatoires communs) ; {len(result.levels)} niveaux évalués "
            f"({len(result.levels) * result.replications} réplications), "
            f"entre {lv(result.min_level)} et {lv(result.max_level)} {runit} "
            f"par pas de {lv(result.step)}.",
        ]
        cols = (f"Niveau ({runit})", "Cible atteinte", "Moyenne", "p05 – p95", "")
    else:
        head = [
            escape(result.scenario),
            f"Sizing: {r.label('en')} ({r.key}), target "
            f"\u201c{i18n.metric_label(t.metric, 'en')}\u201d {t.op} {tv} "
            f"in at least {pct(result.confidence)} of replications.",
            f"{result.replications} replications per level, seed {result.seed} (common "
            f"random numbers); {len(result.levels)} levels evaluated "
            f"({len(result.levels) * result.replications} replications), "
            f"between {lv(result.min_level)} and {lv(result.max_level)} {runit} "
            f"in steps of {lv(result.step)}.",
        ]
        cols = (f"Level ({runit})", "Target met", "Mean", "p05 - p95", "")
    rows = []
    for x in result.levels:
        s = describe(x.values)
        mark = "<-" if result.answer is not None and math.isclose(x.level, result.answer) else ""
        rows.append(
            (
                lv(x.level),
                pct(x.share_met),
                _value(s.mean, munit, lang),
                f"{_value(s.p05, munit, lang)} – {_value(s.p95, munit, lang)}",
                mark,
            )
        )
    widths = [max(len(c[i]) for c in [cols, *rows]) for i in range(len(cols))]

    def line(c: Sequence[str]) -> str:
        return (
            "  "
            + "  ".join(
                v.rjust(w) if i in (1, 2) else v.ljust(w)
                for i, (v, w) in enumerate(zip(c, widths, strict=True))
            ).rstrip()
        )

    rule = ["-" * w if cols[i] else "" for i, w in enumerate(widths)]
    table = [line(cols), line(rule), *[line(c) for c in rows]]
    out = [*head, "", *table, ""]
    if result.answer is not None:
        got = result.level(result.answer)
        below = result.level(round(result.answer - result.step, 9))
        share = pct(got.share_met) if got else "–"
        if fr:
            msg = (
                f"Réponse : {lv(result.answer)} {runit} (cible atteinte dans {share} des "
                f"réplications"
            )
            msg += f" ; à {lv(below.level)} {runit} : {pct(below.share_met)})." if below else ")."
            if below is None and math.isclose(result.answer, result.min_level):
                msg += " La cible est déjà atteinte au niveau minimal exploré."
        else:
            msg = f"Answer: {lv(result.answer)} {runit} (target met in {share} of replications"
            msg += f"; at {lv(below.level)} {runit}: {pct(below.share_met)})." if below else ")."
            if below is None and math.isclose(result.answer, result.min_level):
                msg += " The target already holds at the lowest level explored."
        out.append(msg)
    else:
        top = result.level(result.max_level)
        share = pct(top.share_met) if top else "–"
        out.append(
            f"Pas de réponse : même à {lv(result.max_level)} {runit} (niveau maximal), la cible "
            f"n'est atteinte que dans {share} des réplications. Augmentez --max-level ou "
            f"agissez sur une autre ressource."
            if fr
            else f"No answer: even at {lv(result.max_level)} {runit} (the maximum level), "
            f"the target is met in only {share} of replications. Raise --max-level or act "
            f"on another resource."
        )
    out.append(
        f"Niveau actuel du scénario : {lv(result.current)} {runit}."
        if fr
        else f"The scenario's current level: {lv(result.current)} {runit}."
    )
    if not result.monotone:
        out.append(
            "Attention : la part des réplications atteignant la cible baisse d'un niveau à un "
            "niveau plus haut ; la réponse est à vérifier avec plus de réplications."
            if fr
            else "Warning: the share of replications meeting the target falls from a level to a "
            "higher one (not monotone); check the answer with more replications."
        )
    return "\n".join(out) + "\n"


_FIG_TEXT: Mapping[str, Mapping[str, str]] = i18n.section("sizing_figure")


def sizing_figure(result: SizingResult, lang: str = "fr") -> Any:
    """The target metric against the resource level: mean, 95 % CI, p05-p95 band, target line."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    from ..presentation.plots import footer, new_figure, plain, tick_formatter

    t = _FIG_TEXT["en" if lang == "en" else "fr"]
    fig = new_figure()
    ax = fig.add_subplot()
    ax.grid(True, color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    metric = result.target.metric
    m = METRICS[metric]
    mlabel = m.label_en if lang == "en" else m.label_fr
    x = np.array([r.level for r in result.levels])
    stats = [describe(r.values) for r in result.levels]
    mean = np.array([s.mean for s in stats])
    lo, hi = np.array([s.ci_low for s in stats]), np.array([s.ci_high for s in stats])
    p05, p95 = np.array([s.p05 for s in stats]), np.array([s.p95 for s in stats])
    ax.fill_between(x, p05, p95, color="#4575b4", alpha=0.18, linewidth=0, label=t["band"])
    ax.errorbar(
        x,
        mean,
        yerr=[np.nan_to_num(mean - lo), np.nan_to_num(hi - mean)],
        color="#4575b4",
        linewidth=1.6,
        capsize=3,
        label=t["mean"],
        zorder=3,
    )
    ok = np.array([r.holds for r in result.levels], dtype=bool)
    conf = fmt.percent(result.confidence, 0, lang)
    if ok.any():
        ax.scatter(
            x[ok], mean[ok], color="#1b7837", zorder=4, s=36, label=t["holds"].format(conf=conf)
        )
    if (~ok).any():
        ax.scatter(x[~ok], mean[~ok], color="#c51b7d", marker="x", zorder=4, s=36, label=t["fails"])
    unit = m.unit
    shown = _value(result.target.value, unit, lang)
    ax.axhline(
        result.target.value,
        color="#000000",
        linestyle="--",
        linewidth=1.1,
        label=t["target"].format(
            metric=i18n.metric_label(metric, lang), op=result.target.op, value=shown
        ),
    )
    runit = _unit_text(result.resource.unit, lang)
    if result.answer is not None:
        ax.axvline(
            result.answer,
            color="#1b7837",
            linestyle=":",
            linewidth=1.4,
            label=t["answer"].format(
                level=f"{_level_text(result.answer, result.resource.integer, lang)} {runit}"
            ),
        )
    ax.yaxis.set_major_formatter(FuncFormatter(tick_formatter(ax.yaxis, unit == "share", lang)))
    if result.resource.integer:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(tick_formatter(ax.xaxis, False, lang)))
    ax.set_xlabel(plain(f"{result.resource.label(lang)} ({runit})"))
    ulabel = {"share": "%", "h": "h"}.get(unit, _unit_text(unit, lang))
    ax.set_ylabel(plain(f"{mlabel} ({ulabel})" if ulabel else mlabel))
    ax.set_title(
        plain(t["title"].format(metric=mlabel, resource=result.resource.label(lang)), 100),
        fontsize=12,
        loc="left",
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, frameon=False)
    text = t["source"].format(
        v=__version__, name=plain(result.scenario, 50), seed=result.seed, n=result.replications
    )
    footer(fig, plain(text, 170))
    return fig


SIZING_FILES = ("sizing.json", "sizing.csv", "sizing.png", "sizing.svg", "results.xlsx")


def _writable_folder(out: Path) -> None:
    """Create ``out`` if needed and check that files can be written in it: not a symbolic
    link (the one ``--out`` policy), and none of :data:`SIZING_FILES` there unless clause-sim
    wrote it (its manifest)."""
    from ..output import OutputError, check_out, read_manifest

    try:
        check_out(out)
    except OutputError as exc:
        raise SizingError(str(exc)) from None
    listed = (read_manifest(out) or set()) if out.is_dir() else set()
    for name in SIZING_FILES:
        present = (out / name).exists() or (out / name).is_symlink()
        if present and name not in listed:
            raise SizingError(
                f"{out}: holds {name}, which clause-sim did not write; will not overwrite it"
            )
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".sizing-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise SizingError(f"{out}: cannot write there: {exc.strerror or exc}") from None


def write_sizing(folder: str | Path, result: SizingResult, lang: str = "fr") -> list[Path]:
    """Write ``sizing.json``, ``sizing.csv``, the figure (``sizing.png``, ``sizing.svg``) and,
    with openpyxl, ``results.xlsx``.

    The folder is created if needed; these files are replaced, nothing else is touched.
    They are written in a hidden temporary folder first and then renamed into place, so a
    failure leaves the previous files as they were.
    """
    import shutil

    final = Path(folder)
    _writable_folder(final)
    out = final / f".sizing-tmp-{os.getpid()}"
    out.mkdir()
    try:
        from ..output import add_to_manifest

        files = _write_sizing_files(out, result, lang)
        add_to_manifest(final, [f.name for f in files])
        for f in files:
            os.replace(f, final / f.name)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return [final / f.name for f in files]


def _write_sizing_files(out: Path, result: SizingResult, lang: str) -> list[Path]:
    import csv
    import json

    from ..presentation.plots import save

    (out / "sizing.json").write_text(
        json.dumps(result.to_dict(), ensure_ascii=False, indent=2, allow_nan=False) + "\n",
        encoding="utf-8",
    )
    with open(out / "sizing.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["level", "share_met", "holds", "mean", "ci_low", "ci_high", "p05", "p95"])
        for r in result.levels:
            s = describe(r.values)
            w.writerow(
                [
                    repr(r.level),
                    repr(r.share_met),
                    int(r.holds),
                    *[
                        "" if math.isnan(v) else repr(float(v))
                        for v in (s.mean, s.ci_low, s.ci_high, s.p05, s.p95)
                    ],
                ]
            )
    png, svg = save(sizing_figure(result, lang), out / "sizing")
    files = [out / "sizing.json", out / "sizing.csv", png, svg]
    xlsx = _sizing_workbook(out, result, lang)
    return files if xlsx is None else [*files, xlsx]


def _sizing_workbook(out: Path, result: SizingResult, lang: str) -> Path | None:
    """``results.xlsx``: one row per level evaluated (needs openpyxl)."""
    from ..presentation import workbook

    if not workbook.available():
        return None
    t = i18n.section("xlsx")[i18n.norm(lang)]
    st = i18n.section("sizing_figure")[i18n.norm(lang)]
    head = [
        result.resource.label(lang),
        st["xlsx_share_met"],
        st["xlsx_holds"],
        t["mean"],
        t["ci_low"],
        t["ci_high"],
        t["p05"],
        t["p95"],
    ]
    rows = []
    for r in result.levels:
        d = describe(r.values)
        rows.append(
            [r.level, r.share_met, t["yes"] if r.holds else t["no"]]
            + [
                None if math.isnan(v) else float(v)
                for v in (d.mean, d.ci_low, d.ci_high, d.p05, d.p95)
            ]
        )
    wb = workbook.new_workbook()
    workbook.add_sheet(wb, t["sizing"], head, rows, ["0.##", "0%", None, *["#,##0.###"] * 5])
    return workbook.save(wb, out / "results.xlsx")


def command(args: Any, scenario: Scenario) -> int:
    """``clause-sim size``: search, print the answer and the curve, write the figure.

    Returns the exit code: 0 when an answer is found, 1 when even the maximum level fails.
    """
    import json
    import sys

    lang = args.lang
    for name in ("min_level", "max_level"):
        value = getattr(args, name, None)
        if value is not None and not math.isfinite(value):
            raise SizingError(f"--{name.replace('_', '-')}: must be a finite number, got {value}")
    from .. import limits

    limits.check_replications(args.replications)
    res = parse_resource(args.resource)
    parse_target(args.target)
    top_level = args.max_level
    if top_level is None:
        step = res.step if args.step is None or not args.step > 0 else args.step
        top_level = max(4.0 * res.current(scenario), args.min_level + 20.0 * step)
    try:  # the highest level must make a valid scenario: checked now, not mid-search
        highest = scenario.with_overrides([res.override(top_level)])
    except ScenarioError as exc:
        raise SizingError(f"--max-level: {format_level(top_level)}: {exc.message}") from None
    step = res.step if args.step is None else args.step
    if not (step > 0 and math.isfinite(step)):
        raise SizingError(f"--step: must be positive, got {step:g}")
    span = (top_level - args.min_level) / step
    if not span <= MAX_STEPS:
        raise SizingError(
            f"--step: {step:g} makes more than {MAX_STEPS:,} steps up to "
            f"{format_level(top_level)}; use a larger --step or a lower --max-level"
        )
    levels = 2 * math.log2(min(float(MAX_STEPS), max(2.0, span)) + 2) + 3
    limits.check_work(
        max(limits.units_per_replication(scenario), limits.units_per_replication(highest)),
        args.replications * levels,
        args.max_work,
        "this search",
    )
    if args.out:
        _writable_folder(Path(args.out))  # fail now, not after the search

    def on_level(r: LevelResult) -> None:
        if args.quiet or args.json:
            return
        res = parse_resource(args.resource)
        sys.stderr.write(
            f"  {res.name} = {format_level(r.level, res.integer)}: "
            + (
                f"cible atteinte dans {fmt.percent(r.share_met, 0, lang)} des réplications\n"
                if lang == "fr"
                else f"target met in {fmt.percent(r.share_met, 0, lang)} of replications\n"
            )
        )
        sys.stderr.flush()

    from .. import jobs

    def work(progress: jobs.Progress) -> SizingResult:
        with new_executor(args.jobs, getattr(args, "scheduler", None)) as ex:
            return size(
                scenario,
                args.resource,
                args.target,
                confidence=args.confidence,
                replications=args.replications,
                seed=DEFAULT_SEED if args.seed is None else args.seed,
                step=args.step,
                min_level=args.min_level,
                max_level=args.max_level,
                on_level=on_level,
                executor=ex,
            )

    result = jobs.in_terminal(work, quiet=True, left="nothing written")
    result.scenario = scenario.title(lang)  # the name as run, --set overrides shown
    files = write_sizing(args.out, result, lang) if args.out else []
    if args.json:
        data = result.to_dict()
        data["files"] = [str(f) for f in files]
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n")
    else:
        sys.stdout.write(sizing_text(result, lang))
        if files:
            sys.stdout.write(f"-> {', '.join(str(f) for f in files)}\n")
    return 0 if result.answer is not None else 1
