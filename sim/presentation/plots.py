"""Figures of a run (and of a comparison): matplotlib, Agg, no pyplot global state.

Each figure function takes a :class:`~sim.results.Runs` (and the hours engine's
:class:`~sim.hours.HoursResult` where it draws the clause's deterministic figure) and returns
``(figure, data)``: ``data`` maps the names of the CSV columns it draws (``yearly.csv``,
``monthly.csv``, ``waits.csv``, see :mod:`sim.output`) to the very arrays drawn, so a test can
check that figures and tables agree. Every figure is readable alone: title, axis labels with
units, legend, and a source line naming the scenario, seed and replications. Size is fixed:
:data:`FIGSIZE` inches at :data:`DPI` dots per inch (:data:`PNG_SIZE` pixels).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import FuncFormatter, MaxNLocator

from .. import __version__, fmt
from ..errors import escape
from ..hours import HoursResult
from ..results import COMPARE_METRICS, METRICS, Runs, describe
from ..scenario import SIAE_TYPES
from . import i18n
from .tables import monthly_columns, replications_text, wait_columns, yearly_columns

FIGSIZE = (10.0, 5.6)
"""Figure size (inches)."""
DPI = 100
"""Resolution of the PNG files (dots per inch)."""
PNG_SIZE = (int(FIGSIZE[0] * DPI), int(FIGSIZE[1] * DPI))
"""Width and height of every PNG (pixels)."""

COLORS = {
    "hours_offered": "#7f7f7f",
    "hours_realised": "#1b7837",
    "hours_lapsed": "#c51b7d",
    "fte_realised": "#1b7837",
    "referrals": "#4575b4",
    "intakes": "#74add1",
    "active_mean": "#f46d43",
    "exits": "#762a83",
    "positive_exits": "#1b7837",
    "positive_exits_rsa": "#e08214",
    "positive_exits_under_26": "#8073ac",
    "facilitator_utilisation": "#4575b4",
    "siae_occupancy": "#d73027",
    "intake": "#4575b4",
    "placement": "#e08214",
    "clause": "#000000",
}
CYCLE = ("#1b7837", "#4575b4", "#d73027", "#e08214", "#762a83", "#35978f", "#8c510a")

TEXT: Mapping[str, Mapping[str, str]] = i18n.section("figures")

Data = dict[str, np.ndarray]
FigureData = tuple[Figure, Data]


def _t(lang: str) -> Mapping[str, str]:
    return TEXT["en" if lang == "en" else "fr"]


def _label(metric: str, lang: str) -> str:
    m = METRICS[metric]
    return m.label_en if lang == "en" else m.label_fr


def plain(text: str, limit: int = 90) -> str:
    """Text safe for matplotlib (no mathtext, control characters escaped), shortened to
    ``limit`` characters."""
    text = escape(" ".join(str(text).split()))
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("$", r"\$")


def shown_name(name: str) -> str:
    """A scenario's name for a source line: the name shortened, its ``--set`` overrides kept."""
    base, sep, rest = str(name).partition(" (--set ")
    if not sep:
        return plain(base, 80)
    return f"{plain(base, 50)} (--set {plain(rest, 100)}"


def _figure() -> tuple[Figure, Axes]:
    # the layout leaves the bottom 5 % for the source line
    fig = Figure(
        figsize=FIGSIZE, dpi=DPI, layout=ConstrainedLayoutEngine(rect=(0.0, 0.05, 1.0, 0.95))
    )
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.grid(True, color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


def _source(fig: Figure, runs: Runs, lang: str) -> None:
    t = _t(lang)
    text = t["source"].format(
        v=__version__,
        name=shown_name(runs.scenario),
        seed=runs.seed,
        n=replications_text(runs.n, lang),
        band=t["band"],
    )
    footer(fig, text)


FOOTER_SIZE, FOOTER_MIN_SIZE = 7.5, 6.0
"""Font size of a figure's source line (points), and the smallest it is shrunk to before it is
wrapped onto more lines."""


def footer(fig: Any, text: str) -> None:
    """The source line at the bottom left of a figure (version, scenario, seed, replications),
    kept inside the figure: shrunk down to :data:`FOOTER_MIN_SIZE` points if it is too long,
    then wrapped at spaces, the layout leaving room for its lines."""
    margin = 0.01
    t = fig.text(margin, 0.012, text, fontsize=FOOTER_SIZE, color="#444444", va="bottom")
    if getattr(fig.canvas, "get_renderer", None) is None:
        FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()
    room = fig.bbox.width * (1 - 2 * margin)
    key = (text, room, fig.dpi, *_font_key(t.get_fontproperties()))
    fitted = _FOOTERS.get(key)
    if fitted is None:
        fitted = _fit_footer(t, text, room, renderer)
        if len(_FOOTERS) > 64:
            _FOOTERS.clear()
        _FOOTERS[key] = fitted
    size, shown = fitted
    t.set_fontsize(size)
    t.set_text(shown)
    top = t.get_window_extent(renderer).y1 / fig.bbox.height + margin / 2
    engine = fig.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):
        left, bottom, w, h = engine.get()["rect"]
        if top > bottom:
            engine.set(rect=(left, top, w, h - (top - bottom)))


