"""``results.xlsx``: a run's tables as one spreadsheet for planners (needs ``openpyxl``, the
``xlsx`` extra; without it the run goes on and says the workbook was skipped).

One sheet per table, headers in the run's language, numbers stored as numbers with formats
(thousands, %, one decimal for FTE), frozen header rows, column widths set. Text from a
scenario is always stored as text, never as a formula (see :func:`sim.output.safe_cell`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..results import METRICS, TOTAL_METRICS, YEARLY_METRICS
from . import i18n

FORMATS = {
    "h": "#,##0",
    "people": "#,##0",
    "contracts": "#,##0",
    "days": "#,##0.0",
    "FTE": "#,##0.0",
    "share": "0.0%",
}
"""Number format of a unit (Excel codes; shown with the reader's separators)."""

Row = Sequence[Any]


def available() -> bool:
    """Whether ``openpyxl`` can be imported."""
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        return False
    return True


def _fmt(unit: str | None) -> str:
    return FORMATS.get(unit or "", "General")


def _number(x: Any) -> Any:
    if x is None:
        return None
    if isinstance(x, float) and math.isnan(x):
        return None
    return x


def _printable(text: str) -> str:
    """Control characters a worksheet cannot hold, written as escapes (``\\x1b``)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def add_sheet(
    wb: Any,
    title: str,
    head: Sequence[str],
    rows: Sequence[Row],
    formats: Sequence[str | None] | None = None,
    freeze: str = "B2",
) -> Any:
    """Add a sheet: a bold, frozen header row, then ``rows``; ``formats`` per column (number
    format codes, None for General); text cells never become formulas."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title[:31])
    fill = PatternFill("solid", fgColor="E8EEF2")
    for j, h in enumerate(head, 1):
        c = ws.cell(row=1, column=j, value=_printable(str(h)))
        c.data_type = "s"
        c.font = Font(bold=True)
        c.fill = fill
        c.alignment = Alignment(wrap_text=True, vertical="top")
    widths = [min(max(len(str(h)), 8), 40) for h in head]
    for i, row in enumerate(rows, 2):
        for j, v in enumerate(row, 1):
            c = ws.cell(row=i, column=j)
            if isinstance(v, str):
                v = _printable(v)
                c.value = v
                c.data_type = "s"  # never a formula, whatever the text starts with
                widths[j - 1] = min(max(widths[j - 1], len(v)), 60)
            else:
                c.value = _number(v)
                if formats is not None and formats[j - 1]:
                    c.number_format = formats[j - 1]
                widths[j - 1] = max(widths[j - 1], 12)
    for j, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(j)].width = w + 2
    ws.freeze_panes = freeze
    return ws


def new_workbook() -> Any:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    return wb


def _unit(metric: str, lang: str) -> str:
    units = i18n.tr("report", "units", lang)
    u = METRICS[metric].unit
    return str(units.get(u, u))


