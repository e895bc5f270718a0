"""The ``clause-sim`` command line: a thin layer over the importable API.

Every error a planner can cause (bad file, bad key, bad value) is printed as one line
``clause-sim: error: FILE: KEY: what is wrong`` with exit code 2 and no traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import __version__, fmt, limits
from .errors import ClauseSimError, escape, escape_lines
from .jobs import Stopped
from .scenario import Scenario, load
from .streams import DEFAULT_SEED

PROG = "clause-sim"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line, exit 2 (usage: --help)
        self.exit(2, f"{PROG}: error: {escape(message)} (see {self.prog} --help)\n")


def _scenario_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "scenario",
        nargs="?",
        default=None,
        help="scenario TOML file (default: ./scenario.toml as written by clause-sim init, else "
        "./scenarios/erbm-fiche-2023.toml, else the reference scenario shipped with clause-sim)",
    )
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario key for this run, e.g. clause.insertion_rate=0.07 "
        "or 'works[0].dwellings=30000'; values parse as TOML; repeatable",
    )


def find_scenario(path: str | None) -> Path:
    """The scenario file a command reads: ``path`` when given; else ``./scenario.toml`` (the
    copy ``clause-sim init`` writes), else ``./scenarios/erbm-fiche-2023.toml`` (a working copy
    of the project), else the reference scenario shipped with clause-sim."""
    from .scenario import DEFAULT_SCENARIO, default_scenario_path

    if path is not None:
        return Path(path)
    for candidate in (Path(INIT_FILE), Path("scenarios") / DEFAULT_SCENARIO):
        if candidate.is_file():
            return candidate
    return default_scenario_path()


def announce(paths: Sequence[Path | str], lang: str, stream: Any = None) -> None:
    """Print, first, which scenario file(s) a command read."""
    from .presentation.i18n import tr

    stream = sys.stdout if stream is None else stream
    for p in paths:
        stream.write(f"{tr('cli', 'scenario_read', lang)} {p}\n")
    stream.flush()


def _load(args: argparse.Namespace) -> Scenario:
    """Load the scenario a command reads and say which file it is: first on stdout, or, with
    ``--json``, as ``scenario_file`` in the JSON object (stdout stays one JSON object)."""
    path = find_scenario(args.scenario)
    scenario = load(path, args.overrides)
    if not getattr(args, "json", False):
        announce([path], args.lang)
    return _uncertainty_options(scenario, args)


def _lang_arg(
    p: argparse.ArgumentParser, what: str = "the text, tables, figures and report"
) -> None:
    from .presentation.i18n import LANGS, default_lang

    p.add_argument(
        "--lang",
        choices=LANGS,
        default=default_lang(),
        help=f"language of {what} (default: $CLAUSE_SIM_LANG, else fr)",
    )


INIT_FILE = "scenario.toml"


def _csv_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--csv-dialect",
        choices=("machine", "excel-fr"),
        default="machine",
        help="machine (default): comma, decimal point, UTF-8; excel-fr: semicolon, decimal "
        "comma, UTF-8 with BOM and French headers, for French Excel",
    )


def _workbook_note(out: Path, lang: str) -> str:
    from .presentation.i18n import tr

    xlsx = out / "results.xlsx"
    if xlsx.is_file():
        return tr("cli", "xlsx_written", lang).format(path=xlsx) + "\n"
    return tr("cli", "xlsx_skipped", lang) + "\n"


def _uncertainty_options(scenario: Scenario, args: argparse.Namespace) -> Scenario:
    """Apply ``--no-uncertainty`` (run the uncertain keys at their central values)."""
    if getattr(args, "no_uncertainty", False):
        return scenario.without_uncertainty()
    return scenario


def _pinned_notes(scenarios: Sequence[Scenario], lang: str) -> str:
    """One line for each uncertain key that ``--set`` pinned, printed with the run's summary."""
    from .presentation import i18n

    return "".join(
        i18n.tr("cli", "pinned", lang).format(key=key) + "\n"
        for key in dict.fromkeys(k for sc in scenarios for k in sc.pinned)
    )


# --------------------------------------------------------------------------------------------
# hours


