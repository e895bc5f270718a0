"""A run's results folder: summary, CSV tables, the scenario as run, figures and report.

This module only writes files; running a scenario into a folder is :mod:`sim.jobs`.

The folder is written atomically: everything goes into a hidden sibling folder
(``.NAME.tmp-PID-TOKEN``) that is renamed into place at the very end, so an interrupted or failed
run leaves no half-written results and never damages the previous ones (see
:func:`atomic_folder`). Layout::

    summary.json       totals and per-year statistics ({mean, ci_low, ci_high, p05, p95})
    yearly.csv         one row a year: <metric>_mean, _ci_low, _ci_high (95 % interval of the
                       mean), _p05, _p95 (90 % prediction band)
    replications.csv   one row a replication with its totals
    monthly.csv        monthly resource series (utilisation, occupancy), mean and interval
    waits.csv          histogram of the waits (days) pooled over replications
    scenario.toml      the scenario exactly as run (overrides applied)
    parameters.csv     every parameter as run: key, value (TOML), origin (file, set, default), note
    results.xlsx       the tables as one spreadsheet (with the ``xlsx`` extra: openpyxl)
    summary.pdf        one A4 page: key figures, hours and FTE with bands, binding constraint
    figures/           PNG and SVG of each figure
    report.html        one self-contained report

Units: hours (h), FTE, people, days, shares in [0, 1].
"""

from __future__ import annotations

import contextvars
import csv
import dataclasses
import json
import math
import os
import re
import secrets
import shutil
import signal
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import __version__, fmt
from .errors import ClauseSimError, escape
from .hours import HoursResult
from .hours import compute as compute_hours
from .presentation.tables import (
    busiest_resource,
    clause_per_year,
    monthly_columns,
    replication_columns,
    replications_text,
    resource_label,
    wait_columns,
    yearly_columns,
)
from .provenance import annotate
from .results import (
    METRICS,
    TOTAL_METRICS,
    Runs,
)
from .scenario import Scenario

FloatArray = NDArray[np.float64]


