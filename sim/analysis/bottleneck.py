"""Bottleneck diagnosis: which constraint limits the hours realised, and what one more unit buys.

For each constraint of the flow model, :func:`diagnose` gives three measures:

* **time at capacity** (share of the run, mean over replications): the facilitators' caseload
  full, people waiting for a preparation place, all posts of an SIAE type busy. Referrals, the
  timing of works and uncapped preparation have no capacity: not applicable.
* **hours lapsed attributed** (h, mean, and share of all lapsed hours): what was short when an
  offer lapsed (see :data:`sim.results.LAPSE_CAUSES`; the causes add up to the hours lapsed;
  ``preparation`` counts people still in preparation *or lifting a barrier*).
* **hours gained by one more unit** (h realised, paired difference with common random numbers:
  same seed, same replication indices, 95 % Student-t interval of the mean difference):

  ===============  ===============================================================================
  facilitators     +1 FTE every year (``flow.facilitators.fte``)
  preparation      +5 places a year (``flow.preparation.places_per_year``); not applicable when
                   places are not capped
  siae_<type>      +1 post (``flow.siae.posts.<type>``); not applicable when no offer goes
                   through that type
  referrals        +10 % referrals every year (``flow.referrals.per_year``), not +1 person
  works_timing     operations 30 days longer (``flow.operations.duration_days``: every parameter
                   of a fixed, uniform, triangular or empirical duration shifted by 30 days; the
                   mean of an exponential or lognormal one raised by 30 days)
  ===============  ===============================================================================

  A capacity never reached in any of the replications used cannot change anything when raised
  (the model only checks it when it is full): its gain is exactly 0 h and is not simulated.

The **binding constraint** is the one to which the most lapsed hours are attributed; none binds
when less than :data:`MIN_LAPSED_SHARE` of the offered hours lapse. Plain sentences in French and
English name it with its figures, and the best marginal lever when it is another one.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import fmt
from ..parallel import CancelFlag, Executor, batches, executor
from ..presentation import i18n
from ..results import Runs, describe
from ..runner import Progress, run_batch, run_replications
from ..scenario import SIAE_TYPES, Dist, Scenario, toml_value

CONSTRAINTS: tuple[str, ...] = (
    "referrals",
    "facilitators",
    "preparation",
    *[f"siae_{t}" for t in SIAE_TYPES],
    "works_timing",
)
"""The constraints diagnosed, in display order."""

DEFAULT_REPLICATIONS = 40
"""Replications used for the +1 unit differences by default (at most those of the run)."""

MIN_LAPSED_SHARE = 0.01
"""Below this share of offered hours lapsed, no constraint is called binding."""

WORKS_EXTRA_DAYS = 30.0
"""Days added to the operations' duration for the works-timing lever."""

REFERRALS_FACTOR = 1.10
"""Factor applied to referrals for the referrals lever (+10 %)."""

PREPARATION_EXTRA = 5
"""Places a year added for the preparation lever."""

LABELS: Mapping[str, tuple[str, str]] = {
    "referrals": ("orientations", "referrals"),
    "facilitators": ("portefeuille des facilitateurs", "facilitators' caseload"),
    "preparation": ("préparation et levée des freins", "preparation and barriers"),
    **{f"siae_{t}": (f"postes {t.upper()}", f"{t.upper()} posts") for t in SIAE_TYPES},
    "works_timing": ("calendrier des travaux", "timing of the works"),
}
"""French and English names of the constraints."""


@dataclass(frozen=True)
class Lever:
    """One more unit of a constraint: the overrides that add it, and how to say it."""

    overrides: tuple[str, ...]
    fr: str
    en: str


def _toml(value: Any) -> str:
    """A value as inline TOML, floats rounded to 9 decimals (hides binary noise)."""
    return toml_value(value, digits=9)


def _per_year(values: Sequence[float], factor: float = 1.0, add: float = 0.0) -> str:
    new = [v * factor + add for v in values]
    return _toml(new[0]) if len(set(new)) == 1 else _toml(new)


