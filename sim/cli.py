"""The ``clause-sim`` command line: a thin layer over the importable API.

Every error a planner can cause (bad file, bad key, bad value) is printed as one line
``clause-sim: error: FILE: KEY: what is wrong`` with exit code 2 and no traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from . import __version__, fmt
from .errors import ClauseSimError
from .scenario import Scenario, load

PROG = "clause-sim"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line, exit 2 (argparse prints usage first)
        self.print_usage(sys.stderr)
        self.exit(2, f"{PROG}: error: {message}\n")


def _scenario_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", nargs="?", default=None,
                   help="scenario TOML file (default: the shipped erbm-fiche-2023.toml)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a scenario key for this run, e.g. clause.insertion_rate=0.07 "
                        "or 'works[0].dwellings=30000'; values parse as TOML; repeatable")


def _load(args: argparse.Namespace) -> Scenario:
    return load(args.scenario, args.overrides)


# --------------------------------------------------------------------------------------------
# hours


def cmd_hours(args: argparse.Namespace) -> int:
    from .hours import compute

    result = compute(_load(args))
    if args.json:
        json.dump(result.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    sys.stdout.write(hours_text(result.to_dict()))
    return 0


def hours_text(d: dict[str, Any]) -> str:
    """The yearly hours table as text, numbers formatted for a French reader."""
    n = fmt.number
    head = ("Année", "Logements", "Montant EUR HT", "Heures d'insertion", "ETP")
    rows = [(str(y["year"]), n(y["dwellings"]), n(y["amount_eur"]), n(y["hours"]),
             n(y["fte"], 1)) for y in d["years"]]
    rows.append(("Total", n(d["total_dwellings"]), n(d["total_amount_eur"]),
                 n(d["total_hours"]), n(d["fte"], 1)))
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def line(r: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in
                         enumerate(zip(r, widths, strict=True))) + "\n"

    out = [f"{d['scenario']}\n\n", line(head), line(["-" * w for w in widths])]
    out += [line(r) for r in rows[:-1]]
    out += [line(["-" * w for w in widths]), line(rows[-1])]
    years = len(d["years"])
    out.append(
        f"\n{n(d['total_hours'])} heures d'insertion, soit {n(d['fte'])} ETP "
        f"(base ETP à {n(d['fte_hours'])} h), sur {years} ans : {n(d['fte_per_year'])} ETP/an "
        f"({n(d['fte_per_year'], 1)}).\n"
    )
    if len(d["lines"]) > 1:
        out.append("\nPar ligne de travaux :\n")
        for ln in d["lines"]:
            out.append(f"  {ln['name']}: {n(ln['total_hours'])} h\n")
    return "".join(out)


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

    p = sub.add_parser("hours", help="insertion hours and FTE per year (the deterministic figure)",
                       description="Amount of works, insertion hours and FTE per year and in "
                                   "total, computed from the scenario's works and clause.")
    _scenario_arg(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.set_defaults(func=cmd_hours)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``clause-sim`` and ``python -m sim``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ClauseSimError as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0