class OutputError(ClauseSimError):
    """The results folder cannot be written where asked."""


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a text cell as a formula."""


def safe_cell(text: str) -> str:
    """A text cell that no spreadsheet runs as a formula: text starting with ``=``, ``+``, ``-``,
    ``@``, tab or carriage return gets a leading ``'`` (``=HYPERLINK(..)`` -> ``'=HYPERLINK(..)``).

    The one neutraliser of every CSV and spreadsheet clause-sim writes; apply it to text
    values only (numbers are written as numbers: ``-1.5`` stays ``-1.5``).
    """
    return "'" + text if text.startswith(FORMULA_STARTS) else text


CSV_DIALECTS = ("machine", "excel-fr")
"""``machine``: comma-separated, decimal point, UTF-8, full precision (read back by
:func:`read_csv`); ``excel-fr``: semicolon-separated, decimal comma, UTF-8 with BOM, French
column labels, for French Excel."""

_csv_dialect: contextvars.ContextVar[str] = contextvars.ContextVar("csv_dialect", default="machine")


@contextmanager
def csv_dialect(name: str) -> Iterator[None]:
    """Within the block, :func:`write_csv` writes in dialect ``name`` (see :data:`CSV_DIALECTS`)."""
    if name not in CSV_DIALECTS:
        raise ClauseSimError(f"--csv-dialect: unknown {name!r}; expected {', '.join(CSV_DIALECTS)}")
    token = _csv_dialect.set(name)
    try:
        yield
    finally:
        _csv_dialect.reset(token)


def _cell(x: Any, decimal_comma: bool = False) -> str:
    v = float(x)
    if math.isnan(v):
        return ""
    if v.is_integer() and abs(v) < 2**53:
        return str(int(v))
    if decimal_comma:
        return repr(round(v, 6)).replace(".", ",")
    return repr(v)


def write_csv(
    path: Path, columns: Mapping[str, Sequence[Any] | FloatArray], dialect: str | None = None
) -> None:
    """Write equal-length columns as CSV (NaN as an empty cell, text through
    :func:`safe_cell`), in ``dialect`` (default: the one set by :func:`csv_dialect`, else
    ``machine``: full float precision)."""
    dialect = dialect or _csv_dialect.get()
    fr = dialect == "excel-fr"
    names = list(columns)
    n = len(next(iter(columns.values()))) if names else 0
    head = names
    if fr:
        from .presentation.i18n import column_label

        head = [column_label(c, "fr") for c in names]
    with path.open("w", newline="", encoding="utf-8-sig" if fr else "utf-8") as f:
        w = csv.writer(f, delimiter=";" if fr else ",")
        w.writerow([safe_cell(h) for h in head])
        for i in range(n):
            w.writerow(
                [
                    _cell(columns[c][i], fr)
                    if not isinstance(columns[c][i], str)
                    else safe_cell(columns[c][i])
                    for c in names
                ]
            )


def read_csv(path: Path) -> dict[str, FloatArray]:
    """Read a CSV written by :func:`write_csv` back as float columns (empty cells as NaN)."""
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    head, body = rows[0], rows[1:]
    return {
        h: np.array([float(r[i]) if r[i] != "" else np.nan for r in body])
        for i, h in enumerate(head)
    }


# --------------------------------------------------------------------------------------------
# Summary


def build_summary(
    runs: Runs,
    scenario: Scenario,
    hours: HoursResult | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``summary.json``: :meth:`Runs.summary` plus the hours engine's figure, units and version.

    Parameters
    ----------
    extra : merged last into the top level (e.g. a ``bottleneck`` section, worded in both
        languages here, or the overrides).
    """
    hours = compute_hours(scenario) if hours is None else hours
    s = runs.summary()
    clause_h, clause_f = clause_per_year(runs, hours)
    for i, row in enumerate(s["years"]):
        row["clause_hours"] = None if math.isnan(clause_h[i]) else float(clause_h[i])
        row["clause_fte"] = None if math.isnan(clause_f[i]) else float(clause_f[i])
    head = {
        "scenario": s.pop("scenario"),
        "seed": s.pop("seed"),
        "replications": s.pop("replications"),
        "version": __version__,
        "scenario_file": scenario.source,
        "start_year": scenario.start_year,
        "horizon_years": scenario.horizon_years,
        "years_simulated": [int(y) for y in runs.years],
        "clause_hours_total": float(hours.total_hours),
        "clause_fte_total": float(hours.total_fte),
        "clause_fte_per_year": float(hours.fte_per_year),
        "fte_hours": float(hours.fte_hours),
        "units": {m: METRICS[m].unit for m in TOTAL_METRICS},
    }
    out = {**head, **s}
    if extra:
        out.update(extra)
    if isinstance(out.get("bottleneck"), Mapping) and "sentence_fr" not in out["bottleneck"]:
        from .presentation.bottleneck import with_texts

        out["bottleneck"] = with_texts(out["bottleneck"])  # its words, in both languages
    return out


def summary_text(
    summary: Mapping[str, Any],
    scenario: Scenario | None = None,
    lang: str = "fr",
    out: Path | None = None,
) -> str:
    """The short end-of-run summary printed on stdout."""
    from .presentation import i18n

    n = fmt.number
    fr = lang == "fr"

    def stat(key: str, dec: int = 0, unit: str = "") -> str:
        s = summary[key]
        u = f"{fmt.THIN_SPACE if fr else ' '}{unit}" if unit else ""
        if s["ci_low"] is None or s["ci_high"] is None:  # one replication: no interval
            return f"{n(s['mean'], dec, lang)}{u}"
        ci = i18n.tr("summary", "ci", lang)
        return (
            f"{n(s['mean'], dec, lang)}{u} ({ci} {n(s['ci_low'], dec, lang)} – "
            f"{n(s['ci_high'], dec, lang)})"
        )

    horizon = int(summary["horizon_years"])
    fte_year = summary["fte_realised"]["mean"] / horizon
    res, share = busiest_resource(summary, scenario)
    lines = [escape(scenario.title(lang) if scenario is not None else summary["scenario"])]
    no_facilitator = scenario is not None and not any(scenario.flow.facilitators.fte)
    where = f" -> {out}" if out is not None else ""
    reps = replications_text(int(summary["replications"]), lang)
    lines.append(
        i18n.tr("summary", "reps", lang).format(reps=reps, seed=summary["seed"], where=where)
    )
    lines.append("")
    clause = (
        f"{n(summary['clause_hours_total'], 0, lang)} h, "
        f"{n(summary['clause_fte_total'], 0, lang)} {i18n.tr('summary', 'fte_unit', lang)}, "
        f"{n(summary['clause_fte_per_year'], 1, lang)} {i18n.tr('summary', 'fte_year', lang)}"
    )
    clause_total = summary["clause_hours_total"]
    realised_of_clause = (
        summary["hours_realised"]["mean"] / clause_total if clause_total else float("nan")
    )
    rsa = summary["positive_exits_rsa"]["mean"]
    u26 = summary["positive_exits_under_26"]["mean"]
    t = i18n.section("summary")[i18n.norm(lang)]
    lines += [
        t["clause"].format(clause=clause),
        t["realised"].format(v=stat("hours_realised", 0, "h")),
        t["fte"].format(v=stat("fte_realised", 1), fpy=n(fte_year, 1, lang), years=horizon),
        t["lapsed"].format(
            v=fmt.percent(summary["lapsed_share"]["mean"], 1, lang),
            c=fmt.percent(realised_of_clause, 1, lang),
        ),
        t["positive"].format(v=stat("positive_exits"), rsa=n(rsa, 0, lang), u26=n(u26, 0, lang)),
        t["no_facilitator"]
        if no_facilitator
        else t["busiest"].format(r=resource_label(res, lang), v=fmt.percent(share, 0, lang)),
    ]
    from .presentation.bottleneck import summary_sentence

    said = summary_sentence(summary, lang)
    if said:
        lines += ["", said]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Atomic folder, manifest, --force