_FOOTERS: dict[tuple[Any, ...], tuple[float, str]] = {}
"""Font size and line breaks of source lines already fitted (a run's figures share one)."""


def _font_key(fp: Any) -> tuple[Any, ...]:
    """What a text's measured width depends on besides its text and size: the font file and
    face, and the text settings."""
    from matplotlib import font_manager

    rc = mpl.rcParams
    return (
        font_manager.findfont(fp),
        fp.get_size_in_points(),
        fp.get_weight(),
        fp.get_style(),
        fp.get_stretch(),
        fp.get_variant(),
        rc["text.hinting"],
        rc["text.hinting_factor"],
        rc["text.kerning_factor"],
        rc["text.usetex"],
    )


def text_width(t: Any, renderer: Any) -> float:
    """A one-line text's width (pixels) as drawn in the PNG or in the SVG, whichever is wider:
    the PNG's glyphs are hinted to whole pixels, the SVG's are unhinted outlines (up to 7 %
    wider at the source line's size)."""
    from matplotlib.textpath import TextToPath

    points, _h, _d = TextToPath().get_text_width_height_descent(
        t.get_text(), t.get_fontproperties(), ismath=False
    )
    return max(float(t.get_window_extent(renderer).width), points * t.figure.dpi / 72.0)


def _fit_footer(t: Any, text: str, room: float, renderer: Any) -> tuple[float, str]:
    """The font size (points) and the text, wrapped at spaces, that fit ``room`` (pixels) in
    the PNG and the SVG: each line takes as many words as fit (at least one), by bisection."""

    def fits(s: str) -> bool:
        t.set_text(s)
        return text_width(t, renderer) <= room

    size = FOOTER_SIZE
    t.set_text(text)
    while True:  # shrink: to the width's ratio, by a quarter point at least (glyphs snap to
        # whole pixels, so a text's width moves in steps with its size)
        t.set_fontsize(size)
        width = text_width(t, renderer)
        if width <= room:
            return size, text
        if size <= FOOTER_MIN_SIZE:
            break
        size = max(FOOTER_MIN_SIZE, min(size - 0.25, size * room / width * 0.99))
    size = FOOTER_MIN_SIZE
    t.set_fontsize(size)
    words = text.split(" ")
    lines: list[str] = []
    i = 0
    while i < len(words):
        lo, hi = i + 1, len(words)  # the line ends before word ``lo`` at least
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if fits(" ".join(words[i:mid])):
                lo = mid
            else:
                hi = mid - 1
        lines.append(" ".join(words[i:lo]))
        i = lo
    return size, "\n".join(lines)


def _number_axis(ax: Axes, lang: str, decimals: int = 0) -> None:
    if decimals == 0:  # whole ticks only, so that labels never round (2.5 shown as "2")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt.number(v, decimals, lang)))


def _years_axis(ax: Axes, years: np.ndarray, lang: str) -> None:
    ax.set_xlabel(_t(lang)["year"])
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{round(v)}"))
    if years.size:
        ax.set_xlim(float(years[0]) - 0.5, float(years[-1]) + 0.5)


