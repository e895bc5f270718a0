"""Scenarios for the page and the API: from TOML text, from a shipped file with the form's
changes, and the form's fields (grouped, with units and the source of each default)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ScenarioError
from ..presentation.i18n import FORM_FIELDS, FORM_GROUPS
from ..provenance import MISSING, lookup, source_notes
from ..scenario import (
    Scenario,
    apply_overrides,
    default_scenario_path,
    from_dict,
    parse_toml,
    toml_value,
)

MAX_BODY = 1 << 20
"""Largest request body accepted (bytes): 1 MiB."""


def shipped() -> dict[str, Path]:
    """The shipped scenarios by stem (package data when installed, else ``scenarios/``)."""
    folder = default_scenario_path().parent
    return {p.stem: p for p in sorted(folder.glob("*.toml"))}


def scenario_from_text(text: str, name: str = "scenario.toml", overrides: Any = ()) -> Scenario:
    """Validate TOML text as a scenario; errors are the CLI's one-line messages about ``name``."""
    raw = parse_toml(text, name)  # as the command line reads a file: depth, long numbers
    overrides = list(overrides)
    try:
        raw = apply_overrides(raw, overrides, name)
    except ScenarioError as exc:
        raise ScenarioError(name, exc.key, exc.message) from None
    try:
        return from_dict(raw, name)
    except ScenarioError as exc:
        for item in overrides:
            path = item.split("=", 1)[0].strip()
            if exc.key == path or exc.key.startswith((path + ".", path + "[")):
                raise ScenarioError(name, exc.key, exc.message) from None
        raise


def from_request(data: Mapping[str, Any]) -> tuple[Scenario, str, str]:
    """The page's request ``{"base": stem, "toml": text, "set": {key: value}}`` -> the scenario,
    the TOML text to keep (with the changes applied) and its file name.

    ``toml`` (an uploaded file) wins over ``base`` (a shipped scenario's stem); ``set`` holds the
    form's changed fields, each read like ``--set KEY=VALUE``.
    """
    text = data.get("toml")
    if isinstance(text, str) and text.strip():
        name = str(data.get("filename") or "scenario.toml")[:100]
    else:
        stems = shipped()
        base = str(data.get("base") or default_scenario_path().stem)
        if base not in stems:
            raise ScenarioError(base, "", "no such shipped scenario")
        text = stems[base].read_text(encoding="utf-8")
        name = stems[base].name
    changes = data.get("set") or {}
    if not isinstance(changes, Mapping):
        raise ScenarioError(name, "", "set: expected an object of KEY: VALUE")
    strings = {f.key for _g, fields in GROUPS for f in fields if f.kind != "number"}
    overrides = []
    for key, value in changes.items():
        v = str(value).strip()
        if v == "":
            continue
        if key in strings and not re.fullmatch(r"[-+0-9.eE]+|\[.*\]", v):
            v = toml_value(v)  # a name or a choice: a TOML string
        overrides.append(f"{key}={v}")
    scenario = scenario_from_text(text, name, overrides)
    return scenario, scenario.to_toml() if overrides else text, name


# --------------------------------------------------------------------------------------------
# The form


@dataclass(frozen=True)
class Field:
    """One input of the form: the scenario key it sets and how it is typed (its label and unit
    are in the translation table, :data:`sim.presentation.i18n.FORM_FIELDS`)."""

    key: str
    kind: str = "number"  # number | text | choice
    choices: tuple[str, ...] = ()
    step: str = "any"


