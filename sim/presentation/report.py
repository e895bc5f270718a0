"""The shareable report: one self-contained HTML file (inline CSS and SVG, no script, no network).

French by default (the users are French planners), English with ``lang="en"``. Every piece of
text that comes from a scenario (names, keys, values, comments) is HTML-escaped. Sections: key
figures, figures, per-year table, cohorts, exits, all indicators, the scenario's parameters, the
assumptions and their sources (the comments of the scenario file), and how it was run.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import __version__, fmt
from ..provenance import MISSING, lookup, source_notes  # noqa: F401  (source_notes re-exported)
from ..results import METRICS, PUBLIC_TABLE_METRICS, TOTAL_METRICS, YEAR_TABLE_METRICS
from ..scenario import SCHEMA, Key, Scenario, Table, TableArray, toml_value
from . import i18n
from .bottleneck import constraint_label, lever_text, summary_sentence
from .tables import busiest_resource, replications_text, resource_label

esc = html.escape

T: Mapping[str, Mapping[str, Any]] = i18n.section("report")

CSS = """
:root { --ink: #1d2327; --muted: #5b6670; --line: #d8dee4; --accent: #1b7837; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: var(--ink); margin: 0 auto; max-width: 1100px; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; }
h2 { font-size: 1.25rem; border-bottom: 2px solid var(--accent); padding-bottom: .2rem;
     margin-top: 2.2rem; }
.meta, .note, figcaption, footer { color: var(--muted); font-size: .9rem; }
nav ol { columns: 2; font-size: .95rem; }
a { color: #0b5394; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr));
         gap: .8rem; }
.card { border: 1px solid var(--line); border-left: 4px solid var(--accent); border-radius: 4px;
        padding: .6rem .8rem; background: var(--bg); }
.card .k { font-size: .85rem; color: var(--muted); }
.card .v { font-size: 1.45rem; font-weight: 600; }
.card .d { font-size: .85rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0; font-size: .88rem; }
th, td { border-bottom: 1px solid var(--line); padding: .25rem .45rem; text-align: left;
         vertical-align: top; }
th { background: var(--bg); }
td.n, th.n { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
code, .mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .85rem;
              overflow-wrap: anywhere; }
figure { margin: 1.2rem 0; }
figure svg { width: 100%; height: auto; display: block; border: 1px solid var(--line); }
.tag { display: inline-block; font-size: .75rem; padding: 0 .35rem; border-radius: 3px;
       background: #fde0c5; color: #7a3e00; margin-left: .3rem; }
.origin-set { font-weight: 600; color: #a50026; }
.clear { font-weight: 700; }
pre { background: var(--bg); padding: .6rem; overflow-x: auto; white-space: pre-wrap; }
.card.binding { border-left-color: #a50026; }
.print-only { display: none; }
@page { size: A4 portrait; margin: 12mm 10mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  nav { display: none; }
  h2 { margin-top: 1.2rem; break-after: avoid; }
  .scroll { overflow: visible; }
  table { font-size: 7.5pt; table-layout: auto; }
  th, td { padding: 1px 3px; }
  .screen-only { display: none; }
  .print-only { display: block; }
  th, th.n { white-space: normal; }
  td.n { white-space: nowrap; }
  thead { display: table-header-group; }
  tr, figure, .card { break-inside: avoid; }
  figure svg { border: none; }
  .cards { grid-template-columns: repeat(3, 1fr); gap: .4rem; }
  .card .v { font-size: 1.1rem; }
  pre { white-space: pre-wrap; font-size: 7pt; }
}
"""


def _t(lang: str) -> Mapping[str, Any]:
    return T["en" if lang == "en" else "fr"]


def _colon(lang: str) -> str:
    """French puts a (narrow no-break) space before a colon."""
    return ":" if lang == "en" else f"{fmt.THIN_SPACE}:"


# --------------------------------------------------------------------------------------------
# Values and numbers


def num(x: Any, metric_unit: str, lang: str) -> str:
    """A number formatted for its unit: shares as %, FTE with one decimal, others whole."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    v = float(x)
    dec = 1 if metric_unit in ("share", "FTE") else 0
    scale = 100.0 if metric_unit == "share" else 1.0
    if abs(v * scale) < 0.5 * 10.0**-dec:
        v = 0.0  # no "-0"
    if metric_unit == "share":
        return fmt.percent(v, dec, lang)
    return fmt.number(v, dec, lang)


def _ci(s: Mapping[str, Any], unit: str, lang: str) -> str:
    return f"{num(s['ci_low'], unit, lang)} – {num(s['ci_high'], unit, lang)}"


# --------------------------------------------------------------------------------------------
# Scenario parameters and source notes


def _lookup(raw: Any, key: str) -> Any:
    return lookup(raw, key)


_MISSING = MISSING


def parameters(scenario: Scenario) -> list[tuple[str, Any, str]]:
    """Every parameter of a scenario as run: ``(dotted key, value, origin)``, origin being
    ``file``, ``set`` (changed by ``--set``) or ``default`` (the reference scenario's value),
    as captured when the scenario was loaded (:attr:`Scenario.provenance`)."""
    prov = scenario.provenance
    rows: list[tuple[str, Any, str]] = []

    def walk(table: Table, raw: Any, prefix: str) -> None:
        raw = raw if isinstance(raw, Mapping) else {}
        for name, key in table.keys.items():
            full = f"{prefix}.{name}" if prefix else name
            check = key.check
            if isinstance(check, Table):
                walk(check, raw.get(name), full)
            elif isinstance(check, TableArray):
                for i, item in enumerate(raw.get(name) or ()):
                    walk(check.table, item, f"{full}[{i}]")
            elif name in raw:
                rows.append((full, _plain(raw[name]), prov.origin(full)))
            elif isinstance(key, Key) and key.default is not None:
                origin = "set" if prov.origin(full) == "set" else "default"
                rows.append((full, _plain(key.default), origin))

    walk(SCHEMA, scenario.raw, "")
    return rows


def _plain(v: Any) -> Any:
    if isinstance(v, Mapping):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    return v


# --------------------------------------------------------------------------------------------
# Figures


def inline_svg(text: str, prefix: str, title: str) -> str:
    """An SVG file's text made ready to inline in HTML: prolog, metadata, namespace attributes
    and fixed size dropped (the viewBox stays), ids prefixed so that figures cannot clash."""
    start = text.find("<svg")
    svg = text[start:] if start >= 0 else ""
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    end_tag = svg.find(">")
    root, rest = svg[:end_tag], svg[end_tag:]
    root = re.sub(r'\s+(xmlns(:\w+)?|width|height|version)="[^"]*"', "", root)
    svg = root + rest
    ids = set(re.findall(r'\sid="([^"]+)"', svg))
    if ids:
        alt = "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))
        svg = re.sub(
            r'(\sid="|#)(' + alt + r')(?=["\)])', lambda m: m.group(1) + prefix + m.group(2), svg
        )
    label = esc(title, quote=True)
    return svg.replace("<svg", f'<svg role="img" aria-label="{label}"', 1)


def _figures_html(svgs: Mapping[str, Path | str], titles: Mapping[str, str], lang: str) -> str:
    t = _t(lang)
    out = []
    for k, (name, path) in enumerate(svgs.items()):
        text = Path(path).read_text(encoding="utf-8")
        title = titles.get(name, name)
        out.append(
            f'<figure id="fig-{esc(name)}">{inline_svg(text, f"f{k + 1}-", title)}'
            f"<figcaption>{esc(t['figure_alt'])} {k + 1}{_colon(lang)} {esc(title)} "
            f'(<span class="mono">figures/{esc(name)}.png</span>, '
            f'<span class="mono">.svg</span>)</figcaption></figure>'
        )
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# Page pieces


def _page(title: str, lang: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{"en" if lang == "en" else "fr"}">\n<head>\n'
        f'<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n"
        f"</body>\n</html>\n"
    )


PRINT_COLUMNS = 7
"""Most columns of a printed table besides the first: wider tables print as blocks."""


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[bool]) -> str:
    """A table from already-escaped cells. A table wider than :data:`PRINT_COLUMNS` + 1
    columns also comes as blocks of columns (the first column repeated) shown only in print, so
    that an A4 page holds every column."""
    if len(head) <= PRINT_COLUMNS + 1:
        return _one_table(head, rows, numeric)
    blocks = []
    for start in range(1, len(head), PRINT_COLUMNS):
        cols = [0, *range(start, min(start + PRINT_COLUMNS, len(head)))]
        blocks.append(
            _one_table(
                [head[c] for c in cols],
                [[r[c] for c in cols] for r in rows],
                [numeric[c] for c in cols],
            )
        )
    return (
        f'<div class="screen-only">{_one_table(head, rows, numeric)}</div>'
        f'<div class="print-only">{"".join(blocks)}</div>'
    )


def _one_table(head: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[bool]) -> str:
    th = "".join(
        f"<th{' class=n' if n else ''}>{h}</th>" for h, n in zip(head, numeric, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(f"<td{' class=n' if n else ''}>{c}</td>" for c, n in zip(r, numeric, strict=True))
        + "</tr>\n"
        for r in rows
    )
    return (
        f'<div class="scroll"><table><thead><tr>{th}</tr></thead><tbody>\n{body}</tbody>'
        f"</table></div>"
    )


def _card(key: str, value: str, detail: str = "") -> str:
    d = f'<div class="d">{detail}</div>' if detail else ""
    return f'<div class="card"><div class="k">{key}</div><div class="v">{value}</div>{d}</div>'


def _unit(metric: str, lang: str) -> str:
    return str(_t(lang)["units"].get(METRICS[metric].unit, METRICS[metric].unit))


def _label(metric: str, lang: str) -> str:
    m = METRICS[metric]
    return m.label_en if lang == "en" else m.label_fr


def key_figures(summary: Mapping[str, Any], scenario: Scenario | None, lang: str) -> str:
    """The cards of key figures (escaped HTML)."""
    t = _t(lang)
    n = fmt.number
    horizon = int(summary["horizon_years"])
    ci = t["ci"]

    def with_ci(metric: str) -> str:
        s = summary[metric]
        if s["ci_low"] is None or s["ci_high"] is None:
            return ""
        return f"{ci} {_ci(s, METRICS[metric].unit, lang)}"

    res, share = busiest_resource(summary, scenario)
    cards = [
        _binding_card(summary, lang),
        _card(
            esc(t["clause_hours"]),
            f"{n(summary['clause_hours_total'], 0, lang)} h",
            esc(
                t["clause_detail"].format(
                    fte=n(summary["clause_fte_total"], 0, lang),
                    base=n(summary["fte_hours"], 0, lang),
                    fpy=n(summary["clause_fte_per_year"], 1, lang),
                    years=horizon,
                )
            ),
        ),
        _card(
            esc(t["hours_realised"]),
            f"{num(summary['hours_realised']['mean'], 'h', lang)} h",
            esc(with_ci("hours_realised")),
        ),
        _card(
            esc(t["fte_realised"]),
            num(summary["fte_realised"]["mean"], "FTE", lang),
            esc(with_ci("fte_realised"))
            + "<br>"
            + esc(
                t["per_year"].format(
                    v=n(summary["fte_realised"]["mean"] / horizon, 1, lang), years=horizon
                )
            ),
        ),
        _card(
            esc(t["lapsed"]),
            num(summary["lapsed_share"]["mean"], "share", lang),
            esc(t["lapsed_detail"].format(h=num(summary["hours_lapsed"]["mean"], "h", lang))),
        ),
        _card(
            esc(t["positive"]),
            num(summary["positive_exits"]["mean"], "people", lang),
            esc(with_ci("positive_exits"))
            + "<br>"
            + esc(
                t["positive_detail"].format(
                    rsa=num(summary["positive_exits_rsa"]["mean"], "people", lang),
                    u26=num(summary["positive_exits_under_26"]["mean"], "people", lang),
                )
            ),
        ),
        _card(
            esc(t["wait"]),
            f"{num(summary['mean_intake_wait_days']['mean'], 'days', lang)} "
            f"{'j' if lang != 'en' else 'd'}",
            esc(
                t["wait_detail"].format(
                    w=num(summary["mean_placement_wait_days"]["mean"], "days", lang)
                )
            ),
        ),
        _card(
            esc(t["util"]),
            esc(t["no_facilitator"])
            if scenario is not None and not any(scenario.flow.facilitators.fte)
            else num(summary["facilitator_utilisation"]["mean"], "share", lang),
            esc(
                t["util_detail"].format(
                    s=num(summary["siae_occupancy"]["mean"], "share", lang),
                    r=f"{resource_label(res, lang)} ({num(share, 'share', lang)})",
                )
            ),
        ),
        _card(
            esc(t["people"]),
            num(summary["referrals"]["mean"], "people", lang),
            esc(
                t["people_detail"].format(
                    i=num(summary["intakes"]["mean"], "people", lang),
                    g=num(summary["gave_up"]["mean"], "people", lang),
                )
            ),
        ),
    ]
    return f'<div class="cards">{"".join(cards)}</div>'


def _binding_card(summary: Mapping[str, Any], lang: str) -> str:
    """The binding constraint and what one more unit of it gives (hours realised)."""
    t = _t(lang)
    diag = summary.get("bottleneck")
    if not isinstance(diag, Mapping):
        return ""
    if not diag.get("binding"):
        sentence = summary_sentence(summary, lang)
        return _card(esc(t["binding"]), esc(t["binding_none"]), esc(sentence)).replace(
            'class="card"', 'class="card binding"', 1
        )
    by = {c["constraint"]: c for c in diag.get("constraints", [])}
    c = by.get(diag["binding"])
    if c is None:
        return ""
    label = constraint_label(diag["binding"], lang)
    gain = (c.get("hours_gained") or {}).get("mean")
    lever = lever_text(c.get("lever"), lang)
    share = c.get("share_of_lapsed")
    detail = t["binding_detail"].format(
        share=num(share, "share", lang), lever=lever, gain=num(gain, "h", lang)
    )
    return _card(esc(t["binding"]), esc(str(label)), esc(detail)).replace(
        'class="card"', 'class="card binding"', 1
    )


def years_table(summary: Mapping[str, Any], lang: str) -> str:
    """Per-year means (clause hours, then the main metrics)."""
    t = _t(lang)
    head = [esc(t["year"]), esc(t["clause_row"])]
    head += [f"{esc(_label(m, lang))} ({esc(_unit(m, lang))})" for m in YEAR_TABLE_METRICS]
    rows = []
    for y in summary["years"]:
        year = str(y["year"])
        if y.get("run_out"):
            year += f" ({esc(t['run_out_mark'])})"
        r = [year, num(y.get("clause_hours"), "h", lang)]
        r += [num(y[m]["mean"], METRICS[m].unit, lang) for m in YEAR_TABLE_METRICS]
        rows.append(r)
    return _table(head, rows, [False] + [True] * (len(head) - 1))


def all_metrics_table(summary: Mapping[str, Any], lang: str) -> str:
    """Every total metric: mean, 95 % interval, 5th-95th percentiles."""
    t = _t(lang)
    rows = []
    for m in TOTAL_METRICS:
        s = summary.get(m)
        if not isinstance(s, Mapping):
            continue
        u = METRICS[m].unit
        rows.append(
            [
                esc(_label(m, lang)),
                esc(_unit(m, lang)),
                num(s["mean"], u, lang),
                _ci(s, u, lang),
                f"{num(s['p05'], u, lang)} – {num(s['p95'], u, lang)}",
            ]
        )
    return _table(
        [esc(t["metric"]), esc(t["unit"]), esc(t["mean"]), esc(t["ci"]), esc(t["p"])],
        rows,
        [False, False, True, True, True],
    )


def cohorts_table(summary: Mapping[str, Any], lang: str) -> str:
    """People, hours worked and positive-exit share per intake year (means)."""
    from ..scenario import POSITIVE_OUTCOMES

    t = _t(lang)
    rows = []
    for c in summary.get("cohorts", []):
        people = c["people"]["mean"] or 0.0
        hours = c["hours_worked"]["mean"] or 0.0
        pos = sum((c["outcomes"][o]["mean"] or 0.0) for o in POSITIVE_OUTCOMES)
        exited = sum((v["mean"] or 0.0) for v in c["outcomes"].values())
        rows.append(
            [
                str(c["entry_year"]),
                num(people, "people", lang),
                num(hours, "h", lang),
                num(hours / people if people else math.nan, "h", lang),
                num(pos / exited if exited else math.nan, "share", lang),
            ]
        )
    return _table(
        [
            esc(t[k])
            for k in ("entry_year", "cohort_people", "cohort_hours", "cohort_hpp", "cohort_pos")
        ],
        rows,
        [False, True, True, True, True],
    )


def exits_table(summary: Mapping[str, Any], lang: str) -> str:
    """Exits by outcome (rows) and public (columns), means over replications."""
    t = _t(lang)
    data = summary.get("exits_by_outcome_and_public", {})
    publics = list(next(iter(data.values()), {}).keys())
    rows = []
    for o, by_pub in data.items():
        vals = [by_pub[p]["mean"] or 0.0 for p in publics]
        rows.append(
            [
                esc(t["outcome"].get(o, o)),
                *[num(v, "people", lang) for v in vals],
                num(sum(vals), "people", lang),
            ]
        )
    head = [""] + [esc(t["public"].get(p, p)) for p in publics] + [esc(t["public"]["total"])]
    return _table(head, rows, [False] + [True] * (len(head) - 1))


def publics_table(summary: Mapping[str, Any], lang: str) -> str:
    """Means by public as clause reporting counts them: accompanied, participants, positive
    exits and their rate."""
    from ..results import PUBLIC_LABELS
    from ..scenario import PUBLIC_GROUPS

    k = 0 if lang == "fr" else 1
    head = [""] + [f"{esc(_label(m, lang))} ({esc(_unit(m, lang))})" for m in PUBLIC_TABLE_METRICS]
    rows = []
    for g in PUBLIC_GROUPS:
        cells = [esc(PUBLIC_LABELS[g][k])]
        for m in PUBLIC_TABLE_METRICS:
            st = summary.get(f"{m}_{g}")
            cells.append(num(st["mean"] if st else None, METRICS[m].unit, lang))
        rows.append(cells)
    return _table(head, rows, [False] + [True] * (len(head) - 1))


def parameters_table(scenario: Scenario, lang: str) -> str:
    """Every parameter as run, with its origin (file, --set, default)."""
    t = _t(lang)
    rows = []
    for key, value, origin in parameters(scenario):
        o = {"file": t["origin_file"], "set": t["origin_set"], "default": t["origin_default"]}[
            origin
        ]
        cls = ' class="origin-set"' if origin == "set" else ""
        rows.append(
            [
                f"{esc(i18n.param_label(key, lang))}<br><code>{esc(key)}</code>",
                f"<code>{esc(toml_value(value))}</code>",
                f"<span{cls}>{esc(o)}</span>",
            ]
        )
    return _table([esc(t["param"]), esc(t["value"]), esc(t["origin"])], rows, [False, False, False])


def assumptions_html(scenario: Scenario, lang: str) -> str:
    """The scenario file's comments: its header, then key = value (as run) — source note."""
    t = _t(lang)
    head, notes = scenario.provenance.header, scenario.provenance.notes
    parts = []
    if head:
        parts.append(f"<p class=note>{esc(t['file_head'])}{_colon(lang)}</p><pre>{esc(head)}</pre>")
    if not notes:
        parts.append(f"<p class=note>{esc(t['no_notes'])}</p>")
        return "\n".join(parts)
    rows = []
    for key, (value_text, note) in notes.items():
        value = _lookup(scenario.raw, key)
        shown = toml_value(_plain(value)) if value is not _MISSING else value_text
        tag = (
            f'<span class="tag">{esc(t["assumption"])}</span>'
            if re.search(r"assumption|hypoth[eè]se", note, re.I)
            else ""
        )
        rows.append([f"<code>{esc(key)} = {esc(shown)}</code>", esc(note) + tag])
    parts.append(_table([esc(t["param"]), esc(t["note"])], rows, [False, False]))
    return "\n".join(parts)


def _now() -> str:
    return datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")


# --------------------------------------------------------------------------------------------
# The run report


def _bottleneck_option(summary: Mapping[str, Any]) -> str:
    """The ``--bottleneck-replications`` option that reproduces the run's diagnosis."""
    diag = summary.get("bottleneck")
    if isinstance(diag, Mapping) and isinstance(diag.get("method"), Mapping):
        return f" --bottleneck-replications {int(diag['method']['replications'])}"
    return " --bottleneck-replications 0"


def run_report(
    summary: Mapping[str, Any],
    scenario: Scenario,
    svgs: Mapping[str, Path | str],
    *,
    lang: str = "fr",
    titles: Mapping[str, str] | None = None,
    extra_sections: Sequence[tuple[str, str, str]] = (),
) -> str:
    """The report of a run as one self-contained HTML page.

    Parameters
    ----------
    summary : the run's ``summary.json`` data (see :func:`sim.output.build_summary`)
    svgs : figure file stem -> SVG file, in display order
    titles : figure file stem -> title (default: read from the figures module's functions)
    extra_sections : ``(id, title, html)`` sections added before the parameters; their HTML is
        trusted (it must already be escaped)
    """
    t = _t(lang)
    if titles is None:
        titles = _default_titles(lang)
    name = scenario.title(lang)
    desc = scenario.text("description", lang)
    y0, y1 = summary["years"][0]["year"], summary["years"][-1]["year"]
    sections: list[tuple[str, str, str]] = [
        (
            "key",
            t["key"],
            key_figures(summary, scenario, lang) + f"<p class=note>{esc(t['interval_note'])}</p>",
        ),
        ("figures", t["figures"], _figures_html(svgs, titles, lang)),
        ("years", t["years"], years_table(summary, lang)),
        ("cohorts", t["cohorts"], cohorts_table(summary, lang)),
        ("exits", t["exits"], exits_table(summary, lang)),
        ("publics", t["publics_title"], publics_table(summary, lang)),
        ("all", t["all"], all_metrics_table(summary, lang)),
        *[(i, ti, h) for i, ti, h in extra_sections],
        ("params", t["params"], parameters_table(scenario, lang)),
        ("assumptions", t["assumptions"], assumptions_html(scenario, lang)),
        (
            "method",
            t["method"],
            f"<p>{esc(t['method_text'].format(y0=y0, y1=y1, ro=scenario.flow.run_out_years))}</p>"
            f"<pre>clause-sim run scenario.toml --seed {int(summary['seed'])} "
            f"--replications {int(summary['replications'])}{_bottleneck_option(summary)}</pre>"
            f"<p class=note>{esc(t['files_text'])}</p>",
        ),
    ]
    toc = "".join(f'<li><a href="#{esc(i)}">{esc(ti)}</a></li>' for i, ti, _ in sections)
    generated = t["generated"].format(
        date=_now(),
        v=__version__,
        seed=summary["seed"],
        n=replications_text(int(summary["replications"]), lang),
    )
    body = [
        f"<header><h1>{esc(name)}</h1>",
        f"<p>{esc(desc)}</p>" if desc else "",
        f"<p class=meta>{esc(generated)}<br>{esc(t['file'])}{_colon(lang)} "
        f"<span class=mono>{esc(str(scenario.source))}</span></p></header>",
        f"<nav><h2>{esc(t['toc'])}</h2><ol>{toc}</ol></nav>",
        *[f'<section id="{esc(i)}"><h2>{esc(ti)}</h2>\n{h}\n</section>' for i, ti, h in sections],
        f"<footer><p>clause-sim {esc(__version__)}</p></footer>",
    ]
    return _page(f"{t['title']}{_colon(lang)} {name}", lang, "\n".join(body))


def _default_titles(lang: str) -> dict[str, str]:
    from .plots import TEXT

    tx = TEXT["en" if lang == "en" else "fr"]
    return {
        "1-hours": tx["hours_title"],
        "2-fte": tx["fte_title"],
        "3-people": tx["people_title"],
        "4-positive-exits": tx["pos_title"],
        "5-utilisation": tx["util_types_title"],
        "6-waits": tx["waits_title"],
        "7-lapsed-causes": tx["lapsed_title"],
    }


# --------------------------------------------------------------------------------------------
# The comparison report


def compare_report(
    rows: Sequence[Mapping[str, Any]],
    labels: Sequence[str],
    scenarios: Sequence[Scenario],
    summaries: Sequence[Mapping[str, Any]],
    svgs: Mapping[str, Path | str],
    titles: Mapping[str, str],
    *,
    lang: str = "fr",
) -> str:
    """The report of a comparison as one self-contained HTML page.

    Parameters
    ----------
    rows : one per metric, as made by :func:`sim.compare.comparison_rows`
    labels : short label of each scenario (the first is the reference)
    """
    t = _t(lang)
    first = summaries[0]
    sc_rows = [
        [esc(lab), esc(s.title(lang)), f"<span class=mono>{esc(s.source)}</span>"]
        for lab, s in zip(labels, scenarios, strict=True)
    ]
    head = [esc(t["metric"]), esc(t["unit"])] + [esc(lab) for lab in labels]
    head += [esc(t["cmp_diff"].format(b=b, a=labels[0])) + f" ({esc(t['ci'])})" for b in labels[1:]]
    body_rows = []
    for r in rows:
        m, u = r["metric"], METRICS[r["metric"]].unit
        cells = [esc(_label(m, lang)), esc(_unit(m, lang))]
        cells += [num(r["means"][k], u, lang) for k in range(len(labels))]
        for d in r["diffs"]:
            sign = "+" if (d["mean"] or 0) > 0 else ""
            lo, hi = d["ci_low"], d["ci_high"]
            clear = lo is not None and hi is not None and (lo > 0 or hi < 0)
            cls = ' class="clear"' if clear else ""
            sep = ", " if lang == "en" else " ; "
            cells.append(
                f"<span{cls}>{sign}{num(d['mean'], u, lang)}</span> "
                f"<br><small>[{num(lo, u, lang)}{sep}{num(hi, u, lang)}]</small>"
            )
        body_rows.append(cells)
    table = _table(head, body_rows, [False, False] + [True] * (len(head) - 2))
    base = {k: v for k, v, _o in parameters(scenarios[0])}
    diffs = []
    for lab, s in zip(labels[1:], scenarios[1:], strict=True):
        changed = [(k, v) for k, v, _o in parameters(s) if base.get(k, _MISSING) != v]
        items = "".join(
            f"<li><code>{esc(k)} = {esc(toml_value(v))}</code> "
            f"(<code>{esc(toml_value(base[k])) if k in base else '–'}</code>)</li>"
            for k, v in changed
            if k != "scenario.name"
        )
        diffs.append(
            f"<h3>{esc(lab)}</h3><ul>{items or '<li>' + esc(t['cmp_no_diff']) + '</li>'}</ul>"
        )
    sections = [
        (
            "scenarios",
            t["cmp_scenarios"],
            _table(
                [esc(t["label"]), esc(t["name"]), esc(t["source_file"])],
                sc_rows,
                [False, False, False],
            ),
        ),
        ("table", t["cmp_table"], table + f"<p class=note>{esc(t['cmp_note'])}</p>"),
        ("figures", t["figures"], _figures_html(svgs, titles, lang)),
        ("params", t["cmp_params"], "\n".join(diffs)),
    ]
    toc = "".join(f'<li><a href="#{esc(i)}">{esc(ti)}</a></li>' for i, ti, _ in sections)
    generated = t["cmp_generated"].format(
        date=_now(),
        v=__version__,
        seed=first["seed"],
        n=replications_text(int(first["replications"]), lang),
    )
    body = [
        f"<header><h1>{esc(t['cmp_title'])}</h1>",
        f"<p class=meta>{esc(generated)}</p></header>",
        f"<nav><h2>{esc(t['toc'])}</h2><ol>{toc}</ol></nav>",
        *[f'<section id="{esc(i)}"><h2>{esc(ti)}</h2>\n{h}\n</section>' for i, ti, h in sections],
        f"<footer><p>clause-sim {esc(__version__)}</p></footer>",
    ]
    return _page(t["cmp_title"], lang, "\n".join(body))