def _band_line(
    ax: Axes,
    x: np.ndarray,
    cols: Mapping[str, np.ndarray],
    metric: str,
    label: str,
    color: str,
    data: Data,
    style: str = "-",
) -> None:
    mean, lo, hi = (cols[f"{metric}_{s}"] for s in ("mean", "ci_low", "ci_high"))
    p05, p95 = cols[f"{metric}_p05"], cols[f"{metric}_p95"]
    # the band: what a year could be (5th-95th percentile across replications); thin lines:
    # the 95 % interval of the mean
    ax.fill_between(x, p05, p95, color=color, alpha=0.15, linewidth=0)
    ax.plot(x, lo, color=color, linewidth=0.7, alpha=0.9)
    ax.plot(x, hi, color=color, linewidth=0.7, alpha=0.9)
    ax.plot(x, mean, style, color=color, marker="o", markersize=3.5, linewidth=1.8, label=label)
    data.update(
        {
            f"{metric}_mean": mean,
            f"{metric}_ci_low": lo,
            f"{metric}_ci_high": hi,
            f"{metric}_p05": p05,
            f"{metric}_p95": p95,
        }
    )


def _band_legend(ax: Axes, lang: str) -> list[Any]:
    """Legend entries naming the band (5-95 % of replications) and the thin lines (interval of
    the mean)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    t = _t(lang)
    return [
        Patch(facecolor="#888888", alpha=0.3, label=t["band_p"]),
        Line2D([], [], color="#555555", linewidth=0.7, label=t["band_ci"]),
    ]


def _mark_run_out(ax: Axes, cols: Mapping[str, np.ndarray], lang: str) -> Any:
    """Shade the run-out years (after the horizon); return the legend entry or None."""
    if "run_out" not in cols or not np.any(cols["run_out"] > 0):
        return None
    years = cols["year"][cols["run_out"] > 0]
    ax.axvspan(float(years.min()) - 0.5, float(years.max()) + 0.5, color="#f2e6d0", zorder=0)
    from matplotlib.patches import Patch

    return Patch(facecolor="#f2e6d0", label=_t(lang)["run_out"])


def _finish(
    ax: Axes,
    title: str,
    ylabel: str,
    *,
    legend_loc: Any = "best",
    ncol: int = 1,
    extra: Sequence[Any] = (),
) -> None:
    ax.set_title(title, fontsize=12, loc="left")
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    handles, _labels = ax.get_legend_handles_labels()
    handles += [h for h in extra if h is not None]
    legend = ax.legend(handles=handles, loc=legend_loc, fontsize=8.5, frameon=False, ncol=ncol)
    if legend_loc in ("upper right", "upper left", "upper center"):
        _room_above(ax, legend)


def _room_above(ax: Axes, legend: Any) -> None:
    """Raise the top of the y axis so that everything drawn (lines, bands, bars) stays below a
    legend in the upper part of the axes."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    share = legend.get_window_extent(renderer).height / max(ax.bbox.height, 1.0)
    free = 1.0 - share - 0.06  # the axes' share below the legend, with a margin
    bottom, top = ax.get_ylim()
    high = float(ax.dataLim.y1) if np.isfinite(ax.dataLim.y1) else top
    if free > 0.3 and high > bottom:
        ax.set_ylim(bottom, max(top, bottom + (high - bottom) / free))


# --------------------------------------------------------------------------------------------
# The six figures of a run


def hours_figure(runs: Runs, hours: HoursResult | None, lang: str = "fr") -> FigureData:
    """(1) Insertion hours per year (h): offered, realised, lapsed with 95 % bands, and the
    hours engine's deterministic figure over the horizon as a reference line."""
    t = _t(lang)
    cols = yearly_columns(runs, hours)
    fig, ax = _figure()
    x = cols["year"]
    data: Data = {"year": x}
    for m in ("hours_offered", "hours_realised", "hours_lapsed"):
        _band_line(ax, x, cols, m, _label(m, lang), COLORS[m], data)
    ref = cols["clause_hours"]
    if np.isfinite(ref).any():
        ax.plot(
            x,
            ref,
            "--",
            color=COLORS["clause"],
            linewidth=1.4,
            label=t["clause_hours"],
            drawstyle="default",
        )
        data["clause_hours"] = ref
    _years_axis(ax, x, lang)
    _number_axis(ax, lang)
    _finish(
        ax,
        t["hours_title"],
        t["hours_y"],
        ncol=2,
        legend_loc="upper right",
        extra=[*_band_legend(ax, lang), _mark_run_out(ax, cols, lang)],
    )
    _source(fig, runs, lang)
    return fig, data


