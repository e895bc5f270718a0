"""sim.presentation.plots: every figure readable alone, of a known size, drawn from CSV arrays."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from conftest import FICHE, make_runs
from matplotlib.textpath import TextToPath
from PIL import Image

from sim import output
from sim import scenario as sc
from sim.hours import compute
from sim.presentation import plots

UNITS = ("(h)", "ETP", "FTE", "Personnes", "People", "(%)", "(jours)", "(days)")


@pytest.fixture(scope="module")
def fiche() -> sc.Scenario:
    return sc.load(FICHE)


@pytest.fixture(scope="module")
def runs(fiche):
    return make_runs(4, scenario=fiche.name, seed=11)


@pytest.fixture(scope="module")
def figures(runs, fiche):
    return plots.run_figures(runs, compute(fiche), "fr")


@pytest.fixture(scope="module")
def saved(tmp_path_factory, figures) -> dict[str, tuple[Path, Path]]:
    d = tmp_path_factory.mktemp("figs")
    return {name: plots.save(fig, d / name) for name, (fig, _data) in figures.items()}


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.texts]


def test_figures_in_order(figures):
    assert list(figures) == [
        "1-hours",
        "2-fte",
        "3-people",
        "4-positive-exits",
        "5-utilisation",
        "6-waits",
        "7-lapsed-causes",
    ]
    assert set(plots.RUN_FIGURE_CSV) == set(figures)


@pytest.mark.parametrize("name", list(plots.RUN_FIGURES))
def test_figure_is_readable_alone(figures, runs, name):
    fig, _data = figures[name]
    ax = fig.axes[0]
    assert plots.figure_title(fig)
    if name == "5-utilisation":  # one panel per resource type, each titled
        assert all(a.get_title(loc="left") or a.get_title() for a in fig.axes)
        assert fig.axes[-1].get_xlabel() and ax.get_ylabel()
        assert any(u in ax.get_ylabel() for u in UNITS)
    else:
        assert ax.get_xlabel() and ax.get_ylabel()
        label = ax.get_xlabel() + " " + ax.get_ylabel()
        assert any(u in label for u in UNITS), label
        legend = ax.get_legend()
        assert legend is not None and len(legend.get_texts()) >= 2
    source = " ".join(_texts(fig))
    assert runs.scenario[:40] in source and str(runs.seed) in source
    assert "4 réplications" in source


def test_reference_lines(figures):
    _fig, data = figures["1-hours"]
    np.testing.assert_array_equal(data["clause_hours"][:10], np.full(10, 131_100.0))
    assert np.isnan(data["clause_hours"][10])  # run-out year: no clause figure
    fig, data = figures["2-fte"]
    assert data["clause_fte"][:10] == pytest.approx(np.full(10, 1_311_000 / 1820 / 10))
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("72 ETP/an" in t for t in legend), legend


@pytest.mark.parametrize("name", list(plots.RUN_FIGURES))
def test_png_and_svg_files(saved, name):
    png, svg = saved[name]
    with Image.open(png) as im:
        im.verify()
    with Image.open(png) as im:
        assert im.format == "PNG"
        assert im.size == plots.PNG_SIZE == (1000, 560)
        pixels = np.asarray(im.convert("RGB")).astype(np.uint32)
        packed = (pixels[..., 0] << 16) | (pixels[..., 1] << 8) | pixels[..., 2]
        assert len(np.unique(packed)) > 5  # not blank
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    assert root.get("viewBox")


def test_figure_data_come_from_the_csv(tmp_path, runs, fiche, figures):
    """Every array a figure draws equals the column of the same name in its CSV file."""
    output.write_tables(tmp_path, runs, fiche, compute(fiche))
    for name, (_fig, data) in figures.items():
        table = output.read_csv(tmp_path / plots.RUN_FIGURE_CSV[name])
        assert len(data) >= 3, name
        for key, arr in data.items():
            assert key in table, (name, key)
            np.testing.assert_array_equal(
                np.asarray(arr, dtype=float), table[key], err_msg=f"{name}: {key}"
            )


def test_plotted_lines_are_the_data(figures):
    fig, data = figures["1-hours"]
    lines = {ln.get_label(): ln for ln in fig.axes[0].get_lines()}
    realised = lines["Heures réalisées"]
    np.testing.assert_array_equal(realised.get_ydata(), data["hours_realised_mean"])
    np.testing.assert_array_equal(realised.get_xdata(), data["year"])


def test_english_labels(runs, fiche):
    fig, _ = plots.hours_figure(runs, compute(fiche), "en")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Year"
    assert ax.get_ylabel() == "Insertion hours (h)"
    assert "seed" in " ".join(_texts(fig))
    fig, _ = plots.fte_figure(runs, compute(fiche), "en")
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("72 FTE a year" in t for t in legend)


def test_awkward_scenario_names_are_plain_text(tmp_path, fiche):
    name = "<script>alert('$x$')</script> " + "long " * 40
    runs = make_runs(2, scenario=name, years=range(2018, 2021))
    fig, _ = plots.hours_figure(runs, None, "fr")
    _png, svg = plots.save(fig, tmp_path / "x")
    source = " ".join(_texts(fig))
    assert r"\$x\$" in source and "…" in source
    text = svg.read_text(encoding="utf-8")
    assert "<script>" not in text
    ET.parse(svg)  # still well-formed XML


def test_single_replication_has_no_band(fiche):
    runs = make_runs(1, scenario=fiche.name, years=range(2018, 2021))
    for _name, (fig, data) in plots.run_figures(runs, compute(fiche), "fr").items():
        assert fig.axes
        for key, arr in data.items():
            if key.endswith("_ci_low"):
                assert np.isnan(arr).all()


def test_overlay_figures(fiche):
    a = make_runs(3, scenario="A", seed=1)
    b = make_runs(3, scenario="B", seed=2, scale=1.5)
    hours = compute(fiche)
    figs = plots.compare_figures([a, b], ["a", "b"], "fr", [hours, hours])
    assert list(figs) == ["1-hours-realised", "2-fte-realised", "3-positive-exits"]
    fig, data = figs["1-hours-realised"]
    np.testing.assert_array_equal(
        data["b:hours_realised_mean"], np.mean(b.yearly["hours_realised"], axis=0)
    )
    assert "a:clause" in data
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "a" in legend and "b" in legend
    assert "graine 1" in " ".join(_texts(fig))


LONG_NAME = (
    "ERBM, fiche action 1 (2023): 23 000 logements à 80 000 EUR HT (--set "
    "works[0].dwellings=30000, flow.facilitators.fte=4, flow.siae.posts.etti=25)"
)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_source_line_fits_inside_the_figure(fiche, lang):
    # a long name with its --set overrides: the French line is about 1,250 px at 7.5 pt on a
    # 1,000 px wide figure
    runs = make_runs(4, scenario=LONG_NAME, seed=20230612)
    figs = plots.run_figures(runs, compute(fiche), lang)
    for name, (fig, _data) in figs.items():
        fig.canvas.draw()
        r = fig.canvas.get_renderer()
        (source,) = [t for t in fig.texts if t.get_text().startswith("Source")]
        box, page = source.get_window_extent(r), fig.bbox
        assert page.x0 <= box.x0 and box.x1 <= page.x1, (name, box, page)
        assert page.y0 <= box.y0 and box.y1 <= page.y1, (name, box, page)
        # and below every panel (axis labels included)
        assert all(box.y1 <= ax.get_tightbbox(r).y0 + 0.5 for ax in fig.axes), name
        assert "graine 20230612" in source.get_text() or "seed 20230612" in source.get_text()
        # the SVG draws unhinted glyph outlines, wider than the PNG's: those fit too
        for line in source.get_text().split("\n"):
            points = TextToPath().get_text_width_height_descent(
                line, source.get_fontproperties(), ismath=False
            )[0]
            assert box.x0 + points * fig.dpi / 72 <= page.x1, (name, line)


def test_a_short_source_line_keeps_its_size():
    fig = plots.new_figure()
    plots.footer(fig, "Source : clause-sim, scénario « court », graine 1.")
    (t,) = fig.texts
    assert t.get_fontsize() == plots.FOOTER_SIZE and "\n" not in t.get_text()
    fig = plots.new_figure((6.0, 4.0))  # narrower: shrunk, then wrapped
    plots.footer(fig, " ".join(["réplications"] * 30))
    (t,) = fig.texts
    fig.canvas.draw()
    assert t.get_window_extent(fig.canvas.get_renderer()).x1 <= fig.bbox.x1
    assert t.get_fontsize() == plots.FOOTER_MIN_SIZE and "\n" in t.get_text()


def _widths(fig, size):
    probe = fig.text(0, 0, "", fontsize=size)
    r = fig.canvas.get_renderer()

    def width(s: str) -> float:  # as drawn in the PNG or the SVG, whichever is wider
        probe.set_text(s)
        return plots.text_width(probe, r)

    return width


@pytest.mark.parametrize(
    "text",
    [
        " ".join(w * k for k, w in enumerate("abcdefghijklmnopqrstuvwx", start=1)),
        " ".join(["réplications"] * 25 + ["a", "bb"] * 20),
        "graine  1, " + " ".join(f"x{k * 7919 % 1000}" for k in range(120)),  # two spaces
        "W" * 40 + " " + "court " * 30 + "W" * 200 + " fin",  # a word wider than the line
    ],
)
def test_a_wrapped_source_line_fills_each_line_and_is_reused(text):
    # each line holds as many words as fit (a word wider than a line stands alone): with the
    # next word it would not fit; the words and spaces are kept; a second figure of the same
    # size gets the same lines and size (fitted once)
    fig = plots.new_figure((6.0, 4.0))
    plots.footer(fig, text)
    (t,) = fig.texts
    room = fig.bbox.width * 0.98
    width = _widths(fig, t.get_fontsize())
    lines = t.get_text().split("\n")
    assert " ".join(lines) == text and len(lines) > 2
    for line, after in itertools.pairwise(lines):
        assert width(line) <= room or " " not in line
        assert width(f"{line} {after.split(' ')[0]}") > room
    assert width(lines[-1]) <= room or " " not in lines[-1]
    again = plots.new_figure((6.0, 4.0))
    plots.footer(again, text)
    assert again.texts[0].get_text() == t.get_text()
    assert again.texts[0].get_fontsize() == t.get_fontsize()


def test_a_source_line_is_fitted_once_per_font(monkeypatch):
    import matplotlib as mpl

    calls = []
    fit = plots._fit_footer
    monkeypatch.setattr(plots, "_fit_footer", lambda *a: calls.append(1) or fit(*a))
    monkeypatch.setattr(plots, "_FOOTERS", {})  # whatever ran before in this process
    text = " ".join(["réplications"] * 40) + " cache-test"
    for _ in range(3):  # three figures of a run: one fit
        plots.footer(plots.new_figure(), text)
    assert len(calls) == 1
    with mpl.rc_context({"font.family": "DejaVu Sans Mono"}):  # wider glyphs: fitted anew
        fig = plots.new_figure()
        plots.footer(fig, text)
        assert len(calls) == 2
        fig.canvas.draw()
        box = fig.texts[0].get_window_extent(fig.canvas.get_renderer())
        assert box.x1 <= fig.bbox.x1


def test_a_source_line_a_little_too_long_is_shrunk_not_wrapped():
    fig = plots.new_figure()
    room = fig.bbox.width * 0.98
    width = _widths(plots.new_figure(), plots.FOOTER_SIZE)
    text = "Source :" + " réplications" * 12
    while width(text) <= room:  # just too long at the normal size
        text += " a"
    assert width(text) < room * 1.08
    plots.footer(fig, text)
    (t,) = fig.texts
    assert plots.FOOTER_MIN_SIZE < t.get_fontsize() < plots.FOOTER_SIZE
    assert t.get_text() == text
    assert _widths(plots.new_figure(), t.get_fontsize())(text) <= room
    # shrunk by quarter points: a quarter point larger would not fit
    assert _widths(plots.new_figure(), t.get_fontsize() + 0.25)(text) > room


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_legends_at_the_top_leave_the_data_uncovered(runs, fiche, lang):
    # once drawn (laid out as saved), everything plotted lies below a legend placed at the top
    checked = 0
    for name, (fig, _data) in plots.run_figures(runs, compute(fiche), lang).items():
        fig.canvas.draw()
        r = fig.canvas.get_renderer()
        for ax in fig.axes:
            legend = ax.get_legend()
            if legend is None or legend._loc not in (1, 2, 9):  # upper right, left, center
                continue
            top = ax.transData.transform((0.0, ax.dataLim.y1))[1]  # pixels
            assert top <= legend.get_window_extent(r).y0, (name, top)
            checked += 1
    assert checked >= 5