def cmd_hours(args: argparse.Namespace) -> int:
    from .hours import compute

    scenario = _load(args)
    result = compute(scenario)
    if args.json:
        data = {"scenario_file": scenario.source, **result.to_dict()}
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    d = result.to_dict()
    d["scenario"] = scenario.title(args.lang)
    sys.stdout.write(hours_text(d, args.lang))
    return 0


def hours_text(d: dict[str, Any], lang: str = "fr") -> str:
    """The yearly hours table as text, numbers formatted for the reader's language."""
    from .presentation.i18n import tr

    def n(x: Any, dec: int = 0) -> str:
        return fmt.number(x, dec, lang)

    head = tuple(
        tr("cli", k, lang) for k in ("h_year", "h_dwellings", "h_amount", "h_hours", "h_fte")
    )
    rows = [
        (str(y["year"]), n(y["dwellings"]), n(y["amount_eur"]), n(y["hours"]), n(y["fte"], 1))
        for y in d["years"]
    ]
    rows.append(
        (
            tr("cli", "h_total", lang),
            n(d["total_dwellings"]),
            n(d["total_amount_eur"]),
            n(d["total_hours"]),
            n(d["fte"], 1),
        )
    )
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def line(r: Sequence[str]) -> str:
        return (
            "  ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
            + "\n"
        )

    out = [f"{escape(d['scenario'])}\n\n", line(head), line(["-" * w for w in widths])]
    out += [line(r) for r in rows[:-1]]
    out += [line(["-" * w for w in widths]), line(rows[-1])]
    years = len(d["years"])
    out.append(
        "\n"
        + tr("cli", "h_sentence", lang).format(
            h=n(d["total_hours"]),
            fte=n(d["fte"]),
            base=n(d["fte_hours"]),
            years=years,
            fpy=n(d["fte_per_year"]),
            fpy1=n(d["fte_per_year"], 1),
        )
        + "\n"
    )
    if len(d["lines"]) > 1:
        out.append("\n" + tr("cli", "h_by_line", lang) + "\n")
        for ln in d["lines"]:
            out.append(f"  {escape(ln['name'])}: {n(ln['total_hours'])} h\n")
    return "".join(out)


# --------------------------------------------------------------------------------------------
# init


def cmd_init(args: argparse.Namespace) -> int:
    from .presentation.i18n import tr
    from .scenario import reference_text
    from .templates import minimal_scenario_text

    target = Path(args.path)
    text = minimal_scenario_text() if args.minimal else reference_text()
    if target.is_dir():
        raise ClauseSimError(f"{target}: is a folder; give a file name such as scenario.toml")
    try:
        with target.open("x", encoding="utf-8") as f:  # "x": never overwrite
            f.write(text)
    except FileExistsError:
        raise ClauseSimError(
            f"{target}: already exists; not overwritten (give another PATH or remove it)"
        ) from None
    sys.stdout.write(tr("cli", "init_done", args.lang).format(path=target) + "\n")
    return 0


# --------------------------------------------------------------------------------------------
# run and compare


def _options(args: argparse.Namespace) -> Any:
    from . import jobs

    return jobs.Options(
        replications=args.replications,
        seed=DEFAULT_SEED if args.seed is None else args.seed,
        jobs=args.jobs,
        scheduler=getattr(args, "scheduler", None),
        lang=args.lang,
        force=args.force,
        overrides=tuple(args.overrides),
        bottleneck_replications=getattr(args, "bottleneck_replications", 0),
    )


def cmd_run(args: argparse.Namespace) -> int:
    from . import jobs, output

    scenario = _load(args)
    n = limits.check_replications(args.replications)
    m = limits.check_replications(args.bottleneck_replications, "--bottleneck-replications")
    jobs.check_size(scenario, n, m, args.max_work)
    observed: tuple[Any, ...] = ()
    if args.observed:
        from . import observed as observed_mod

        observed = observed_mod.read(args.observed)
        observed_mod.check_years(observed, _simulated_years(scenario), args.observed)
    out = Path(args.out) if args.out else Path("results") / Path(scenario.source).stem
    options = replace(_options(args), observed=observed)
    summary = jobs.in_terminal(
        lambda progress: jobs.run(scenario, out, options, progress=progress),
        quiet=args.quiet,
        left=f"{out} left as it was",
    )
    sys.stdout.write(output.summary_text(summary, scenario, args.lang, out))
    sys.stdout.write(_pinned_notes([scenario], args.lang))
    sys.stdout.write(_workbook_note(out, args.lang))
    return 0


