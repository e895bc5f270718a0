"""Observed figures: a long, simple CSV a facilitator can type from an annual report.

Format (UTF-8, comma-separated, header required, ``#`` lines ignored)::

    from_year,to_year,metric,value,source
    2017,2023,hours_realised,530000,"ERBM clause reporting 2017-2023"
    2022,2022,positive_exits,41,"PLIE annual report 2022"

One row per figure: ``to_year = from_year`` for a yearly figure, a span for a cumulative one
(the sum of the yearly values over the span). ``metric`` is a yearly total of the model
(:data:`sim.results.FLOW_METRICS`, e.g. ``hours_realised``, ``positive_exits``) or
``dwellings_renovated`` (the works profile: dwellings whose works start in those years, from the
hours engine). A yearly level (e.g. ``active_mean``) may be given for one year only. Units as in
the model: hours, people, dwellings.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ScenarioError
from .hours import HoursResult
from .results import FLOW_METRICS, METRICS, YEARLY_METRICS, Run, Runs, describe
from .scenario import read_text

HEADER = ("from_year", "to_year", "metric", "value", "source")
DWELLINGS = "dwellings_renovated"
"""The works profile's dwellings a year (an input of the model, from the hours engine)."""
MAX_ROWS = 10_000
MAX_BYTES = 5_000_000
"""Larger files are refused (an observed file is typed from annual reports)."""


def additive() -> tuple[str, ...]:
    """Metrics that may be summed over a span of years."""
    return (*FLOW_METRICS, DWELLINGS)


def known() -> tuple[str, ...]:
    """Every metric an observed row may name."""
    return (*YEARLY_METRICS, DWELLINGS)


@dataclass(frozen=True)
class Observed:
    """One observed figure: years ``from_year..to_year`` (included), metric, value, source,
    and the line of the file it came from."""

    from_year: int
    to_year: int
    metric: str
    value: float
    source: str
    line: int

    def label(self) -> str:
        """``metric from-to`` (or ``metric year``)."""
        years = (
            str(self.from_year)
            if self.from_year == self.to_year
            else f"{self.from_year}-{self.to_year}"
        )
        return f"{self.metric} {years}"