MANIFEST = ".clause-sim.json"
"""The manifest every results folder carries: the files and folders clause-sim wrote there.
``--force`` replaces or empties a folder only if it holds nothing else."""

_STALE = re.compile(r"^\..+\.(?:tmp|old)-(\d+)-[0-9a-f]{8}$")
"""Name of a temporary (or set-aside) folder of :func:`atomic_folder`: ``.NAME.tmp-PID-TOKEN``."""

_OWN_TEMP = re.compile(r"^\.(.+)\.tmp-\d+$")
"""Name of a temporary file of an atomic file write (``.points.csv.tmp-PID``)."""


def _entries(folder: Path) -> list[str]:
    """Every file and folder under ``folder`` (relative, ``/``-separated, sorted, walk order)."""
    out: list[str] = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        rel = Path(root).relative_to(folder)
        for name in sorted(dirs) + sorted(files):
            out.append((rel / name).as_posix())
        # never follow links to folders: os.walk does not by default
    return out


def read_manifest(folder: Path) -> set[str] | None:
    """The entries listed in ``folder``'s manifest; None if it has none (or not one of ours)."""
    path = folder / MANIFEST
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > 4 * 1024 * 1024:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("tool") != "clause-sim":
        return None
    files = data.get("files", [])
    if not isinstance(files, list):
        return None
    return {f for f in files if isinstance(f, str)}


def write_manifest(folder: Path, entries: Sequence[str] | None = None, **info: Any) -> None:
    """Write ``folder``'s manifest listing ``entries`` (default: everything in the folder now)."""
    listed = sorted(set(_entries(folder) if entries is None else entries) - {MANIFEST})
    data = {"tool": "clause-sim", "version": __version__, **info, "files": listed}
    tmp = folder / f".{MANIFEST}.tmp-{os.getpid()}"
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, folder / MANIFEST)


def add_to_manifest(folder: Path, entries: Sequence[str], **info: Any) -> None:
    """Add ``entries`` (relative paths, with their parent folders) to ``folder``'s manifest."""
    listed = set(read_manifest(folder) or ())
    for e in entries:
        parts = Path(e).parts
        listed.update(Path(*parts[: k + 1]).as_posix() for k in range(len(parts)))
    write_manifest(folder, sorted(listed), **info)


def foreign_entry(folder: Path) -> str | None:
    """The first entry of ``folder`` that its manifest does not list (``MANIFEST`` itself if
    there is no manifest); None if clause-sim wrote everything there."""
    listed = read_manifest(folder)
    if listed is None:
        return MANIFEST
    for entry in _entries(folder):
        if entry == MANIFEST or entry in listed:
            continue
        m = _OWN_TEMP.match(Path(entry).name)
        if m and (Path(entry).parent / m.group(1)).as_posix() in listed | {MANIFEST}:
            continue  # a temporary file of an atomic write cut short
        return entry
    return None