def _simulated_years(scenario: Scenario) -> list[int]:
    """The calendar years a run simulates: the horizon then the run-out years."""
    first = scenario.start_year
    return list(range(first, first + scenario.horizon_years + scenario.flow.run_out_years))


def cmd_compare(args: argparse.Namespace) -> int:
    from . import jobs
    from .analysis import compare

    if len(args.scenarios) < 2:
        raise ClauseSimError("compare needs at least two scenario files")
    scenarios = [_uncertainty_options(load(p, args.overrides), args) for p in args.scenarios]
    announce(args.scenarios, args.lang)
    n = limits.check_replications(args.replications)
    limits.check_work(
        max(limits.units_per_replication(s) for s in scenarios),
        n * len(scenarios),
        args.max_work,
        "this comparison",
    )
    labels = compare.labels_for(args.scenarios)
    out = Path(args.out) if args.out else compare.default_out(args.scenarios)
    options = _options(args)
    rows = jobs.in_terminal(
        lambda progress: jobs.compare(scenarios, labels, out, options, progress=progress),
        quiet=args.quiet,
        left=f"{out} left as it was",
    )
    sys.stdout.write(compare.comparison_text(rows, labels, args.lang))
    sys.stdout.write(_pinned_notes(scenarios, args.lang))
    sys.stdout.write(f"\n-> {out}\n")
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


_seed = _non_negative_int


def _scheduler_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on an existing Dask cluster: tcp://HOST:PORT or a scheduler file "
        "(needs clause-sim[dask]; --jobs is then ignored); results do not depend on it",
    )


def _simulation_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--replications",
        "-n",
        type=_positive_int,
        default=200,
        metavar="N",
        help="Monte Carlo replications (default: 200)",
    )
    p.add_argument(
        "--seed",
        type=_seed,
        default=None,
        metavar="S",
        help=f"root random seed (default: {DEFAULT_SEED}, the date of deliberation "
        "2023-243); the same seed gives the same results",
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=_positive_int,
        default=None,
        metavar="J",
        help="worker processes (default: the cores available); results do not depend on it",
    )
    _scheduler_arg(p)
    _lang_arg(p)
    _csv_arg(p)
    p.add_argument(
        "--force",
        action="store_true",
        help="replace an existing results folder (only at the very end of the run)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.add_argument(
        "--no-uncertainty",
        action="store_true",
        help="run the scenario's [uncertainty] keys at their central values (the values the "
        "scenario gives them) instead of drawing one set per replication",
    )
    _max_work_arg(p)


def _max_work_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--max-work",
        type=limits.max_work_arg,
        default=None,
        metavar="U",
        help=f"refuse to start above U work units (people and missions x replications; "
        f"default {limits.MAX_WORK:g}, about two hours on one core)",
    )


# --------------------------------------------------------------------------------------------
# size and sweep (sim.sizing, sim.sweep)


def cmd_size(args: argparse.Namespace) -> int:
    from .analysis import sizing

    return sizing.command(args, _load(args))


def cmd_calibrate(args: argparse.Namespace) -> int:
    from .analysis import calibrate

    if args.scheduler:  # before anything is read or written, as sweep does
        from .parallel import check_scheduler

        check_scheduler(args.scheduler)
    # calibration runs at the central values: no note on uncertain keys set with --set
    scenario = load(args.scenario, args.overrides)
    n = limits.check_replications(args.replications)
    limits.check_work(
        limits.units_per_replication(scenario),
        n * calibrate.max_points(len(args.fit)),
        args.max_work,
        "this calibration",
    )
    return calibrate.command(args, scenario)


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return value


def cmd_sweep(args: argparse.Namespace) -> int:
    from .analysis import sweep

    return sweep.command(args)


def cmd_serve(args: argparse.Namespace) -> int:
    from .web import serve

    return serve(args.host, args.port, args.data, args.workers, args.token, args.jobs)


