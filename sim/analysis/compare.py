"""Compare scenarios with common random numbers: same seed, same replication indices.

Replication ``i`` of every scenario uses the same seed, and within it each random process has
its own named stream (:mod:`sim.streams`), so the scenarios share their random numbers process
by process. Differences are therefore paired replication by replication: for each total metric,
``B_i - A_i`` over the replications, its mean and the 95 % Student-t interval of that mean
(:func:`sim.results.describe`). Paired intervals are much narrower than the difference of two
independent intervals.

The comparison folder holds ``comparison.csv`` (one row a metric), ``comparison.json``, one
sub-folder per scenario (``scenario.toml``, ``summary.json``, ``yearly.csv``,
``replications.csv``), ``figures/`` (overlays of the yearly hours, FTE and positive exits) and
``report.html``. Running the scenarios into such a folder is :func:`sim.jobs.compare`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..hours import HoursResult
from ..hours import compute as compute_hours
from ..output import write_csv, write_json, write_scenario, write_tables, write_workbook
from ..results import KEY_COMPARE_METRICS, METRICS, TOTAL_METRICS, Runs, describe
from ..scenario import Scenario, default_scenario_path

RESERVED = ("figures", "report.html", "comparison.csv", "comparison.json")
"""Names of a comparison folder's own files: never a scenario's label."""


def labels_for(paths: Sequence[str | Path | None]) -> list[str]:
    """Short, folder-safe, distinct labels: the scenario files' stems."""
    labels: list[str] = []
    for p in paths:
        stem = Path(p).stem if p is not None else default_scenario_path().stem
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "scenario"
        if base in RESERVED:
            base = f"scenario-{base}"
        label, k = base, 2
        while label in labels:
            label, k = f"{base}-{k}", k + 1
        labels.append(label)
    return labels


def default_out(paths: Sequence[str | Path | None]) -> Path:
    """``results/compare-<stemA>-vs-<stemB>[-vs-...]``."""
    return Path("results") / ("compare-" + "-vs-".join(labels_for(paths)))


def comparison_rows(
    runs_list: Sequence[Runs], metrics: Sequence[str] = TOTAL_METRICS
) -> list[dict[str, Any]]:
    """Per metric: each scenario's mean total and, for each scenario after the first, the
    paired difference to the first (``{mean, ci_low, ci_high, p05, p95}``, NaN as None)."""
    n = {r.n for r in runs_list}
    if len(n) != 1:
        raise ValueError("paired differences need the same number of replications")
    rows = []
    for m in metrics:
        a = np.asarray(runs_list[0].totals[m], dtype=float)
        means = [float(np.mean(r.totals[m])) for r in runs_list]
        diffs = [
            describe(np.asarray(r.totals[m], dtype=float) - a).to_dict() for r in runs_list[1:]
        ]
        rows.append(
            {
                "metric": m,
                "unit": METRICS[m].unit,
                "means": [None if np.isnan(v) else v for v in means],
                "diffs": diffs,
            }
        )
    return rows


def comparison_columns(
    rows: Sequence[Mapping[str, Any]], labels: Sequence[str]
) -> dict[str, list[Any]]:
    """Columns of ``comparison.csv``: ``metric``, ``unit``, ``<label>_mean`` per scenario, then
    ``<label>_minus_<first>_mean/_ci_low/_ci_high`` per later scenario."""
    cols: dict[str, list[Any]] = {
        "metric": [r["metric"] for r in rows],
        "unit": [r["unit"] for r in rows],
    }
    for k, lab in enumerate(labels):
        cols[f"{lab}_mean"] = [_nan(r["means"][k]) for r in rows]
    for k, lab in enumerate(labels[1:]):
        for s in ("mean", "ci_low", "ci_high"):
            cols[f"{lab}_minus_{labels[0]}_{s}"] = [_nan(r["diffs"][k][s]) for r in rows]
    return cols


def _nan(x: Any) -> float:
    return float("nan") if x is None else float(x)