def refuse_foreign(folder: Path, action: str = "replace it") -> None:
    """Raise unless every entry of ``folder`` was written by clause-sim (its manifest)."""
    entry = foreign_entry(folder)
    if entry == MANIFEST:
        raise OutputError(
            f"{folder}: not a clause-sim results folder (no {MANIFEST}); "
            f"will not {action}, even with --force"
        )
    if entry is not None:
        raise OutputError(
            f"{folder}: holds {escape(entry)}, which clause-sim did not write; "
            f"will not {action}, even with --force"
        )


def check_out(target: str | Path) -> Path:
    """The one ``--out`` policy of every command: return ``target`` absolute; refuse a symbolic
    link (give the folder itself) and anything that exists but is not a folder."""
    target = Path(os.path.abspath(target))
    if target.is_symlink():
        raise OutputError(f"{target}: is a symbolic link; give the folder itself")
    if target.exists() and not target.is_dir():
        raise OutputError(f"{target}: exists and is not a folder")
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(f"{parent}: exists and is not a folder")
            break
    return target


def check_target(target: Path, force: bool = False) -> Path:
    """Check that results may be written to ``target``; return it absolute.

    An absent or empty folder is fine. A non-empty one needs ``force``, and even then only a
    folder clause-sim wrote entirely (every entry listed in its manifest, :data:`MANIFEST`)
    that does not contain the current directory is replaced: ``--force`` never deletes
    anything else.
    """
    target = check_out(target)
    if target.exists() and any(target.iterdir()):
        if not force:
            raise OutputError(f"{target}: folder is not empty (use --force to replace it)")
        cwd = Path.cwd().resolve()
        if cwd == target.resolve() or target.resolve() in cwd.parents:
            raise OutputError(f"{target}: holds the current folder, will not replace it")
        refuse_foreign(target)
    return target


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def remove_stale(parent: Path) -> list[Path]:
    """Remove the temporary folders that runs killed before their end left in ``parent``.

    Only folders named like :func:`atomic_folder`'s (``.NAME.tmp-PID-TOKEN``,
    ``.NAME.old-PID-TOKEN``) that carry clause-sim's manifest and whose process is gone are
    removed; each removal is reported on stderr. Returns the folders removed.
    """
    removed: list[Path] = []
    try:
        entries = list(parent.iterdir()) if parent.is_dir() else []
    except OSError:
        return removed
    for entry in entries:
        m = _STALE.match(entry.name)
        if not m or entry.is_symlink() or not entry.is_dir():
            continue
        if read_manifest(entry) is None or _pid_alive(int(m.group(1))):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        if not entry.exists():
            removed.append(entry)
            sys.stderr.write(
                f"clause-sim: removed {escape(str(entry))}, left by a run that was stopped "
                f"(process {m.group(1)})\n"
            )
    return removed


@contextmanager
def _signals_blocked() -> Iterator[None]:
    """Hold SIGINT and SIGTERM (delivered after the block) while swapping folders."""
    sigs = {signal.SIGINT, signal.SIGTERM}
    can = hasattr(signal, "pthread_sigmask")
    old = signal.pthread_sigmask(signal.SIG_BLOCK, sigs) if can else None
    try:
        yield
    finally:
        if can and old is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _token() -> str:
    return f"{os.getpid()}-{secrets.token_hex(4)}"


@contextmanager
def atomic_folder(target: str | Path, force: bool = False) -> Iterator[Path]:
    """Yield a fresh hidden folder beside ``target``; on success rename it into place.

    On any exception (including KeyboardInterrupt and SystemExit) the temporary folder is
    removed and ``target`` is left as it was. With ``force`` a previous results folder is
    replaced only at the very end: old renamed aside, new renamed in, old deleted.
    """
    dest = check_target(Path(target), force)
    created = []  # parent folders made here, deepest first: removed again on failure
    parent = dest.parent
    while not parent.exists():
        created.append(parent)
        parent = parent.parent
    tmp = dest.parent / f".{dest.name}.tmp-{_token()}"
    remove_stale(dest.parent)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
        write_manifest(tmp, [], state="writing")  # marks it as ours, should the run be killed
    except OSError as exc:
        raise OutputError(f"{dest}: cannot write there: {exc.strerror or exc}") from None
    done = False
    try:
        yield tmp
        write_manifest(tmp)
        check_target(dest, force)  # again: something may have appeared meanwhile
        with _signals_blocked():
            if dest.exists():
                old = dest.parent / f".{dest.name}.old-{_token()}"
                os.rename(dest, old)
                try:
                    os.rename(tmp, dest)
                except BaseException:
                    os.rename(old, dest)
                    raise
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.rename(tmp, dest)
        done = True
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        if not done:
            for folder in created:
                try:
                    folder.rmdir()
                except OSError:
                    break


