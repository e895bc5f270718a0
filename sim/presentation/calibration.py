"""Figure and report of a calibration (``clause-sim calibrate``)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .. import __version__, fmt
from . import i18n
from .report import _page, _table, inline_svg

esc = html.escape

TEXT: Mapping[str, Mapping[str, str]] = i18n.section("calibration")


def _t(lang: str) -> Mapping[str, str]:
    return TEXT["en" if lang == "en" else "fr"]


def _period(r: dict[str, Any]) -> str:
    y0, y1 = r["from_year"], r["to_year"]
    return str(y0) if y0 == y1 else f"{y0}–{y1}"


def fit_figure(result: Any, lang: str = "fr") -> Figure:
    """Observed against simulated, one line per observed row, as the ratio simulated / observed
    (mean and p5–p95 band at the estimate); held-out rows in another colour."""
    t = _t(lang)
    rows = [*result.rows, *result.holdout]
    fig = Figure(figsize=(9.0, 1.2 + 0.45 * len(rows)), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    y = np.arange(len(rows))[::-1]
    for k, r in enumerate(rows):
        obs = r["value"] or np.nan
        color = "#1b7837" if r.get("fitted", True) else "#b2182b"
        lo, hi = (r["p05"] or np.nan) / obs, (r["p95"] or np.nan) / obs
        ax.plot([lo, hi], [y[k], y[k]], color=color, linewidth=5, alpha=0.35, solid_capstyle="butt")
        ax.plot([(r["mean"] or np.nan) / obs], [y[k]], "o", color=color)
    ax.axvline(1.0, color="black", linewidth=1.2)
    ax.set_yticks(y, [f"{r['metric']} {_period(r)}" for r in rows], fontsize=8.5)
    ax.set_xlabel(t["x"])
    ax.grid(True, axis="x", color="#dddddd")
    handles = [
        ax.plot([], [], "o-", color="#1b7837", label=t["fitted"])[0],
    ]
    if result.holdout:
        handles.append(ax.plot([], [], "o-", color="#b2182b", label=t["holdout"])[0])
    ax.legend(handles=handles, fontsize=8.5, frameon=False, loc="best")
    ax.set_title(t["title"], fontsize=12, loc="left")
    return fig


def _rows_table(rows: list[dict[str, Any]], lang: str) -> str:
    t = _t(lang)
    n = fmt.number
    body = [
        [
            esc(_period(r)),
            esc(r["metric"]),
            esc(n(r["value"], 0, lang)),
            esc(n(r["mean"], 0, lang)),
            esc(f"{n(r['p05'], 0, lang)} – {n(r['p95'], 0, lang)}"),
            esc(fmt.percent(r["relative_gap"], 1, lang) if r["relative_gap"] is not None else "–"),
            esc(str(r.get("source", ""))),
        ]
        for r in rows
    ]
    return _table(
        [t["period"], t["metric"], t["obs"], t["sim"], t["band"], t["gap"], t["source"]],
        body,
        [False, False, True, True, True, True, False],
    )


def report_html(result: Any, lang: str, svg: str = "") -> str:
    """A short self-contained report of a calibration."""
    t = _t(lang)
    d = result.data
    prow = []
    for k, v in result.parameters.items():
        dec = 0 if isinstance(v["estimate"], int) else 4
        ident = (
            t["yes"]
            if v["identifiable"]
            else f"{t['no']}: "
            + i18n.unidentified_sentence(
                k, v.get("identified_by"), v.get("identified_rank_correlation"), lang
            )
        )
        prow.append(
            [
                f"<span class=mono>{esc(k)}</span>",
                esc(f"{fmt.number(v['low'], dec, lang)} – {fmt.number(v['high'], dec, lang)}"),
                esc(fmt.number(v["estimate"], dec, lang)),
                esc(
                    f"{fmt.number(v['ci_low'], dec, lang)} – {fmt.number(v['ci_high'], dec, lang)}"
                ),
                esc(ident),
            ]
        )
    body = [
        f"<header><h1>{esc(t['title'])}{esc(': ' + str(d['scenario']))}</h1>",
        "<p class=meta>"
        + esc(
            t["meta"].format(
                v=__version__, file=d["observed_file"], n=d["replications"], seed=d["seed"]
            )
        )
        + "</p></header>",
        f"<section><h2>{esc(t['params'])}</h2>"
        + _table(
            [t["param"], t["range"], t["est"], t["ci"], t["ident"]],
            prow,
            [False, True, True, True, False],
        )
        + f"<p>{esc(t['objective'].format(v=fmt.number(result.objective['at_estimate'], 5, lang)))}"
        "</p></section>",
        f"<section><h2>{esc(t['rows'])}</h2>{_rows_table(result.rows, lang)}</section>",
    ]
    if result.holdout:
        body.append(
            f"<section><h2>{esc(t['holdout_h'])} {esc(str(d['holdout']))}</h2>"
            f"{_rows_table(result.holdout, lang)}</section>"
        )
    if svg:
        body.append(f"<section><figure>{inline_svg(svg, 'fit-', t['title'])}</figure></section>")
    body.append(f"<section><h2>{esc(t['method'])}</h2><p>{esc(t['method_text'])}</p></section>")
    return _page(t["title"], lang, "\n".join(body))