def _shifted(d: Dist, days: float) -> dict[str, Any]:
    p = dict(d.params)
    out: dict[str, Any] = {"dist": d.kind}
    if d.kind == "fixed":
        out["value"] = float(p["value"]) + days
    elif d.kind == "uniform":
        out.update(low=float(p["low"]) + days, high=float(p["high"]) + days)
    elif d.kind == "triangular":
        out.update({k: float(p[k]) + days for k in ("low", "mode", "high")})
    elif d.kind == "empirical":
        out["values"] = [float(v) + days for v in p["values"]]
        if "weights" in p:
            out["weights"] = [float(w) for w in p["weights"]]
    elif d.kind == "exponential":
        out["mean"] = float(p["mean"]) + days
    elif d.kind == "lognormal":
        out.update(mean=float(p["mean"]) + days, sd=float(p["sd"]))
    else:  # pragma: no cover - durations have no "none"
        raise ValueError(f"cannot shift a {d.kind} duration")
    return out


def levers(scenario: Scenario) -> dict[str, Lever | None]:
    """The +1 unit of each constraint for this scenario (None when not applicable)."""
    f = scenario.flow
    out: dict[str, Lever | None] = {
        "referrals": Lever(
            (f"flow.referrals.per_year={_per_year(f.referrals_per_year, REFERRALS_FACTOR)}",),
            "+10 % d'orientations par an",
            "+10% referrals a year",
        ),
        "facilitators": Lever(
            (f"flow.facilitators.fte={_per_year(f.facilitators.fte, add=1.0)}",),
            "+1 ETP de facilitateur",
            "+1 facilitator FTE",
        ),
    }
    places = f.preparation.places_per_year
    out["preparation"] = (
        None
        if places is None
        else Lever(
            (f"flow.preparation.places_per_year={places + PREPARATION_EXTRA}",),
            f"+{PREPARATION_EXTRA} places de préparation par an",
            f"+{PREPARATION_EXTRA} preparation places a year",
        )
    )
    for t in SIAE_TYPES:
        out[f"siae_{t}"] = (
            None
            if f.missions.mode_shares[t] <= 0
            else Lever(
                (f"flow.siae.posts.{t}={f.siae_posts[t] + 1}",),
                f"+1 poste {t.upper()}",
                f"+1 {t.upper()} post",
            )
        )
    dur = _shifted(f.operations.duration_days, WORKS_EXTRA_DAYS)
    out["works_timing"] = Lever(
        (f"flow.operations.duration_days={_toml(dur)}",),
        "des opérations plus longues de 30 jours",
        "operations 30 days longer",
    )
    return out


_NOT_APPLICABLE = {
    "preparation": ("places non plafonnées", "places are not capped"),
    "siae": ("aucune offre ne passe par ce type de SIAE", "no offer goes through this SIAE type"),
}

_TIME_FULL = {
    "facilitators": "time_full_facilitators",
    "preparation": "time_full_preparation",
    **{f"siae_{t}": f"time_full_siae_{t}" for t in SIAE_TYPES},
}


def _stat(x: Any) -> dict[str, Any]:
    return describe(np.asarray(x, dtype=float)).to_dict()