def fte_figure(runs: Runs, hours: HoursResult | None, lang: str = "fr") -> FigureData:
    """(2) FTE realised per year against the clause's deterministic FTE a year (hours per year /
    FTE base: 72 for the fiche)."""
    t = _t(lang)
    cols = yearly_columns(runs, hours)
    fig, ax = _figure()
    x = cols["year"]
    data: Data = {"year": x}
    _band_line(
        ax, x, cols, "fte_realised", _label("fte_realised", lang), COLORS["fte_realised"], data
    )
    ref = cols["clause_fte"]
    if np.isfinite(ref).any():
        finite = ref[np.isfinite(ref)]
        same = np.allclose(finite, finite[0], rtol=1e-9)
        label = (
            t["clause_fte"].format(v=fmt.number(float(finite[0]), 0, lang))
            if same
            else t["clause_fte_var"]
        )
        ax.plot(x, ref, "--", color=COLORS["clause"], linewidth=1.4, label=label)
        data["clause_fte"] = ref
    base = hours.fte_hours if hours is not None else float("nan")
    _years_axis(ax, x, lang)
    _number_axis(ax, lang)
    _finish(
        ax,
        t["fte_title"],
        t["fte_y"].format(base=fmt.number(base, 0, lang)),
        legend_loc="upper right",
        extra=[*_band_legend(ax, lang), _mark_run_out(ax, cols, lang)],
    )
    _source(fig, runs, lang)
    return fig, data


def people_figure(runs: Runs, hours: HoursResult | None = None, lang: str = "fr") -> FigureData:
    """(3) People per year: referrals, intakes, people accompanied (time average), exits."""
    t = _t(lang)
    cols = yearly_columns(runs, hours)
    fig, ax = _figure()
    x = cols["year"]
    data: Data = {"year": x}
    for m in ("referrals", "intakes", "active_mean", "exits"):
        _band_line(ax, x, cols, m, _label(m, lang), COLORS[m], data)
    _years_axis(ax, x, lang)
    _number_axis(ax, lang)
    _finish(
        ax,
        t["people_title"],
        t["people_y"],
        ncol=2,
        legend_loc="upper right",
        extra=[*_band_legend(ax, lang), _mark_run_out(ax, cols, lang)],
    )
    _source(fig, runs, lang)
    return fig, data


def positive_exits_figure(
    runs: Runs, hours: HoursResult | None = None, lang: str = "fr"
) -> FigureData:
    """(4) Positive exits per year by public (all, RSA, under 26): bars with 95 % intervals."""
    t = _t(lang)
    cols = yearly_columns(runs, hours)
    fig, ax = _figure()
    x = cols["year"]
    data: Data = {"year": x}
    series = (
        ("positive_exits", t["pos_all"]),
        ("positive_exits_rsa", t["pos_rsa"]),
        ("positive_exits_under_26", t["pos_u26"]),
    )
    width = 0.27
    for k, (m, label) in enumerate(series):
        mean, lo, hi = (cols[f"{m}_{s}"] for s in ("mean", "ci_low", "ci_high"))
        err = np.vstack([mean - lo, hi - mean])
        err = np.where(np.isfinite(err), err, 0.0)
        ax.bar(
            x + (k - 1) * width,
            mean,
            width,
            color=COLORS[m],
            label=label,
            yerr=err,
            error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "#333333"},
        )
        data.update({f"{m}_mean": mean, f"{m}_ci_low": lo, f"{m}_ci_high": hi})
    _years_axis(ax, x, lang)
    _number_axis(ax, lang)
    _finish(
        ax,
        t["pos_title"],
        t["people_y"],
        ncol=3,
        legend_loc="upper right",
        extra=[_mark_run_out(ax, cols, lang)],
    )
    _source(fig, runs, lang)
    return fig, data


