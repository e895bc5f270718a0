"""Report sections of uncertain parameters and observed data (HTML, escaped).

The two intervals of a run with an ``[uncertainty]`` table, in one sentence each, the table of
the share of the spread each parameter explains, and the observed-against-simulated table.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from .. import fmt
from ..results import METRICS
from . import i18n
from .report import _table, num

esc = html.escape

TEXT: Mapping[str, Mapping[str, str]] = i18n.section("uncertainty")

TOP = 6
"""Parameters shown by name for each metric in the contribution table (the rest summed)."""

FIGURE_METRICS: Mapping[str, tuple[str, ...]] = {
    "1-hours": ("hours_offered", "hours_realised", "hours_lapsed"),
    "2-fte": ("fte_realised",),
    "3-people": ("referrals", "intakes", "active_mean", "exits"),
    "4-positive-exits": ("positive_exits", "positive_exits_rsa", "positive_exits_under_26"),
}
"""The yearly metrics each run figure draws (where observed rows of them are overlaid)."""


def _t(lang: str) -> Mapping[str, str]:
    return TEXT["en" if lang == "en" else "fr"]


def uncertainty_title(lang: str) -> str:
    """Title of the uncertainty section."""
    return _t(lang)["title"]


def _short(v: float, lang: str) -> str:
    """A parameter value with no needless decimals (at most 3): 150, 0.225, 1,130."""
    x = float(v)
    dec = next((d for d in range(4) if abs(round(x, d) - x) < 1e-9), 3)
    return fmt.number(x, dec, lang)


def _dist_text(spec: Mapping[str, Any], lang: str) -> str:
    params = ", ".join(
        f"{k} = {_short(v, lang) if isinstance(v, int | float) else v}"
        for k, v in spec.items()
        if k != "dist"
    )
    return f"{spec['dist']} ({params})"


def uncertainty_html(summary: Mapping[str, Any], lang: str) -> str:
    """The two intervals in one sentence each, the parameters and the contribution table."""
    t = _t(lang)
    sec = summary["uncertainty"]
    out = [f"<p>{esc(t['ci'])}</p>", f"<p>{esc(t['band'])}</p>"]
    rows = [
        [
            f"<span class=mono>{esc(p['key'])}</span>",
            esc(_dist_text(p["distribution"], lang)),
            esc(_short(p["central"], lang)),
        ]
        for p in sec["parameters"]
    ]
    out.append(_table([t["param"], t["dist"], t["central"]], rows, [False, False, True]))
    contrib: Mapping[str, Any] = sec.get("contributions", {})
    crow: list[list[str]] = []
    n, d = int(summary.get("replications", 0)), len(sec["parameters"])
    for metric, c in contrib.items():
        ranked = sorted(c["parameters"].items(), key=lambda kv: -kv[1]["share"])
        shown = [(k, v) for k, v in ranked[:TOP] if v["share"] >= 0.01]
        for key, v in shown:
            crow.append(
                [
                    esc(i18n.metric_label(metric, lang)),
                    f"<span class=mono>{esc(key)}</span>",
                    esc(fmt.number(v["rank_correlation"], 2, lang)),
                    esc(fmt.percent(v["share"], 0, lang)),
                ]
            )
        rest = ranked[len(shown) :]
        if rest:
            crow.append(
                [
                    esc(i18n.metric_label(metric, lang)),
                    esc(t["rest"].format(k=len(rest))),
                    "",
                    esc(fmt.percent(sum(v["share"] for _k, v in rest), 0, lang)),
                ]
            )
        crow.append(
            [
                esc(i18n.metric_label(metric, lang)),
                esc(t["other"]),
                "",
                esc(fmt.percent(c["other"], 0, lang)),
            ]
        )
    if crow:
        out.append(
            _table(
                [t["metric"], t["param"], t["rho"], t["share"]], crow, [False, False, True, True]
            )
        )
        out.append(f"<p class=note>{esc(t['method'])}</p>")
        if n <= d + 1:
            out.append(f"<p class=note>{esc(t['few'].format(n=n, d=d))}</p>")
    return "\n".join(out)


def observed_title(lang: str) -> str:
    """Title of the observed-against-simulated section."""
    return _t(lang)["observed"]


def observed_html(rows: Sequence[Mapping[str, Any]], lang: str) -> str:
    """The observed-against-simulated table (rows of :func:`sim.observed.compare`)."""
    t = _t(lang)
    body = []
    for r in rows:
        unit = METRICS[r["metric"]].unit if r["metric"] in METRICS else ""
        period = (
            str(r["from_year"])
            if r["from_year"] == r["to_year"]
            else (f"{r['from_year']}–{r['to_year']}")
        )
        gap = r.get("relative_gap")
        body.append(
            [
                esc(period),
                esc(
                    i18n.metric_label(r["metric"], lang) if r["metric"] in METRICS else r["metric"]
                ),
                esc(num(r["value"], unit, lang)),
                esc(num(r["mean"], unit, lang)),
                esc(f"{num(r['p05'], unit, lang)} – {num(r['p95'], unit, lang)}"),
                esc(fmt.percent(gap, 0, lang) if gap is not None else "–"),
                esc(str(r.get("source", ""))),
            ]
        )
    return _table(
        [t["period"], t["metric"], t["obs"], t["sim"], t["band_h"], t["gap"], t["source"]],
        body,
        [False, False, True, True, True, True, False],
    )


def overlay_observed(fig: Any, name: str, rows: Sequence[Any], lang: str) -> int:
    """Draw the observed rows of the metrics a run figure shows: a point for a yearly figure, a
    segment across its years at the yearly average for a cumulative one. Returns how many."""
    metrics = FIGURE_METRICS.get(name, ())
    mine = [r for r in rows if r.metric in metrics]
    if not mine or not fig.axes:
        return 0
    t = _t(lang)
    ax = fig.axes[0]
    point = span = False
    for r in mine:
        if r.from_year == r.to_year:
            ax.plot(
                [r.from_year],
                [r.value],
                "D",
                color="#b2182b",
                markersize=6,
                zorder=5,
                label=None if point else t["obs_point"],
            )
            point = True
        else:
            avg = r.value / (r.to_year - r.from_year + 1)
            ax.plot(
                [r.from_year - 0.4, r.to_year + 0.4],
                [avg, avg],
                "-",
                color="#b2182b",
                linewidth=2.0,
                zorder=5,
                label=None if span else t["obs_span"],
            )
            span = True
    top = max(
        r.value if r.from_year == r.to_year else r.value / (r.to_year - r.from_year + 1)
        for r in mine
    )
    ax.set_ylim(top=max(ax.get_ylim()[1], top * 1.15))
    ax.legend(loc="upper right", fontsize=8.5, frameon=False, ncol=2)
    return len(mine)
