"""The short scenario template written by ``clause-sim init --minimal``.

It lists only the keys a planner usually changes, with the reference scenario's values and
source notes; every key it leaves out takes the reference scenario's value.
"""

from __future__ import annotations

import textwrap
import tomllib

from .provenance import MISSING, lookup, source_notes
from .scenario import DEFAULT_SCENARIO, reference_text, toml_value

MINIMAL_KEYS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("scenario", ("name", "description", "start_year", "horizon_years")),
    ("clause", ("insertion_rate", "hourly_cost_eur", "fte_hours")),
    ("[works]", ("name", "dwellings", "cost_per_dwelling_eur", "labour_share", "profile")),
    ("flow.referrals", ("per_year",)),
    ("flow.facilitators", ("fte", "caseload_per_fte")),
    ("flow.siae", ("posts",)),
)
"""(table, keys) of the minimal template, in order; ``[works]`` is the first works line."""


def minimal_scenario_text() -> str:
    """A short, valid scenario: the keys of :data:`MINIMAL_KEYS` with their sources."""
    text = reference_text()
    raw = tomllib.loads(text)
    _head, notes = source_notes(text)
    out = [
        "# Short scenario: the keys a planner usually changes. Every other key takes the value of",
        f"# the reference scenario ({DEFAULT_SCENARIO}, written in full by 'clause-sim init'),",
        "# whose comments give the sources. Units: EUR excluding VAT, hours, days.",
        "",
    ]
    for table, keys in MINIMAL_KEYS:
        prefix = "works[0]" if table == "[works]" else table
        out.append("[[works]]" if table == "[works]" else f"[{table}]")
        for key in keys:
            full = f"{prefix}.{key}"
            value = lookup(raw, full)
            if value is MISSING:
                continue
            note = notes.get(full, ("", ""))[1]
            line = f"{key} = {toml_value(value)}"
            if note and len(line) + len(note) > 96:  # a long note goes above its key
                out += textwrap.wrap(note, 94, initial_indent="# ", subsequent_indent="# ")
                out.append(line)
            else:
                out.append(f"{line:<32} # {note}" if note else line)
        out.append("")
    return "\n".join(out)