def utilisation_figure(
    runs: Runs, hours: HoursResult | None = None, lang: str = "fr"
) -> FigureData:
    """(5) Utilisation per resource type and month (%), with 95 % bands, one panel per type:
    the facilitators' caseload and the posts of each SIAE type, never averaged across types.
    A type with no capacity (no post, no facilitator) says so instead of a line."""
    t = _t(lang)
    cols = monthly_columns(runs)
    fig = Figure(figsize=FIGSIZE, dpi=DPI, layout=ConstrainedLayoutEngine(rect=(0, 0.05, 1, 0.95)))
    FigureCanvasAgg(fig)
    x = cols["year_fraction"]
    data: Data = {"year_fraction": x}
    series = ["facilitator_utilisation", *[f"siae_occupancy_{ty}" for ty in SIAE_TYPES]]
    axes = fig.subplots(2, 3, sharex=True, sharey=True).ravel()
    years = np.asarray(runs.years, dtype=float)
    for k, (ax, m) in enumerate(zip(axes, series, strict=False)):
        label = t["util_fac"] if m == "facilitator_utilisation" else resource_short(m, lang)
        ax.grid(True, color="#dddddd", linewidth=0.5)
        ax.axhline(100, color="#999999", linewidth=0.8, linestyle=":")
        if f"{m}_mean" not in cols or not np.isfinite(cols[f"{m}_mean"]).any():
            none = t["no_facilitator"] if m == "facilitator_utilisation" else t["no_post"]
            ax.set_title(f"{label} : {none}" if lang != "en" else f"{label}: {none}", fontsize=9)
            continue
        mean, lo, hi = (cols[f"{m}_{s}"] for s in ("mean", "ci_low", "ci_high"))
        color = CYCLE[k % len(CYCLE)]
        ax.fill_between(x, 100 * lo, 100 * hi, color=color, alpha=0.2, linewidth=0)
        ax.plot(x, 100 * mean, color=color, linewidth=1.3)
        avg = float(np.nanmean(mean))
        ax.set_title(f"{label} ({fmt.percent(avg, 0, lang)})", fontsize=9, loc="left")
        data.update({f"{m}_mean": mean, f"{m}_ci_low": lo, f"{m}_ci_high": hi})
        if years.size:
            ax.set_xlim(float(years[0]), float(years[-1]) + 1)
    for ax in axes:
        ax.set_ylim(0, 110)
        ax.tick_params(labelsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{round(v)}"))
    for ax in axes[::3]:
        ax.set_ylabel(t["util_y"], fontsize=8.5)
    for ax in axes[3:]:
        ax.set_xlabel(t["year"], fontsize=8.5)
    fig.suptitle(t["util_types_title"], fontsize=12, x=0.01, ha="left")
    _source(fig, runs, lang)
    return fig, data


def resource_short(metric: str, lang: str) -> str:
    """``siae_occupancy_etti`` -> "postes ETTI" / "ETTI posts"."""
    ty = metric.rsplit("_", 1)[-1].upper()
    return f"postes {ty}" if lang != "en" else f"{ty} posts"


def lapsed_figure(runs: Runs, hours: HoursResult | None = None, lang: str = "fr") -> FigureData:
    """(7) Hours lapsed by cause and year (h, mean per replication), stacked, the causes with
    the most lapsed hours at the bottom: what limits the programme, and when."""
    from matplotlib import colormaps

    from ..results import LAPSE_CAUSES

    t = _t(lang)
    cols = yearly_columns(runs, hours)
    fig, ax = _figure()
    x = cols["year"]
    data: Data = {"year": x}
    keys = [f"lapsed_{c}" for c in LAPSE_CAUSES if f"lapsed_{c}_mean" in cols]
    keys.sort(key=lambda k: -float(np.nansum(cols[f"{k}_mean"])))
    palette = colormaps["tab10"]
    bottom = np.zeros(x.size)
    for n, key in enumerate(keys):
        mean = np.nan_to_num(np.asarray(cols[f"{key}_mean"], dtype=float))
        data[f"{key}_mean"] = cols[f"{key}_mean"]
        if not mean.any():
            continue
        ax.bar(
            x,
            mean,
            0.7,
            bottom=bottom,
            color=palette(n % 10),
            label=plain(_label(key, lang), 60),
        )
        bottom = bottom + mean
    _years_axis(ax, x, lang)
    _number_axis(ax, lang)
    _finish(
        ax,
        t["lapsed_title"],
        t["lapsed_y"],
        ncol=2,
        legend_loc="upper left",
        extra=[_mark_run_out(ax, cols, lang)],
    )
    _source(fig, runs, lang)
    return fig, data


def waits_figure(runs: Runs, hours: HoursResult | None = None, lang: str = "fr") -> FigureData:
    """(6) Distribution of the waits for intake and for a mission (days), pooled over
    replications: share of waits per bin (%), the last bin holding every longer wait."""
    t = _t(lang)
    cols = wait_columns(runs)
    fig, ax = _figure()
    lo, hi = cols["bin_low_days"], cols["bin_high_days"]
    data: Data = {"bin_low_days": lo, "bin_high_days": hi}
    edges = np.concatenate([lo, hi[-1:]])
    for kind in ("intake", "placement"):
        share = cols[f"{kind}_share"]
        w = np.asarray(runs.waits.get(kind, np.empty(0)), dtype=float)
        w = w[np.isfinite(w)]
        if w.size:
            stats = t["wait_stats"].format(
                n=fmt.number(w.size / max(runs.n, 1), 0, lang),
                mean=fmt.number(float(w.mean()), 0, lang),
                p90=fmt.number(float(np.percentile(w, 90)), 0, lang),
            )
        else:
            stats = t["no_waits"]
        ax.stairs(
            100 * share,
            edges,
            color=COLORS[kind],
            linewidth=1.8,
            label=f"{t['wait_' + kind]} : {stats}"
            if lang != "en"
            else f"{t['wait_' + kind]}: {stats}",
        )
        ax.stairs(100 * share, edges, color=COLORS[kind], alpha=0.12, fill=True)
        if w.size:
            ax.axvline(float(w.mean()), color=COLORS[kind], linestyle="--", linewidth=1.0)
        data[f"{kind}_share"] = share
    ax.set_xlabel(t["waits_x"] + f" ({t['last_bin'].format(low=fmt.number(lo[-1], 0, lang))})")
    ax.set_xlim(0, float(hi[-1]))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt.number(v, 0, lang)))
    _finish(ax, t["waits_title"], t["waits_y"], legend_loc="upper right")
    _source(fig, runs, lang)
    return fig, data