# --------------------------------------------------------------------------------------------
# Writing


def scenario_toml(
    scenario: Scenario,
    overrides: Sequence[str] = (),
    seed: int | None = None,
    replications: int | None = None,
    lang: str = "fr",
) -> str:
    """The scenario as run, with a header comment (in ``lang``) saying where it came from and
    how to rerun."""
    from .presentation import i18n

    t = i18n.section("scenario_file")[i18n.norm(lang)]
    head = [t["as_run"].format(version=__version__, source=scenario.source)]
    if overrides:
        head.append(t["with_set"].format(sets=" --set ".join(overrides)))
    s = "SEED" if seed is None else str(seed)
    n = t["n_unknown"] if replications is None else str(replications)
    head.append(t["rerun"].format(seed=s, n=n))
    body = annotate(scenario.to_toml(), scenario.provenance, t)  # each value with its source
    return "\n".join(h.replace("\n", " ") for h in head) + "\n\n" + body


def write_scenario(
    folder: Path,
    scenario: Scenario,
    overrides: Sequence[str] = (),
    seed: int | None = None,
    replications: int | None = None,
    lang: str = "fr",
) -> Path:
    """Write ``scenario.toml`` (the scenario exactly as run, comments in ``lang``) into
    ``folder``."""
    path = folder / "scenario.toml"
    path.write_text(scenario_toml(scenario, overrides, seed, replications, lang), encoding="utf-8")
    return path