def comparison_text(
    rows: Sequence[Mapping[str, Any]],
    labels: Sequence[str],
    lang: str = "fr",
    metrics: Sequence[str] = KEY_COMPARE_METRICS,
) -> str:
    """The side-by-side table printed on stdout (key metrics)."""
    from ..presentation import i18n
    from ..presentation.report import num

    by = {r["metric"]: r for r in rows}
    ci = i18n.tr("summary", "ci", lang)
    head = [
        i18n.tr("xlsx", "metric", lang),
        *labels,
        *[f"{b} − {labels[0]} ({ci})" for b in labels[1:]],
    ]
    table = [head]
    for m in metrics:
        if m not in by:
            continue
        r, u = by[m], METRICS[m].unit
        label = i18n.metric_label(m, lang)
        cells = [label, *[num(v, u, lang) for v in r["means"]]]
        for d in r["diffs"]:
            sign = "+" if (d["mean"] or 0) > 0 else ""
            sep = ", " if lang == "en" else " ; "
            cells.append(
                f"{sign}{num(d['mean'], u, lang)} [{num(d['ci_low'], u, lang)}{sep}"
                f"{num(d['ci_high'], u, lang)}]"
            )
        table.append(cells)
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    lines = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ).rstrip()
        for r in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def write_comparison(
    folder: Path,
    scenarios: Sequence[Scenario],
    runs_list: Sequence[Runs],
    labels: Sequence[str],
    *,
    lang: str = "fr",
    overrides: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Write a comparison's files into ``folder``; return the comparison rows."""
    from ..presentation import plots, report

    hours_list: list[HoursResult | None] = [compute_hours(s) for s in scenarios]
    summaries = []
    for lab, sc, runs, hrs in zip(labels, scenarios, runs_list, hours_list, strict=True):
        sub = folder / lab
        sub.mkdir()
        write_scenario(sub, sc, overrides, runs.seed, runs.n, lang)
        summaries.append(write_tables(sub, runs, sc, hrs, {"overrides": list(overrides)}))
        write_workbook(sub, summaries[-1], sc, lang)
    rows = comparison_rows(runs_list)
    write_csv(folder / "comparison.csv", comparison_columns(rows, labels))
    first = runs_list[0]
    write_json(
        folder / "comparison.json",
        {
            "seed": first.seed,
            "replications": first.n,
            "scenarios": [
                {"label": lab, "name": sc.name, "file": sc.source}
                for lab, sc in zip(labels, scenarios, strict=True)
            ],
            "reference": labels[0],
            "metrics": rows,
        },
    )
    fig_dir = folder / "figures"
    fig_dir.mkdir()
    svgs: dict[str, Path] = {}
    titles: dict[str, str] = {}
    for name, (fig, _data) in plots.compare_figures(runs_list, labels, lang, hours_list).items():
        _png, svgs[name] = plots.save(fig, fig_dir / name)
        titles[name] = plots.figure_title(fig)
    key_rows = [r for r in rows if r["metric"] in KEY_COMPARE_METRICS]
    key_rows.sort(key=lambda r: KEY_COMPARE_METRICS.index(r["metric"]))
    html = report.compare_report(key_rows, labels, scenarios, summaries, svgs, titles, lang=lang)
    (folder / "report.html").write_text(html, encoding="utf-8")
    _comparison_workbook(folder, rows, labels, lang)
    return rows


def _comparison_workbook(
    folder: Path, rows: Sequence[Mapping[str, Any]], labels: Sequence[str], lang: str
) -> None:
    """``results.xlsx`` of a comparison: one row per metric, the means of each scenario and
    the paired differences to the first with their 95 % interval (needs openpyxl)."""
    from ..presentation import i18n, workbook

    if not workbook.available():
        return
    t = i18n.section("xlsx")[i18n.norm(lang)]
    head = [t["metric"], t["unit"], *labels]
    for b in labels[1:]:
        head += [f"{b} − {labels[0]}", f"{t['ci_low']}", f"{t['ci_high']}"]
    units = i18n.tr("report", "units", lang)
    body, fmts = [], []
    for r in rows:
        m = r["metric"]
        u = METRICS[m].unit
        line: list[Any] = [i18n.metric_label(m, lang), str(units.get(u, u)), *r["means"]]
        for d in r["diffs"]:
            line += [d["mean"], d["ci_low"], d["ci_high"]]
        body.append(line)
        fmts.append(workbook.FORMATS.get(u, "General"))
    wb = workbook.new_workbook()
    ws = workbook.add_sheet(wb, t["comparison"], head, body)
    for i, f in enumerate(fmts, 2):
        for j in range(3, len(head) + 1):
            ws.cell(row=i, column=j).number_format = f
    workbook.save(wb, folder / "results.xlsx")