RUN_FIGURES: Mapping[str, Callable[[Runs, HoursResult | None, str], FigureData]] = {
    "1-hours": hours_figure,
    "2-fte": fte_figure,
    "3-people": people_figure,
    "4-positive-exits": positive_exits_figure,
    "5-utilisation": utilisation_figure,
    "6-waits": waits_figure,
    "7-lapsed-causes": lapsed_figure,
}
"""File stem -> figure function, in report order."""

RUN_FIGURE_CSV: Mapping[str, str] = {
    "1-hours": "yearly.csv",
    "2-fte": "yearly.csv",
    "3-people": "yearly.csv",
    "4-positive-exits": "yearly.csv",
    "5-utilisation": "monthly.csv",
    "6-waits": "waits.csv",
    "7-lapsed-causes": "yearly.csv",
}
"""File stem -> the CSV file holding the data it draws."""


def run_figures(runs: Runs, hours: HoursResult | None, lang: str = "fr") -> dict[str, FigureData]:
    """All six figures of a run, by file stem."""
    return {name: f(runs, hours, lang) for name, f in RUN_FIGURES.items()}


def figure_title(fig: Figure) -> str:
    """The title of a figure made here (its suptitle, else its first axes' left title)."""
    sup = getattr(fig, "_suptitle", None)
    if sup is not None and sup.get_text():
        return str(sup.get_text())
    return fig.axes[0].get_title(loc="left") if fig.axes else ""


# --------------------------------------------------------------------------------------------
# Comparison overlays