def _int(text: str, file: str, n: int, column: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ScenarioError(
            file, f"line {n}", f"{column}: expected a year, got {text.strip()!r}"
        ) from None


def read(path: str | Path) -> tuple[Observed, ...]:
    """Read and check an observed-data CSV; errors name the file and the line."""
    file = str(path)
    # a regular file only (no pipe or device), at most MAX_BYTES, UTF-8: one-line errors
    text = read_text(path, "CSV file of observed figures", MAX_BYTES)
    return parse(text, file)


def parse(text: str, file: str = "<observed>") -> tuple[Observed, ...]:
    """Parse observed-data CSV text (see the module docstring)."""
    text = text.removeprefix("\ufeff")
    lines = [
        (n, line)
        for n, line in enumerate(text.splitlines(), start=1)
        if not line.lstrip().startswith("#")
    ]
    lines = [(n, line) for n, line in lines if line.strip()]
    if not lines:
        raise ScenarioError(file, "", "empty: expected the header " + ",".join(HEADER))
    try:
        rows = list(csv.reader(io.StringIO("\n".join(line for _n, line in lines))))
    except csv.Error as exc:
        raise ScenarioError(file, "", f"not valid CSV: {exc}") from None
    numbers = [n for n, _line in lines]
    head = [h.strip().lower() for h in rows[0]]
    if tuple(head) != HEADER:
        raise ScenarioError(
            file,
            f"line {numbers[0]}",
            f"expected the header {','.join(HEADER)}, got {','.join(head)}",
        )
    if len(rows) - 1 > MAX_ROWS:
        raise ScenarioError(file, "", f"more than {MAX_ROWS} rows")
    out = []
    names = known()
    for n, row in zip(numbers[1:], rows[1:], strict=True):
        where = f"line {n}"
        if len(row) != len(HEADER):
            raise ScenarioError(
                file, where, f"expected {len(HEADER)} columns ({','.join(HEADER)}), got {len(row)}"
            )
        y0 = _int(row[0], file, n, "from_year")
        y1 = _int(row[1], file, n, "to_year")
        if not 1900 <= y0 <= 2200 or not 1900 <= y1 <= 2200:
            raise ScenarioError(file, where, f"years must be between 1900 and 2200, got {y0}, {y1}")
        if y1 < y0:
            raise ScenarioError(file, where, f"to_year {y1} is before from_year {y0}")
        metric = row[2].strip()
        if metric not in names:
            import difflib

            close = difflib.get_close_matches(metric, list(names), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ScenarioError(file, where, f"unknown metric {metric!r}{hint}")
        if y1 > y0 and metric not in additive():
            raise ScenarioError(
                file, where, f"{metric} does not add up over years: give one row a year"
            )
        try:
            value = float(row[3].strip().replace(" ", "").replace("\u202f", ""))
        except ValueError:
            raise ScenarioError(
                file, where, f"value: expected a number, got {row[3].strip()!r}"
            ) from None
        if not math.isfinite(value) or value < 0:
            raise ScenarioError(file, where, f"value must be a finite number >= 0, got {row[3]!r}")
        out.append(Observed(y0, y1, metric, value, row[4].strip(), n))
    if not out:
        raise ScenarioError(file, "", "no rows after the header")
    return tuple(out)


def check_years(rows: Sequence[Observed], years: Sequence[int], file: str) -> None:
    """Every row's years must be simulated years (error naming the line otherwise)."""
    first, last = int(years[0]), int(years[-1])
    for r in rows:
        if r.from_year < first or r.to_year > last:
            raise ScenarioError(
                file,
                f"line {r.line}",
                f"{r.label()}: outside the simulated years {first}-{last}",
            )


def _dwellings(hours: HoursResult | None, years: Sequence[int]) -> np.ndarray:
    out = np.zeros(len(years))
    if hours is not None:
        index = {int(y): i for i, y in enumerate(years)}
        for y, d in zip(hours.years, hours.dwellings, strict=True):
            if int(y) in index:
                out[index[int(y)]] = float(d)
    return out


def simulated(
    rows: Sequence[Observed],
    years: Sequence[int],
    yearly: Mapping[str, np.ndarray],
    hours: HoursResult | None = None,
) -> np.ndarray:
    """Each row's simulated figure in each replication, shape (replications, rows).

    ``yearly[m]`` is (replications, years) or (years,) for one replication."""
    ys = [int(y) for y in years]
    index = {y: i for i, y in enumerate(ys)}
    first = next(iter(yearly.values()))
    n = 1 if np.ndim(first) == 1 else int(np.shape(first)[0])
    out = np.empty((n, len(rows)))
    dw = _dwellings(hours, ys)
    for j, r in enumerate(rows):
        cols = [index[y] for y in range(r.from_year, r.to_year + 1)]
        if r.metric == DWELLINGS:
            out[:, j] = dw[cols].sum()
            continue
        a = np.asarray(yearly[r.metric], dtype=float).reshape(n, len(ys))
        out[:, j] = a[:, cols].sum(axis=1)
    return out


def run_values(rows: Sequence[Observed], run: Run, hours: HoursResult | None = None) -> np.ndarray:
    """Each row's simulated figure in one replication, shape (rows,)."""
    return simulated(rows, [int(y) for y in run.years], run.yearly, hours)[0]


def compare(
    rows: Sequence[Observed], runs: Runs, hours: HoursResult | None = None
) -> list[dict[str, Any]]:
    """Observed against simulated: each row with the simulated mean, 95 % interval of the mean,
    5th and 95th percentiles over the replications, and the relative gap (mean - obs) / obs."""
    sims = simulated(rows, [int(y) for y in runs.years], runs.yearly, hours)
    return [row_dict(r, sims[:, j]) for j, r in enumerate(rows)]


def row_dict(r: Observed, sims: np.ndarray) -> dict[str, Any]:
    """An observed row with the statistics of its simulated values (JSON-ready)."""
    st = describe(sims).to_dict()
    mean = st["mean"]
    gap = (mean - r.value) / r.value if r.value > 0 and mean is not None else None
    return {
        "line": r.line,
        "from_year": r.from_year,
        "to_year": r.to_year,
        "metric": r.metric,
        "value": r.value,
        "source": r.source,
        **st,
        "relative_gap": gap,
        "unit": METRICS[r.metric].unit if r.metric in METRICS else "dwellings",
    }