def run_workbook(
    summary: Mapping[str, Any],
    parameters: Sequence[tuple[str, Any, str, str]],
    lang: str = "fr",
    utilisation: Mapping[str, float | None] | None = None,
) -> Any:
    """The workbook of a run. ``parameters``: (key, value text, origin, note) rows;
    ``utilisation``: mean utilisation per resource type (share; None: no such resource)."""
    t = i18n.section("xlsx")[i18n.norm(lang)]
    rt = i18n.section("report")[i18n.norm(lang)]
    wb = new_workbook()
    stat_head = [t["mean"], t["ci_low"], t["ci_high"], t["p05"], t["p95"]]
    rows, fmts = [], []
    for m in TOTAL_METRICS:
        s = summary.get(m)
        if not isinstance(s, Mapping):
            continue
        rows.append(
            [i18n.metric_label(m, lang), _unit(m, lang)]
            + [s.get(k) for k in ("mean", "ci_low", "ci_high", "p05", "p95")]
        )
        fmts.append(_fmt(METRICS[m].unit))
    ws = add_sheet(wb, t["summary"], [t["metric"], t["unit"], *stat_head], rows)
    for i, f in enumerate(fmts, 2):
        for j in range(3, 8):
            ws.cell(row=i, column=j).number_format = f

    horizon_end = int(summary["start_year"]) + int(summary["horizon_years"])
    metrics = [m for m in YEARLY_METRICS if isinstance(summary["years"][0].get(m), Mapping)]
    head = [t["year"], t["run_out"], t["clause_hours"], t["clause_fte"]]
    head += [f"{i18n.metric_label(m, lang)} ({_unit(m, lang)})" for m in metrics]
    yrows = []
    for y in summary["years"]:
        run_out = bool(y.get("run_out", int(y["year"]) >= horizon_end))
        yrows.append(
            [int(y["year"]), t["yes"] if run_out else t["no"], y.get("clause_hours")]
            + [y.get("clause_fte")]
            + [y[m]["mean"] for m in metrics]
        )
    add_sheet(
        wb,
        t["years"],
        head,
        yrows,
        ["0", None, _fmt("h"), _fmt("FTE")] + [_fmt(METRICS[m].unit) for m in metrics],
    )

    crow = []
    for c in summary.get("cohorts", []):
        people = c["people"]["mean"]
        hours = c["hours_worked"]["mean"]
        crow.append(
            [int(c["entry_year"]), people, hours]
            + [c["outcomes"][o]["mean"] for o in c["outcomes"]]
        )
    outcomes = list(summary["cohorts"][0]["outcomes"]) if summary.get("cohorts") else []
    add_sheet(
        wb,
        t["cohorts"],
        [t["entry_year"], t["people"], t["hours_worked"]]
        + [rt["outcome"].get(o, o) for o in outcomes],
        crow,
        ["0", "#,##0", "#,##0"] + ["#,##0.0"] * len(outcomes),
    )

    data = summary.get("exits_by_outcome_and_public", {})
    publics = list(next(iter(data.values()), {}).keys())
    erows = [[rt["outcome"].get(o, o)] + [by[p]["mean"] for p in publics] for o, by in data.items()]
    add_sheet(
        wb,
        t["exits"],
        [t["outcome"]] + [rt["public"].get(p, p) for p in publics],
        erows,
        [None] + ["#,##0.0"] * len(publics),
    )

    krows = []
    diag = summary.get("bottleneck")
    gains: dict[str, Any] = {}
    lapsed: dict[str, Any] = {}
    if isinstance(diag, Mapping):
        for c in diag.get("constraints", []):
            gains[c["constraint"]] = (c.get("hours_gained") or {}).get("mean")
            lapsed[c["constraint"]] = (c.get("hours_lapsed") or {}).get("mean")
    for name, share in (utilisation or {}).items():
        key = name.removeprefix("siae_") if name.startswith("siae_") else name
        label = resource_name(name, lang)
        krows.append(
            [
                label,
                t["none"] if share is None and name == "facilitators" else share,
                lapsed.get(name, lapsed.get(key)),
                gains.get(name, gains.get(key)),
            ]
        )
    add_sheet(
        wb,
        t["constraints"],
        [t["resource"], t["utilisation"], t["lapsed_cause"], t["gain"]],
        krows,
        [None, "0.0%", "#,##0", "#,##0"],
    )

    prows = [
        [key, i18n.param_label(key, lang), value, rt[f"origin_{origin}"], note]
        for key, value, origin, note in parameters
    ]
    add_sheet(
        wb,
        t["parameters"],
        [t["key"], t["label"], t["value"], t["origin"], t["note"]],
        prows,
        [None] * 5,
    )
    return wb


def resource_name(name: str, lang: str) -> str:
    """Label of a resource (``facilitators``, ``preparation``, ``siae_<type>``)."""
    from .tables import resource_label

    if name == "preparation":
        return str(i18n.tr("xlsx", "preparation", lang))
    return resource_label(name, lang)


def save(wb: Any, path: Path) -> Path:
    wb.save(path)
    return path


def calibration_workbook(
    path: Path,
    parameters: Mapping[str, Mapping[str, Any]],
    rows: Sequence[Mapping[str, Any]],
    holdout: Sequence[Mapping[str, Any]],
    lang: str = "fr",
) -> Path | None:
    """``results.xlsx`` of a calibration: the fitted parameters (estimate, 95 % interval,
    range, identifiable) and the observed rows against the simulation at the estimate (fitted,
    then held out). None when openpyxl is absent."""
    if not available():
        return None
    t = i18n.section("xlsx")[i18n.norm(lang)]
    wb = new_workbook()
    head = [t["label"], t["key"], t["estimate"], t["ci_low"], t["ci_high"]]
    head += [t["range_low"], t["range_high"], t["identifiable"]]
    prow = [
        [
            i18n.param_label(k, lang),
            k,
            e.get("estimate"),
            e.get("ci_low"),
            e.get("ci_high"),
            e.get("low"),
            e.get("high"),
            t["yes"] if e.get("identifiable") else t["no"],
        ]
        for k, e in parameters.items()
    ]
    add_sheet(wb, t["fitted"], head, prow, [None, None, *["General"] * 5, None])
    cols = ("from_year", "to_year", "metric", "value", "mean", "p05", "p95", "relative_gap")
    labels = [t["from_year"], t["to_year"], t["metric"], t["observed"], t["mean"], t["p05"]]
    labels += [t["p95"], t["gap"], t["fit_role"]]
    body = []
    for role, group in ((t["fit_fitted"], rows), (t["fit_holdout"], holdout)):
        for r in group:
            line = [r.get(c) for c in cols]
            m = r.get("metric")
            if isinstance(m, str) and m in METRICS:
                line[2] = i18n.metric_label(m, lang)
            body.append([*line, role])
    add_sheet(
        wb,
        t["fit"],
        labels,
        body,
        ["0", "0", None, "#,##0.##", "#,##0.##", "#,##0.##", "#,##0.##", "0.0%", None],
    )
    wb.save(path)
    return path