# --------------------------------------------------------------------------------------------
# parser


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Insertion-clause simulator: hours and FTE of a renovation programme, and "
        "whether the local system can turn them into jobs, year by year.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser(
        "hours",
        help="insertion hours and FTE per year (the deterministic figure)",
        description="Amount of works, insertion hours and FTE per year and in "
        "total, computed from the scenario's works and clause.",
    )
    _scenario_arg(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    _lang_arg(p, "the table")
    p.set_defaults(func=cmd_hours)

    p = sub.add_parser(
        "init",
        help="write an editable copy of the reference scenario (every value with its source)",
        description="Write an editable copy of the reference scenario, every value commented "
        "with its source, to PATH (default: ./scenario.toml, which commands then read when "
        "given no scenario). Never overwrites a file. With --minimal, a short template of the "
        "keys a planner usually changes; every other key takes the reference value.",
    )
    p.add_argument("path", nargs="?", default=INIT_FILE, metavar="PATH")
    p.add_argument("--minimal", action="store_true", help="only the keys usually changed")
    _lang_arg(p, "the message")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser(
        "run",
        help="simulate a scenario and write a results folder with figures and a report",
        description="Run the beneficiary-flow simulation of a scenario N times and write a "
        "results folder: summary.json, yearly.csv, replications.csv, "
        "scenario.toml, figures/ (PNG, SVG) and a self-contained report.html. "
        "The folder is written under a temporary name and renamed at the end.",
    )
    _scenario_arg(p)
    _simulation_args(p)
    p.add_argument(
        "--out",
        "-o",
        default=None,
        metavar="DIR",
        help="results folder (default: results/<scenario file stem>)",
    )
    p.add_argument(
        "--bottleneck-replications",
        type=_non_negative_int,
        default=20,
        metavar="M",
        help="replications for the bottleneck diagnosis (+1 unit of each resource, "
        "same random numbers); 0 to skip it (default: 20)",
    )
    p.add_argument(
        "--observed",
        default=None,
        metavar="FILE",
        help="observed figures (CSV from_year,to_year,metric,value,source): drawn on the "
        "yearly figures and compared with the simulation in the report",
    )
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "compare",
        help="simulate several scenarios with the same random numbers, side by side",
        description="Run each scenario with the same seed (common random numbers) and write "
        "comparison.csv (differences to the first scenario with paired 95 % "
        "intervals), overlay figures and a report.",
    )
    p.add_argument(
        "scenarios",
        nargs="+",
        metavar="SCENARIO",
        help="two or more scenario TOML files; the first is the reference",
    )
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a key in every scenario; repeatable",
    )
    _simulation_args(p)
    p.add_argument(
        "--out",
        "-o",
        default=None,
        metavar="DIR",
        help="comparison folder (default: results/compare-<stemA>-vs-<stemB>)",
    )
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser(
        "size",
        help="smallest level of a resource for which a target holds",
        description="Find the smallest level of a resource (facilitator FTE, SIAE posts of a "
        "type, referrals a year) for which the target holds in at least "
        "--confidence of the replications. Every level runs the same replications "
        "(common random numbers); the search gallops then bisects and never reruns "
        "a level. Exit code 1 when even --max-level fails.",
    )
    _scenario_arg(p)
    p.add_argument(
        "--resource",
        required=True,
        metavar="R",
        help="facilitators | siae.<type> (etti, ai, geiq, ei, aci) | referrals",
    )
    p.add_argument(
        "--target",
        required=True,
        metavar="KEY>=VALUE",
        help="e.g. lapsed_share<=0.1, realised_share>=0.9, positive_exits_rsa>=60 "
        "(a per-replication total)",
    )
    p.add_argument(
        "--confidence",
        type=float,
        default=0.9,
        metavar="P",
        help="share of replications that must meet the target (default: 0.9)",
    )
    p.add_argument(
        "--replications",
        "-n",
        type=_positive_int,
        default=40,
        metavar="N",
        help="replications per level (default: 40)",
    )
    p.add_argument(
        "--seed",
        type=_seed,
        default=None,
        metavar="S",
        help=f"root random seed (default: {DEFAULT_SEED})",
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=_positive_int,
        default=None,
        metavar="J",
        help="worker processes (default: the cores available)",
    )
    _scheduler_arg(p)
    p.add_argument(
        "--step",
        type=float,
        default=None,
        metavar="X",
        help="distance between levels (default: 0.5 FTE, 1 post, 10 referrals/year)",
    )
    p.add_argument(
        "--min-level",
        type=float,
        default=0.0,
        metavar="X",
        help="lowest level searched (default: 0)",
    )
    p.add_argument(
        "--max-level",
        type=float,
        default=None,
        metavar="X",
        help="highest level searched (default: 4 x the scenario's, at least 20 steps)",
    )
    p.add_argument(
        "--out",
        "-o",
        default=None,
        metavar="DIR",
        help="write sizing.png, sizing.svg, sizing.csv and sizing.json there",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    _lang_arg(p, "the text and figure")
    p.add_argument("--quiet", "-q", action="store_true", help="no line per level evaluated")
    _max_work_arg(p)
    p.set_defaults(func=cmd_size)

    p = sub.add_parser(
        "sweep",
        help="run a sweep file: many variants, sensitivity, on a laptop or a Dask cluster",
        description="Run every point of a sweep file (grid, Latin hypercube, Sobol or Morris "
        "design), N replications each with the same seed. Rows are appended to "
        "DIR/points.csv as points finish; --resume skips them. At the end: "
        "table.csv, sensitivity.csv and figures/.",
    )
    p.add_argument(
        "sweep",
        metavar="SWEEP.toml",
        help="sweep file (see scenarios/sweeps/fiche-sensitivity.toml)",
    )
    p.add_argument(
        "--out",
        "-o",
        default=None,
        metavar="DIR",
        help="results folder (default: results/sweep-<sweep file stem>)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="go on with the sweep already in DIR, skipping its finished points",
    )
    p.add_argument(
        "--force", action="store_true", help="empty a previous sweep folder DIR and start over"
    )
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on an existing Dask cluster: tcp://HOST:PORT or a scheduler file "
        "(needs clause-sim[dask])",
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=_positive_int,
        default=None,
        metavar="J",
        help="local worker processes (default: the cores available; ignored with "
        "--scheduler); results do not depend on it",
    )
    _lang_arg(p, "the summary, figures and report")
    p.add_argument(
        "--replications",
        "-n",
        type=_positive_int,
        default=None,
        metavar="N",
        help="replications per point (default: the sweep file's replications)",
    )
    p.add_argument(
        "--worker-timeout",
        type=float,
        default=None,
        metavar="S",
        help="with --scheduler: stop (resumable) when the cluster has had no worker for S "
        "seconds (default: 120)",
    )
    p.add_argument("--no-figures", action="store_true", help="write no figures")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    _csv_arg(p)  # points.csv, table.csv, sensitivity.csv
    _max_work_arg(p)
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser(
        "calibrate",
        help="fit numeric scenario keys to observed figures (an observed-data CSV)",
        description="Fit the --fit keys of a scenario to the rows of an observed-data file by "
        "simulation: every candidate point runs replications 0..N-1 of the seed (common "
        "random numbers); the objective is the sum of squared relative gaps. Writes "
        "DIR/calibration.json, calibrated.toml, fit.png|svg and report.html; points "
        "evaluated are appended to DIR/points.csv (--resume skips them).",
    )
    _scenario_arg(p)
    p.add_argument(
        "--observed", required=True, metavar="FILE", help="observed figures (CSV, see README)"
    )
    p.add_argument(
        "--fit",
        action="append",
        required=True,
        metavar="KEY=LOW:HIGH",
        help="a numeric key to fit in [LOW, HIGH], e.g. clause.insertion_rate=0.04:0.12; "
        "repeatable",
    )
    p.add_argument(
        "--replications",
        "-n",
        type=_positive_int,
        default=20,
        metavar="N",
        help="replications a candidate point (default: 20)",
    )
    p.add_argument(
        "--seed", type=_seed, default=None, metavar="S", help=f"root seed (default: {DEFAULT_SEED})"
    )
    p.add_argument(
        "--holdout",
        type=int,
        default=None,
        metavar="YEAR",
        help="fit without the rows ending in YEAR and report the prediction for them",
    )
    p.add_argument(
        "--obs-error",
        type=_share,
        default=0.05,
        metavar="E",
        help="relative error of a published figure, for the intervals (default: 0.05)",
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=_positive_int,
        default=None,
        metavar="J",
        help="local worker processes (default: the cores available; ignored with --scheduler)",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on an existing Dask cluster: tcp://HOST:PORT or a scheduler file",
    )
    p.add_argument("--out", "-o", required=True, metavar="DIR", help="results folder")
    p.add_argument("--resume", action="store_true", help="go on with the calibration in DIR")
    p.add_argument(
        "--force", action="store_true", help="empty a previous calibration folder DIR first"
    )
    _lang_arg(p)
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    _max_work_arg(p)
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser(
        "serve",
        help="a web page for planners and an HTTP API (needs clause-sim[app])",
        description="Serve the planner's page and the HTTP API (documented at /docs). Runs are "
        "folders under --data; finished runs are listed again after a restart. Any host but "
        "127.0.0.1 needs an access token.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument(
        "--port", type=_positive_int, default=8765, metavar="PORT", help="(default: 8765)"
    )
    p.add_argument(
        "--data",
        default=None,
        metavar="DIR",
        help="folder of the runs (default: ~/.local/share/clause-sim)",
    )
    p.add_argument(
        "--workers",
        type=_positive_int,
        default=1,
        metavar="N",
        help="runs simulated at once; the others queue (default: 1)",
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=_positive_int,
        default=None,
        metavar="J",
        help="worker processes per run (default: the cores available / --workers)",
    )
    p.add_argument(
        "--token",
        nargs="?",
        const="generate",
        default=None,
        metavar="TOKEN",
        help="access token checked on every request (default: $CLAUSE_SIM_TOKEN; alone: a "
        "random one, printed in the address); required for any host but 127.0.0.1",
    )
    p.set_defaults(func=cmd_serve)

    return parser