def _clean(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def diagnose(
    scenario: Scenario,
    runs: Runs,
    seed: int | None = None,
    replications: int = DEFAULT_REPLICATIONS,
    jobs: int = 1,
    progress: Progress | None = None,
    *,
    executor: Executor | None = None,
    cancel: CancelFlag | None = None,
) -> dict[str, Any]:
    """How binding each constraint was in ``runs``, and the hours one more unit would realise.

    Parameters
    ----------
    scenario : the scenario of ``runs``
    runs : replications ``0..n-1`` of ``seed`` (as :func:`sim.runner.replicate` makes them)
    seed : root seed (default ``runs.seed``); if it differs from ``runs.seed`` the base
        replications are run again with it
    replications : replications for the +1 unit differences (``min(replications, runs.n)``)
    jobs : worker processes for those replications (ignored with ``executor``)
    progress : called as ``progress(done, total)`` over the levers simulated
    executor : where to run them (:mod:`sim.parallel`); every lever's replications go to it
        at once
    cancel : once set, :class:`sim.parallel.Cancelled` is raised

    Returns
    -------
    dict
        JSON-ready: ``constraints`` (one entry per constraint, see the module docstring; hours in
        h, times as shares of the run), ``binding`` (a constraint name or None),
        ``sentence_fr``, ``sentence_en`` and the method's parameters.
    """
    seed = runs.seed if seed is None else int(seed)
    m = max(1, min(int(replications), runs.n))
    if seed == runs.seed:
        base = np.asarray(runs.totals["hours_realised"][:m], dtype=float)
        base_full = {k: np.asarray(runs.totals[v][:m]) for k, v in _TIME_FULL.items()}
    else:
        base_runs = run_replications(
            scenario, seed, range(m), jobs, executor=executor, cancel=cancel
        )
        base = np.array([r.totals["hours_realised"] for r in base_runs])
        base_full = {k: np.array([r.totals[v] for r in base_runs]) for k, v in _TIME_FULL.items()}
    lapsed_total = float(np.mean(runs.totals["hours_lapsed"]))
    offered = float(np.mean(runs.totals["hours_offered"]))
    lv = levers(scenario)
    to_run = [
        c
        for c in CONSTRAINTS
        if lv[c] is not None and not (c in base_full and not np.any(base_full[c] > 0))
    ]
    gained = _run_levers(
        {c: scenario.with_overrides(list(lv[c].overrides)) for c in to_run},  # type: ignore[union-attr]
        seed,
        m,
        jobs,
        progress,
        executor,
        cancel,
    )
    entries: list[dict[str, Any]] = []
    for c in CONSTRAINTS:
        lapsed = np.asarray(runs.totals[f"lapsed_{c}"], dtype=float)
        cap = _TIME_FULL.get(c)
        lever = lv[c]
        entry: dict[str, Any] = {
            "constraint": c,
            "label_fr": LABELS[c][0],
            "label_en": LABELS[c][1],
            "time_at_capacity": (
                None
                if cap is None or (c == "preparation" and lever is None)
                else _stat(runs.totals[cap])
            ),
            "hours_lapsed": _stat(lapsed),
            "share_of_lapsed": (
                _clean(float(lapsed.mean()) / lapsed_total) if lapsed_total > 0 else None
            ),
            "lever": None
            if lever is None
            else {"fr": lever.fr, "en": lever.en, "overrides": list(lever.overrides)},
            "hours_gained": None,
            "note_fr": None,
            "note_en": None,
        }
        if lever is None:
            fr, en = _NOT_APPLICABLE["siae" if c.startswith("siae_") else c]
            entry["note_fr"], entry["note_en"] = f"non applicable : {fr}", f"not applicable: {en}"
        elif c not in to_run:
            entry["hours_gained"] = _stat(np.zeros(m))
            entry["note_fr"] = (
                "jamais à pleine capacité dans ces réplications : une unité de "
                "plus ne change rien (0 h, non simulé)"
            )
            entry["note_en"] = (
                "never at capacity in these replications: one more unit changes "
                "nothing (0 h, not simulated)"
            )
        else:
            entry["hours_gained"] = _stat(gained[c] - base)
        entries.append(entry)
    binding = _binding(entries, lapsed_total, offered)
    best = _best_lever(entries)
    diag: dict[str, Any] = {
        "method": {
            "replications": m,
            "seed": seed,
            "replications_run": runs.n,
            "interval": "95 % Student-t interval of the mean paired difference "
            "(common random numbers)",
            "levers": {
                "referrals": "+10 % a year",
                "facilitators": "+1 FTE every year",
                "preparation": f"+{PREPARATION_EXTRA} places a year",
                "siae": "+1 post",
                "works_timing": "operations 30 days longer",
            },
        },
        "hours_offered": _clean(offered),
        "hours_lapsed": _clean(lapsed_total),
        "lapsed_share": _clean(lapsed_total / offered) if offered > 0 else None,
        "constraints": entries,
        "binding": binding,
        "best_lever": best,
    }
    diag["sentence_fr"] = sentence(diag, "fr")
    diag["sentence_en"] = sentence(diag, "en")
    return diag


def lever_batch(scenario: Scenario, seed: int, indices: list[int]) -> list[float]:
    """Hours realised (h) in replications ``indices`` of a lever's scenario (a task)."""
    return [r.totals["hours_realised"] for r in run_batch(scenario, seed, indices)]


def _lever_task(task: tuple[Scenario, int, list[int]]) -> list[float]:
    return lever_batch(*task)


def _run_levers(
    scenarios: Mapping[str, Scenario],
    seed: int,
    m: int,
    jobs: int,
    progress: Progress | None,
    ex: Executor | None,
    cancel: CancelFlag | None = None,
) -> dict[str, np.ndarray]:
    """Hours realised in replications ``0..m-1`` of each lever's scenario, all levers submitted
    to one executor at once; ``progress(levers done, levers)``."""
    if not scenarios:
        return {}
    if ex is None:
        with executor(jobs, tasks=m * len(scenarios)) as own:
            return _run_levers(scenarios, seed, m, jobs, progress, own, cancel)
    parts = batches(range(m), ex.workers)
    names = list(scenarios)
    tasks = [(scenarios[c], seed, b) for c in names for b in parts]
    values: dict[int, list[float]] = {}
    left = {c: len(parts) for c in names}
    done = 0
    for k, v in ex.imap(_lever_task, tasks, cancel=cancel):
        values[k] = v
        c = names[k // len(parts)]
        left[c] -= 1
        if left[c] == 0:
            done += 1
            if progress:
                progress(done, len(names))
    return {
        c: np.array([x for j in range(len(parts)) for x in values[i * len(parts) + j]], dtype=float)
        for i, c in enumerate(names)
    }


def _binding(entries: Sequence[Mapping[str, Any]], lapsed: float, offered: float) -> str | None:
    if offered <= 0 or lapsed / offered < MIN_LAPSED_SHARE:
        return None
    best = max(entries, key=lambda e: e["hours_lapsed"]["mean"] or 0.0)
    return str(best["constraint"]) if (best["hours_lapsed"]["mean"] or 0.0) > 0 else None


def _best_lever(entries: Sequence[Mapping[str, Any]]) -> str | None:
    """The constraint whose +1 unit gains the most hours, if its interval is above 0."""
    cands = [
        e
        for e in entries
        if e["hours_gained"]
        and e["hours_gained"]["mean"]
        and (e["hours_gained"]["ci_low"] or 0.0) > 0
    ]
    if not cands:
        return None
    return str(max(cands, key=lambda e: e["hours_gained"]["mean"])["constraint"])


def _entry(diag: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    return next(e for e in diag["constraints"] if e["constraint"] == name)


def _gain_text(e: Mapping[str, Any], lang: str) -> str:
    g = e["hours_gained"]
    n = fmt.number
    if g["ci_low"] is None or g["ci_high"] is None:
        return f"{n(g['mean'], 0, lang)} h"
    if lang == "fr":
        return (
            f"{n(g['mean'], 0, lang)} h (IC 95 % : {n(g['ci_low'], 0, lang)} à "
            f"{n(g['ci_high'], 0, lang)} h)"
        )
    return (
        f"{n(g['mean'], 0, lang)} h (95% CI {n(g['ci_low'], 0, lang)} to "
        f"{n(g['ci_high'], 0, lang)} h)"
    )


def sentence(diag: Mapping[str, Any], lang: str = "fr") -> str:
    """A plain sentence naming the binding constraint with its figures (``fr`` or ``en``)."""
    fr = lang == "fr"
    n, pct = fmt.number, fmt.percent
    name = diag["binding"]
    if name is None:
        share = diag["lapsed_share"]
        return (
            f"Aucune contrainte ne limite nettement : {pct(share, 1, lang)} des heures "
            f"offertes sont perdues."
            if fr
            else f"No constraint binds materially: {pct(share, 1, lang)} of the offered hours "
            f"lapse."
        )
    e = _entry(diag, name)
    label = e["label_fr"] if fr else e["label_en"]
    h = n(e["hours_lapsed"]["mean"], 0, lang)
    share = pct(e["share_of_lapsed"], 0, lang)
    cap = e["time_at_capacity"]
    if fr:
        text = (
            f"Contrainte limitante : {label}. {h} h perdues lui sont imputées ({share} des "
            f"heures perdues)"
        )
        if cap is not None:
            text += f" ; à pleine capacité {pct(cap['mean'], 0, lang)} du temps"
        text += "."
        if e["hours_gained"] is not None:
            text += f" Avec {e['lever']['fr']} : {_gain_text(e, lang)} réalisées en plus."
    else:
        text = (
            f"Binding constraint: {label}. {h} h lapsed are attributed to it ({share} of "
            f"the lapsed hours)"
        )
        if cap is not None:
            text += f"; at capacity {pct(cap['mean'], 0, lang)} of the time"
        text += "."
        if e["hours_gained"] is not None:
            text += f" With {e['lever']['en']}: {_gain_text(e, lang)} more realised."
    best = diag.get("best_lever")
    if best is not None and best != name:
        b = _entry(diag, best)
        text += (
            f" Meilleur levier marginal : {b['lever']['fr']}, {_gain_text(b, lang)} "
            f"réalisées en plus."
            if fr
            else f" Best marginal lever: {b['lever']['en']}, {_gain_text(b, lang)} more realised."
        )
    return text


_HEAD: Mapping[str, Any] = i18n.section("bottleneck")


def _cells(e: Mapping[str, Any], lang: str) -> list[str]:
    fr = lang == "fr"
    n, pct = fmt.number, fmt.percent
    cap = e["time_at_capacity"]
    if e["hours_gained"] is not None:
        gain = _gain_text(e, lang)
    else:
        gain = e["note_fr"] if fr else e["note_en"]
    lever = e["lever"]["fr" if fr else "en"] if e["lever"] else "–"
    return [
        e["label_fr"] if fr else e["label_en"],
        "–" if cap is None else pct(cap["mean"], 0, lang),
        f"{n(e['hours_lapsed']['mean'], 0, lang)} h",
        pct(e["share_of_lapsed"], 0, lang),
        lever,
        gain,
    ]


def bottleneck_text(diag: Mapping[str, Any], lang: str = "fr") -> str:
    """The diagnosis as plain text: the sentence, then one line per constraint."""
    title, cols, note = _HEAD["en" if lang == "en" else "fr"]
    rows = [_cells(e, lang) for e in diag["constraints"]]
    widths = [max(len(r[i]) for r in [list(cols), *rows]) for i in range(len(cols))]

    def line(r: Sequence[str]) -> str:
        return "  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()

    m = diag["method"]
    return (
        "\n".join(
            [
                title,
                diag["sentence_fr" if lang == "fr" else "sentence_en"],
                "",
                line(cols),
                line(["-" * w for w in widths]),
                *[line(r) for r in rows],
                "",
                note.format(m=m["replications"], n=m["replications_run"]),
            ]
        )
        + "\n"
    )


def bottleneck_title(lang: str = "fr") -> str:
    """The diagnosis's title in a language."""
    return _HEAD["en" if lang == "en" else "fr"][0]


def bottleneck_html(diag: Mapping[str, Any], lang: str = "fr", heading: bool = True) -> str:
    """The diagnosis as an HTML fragment (a ``<section>``; every text escaped).

    With ``heading=False`` the ``<h2>`` title is left to the page that includes it.
    """
    title, cols, note = _HEAD["en" if lang == "en" else "fr"]
    esc = html.escape
    binding = diag["binding"]
    out = [
        f'<section class="bottleneck" lang="{"en" if lang == "en" else "fr"}">',
        f"<h2>{esc(title)}</h2>" if heading else "",
        f'<p class="sentence">{esc(diag["sentence_fr" if lang == "fr" else "sentence_en"])}</p>',
        '<table class="bottleneck-table">',
        "<thead><tr>" + "".join(f'<th scope="col">{esc(c)}</th>' for c in cols) + "</tr></thead>",
        "<tbody>",
    ]
    for e in diag["constraints"]:
        cells = _cells(e, lang)
        cls = ' class="binding"' if e["constraint"] == binding else ""
        out.append(
            f'<tr{cls}><th scope="row">{esc(cells[0])}</th>'
            + "".join(f"<td>{esc(c)}</td>" for c in cells[1:])
            + "</tr>"
        )
    m = diag["method"]
    out += [
        "</tbody>",
        "</table>",
        f'<p class="note">{esc(note.format(m=m["replications"], n=m["replications_run"]))}</p>',
        "</section>",
    ]
    return "\n".join(out) + "\n"