def overlay_figure(
    runs_list: Sequence[Runs],
    labels: Sequence[str],
    metric: str,
    lang: str = "fr",
    hours_list: Sequence[HoursResult | None] | None = None,
) -> FigureData:
    """One yearly metric, one line (with its 95 % band) per scenario; for hours and FTE the
    clause's deterministic figure of each scenario as a dashed line of the same colour."""
    t = _t(lang)
    fig, ax = _figure()
    data: Data = {}
    all_years: list[np.ndarray] = []
    for k, (runs, label) in enumerate(zip(runs_list, labels, strict=True)):
        color = CYCLE[k % len(CYCLE)]
        st = describe(runs.yearly[metric], axis=0)
        x = np.asarray(runs.years, dtype=float)
        all_years.append(x)
        mean, lo, hi, p05, p95 = (
            np.asarray(v, dtype=float) for v in (st.mean, st.ci_low, st.ci_high, st.p05, st.p95)
        )
        ax.fill_between(x, p05, p95, color=color, alpha=0.13, linewidth=0)
        ax.plot(x, lo, color=color, linewidth=0.7)
        ax.plot(x, hi, color=color, linewidth=0.7)
        ax.plot(
            x, mean, color=color, marker="o", markersize=3.5, linewidth=1.8, label=plain(label, 60)
        )
        data.update(
            {
                f"{label}:year": x,
                f"{label}:{metric}_mean": mean,
                f"{label}:{metric}_ci_low": lo,
                f"{label}:{metric}_ci_high": hi,
                f"{label}:{metric}_p05": p05,
                f"{label}:{metric}_p95": p95,
            }
        )
        hours = hours_list[k] if hours_list is not None else None
        if hours is not None and metric in ("hours_realised", "fte_realised"):
            cols = yearly_columns(runs, hours)
            ref = cols["clause_hours" if metric == "hours_realised" else "clause_fte"]
            ax.plot(
                x,
                ref,
                "--",
                color=color,
                linewidth=1.1,
                alpha=0.8,
                label=f"{plain(label, 40)} : clause"
                if lang != "en"
                else f"{plain(label, 40)}: clause",
            )
            data[f"{label}:clause"] = ref
    years = np.concatenate(all_years) if all_years else np.empty(0)
    _years_axis(ax, np.array([years.min(), years.max()]) if years.size else years, lang)
    unit = METRICS[metric].unit
    ylabel = {
        "h": t["hours_y"],
        "FTE": "ETP" if lang != "en" else "FTE",
        "people": t["people_y"],
    }.get(unit, unit)
    _number_axis(ax, lang)
    _finish(
        ax,
        t["cmp_title"].format(what=_label(metric, lang)),
        ylabel,
        legend_loc="best",
        extra=_band_legend(ax, lang),
    )
    ax.set_ylim(top=ax.get_ylim()[1] * 1.15)  # room for the legend, placed where it fits best
    first = runs_list[0]
    footer(
        fig,
        t["source_cmp"].format(
            v=__version__,
            k=len(runs_list),
            seed=first.seed,
            n=replications_text(first.n, lang),
            band=t["band"],
        ),
    )
    return fig, data


def compare_figures(
    runs_list: Sequence[Runs],
    labels: Sequence[str],
    lang: str = "fr",
    hours_list: Sequence[HoursResult | None] | None = None,
) -> dict[str, FigureData]:
    """Overlay figures of a comparison, by file stem."""
    return {
        f"{k + 1}-{m.replace('_', '-')}": overlay_figure(runs_list, labels, m, lang, hours_list)
        for k, m in enumerate(COMPARE_METRICS)
    }


# --------------------------------------------------------------------------------------------
# Saving


SVG_RC: Mapping[str, Any] = {"svg.fonttype": "path", "svg.hashsalt": "clause-sim"}
"""SVG settings: glyphs as paths (no font needed to read it), stable ids."""


def save(fig: Figure, base: Path) -> tuple[Path, Path]:
    """Write ``base.png`` (:data:`PNG_SIZE` pixels) and ``base.svg``; return both paths."""
    png, svg = base.with_suffix(".png"), base.with_suffix(".svg")
    FigureCanvasAgg(fig)
    fig.savefig(png, dpi=DPI, format="png", metadata={"Software": f"clause-sim {__version__}"})
    fig.set_layout_engine("none")  # laid out for the PNG: the SVG keeps that layout
    rc: Any = dict(SVG_RC)
    with mpl.rc_context(rc):
        fig.savefig(
            svg, format="svg", metadata={"Date": None, "Creator": f"clause-sim {__version__}"}
        )
    return png, svg


def new_figure(figsize: tuple[float, float] | None = None) -> Any:
    """A matplotlib Figure on an Agg canvas (no pyplot state), room for a source line."""
    fig = Figure(figsize=figsize or FIGSIZE, dpi=DPI, layout="constrained")
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.set(rect=(0.0, 0.05, 1.0, 0.95))  # type: ignore[call-arg]
    FigureCanvasAgg(fig)
    return fig


def tick_formatter(axis: Any, percent: bool, lang: str) -> Callable[[float, Any], str]:
    """Tick labels with just enough decimals for the tick spacing (French or English)."""

    def label(v: float, _pos: Any) -> str:
        locs = np.asarray(axis.get_majorticklocs(), dtype=float)
        steps = np.diff(np.sort(locs))
        step = float(steps[steps > 0].min()) if (steps > 0).any() else 1.0
        if percent:
            step *= 100
        decimals = max(0, math.ceil(-math.log10(step) - 1e-9)) if step > 0 else 0
        decimals = min(decimals, 6)
        return fmt.percent(v, decimals, lang) if percent else fmt.number(v, decimals, lang)

    return label