GROUPS: tuple[tuple[str, tuple[Field, ...]], ...] = (
    (
        "programme",
        (
            Field("scenario.name", kind="text"),
            Field("scenario.start_year", step="1"),
            Field("scenario.horizon_years", step="1"),
            Field("works[0].dwellings", step="1"),
            Field("works[0].cost_per_dwelling_eur"),
            Field("works[0].labour_share"),
            Field(
                "works[0].profile",
                kind="choice",
                choices=("uniform", "ramp"),
            ),
        ),
    ),
    (
        "clause",
        (
            Field("clause.insertion_rate"),
            Field("clause.hourly_cost_eur"),
            Field(
                "clause.rounding",
                kind="choice",
                choices=("none", "floor_per_dwelling", "round_per_dwelling", "round_total"),
            ),
            Field("clause.fte_hours"),
        ),
    ),
    (
        "capacity",
        (
            Field("flow.facilitators.fte", kind="text"),
            Field("flow.referrals.per_year", kind="text"),
            Field("flow.siae.posts.etti", step="1"),
            Field("flow.siae.posts.ai", step="1"),
            Field("flow.siae.posts.geiq", step="1"),
            Field("flow.siae.posts.ei", step="1"),
            Field("flow.siae.posts.aci", step="1"),
        ),
    ),
    (
        "advanced",
        (
            Field("flow.facilitators.caseload_per_fte"),
            Field("flow.missions.next_mission_probability"),
            Field("flow.operations.dwellings_per_operation", step="1"),
            Field("flow.run_out_years"),
        ),
    ),
)
"""The form's groups and fields (their words: :data:`sim.presentation.i18n.FORM_GROUPS`,
:data:`sim.presentation.i18n.FORM_FIELDS`)."""


def _lookup(raw: Mapping[str, Any], key: str) -> Any:
    value = lookup(raw, key)
    return None if value is MISSING else value


def _value_text(value: Any) -> str:
    if value is None or isinstance(value, Mapping):
        return ""
    if isinstance(value, list):
        return "[" + ", ".join(_value_text(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    return str(value)


def comments(text: str) -> dict[str, str]:
    """The source of each key's default in a scenario file, by dotted key
    (``works[0].dwellings``): its note as :func:`sim.provenance.source_notes` reads it (the
    comment block above, the inline comment and its continuation lines). A list of choices
    (``a | b``) is not a source; an inline table gives its note to each of its entries."""
    out: dict[str, str] = {}
    for key, (value, note) in source_notes(text)[1].items():
        if " | " in note:
            continue
        out[key] = note
        inner = re.fullmatch(r"\{(.*)\}", value.strip())
        if inner:
            for k in re.findall(r"([A-Za-z0-9_]+)\s*=", inner.group(1)):
                out.setdefault(f"{key}.{k}", note)
    return out


def form(base: str | None = None) -> dict[str, Any]:
    """The form for a shipped scenario: groups of fields with their current values and the
    source of each (the comment beside the key in the scenario file)."""
    stems = shipped()
    stem = base if base in stems else default_scenario_path().stem
    text = stems[stem].read_text(encoding="utf-8")
    return {"base": stem, "bases": list(stems), "groups": _groups(tomllib.loads(text), text)}


def form_of_scenario(scenario: Scenario, text: str, name: str = "scenario.toml") -> dict[str, Any]:
    """The form filled from an uploaded scenario, already validated from its file ``text``
    (:func:`scenario_from_text`); keys the file leaves out show their defaults."""
    return {"file": name, "groups": _groups(tomllib.loads(scenario.to_toml()), text)}


def _groups(raw: Mapping[str, Any], text: str) -> list[dict[str, Any]]:
    notes = comments(text)
    groups = []
    for gid, fields in GROUPS:
        items = []
        previous = ""
        for f in fields:
            value = _lookup(raw, f.key)
            source = notes.get(f.key, "")
            source, previous = ("" if source == previous else source), source
            fr, en, unit_fr, unit_en = FORM_FIELDS[f.key]
            items.append(
                {
                    "key": f.key,
                    "fr": fr,
                    "en": en,
                    "unit_fr": unit_fr,
                    "unit_en": unit_en,
                    "kind": f.kind,
                    "choices": list(f.choices),
                    "step": f.step,
                    "value": _value_text(value),
                    "source": source,
                }
            )
        title_fr, title_en = FORM_GROUPS[gid]
        groups.append({"id": gid, "fr": title_fr, "en": title_en, "fields": items})
    return groups
