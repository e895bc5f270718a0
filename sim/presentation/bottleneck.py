"""The bottleneck diagnosis in words: constraint names, levers, notes, the sentence naming the
binding constraint, and the diagnosis as plain text or an HTML fragment.

:func:`sim.analysis.bottleneck.diagnose` gives figures and keys only; every word here comes from
the translation table (sections ``diagnosis`` and ``bottleneck`` of :mod:`sim.presentation.i18n`).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from .. import fmt
from . import i18n


def _t(lang: str) -> Mapping[str, str]:
    return i18n.section("diagnosis")[i18n.norm(lang)]


def constraint_label(name: str, lang: str) -> str:
    """A constraint's name (``facilitators``, ``siae_etti``, ...) in ``lang``."""
    t = _t(lang)
    if name.startswith("siae_"):
        return t["label_siae"].format(type=name.removeprefix("siae_").upper())
    return t.get(f"label_{name}", name)


def lever_text(lever: Mapping[str, Any] | None, lang: str) -> str:
    """One more unit of a constraint in words (``{"kind", "values"}`` of the diagnosis)."""
    if not lever:
        return "–"
    return _t(lang)[f"lever_{lever['kind']}"].format(**lever.get("values", {}))


def note_text(note: str | None, lang: str) -> str | None:
    """A constraint's note (``na_preparation``, ``na_siae``, ``never_full``) in words."""
    return None if note is None else _t(lang)[note]


def gain_text(e: Mapping[str, Any], lang: str) -> str:
    """The hours one more unit realises: mean and 95 % interval (h)."""
    g = e["hours_gained"]
    t, n = _t(lang), fmt.number
    if g["ci_low"] is None or g["ci_high"] is None:
        return t["gain"].format(mean=n(g["mean"], 0, lang))
    return t["gain_ci"].format(
        mean=n(g["mean"], 0, lang), low=n(g["ci_low"], 0, lang), high=n(g["ci_high"], 0, lang)
    )


def _entry(diag: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    return next(e for e in diag["constraints"] if e["constraint"] == name)


def sentence(diag: Mapping[str, Any], lang: str = "fr") -> str:
    """A plain sentence naming the binding constraint with its figures, and the best marginal
    lever when it is another one."""
    t = _t(lang)
    pct = fmt.percent
    name = diag["binding"]
    if name is None:
        return t["none"].format(share=pct(diag["lapsed_share"], 1, lang))
    e = _entry(diag, name)
    text = t["binding"].format(
        label=constraint_label(name, lang),
        hours=fmt.number(e["hours_lapsed"]["mean"], 0, lang),
        share=pct(e["share_of_lapsed"], 0, lang),
    )
    cap = e["time_at_capacity"]
    if cap is not None:
        text += t["at_capacity"].format(share=pct(cap["mean"], 0, lang))
    text += "."
    if e["hours_gained"] is not None:
        text += t["with_lever"].format(lever=lever_text(e["lever"], lang), gain=gain_text(e, lang))
    best = diag.get("best_lever")
    if best is not None and best != name:
        b = _entry(diag, best)
        text += t["best"].format(lever=lever_text(b["lever"], lang), gain=gain_text(b, lang))
    return text


def summary_sentence(summary: Mapping[str, Any], lang: str) -> str:
    """The sentence of the diagnosis in ``summary`` (``""`` without one), worded now; a
    ``summary.json`` written before diagnoses held keys gives its stored sentence."""
    diag = summary.get("bottleneck")
    if not isinstance(diag, Mapping):
        return ""
    if all("note" in e for e in diag.get("constraints", [])):
        return sentence(diag, lang)
    return str(diag.get(f"sentence_{i18n.norm(lang)}") or "")


def with_texts(diag: Mapping[str, Any]) -> dict[str, Any]:
    """The diagnosis with its words in both languages added, as written to ``summary.json``:
    ``sentence_fr``/``sentence_en``, and in each constraint ``label_fr``/``label_en``,
    ``note_fr``/``note_en`` and the lever's ``fr``/``en``."""
    out = dict(diag)
    entries = []
    for e in diag["constraints"]:
        e = dict(e)
        for lang in i18n.LANGS:
            e[f"label_{lang}"] = constraint_label(e["constraint"], lang)
            e[f"note_{lang}"] = note_text(e.get("note"), lang)
        if e.get("lever"):
            e["lever"] = {**e["lever"], **{lg: lever_text(e["lever"], lg) for lg in i18n.LANGS}}
        entries.append(e)
    out["constraints"] = entries
    for lang in i18n.LANGS:
        out[f"sentence_{lang}"] = sentence(diag, lang)
    return out


def _head(lang: str) -> Any:
    return i18n.section("bottleneck")[i18n.norm(lang)]


def _cells(e: Mapping[str, Any], lang: str) -> list[str]:
    pct = fmt.percent
    cap = e["time_at_capacity"]
    if e["hours_gained"] is not None:
        gain = gain_text(e, lang)
    else:
        gain = note_text(e.get("note"), lang) or "–"
    return [
        constraint_label(e["constraint"], lang),
        "–" if cap is None else pct(cap["mean"], 0, lang),
        f"{fmt.number(e['hours_lapsed']['mean'], 0, lang)} h",
        pct(e["share_of_lapsed"], 0, lang),
        lever_text(e["lever"], lang),
        gain,
    ]


def bottleneck_text(diag: Mapping[str, Any], lang: str = "fr") -> str:
    """The diagnosis as plain text: the sentence, then one line per constraint."""
    title, cols, note = _head(lang)
    rows = [_cells(e, lang) for e in diag["constraints"]]
    widths = [max(len(r[i]) for r in [list(cols), *rows]) for i in range(len(cols))]

    def line(r: Sequence[str]) -> str:
        return "  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()

    m = diag["method"]
    return (
        "\n".join(
            [
                title,
                sentence(diag, lang),
                "",
                line(cols),
                line(["-" * w for w in widths]),
                *[line(r) for r in rows],
                "",
                note.format(m=m["replications"], n=m["replications_run"]),
            ]
        )
        + "\n"
    )


def bottleneck_title(lang: str = "fr") -> str:
    """The diagnosis's title in a language."""
    return str(_head(lang)[0])


def bottleneck_html(diag: Mapping[str, Any], lang: str = "fr", heading: bool = True) -> str:
    """The diagnosis as an HTML fragment (a ``<section>``; every text escaped).

    With ``heading=False`` the ``<h2>`` title is left to the page that includes it.
    """
    title, cols, note = _head(lang)
    esc = html.escape
    binding = diag["binding"]
    out = [
        f'<section class="bottleneck" lang="{i18n.norm(lang)}">',
        f"<h2>{esc(title)}</h2>" if heading else "",
        f'<p class="sentence">{esc(sentence(diag, lang))}</p>',
        '<table class="bottleneck-table">',
        "<thead><tr>" + "".join(f'<th scope="col">{esc(c)}</th>' for c in cols) + "</tr></thead>",
        "<tbody>",
    ]
    for e in diag["constraints"]:
        cells = _cells(e, lang)
        cls = ' class="binding"' if e["constraint"] == binding else ""
        out.append(
            f'<tr{cls}><th scope="row">{esc(cells[0])}</th>'
            + "".join(f"<td>{esc(c)}</td>" for c in cells[1:])
            + "</tr>"
        )
    m = diag["method"]
    out += [
        "</tbody>",
        "</table>",
        f'<p class="note">{esc(note.format(m=m["replications"], n=m["replications_run"]))}</p>',
        "</section>",
    ]
    return "\n".join(out) + "\n"