def write_text_durably(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` whole or not at all, flushed to disk (a state file a
    resumed sweep or calibration reads back after a crash)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_json(path: Path, data: Any) -> None:
    """Write JSON (UTF-8, indented, NaN refused: use None)."""
    path.write_text(
        json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n", encoding="utf-8"
    )


def write_tables(
    folder: Path,
    runs: Runs,
    scenario: Scenario,
    hours: HoursResult | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Write ``summary.json`` and the CSV tables into ``folder``; return the summary."""
    hours = compute_hours(scenario) if hours is None else hours
    summary = build_summary(runs, scenario, hours, extra)
    write_json(folder / "summary.json", summary)
    write_csv(folder / "yearly.csv", yearly_columns(runs, hours))
    write_csv(folder / "replications.csv", replication_columns(runs))
    write_csv(folder / "monthly.csv", monthly_columns(runs))
    write_csv(folder / "waits.csv", wait_columns(runs))
    return summary


def write_figures(
    folder: Path,
    runs: Runs,
    scenario: Scenario,
    *,
    lang: str = "fr",
    observed: Sequence[Any] = (),
    hours: HoursResult | None = None,
) -> tuple[dict[str, Path], dict[str, str]]:
    """Draw the run's figures into ``folder/figures`` (PNG and SVG); return the SVG paths and
    the titles by file stem. They need the replications only, not the diagnosis."""
    from .presentation import plots

    hours = compute_hours(scenario) if hours is None else hours
    svgs: dict[str, Path] = {}
    titles: dict[str, str] = {}
    fig_dir = folder / "figures"
    fig_dir.mkdir(exist_ok=True)
    shown = dataclasses.replace(runs, scenario=scenario.title(lang))  # name as run
    for name, (fig, _data) in plots.run_figures(shown, hours, lang).items():
        if observed:
            from .presentation.uncertainty import overlay_observed

            overlay_observed(fig, name, observed, lang)
        _png, svgs[name] = plots.save(fig, fig_dir / name)
        titles[name] = plots.figure_title(fig)
    return svgs, titles


def write_results(
    folder: Path,
    runs: Runs,
    scenario: Scenario,
    *,
    lang: str = "fr",
    extra: Mapping[str, Any] | None = None,
    figures: bool = True,
    report: bool = True,
    observed: Sequence[Any] = (),
    drawn: tuple[dict[str, Path], dict[str, str]] | None = None,
) -> dict[str, Any]:
    """Write everything but ``scenario.toml`` into ``folder``; return the summary.

    ``observed``: rows of an observed-data file (:mod:`sim.observed`), drawn on the yearly
    figures and compared with the simulation in ``summary.json`` and the report. ``drawn``:
    what :func:`write_figures` returned if the figures are already in ``folder``."""
    from .presentation import report as report_mod

    hours = compute_hours(scenario)
    if scenario.uncertainty:
        from . import uncertainty

        extra = {
            **(extra or {}),
            "uncertainty": uncertainty.section(scenario, runs.seed, runs.totals),
        }
    if observed:
        from . import observed as observed_mod

        extra = {**(extra or {}), "observed": observed_mod.compare(observed, runs, hours)}
    summary = write_tables(folder, runs, scenario, hours, extra)
    svgs: dict[str, Path] = {}
    titles: dict[str, str] = {}
    if drawn is not None:
        svgs, titles = drawn
    elif figures or report:
        svgs, titles = write_figures(
            folder, runs, scenario, lang=lang, observed=observed, hours=hours
        )
    if report:
        sections: list[tuple[str, str, str]] = []
        if isinstance(summary.get("uncertainty"), Mapping):
            from .presentation.uncertainty import uncertainty_html, uncertainty_title

            sections.append(
                ("uncertainty", uncertainty_title(lang), uncertainty_html(summary, lang))
            )
        if isinstance(summary.get("observed"), list):
            from .presentation.uncertainty import observed_html, observed_title

            sections.append(
                ("observed", observed_title(lang), observed_html(summary["observed"], lang))
            )
        if isinstance(summary.get("bottleneck"), Mapping):
            from .presentation.bottleneck import bottleneck_html, bottleneck_title

            sections.append(
                (
                    "bottleneck",
                    bottleneck_title(lang),
                    bottleneck_html(summary["bottleneck"], lang, heading=False),
                )
            )
        html = report_mod.run_report(
            summary, scenario, svgs, lang=lang, titles=titles, extra_sections=sections
        )
        (folder / "report.html").write_text(html, encoding="utf-8")
    write_workbook(folder, summary, scenario, lang)
    if figures:
        from .presentation import summary_pdf

        summary_pdf.write(folder / "summary.pdf", summary, scenario, runs, hours, lang)
    return summary


def write_workbook(folder: Path, summary: Mapping[str, Any], scenario: Scenario, lang: str) -> bool:
    """Write ``parameters.csv``, and ``results.xlsx`` when openpyxl is installed; return
    whether the workbook was written."""
    from .presentation import workbook
    from .presentation.report import parameters
    from .presentation.tables import utilisation_by_type
    from .scenario import toml_value

    notes = scenario.provenance.notes
    rows = [
        (
            key,
            value if isinstance(value, str) else toml_value(value),
            origin,
            notes.get(key, ("", ""))[1],
        )
        for key, value, origin in parameters(scenario)
    ]
    write_csv(
        folder / "parameters.csv",
        {
            "key": [r[0] for r in rows],
            "value": [r[1] for r in rows],
            "origin": [r[2] for r in rows],
            "note": [r[3] for r in rows],
        },
    )
    if not workbook.available():
        return False
    wb = workbook.run_workbook(summary, rows, lang, utilisation_by_type(summary, scenario))
    workbook.save(wb, folder / "results.xlsx")
    return True


def write_run(
    target: str | Path,
    runs: Runs,
    scenario: Scenario,
    *,
    lang: str = "fr",
    force: bool = False,
    overrides: Sequence[str] = (),
    extra: Mapping[str, Any] | None = None,
    figures: bool = True,
    report: bool = True,
) -> dict[str, Any]:
    """Write a complete results folder at ``target`` atomically; return the summary.

    Parameters
    ----------
    extra : merged into ``summary.json`` (the place for later sections, e.g. ``bottleneck``).
    figures, report : write ``figures/`` and ``report.html`` (the report needs the figures).
    """
    with atomic_folder(target, force) as tmp:
        write_scenario(tmp, scenario, overrides, runs.seed, runs.n, lang)
        return write_results(
            tmp,
            runs,
            scenario,
            lang=lang,
            figures=figures,
            report=report,
            extra={"overrides": list(overrides), **(extra or {})},
        )