def _quiet_stdout() -> None:
    """Send what is still to be written to stdout nowhere (its reader is gone)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


class _Escaped:
    """A text stream whose writes have control characters escaped (newlines kept): names from
    a scenario file never drive the terminal."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(escape_lines(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _escape_warnings() -> None:
    """Warnings (from matplotlib, numpy) may quote scenario text: show them escaped."""
    import warnings

    show = warnings.showwarning
    if getattr(show, "escapes", False):
        return

    def escaped(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: Any = None,
        line: str | None = None,
    ) -> None:
        show(escape(message), category, filename, lineno, file, line)

    escaped.escapes = True  # type: ignore[attr-defined]
    warnings.showwarning = escaped


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``clause-sim`` and ``python -m sim``; returns the exit code.

    Every failure is one line on stderr: ``clause-sim: error: ...`` (exit 2) for bad input or
    a folder that cannot be written; a closed stdout or a reader gone (``| head``) ends quietly.
    ``CLAUSE_SIM_DEBUG=1`` shows the traceback of an unexpected error.
    """
    for name in ("stdout", "stderr"):  # started with the stream closed (>&-): write nowhere
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115
    parser = build_parser()
    args = parser.parse_args(argv)
    _escape_warnings()
    stdout = sys.stdout
    sys.stdout = _Escaped(stdout)
    try:
        from .output import csv_dialect

        with csv_dialect(getattr(args, "csv_dialect", "machine")):
            return int(args.func(args))
    except ClauseSimError as exc:
        sys.stderr.write(f"{PROG}: error: {escape(exc)}\n")
        return 2
    except Stopped as exc:  # SIGTERM or Ctrl-C during a job, after its cleanup
        sys.stderr.write(f"{PROG}: {escape(exc.message)}\n")
        return exc.code
    except BrokenPipeError:
        _quiet_stdout()
        return 141  # as a tool killed by SIGPIPE: quietly
    except OSError as exc:  # a folder or file that cannot be written or read where asked
        where = escape(exc.filename) if exc.filename is not None else ""
        sys.stderr.write(f"{PROG}: error: {where}: {escape(exc.strerror or exc)}\n")
        return 2
    except MemoryError:
        sys.stderr.write(
            f"{PROG}: error: out of memory; try fewer replications or a smaller scenario\n"
        )
        return 2
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
    except Exception as exc:
        if os.environ.get("CLAUSE_SIM_DEBUG"):
            raise
        sys.stderr.write(
            f"{PROG}: internal error: {escape(type(exc).__name__)}: {escape(exc)} "
            f"(CLAUSE_SIM_DEBUG=1 shows where)\n"
        )
        return 70
    finally:
        sys.stdout = stdout
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _quiet_stdout()
        except (OSError, ValueError):
            pass
