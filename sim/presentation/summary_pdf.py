"""``summary.pdf``: one A4 portrait page (matplotlib's PDF backend, no browser) with the key
figures, the hours and FTE figures with their bands, and the binding-constraint sentence."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_pdf import FigureCanvasPdf
from matplotlib.figure import Figure

from .. import __version__, fmt
from ..hours import HoursResult
from ..results import Runs
from ..scenario import Scenario
from . import i18n
from .bottleneck import summary_sentence
from .tables import replications_text, yearly_columns

A4_INCHES = (8.27, 11.69)
"""A4 portrait (inches)."""


def key_lines(summary: Mapping[str, Any], lang: str) -> list[str]:
    """The key figures as short lines (label: value)."""
    t = i18n.section("report")[i18n.norm(lang)]
    colon = ":" if lang == "en" else "\u202f:"
    fte = "FTE" if lang == "en" else "ETP"

    def n(x: Any, d: int = 0) -> str:
        return fmt.number(x, d, lang)

    def mean(k: str) -> Any:
        return summary[k]["mean"]

    horizon = int(summary["horizon_years"])
    lines = [
        f"{t['clause_hours']}{colon} {n(summary['clause_hours_total'])} h, "
        f"{n(summary['clause_fte_total'])} {fte}",
        f"{t['hours_realised']}{colon} {n(mean('hours_realised'))} h",
        f"{t['fte_realised']}{colon} {n(mean('fte_realised'), 1)} {fte} "
        f"({t['per_year'].format(v=n(mean('fte_realised') / horizon, 1), years=horizon)})",
        f"{t['lapsed']}{colon} {fmt.percent(mean('lapsed_share'), 1, lang)}",
        f"{t['positive']}{colon} {n(mean('positive_exits'))}",
    ]
    return lines


def summary_figure(
    summary: Mapping[str, Any],
    scenario: Scenario,
    runs: Runs,
    hours: HoursResult | None,
    lang: str = "fr",
) -> Figure:
    """The one-page summary as a matplotlib figure (A4 portrait)."""
    from .plots import COLORS, plain

    ft = i18n.section("figures")[i18n.norm(lang)]
    rt = i18n.section("report")[i18n.norm(lang)]
    fig = Figure(figsize=A4_INCHES)
    FigureCanvasPdf(fig)
    title = "\n".join(textwrap.wrap(plain(scenario.title(lang), 300), 62))
    fig.text(0.07, 0.965, title, fontsize=13, weight="bold", va="top")
    from .report import _now

    meta = rt["generated"].format(
        date=_now(),
        v=__version__,
        seed=summary["seed"],
        n=replications_text(int(summary["replications"]), lang),
    )
    fig.text(0.07, 0.905, " ".join(meta.split()), fontsize=8, color="#555555", va="top")
    y = 0.88
    fig.text(0.07, y, rt["key"], fontsize=11, weight="bold", va="top")
    for line in key_lines(summary, lang):
        y -= 0.022
        fig.text(0.09, y, plain(line, 120), fontsize=9.5, va="top")
    cols = yearly_columns(runs, hours)
    x = cols["year"]
    for k, (metric, ref, ylabel, head) in enumerate(
        (
            ("hours_realised", "clause_hours", ft["hours_y"], ft["pdf_hours_title"]),
            ("fte_realised", "clause_fte", "FTE" if lang == "en" else "ETP", ft["fte_title"]),
        )
    ):
        ref_label = ft["clause_hours"] if k == 0 else ft["clause_fte_var"]
        ax = fig.add_axes((0.1, 0.47 - k * 0.27, 0.85, 0.2))
        color = COLORS[metric]
        ax.fill_between(
            x,
            cols[f"{metric}_p05"],
            cols[f"{metric}_p95"],
            color=color,
            alpha=0.15,
            lw=0,
            label=ft["band_p"],
        )
        ax.plot(x, cols[f"{metric}_ci_low"], color=color, lw=0.7, label=ft["band_ci"])
        ax.plot(x, cols[f"{metric}_ci_high"], color=color, lw=0.7)
        ax.plot(
            x,
            cols[f"{metric}_mean"],
            color=color,
            marker="o",
            ms=3,
            lw=1.6,
            label=i18n.metric_label(metric, lang),
        )
        if np.isfinite(cols[ref]).any():
            ax.plot(x, cols[ref], "--", color="black", lw=1.1, label=ref_label)
        ax.set_title(head, fontsize=10, loc="left")
        ax.set_ylabel(ylabel, fontsize=8.5)
        ax.set_ylim(bottom=0)
        ax.tick_params(labelsize=8)
        ax.yaxis.set_major_formatter(lambda v, _p: fmt.number(v, 0, lang))
        ax.xaxis.set_major_formatter(lambda v, _p: f"{round(v)}")
        ax.grid(True, color="#dddddd", lw=0.5)
        ax.legend(fontsize=7, frameon=False, loc="lower center", ncol=2)
    sentence = summary_sentence(summary, lang)
    if sentence:
        fig.text(0.07, 0.14, rt["binding"], fontsize=11, weight="bold", va="top")
        wrapped = "\n".join(textwrap.wrap(plain(sentence, 600), 105))
        fig.text(0.07, 0.115, wrapped, fontsize=9, va="top")
    fig.text(
        0.07,
        0.03,
        plain(
            ft["source"].format(
                v=__version__,
                name=scenario.title(lang),
                seed=summary["seed"],
                n=replications_text(int(summary["replications"]), lang),
                band=ft["band"],
            ),
            160,
        ),
        fontsize=6.5,
        color="#555555",
    )
    return fig


def write(
    path: Path,
    summary: Mapping[str, Any],
    scenario: Scenario,
    runs: Runs,
    hours: HoursResult | None,
    lang: str = "fr",
) -> Path:
    """Write ``summary.pdf`` (one A4 page)."""
    fig = summary_figure(summary, scenario, runs, hours, lang)
    fig.savefig(path, format="pdf", metadata={"Creator": f"clause-sim {__version__}"})
    return path
