"""What a planner opens, prints and forwards, through the real command line: results.xlsx, CSV
for French Excel, summary.pdf, the constraint in view, honest bands, run-out years, one
language per run."""

from __future__ import annotations

import csv
import html as stdlib_html
import io
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import FICHE

from sim import output
from sim import scenario as sc
from sim.cli import main
from sim.hours import compute
from sim.presentation import i18n, plots
from sim.results import METRICS
from sim.runner import replicate

openpyxl = pytest.importorskip("openpyxl")
pypdf = pytest.importorskip("pypdf")

SMALL = [
    "--set",
    "scenario.horizon_years=3",
    "--set",
    "works[0].dwellings=900",
    "--set",
    "flow.referrals.per_year=60",
]
HOSTILE = '=HYPERLINK("http://x","y")'


def run(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def hostile_scenario(tmp_path_factory) -> Path:
    """The fiche renamed with a formula as its name."""
    path = tmp_path_factory.mktemp("sc") / "hostile.toml"
    text = FICHE.read_text(encoding="utf-8")
    start = text.index('\nname = "') + 1
    end = text.index("\n", start)
    path.write_text(text[:start] + f"name = {sc.toml_value(HOSTILE)}" + text[end:], "utf-8")
    return path


@pytest.fixture(scope="module")
def runs_by_lang(tmp_path_factory, hostile_scenario) -> dict[str, tuple[Path, str]]:
    """A small run in each language, ETTI posts short: (folder, stdout)."""
    import contextlib

    out: dict[str, tuple[Path, str]] = {}
    base = tmp_path_factory.mktemp("runs")
    for lang in ("fr", "en"):
        folder = base / lang
        stdout = io.StringIO()
        with contextlib.redirect_stdout(stdout):
            code = main(
                [
                    "run",
                    str(hostile_scenario),
                    *SMALL,
                    "--set",
                    "flow.siae.posts.etti=1",
                    "--set",
                    "flow.siae.fallback_to=[]",
                    "-n",
                    "3",
                    "-j",
                    "1",
                    "--bottleneck-replications",
                    "2",
                    "-q",
                    "--lang",
                    lang,
                    "-o",
                    str(folder),
                ]
            )
        assert code == 0
        out[lang] = (folder, stdout.getvalue())
    return out


# --------------------------------------------------------------------------------------------
# Spreadsheet and CSV


def test_results_xlsx_sheets_numbers_and_headers(runs_by_lang):
    folder, _ = runs_by_lang["fr"]
    wb = openpyxl.load_workbook(folder / "results.xlsx")
    assert wb.sheetnames == [
        "synthèse",
        "par année",
        "cohortes",
        "sorties par public",
        "contraintes",
        "paramètres",
    ]
    ws = wb["par année"]
    assert ws.freeze_panes == "B2"
    head = [c.value for c in ws[1]]
    assert head[0] == "Année" and "Heures réalisées (h)" in head
    col = head.index("Heures réalisées (h)") + 1
    values = [ws.cell(row=r, column=col).value for r in range(2, ws.max_row + 1)]
    assert all(isinstance(v, int | float) for v in values), values
    assert ws.cell(row=2, column=col).number_format == "#,##0"
    assert ws.column_dimensions["B"].width > 8
    # the yearly means equal summary.json's (numbers, not text)
    import json

    s = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert values == pytest.approx([y["hours_realised"]["mean"] for y in s["years"]])
    syn = wb["synthèse"]
    row = next(
        r for r in syn.iter_rows(min_row=2) if r[0].value == METRICS["lapsed_share"].label_fr
    )
    assert row[2].number_format == "0.0%" and isinstance(row[2].value, int | float)
    # run-out years marked
    flags = [ws.cell(row=r, column=2).value for r in range(2, ws.max_row + 1)]
    assert flags[:3] == ["non"] * 3 and set(flags[3:]) == {"oui"}
    # utilisation per resource type, never one average
    res = [r[0].value for r in wb["contraintes"].iter_rows(min_row=2)]
    assert "postes SIAE ETTI" in res and "portefeuille des facilitateurs" in res


def test_formula_names_stay_text(runs_by_lang):
    folder, _ = runs_by_lang["fr"]
    wb = openpyxl.load_workbook(folder / "results.xlsx")
    ws = wb["paramètres"]
    cell = next(r[2] for r in ws.iter_rows(min_row=2) if r[0].value == "scenario.name")
    assert cell.data_type == "s" and cell.value == HOSTILE
    assert not any(
        c.data_type == "f" for sheet in wb.worksheets for row in sheet.iter_rows() for c in row
    )
    with (folder / "parameters.csv").open(encoding="utf-8", newline="") as f:
        rows = {r["key"]: r for r in csv.DictReader(f)}
    value = rows["scenario.name"]["value"]
    assert value == "'" + HOSTILE


def test_csv_dialect_excel_fr(tmp_path, capsys):
    out = tmp_path / "r"
    code, _, err = run(
        [
            "run",
            str(FICHE),
            *SMALL,
            "-n",
            "2",
            "-j",
            "1",
            "--bottleneck-replications",
            "0",
            "-q",
            "--csv-dialect",
            "excel-fr",
            "-o",
            str(out),
        ],
        capsys,
    )
    assert code == 0, err
    raw = (out / "yearly.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the accents
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Année" and "Heures réalisées – moyenne" in rows[0]
    cells = [c for r in rows[1:] for c in r if c]
    assert any("," in c for c in cells)
    assert not any(re.fullmatch(r"-?\d+\.\d+", c) for c in cells)  # no decimal points
    # the default stays machine-readable
    again = tmp_path / "m"
    assert run(["run", str(FICHE), *SMALL, "-n", "2", "-q", "-o", str(again)], capsys)[0] == 0
    cols = output.read_csv(again / "yearly.csv")
    assert "hours_realised_mean" in cols


def test_run_without_openpyxl_says_xlsx_skipped(tmp_path, capsys, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "openpyxl", None)  # import fails
    out = tmp_path / "r"
    code, stdout, _ = run(
        [
            "run",
            str(FICHE),
            *SMALL,
            "-n",
            "2",
            "--bottleneck-replications",
            "0",
            "-q",
            "-o",
            str(out),
        ],
        capsys,
    )
    assert code == 0
    assert not (out / "results.xlsx").exists() and (out / "report.html").is_file()
    assert "results.xlsx non écrit" in stdout


def test_compare_writes_xlsx(tmp_path, capsys):
    out = tmp_path / "c"
    code, _, err = run(
        ["compare", str(FICHE), str(FICHE), *SMALL, "-n", "2", "-q", "-o", str(out)], capsys
    )
    assert code == 0, err
    wb = openpyxl.load_workbook(out / "results.xlsx")
    ws = wb["comparaison"]
    assert ws.cell(row=1, column=1).value == "Indicateur"
    assert isinstance(ws.cell(row=2, column=3).value, int | float)


# --------------------------------------------------------------------------------------------
# PDF


def _pdf_text(path: Path) -> tuple[int, list[Any], str]:
    reader = pypdf.PdfReader(str(path))
    text = " ".join(p.extract_text() for p in reader.pages)
    return (
        len(reader.pages),
        [p.mediabox for p in reader.pages],
        unicodedata.normalize("NFKC", text),
    )


def _is_a4(box: Any) -> bool:
    return abs(float(box.width) - 595.3) < 2 and abs(float(box.height) - 841.9) < 2


def test_summary_pdf_is_one_a4_page(runs_by_lang):
    for lang, words in (
        ("fr", ("Chiffres clés", "Heures réalisées", "Contrainte limitante")),
        ("en", ("Key figures", "Hours realised", "Binding constraint")),
    ):
        folder, _ = runs_by_lang[lang]
        pages, boxes, text = _pdf_text(folder / "summary.pdf")
        assert pages == 1 and _is_a4(boxes[0])
        for w in words:
            assert w in text, (lang, w)


class _Tables:
    """Cells of the tables of a report, print blocks if any (the layout printed)."""

    def __init__(self, page: str) -> None:
        from html.parser import HTMLParser

        self.tables: list[list[list[str]]] = []
        outer = self

        class P(HTMLParser):
            depth_screen = 0
            in_cell = False

            def handle_starttag(self, tag: str, attrs: Any) -> None:
                a = dict(attrs)
                if tag == "div" and a.get("class") == "screen-only":
                    self.depth_screen = 1
                elif tag == "div" and self.depth_screen:
                    self.depth_screen += 1
                if self.depth_screen:
                    return
                if tag == "table":
                    outer.tables.append([])
                elif tag == "tr":
                    outer.tables[-1].append([])
                elif tag in ("td", "th"):
                    outer.tables[-1][-1].append("")
                    self.in_cell = True

            def handle_endtag(self, tag: str) -> None:
                if tag == "div" and self.depth_screen:
                    self.depth_screen -= 1
                if tag in ("td", "th"):
                    self.in_cell = False

            def handle_data(self, data: str) -> None:
                if self.in_cell and not self.depth_screen and outer.tables:
                    outer.tables[-1][-1][-1] += data

        P().feed(page)


@pytest.mark.browser
def test_report_prints_on_a4_with_every_column(runs_by_lang, tmp_path):
    """Headless Chromium prints the report; the last column of every printed table is there."""
    import os
    import shutil
    import subprocess

    chromium = shutil.which("chromium") or shutil.which("/usr/bin/chromium")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but chromium is not installed (.ci/run installs it)")
        pytest.skip("chromium is not installed")
    folder, _ = runs_by_lang["fr"]
    pdf = tmp_path / "report.pdf"
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--print-to-pdf={pdf}",
            (folder / "report.html").as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    pages, boxes, text = _pdf_text(pdf)
    assert pages > 1 and all(_is_a4(b) for b in boxes)
    flat = re.sub(r"\s+", "", text)
    page = (folder / "report.html").read_text(encoding="utf-8")
    tables = _Tables(page).tables
    assert len(tables) >= 6
    widest = max(len(t[0]) for t in tables)
    assert widest <= 8  # wide tables print as blocks
    checked = 0
    for table in tables:
        for row in table[1:]:
            cell = re.sub(r"\s+", "", unicodedata.normalize("NFKC", stdlib_html.unescape(row[-1])))
            if cell and len(cell) < 40:
                assert cell in flat, cell
                checked += 1
    assert checked > 50


# --------------------------------------------------------------------------------------------
# The constraint in view, honest bands, run-out years, waits per replication


def test_binding_constraint_card_and_figures(runs_by_lang):
    folder, _ = runs_by_lang["fr"]
    page = (folder / "report.html").read_text(encoding="utf-8")
    cards = page[
        page.index('<div class="cards">') : page.index("</div></div>", page.index("cards"))
    ]
    assert 'class="card binding"' in cards and "Contrainte limitante" in cards
    assert "h réalisées" in cards  # its +1-unit gain
    assert (folder / "figures" / "7-lapsed-causes.svg").is_file()
    assert "(fin des travaux)" in page  # run-out years in the yearly table


@pytest.fixture(scope="module")
def small_runs():
    s = sc.load(FICHE, [SMALL[1], SMALL[3], SMALL[5]])
    return s, replicate(s, 6, 11, 1)


def test_yearly_band_is_the_spread_and_the_mean_interval_a_thin_line(small_runs):
    s, runs = small_runs
    fig, data = plots.hours_figure(runs, compute(s), "fr")
    realised = np.asarray(runs.yearly["hours_realised"])
    np.testing.assert_allclose(data["hours_realised_p05"], np.percentile(realised, 5, axis=0))
    np.testing.assert_allclose(data["hours_realised_p95"], np.percentile(realised, 95, axis=0))
    # the 5-95 % band is wider than the interval of the mean (here with 6 replications too)
    width = data["hours_realised_p95"] - data["hours_realised_p05"]
    ci = data["hours_realised_ci_high"] - data["hours_realised_ci_low"]
    assert np.all(width[:3] > 0) and np.all(ci[:3] > 0)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("5e–95e centile" in t for t in legend)
    assert any("IC 95 % de la moyenne" in t for t in legend)
    assert any("épuisement" in t for t in legend)  # run-out years shaded and named
    thin = [ln for ln in fig.axes[0].get_lines() if ln.get_linewidth() < 1]
    assert any(np.allclose(ln.get_ydata(), data["hours_realised_ci_low"]) for ln in thin)


def test_utilisation_per_type_never_averaged(small_runs):
    s, runs = small_runs
    fig, data = plots.utilisation_figure(runs, compute(s), "fr")
    assert "siae_occupancy_mean" not in data
    drawn = [k for k in data if k.startswith("siae_occupancy_") and k.endswith("_mean")]
    assert len(drawn) == sum(1 for v in s.flow.siae_posts.values() if v)
    assert len(fig.axes) == 6


def test_waits_are_counted_per_replication(small_runs):
    s, runs = small_runs
    fig, _ = plots.waits_figure(runs, compute(s), "fr")
    legend = " ".join(t.get_text() for t in fig.axes[0].get_legend().get_texts())
    n = np.asarray(runs.waits["intake"]).size
    per = i18n.tr("figures", "wait_stats", "fr").split("{n}")[1].split(",")[0]
    assert per.strip() == "attentes par réplication (moyenne)"
    from sim import fmt

    assert fmt.number(n / runs.n, 0, "fr") + per in legend


def test_no_facilitator_reads_sans_facilitateur(tmp_path, capsys):
    out = tmp_path / "r"
    code, stdout, _ = run(
        [
            "run",
            str(FICHE),
            *SMALL,
            "--set",
            "flow.facilitators.fte=0",
            "-n",
            "2",
            "-q",
            "--bottleneck-replications",
            "0",
            "-o",
            str(out),
        ],
        capsys,
    )
    assert code == 0
    assert "sans facilitateur" in stdout and "100\u202f% d'occupation" not in stdout
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "sans facilitateur" in page


# --------------------------------------------------------------------------------------------
# Sweep: results/ by default, -n, report


def test_sweep_defaults_report_and_n(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    sweep = tmp_path / "s.toml"
    sweep.write_text(
        f"[sweep]\nname = 'petit'\nscenario = {sc.toml_value(str(FICHE))}\n"
        "set = ['scenario.horizon_years=2', 'works[0].dwellings=300', "
        "'flow.referrals.per_year=20', 'flow.siae.fallback_to=[]']\ndesign = 'grid'\n"
        "replications = 50\noutputs = ['lapsed_share']\n"
        '[sweep.parameters]\n"flow.siae.posts.etti" = [0, 1, 2]\n',
        encoding="utf-8",
    )
    code, out, err = run(["sweep", str(sweep), "-n", "2", "-j", "1", "-q"], capsys)
    assert code == 0, err
    folder = tmp_path / "results" / "sweep-s"
    assert (folder / "report.html").is_file() and (folder / "results.xlsx").is_file()
    assert "3 points × 2 réplications" in out
    assert "flow.siae.posts.etti" not in out and "Postes SIAE\u202f: ETTI" in out
    assert out.splitlines()[0].startswith("Scénario lu :")
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "Postes SIAE\u202f: ETTI" in page


# --------------------------------------------------------------------------------------------
# One language


def _fragments(lang: str) -> set[str]:
    """Distinctive pieces of the table's labels in ``lang``: literal parts of at least two
    words and 10 characters, absent from the other language's texts."""
    other = "fr" if lang == "en" else "en"

    def texts(which: str) -> Iterator[str]:
        k = 1 if which == "en" else 0
        for sec in i18n.TEXT.values():
            yield from _strings(sec[which])
        for pair in (*i18n.PARAMETERS.values(), *i18n.ENTRIES.values()):
            yield pair[k]
        for m in METRICS.values():
            yield m.label_en if which == "en" else m.label_fr

    theirs = " | ".join(texts(other))
    out = set()
    for t in texts(lang):
        for piece in re.split(r"\{[^}]*\}", t):
            piece = piece.strip(" :;,.()–-")
            if len(piece) >= 10 and " " in piece and piece not in theirs:
                out.add(piece)
    return out


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for v in node.values():
            yield from _strings(v)


def _visible_text(page: str) -> str:
    """The report's text without what the scenario file itself says (its notes, description)."""
    page = re.sub(r'<section id="assumptions">.*?</section>', "", page, flags=re.S)
    page = re.sub(r"<header>.*?</header>", "", page, flags=re.S)
    page = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    page = re.sub(r"<svg.*?</svg>", "", page, flags=re.S)
    return stdlib_html.unescape(re.sub(r"<[^>]+>", " ", page))


def _figure_texts(fig: Any) -> str:
    out = [t.get_text() for t in fig.texts]
    sup = getattr(fig, "_suptitle", None)
    if sup is not None:
        out.append(sup.get_text())
    for ax in fig.axes:
        out += [ax.get_title(loc=w) for w in ("left", "center")]
        out += [ax.get_xlabel(), ax.get_ylabel()]
        out += [t.get_text() for t in ax.get_yticklabels()]
        leg = ax.get_legend()
        if leg is not None:
            out += [t.get_text() for t in leg.get_texts()]
    return "\n".join(out)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_one_language_per_run(runs_by_lang, small_runs, lang):
    folder, stdout = runs_by_lang[lang]
    foreign = _fragments("en" if lang == "fr" else "fr")
    assert len(foreign) > 50
    outputs = {"report": _visible_text((folder / "report.html").read_text(encoding="utf-8"))}
    wb = openpyxl.load_workbook(folder / "results.xlsx")
    cells = []
    for ws in wb.worksheets:
        cells.append(ws.title)
        for row in ws.iter_rows():
            # the parameters' values and notes are the scenario's own text
            cells += [str(c.value) for c in row[:2] if isinstance(c.value, str)]
    outputs["xlsx"] = "\n".join(cells)
    s, runs = small_runs
    outputs["figures"] = "\n".join(
        _figure_texts(fig) for fig, _ in plots.run_figures(runs, compute(s), lang).values()
    )
    outputs["pdf"] = _pdf_text(folder / "summary.pdf")[2]
    outputs["stdout"] = stdout
    from sim.analysis import sizing

    r = sizing.size(s, "siae.etti", "lapsed_share<=0.2", replications=2, jobs=1, max_level=3)
    outputs["size"] = sizing.sizing_text(r, lang) + _figure_texts(sizing.sizing_figure(r, lang))
    assert stdout.count("\n") > 8
    for where, text in outputs.items():
        found = sorted(f for f in foreign if f in text)
        assert not found, (lang, where, found[:5])


def test_description_in_the_run_language(runs_by_lang):
    """The reference scenario gives its description per language; each report shows its own."""
    fr, en = (
        stdlib_html.unescape(
            (runs_by_lang[lang][0] / "report.html").read_text(encoding="utf-8")
        ).split("</header>")[0]
        for lang in ("fr", "en")
    )
    assert "l'hypothèse de la fiche" in fr and "the fiche's hypothesis" not in fr
    assert "the fiche's hypothesis" in en and "l'hypothèse de la fiche" not in en
