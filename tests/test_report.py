"""sim.presentation.report: one self-contained HTML page, scenario text escaped, fr or en."""

from __future__ import annotations

import html as stdlib_html
import json
import re
import tomllib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import FICHE, HOSTILE_COMMENT, HOSTILE_NAME, make_runs

from sim import output
from sim import scenario as sc
from sim.hours import compute
from sim.presentation import plots, report


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data):
        self.text.append(data)


def _parse(html: str) -> _Collect:
    p = _Collect()
    p.feed(html)
    return p


@pytest.fixture(scope="module")
def folder(hostile_results) -> Path:
    return hostile_results[0]


@pytest.fixture(scope="module")
def evil_scenario(hostile_results) -> sc.Scenario:
    return hostile_results[1]


@pytest.fixture(scope="module")
def html(folder) -> str:
    return (folder / "report.html").read_text(encoding="utf-8")


def test_self_contained(html):
    p = _parse(html)
    assert "script" not in p.tags
    assert "link" not in p.tags and "img" not in p.tags and "iframe" not in p.tags
    assert not re.search(r"https?:", html)
    assert "url(" not in html.replace("url(#", "")  # only in-page references (clip paths)
    for name, value in p.attrs:
        if name in ("src", "href", "xlink:href"):
            assert value is not None and value.startswith("#"), (name, value)
    assert "<style>" in html


def test_every_figure_is_inline(html):
    assert html.count("<svg") == len(plots.RUN_FIGURES)
    assert html.count("<figure") == len(plots.RUN_FIGURES)
    for stem in plots.RUN_FIGURES:
        assert f'id="fig-{stem}"' in html
    # ids are prefixed per figure so that they cannot clash
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids))


def test_scenario_text_is_escaped(html):
    assert HOSTILE_NAME not in html and HOSTILE_COMMENT not in html
    assert "&lt;script&gt;document.title=" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    p = _parse(html)
    assert "b" not in p.tags and "img" not in p.tags
    assert any(HOSTILE_NAME in t for t in p.text)  # shown as text


def test_sections_in_french(html, folder):
    assert '<html lang="fr">' in html
    for title in (
        "Chiffres clés",
        "Graphiques",
        "Paramètres du scénario",
        "Hypothèses et sources",
        "Cohortes",
        "Méthode et reproduction",
        "Heures réalisées",
        "Sorties positives",
        "IC 95 %",
        "graine 7",
        "3 réplications",
        "clause-sim 0.1.0",
    ):
        assert title in html, title
    assert "1\u202f311\u202f000 h" in html  # French number formatting


def test_parameters_and_sources(html):
    assert "flow.referrals.per_year" in html
    assert 'class="origin-set">--set<' in html  # the override is marked
    assert "ANRU national insertion charter" in html  # a source comment
    assert 'class="tag">hypothèse<' in html  # assumptions are flagged
    assert "base ETP à 1 820h" in html  # the file's header is shown


def test_english(folder, evil_scenario):
    runs = make_runs(3, scenario=evil_scenario.name)
    summary = output.build_summary(runs, evil_scenario, compute(evil_scenario))
    svgs = {p.stem: p for p in sorted((folder / "figures").glob("*.svg"))}
    html = report.run_report(summary, evil_scenario, svgs, lang="en")
    assert '<html lang="en">' in html
    for title in (
        "Key figures",
        "Figures",
        "Scenario parameters",
        "Assumptions and sources",
        "95% CI",
        "seed 7",
        "1,311,000 h",
    ):
        assert title in html, title
    assert "Chiffres clés" not in html


def test_source_notes():
    text = """# Header line one
# header line two

[scenario]
name = "a # not a comment"   # the name
# block above
horizon_years = 10   # inline
                     # continued
start_year = 2018

[[works]]
dwellings = 5 # first
[[works]]
# about the second
dwellings = 6
[flow.referrals]
# places = 20  # commented out key

per_year = 180
"""
    head, notes = report.source_notes(text)
    assert head == "Header line one\nheader line two"
    assert notes["scenario.name"] == ('"a # not a comment"', "the name")
    assert notes["scenario.horizon_years"] == ("10", "block above — inline continued")
    assert "scenario.start_year" not in notes
    assert notes["works[0].dwellings"][1] == "first"
    assert notes["works[1].dwellings"][1] == "about the second"
    assert "flow.referrals.per_year" not in notes  # a blank line separates it from the block


def test_parameters_origin(tmp_path):
    s = sc.load(FICHE, ["clause.insertion_rate=0.07"])
    rows = {k: (v, o) for k, v, o in report.parameters(s)}
    assert rows["clause.insertion_rate"] == (0.07, "set")
    assert rows["clause.fte_hours"] == (1820, "file")
    assert rows["flow.siae.posts"][1] == "file"
    minimal = tmp_path / "m.toml"
    minimal.write_text(
        '[scenario]\nname = "m"\nstart_year = 2020\nhorizon_years = 2\n'
        "[[works]]\ndwellings = 10\ncost_per_dwelling_eur = 1000\n"
        "labour_share = 0.4\n",
        encoding="utf-8",
    )
    rows = {k: (v, o) for k, v, o in report.parameters(sc.load(minimal))}
    reference = tomllib.loads(FICHE.read_text(encoding="utf-8"))
    expected = reference["flow"]["facilitators"]["caseload_per_fte"]
    assert rows["flow.facilitators.caseload_per_fte"] == (expected, "default")
    assert rows["works[0].dwellings"] == (10, "file")


def test_num_has_no_negative_zero():
    assert report.num(-0.2, "people", "fr") == "0"
    assert report.num(-0.0004, "share", "fr") == "0,0\u202f%"
    assert report.num(1234.56, "FTE", "en") == "1,234.6"
    assert report.num(None, "h", "fr") == "–"


def test_inline_svg_prefixes_ids_and_drops_namespaces():
    svg = (
        '<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
        '<svg xmlns:xlink="http://www.w3.org/1999/xlink" width="720pt" height="403pt" '
        'viewBox="0 0 720 403" xmlns="http://www.w3.org/2000/svg" version="1.1">'
        '<metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>'
        '</metadata><defs><path id="m1" d="M0 0"/><clipPath id="p2"><rect/></clipPath>'
        '</defs><use xlink:href="#m1" fill="#m1ab"/><g clip-path="url(#p2)"/></svg>'
    )
    out = report.inline_svg(svg, "f1-", "A <title>")
    assert "http" not in out and "metadata" not in out and "width=" not in out
    assert 'id="f1-m1"' in out and 'xlink:href="#f1-m1"' in out and "url(#f1-p2)" in out
    assert 'fill="#m1ab"' in out  # not an id: left alone
    assert 'aria-label="A &lt;title&gt;"' in out


def test_bottleneck_section_in_report(html, folder):
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert '<section id="bottleneck">' in html
    assert html.count("<h2>Contraintes : ce qui limite") == 1  # one heading, the page's
    assert stdlib_html.escape(summary["bottleneck"]["sentence_fr"]) in html
